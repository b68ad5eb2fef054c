/* fit/persist.c — gradient persistence τ per run and across widths, critical depth per width,
 * κ and (c, β) across widths (see persist.h for the model and the paper's numbers).
 *
 * Every fit here is a straight line: ordinary least squares by gsl_fit_linear (with an
 * intercept) or gsl_fit_mul (through the origin). R² is always the centred
 * 1 − SSR/Σ(y − ȳ)², also for the fit through the origin, so the numbers compare.
 *
 * Design stance: reference code, not fast.
 */
#include "persist.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"

// ----------------------------------------------------------------------------
// helpers

/* Formats the reason into why[96] and records the same text as the error message. */
static int failv_(char *why, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static int failv_(char *why, int code, const char *fmt, va_list ap) {
    vsnprintf(why, 96, fmt, ap);
    return dw_error_set(code, "%s", why);
}

static int fail_(char *why, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_(char *why, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    failv_(why, code, fmt, ap);
    va_end(ap);
    return code;
}

/* Σ(y − ȳ)² */
static double sst_(const double *y, int n) {
    double m = 0, s = 0;
    for (int i = 0; i < n; i++) m += y[i];
    m /= n;
    for (int i = 0; i < n; i++) s += (y[i] - m) * (y[i] - m);
    return s;
}

/* Centred R² = 1 − SSR/SST; NaN when SST = 0 (y constant: nothing to explain). */
static double r2_(double ssr, const double *y, int n) {
    double sst = sst_(y, n);
    return sst > 0 ? 1.0 - ssr / sst : NAN;
}

/* y = c0 + c1·x by least squares; standard errors from GSL's covariance (s² (XᵀX)⁻¹ with
 * s² = SSR/(n − 2)). Needs n >= 3 and two distinct x. */
typedef struct {
    double c0, c1, se0, se1, ssr, r2;
} Line;

static int line_fit_(const double *x, const double *y, int n, Line *l) {
    double cov00, cov01, cov11;
    if (gsl_fit_linear(x, 1, y, 1, (size_t)n, &l->c0, &l->c1, &cov00, &cov01, &cov11, &l->ssr) !=
            GSL_SUCCESS ||
        !isfinite(l->c0) || !isfinite(l->c1))
        return dw_error_set(DW_ENOCONV, "least-squares line fit failed (gsl_fit_linear)");
    l->se0 = sqrt(fmax(cov00, 0));
    l->se1 = sqrt(fmax(cov11, 0));
    l->r2 = r2_(l->ssr, y, n);
    return DW_OK;
}

static int count_distinct_(const double *v, int n) {
    int k = 0;
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++) seen = v[j] == v[i];
        k += !seen;
    }
    return k;
}

