/* planner/plan.c — compute-constrained optimum over (D, W), critical depth, intervals over
 * parameter draws and budget sweeps (DESIGN §4.4; method in plan.h). Rounding to real
 * shapes is in round.c, alternatives in alternatives.c. */
#include "plan.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_min.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "plan_impl.h"

#define GRID 48     /* grid points of the first scan in each 1-D search */
#define GRID_MAX 64

void plan_request_default(PlanRequest *r) {
    memset(r, 0, sizeof *r);
    r->d_min = 1.0;
    r->d_max = 1024.0;
    r->w_min = 16.0;
    r->w_max = 131072.0;
    r->aspect = 128.0;
    r->heads_multiple = PLAN_HEADS_MULTIPLE;
}

double plan_iso_n_depth_ratio(const Law *law) {
    int g = law_form_param_index(&law->form, "gamma");
    if (law->form.id != LAW_SHAPE || g < 0 || !(law->p[g] > 0)) return NAN;
    return exp(-1.0 / (2 * law->p[g]));
}

int plan_default_head_dim(double width) { return width < 256 ? 32 : width < 2048 ? 64 : 128; }

void plan_shape_at(const Law *law, double depth, double width, int head_dim, PlanShape *s) {
    plan_shape_from_conventions(s, &law->conv, depth, width);
    if (head_dim > 0) {
        s->head_dim = head_dim;
        s->heads = width / head_dim;
    }
}

// ----------------------------------------------------------------------------
// one evaluation

typedef struct {
    const Law *law;
    const Law *eval_law; /* law whose parameters are evaluated (a draw), usually == law */
    double C;            /* budget, or 0 when T is fixed alone */
    double N;            /* fixed N or 0 */
    double T;            /* fixed T or 0 */
    double aspect;       /* > 0: W = aspect·D (shape-free law) */
    double lw_lo, lw_hi, ld_lo, ld_hi;
    int ngrid;           /* points in each grid scan */
    /* scratch: the inner solution of the last profile evaluation */
    double last_lw;
    int inner_edge;
} Ctx;

/* L at (D, W) under the context's constraint; T and N out (may be NULL). */
static double loss_at_(const Ctx *c, double D, double W, double *T_out, double *N_out) {
    PlanShape s;
    double N, fpt;
    plan_shape_at(c->law, D, W, 0, &s);
    plan_law_counts(&c->law->conv, &s, &N, &fpt);
    double T = c->T > 0 ? c->T : c->C / fpt;
    if (T_out) *T_out = T;
    if (N_out) *N_out = N;
    LawX x = {.depth = D, .width = W, .params = N, .tokens = T};
    double L = law_eval(c->eval_law, &x);
    return isfinite(L) ? L : HUGE_VAL;
}

/* Monotone root in ln W of g(W) = target: bisection (count and FLOPs rise with W). */
static double solve_width_(const Ctx *c, double D, int by_params, double target, int *ok) {
    double lo = c->lw_lo, hi = c->lw_hi;
    PlanShape s;
    for (int side = 0; side < 2; side++) {
        double lw = side ? hi : lo;
        plan_shape_at(c->law, D, exp(lw), 0, &s);
        double v = by_params ? plan_law_params(&c->law->conv, &s)
                             : plan_flops_per_token(&c->law->conv, &s);
        if ((side == 0 && v > target) || (side == 1 && v < target)) {
            *ok = 0;
            return side ? hi : lo;
        }
    }
    for (int it = 0; it < 200 && hi - lo > 1e-13; it++) {
        double mid = 0.5 * (lo + hi);
        plan_shape_at(c->law, D, exp(mid), 0, &s);
        double v = by_params ? plan_law_params(&c->law->conv, &s)
                             : plan_flops_per_token(&c->law->conv, &s);
        if (v < target) lo = mid;
        else hi = mid;
    }
    *ok = 1;
    return 0.5 * (lo + hi);
}

// ----------------------------------------------------------------------------
// 1-D minimisation: grid scan, then Brent inside the best bracket

typedef double (*Fn1)(double x, void *arg);

static double gsl_fn_(double x, void *arg) {
    void **pa = arg;
    return ((Fn1)pa[0])(x, pa[1]);
}

