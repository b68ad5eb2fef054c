/* tests/test_plan_intervals.c — plan_intervals (planner/plan.h): the 95% intervals of D*, W*,
 * N*, T* and D_crit over parameter draws, against computations made here.
 *
 * The law is the default preset (F2 shape:log, D_crit = kappa·ln W exactly) at C = 1e21.
 * 1. zero-width draws (every draw = the law's parameters), as bootstrap draws and as a
 *    zero covariance: every interval has lo == hi == the point optimum, and D_crit's is
 *    kappa·ln W of the recommended shape.
 * 2. 21 draws that vary B and kappa: D_crit's interval is the type-7 percentile (position
 *    q·(n−1) of the sorted values) of kappa_d·ln W; the others are the same percentiles of
 *    each draw's optimum re-solved here with plan_solve (the full nested search, while
 *    plan_intervals warm-starts a simplex).
 * 3. draws spread twice as far give intervals that contain the narrower ones, and both
 *    contain the point optimum (the draws straddle the law's B).
 * 4. no draws and no covariance, or too few draws: no interval (NaN) and a reason.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "check.h"
#include "common/dw.h"
#include "fit/law.h"
#include "planner/plan.h"

#define BUDGET 1e21
enum { ND = 21 };

static int cmp_(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* type-7 quantile of v[n] (sorted here) */
static double quantile(double *v, int n, double q) {
    qsort(v, (size_t)n, sizeof *v, cmp_);
    double pos = q * (n - 1);
    int i = (int)floor(pos);
    return i >= n - 1 ? v[n - 1] : v[i] + (pos - i) * (v[i + 1] - v[i]);
}

static Law *load(void) {
    Law *law = NULL;
    CHECK_STATUS(law_load("depth-delusion", &law)); /* its kappa: the paper's law */
    return law;
}

static int idx(const Law *law, const char *name) {
    int i = law_form_param_index(&law->form, name);
    DW_ASSERT(i >= 0);
    return i;
}

/* the four optimum intervals of res as [k][2], k = D, W, N, T */
static const double *ci_of(const PlanResult *res, int k) {
    return k == 0 ? res->depth_ci : k == 1 ? res->width_ci : k == 2 ? res->params_ci
                                                                    : res->tokens_ci;
}

static double cont_of(const PlanPoint *pt, int k) {
    return k == 0 ? pt->depth : k == 1 ? pt->width : k == 2 ? pt->params_law : pt->tokens;
}

static int solve(const Law *law, PlanResult *res) {
    PlanRequest req;
    plan_request_default(&req);
    req.compute = BUDGET;
    int rc = plan_solve(law, &req, res);
    CHECK_STATUS(rc);
    return rc;
}

// ----------------------------------------------------------------------------
// 1. zero-width draws

static void check_point_interval(const PlanResult *res, const Law *law, const char *what) {
    for (int k = 0; k < 4; k++) {
        const double *ci = ci_of(res, k);
        if (!(ci[0] == ci[1])) fprintf(stderr, "%s: interval %d is [%.12g, %.12g]\n", what, k,
                                       ci[0], ci[1]);
        CHECK(ci[0] == ci[1]);
        CHECK_REL(ci[0], cont_of(&res->cont, k), 1e-4);
    }
    double dc = law->p[idx(law, "kappa")] * log(res->real.width);
    CHECK(res->dcrit_ci[0] == res->dcrit_ci[1]);
    CHECK_REL(res->dcrit_ci[0], dc, 1e-6);
    CHECK_REL(res->real.dcrit, dc, 1e-6);
}

static void test_zero_width(void) {
    Law *law = load();
    if (!law) return;
    PlanResult res;
    const int np = law->form.np, n = 24;
    /* as bootstrap draws */
    law->draws = malloc(sizeof(double) * n * np);
    CHECK(law->draws != NULL);
    if (!law->draws || solve(law, &res)) goto out;
    for (int d = 0; d < n; d++) memcpy(law->draws + d * np, law->p, sizeof(double) * np);
    law->ndraws = n;
    CHECK_STATUS(plan_intervals(law, &res, 0));
    CHECK(res.ci_draws == n);
    CHECK(strstr(res.ci_method, "bootstrap") != NULL);
    check_point_interval(&res, law, "bootstrap draws");
    /* as a zero covariance: N(p, 0) draws are all p */
    free(law->draws);
    law->draws = NULL;
    law->ndraws = 0;
    law->has_cov = 1;
    memset(law->cov, 0, sizeof law->cov);
    CHECK_STATUS(plan_intervals(law, &res, 30));
    CHECK(res.ci_draws == 30);
    CHECK(strstr(res.ci_method, "asymptotic normal") != NULL);
    check_point_interval(&res, law, "zero covariance");
out:
    law_free(law);
}

// ----------------------------------------------------------------------------
// 2. draws that vary B and kappa, re-solved here