static int cmp_double_(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

// ----------------------------------------------------------------------------
// gradient persistence

int fit_tau_run(const double *g, int L, FitTauRun *out) {
    int rc = DW_ENOMEM;
    double *x = NULL, *y = NULL; /* (L) layer index, ln g */
    if (!out) return dw_error_set(DW_EINVAL, "fit_tau_run: NULL argument");
    *out = (FitTauRun){.slope = NAN, .slope_se = NAN, .intercept = NAN, .tau = NAN,
                       .tau_se = NAN, .r2 = NAN, .nlayers = L};
    if (!g) return fail_(out->why, DW_EINVAL, "no gradient norms");
    if (L < 3) return fail_(out->why, DW_EDATA, "needs >= 3 layers, have %d", L);
    for (int l = 0; l < L; l++) {
        if (!isfinite(g[l]))
            return fail_(out->why, DW_ERANGE, "layer %d: gradient norm %g is not finite", l, g[l]);
        if (g[l] <= 0)
            return fail_(out->why, DW_ERANGE, "layer %d: gradient norm %g is not positive", l,
                         g[l]);
    }
    if (!(x = malloc((size_t)L * sizeof *x)) || !(y = malloc((size_t)L * sizeof *y))) {
        fail_(out->why, rc, "out of memory");
        goto out;
    }
    for (int l = 0; l < L; l++) x[l] = l, y[l] = log(g[l]);
    Line ln;
    if ((rc = line_fit_(x, y, L, &ln))) {
        snprintf(out->why, sizeof out->why, "%s", dw_error_get());
        goto out;
    }
    out->intercept = ln.c0;
    out->slope = ln.c1;
    out->slope_se = ln.se1;
    out->r2 = ln.r2;
    if (!(ln.c1 > 0)) {
        snprintf(out->why, sizeof out->why, "no decay toward the input (slope %.3g <= 0)", ln.c1);
        goto out; /* rc = DW_OK: a result, not an error */
    }
    out->tau = 1.0 / ln.c1;
    out->tau_se = ln.se1 / (ln.c1 * ln.c1); /* |dτ/ds| = 1/s² */
    out->ok = 1;
out:
    free(x);
    free(y);
    return rc;
}

int fit_tau_width(const double *width, const double *tau, int n, FitTauWidth *out) {
    int rc = DW_ENOMEM;
    double *lw = NULL, *lt = NULL, *t = NULL, *w = NULL; /* (m) ln W, ln τ, τ, W */
    char why[96];
    if (!out) return dw_error_set(DW_EINVAL, "fit_tau_width: NULL argument");
    *out = (FitTauWidth){.t0 = NAN, .t0_se = NAN, .beta = NAN, .beta_se = NAN, .r2_power = NAN,
                         .r2_power_tau = NAN, .a = NAN, .a_se = NAN, .b = NAN, .b_se = NAN,
                         .r2_log = NAN};
    if (!width || !tau || n < 0) return dw_error_set(DW_EINVAL, "fit_tau_width: NULL argument");
    for (int i = 0; i < n; i++)
        if (!(width[i] > 0 && isfinite(width[i])))
            return fail_(why, DW_ERANGE, "run %d: width %g must be a positive number", i, width[i]);
    size_t sz = (size_t)(n > 0 ? n : 1) * sizeof(double);
    if (!(lw = malloc(sz)) || !(lt = malloc(sz)) || !(t = malloc(sz)) || !(w = malloc(sz))) {
        dw_error_set(rc, "out of memory");
        goto out;
    }
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (!(tau[i] > 0 && isfinite(tau[i]))) {
            out->nskipped++;
            continue;
        }
        w[m] = width[i], t[m] = tau[i], lw[m] = log(width[i]), lt[m] = log(tau[i]);
        m++;
    }
    out->n = m;
    out->nwidths = count_distinct_(w, m);
    rc = DW_EDATA;
    if (m < 3) {
        fail_(why, rc, "tau(W) needs >= 3 runs with a valid tau, have %d", m);
        goto out;
    }
    if (out->nwidths < 2) {
        fail_(why, rc, "tau(W) needs runs at >= 2 distinct widths, have %d", out->nwidths);
        goto out;
    }
    /* power law: ln τ = ln t0 + β ln W */
    Line p, g;
    if ((rc = line_fit_(lw, lt, m, &p))) goto out;
    out->t0 = exp(p.c0);
    out->t0_se = out->t0 * p.se0; /* d t0 / d ln t0 = t0 */
    out->beta = p.c1;
    out->beta_se = p.se1;
    out->r2_power = p.r2;
    double ssr = 0;
    for (int i = 0; i < m; i++) {
        double e = t[i] - out->t0 * pow(w[i], out->beta);
        ssr += e * e;
    }
    out->r2_power_tau = r2_(ssr, t, m);
    /* log form: τ = a + b ln W */
    if ((rc = line_fit_(lw, t, m, &g))) goto out;
    out->a = g.c0, out->a_se = g.se0, out->b = g.c1, out->b_se = g.se1, out->r2_log = g.r2;
    rc = DW_OK;
out:
    free(lw);
    free(lt);
    free(t);
    free(w);
    return rc;
}

// ----------------------------------------------------------------------------
// critical depth

