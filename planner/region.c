/* planner/region.c — the near-optimal region at a fixed compute (region.h). */
#include "region.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "plan_impl.h"

/* The scanned depths and widths: a factor PLAN_REGION_SPAN around the continuous optimum,
 * inside the request's box. */
typedef struct {
    int d_lo, d_hi;
    double w_lo, w_hi;
    int d_open_lo, d_open_hi, w_open_lo, w_open_hi; /* the scan, not the box, ends there */
} Scan;

static void scan_(const PlanResult *res, Scan *s) {
    const PlanRequest *r = &res->req;
    double d0 = fmax(1.0, ceil(r->d_min)), d1 = floor(r->d_max);
    double dl = floor(res->cont.depth / PLAN_REGION_SPAN), dh = ceil(res->cont.depth * PLAN_REGION_SPAN);
    s->d_lo = (int)fmax(d0, dl);
    s->d_hi = (int)fmin(d1, dh);
    s->d_open_lo = dl > d0, s->d_open_hi = dh < d1;
    double wl = res->cont.width / PLAN_REGION_SPAN, wh = res->cont.width * PLAN_REGION_SPAN;
    s->w_lo = fmax(r->w_min, wl);
    s->w_hi = fmin(r->w_max, wh);
    s->w_open_lo = wl > r->w_min, s->w_open_hi = wh < r->w_max;
}

/* The next real width >= w (a multiple of its own heads step, plan_round_step_: the rule
 * round.c makes a width real by), or 0 past the scan. Every step is heads × head width, so
 * the candidates are the multiples of the smallest head width the rule can pick (the
 * request's, else plan_default_head_dim's smallest, 32). */
static double next_width_(const PlanRequest *r, const Scan *s, double w) {
    double g = r->head_dim > 0 ? r->head_dim : plan_default_head_dim(1);
    for (double x = fmax(ceil(w / g), 1) * g; x <= s->w_hi; x += g) {
        int hd, step;
        plan_round_step_(r, x, &hd, &step);
        if (x >= s->w_lo && fmod(x, step) == 0) return x;
    }
    return 0;
}

/* Loss of (D, W) at the compute; the shape and tokens out. NaN when it cannot train. */
static double eval_(const Law *law, const PlanResult *res, int D, double W, PlanShape *sh,
                    double *T, double *n_law) {
    int hd, step;
    plan_round_step_(&res->req, W, &hd, &step);
    plan_shape_at(law, D, W, hd, sh);
    *n_law = plan_law_params(&law->conv, sh);
    *T = res->req.compute / plan_flops_per_token(&law->conv, sh);
    if (!(*T >= 1) || !isfinite(*T)) return NAN;
    LawX x = {.depth = D, .width = W, .params = *n_law, .tokens = *T};
    return law_eval(law, &x);
}

static int cmp_loss_(const void *a, const void *b) {
    double u = ((const PlanRegionShape *)a)->loss, v = ((const PlanRegionShape *)b)->loss;
    return (u > v) - (u < v);
}

/* Every shape of the scan with loss <= lim into out (ncap), counted in *n. */
static int collect_(const Law *law, const PlanResult *res, const Scan *s, double lim,
                    PlanRegionShape **out, int *n) {
    int cap = 0;
    *out = NULL, *n = 0;
    for (int D = s->d_lo; D <= s->d_hi; D++)
        for (double W = next_width_(&res->req, s, s->w_lo); W > 0;
             W = next_width_(&res->req, s, W + 1)) {
            PlanRegionShape e = {0};
            e.loss = eval_(law, res, D, W, &e.shape, &e.tokens, &e.params_law);
            if (!(e.loss <= lim)) continue;
            if (*n == cap) {
                if (cap >= PLAN_REGION_MAX_SHAPES)
                    return dw_error_set(DW_ENOMEM, "more than %d shapes within %.3g nats",
                                        PLAN_REGION_MAX_SHAPES, lim);
                cap = cap ? 2 * cap : 256;
                PlanRegionShape *p = realloc(*out, sizeof **out * (size_t)cap);
                if (!p) return dw_error_set(DW_ENOMEM, "out of memory for the region");
                *out = p;
            }
            (*out)[(*n)++] = e;
        }
    return DW_OK;
}

