/* fit/fit.c — grid-started, bounded fitting of law forms (see fit.h for the method).
 *
 * Free parameters live in an unconstrained vector z; p(z) applies the bound transform.
 * Residuals r_i(p) are in the objective's space (L or ln L) times sqrt(w_i); the Jacobian
 * comes from law_form_eval's analytic parameter gradient, chained through dp/dz.
 */
#include "fit.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_multimin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"

// ----------------------------------------------------------------------------
// parameter roles

typedef enum { ROLE_NONLINEAR, ROLE_LINEAR, ROLE_LOGLINEAR } Role;

/* Which parameters enter L linearly (their gradient does not depend on their own value):
 * scale factors E, A, B, P, R and F1's gamma; separable's e and c_X enter as exp(·). */
static Role role_(const LawForm *f, int i) {
    const char *n = f->names[i];
    if (i >= law_form_base_np(f)) return ROLE_LINEAR; /* a source offset dE<k> */
    if (f->id == LAW_SEPARABLE) return (n[0] == 'e' || n[0] == 'c') ? ROLE_LOGLINEAR : ROLE_NONLINEAR;
    if (!strcmp(n, "E") || !strcmp(n, "A") || !strcmp(n, "B") || !strcmp(n, "P") ||
        !strcmp(n, "R"))
        return ROLE_LINEAR;
    if (f->id == LAW_LOGSQ && !strcmp(n, "gamma")) return ROLE_LINEAR;
    return ROLE_NONLINEAR;
}

/* Start values tried for a nonlinear parameter. */
static int grid_values_(const LawForm *f, int i, int g, double *v) {
    const char *n = f->names[i];
    double lo, hi;
    int logspace = 1;
    if (!strcmp(n, "beta")) lo = 0.0, hi = 1.0, logspace = 0;
    else if (!strcmp(n, "gamma")) lo = 0.05, hi = 5.0;
    else if (!strcmp(n, "kappa")) lo = 0.5, hi = 8.0;
    else if (!strcmp(n, "c") && f->id == LAW_SHAPE) lo = 0.2, hi = 5.0;
    else if (!strcmp(n, "d0") || !strcmp(n, "t0")) lo = 0.5, hi = 8.0;
    else lo = 0.05, hi = 1.0; /* exponents: alpha, delta, a, c (F3), a_X */
    if (g == 1) {
        v[0] = logspace ? sqrt(lo * hi) : 0.5 * (lo + hi);
        return 1;
    }
    for (int k = 0; k < g; k++) {
        double t = (double)k / (g - 1);
        v[k] = logspace ? lo * pow(hi / lo, t) : lo + (hi - lo) * t;
    }
    return g;
}

// ----------------------------------------------------------------------------
// bound transforms

static double to_p_(double z, double lo, double hi, double *dpdz) {
    if (isfinite(lo) && isfinite(hi)) {
        double s = 1.0 / (1.0 + exp(-z));
        *dpdz = (hi - lo) * s * (1.0 - s);
        return lo + (hi - lo) * s;
    }
    if (isfinite(lo)) {
        double e = exp(z);
        *dpdz = e;
        return lo + e;
    }
    if (isfinite(hi)) {
        double e = exp(z);
        *dpdz = -e;
        return hi - e;
    }
    *dpdz = 1.0;
    return z;
}

static double to_z_(double p, double lo, double hi) {
    double eps = 1e-12 * fmax(1.0, fabs(p));
    if (isfinite(lo) && isfinite(hi)) {
        double s = (p - lo) / (hi - lo);
        s = fmin(fmax(s, 1e-9), 1.0 - 1e-9);
        return log(s / (1.0 - s));
    }
    if (isfinite(lo)) return log(fmax(p - lo, eps));
    if (isfinite(hi)) return log(fmax(hi - p, eps));
    return p;
}

typedef struct {
    const LawForm *f;
    const FitData *d;
    const FitOptions *o;
    int nfree;
    int idx[LAW_MAXP]; /* free slot k -> parameter index */
    double base[LAW_MAXP];
    int tie_b, tie_a;  /* p[tie_b] = tie_k · p[tie_a] (the anchor); tie_b < 0: none */
    double tie_k;
    const double *sw;  /* per-row sqrt weights for the least-squares callbacks (IRLS); NULL:
                        * sqrt of the user's weights */
} Problem;

static double row_sw_(const Problem *pr, int j) {
    return pr->sw ? pr->sw[j] : sqrt(pr->d->weight ? pr->d->weight[j] : 1.0);
}

static void unpack_(const Problem *pr, const double *z, double *p, double *dpdz) {
    memcpy(p, pr->base, sizeof pr->base);
    for (int k = 0; k < pr->nfree; k++) {
        int i = pr->idx[k];
        p[i] = to_p_(z[k], pr->o->lo[i], pr->o->hi[i], &dpdz[k]);
    }
    if (pr->tie_b >= 0) p[pr->tie_b] = pr->tie_k * p[pr->tie_a];
}

/* Folds the gradient of a tied parameter into its source (chain rule through the tie). */
static void fold_tie_(const Problem *pr, double *grad) {
    if (pr->tie_b >= 0) grad[pr->tie_a] += pr->tie_k * grad[pr->tie_b];
}