/* Minimises fn over [lo, hi]. *edge = -1/+1 when the minimum is at the low/high end. */
static double minimize_1d_(Fn1 fn, void *arg, double lo, double hi, int ngrid, double *fbest,
                           int *edge) {
    double xs[GRID_MAX], fs[GRID_MAX];
    int ib = 0;
    DW_ASSERT(ngrid >= 3 && ngrid <= GRID_MAX);
    for (int i = 0; i < ngrid; i++) {
        xs[i] = lo + (hi - lo) * i / (ngrid - 1);
        fs[i] = fn(xs[i], arg);
        if (fs[i] < fs[ib]) ib = i;
    }
    *edge = 0;
    if (ib == 0 || ib == ngrid - 1) {
        *edge = ib == 0 ? -1 : 1;
        *fbest = fs[ib];
        return xs[ib];
    }
    double a = xs[ib - 1], b = xs[ib + 1], m = xs[ib], fm = fs[ib];
    void *pa[2] = {(void *)fn, arg};
    gsl_function F = {.function = gsl_fn_, .params = pa};
    gsl_min_fminimizer *s = gsl_min_fminimizer_alloc(gsl_min_fminimizer_brent);
    if (!s) {
        *fbest = fm;
        return m;
    }
    if (fs[ib - 1] > fm && fs[ib + 1] > fm &&
        gsl_min_fminimizer_set_with_values(s, &F, m, fm, a, fs[ib - 1], b, fs[ib + 1]) ==
            GSL_SUCCESS) {
        for (int it = 0; it < 200; it++) {
            if (gsl_min_fminimizer_iterate(s) != GSL_SUCCESS) break;
            double xl = gsl_min_fminimizer_x_lower(s), xu = gsl_min_fminimizer_x_upper(s);
            /* a smooth minimum is flat to machine precision within ~sqrt(eps): ask no more */
            if (gsl_min_test_interval(xl, xu, 1e-7, 0.0) == GSL_SUCCESS) break;
        }
        double xm = gsl_min_fminimizer_x_minimum(s), fxm = gsl_min_fminimizer_f_minimum(s);
        if (fxm <= fm) m = xm, fm = fxm;
    }
    gsl_min_fminimizer_free(s);
    *fbest = fm;
    return m;
}

/* inner: ln W at fixed D (compute-constrained, shape law) */
static double inner_fn_(double lw, void *arg) {
    Ctx *c = ((void **)arg)[0];
    double D = *(double *)((void **)arg)[1];
    return loss_at_(c, D, exp(lw), NULL, NULL);
}

/* best ln W for depth D under the context's constraint; returns L */
static double profile_(Ctx *c, double D, double *lw_out) {
    int ok = 1, edge = 0;
    double L, lw;
    if (c->aspect > 0) {
        lw = log(c->aspect * D);
        L = loss_at_(c, D, exp(lw), NULL, NULL);
    } else if (c->N > 0) {
        lw = solve_width_(c, D, 1, c->N, &ok);
        L = ok ? loss_at_(c, D, exp(lw), NULL, NULL) : HUGE_VAL;
    } else if (c->T > 0 && c->C > 0) {
        lw = solve_width_(c, D, 0, c->C / c->T, &ok);
        L = ok ? loss_at_(c, D, exp(lw), NULL, NULL) : HUGE_VAL;
    } else {
        void *arg[2] = {c, &D};
        lw = minimize_1d_(inner_fn_, arg, c->lw_lo, c->lw_hi, c->ngrid, &L, &edge);
    }
    c->inner_edge = edge;
    c->last_lw = lw;
    if (lw_out) *lw_out = lw;
    return L;
}

static double outer_fn_(double ld, void *arg) { return profile_(arg, exp(ld), NULL); }