/* p_within of the first `nin` of cand[ncand] (sorted) over the law's draws. */
static int draws_(const Law *law, PlanRegion *g, PlanRegionShape *cand, int ncand, int nin,
                  int ndraws) {
    double *draws, *loss;
    int n, owned, rc, np = law->form.np;
    for (int i = 0; i < nin; i++) cand[i].p_within = NAN;
    if (ndraws <= 0) {
        snprintf(g->draws_why, sizeof g->draws_why, "none asked for");
        return DW_OK;
    }
    if ((rc = plan_draws_(law, ndraws, &draws, &n, &owned, g->draws_why, sizeof g->draws_why)) ||
        n == 0)
        return rc;
    if (!(loss = malloc(sizeof(double) * (size_t)ncand))) {
        rc = dw_error_set(DW_ENOMEM, "out of memory for the region's draws");
        goto out;
    }
    int *hit = calloc((size_t)nin, sizeof *hit), used = 0;
    if (!hit) {
        rc = dw_error_set(DW_ENOMEM, "out of memory for the region's draws");
        goto out;
    }
    if (!(g->draw_best = malloc(sizeof(double) * (size_t)n))) {
        free(hit);
        rc = dw_error_set(DW_ENOMEM, "out of memory for the region's draws");
        goto out;
    }
    for (int d = 0; d < n; d++) {
        const double *p = draws + (size_t)d * np;
        double best = INFINITY;
        g->draw_best[d] = NAN;
        for (int i = 0; i < ncand; i++) {
            LawX x = {.depth = cand[i].shape.depth, .width = cand[i].shape.width,
                      .params = cand[i].params_law, .tokens = cand[i].tokens};
            loss[i] = law_form_eval(&law->form, p, &x, NULL, NULL);
            if (loss[i] < best) best = loss[i];
        }
        if (!isfinite(best)) continue;
        g->draw_best[d] = best;
        used++;
        for (int i = 0; i < nin; i++) hit[i] += loss[i] <= best + g->eps;
    }
    for (int i = 0; i < nin; i++) cand[i].p_within = used ? (double)hit[i] / used : NAN;
    g->ndraws = used;
    free(hit);
out:
    free(loss);
    if (owned) free(draws);
    return rc;
}

int plan_region(const Law *law, const PlanResult *res, double eps, int ndraws, PlanRegion *out) {
    memset(out, 0, sizeof *out);
    if (!(eps > 0) || !isfinite(eps))
        return dw_error_set(DW_EINVAL, "the region needs a positive tolerance in nats (got %g)", eps);
    if (res->fixed & (PLAN_FIX_PARAMS | PLAN_FIX_TOKENS))
        return dw_error_set(DW_EINVAL, "the near-optimal region is computed at a fixed compute; "
                            "this request fixes N or T");
    out->ndraws_asked = ndraws;
    Scan s;
    scan_(res, &s);
    /* pass 1: the best real shape of the scan */
    double best = INFINITY;
    for (int D = s.d_lo; D <= s.d_hi; D++)
        for (double W = next_width_(&res->req, &s, s.w_lo); W > 0; W = next_width_(&res->req, &s, W + 1)) {
            PlanShape sh;
            double T, nl, L = eval_(law, res, D, W, &sh, &T, &nl);
            if (L < best) best = L;
        }
    if (!isfinite(best))
        return dw_error_set(DW_EINFEASIBLE, "no real shape in depths %d..%d, widths %.0f..%.0f "
                            "trains at %.3g FLOPs", s.d_lo, s.d_hi, s.w_lo, s.w_hi,
                            res->req.compute);
    /* pass 2: the candidates, the region first */
    PlanRegionShape *cand;
    int ncand, rc;
    double lim = best + fmax(PLAN_REGION_CAND_MULT * eps, PLAN_REGION_CAND_MIN);
    if ((rc = collect_(law, res, &s, fmax(lim, best + eps), &cand, &ncand))) {
        free(cand);
        return rc;
    }
    qsort(cand, (size_t)ncand, sizeof *cand, cmp_loss_);
    int nin = 0;
    while (nin < ncand && cand[nin].loss <= best + eps) cand[nin].dloss = cand[nin].loss - best, nin++;
    out->eps = eps, out->compute = res->req.compute, out->best_loss = best;
    out->ncand = ncand;
    if ((rc = draws_(law, out, cand, ncand, nin, ndraws))) {
        free(cand);
        plan_region_free(out);
        return rc;
    }
    out->depth_lo = out->width_lo = out->params_lo = out->tokens_lo = INFINITY;
    out->depth_hi = out->width_hi = out->params_hi = out->tokens_hi = -INFINITY;
    out->shape_free = !law_form_has_shape(&law->form);
    for (int i = 0; i < nin; i++) {
        double D = cand[i].shape.depth, W = cand[i].shape.width;
        out->depth_lo = fmin(out->depth_lo, D), out->depth_hi = fmax(out->depth_hi, D);
        out->width_lo = fmin(out->width_lo, W), out->width_hi = fmax(out->width_hi, W);
        out->params_lo = fmin(out->params_lo, cand[i].params_law);
        out->params_hi = fmax(out->params_hi, cand[i].params_law);
        out->tokens_lo = fmin(out->tokens_lo, cand[i].tokens);
        out->tokens_hi = fmax(out->tokens_hi, cand[i].tokens);
        if ((s.d_open_lo && D == s.d_lo) || (s.d_open_hi && D == s.d_hi) ||
            (s.w_open_lo && W < s.w_lo * 1.5) || (s.w_open_hi && W > s.w_hi / 1.5))
            out->touches_scan = 1;
    }
    out->wide = nin > 0 && (out->depth_hi >= PLAN_REGION_WIDE * out->depth_lo ||
                            out->width_hi >= PLAN_REGION_WIDE * out->width_lo);
    PlanRegionShape *keep = realloc(cand, sizeof *cand * (size_t)(nin ? nin : 1));
    out->shapes = keep ? keep : cand;
    out->n = nin;
    return DW_OK;
}