/* residual of row j in the objective's space (unweighted); NaN when undefined */
static double resid_(const Problem *pr, const double *p, int j, double *grad) {
    double lhat = law_form_eval(pr->f, p, &pr->d->x[j], grad, NULL);
    double l = pr->d->loss[j];
    double r, scale = 1.0;
    if (grad) fold_tie_(pr, grad);
    if (pr->o->objective == FIT_LSQ) {
        r = lhat - l;
    } else {
        if (grad && lhat > 0)
            for (int i = 0; i < pr->f->np; i++) grad[i] /= lhat;
        r = lhat > 0 ? log(lhat) - log(l) : NAN;
    }
    /* asymmetric penalty: over-predictions weigh (1 + asym) in squared objectives */
    if (pr->o->asym > 0 && r > 0) scale = sqrt(1.0 + pr->o->asym);
    if (scale != 1.0 && grad)
        for (int i = 0; i < pr->f->np; i++) grad[i] *= scale;
    return r * scale;
}

static double huber_(double r, double delta, double *psi) {
    double a = fabs(r);
    if (a <= delta) {
        if (psi) *psi = r;
        return 0.5 * r * r;
    }
    if (psi) *psi = r > 0 ? delta : -delta;
    return delta * (a - 0.5 * delta);
}

static double weight_(const FitData *d, int j) { return d->weight ? d->weight[j] : 1.0; }

double fit_objective(const LawForm *f, const double *p, const FitData *d, const FitOptions *o) {
    Problem pr = {.f = f, .d = d, .o = o, .tie_b = -1};
    double s = 0;
    for (int j = 0; j < d->n; j++) {
        double r = resid_(&pr, p, j, NULL);
        if (!isfinite(r)) return NAN;
        s += weight_(d, j) *
             (o->objective == FIT_HUBER_LOG ? huber_(r, o->huber_delta, NULL) : r * r);
    }
    return s;
}

double fit_huber_log(const LawForm *f, const double *p, const FitData *d, double delta) {
    FitOptions o;
    fit_options_default(&o, f);
    o.objective = FIT_HUBER_LOG;
    o.huber_delta = delta;
    return fit_objective(f, p, d, &o);
}

// ----------------------------------------------------------------------------
// GSL callbacks: least squares

static int lsq_f_(const gsl_vector *z, void *arg, gsl_vector *fv) {
    const Problem *pr = arg;
    double p[LAW_MAXP], dpdz[LAW_MAXP];
    unpack_(pr, z->data, p, dpdz);
    for (int j = 0; j < pr->d->n; j++) {
        double r = resid_(pr, p, j, NULL);
        if (!isfinite(r)) return GSL_EDOM;
        gsl_vector_set(fv, j, row_sw_(pr, j) * r);
    }
    return GSL_SUCCESS;
}

static int lsq_df_(const gsl_vector *z, void *arg, gsl_matrix *J) {
    const Problem *pr = arg;
    double p[LAW_MAXP], dpdz[LAW_MAXP], g[LAW_MAXP];
    unpack_(pr, z->data, p, dpdz);
    for (int j = 0; j < pr->d->n; j++) {
        double sw = row_sw_(pr, j);
        double r = resid_(pr, p, j, g);
        if (!isfinite(r)) return GSL_EDOM;
        for (int k = 0; k < pr->nfree; k++)
            gsl_matrix_set(J, j, k, sw * g[pr->idx[k]] * dpdz[k]);
    }
    return GSL_SUCCESS;
}

/* 1 when the least-squares gradient Jᵀf at the workspace's position is zero to GSL's gtol
 * scaling (|g_k|·max(|z_k|, 1) <= 1e-6·max(½‖f‖², 1)): the point is an optimum to working
 * precision, whatever the driver said. */
static int lsq_at_optimum_(gsl_multifit_nlinear_workspace *w) {
    const gsl_matrix *J = gsl_multifit_nlinear_jac(w);
    const gsl_vector *f = gsl_multifit_nlinear_residual(w), *z = gsl_multifit_nlinear_position(w);
    double phi = 0.5 * gsl_blas_dnrm2(f) * gsl_blas_dnrm2(f), gmax = 0;
    for (size_t k = 0; k < J->size2; k++) {
        double g = 0;
        for (size_t j = 0; j < J->size1; j++) g += gsl_matrix_get(J, j, k) * gsl_vector_get(f, j);
        gmax = fmax(gmax, fabs(g) * fmax(fabs(gsl_vector_get(z, k)), 1.0));
    }
    return isfinite(gmax) && gmax <= 1e-6 * fmax(phi, 1.0);
}

/* Refines z in place by trust-region least squares; returns the GSL status. GSL's driver
 * reports GSL_EMAXITER (with info GSL_ENOPROG) when its first iteration finds no step that
 * lowers the objective: at an exact optimum (a warm start from the solution) that is
 * convergence; elsewhere it is GSL_ENOPROG (stalled), not an iteration limit. */
