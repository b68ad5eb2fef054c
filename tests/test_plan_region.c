/* tests/test_plan_region.c — the near-optimal region (planner/region.c; issue 13, part 4).
 *
 * Independent truth: every real shape of the scan is re-evaluated here through plan_eval_shape
 * (the planner's own report path, not region.c's evaluator), with the width rule the planner
 * promises (heads a multiple of 8 × head_dim), and the region is recounted by brute force.
 * Checks, on the default preset and on the gemstones preset at 1e20, 1e22 and 1e24 FLOPs:
 *   1. the region is exactly the brute-force set of shapes within eps of the best, sorted;
 *      its first shape is the best and the planner's recommendation is at least as costly;
 *   2. it contains the optimum and shrinks to it as eps -> 0 (monotone in eps, 1 shape at
 *      eps = 1e-12);
 *   3. p_within lies in [0, 1] and does not fall when eps grows (the draws are fixed);
 *   4. bad requests: eps <= 0 or NaN, a request with fixed N;
 *   4b. plan_region_p_point on a listed shape equals its p_within;
 *   5. N and T ranges cover the listed shapes; a shape-free law (chinchilla-epoch) is
 *      flagged (its region is a band of N); the default tolerance is the noise floor without
 *      bootstrap draws, the loss half-width above it, the cap beyond the cap;
 *   6. a head width that is not a multiple of 16 (24, with heads multiples 1 and 3, and 40
 *      with the default 8): the brute force walks every integer width, so a width the
 *      region's scan skips (it once stepped by 16) shows as a count mismatch.
 */
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/dw.h"
#include "fit/law.h"
#include "planner/plan.h"
#include "planner/region.h"

/* Brute force: shapes of the region's scan (depth and width within the span) whose loss
 * under plan_eval_shape is within eps of the lowest. A width is real when it is a multiple of
 * k × head width, k the request's heads multiple halved (or 1) while k × head width exceeds
 * it; widths are walked in steps of `wstep` (1 walks every integer). */
static int brute_(const Law *law, const PlanResult *res, double eps, int wstep, double *best) {
    double d0 = fmax(1, floor(res->cont.depth / PLAN_REGION_SPAN));
    double d1 = fmin(res->req.d_max, ceil(res->cont.depth * PLAN_REGION_SPAN));
    double w0 = fmax(res->req.w_min, res->cont.width / PLAN_REGION_SPAN);
    double w1 = fmin(res->req.w_max, res->cont.width * PLAN_REGION_SPAN);
    int k0 = res->req.heads_multiple > 0 ? res->req.heads_multiple : 8;
    double *L = NULL;
    int n = 0, cap = 0;
    *best = INFINITY;
    for (int D = (int)d0; D <= d1; D++)
        for (int W = wstep; W <= w1; W += wstep) {
            if (W < w0) continue;
            int hd = res->req.head_dim > 0 ? res->req.head_dim : plan_default_head_dim(W), k = k0;
            while (k > 1 && k * hd > W) k = k % 2 == 0 ? k / 2 : 1;
            if (W % (k * hd)) continue;
            PlanShape s;
            PlanPoint pt;
            plan_shape_at(law, D, W, hd, &s);
            if (plan_eval_shape(law, &s, res->req.compute, 0, &pt) != DW_OK || !(pt.tokens >= 1))
                continue;
            if (n == cap) L = realloc(L, sizeof *L * (size_t)(cap = cap ? 2 * cap : 1024));
            L[n++] = pt.loss;
            if (pt.loss < *best) *best = pt.loss;
        }
    int m = 0;
    for (int i = 0; i < n; i++) m += L[i] <= *best + eps;
    free(L);
    return m;
}

static void one_(const char *preset, double C) {
    Law *law = NULL;
    CHECK_STATUS(law_load(preset, &law));
    if (!law) return;
    PlanRequest req;
    PlanResult res;
    plan_request_default(&req);
    req.compute = C;
    CHECK_STATUS(plan_solve(law, &req, &res));
    const double eps_list[] = {0.02, 0.005, 0.001, 1e-12};
    int prev_n = 1 << 30;
    double p_prev_best = 2;
    for (size_t e = 0; e < sizeof eps_list / sizeof eps_list[0]; e++) {
        double eps = eps_list[e], best;
        PlanRegion g;
        CHECK_STATUS(plan_region(law, &res, eps, 100, &g));
        int want = brute_(law, &res, eps, 16, &best);
        CHECK(g.n == want);
        CHECK_ABS(g.best_loss, best, 1e-12);
        CHECK(g.n >= 1 && g.n <= prev_n);
        CHECK(res.real.loss >= g.best_loss - 1e-12);
        for (int i = 0; i < g.n; i++) {
            CHECK(g.shapes[i].dloss >= 0 && g.shapes[i].dloss <= eps + 1e-15);
            if (i) CHECK(g.shapes[i].loss >= g.shapes[i - 1].loss);
            CHECK(g.ndraws == 0 || (g.shapes[i].p_within >= 0 && g.shapes[i].p_within <= 1));
        }
        for (int i = 0; i < g.n; i++) {
            CHECK(g.params_lo <= g.shapes[i].params_law && g.shapes[i].params_law <= g.params_hi);
            CHECK(g.tokens_lo <= g.shapes[i].tokens && g.shapes[i].tokens <= g.tokens_hi);
        }
        CHECK(g.shape_free == !law_form_has_shape(&law->form));
        CHECK(g.depth_lo <= g.shapes[0].shape.depth && g.shapes[0].shape.depth <= g.depth_hi);
        /* the best shape's probability cannot grow as eps shrinks */
        if (g.ndraws) {
            CHECK(g.shapes[0].p_within <= p_prev_best + 1e-12);
            p_prev_best = g.shapes[0].p_within;
        }
        if (eps < 1e-9) CHECK(g.n == 1 && !g.wide);
        /* any point's P(within): on a listed shape it is that shape's p_within */
        for (int i = 0; g.ndraws && i < g.n; i += 1 + g.n / 7) {
            const PlanRegionShape *r = &g.shapes[i];
            LawX x = {.depth = r->shape.depth, .width = r->shape.width, .params = r->params_law,
                      .tokens = r->tokens};
            double p;
            CHECK_STATUS(plan_region_p_point(law, &g, &x, &p));
            CHECK(p == r->p_within);
        }
        CHECK(g.wide == (g.depth_hi >= PLAN_REGION_WIDE * g.depth_lo ||
                         g.width_hi >= PLAN_REGION_WIDE * g.width_lo));
        prev_n = g.n;
        plan_region_free(&g);
    }
    law_free(law);
}

