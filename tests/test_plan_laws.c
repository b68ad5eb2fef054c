/* tests/test_plan_laws.c — one recommendation under several laws (planner/laws.c; issue 13,
 * deliverable 3).
 *
 * Independent truth: the recommended shape's loss under each law is recomputed here from
 * the law's own counting (plan_shape_at, plan_law_params, plan_flops_per_token, law_eval),
 * and each law's own optimum is a separate plan_solve with the same request.
 * Checks, for every embedded preset as the recommending law at 1e20 and 1e22 FLOPs:
 *   1. the recommending law's own row has regret exactly 0, and every row >= −1e-4;
 *   2. each row's recommended-shape loss and T match the recount, its own optimum matches
 *      plan_solve under that law;
 *   3. fixed N: each law holds the recommended shape's N in its own convention (within 2%);
 *      fixed T: T is held exactly for both the optimum and the recommended shape;
 *   4. the agreement sentence names the ranges the rows give (N, T) and the largest regret;
 *   4b. a model (llama-3-70b) under each law: regret = plan_eval_shape − own optimum, and
 *      past_dcrit only under a law with an interior D_crit it exceeds;
 *   5. a law that cannot be solved gets a row with its reason, and the others still count.
 */
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "common/dw.h"
#include "common/dwfmt.h"
#include "fit/law.h"
#include "planner/laws.h"
#include "planner/hfconfig.h"
#include "planner/plan.h"

#define MAXL 16

static int load_all_(Law **laws) {
    const char *const *names = law_preset_names();
    int n = 0;
    for (int i = 0; names[i] && n < MAXL; i++) {
        laws[n] = NULL;
        CHECK_STATUS(law_load(names[i], &laws[n]));
        if (laws[n]) n++;
    }
    return n;
}

/* The recommended shape's loss under `law` at compute C, counted independently. */
static double recount_(const Law *law, const PlanPoint *r, double C, double *T) {
    PlanShape s;
    plan_shape_at(law, r->depth, r->width, r->head_dim, &s);
    double N = plan_law_params(&law->conv, &s);
    *T = C / plan_flops_per_token(&law->conv, &s);
    LawX x = {.depth = r->depth, .width = r->width, .params = N, .tokens = *T};
    return law_eval(law, &x);
}

static void at_compute_(Law **laws, int n, int main_law, double C) {
    PlanRequest req;
    PlanResult res;
    PlanLawTable t;
    plan_request_default(&req);
    req.compute = C;
    CHECK_STATUS(plan_solve(laws[main_law], &req, &res));
    CHECK_STATUS(plan_laws_compare((const Law *const *)laws, n, &res, &t));
    CHECK(t.n == n && t.nok == n);
    double nlo = INFINITY, nhi = 0, worst = -INFINITY;
    for (int i = 0; i < t.n; i++) {
        const PlanLawRow *r = &t.rows[i];
        CHECK(r->ok);
        if (i == main_law) CHECK(r->regret == 0.0);
        CHECK(r->regret >= -1e-4);
        CHECK(strcmp(r->name, laws[i]->name) == 0);
        double T, L = recount_(laws[i], &res.real, C, &T);
        CHECK_REL(r->rec.loss, L, 1e-12);
        CHECK_REL(r->rec.tokens, T, 1e-12);
        CHECK(r->rec.depth == res.real.depth && r->rec.width == res.real.width);
        PlanResult own;
        CHECK_STATUS(plan_solve(laws[i], &req, &own));
        CHECK(r->own.depth == own.real.depth && r->own.width == own.real.width);
        CHECK_REL(r->own.loss, own.real.loss, 1e-12);
        CHECK_REL(r->regret, L - own.real.loss, 1e-9);
        nlo = fmin(nlo, r->own.params_nonembed), nhi = fmax(nhi, r->own.params_nonembed);
        worst = fmax(worst, r->regret);
    }
    char a[32], b[32], want[96];
    snprintf(want, sizeof want, "(%s–%s)", dw_fmt_count(nlo, a, sizeof a),
             dw_fmt_count(nhi, b, sizeof b));
    if (!strstr(t.agree, want)) fprintf(stderr, "agree: '%s' lacks '%s'\n", t.agree, want);
    CHECK(strstr(t.agree, want) != NULL);
    snprintf(want, sizeof want, "at most %+.4f nats", worst);
    CHECK(strstr(t.agree, want) != NULL);
    CHECK(t.regret_max == worst);
    plan_laws_free(&t);
}