static int refine_lsq_(Problem *pr, double *z, int *iters) {
    const gsl_multifit_nlinear_type *T = gsl_multifit_nlinear_trust;
    gsl_multifit_nlinear_parameters params = gsl_multifit_nlinear_default_parameters();
    gsl_multifit_nlinear_fdf fdf = {.f = lsq_f_, .df = lsq_df_, .n = pr->d->n,
                                    .p = pr->nfree, .params = pr};
    gsl_multifit_nlinear_workspace *w =
        gsl_multifit_nlinear_alloc(T, &params, pr->d->n, pr->nfree);
    if (!w) return GSL_ENOMEM;
    gsl_vector_view zv = gsl_vector_view_array(z, pr->nfree);
    int info = 0, status = gsl_multifit_nlinear_init(&zv.vector, &fdf, w);
    if (status == GSL_SUCCESS)
        status = gsl_multifit_nlinear_driver(pr->o->max_iter, 1e-12, 1e-12, 1e-14, NULL, NULL,
                                             &info, w);
    *iters = (int)gsl_multifit_nlinear_niter(w);
    if (status == GSL_EMAXITER && (info == GSL_ENOPROG || *iters == 0) &&
        *iters < pr->o->max_iter)
        status = lsq_at_optimum_(w) ? GSL_SUCCESS : GSL_ENOPROG;
    if (status == GSL_SUCCESS || status == GSL_EMAXITER || status == GSL_ENOPROG) {
        gsl_vector *x = gsl_multifit_nlinear_position(w);
        memcpy(z, x->data, sizeof(double) * pr->nfree);
    }
    gsl_multifit_nlinear_free(w);
    return status;
}

// ----------------------------------------------------------------------------
// GSL callbacks: Huber

static double hub_f_(const gsl_vector *z, void *arg) {
    const Problem *pr = arg;
    double p[LAW_MAXP], dpdz[LAW_MAXP];
    unpack_(pr, z->data, p, dpdz);
    double v = fit_objective(pr->f, p, pr->d, pr->o);
    return isfinite(v) ? v : GSL_POSINF;
}

static void hub_fdf_(const gsl_vector *z, void *arg, double *fval, gsl_vector *grad) {
    const Problem *pr = arg;
    double p[LAW_MAXP], dpdz[LAW_MAXP], g[LAW_MAXP], s = 0;
    unpack_(pr, z->data, p, dpdz);
    gsl_vector_set_zero(grad);
    for (int j = 0; j < pr->d->n; j++) {
        double psi, r = resid_(pr, p, j, g);
        if (!isfinite(r)) {
            *fval = GSL_POSINF;
            return;
        }
        double w = weight_(pr->d, j);
        s += w * huber_(r, pr->o->huber_delta, &psi);
        for (int k = 0; k < pr->nfree; k++)
            grad->data[k] += w * psi * g[pr->idx[k]] * dpdz[k];
    }
    *fval = s;
}

static void hub_df_(const gsl_vector *z, void *arg, gsl_vector *grad) {
    double f;
    hub_fdf_(z, arg, &f, grad);
}

/* Huber by iteratively reweighted least squares: at residuals r0 the quadratic
 * (ψ(r0)/2r0)·r² majorises huber(r) (ψ(r0)/r0 = min(1, δ/|r0|)), so a few trust-region
 * steps on the reweighted least-squares problem never raise the Huber objective (an MM
 * algorithm). It gets close fast where BFGS on the kinked objective crawls; BFGS then
 * polishes. Returns GSL_SUCCESS when the objective stopped moving. */
static int refine_irls_(Problem *pr, double *z, int *iters) {
    const int n = pr->d->n, m = pr->nfree;
    gsl_multifit_nlinear_parameters params = gsl_multifit_nlinear_default_parameters();
    /* n >> p: the normal equations (p × p Cholesky) cost far less than a QR of J; each
     * round starts from the previous point, so their weaker conditioning does not matter */
    params.solver = gsl_multifit_nlinear_solver_cholesky;
    gsl_multifit_nlinear_fdf fdf = {.f = lsq_f_, .df = lsq_df_, .n = n, .p = m, .params = pr};
    gsl_multifit_nlinear_workspace *w = gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust,
                                                                   &params, n, m);
    double *sw = malloc(sizeof(double) * n), p[LAW_MAXP], dpdz[LAW_MAXP];
    int status = GSL_EMAXITER, it = 0;
    if (!w || !sw) {
        status = GSL_ENOMEM;
        goto out;
    }
    unpack_(pr, z, p, dpdz);
    double h = fit_objective(pr->f, p, pr->d, pr->o);
    for (int outer = 0; outer < pr->o->max_iter && isfinite(h); outer++) {
        for (int j = 0; j < n; j++) {
            double r = resid_(pr, p, j, NULL), a = fabs(r);
            double hw = a > pr->o->huber_delta ? pr->o->huber_delta / a : 1.0;
            sw[j] = sqrt(weight_(pr->d, j) * hw);
        }
        pr->sw = sw;
        gsl_vector_view zv = gsl_vector_view_array(z, m);
        if (gsl_multifit_nlinear_init(&zv.vector, &fdf, w) != GSL_SUCCESS) break;
        for (int k = 0; k < 5; k++, it++)
            if (gsl_multifit_nlinear_iterate(w) != GSL_SUCCESS) break;
        pr->sw = NULL;
        double zn[LAW_MAXP], pn[LAW_MAXP];
        memcpy(zn, gsl_multifit_nlinear_position(w)->data, sizeof(double) * m);
        unpack_(pr, zn, pn, dpdz);
        double hn = fit_objective(pr->f, pn, pr->d, pr->o);
        if (!(hn <= h)) break; /* no progress: z stays at the best point */
        memcpy(z, zn, sizeof(double) * m);
        memcpy(p, pn, sizeof p);
        int done = h - hn <= pr->o->ftol * h;
        h = hn;
        if (done) {
            status = GSL_SUCCESS;
            break;
        }
    }