/* Root in ln D for shape-free laws with N or (C, T) fixed: W = aspect·D. */
static double solve_depth_shape_free_(Ctx *c, int *ok) {
    double lo = c->ld_lo, hi = c->ld_hi;
    int by_params = c->N > 0;
    double target = by_params ? c->N : c->C / c->T;
    PlanShape s;
    for (int it = 0; it < 200 && hi - lo > 1e-13; it++) {
        double mid = 0.5 * (lo + hi);
        plan_shape_at(c->law, exp(mid), c->aspect * exp(mid), 0, &s);
        double v = by_params ? plan_law_params(&c->law->conv, &s)
                             : plan_flops_per_token(&c->law->conv, &s);
        if (v < target) lo = mid;
        else hi = mid;
    }
    *ok = hi - lo <= 1e-12 && lo > c->ld_lo && hi < c->ld_hi;
    return 0.5 * (lo + hi);
}

// ----------------------------------------------------------------------------
// points

void plan_fill_point_(const Law *law, const PlanShape *s, double T, PlanPoint *pt) {
    PlanCount cnt;
    memset(pt, 0, sizeof *pt);
    pt->depth = s->depth;
    pt->width = s->width;
    pt->heads = (int)(s->heads > 0 ? s->heads : 0);
    /* a shape given by its head count has head_dim = W / heads (count.h) */
    pt->head_dim = (int)(s->head_dim > 0 ? s->head_dim : pt->heads > 0 ? s->width / pt->heads : 0);
    if (plan_count(s, &cnt) == DW_OK) {
        pt->params_nonembed = cnt.nonembed;
        pt->params_total = cnt.total;
    }
    pt->params_law = plan_law_params(&law->conv, s);
    pt->tokens = T;
    pt->flops = T * plan_flops_per_token(&law->conv, s);
    pt->tokens_per_param = T / pt->params_total;
    LawX x = {.depth = s->depth, .width = s->width, .params = pt->params_law, .tokens = T};
    pt->loss = law_eval(law, &x);
    pt->dcrit = plan_dcrit(law, s->width, T, &pt->dcrit_kind);
}

typedef struct {
    const Law *law;
    double W, T;
    const double *n_line; /* N(D) = n_line[0] + n_line[1]·D, or NULL: the conventions */
} DcritArg;

static double dcrit_fn_(double ld, void *arg) {
    const DcritArg *a = arg;
    double D = exp(ld), N;
    if (a->n_line) {
        N = a->n_line[0] + a->n_line[1] * D;
    } else {
        PlanShape s;
        plan_shape_at(a->law, D, a->W, 0, &s);
        N = plan_law_params(&a->law->conv, &s);
    }
    LawX x = {.depth = D, .width = a->W, .params = N, .tokens = a->T};
    double L = law_eval(a->law, &x);
    return isfinite(L) ? L : HUGE_VAL;
}

double plan_min_depth(const Law *law, double width, double tokens, const double *n_line,
                      int *kind) {
    DcritArg a = {law, width, tokens, n_line};
    double f;
    int edge;
    if (!law_form_has_shape(&law->form)) {
        *kind = PLAN_DCRIT_NO_SHAPE;
        return NAN;
    }
    double ld = minimize_1d_(dcrit_fn_, &a, 0.0, log(PLAN_MIN_DEPTH_MAX), GRID, &f, &edge);
    *kind = edge > 0 ? 1 : edge < 0 ? -1 : 0;
    return edge > 0 ? NAN : exp(ld);
}

const char *plan_dcrit_kind_text(int kind) {
    switch (kind) {
    case PLAN_DCRIT_INTERIOR: return "interior minimum";
    case PLAN_DCRIT_FALLS: return "none: loss still falls with depth";
    case PLAN_DCRIT_NO_SHAPE: return "none: the law has no shape term";
    default: return "at or below one layer";
    }
}

double plan_dcrit(const Law *law, double width, double tokens, int *kind) {
    return plan_min_depth(law, width, tokens, NULL, kind);
}

// ----------------------------------------------------------------------------
// the solve

static int solve_cont_(Ctx *c, double *D_out, double *W_out, int *edge_d, int *edge_w) {
    double ld, L;
    *edge_d = *edge_w = 0;
    if (c->aspect > 0 && (c->N > 0 || c->T > 0)) {
        int ok;
        ld = solve_depth_shape_free_(c, &ok);
        if (!ok) return DW_EINFEASIBLE;
    } else {
        ld = minimize_1d_(outer_fn_, c, c->ld_lo, c->ld_hi, c->ngrid, &L, edge_d);
        if (!isfinite(L) || L >= HUGE_VAL) return DW_EINFEASIBLE;
    }
    double lw;
    profile_(c, exp(ld), &lw);
    *edge_w = c->inner_edge;
    *D_out = exp(ld);
    *W_out = exp(lw);
    return DW_OK;
}