/* A head width not a multiple of 16: every integer width is tried by the brute force. */
static void head_dim_(const char *preset, double C, int head_dim, int heads_multiple) {
    Law *law = NULL;
    CHECK_STATUS(law_load(preset, &law));
    if (!law) return;
    PlanRequest req;
    PlanResult res;
    plan_request_default(&req);
    req.compute = C, req.head_dim = head_dim, req.heads_multiple = heads_multiple;
    CHECK_STATUS(plan_solve(law, &req, &res));
    const double eps_list[] = {0.01, 0.002};
    for (size_t e = 0; e < 2; e++) {
        double best;
        PlanRegion g;
        CHECK_STATUS(plan_region(law, &res, eps_list[e], 0, &g));
        int want = brute_(law, &res, eps_list[e], 1, &best);
        if (g.n != want)
            fprintf(stderr, "%s at %g, head_dim %d x%d, eps %g: region %d shapes, brute %d\n",
                    preset, C, head_dim, heads_multiple, eps_list[e], g.n, want);
        CHECK(g.n == want);
        CHECK_ABS(g.best_loss, best, 1e-12);
        for (int i = 0; i < g.n; i++) CHECK(fmod(g.shapes[i].shape.width, head_dim) == 0);
        plan_region_free(&g);
    }
    law_free(law);
}

/* plan_region_default_eps: max(noise floor, bootstrap loss half-width), capped. */
static void default_eps_(void) {
    Law *law = NULL;
    CHECK_STATUS(law_load("chinchilla-epoch", &law));
    if (!law) return;
    PlanRequest req;
    PlanResult res;
    PlanRegion g;
    char why[320];
    plan_request_default(&req);
    req.compute = 1e22;
    CHECK_STATUS(plan_solve(law, &req, &res));
    CHECK(law->ndraws == 0 && plan_region_default_eps(law, &res, why, sizeof why) == PLAN_REGION_NOISE);
    CHECK(strstr(why, "noise floor") != NULL);
    CHECK_STATUS(plan_region(law, &res, 0.005, 0, &g));
    CHECK(g.shape_free && g.n > 1);
    plan_region_free(&g);
    static double fake[20 * LAW_MAXP];
    law->ndraws = 20, law->draws = fake; /* only the count is read; restored below */
    const double half[3] = {0.002, 0.008, 0.05}, want[3] = {PLAN_REGION_NOISE, 0.008,
                                                           PLAN_REGION_EPS_CAP};
    for (int k = 0; k < 3; k++) {
        res.loss_lo = res.real.loss - half[k], res.loss_hi = res.real.loss + half[k];
        CHECK_ABS(plan_region_default_eps(law, &res, NULL, 0), want[k], 1e-12);
    }
    res.loss_lo = res.loss_hi = NAN;
    CHECK(plan_region_default_eps(law, &res, NULL, 0) == PLAN_REGION_NOISE);
    law->ndraws = 0, law->draws = NULL;
    law_free(law);
}

static void bad_(void) {
    Law *law = NULL;
    CHECK_STATUS(law_load(LAW_DEFAULT_PRESET, &law));
    PlanRequest req;
    PlanResult res;
    PlanRegion g;
    plan_request_default(&req);
    req.compute = 1e22;
    CHECK_STATUS(plan_solve(law, &req, &res));
    CHECK(plan_region(law, &res, 0, 0, &g) == DW_EINVAL);
    CHECK(plan_region(law, &res, NAN, 0, &g) == DW_EINVAL);
    plan_request_default(&req);
    req.params = 7e9;
    req.compute = 1e22;
    CHECK_STATUS(plan_solve(law, &req, &res));
    CHECK(plan_region(law, &res, 0.01, 0, &g) == DW_EINVAL);
    law_free(law);
}

int main(void) {
    gsl_set_error_handler_off();
    const double budgets[] = {1e20, 1e22, 1e24};
    for (int b = 0; b < 3; b++) {
        one_(LAW_DEFAULT_PRESET, budgets[b]);
        one_("gemstones", budgets[b]);
    }
    head_dim_(LAW_DEFAULT_PRESET, 1e20, 24, 1);
    head_dim_("gemstones", 1e20, 24, 3);
    head_dim_(LAW_DEFAULT_PRESET, 1e20, 40, 8);
    default_eps_();
    bad_();
    return check_done("test_plan_region");
}