out:
    pr->sw = NULL;
    *iters = it;
    free(sw);
    gsl_multifit_nlinear_free(w);
    return status;
}

static int refine_huber_(Problem *pr, double *z, int *iters) {
    gsl_multimin_function_fdf fn = {.f = hub_f_, .df = hub_df_, .fdf = hub_fdf_,
                                    .n = pr->nfree, .params = pr};
    gsl_multimin_fdfminimizer *m =
        gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, pr->nfree);
    if (!m) return GSL_ENOMEM;
    gsl_vector_view zv = gsl_vector_view_array(z, pr->nfree);
    int status = gsl_multimin_fdfminimizer_set(m, &fn, &zv.vector, 0.01, 0.1);
    int it = 0;
    while (status == GSL_SUCCESS && it < pr->o->max_iter) {
        it++;
        status = gsl_multimin_fdfminimizer_iterate(m);
        if (status) break;
        status = gsl_multimin_test_gradient(m->gradient, 1e-12);
        if (status == GSL_SUCCESS) break;
        if (status == GSL_CONTINUE) status = GSL_SUCCESS;
    }
    /* BFGS2 reports ENOPROG when the line search cannot improve: at a minimum to
     * machine precision, which counts as converged if the gradient is small */
    if (status == GSL_ENOPROG && gsl_blas_dnrm2(m->gradient) < 1e-6) status = GSL_SUCCESS;
    if (it >= pr->o->max_iter && status == GSL_SUCCESS &&
        gsl_multimin_test_gradient(m->gradient, 1e-12) != GSL_SUCCESS)
        status = GSL_EMAXITER;
    memcpy(z, m->x->data, sizeof(double) * pr->nfree);
    *iters = it;
    gsl_multimin_fdfminimizer_free(m);
    return status;
}

// ----------------------------------------------------------------------------
// starts: grid over nonlinear parameters, linear ones by least squares

/* Given the nonlinear values in p, solves the free linear parameters by least squares
 * on L (in log space the problem is not linear; L-space is a good start either way).
 * Returns the start's objective, or NaN. */
static double solve_linear_(Problem *pr, double *p, const int *lin, int nlin, gsl_matrix *X,
                            gsl_vector *y, gsl_vector *c, gsl_matrix *cov, gsl_multifit_linear_workspace *ws) {
    const LawForm *f = pr->f;
    const FitData *d = pr->d;
    double g[LAW_MAXP], q[LAW_MAXP];
    if (nlin > 0) {
        memcpy(q, p, sizeof q);
        for (int k = 0; k < nlin; k++) q[lin[k]] = 0.0; /* LINEAR: term off; LOGLINEAR: exp(0) = 1 */
        if (pr->tie_b >= 0) q[pr->tie_b] = 0.0;
        for (int j = 0; j < d->n; j++) {
            double sw = sqrt(weight_(d, j));
            double l0 = law_form_eval(f, q, &d->x[j], g, NULL);
            if (!isfinite(l0)) return NAN;
            /* l0 = value with the linear parameters at zero: for LINEAR ones that removes their
             * terms; for LOGLINEAR ones exp(0) = 1 leaves each term with coefficient 1, so
             * subtract those terms (their gradients) to get the offset */
            double off = l0;
            fold_tie_(pr, g);
            for (int k = 0; k < nlin; k++) {
                double col = g[lin[k]];
                if (role_(f, lin[k]) == ROLE_LOGLINEAR) off -= col;
                gsl_matrix_set(X, j, k, sw * col);
            }
            gsl_vector_set(y, j, sw * (d->loss[j] - off));
        }
        double chisq;
        size_t rank;
        if (gsl_multifit_linear_tsvd(X, y, 1e-12, c, cov, &chisq, &rank, ws)) return NAN;
        for (int k = 0; k < nlin; k++) {
            int i = lin[k];
            double v = gsl_vector_get(c, k);
            if (role_(f, i) == ROLE_LOGLINEAR) {
                p[i] = log(fmax(v, 1e-12 * fabs(d->loss[0])));
            } else {
                double lo = pr->o->lo[i], hi = pr->o->hi[i];
                double span = isfinite(lo) && isfinite(hi) ? hi - lo : fmax(fabs(v), 1.0);
                if (!(v > lo)) v = lo + 1e-3 * span;
                if (!(v < hi)) v = hi - 1e-3 * span;
                p[i] = v;
            }
        }
        if (pr->tie_b >= 0) p[pr->tie_b] = pr->tie_k * p[pr->tie_a];
    }
    return fit_objective(f, p, d, pr->o);
}