static void ctx_init_(Ctx *c, const Law *law, const PlanRequest *r) {
    memset(c, 0, sizeof *c);
    c->law = c->eval_law = law;
    c->C = r->compute;
    c->N = r->params;
    c->T = r->tokens;
    c->aspect = law_form_has_shape(&law->form) ? 0.0 : r->aspect;
    c->lw_lo = log(r->w_min);
    c->lw_hi = log(r->w_max);
    c->ld_lo = log(r->d_min);
    c->ld_hi = log(r->d_max);
    c->ngrid = GRID;
}

int plan_best_width(const Law *law, const PlanRequest *req, double depth, PlanPoint *pt) {
    Ctx c;
    PlanRequest r = *req;
    if (r.d_min <= 0) plan_request_default(&r), r.compute = req->compute;
    if (!(r.compute > 0) || !isfinite(r.compute) || !(depth >= 1) || !isfinite(depth))
        return dw_error_set(DW_EINVAL, "plan_best_width: needs a budget and a depth >= 1");
    ctx_init_(&c, law, &r);
    c.N = c.T = 0;
    c.aspect = 0; /* a true search over W, whatever the law's form */
    double lw, T;
    double L = profile_(&c, depth, &lw);
    if (!isfinite(L) || L >= HUGE_VAL)
        return dw_error_set(DW_EINFEASIBLE, "no width in [%g, %g] meets the budget at depth %g",
                            r.w_min, r.w_max, depth);
    PlanShape s;
    loss_at_(&c, depth, exp(lw), &T, NULL);
    plan_shape_at(law, depth, exp(lw), 0, &s);
    plan_fill_point_(law, &s, T, pt);
    return DW_OK;
}

int plan_solve_cont_(const Law *law, const PlanRequest *r, double *D, double *W, double *T) {
    Ctx c;
    int ed, ew;
    ctx_init_(&c, law, r);
    int rc = solve_cont_(&c, D, W, &ed, &ew);
    if (rc) return rc;
    loss_at_(&c, *D, *W, T, NULL);
    return DW_OK;
}

/* No budget: find C whose unconstrained optimum has N* = N (or T* = T) by bisection. */
static int derive_compute_(const Law *law, PlanRequest *r) {
    double lo = log(1e6), hi = log(1e36);
    int want_n = r->params > 0;
    double target = want_n ? r->params : r->tokens;
    PlanRequest q = *r;
    q.params = q.tokens = 0;
    for (int it = 0; it < 100 && hi - lo > 1e-12; it++) {
        double D, W, T, mid = 0.5 * (lo + hi);
        q.compute = exp(mid);
        if (plan_solve_cont_(law, &q, &D, &W, &T)) {
            lo = mid; /* infeasible budgets are too small */
            continue;
        }
        double v = T;
        if (want_n) {
            PlanShape s;
            plan_shape_at(law, D, W, 0, &s);
            v = plan_law_params(&law->conv, &s);
        }
        if (v < target) lo = mid;
        else hi = mid;
    }
    if (hi - lo > 1e-6 || lo <= log(1e6) + 1e-9 || hi >= log(1e36) - 1e-9)
        return dw_error_set(DW_EINFEASIBLE, "no compute budget in [1e6, 1e36] FLOPs has a "
                            "compute-optimal %s of %g under this law",
                            want_n ? "parameter count" : "token count", target);
    r->compute = exp(0.5 * (lo + hi));
    return DW_OK;
}