int fit_dcrit_one(const double *depth, const double *loss, int n, FitDcrit *out) {
    int rc = DW_ENOMEM;
    double *ud = NULL, *ul = NULL; /* (nd) distinct depths ascending, mean loss at each */
    int *cnt = NULL;
    if (!out) return dw_error_set(DW_EINVAL, "fit_dcrit_one: NULL argument");
    *out = (FitDcrit){.width = NAN, .tokens = NAN, .nruns = n, .kind = FIT_DCRIT_TOO_FEW,
                      .dcrit = NAN, .loss_at_min = NAN, .depth_at_min = NAN, .lo = NAN,
                      .hi = NAN, .rise_shallow = NAN, .rise_deep = NAN,
                      .rise_shallow_se = NAN, .rise_deep_se = NAN, .verdict = FIT_UCURVE_NONE};
    if (!depth || !loss || n < 0) return fail_(out->why, DW_EINVAL, "fit_dcrit_one: NULL argument");
    for (int i = 0; i < n; i++) {
        if (!(depth[i] > 0 && isfinite(depth[i])))
            return fail_(out->why, DW_ERANGE, "row %d: depth %g must be a positive number", i,
                         depth[i]);
        if (!isfinite(loss[i]))
            return fail_(out->why, DW_ERANGE, "row %d: loss %g is not finite", i, loss[i]);
    }
    size_t k1 = (size_t)(n > 0 ? n : 1);
    if (!(ud = malloc(k1 * sizeof *ud)) || !(ul = calloc(k1, sizeof *ul)) ||
        !(cnt = calloc(k1, sizeof *cnt))) {
        fail_(out->why, rc, "out of memory");
        goto out;
    }
    memcpy(ud, depth, (size_t)n * sizeof *ud);
    qsort(ud, (size_t)n, sizeof *ud, cmp_double_);
    int nd = 0;
    for (int i = 0; i < n; i++)
        if (nd == 0 || ud[i] != ud[nd - 1]) ud[nd++] = ud[i];
    for (int i = 0; i < n; i++) {
        const double *hit = bsearch(&depth[i], ud, (size_t)nd, sizeof *ud, cmp_double_);
        DW_ASSERT(hit);
        ul[hit - ud] += loss[i];
        cnt[hit - ud]++;
    }
    for (int k = 0; k < nd; k++) ul[k] /= cnt[k]; /* seeds at one depth: mean loss */
    out->ndepths = nd;
    if (nd < 3) {
        rc = fail_(out->why, DW_EDATA, "needs >= 3 distinct depths, have %d", nd);
        goto out;
    }
    int kmin = 0;
    for (int k = 1; k < nd; k++)
        if (ul[k] < ul[kmin]) kmin = k;
    out->depth_at_min = ud[kmin];
    out->loss_at_min = ul[kmin];
    rc = DW_OK;
    if (kmin == 0 || kmin == nd - 1) {
        out->kind = kmin == 0 ? FIT_DCRIT_AT_SMALLEST : FIT_DCRIT_AT_LARGEST;
        snprintf(out->why, sizeof out->why,
                 "no interior minimum: lowest loss at the %s depth (%g)",
                 kmin == 0 ? "smallest" : "largest", ud[kmin]);
        goto out;
    }
    /* Parabola in x = ln D through (x0,y0), (x1,y1), (x2,y2), Newton form:
     *   p(x) = y0 + d1 (x − x0) + c2 (x − x0)(x − x1),
     *   d1 = (y1 − y0)/(x1 − x0),  c2 = ((y2 − y1)/(x2 − x1) − d1)/(x2 − x0);
     *   p'(x*) = 0  →  x* = (x0 + x1)/2 − d1/(2 c2).
     * y1 is the first lowest (y1 < y0, y1 <= y2), so d1 < 0 <= d2, c2 > 0 and x* lies in
     * (x0, x2]. */
    double x0 = log(ud[kmin - 1]), x1 = log(ud[kmin]), x2 = log(ud[kmin + 1]);
    double y0 = ul[kmin - 1], y1 = ul[kmin], y2 = ul[kmin + 1];
    double d1 = (y1 - y0) / (x1 - x0), d2 = (y2 - y1) / (x2 - x1), c2 = (d2 - d1) / (x2 - x0);
    out->kind = FIT_DCRIT_INTERIOR;
    out->verdict = FIT_UCURVE_NOISE_UNKNOWN; /* until fit_dcrit_judge sees the noise */
    out->rise_shallow = ul[0] - ul[kmin], out->rise_deep = ul[nd - 1] - ul[kmin];
    out->n_min = cnt[kmin], out->n_shallow = cnt[0], out->n_deep = cnt[nd - 1];
    out->lo = ud[kmin - 1];
    out->hi = ud[kmin + 1];
    if (!(c2 > 0)) { /* only by rounding (losses equal to the last bit): the middle depth */
        out->dcrit = ud[kmin];
        snprintf(out->why, sizeof out->why,
                 "flat minimum: equal losses at depths %g, %g, %g",
                 ud[kmin - 1], ud[kmin], ud[kmin + 1]);
        goto out;
    }
    double xs = 0.5 * (x0 + x1) - d1 / (2 * c2);
    xs = fmin(fmax(xs, x0), x2); /* guard rounding: the vertex lies in [x0, x2] */
    out->dcrit = exp(xs);
    out->loss_at_min = y0 + d1 * (xs - x0) + c2 * (xs - x0) * (xs - x1);
    snprintf(out->why, sizeof out->why, "interior minimum between depths %g and %g", out->lo,
             out->hi);
out:
    free(ud);
    free(ul);
    free(cnt);
    return rc;
}