void plan_region_free(PlanRegion *r) {
    if (!r) return;
    free(r->shapes);
    free(r->draw_best);
    r->shapes = NULL;
    r->draw_best = NULL;
    r->n = 0;
}

int plan_region_p_point(const Law *law, const PlanRegion *g, const LawX *x, double *p) {
    double *draws;
    int n, owned, rc, used = 0, hit = 0;
    char why[160];
    *p = NAN;
    if (!g->ndraws || !g->draw_best) return DW_OK;
    if ((rc = plan_draws_(law, g->ndraws_asked, &draws, &n, &owned, why, sizeof why))) return rc;
    for (int d = 0; d < n; d++) {
        if (!isfinite(g->draw_best[d])) continue;
        double L = law_form_eval(&law->form, draws + (size_t)d * law->form.np, x, NULL, NULL);
        used++;
        hit += L <= g->draw_best[d] + g->eps;
    }
    if (owned) free(draws);
    if (used) *p = (double)hit / used;
    return DW_OK;
}

double plan_region_default_eps(const Law *law, const PlanResult *res, char *why, size_t n) {
    double half = 0.5 * (res->loss_hi - res->loss_lo);
    int drawn = law->ndraws >= 20 && isfinite(half) && half > 0;
    double eps = PLAN_REGION_NOISE;
    if (drawn && half > eps) eps = fmin(half, PLAN_REGION_EPS_CAP);
    if (!why) return eps;
    if (!drawn)
        snprintf(why, n, "the run-to-run noise floor, %.3g nats (the law has no bootstrap draws "
                 "to add its own uncertainty)", PLAN_REGION_NOISE);
    else if (half <= PLAN_REGION_NOISE)
        snprintf(why, n, "the run-to-run noise floor, %.3g nats (larger than the law's own "
                 "loss interval half-width, %.3g)", PLAN_REGION_NOISE, half);
    else if (half <= PLAN_REGION_EPS_CAP)
        snprintf(why, n, "the half-width of the recommended shape's loss interval over the "
                 "law's %d bootstrap draws (above the %.3g-nat noise floor)", law->ndraws,
                 PLAN_REGION_NOISE);
    else
        snprintf(why, n, "the cap %.3g nats (the loss interval's half-width over the law's "
                 "bootstrap draws, %.3g, includes the floor's uncertainty shared by every "
                 "shape)", PLAN_REGION_EPS_CAP, half);
    return eps;
}