static int cmp_double_(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double plan_percentile_(double *v, int n, double q) {
    qsort(v, (size_t)n, sizeof *v, cmp_double_);
    double pos = q * (n - 1);
    int i = (int)floor(pos);
    if (i >= n - 1) return v[n - 1];
    return v[i] + (pos - i) * (v[i + 1] - v[i]);
}

void plan_loss_interval_(const Law *law, PlanResult *res) {
    const LawForm *f = &law->form;
    const PlanPoint *pt = &res->real;
    LawX x = {.depth = pt->depth, .width = pt->width, .params = pt->params_law, .tokens = pt->tokens};
    res->loss_lo = res->loss_hi = NAN;
    if (law->ndraws >= 20) {
        double *v = malloc(sizeof(double) * law->ndraws);
        int n = 0;
        if (v) {
            for (int d = 0; d < law->ndraws; d++) {
                double L = law_form_eval(f, law->draws + (size_t)d * f->np, &x, NULL, NULL);
                if (isfinite(L)) v[n++] = L;
            }
            if (n >= 20) {
                res->loss_lo = plan_percentile_(v, n, 0.025);
                res->loss_hi = plan_percentile_(v, n, 0.975);
                snprintf(res->loss_ci_method, sizeof res->loss_ci_method,
                         "95%% percentile over %d bootstrap draws", n);
            }
            free(v);
            if (n >= 20) return;
        }
    }
    if (law->has_cov) {
        double g[LAW_MAXP], var = 0;
        law_form_eval(f, law->p, &x, g, NULL);
        for (int i = 0; i < f->np; i++)
            for (int j = 0; j < f->np; j++) var += g[i] * law->cov[i * f->np + j] * g[j];
        if (var >= 0 && isfinite(var)) {
            res->loss_lo = pt->loss - 1.96 * sqrt(var);
            res->loss_hi = pt->loss + 1.96 * sqrt(var);
            snprintf(res->loss_ci_method, sizeof res->loss_ci_method,
                     "95%% delta method from the fit's asymptotic covariance");
            return;
        }
    }
    snprintf(res->loss_ci_method, sizeof res->loss_ci_method,
             "none: the law file has no covariance or bootstrap draws");
}

int plan_solve(const Law *law, const PlanRequest *req, PlanResult *res) {
    PlanRequest r = *req;
    double D, W, T;
    int ed, ew, rc;
    memset(res, 0, sizeof *res);
    for (int k = 0; k < 2; k++)
        res->depth_ci[k] = res->width_ci[k] = res->params_ci[k] = res->tokens_ci[k] =
            res->dcrit_ci[k] = NAN;
    snprintf(res->ci_method, sizeof res->ci_method, "not computed");
    if (r.compute < 0 || r.params < 0 || r.tokens < 0 || !isfinite(r.compute) ||
        !isfinite(r.params) || !isfinite(r.tokens))
        return dw_error_set(DW_EINVAL, "budgets must be positive and finite");
    if (r.compute > 0 && r.params > 0 && r.tokens > 0)
        return dw_error_set(DW_EINVAL, "compute, params and tokens cannot all be fixed: "
                            "nothing would be left to choose");
    if (r.compute == 0 && r.params == 0 && r.tokens == 0)
        return dw_error_set(DW_EINVAL, "give a budget: --compute, --params, --tokens or "
                            "hardware (--gpu --gpus --days)");
    if (!(r.d_min >= 1 && r.d_max > r.d_min && r.w_min > 0 && r.w_max > r.w_min))
        return dw_error_set(DW_EINVAL, "bad search box: depth [%g, %g], width [%g, %g]",
                            r.d_min, r.d_max, r.w_min, r.w_max);
    res->fixed = (r.params > 0 ? PLAN_FIX_PARAMS : 0) | (r.tokens > 0 ? PLAN_FIX_TOKENS : 0) |
                 (r.compute > 0 ? PLAN_FIX_COMPUTE : 0);
    if (r.compute == 0 && !(r.params > 0 && r.tokens > 0)) {
        /* only N or only T: the compute-optimal plan with that N* or T*; N or T stays
         * fixed so that rounding keeps it (the optimum at this compute has it anyway) */
        if ((rc = derive_compute_(law, &r))) return rc;
    }
    res->req = r;
    res->shape_free = !law_form_has_shape(&law->form);

    /* with N and T both fixed the compute follows from the shape; C stays 0 */
    Ctx c;
    ctx_init_(&c, law, &r);
    if ((rc = solve_cont_(&c, &D, &W, &ed, &ew)))
        return dw_error_set(rc, "no shape in depth [%g, %g] x width [%g, %g] meets this budget",
                            r.d_min, r.d_max, r.w_min, r.w_max);
    loss_at_(&c, D, W, &T, NULL);
    if (ed || ew) {
        res->on_bound = 1;
        snprintf(res->bound_note, sizeof res->bound_note,
                 "the optimum sits on the search bound (%s = %g): the law keeps improving "
                 "toward %s",
                 ed ? "depth" : "width", ed ? exp(ed < 0 ? c.ld_lo : c.ld_hi) : exp(ew < 0 ? c.lw_lo : c.lw_hi),
                 ed < 0 ? "shallower models" : ed > 0 ? "deeper models"
                 : ew < 0 ? "narrower models" : "wider models");
    }
    PlanShape s;
    plan_shape_at(law, D, W, 0, &s);
    plan_fill_point_(law, &s, T, &res->cont);
    if (r.compute == 0) res->req.compute = res->cont.flops;

    if ((rc = plan_round_result_(law, res))) return rc;
    plan_loss_interval_(law, res);
    return DW_OK;
}

// ----------------------------------------------------------------------------
// intervals over parameter draws

/* Fills draws (n × np) from N(p, cov) through the eigen-decomposition cov = V Λ Vᵀ, which
 * also handles the singular covariances of fixed or tied parameters. */
static int sample_normal_(const Law *law, int n, double *draws) {
    const int np = law->form.np;
    int rc = DW_ENOMEM;
    gsl_matrix *S = gsl_matrix_alloc(np, np), *V = gsl_matrix_alloc(np, np);
    gsl_vector *ev = gsl_vector_alloc(np);
    gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(np);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!S || !V || !ev || !w || !rng) goto out;
    gsl_rng_set(rng, 20260123);
    for (int i = 0; i < np; i++)
        for (int j = 0; j < np; j++) gsl_matrix_set(S, i, j, law->cov[i * np + j]);
    if (gsl_eigen_symmv(S, ev, V, w)) {
        rc = DW_ENOCONV;
        goto out;
    }
    for (int d = 0; d < n; d++) {
        double z[LAW_MAXP], *x = draws + (size_t)d * np;
        for (int k = 0; k < np; k++) z[k] = gsl_ran_gaussian(rng, 1.0) * sqrt(fmax(gsl_vector_get(ev, k), 0));
        for (int i = 0; i < np; i++) {
            x[i] = law->p[i];
            for (int k = 0; k < np; k++) x[i] += gsl_matrix_get(V, i, k) * z[k];
        }
    }
    rc = DW_OK;
out:
    gsl_matrix_free(S);
    gsl_matrix_free(V);
    gsl_vector_free(ev);
    gsl_eigen_symmv_free(w);
    gsl_rng_free(rng);
    return rc;
}

