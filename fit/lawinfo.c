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

int law_degenerate_text(const Law *law, char *buf, size_t n) {
    size_t at = 0;
    if (n) buf[0] = '\0';
    at = append_params_(law, law->fit.on_bound, " on a bound of its range", buf, n, at);
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
