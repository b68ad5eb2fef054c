/* fit/data.c — the rows a fit sees (FitData): freeing them, and whether they can identify a
 * form's parameters (the inputs it reads are present, and each input a free parameter
 * depends on takes two or more values). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "fit.h"

void fit_data_free(FitData *d) {
    if (!d) return;
    free(d->x), free(d->loss), free(d->weight);
    memset(d, 0, sizeof *d);
}

static double input_(const LawX *x, int k) {
    return k == LAW_D ? x->depth : k == LAW_W ? x->width : k == LAW_N ? x->params : x->tokens;
}

/* Does any free parameter's gradient change when input k changes? Evaluated at the first
 * row with the fixed values and generic values (0.5 scales, 0.3 exponents) for the rest;
 * when the form is undefined there, assume it does. */
static int input_matters_(const LawForm *f, const FitData *d, const FitOptions *o, int k) {
    double p[LAW_MAXP], g0[LAW_MAXP], g1[LAW_MAXP], lo[LAW_MAXP], hi[LAW_MAXP];
    if (!o || !o->fixed) return 1;
    law_form_bounds(f, lo, hi);
    for (int i = 0; i < f->np; i++)
        p[i] = o->fixed >> i & 1 ? o->value[i] : fmin(fmax(0.3, lo[i]), hi[i]);
    int i0 = 0; /* a row that has the input (rows without depth and width do not) */
    while ((k == LAW_D || k == LAW_W) && i0 + 1 < d->n && d->x[i0].no_shape) i0++;
    LawX x0 = d->x[i0], x1 = x0;
    double *v = k == LAW_D ? &x1.depth : k == LAW_W ? &x1.width : k == LAW_N ? &x1.params : &x1.tokens;
    *v *= 2;
    double l0 = law_form_eval(f, p, &x0, g0, NULL), l1 = law_form_eval(f, p, &x1, g1, NULL);
    if (!isfinite(l0) || !isfinite(l1)) return 1;
    for (int i = 0; i < f->np; i++)
        if (!(o->fixed >> i & 1) && g0[i] != g1[i]) return 1;
    return 0;
}

/* The inputs the rows give: d->inputs, or all four when the caller built the rows by hand. */
static unsigned present_(const FitData *d) {
    return d->inputs ? d->inputs : LAW_BIT(LAW_D) | LAW_BIT(LAW_W) | LAW_BIT(LAW_N) | LAW_BIT(LAW_T);
}

int fit_check_inputs(const LawForm *f, const FitData *d) {
    unsigned need = law_form_inputs(f), have = present_(d);
    char ft[96];
    law_form_text(f, ft, sizeof ft);
    if ((need & (LAW_BIT(LAW_D) | LAW_BIT(LAW_W))) &&
        (have & (LAW_BIT(LAW_D) | LAW_BIT(LAW_W))) != (LAW_BIT(LAW_D) | LAW_BIT(LAW_W)))
        return dw_error_set(DW_EPARSE, "form '%s' needs depth and width columns (use --map)", ft);
    if ((need & LAW_BIT(LAW_N)) && !(have & LAW_BIT(LAW_N)))
        return dw_error_set(DW_EPARSE, "form '%s' needs a params column, or depth and width "
                            "columns to count N from", ft);
    if ((need & LAW_BIT(LAW_T)) && !(have & LAW_BIT(LAW_T)))
        return dw_error_set(DW_EPARSE, "form '%s' needs a tokens (or flops) column", ft);
    return DW_OK;
}

/* Multi-source rows: every row's source has an offset in the form, every free offset has
 * rows, and rows without depth and width only meet forms with a neutral shape value. */
static int check_sources_(const LawForm *f, const FitData *d, const FitOptions *o,
                          const char *ftext) {
    int have[LAW_MAX_SOURCES] = {0}, shapeless = 0;
    for (int i = 0; i < d->n; i++) {
        int s = d->x[i].source;
        if (s < 0 || s > f->nsrc || s >= LAW_MAX_SOURCES)
            return dw_error_set(DW_EINVAL, "row %d is of source %d, but the form has %d source "
                                "offsets", i + 1, s, f->nsrc);
        have[s] = 1;
        shapeless += d->x[i].no_shape;
    }
    for (int k = 1; k <= f->nsrc; k++) {
        int i = law_form_base_np(f) + k - 1;
        if (!have[k] && !(o && (o->fixed >> i & 1)))
            return dw_error_set(DW_EDATA, "source %d has no rows: its offset dE%d cannot be "
                                "fitted", k, k);
    }
    if (shapeless && shapeless == d->n && law_form_has_shape(f))
        return dw_error_set(DW_EDATA, "no row has depth and width: the shape term of form '%s' "
                            "cannot be fitted from these rows", ftext);
    if (shapeless && law_form_has_shape(f) && !law_form_shape_neutral(f))
        return dw_error_set(DW_EPARSE, "%d rows have no depth and width, and the shape term "
                            "of form '%s' has no neutral value to take them at (logsq and "
                            "shape forms have one)", shapeless, ftext);
    return DW_OK;
}

int fit_check_identifiable(const LawForm *f, const FitData *d, const FitOptions *o) {
    static const char *names[LAW_NX] = {"depth", "width", "params", "tokens"};
    unsigned in = law_form_inputs(f);
    char ftext[96];
    int rc;
    if ((rc = fit_check_inputs(f, d))) return rc;
    law_form_text(f, ftext, sizeof ftext);
    if ((rc = check_sources_(f, d, o, ftext))) return rc;
    for (int k = 0; k < LAW_NX; k++) {
        if (!(in & LAW_BIT(k)) || d->n == 0) continue;
        /* rows without depth and width (no_shape) say nothing about D and W */
        int shape_k = k == LAW_D || k == LAW_W, i0 = 0;
        while (shape_k && i0 < d->n && d->x[i0].no_shape) i0++;
        if (i0 == d->n) continue; /* no row has them: fit_check_inputs decides */
        double first = input_(&d->x[i0], k);
        int distinct = 0;
        for (int i = i0 + 1; i < d->n && !distinct; i++)
            distinct = !(shape_k && d->x[i].no_shape) && input_(&d->x[i], k) != first;
        if (!distinct && input_matters_(f, d, o, k))
            return dw_error_set(DW_EDATA,
                                "all %d rows have %s = %g, but form '%s' has a %s term: it "
                                "needs rows at two or more %s values (or fix that term's "
                                "parameters with --fix)",
                                d->n, names[k], first, ftext, names[k], names[k]);
    }
    return DW_OK;
}

int fit_data_nt_confounded(const FitData *d) {
    unsigned nt = LAW_BIT(LAW_N) | LAW_BIT(LAW_T);
    if (d->n < 2 || (d->inputs && (d->inputs & nt) != nt)) return 0;
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < d->n; i++) {
        double r = d->x[i].tokens / d->x[i].params;
        if (!isfinite(r) || r <= 0) return 0;
        lo = fmin(lo, r), hi = fmax(hi, r);
    }
    return hi <= 1.02 * lo;
}