static double nm_fn_(const gsl_vector *x, void *arg) {
    const Ctx *c = arg;
    double ld = gsl_vector_get(x, 0), lw = gsl_vector_get(x, 1);
    if (ld < c->ld_lo || ld > c->ld_hi || lw < c->lw_lo || lw > c->lw_hi) return HUGE_VAL;
    return loss_at_(c, exp(ld), exp(lw), NULL, NULL);
}

/* Warm-started 2-D simplex search for a draw's optimum (compute-constrained, shape laws):
 * ~100 evaluations instead of the nested searches' ~1000. 0 on success. */
static int solve_warm_(Ctx *c, double ld0, double lw0, double *D, double *W) {
    gsl_multimin_fminimizer *m = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, 2);
    if (!m) return -1;
    double x0[2] = {ld0, lw0}, st[2] = {0.1, 0.1};
    gsl_vector_view xv = gsl_vector_view_array(x0, 2), sv = gsl_vector_view_array(st, 2);
    gsl_multimin_function F = {.f = nm_fn_, .n = 2, .params = c};
    int status = gsl_multimin_fminimizer_set(m, &F, &xv.vector, &sv.vector);
    for (int it = 0; status == GSL_SUCCESS && it < 500; it++) {
        if (gsl_multimin_fminimizer_iterate(m)) break;
        if (gsl_multimin_test_size(gsl_multimin_fminimizer_size(m), 1e-7) == GSL_SUCCESS) {
            status = 1;
            break;
        }
    }
    /* a flat valley (depth traded against width at almost no cost) can keep the simplex
     * from shrinking to 1e-7 in 500 steps; within 1e-4 in ln D and ln W (0.01%) the draw's
     * optimum is known far better than the interval needs, and the full search costs ~50x */
    if (status == GSL_SUCCESS && gsl_multimin_fminimizer_size(m) < 1e-4) status = 1;
    double ld = gsl_vector_get(m->x, 0), lw = gsl_vector_get(m->x, 1);
    int ok = status == 1 && isfinite(m->fval) && m->fval < HUGE_VAL;
    /* an optimum on the box edge is not trusted: the caller re-solves with the full search */
    ok = ok && ld > c->ld_lo + 1e-3 && ld < c->ld_hi - 1e-3 && lw > c->lw_lo + 1e-3 && lw < c->lw_hi - 1e-3;
    gsl_multimin_fminimizer_free(m);
    *D = exp(ld), *W = exp(lw);
    return ok ? 0 : -1;
}