int fit_same_tokens(double t, double u) { return fabs(t - u) <= FIT_SAME_TOKENS_REL * fmax(t, u); }

int fit_dcrit_all(const double *depth, const double *width, const double *tokens,
                  const double *loss, int n, FitDcrit *out, int *nout) {
    int rc = DW_ENOMEM;
    double *uw = NULL, *d = NULL, *l = NULL; /* (n) distinct widths; one width's depths, losses */
    char why[96];
    if (nout) *nout = 0;
    if (!depth || !width || !loss || !out || !nout)
        return dw_error_set(DW_EINVAL, "fit_dcrit_all: NULL argument");
    if (n < 1) return dw_error_set(DW_EINVAL, "critical depth: no rows");
    for (int i = 0; i < n; i++) {
        if (!(width[i] > 0 && isfinite(width[i])))
            return fail_(why, DW_ERANGE, "row %d: width %g must be a positive number", i, width[i]);
        if (!(depth[i] > 0 && isfinite(depth[i])))
            return fail_(why, DW_ERANGE, "row %d: depth %g must be a positive number", i, depth[i]);
        if (!isfinite(loss[i]))
            return fail_(why, DW_ERANGE, "row %d: loss %g is not finite", i, loss[i]);
        if (tokens && !(tokens[i] > 0 && isfinite(tokens[i])))
            return fail_(why, DW_ERANGE, "row %d: tokens %g must be a positive number", i,
                         tokens[i]);
    }
    size_t sz = (size_t)n * sizeof(double);
    if (!(uw = malloc(sz)) || !(d = malloc(sz)) || !(l = malloc(sz))) {
        dw_error_set(rc, "out of memory");
        goto out;
    }
    memcpy(uw, width, sz);
    qsort(uw, (size_t)n, sizeof *uw, cmp_double_);
    int nw = 0, too_few = 0;
    for (int i = 0; i < n; i++)
        if (nw == 0 || uw[i] != uw[nw - 1]) uw[nw++] = uw[i];
    for (int k = 0; k < nw; k++) {
        /* the most common token count at this width: the count with the most rows within 1%
         * of it; ties go to the one with more rows exactly equal, then to the larger count */
        double tref = NAN;
        int best = 0, best_eq = 0;
        for (int i = 0; tokens && i < n; i++) {
            if (width[i] != uw[k]) continue;
            int c = 0, eq = 0;
            for (int j = 0; j < n; j++) {
                c += width[j] == uw[k] && fit_same_tokens(tokens[i], tokens[j]);
                eq += width[j] == uw[k] && tokens[i] == tokens[j];
            }
            if (c > best || (c == best && (eq > best_eq || (eq == best_eq && tokens[i] > tref))))
                best = c, best_eq = eq, tref = tokens[i];
        }
        int m = 0, dropped = 0;
        for (int i = 0; i < n; i++) {
            if (width[i] != uw[k]) continue;
            if (tokens && !fit_same_tokens(tokens[i], tref)) {
                dropped++;
                continue;
            }
            d[m] = depth[i], l[m] = loss[i], m++;
        }
        FitDcrit *o = &out[k];
        rc = fit_dcrit_one(d, l, m, o);
        if (rc != DW_OK && !(rc == DW_EDATA && o->kind == FIT_DCRIT_TOO_FEW)) goto out;
        too_few |= rc != DW_OK;
        o->width = uw[k];
        o->tokens = tref;
        o->ndropped = dropped;
    }
    if (too_few) dw_error_clear(); /* a width with too few depths is a result, not an error */
    *nout = nw;
    rc = DW_OK;
out:
    free(uw);
    free(d);
    free(l);
    return rc;
}