/* multipliers of B: two far below, 17 near 1, two far above; kappa's are the same values
 * in another order, so different draws hold the extremes. spread s raises them to s. */
static void make_draws(Law *law, double spread) {
    const int np = law->form.np, ib = idx(law, "B"), ik = idx(law, "kappa");
    double m[ND] = {0.5, 0.7, 1.4, 2.0};
    for (int i = 0; i < 17; i++) m[4 + i] = 0.92 + 0.01 * i;
    for (int d = 0; d < ND; d++) {
        double *p = law->draws + d * np;
        memcpy(p, law->p, sizeof(double) * np);
        p[ib] *= pow(m[d], spread);
        p[ik] *= pow(m[(d * 8) % ND], 0.25 * spread); /* 8 is prime to 21: a permutation */
    }
    law->ndraws = ND;
}

static void test_resolved(void) {
    Law *law = load(), *one = load();
    if (!law || !one) goto out;
    const int np = law->form.np, ik = idx(law, "kappa");
    PlanResult res, r1;
    law->draws = malloc(sizeof(double) * ND * np);
    CHECK(law->draws != NULL);
    if (!law->draws || solve(law, &res)) goto out;
    make_draws(law, 1.0);
    CHECK_STATUS(plan_intervals(law, &res, 0));
    CHECK(res.ci_draws == ND);

    double v[4][ND], dc[ND], lnw = log(res.real.width);
    for (int d = 0; d < ND; d++) {
        memcpy(one->p, law->draws + d * np, sizeof(double) * np);
        if (solve(one, &r1)) goto out;
        for (int k = 0; k < 4; k++) v[k][d] = cont_of(&r1.cont, k);
        dc[d] = law->draws[d * np + ik] * lnw;
    }
    for (int k = 0; k < 4; k++) {
        double lo = quantile(v[k], ND, 0.025), hi = quantile(v[k], ND, 0.975);
        const double *ci = ci_of(&res, k);
        /* the ends sit half-way between the two most extreme draws, which differ by ~10%
         * here; the simplex and the nested search agree to ~1e-5 */
        CHECK_REL(ci[0], lo, 1e-4);
        CHECK_REL(ci[1], hi, 1e-4);
        CHECK(ci[0] < ci[1]);
    }
    CHECK_REL(res.dcrit_ci[0], quantile(dc, ND, 0.025), 1e-6);
    CHECK_REL(res.dcrit_ci[1], quantile(dc, ND, 0.975), 1e-6);
out:
    law_free(law);
    law_free(one);
}

// ----------------------------------------------------------------------------
// 3. wider draws, wider intervals; both contain the point

static void test_nested(void) {
    Law *law = load();
    if (!law) return;
    const int np = law->form.np;
    PlanResult narrow, wide;
    law->draws = malloc(sizeof(double) * ND * np);
    CHECK(law->draws != NULL);
    if (!law->draws || solve(law, &narrow) || solve(law, &wide)) goto out;
    make_draws(law, 1.0);
    CHECK_STATUS(plan_intervals(law, &narrow, 0));
    make_draws(law, 2.0);
    CHECK_STATUS(plan_intervals(law, &wide, 0));
    for (int k = 0; k < 4; k++) {
        const double *a = ci_of(&narrow, k), *b = ci_of(&wide, k);
        double x = cont_of(&narrow.cont, k);
        CHECK(a[0] <= x && x <= a[1]);
        CHECK(b[0] < a[0] && a[1] < b[1]);
    }
    CHECK(wide.dcrit_ci[0] < narrow.dcrit_ci[0] && narrow.dcrit_ci[1] < wide.dcrit_ci[1]);
    CHECK(narrow.dcrit_ci[0] <= narrow.real.dcrit && narrow.real.dcrit <= narrow.dcrit_ci[1]);
out:
    law_free(law);
}

// ----------------------------------------------------------------------------
// 4. no interval

static void test_none(void) {
    Law *law = load();
    if (!law) return;
    PlanResult res;
    if (solve(law, &res)) goto out;
    /* the preset has a covariance but no draws: fewer than 20 requested is no interval */
    CHECK(law->ndraws == 0 && law->has_cov);
    CHECK_STATUS(plan_intervals(law, &res, 10));
    CHECK(isnan(res.depth_ci[0]) && isnan(res.tokens_ci[1]) && isnan(res.dcrit_ci[0]));
    CHECK(strstr(res.ci_method, "fewer than 20") != NULL);
    /* neither draws nor covariance */
    law->has_cov = 0;
    CHECK_STATUS(plan_intervals(law, &res, 200));
    CHECK(isnan(res.width_ci[0]) && isnan(res.params_ci[1]));
    CHECK(strncmp(res.ci_method, "none", 4) == 0);
out:
    law_free(law);
}

int main(void) {
    gsl_set_error_handler_off();
    test_zero_width();
    test_resolved();
    test_nested();
    test_none();
    return check_done("test_plan_intervals");
}