int plan_draws_(const Law *law, int ndraws, double **draws, int *n, int *owned, char *why,
                size_t why_len) {
    int use_boot = law->ndraws >= 20, rc;
    *draws = NULL, *n = 0, *owned = 0;
    if (use_boot) { /* the first ndraws of them when fewer are asked for (--draws) */
        *draws = law->draws;
        *n = ndraws >= 20 && ndraws < law->ndraws ? ndraws : law->ndraws;
        return DW_OK;
    }
    if (!law->has_cov) {
        snprintf(why, why_len, "none: the law file has no covariance or bootstrap draws");
        return DW_OK;
    }
    if (ndraws < 20) {
        snprintf(why, why_len, "none: fewer than 20 draws requested");
        return DW_OK;
    }
    double *d = malloc(sizeof(double) * ndraws * law->form.np);
    if (!d) return dw_error_set(DW_ENOMEM, "out of memory for %d draws", ndraws);
    if ((rc = sample_normal_(law, ndraws, d))) {
        free(d);
        return dw_error_set(rc, "cannot decompose the law's covariance");
    }
    *draws = d, *n = ndraws, *owned = 1;
    return DW_OK;
}

int plan_intervals(const Law *law, PlanResult *res, int ndraws) {
    const int np = law->form.np;
    int use_boot = law->ndraws >= 20, n, owned, rc;
    double *draws, *v = NULL;
    res->draws_requested = ndraws;
    if ((rc = plan_draws_(law, ndraws, &draws, &n, &owned, res->ci_method,
                          sizeof res->ci_method)) || n == 0)
        return rc;
    if (!(v = malloc(sizeof(double) * 5 * n))) {
        rc = dw_error_set(DW_ENOMEM, "out of memory for %d draws", n);
        goto out;
    }
    double *vd = v, *vw = v + n, *vn = v + 2 * n, *vt = v + 3 * n, *vc = v + 4 * n;
    int m = 0, mc = 0;
    for (int d = 0; d < n; d++) {
        Law dl = *law; /* shallow: only p changes */
        memcpy(dl.p, draws + (size_t)d * np, sizeof(double) * np);
        Ctx c;
        ctx_init_(&c, law, &res->req);
        c.eval_law = &dl;
        /* a simplex from the point optimum; the full nested search when that is not
         * applicable (fixed N or T, shape-free laws) or ends on the box */
        double D, W, T;
        int ed, ew;
        int warm = !(c.aspect > 0) && !(c.N > 0) && !(c.T > 0) &&
                   solve_warm_(&c, log(res->cont.depth), log(res->cont.width), &D, &W) == 0;
        if (!warm && solve_cont_(&c, &D, &W, &ed, &ew) != DW_OK) continue;
        double N;
        double L = loss_at_(&c, D, W, &T, &N);
        if (!(L < HUGE_VAL)) continue;
        vd[m] = D, vw[m] = W, vn[m] = N, vt[m] = T;
        m++;
        int kind;
        double dc = plan_dcrit(&dl, res->real.width, res->real.tokens, &kind);
        if (kind == 0) vc[mc++] = dc;
    }
    res->ci_draws = m;
    if (m < 20) {
        snprintf(res->ci_method, sizeof res->ci_method,
                 "none: only %d of %d parameter draws gave an optimum", m, n);
        goto out;
    }
    double *arr[4] = {vd, vw, vn, vt}, *ci[4] = {res->depth_ci, res->width_ci, res->params_ci,
                                                 res->tokens_ci};
    for (int k = 0; k < 4; k++) {
        ci[k][0] = plan_percentile_(arr[k], m, 0.025);
        ci[k][1] = plan_percentile_(arr[k], m, 0.975);
    }
    if (mc >= 20) {
        res->dcrit_ci[0] = plan_percentile_(vc, mc, 0.025);
        res->dcrit_ci[1] = plan_percentile_(vc, mc, 0.975);
    }
    if (use_boot && n < law->ndraws)
        snprintf(res->ci_method, sizeof res->ci_method, "95%% percentile over %d re-solved "
                 "draws: the first %d of the law's %d bootstrap draws (--draws)", m, n,
                 law->ndraws);
    else
        snprintf(res->ci_method, sizeof res->ci_method,
                 use_boot ? "95%% percentile over %d of %d bootstrap draws, each re-solved"
                          : "95%% percentile over %d of %d draws from the fit's asymptotic "
                            "normal, each re-solved",
                 m, n);
    plan_round_interval_notes_(law, res, 1);
out:
    if (owned) free(draws);
    free(v);
    return rc;
}