// ----------------------------------------------------------------------------
// covariance and statistics

/* Asymptotic covariance s²·(JᵀJ)⁻¹ at p over the free parameters, and what the Jacobian
 * says the data cannot tell. A free parameter whose effect vanishes (column norm times
 * max(|p|, 1) below 1e-9 of the largest: its term is gone) is pinned: a log-amplitude (separable e, c_X) sits on its
 * implicit bound exp(·) → 0 (on_bound); another is unidentified unless already on a bound
 * (alpha when A = 0). The other columns are scaled to unit norm and decomposed; a singular
 * value below 1e-10 of the largest is a direction the rows cannot see, and each parameter
 * with weight >= 0.05 in it is unidentified: then there is no covariance. Pinned parameters
 * get no standard error; the rest get theirs with the pinned ones held where they are. */
static void covariance_(const Problem *pr, const double *p, FitResult *r) {
    const int n = pr->d->n, m = pr->nfree, np = pr->f->np;
    double g[LAW_MAXP], norm[LAW_MAXP], ssr = 0, nmax = 0;
    int keep[LAW_MAXP], mk = 0;
    memset(r->se, 0, sizeof r->se);
    memset(r->cov, 0, sizeof r->cov);
    r->has_cov = 0;
    if (m == 0) return;
    gsl_matrix *J = gsl_matrix_alloc(n, m), *V = NULL;
    gsl_vector *S = NULL, *work = NULL;
    if (!J) return;
    for (int j = 0; j < n; j++) {
        double sw = sqrt(weight_(pr->d, j)), res = resid_(pr, p, j, g);
        ssr += weight_(pr->d, j) * res * res;
        for (int k = 0; k < m; k++) gsl_matrix_set(J, j, k, sw * g[pr->idx[k]]);
    }
    /* effect of a parameter: its column's norm times its scale (max(|p|, 1)), so a large
     * amplitude with a small column (B ~ 1e6 over T^-1) is not taken for no effect */
    double eff[LAW_MAXP];
    for (int k = 0; k < m; k++) {
        gsl_vector_view c = gsl_matrix_column(J, k);
        norm[k] = gsl_blas_dnrm2(&c.vector);
        eff[k] = norm[k] * fmax(fabs(p[pr->idx[k]]), 1.0);
        if (isfinite(eff[k])) nmax = fmax(nmax, eff[k]);
    }
    for (int k = 0; k < m; k++) {
        unsigned bit = 1u << pr->idx[k];
        if (eff[k] > 1e-9 * nmax && isfinite(eff[k]) && norm[k] > 0) {
            /* packed in place: column k moves to column mk, scaled to unit norm */
            gsl_vector_view src = gsl_matrix_column(J, k), dst = gsl_matrix_column(J, mk);
            gsl_vector_memcpy(&dst.vector, &src.vector);
            gsl_vector_scale(&dst.vector, 1.0 / norm[k]);
            keep[mk++] = k;
        } else if (role_(pr->f, pr->idx[k]) == ROLE_LOGLINEAR) {
            r->on_bound |= bit;
        } else if (!(r->on_bound & bit)) {
            r->unidentified |= bit;
        }
    }
    if (mk == 0) goto out;
    gsl_matrix_view Jk = gsl_matrix_submatrix(J, 0, 0, n, mk);
    V = gsl_matrix_alloc(mk, mk), S = gsl_vector_alloc(mk), work = gsl_vector_alloc(mk);
    if (!V || !S || !work || gsl_linalg_SV_decomp(&Jk.matrix, V, S, work)) goto out;
    double smax = gsl_vector_get(S, 0);
    int deficient = 0;
    for (int k = 0; k < mk; k++) {
        if (gsl_vector_get(S, k) > 1e-10 * smax) continue;
        deficient = 1;
        for (int a = 0; a < mk; a++)
            if (fabs(gsl_matrix_get(V, a, k)) >= 0.05) r->unidentified |= 1u << pr->idx[keep[a]];
    }
    if (deficient || n <= m) goto out;
    double s2 = ssr / (n - m);
    for (int a = 0; a < mk; a++)
        for (int b = 0; b < mk; b++) {
            double v = 0;
            for (int k = 0; k < mk; k++) {
                double sk = gsl_vector_get(S, k);
                v += gsl_matrix_get(V, a, k) * gsl_matrix_get(V, b, k) / (sk * sk);
            }
            r->cov[pr->idx[keep[a]] * np + pr->idx[keep[b]]] = s2 * v / (norm[keep[a]] * norm[keep[b]]);
        }
    if (pr->tie_b >= 0) {
        /* B = k·A: its row and column are k times A's */
        int a = pr->tie_a, b = pr->tie_b;
        for (int i = 0; i < np; i++) {
            r->cov[b * np + i] = pr->tie_k * r->cov[a * np + i];
            r->cov[i * np + b] = pr->tie_k * r->cov[i * np + a];
        }
        r->cov[b * np + b] = pr->tie_k * pr->tie_k * r->cov[a * np + a];
        r->se[b] = sqrt(r->cov[b * np + b]);
    }
    for (int a = 0; a < mk; a++) {
        int i = pr->idx[keep[a]];
        r->se[i] = sqrt(r->cov[i * np + i]);
    }
    r->has_cov = 1;
out:
    gsl_matrix_free(J);
    gsl_matrix_free(V);
    gsl_vector_free(S);
    gsl_vector_free(work);
}

