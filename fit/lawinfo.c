/* fit/lawinfo.c — what a law cannot tell: degenerate parameters and the range of its data
 * (law.h). The law file's reader and writer (lawfile.c) fill and store these fields. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "law.h"

static const char *const RANGE_KEYS[LAW_RANGE_COUNT] = {
    "params", "tokens", "flops", "depth", "width", "tokens_per_param",
};

const char *law_range_key(int i) {
    return i >= 0 && i < LAW_RANGE_COUNT ? RANGE_KEYS[i] : "?";
}

static size_t append_(char *buf, size_t n, size_t at, const char *text) {
    if (at < n) snprintf(buf + at, n - at, "%s", text);
    return at + strlen(text);
}

static size_t append_params_(const Law *law, unsigned mask, const char *suffix, char *buf,
                             size_t n, size_t at) {
    char item[96];
    for (int i = 0; i < law->form.np && i < LAW_MAXP; i++) {
        if (!(mask & (1u << i))) continue;
        if (at) at = append_(buf, n, at, "; ");
        snprintf(item, sizeof item, "%s%s", law->form.names[i], suffix);
        at = append_(buf, n, at, item);
    }
    return at;
}

/* 1 when parameter i is the log of an amplitude (separable: e = ln E, c_X = ln C_X): its
 * range is unbounded and "on a bound" means the amplitude ran to 0 (or to infinity). */
static int is_log_amplitude_(const LawForm *f, int i) {
    return f->id == LAW_SEPARABLE && (i == 0 || i % 2 == 1);
}

/* "E -> 0 (on bound)", "alpha -> 10 (on bound)", "E = exp(e) -> 0 (on bound)": the parameter
 * and the bound of its range it ran into (the nearer one of law_form_bounds; the value
 * itself when that bound is not the form's, e.g. set with --bound). */
static void on_bound_item_(const Law *law, int i, const double *lo, const double *hi,
                           char *item, size_t n) {
    const char *name = law->form.names[i];
    double v = law->p[i];
    if (is_log_amplitude_(&law->form, i)) {
        char up[16];
        snprintf(up, sizeof up, "%s", name);
        for (char *c = up; *c; c++)
            if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 'a' + 'A');
        if (strcmp(up, "E") == 0 || i == 0)
            snprintf(item, n, "E = exp(%s) -> %s (on bound)", name, v > 0 ? "inf" : "0");
        else
            snprintf(item, n, "%s = exp(%s) -> %s (on bound)", up, name, v > 0 ? "inf" : "0");
        return;
    }
    /* the nearer bound; a side that is infinite cannot have been reached */
    double dlo = isfinite(lo[i]) ? fabs(v - lo[i]) : HUGE_VAL;
    double dhi = isfinite(hi[i]) ? fabs(v - hi[i]) : HUGE_VAL;
    double b = dlo <= dhi ? lo[i] : hi[i];
    double scale = fmax(fmax(fabs(b), fabs(v)), 1e-12);
    if (isfinite(b) && isfinite(v) && fabs(v - b) <= 1e-3 * scale)
        snprintf(item, n, "%s -> %g (on bound)", name, b);
    else
        snprintf(item, n, "%s = %.4g (on a bound of its range)", name, v);
}

int law_degenerate_text(const Law *law, char *buf, size_t n) {
    size_t at = 0;
    double lo[LAW_MAXP], hi[LAW_MAXP];
    char item[128];
    if (n) buf[0] = '\0';
    law_form_bounds(&law->form, lo, hi);
    for (int i = 0; i < law->form.np && i < LAW_MAXP; i++) {
        if (!(law->fit.on_bound & (1u << i))) continue;
        on_bound_item_(law, i, lo, hi, item, sizeof item);
        if (at) at = append_(buf, n, at, "; ");
        at = append_(buf, n, at, item);
    }
    at = append_params_(law, law->fit.unidentified & ~law->fit.on_bound,
                        " not identified by the data (rank-deficient Jacobian)", buf, n, at);
    if (law->fit.nt_confounded) {
        if (at) at = append_(buf, n, at, "; ");
        at = append_(buf, n, at,
                     "tokens are proportional to params in every row: N and T cannot be "
                     "separated");
    }
    return at > 0;
}

unsigned law_range_outside(const Law *law, const double *v, double slack) {
    unsigned out = 0;
    if (!law->range.known) return 0;
    if (!(slack >= 1)) slack = 1;
    for (int i = 0; i < LAW_RANGE_COUNT; i++) {
        double lo = law->range.lo[i], hi = law->range.hi[i];
        if (!isfinite(v[i]) || !isfinite(lo) || !isfinite(hi)) continue;
        if (v[i] < lo / slack || v[i] > hi * slack) out |= 1u << i;
    }
    return out;
}