int fit_kappa(const double *width, const double *dcrit, int n, FitKappa *out) {
    int rc = DW_ENOMEM;
    double *lw = NULL, *dc = NULL, *ld = NULL, *w = NULL; /* (m) ln W, D_crit, ln D_crit, W */
    char why[96];
    if (!out) return dw_error_set(DW_EINVAL, "fit_kappa: NULL argument");
    *out = (FitKappa){.kappa = NAN, .kappa_se = NAN, .r2_kappa = NAN, .c = NAN, .c_se = NAN,
                      .beta = NAN, .beta_se = NAN, .r2_power = NAN};
    if (!width || !dcrit || n < 0) return dw_error_set(DW_EINVAL, "fit_kappa: NULL argument");
    for (int i = 0; i < n; i++)
        if (!(width[i] > 1 && isfinite(width[i])))
            return fail_(why, DW_ERANGE, "entry %d: width %g must be > 1 (ln W > 0)", i, width[i]);
    size_t sz = (size_t)(n > 0 ? n : 1) * sizeof(double);
    if (!(lw = malloc(sz)) || !(dc = malloc(sz)) || !(ld = malloc(sz)) || !(w = malloc(sz))) {
        dw_error_set(rc, "out of memory");
        goto out;
    }
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (!(dcrit[i] > 0 && isfinite(dcrit[i]))) continue;
        w[m] = width[i], lw[m] = log(width[i]), dc[m] = dcrit[i], ld[m] = log(dcrit[i]);
        m++;
    }
    out->n = m;
    out->nwidths = count_distinct_(w, m);
    if (out->nwidths < 2) {
        rc = fail_(out->why, DW_EDATA,
                   "kappa needs >= 2 widths with an interior minimum, have %d", out->nwidths);
        goto out;
    }
    /* D_crit = κ ln W through the origin: κ = Σxy/Σx², var κ = s²/Σx², s² = SSR/(m − 1).
     * R² is the centred 1 − SSR/Σ(D − D̄)², not the uncentred 1 − SSR/ΣD² often quoted for
     * fits through the origin (which is close to 1 for almost any data), so that it means
     * the same as the power fit's R²; it is < 0 when a constant would fit better. */
    double cov11, ssr;
    if (gsl_fit_mul(lw, 1, dc, 1, (size_t)m, &out->kappa, &cov11, &ssr) != GSL_SUCCESS ||
        !isfinite(out->kappa)) {
        rc = dw_error_set(DW_ENOCONV,
                          "least-squares fit of D_crit = kappa ln W failed (gsl_fit_mul)");
        goto out;
    }
    out->kappa_se = sqrt(fmax(cov11, 0));
    out->r2_kappa = r2_(ssr, dc, m);
    rc = DW_OK;
    if (out->nwidths < 3) {
        snprintf(out->why, sizeof out->why,
                 "power fit needs >= 3 widths with an interior minimum, have %d", out->nwidths);
        goto out;
    }
    Line p;
    if ((rc = line_fit_(lw, ld, m, &p))) goto out;
    out->has_power = 1;
    out->c = exp(p.c0);
    out->c_se = out->c * p.se0;
    out->beta = p.c1;
    out->beta_se = p.se1;
    out->r2_power = p.r2;
out:
    free(lw);
    free(dc);
    free(ld);
    free(w);
    return rc;
}

// ----------------------------------------------------------------------------
// run-to-run noise