void fit_stats(const LawForm *f, const double *p, const FitData *d, FitObjective obj, int nfree,
               LawFitInfo *info) {
    double mean = 0, meanl = 0, ssr = 0, sst = 0, ssrl = 0, sstl = 0, maxe = 0;
    for (int j = 0; j < d->n; j++) mean += d->loss[j], meanl += log(d->loss[j]);
    mean /= d->n, meanl /= d->n;
    for (int j = 0; j < d->n; j++) {
        double lhat = law_form_eval(f, p, &d->x[j], NULL, NULL), l = d->loss[j];
        double e = lhat - l, el = log(lhat) - log(l);
        ssr += e * e, sst += (l - mean) * (l - mean);
        ssrl += el * el, sstl += (log(l) - meanl) * (log(l) - meanl);
        if (fabs(e) > maxe || !isfinite(e)) maxe = fabs(e);
    }
    info->n = d->n;
    info->r2 = 1.0 - ssr / sst;
    info->r2_log = 1.0 - ssrl / sstl;
    info->rmse = sqrt(ssr / d->n);
    info->max_abs_err = maxe;
    double s = obj == FIT_LSQ ? ssr : ssrl;
    /* Gaussian log-likelihood up to a constant; s can be 0 for an exact fit */
    double ll = d->n * log(fmax(s, 1e-300) / d->n);
    info->aic = ll + 2.0 * nfree;
    info->bic = ll + nfree * log((double)d->n);
}

// ----------------------------------------------------------------------------
// driver

void fit_options_default(FitOptions *o, const LawForm *f) {
    memset(o, 0, sizeof *o);
    o->objective = FIT_LSQ;
    o->huber_delta = 1e-3;
    law_form_bounds(f, o->lo, o->hi);
    o->grid = 6;
    o->max_starts = 20000;
    o->refine = 8;
    o->max_iter = 500;
    o->ftol = 1e-14;
}

void fit_options_of_law(const Law *law, FitOptions *o) {
    const char *k = law->fit.objective_kind; /* as fit_run writes it (below) */
    fit_options_default(o, &law->form);
    if (!strncmp(k, "huber-log", 9)) {
        o->objective = FIT_HUBER_LOG;
        double d = k[9] == ':' ? strtod(k + 10, NULL) : NAN;
        if (d > 0 && isfinite(d)) o->huber_delta = d;
    } else if (!strcmp(k, "lsq-log")) {
        o->objective = FIT_LSQ_LOG;
    }
    o->fixed = law->fixed;
    for (int i = 0; i < law->form.np; i++) o->value[i] = law->p[i];
    o->has_start = 1;
    o->ftol = 1e-10;
    memcpy(o->start, law->p, sizeof o->start);
}

int fit_options_fix(FitOptions *o, const LawForm *f, const char *name, double value) {
    int i = law_form_param_index(f, name);
    if (i < 0) {
        char list[256] = "";
        for (int k = 0; k < f->np; k++) {
            strncat(list, k ? ", " : "", sizeof list - strlen(list) - 1);
            strncat(list, f->names[k], sizeof list - strlen(list) - 1);
        }
        return dw_error_set(DW_ENOTFOUND, "--fix %s: the form has no parameter '%s' (it has %s)",
                            name, name, list);
    }
    o->fixed |= 1u << i;
    o->value[i] = value;
    return DW_OK;
}

typedef struct {
    double obj;
    double p[LAW_MAXP];
    int edge;
} Start;

static int start_cmp_(const void *a, const void *b) {
    double x = ((const Start *)a)->obj, y = ((const Start *)b)->obj;
    if (!isfinite(x)) return isfinite(y) ? 1 : 0;
    if (!isfinite(y)) return -1;
    return (x > y) - (x < y);
}

/* The problem's free parameters (linear and nonlinear), fixed values and the --optimal-at
 * tie of B to A. */
static int setup_(Problem *pr, int *lin, int *nlin, int *nl, int *nnl) {
    const LawForm *f = pr->f;
    const FitOptions *o = pr->o;
    if (o->anchor_n > 0 || o->anchor_t > 0) {
        int ia = law_form_param_index(f, "A"), ib = law_form_param_index(f, "B");
        int ial = law_form_param_index(f, "alpha"), ide = law_form_param_index(f, "delta");
        if (ia < 0 || ib < 0 || ial < 0 || ide < 0 || !(o->anchor_n > 0 && o->anchor_t > 0))
            return dw_error_set(DW_EINVAL, "an optimum anchor needs a form with A, alpha, B, "
                                "delta and positive N0 and T0");
        if (!(o->fixed >> ial & 1) || !(o->fixed >> ide & 1) || (o->fixed >> ib & 1))
            return dw_error_set(DW_EINVAL, "an optimum anchor needs alpha and delta fixed and "
                                "B free (B is derived from A)");
        double al = o->value[ial], de = o->value[ide];
        pr->tie_a = ia;
        pr->tie_b = ib;
        pr->tie_k = al / de * exp(-al * log(o->anchor_n) + de * log(o->anchor_t));
    }
    *nlin = *nnl = 0;
    for (int i = 0; i < f->np; i++) {
        if (i == pr->tie_b) continue;
        if (o->fixed >> i & 1) {
            pr->base[i] = o->value[i];
            continue;
        }
        pr->idx[pr->nfree++] = i;
        if (role_(f, i) == ROLE_NONLINEAR) nl[(*nnl)++] = i;
        else lin[(*nlin)++] = i;
    }
    if (pr->d->n < pr->nfree)
        return dw_error_set(DW_EDATA, "%d rows cannot determine %d free parameters", pr->d->n,
                            pr->nfree);
    return DW_OK;
}