static void fixed_(Law **laws, int n) {
    PlanRequest req;
    PlanResult res;
    PlanLawTable t;
    /* N fixed with the compute */
    plan_request_default(&req);
    req.compute = 1e22, req.params = 5e9;
    CHECK_STATUS(plan_solve(laws[0], &req, &res));
    CHECK_STATUS(plan_laws_compare((const Law *const *)laws, n, &res, &t));
    for (int i = 0; i < t.n; i++) {
        const PlanLawRow *r = &t.rows[i];
        CHECK(r->ok);
        double n_k = 5e9 * r->rec.params_law / res.real.params_law; /* 5e9 in law k's N */
        CHECK(fabs(r->own.params_law / n_k - 1) <= PLAN_ROUND_TOL + 1e-12);
        CHECK_REL(r->own.flops, 1e22, 1e-9);
        if (i == 0) CHECK(r->regret == 0.0);
    }
    CHECK(strstr(t.agree, "non-embedding N") == NULL); /* held: no claim of the laws */
    plan_laws_free(&t);
    /* T fixed alone */
    plan_request_default(&req);
    req.tokens = 2e11;
    CHECK_STATUS(plan_solve(laws[0], &req, &res));
    CHECK_STATUS(plan_laws_compare((const Law *const *)laws, n, &res, &t));
    for (int i = 0; i < t.n; i++) {
        const PlanLawRow *r = &t.rows[i];
        CHECK(r->ok);
        CHECK(r->own.tokens == 2e11 && r->rec.tokens == 2e11);
        if (i == 0) CHECK(r->regret == 0.0);
    }
    CHECK(strstr(t.agree, "T within") == NULL && strstr(t.agree, "T (") == NULL);
    plan_laws_free(&t);
}

/* A model with its own blocks (GQA, its vocabulary) under each law at the same compute:
 * plan_eval_shape under that law, against that law's own optimum. */
static void model_(Law **laws, int n) {
    PlanShape m;
    PlanCheck ck;
    PlanLawTable t;
    char name[64];
    CHECK_STATUS(plan_model_shape("llama-3-70b", &m, name, sizeof name));
    CHECK_STATUS(plan_check(laws[0], &m, 0, 15e12, &ck));
    CHECK_STATUS(plan_laws_compare_shape((const Law *const *)laws, n, &ck.opt, &m, &t));
    for (int i = 0; i < t.n; i++) {
        const PlanLawRow *r = &t.rows[i];
        PlanPoint pt;
        PlanResult own;
        CHECK(r->ok);
        CHECK_STATUS(plan_eval_shape(laws[i], &m, ck.pt.flops, 0, &pt));
        CHECK_STATUS(plan_solve(laws[i], &ck.opt.req, &own));
        CHECK_REL(r->regret, pt.loss - own.real.loss, 1e-12);
        CHECK(r->past_dcrit == (pt.dcrit_kind == PLAN_DCRIT_INTERIOR && pt.depth > pt.dcrit));
        if (!law_form_has_shape(&laws[i]->form)) CHECK(!r->past_dcrit);
        if (i == 0) CHECK_REL(r->rec.loss, ck.pt.loss, 1e-9); /* the same compute */
    }
    CHECK(strstr(t.agree, "the checked shape costs at most") != NULL);
    plan_laws_free(&t);
    PlanRequest req = ck.opt.req;
    PlanResult res;
    req.tokens = 1e12;
    CHECK_STATUS(plan_solve(laws[0], &req, &res));
    CHECK(plan_laws_compare_shape((const Law *const *)laws, n, &res, &m, &t) == DW_EINVAL);
}

static void broken_(Law **laws, int n) {
    PlanRequest req;
    PlanResult res;
    PlanLawTable t;
    plan_request_default(&req);
    req.compute = 1e22;
    CHECK_STATUS(plan_solve(laws[0], &req, &res));
    Law bad = *laws[n - 1]; /* shallow copy, read only */
    for (int k = 0; k < bad.form.np; k++) bad.p[k] = NAN;
    const Law *set[2] = {laws[0], &bad};
    CHECK_STATUS(plan_laws_compare(set, 2, &res, &t));
    CHECK(t.n == 2 && t.nok == 1 && t.rows[0].ok && !t.rows[1].ok);
    CHECK(t.rows[1].why[0] != '\0' && isnan(t.rows[1].regret));
    CHECK(strstr(t.agree, "only one law") != NULL);
    plan_laws_free(&t);
    CHECK(plan_laws_compare(set, 0, &res, &t) == DW_EINVAL);
}

int main(void) {
    gsl_set_error_handler_off();
    Law *laws[MAXL];
    int n = load_all_(laws);
    if (n < 2) {
        printf("test_plan_laws: fewer than two presets\n");
        return 77;
    }
    for (int m = 0; m < n; m++) {
        at_compute_(laws, n, m, 1e20);
        at_compute_(laws, n, m, 1e22);
    }
    fixed_(laws, n);
    model_(laws, n);
    broken_(laws, n);
    for (int i = 0; i < n; i++) law_free(laws[i]);
    return check_done("test_plan_laws");
}