// ----------------------------------------------------------------------------
// sweep

static void ols_(const double *x, const double *y, int n, double *slope, double *se, double *r2) {
    double mx = 0, my = 0, sxx = 0, sxy = 0, syy = 0;
    for (int i = 0; i < n; i++) mx += x[i], my += y[i];
    mx /= n, my /= n;
    for (int i = 0; i < n; i++) {
        sxx += (x[i] - mx) * (x[i] - mx);
        sxy += (x[i] - mx) * (y[i] - my);
        syy += (y[i] - my) * (y[i] - my);
    }
    *slope = sxy / sxx;
    double ssr = syy - *slope * sxy;
    *r2 = syy > 0 ? 1.0 - ssr / syy : 1.0;
    *se = n > 2 ? sqrt(fmax(ssr, 0) / (n - 2) / sxx) : NAN;
}

int plan_sweep(const Law *law, const PlanRequest *base, double c_lo, double c_hi, int n,
               PlanPoint *pts, double slope[4], double slope_se[4], double r2[4]) {
    if (!(c_lo > 0) || !(c_hi > c_lo) || !isfinite(c_hi) || n < 3)
        return dw_error_set(DW_EINVAL, "sweep needs 0 < LO < HI and at least 3 budgets");
    double *lx = malloc(sizeof(double) * 5 * n);
    if (!lx) return dw_error_set(DW_ENOMEM, "out of memory");
    double *ly[4] = {lx + n, lx + 2 * n, lx + 3 * n, lx + 4 * n};
    int rc = DW_OK;
    for (int i = 0; i < n; i++) {
        PlanRequest q = *base;
        PlanResult r;
        q.compute = exp(log(c_lo) + (log(c_hi) - log(c_lo)) * i / (n - 1));
        q.params = q.tokens = 0;
        if ((rc = plan_solve(law, &q, &r))) {
            dw_error_prefix(rc, "budget %.3g", q.compute);
            goto out;
        }
        pts[i] = r.cont;
        lx[i] = log(q.compute);
        ly[0][i] = log(r.cont.depth);
        ly[1][i] = log(r.cont.width);
        ly[2][i] = log(r.cont.params_law);
        ly[3][i] = log(r.cont.tokens);
    }
    for (int k = 0; k < 4; k++) ols_(lx, ly[k], n, &slope[k], &slope_se[k], &r2[k]);
out:
    free(lx);
    return rc;
}