/* Linear least-squares workspace for the grid's variable projection. */
typedef struct {
    gsl_matrix *X, *cov;
    gsl_vector *y, *c;
    gsl_multifit_linear_workspace *ws;
} LinWork;

static void linwork_free_(LinWork *w) {
    gsl_matrix_free(w->X);
    gsl_matrix_free(w->cov);
    gsl_vector_free(w->y);
    gsl_vector_free(w->c);
    gsl_multifit_linear_free(w->ws);
}

/* The starts, sorted best first: the caller's warm start, or a grid over the free nonlinear
 * parameters with the linear ones solved at each point. *starts is new (caller frees). */
static int starts_(Problem *pr, const int *lin, int nlin, const int *nl, int nnl,
                   Start **out, long *ntotal) {
    const LawForm *f = pr->f;
    const FitOptions *o = pr->o;
    const FitData *d = pr->d;
    static const int gmax = 128;
    double gv[LAW_MAXP][128];
    int gn[LAW_MAXP], rc = DW_OK;
    LinWork w = {0};
    /* the grid: each free nonlinear parameter gets g values; cap the product */
    int g = o->grid < 1 ? 1 : o->grid > gmax ? gmax : o->grid;
    long total = 1;
    for (int k = 0; k < nnl; k++) total *= (gn[k] = grid_values_(f, nl[k], g, gv[k]));
    while (total > o->max_starts && g > 2) {
        g--;
        total = 1;
        for (int k = 0; k < nnl; k++) total *= (gn[k] = grid_values_(f, nl[k], g, gv[k]));
    }
    if (o->has_start) total = 1;
    Start *starts = calloc((size_t)total, sizeof *starts);
    if (nlin) {
        w.X = gsl_matrix_alloc(d->n, nlin), w.y = gsl_vector_alloc(d->n);
        w.c = gsl_vector_alloc(nlin), w.cov = gsl_matrix_alloc(nlin, nlin);
        w.ws = gsl_multifit_linear_alloc(d->n, nlin);
    }
    if (!starts || (nlin && (!w.X || !w.y || !w.c || !w.cov || !w.ws))) {
        free(starts);
        linwork_free_(&w);
        return dw_error_set(DW_ENOMEM, "out of memory for %ld fit starts", total);
    }
    if (o->has_start) {
        /* a warm start: the caller's point, no grid */
        memcpy(starts[0].p, o->start, sizeof starts[0].p);
        for (int i = 0; i < f->np; i++)
            if (o->fixed >> i & 1) starts[0].p[i] = o->value[i];
        if (pr->tie_b >= 0) starts[0].p[pr->tie_b] = pr->tie_k * starts[0].p[pr->tie_a];
        starts[0].obj = fit_objective(f, starts[0].p, d, o);
    }
    for (long s = 0; s < total && !o->has_start; s++) {
        Start *st = &starts[s];
        long rem = s;
        memcpy(st->p, pr->base, sizeof st->p);
        for (int k = 0; k < nlin; k++) st->p[lin[k]] = 1.0;
        for (int k = 0; k < nnl; k++) {
            int gi = (int)(rem % gn[k]);
            rem /= gn[k];
            int i = nl[k];
            st->p[i] = fmin(fmax(gv[k][gi], o->lo[i] + 1e-9), o->hi[i] - 1e-9);
            if (gn[k] > 1 && (gi == 0 || gi == gn[k] - 1)) st->edge = 1;
        }
        st->obj = solve_linear_(pr, st->p, lin, nlin, w.X, w.y, w.c, w.cov, w.ws);
    }
    linwork_free_(&w);
    qsort(starts, (size_t)total, sizeof *starts, start_cmp_);
    *out = starts;
    *ntotal = total;
    return rc;
}

/* Refines the best starts with the objective's optimiser; the best refinement wins.
 * zbest receives its unconstrained coordinates. Returns its objective (inf: none). */