int fit_noise_pooled(const double *depth, const double *width, const double *tokens,
                     const double *loss, int n, FitNoise *out) {
    char why[96];
    if (!out) return dw_error_set(DW_EINVAL, "fit_noise_pooled: NULL argument");
    *out = (FitNoise){.sd = NAN};
    if (!depth || !width || !loss || n < 0)
        return dw_error_set(DW_EINVAL, "fit_noise_pooled: NULL argument");
    for (int i = 0; i < n; i++)
        if (!isfinite(depth[i]) || !isfinite(width[i]) || !isfinite(loss[i]) ||
            (tokens && !isfinite(tokens[i])))
            return fail_(why, DW_ERANGE, "row %d: a depth, width, token count or loss is not finite",
                         i);
    int *cfg = malloc(sizeof *cfg * (size_t)(n > 0 ? n : 1)); /* (n) configuration's first row */
    if (!cfg) return dw_error_set(DW_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        cfg[i] = i;
        for (int j = 0; j < i; j++)
            if (cfg[j] == j && depth[j] == depth[i] && width[j] == width[i] &&
                (!tokens || fit_same_tokens(tokens[j], tokens[i]))) {
                cfg[i] = j;
                break;
            }
    }
    /* per configuration (rows whose cfg is the first row g): n_g, mean, Σ (L − mean)² */
    double ss = 0;
    for (int g = 0; g < n; g++) {
        if (cfg[g] != g) continue;
        int m = 0;
        double mean = 0;
        for (int i = g; i < n; i++)
            if (cfg[i] == g) mean += loss[i], m++;
        mean /= m;
        for (int i = g; i < n; i++)
            if (cfg[i] == g) ss += (loss[i] - mean) * (loss[i] - mean);
        out->nconfigs++;
        out->df += m - 1;
        if (m > 1) out->nrepeated++, out->nruns_repeated += m;
    }
    if (out->df > 0) out->sd = sqrt(ss / out->df);
    free(cfg);
    return DW_OK;
}

void fit_dcrit_judge(FitDcrit *dc, const FitNoise *noise) {
    if (!dc) return;
    dc->rise_shallow_se = dc->rise_deep_se = NAN;
    if (dc->kind != FIT_DCRIT_INTERIOR) {
        dc->verdict = FIT_UCURVE_NONE;
        return;
    }
    if (!noise || noise->df < 1 || !isfinite(noise->sd) || dc->n_min < 1 || dc->n_shallow < 1 ||
        dc->n_deep < 1) {
        dc->verdict = FIT_UCURVE_NOISE_UNKNOWN;
        return;
    }
    double s = noise->sd;
    dc->rise_shallow_se = s * sqrt(1.0 / dc->n_shallow + 1.0 / dc->n_min);
    dc->rise_deep_se = s * sqrt(1.0 / dc->n_deep + 1.0 / dc->n_min);
    int beyond = dc->rise_shallow > FIT_UCURVE_SE_MULT * dc->rise_shallow_se &&
                 dc->rise_deep > FIT_UCURVE_SE_MULT * dc->rise_deep_se;
    dc->verdict = beyond ? FIT_UCURVE_BEYOND_NOISE : FIT_UCURVE_WITHIN_NOISE;
}

const char *fit_ucurve_text(const FitDcrit *dc, const FitNoise *noise, char *buf, size_t size) {
    if (!buf || size == 0) return buf;
    buf[0] = 0;
    if (!dc) return buf;
    switch (dc->verdict) {
    case FIT_UCURVE_NONE: break;
    case FIT_UCURVE_NOISE_UNKNOWN:
        snprintf(buf, size,
                 "run-to-run noise unknown (one run per configuration): the loss rises %.3g "
                 "toward the shallowest depth and %.3g toward the deepest, not compared with "
                 "any noise",
                 dc->rise_shallow, dc->rise_deep);
        break;
    case FIT_UCURVE_BEYOND_NOISE:
    case FIT_UCURVE_WITHIN_NOISE: {
        int beyond = dc->verdict == FIT_UCURVE_BEYOND_NOISE;
        snprintf(buf, size,
                 "%s the run-to-run noise: the loss rises %.3g ± %.2g toward the shallowest "
                 "depth and %.3g ± %.2g toward the deepest (%s %g SE; noise SD %.3g, %d df)",
                 beyond ? "beyond" : "within", dc->rise_shallow, dc->rise_shallow_se,
                 dc->rise_deep, dc->rise_deep_se, beyond ? "each >" : "a U needs both >",
                 FIT_UCURVE_SE_MULT, noise ? noise->sd : NAN, noise ? noise->df : 0);
        break;
    }
    }
    return buf;
}

const char *fit_ucurve_name(FitUcurveVerdict v) {
    switch (v) {
    case FIT_UCURVE_NOISE_UNKNOWN: return "noise_unknown";
    case FIT_UCURVE_BEYOND_NOISE: return "beyond_noise";
    case FIT_UCURVE_WITHIN_NOISE: return "within_noise";
    default: return "none";
    }
}