static double refine_(Problem *pr, const Start *starts, long total, double *zbest,
                      int *best_status, int *best_iters) {
    const FitOptions *o = pr->o;
    double best = INFINITY;
    int nref = o->refine < 0 ? (int)total : o->refine < 1 ? 1 : o->refine;
    *best_status = GSL_FAILURE;
    *best_iters = 0;
    for (int s = 0; s < nref && s < total && isfinite(starts[s].obj); s++) {
        double z[LAW_MAXP], p[LAW_MAXP], dpdz[LAW_MAXP];
        int iters = 0, status;
        for (int k = 0; k < pr->nfree; k++) {
            int i = pr->idx[k];
            z[k] = to_z_(starts[s].p[i], o->lo[i], o->hi[i]);
        }
        if (o->objective == FIT_HUBER_LOG) {
            int it2 = 0, s1 = refine_irls_(pr, z, &iters);
            status = refine_huber_(pr, z, &it2);
            /* converged if either finished: IRLS stalls exactly at a kink-free optimum and
             * BFGS2 then reports no progress */
            if (s1 == GSL_SUCCESS && status != GSL_SUCCESS && status != GSL_EMAXITER)
                status = GSL_SUCCESS;
            iters += it2;
        } else {
            status = refine_lsq_(pr, z, &iters);
        }
        unpack_(pr, z, p, dpdz);
        double v = fit_objective(pr->f, p, pr->d, o);
        if (isfinite(v) && v < best) {
            best = v;
            memcpy(zbest, z, sizeof(double) * LAW_MAXP);
            *best_status = status;
            *best_iters = iters;
        }
    }
    return best;
}

/* The result at the winning point: bounds hit, covariance, statistics, status text. */
static void finish_(const Problem *pr, const double *zbest, double best, int best_status,
                    int best_iters, int best_edge, FitResult *r) {
    const FitOptions *o = pr->o;
    double dpdz[LAW_MAXP];
    unpack_(pr, zbest, r->p, dpdz);
    r->edge_of_grid = best_edge;
    for (int k = 0; k < pr->nfree; k++) {
        int i = pr->idx[k];
        double tol = 1e-6 * fmax(1.0, fabs(r->p[i]));
        if ((isfinite(o->lo[i]) && r->p[i] - o->lo[i] < tol) ||
            (isfinite(o->hi[i]) && o->hi[i] - r->p[i] < tol))
            r->on_bound |= 1u << i;
    }
    covariance_(pr, r->p, r);
    r->info.on_bound = r->on_bound;
    r->info.unidentified = r->unidentified;
    unsigned nt = LAW_BIT(LAW_N) | LAW_BIT(LAW_T);
    r->info.nt_confounded = (law_form_inputs(pr->f) & nt) == nt && fit_data_nt_confounded(pr->d);
    r->info.objective = best;
    if (o->objective == FIT_HUBER_LOG)
        snprintf(r->info.objective_kind, sizeof r->info.objective_kind, "huber-log:%g",
                 o->huber_delta);
    else
        snprintf(r->info.objective_kind, sizeof r->info.objective_kind, "%s",
                 o->objective == FIT_LSQ ? "lsq" : "lsq-log");
    fit_stats(pr->f, r->p, pr->d, o->objective, pr->nfree, &r->info);
    char *s = r->info.status;
    size_t n = sizeof r->info.status;
    int len = snprintf(s, n, "%s after %d iterations",
                       best_status == GSL_SUCCESS    ? "converged"
                       : best_status == GSL_EMAXITER ? "iteration limit"
                       : best_status == GSL_ENOPROG  ? "stalled (no step lowers the objective)"
                                                     : gsl_strerror(best_status),
                       best_iters);
    if (r->on_bound && len < (int)n) len += snprintf(s + len, n - len, "; on a bound");
    if (r->unidentified && len < (int)n) len += snprintf(s + len, n - len, "; rank-deficient");
    if (best_edge && len < (int)n) snprintf(s + len, n - len, "; start at the grid edge");
}

int fit_run(const LawForm *f, const FitData *d, const FitOptions *o, FitResult *r) {
    Problem pr = {.f = f, .d = d, .o = o, .tie_b = -1};
    int lin[LAW_MAXP], nlin = 0, nl[LAW_MAXP], nnl = 0, rc;
    Start *starts = NULL;
    long total = 0;
    memset(r, 0, sizeof *r);
    r->info.cv_rmse = NAN;
    if ((rc = setup_(&pr, lin, &nlin, nl, &nnl))) return rc;
    if (pr.nfree == 0) {
        memcpy(r->p, pr.base, sizeof r->p);
        r->info.objective = fit_objective(f, r->p, d, o);
        fit_stats(f, r->p, d, o->objective, 0, &r->info);
        snprintf(r->info.status, sizeof r->info.status, "all parameters fixed");
        return DW_OK;
    }
    if ((rc = starts_(&pr, lin, nlin, nl, nnl, &starts, &total))) return rc;
    r->nstarts = (int)total;
    if (!isfinite(starts[0].obj)) {
        free(starts);
        return dw_error_set(DW_ENOCONV, "no start gave a finite objective: the form cannot be "
                            "evaluated on this data (check for non-positive inputs)");
    }
    double zbest[LAW_MAXP] = {0};
    int best_status, best_iters;
    double best = refine_(&pr, starts, total, zbest, &best_status, &best_iters);
    int best_edge = starts[0].edge; /* the best grid point lies on the grid's edge */
    free(starts);
    if (!isfinite(best)) return dw_error_set(DW_ENOCONV, "the optimiser failed from every start");
    finish_(&pr, zbest, best, best_status, best_iters, best_edge, r);
    return DW_OK;
}
