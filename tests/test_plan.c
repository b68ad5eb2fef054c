/* tests/test_plan.c — the compute-constrained planner (planner/plan.c, DESIGN §4.4, §4.6).
 *
 * Checks, each against an answer derived independently of the planner:
 *   1. budget:       the real shape spends the budget (T·flops_per_token = C), is a real
 *                    shape (integer depth >= 1, width a multiple of the head width);
 *   2. brute force:  no integer shape on a full grid (D 1..200, W multiples of the head
 *                    width up to 32768) beats the recommended real shape at the same C;
 *   3. Chinchilla:   the closed form N* = G·(C/6)^(δ/(α+δ)), G = (αA/(δB))^(1/(α+δ)),
 *                    T* = C/(6N*) with Epoch AI's refit of Hoffmann et al.;
 *   4. exponents:    DESIGN §4.6: with N = 12·D·W², C = 6NT and a shape-only Φ with
 *                    D0 ∝ W^β: N* ∝ C^(δ/(α+δ)), D* ∝ C^(δ/(α+δ)·β/(2+β)),
 *                    W* ∝ C^(δ/(α+δ)/(2+β)), T* ∝ C^(α/(α+δ)), for β = 0.44 and 0.2;
 *   5. D_crit:       F2 shape:log has its fixed-width minimum exactly at κ·ln W;
 *   6. bad requests: rejected with a status and a message;
 *   7. --params / --tokens modes reproduce the asked N* / T*;
 *   8. alternatives: same compute, none better than the recommendation, every one shown
 *                    or dropped with a reason;
 *   9. evaluated shapes: a shape given by its head count (head width derived, as a
 *                    Hugging Face config gives it) reports heads × head_dim = W.
 */
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../common/dw.h"
#include "../fit/law.h"
#include "../planner/count.h"
#include "../planner/plan.h"
#include "check.h"

// ----------------------------------------------------------------------------
// helpers

typedef struct {
    const char *name;
    double value;
} NamedParam;

/* A law of `form` with the named parameters (all of the form's parameters must be given)
 * and the given conventions (vocab etc. left at the defaults). NULL on failure (counted). */
static Law *make_law(const char *form, const NamedParam *ps, int n, LawParamsConv pc,
                     LawFlopsConv fc) {
    LawForm f;
    int rc = law_form_parse(form, &f);
    CHECK_STATUS(rc);
    if (rc) return NULL;
    Law *law = law_alloc(&f);
    CHECK(law != NULL);
    if (!law) return NULL;
    snprintf(law->name, sizeof law->name, "test %s", form);
    int set = 0;
    for (int i = 0; i < n; i++) {
        int k = law_form_param_index(&f, ps[i].name);
        if (k < 0) {
            fprintf(stderr, "%s:%d: form %s has no parameter '%s'\n", __FILE__, __LINE__, form,
                    ps[i].name);
            CHECK(k >= 0);
            continue;
        }
        law->p[k] = ps[i].value;
        set++;
    }
    if (set != f.np) {
        fprintf(stderr, "%s:%d: form %s: %d of %d parameters set\n", __FILE__, __LINE__, form,
                set, f.np);
        CHECK(set == f.np);
    }
    law->conv.params = pc;
    law->conv.flops = fc;
    return law;
}

#define NP(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The synthetic laws (the paper's alpha and delta). */
static const NamedParam f2_power_[] = {{"E", 1.5},      {"A", 20},      {"alpha", 0.076},
                                       {"B", 30},       {"delta", 0.095}, {"gamma", 0.5},
                                       {"c", 1.0},      {"beta", 0.44}};
static const NamedParam f1_power_[] = {{"E", 1.5},      {"A", 20},      {"alpha", 0.076},
                                       {"B", 30},       {"delta", 0.095}, {"gamma", 0.5},
                                       {"d0", 1.0},     {"beta", 0.44}};

static int is_whole(double x) { return isfinite(x) && x == floor(x); }

/* A real shape: integer depth >= 1, width a positive multiple of the head width. */
static void check_real_shape(const char *what, double C, const PlanPoint *pt) {
    int ok = is_whole(pt->depth) && pt->depth >= 1 && pt->head_dim > 0 && pt->heads > 0 &&
             is_whole(pt->width) && fmod(pt->width, pt->head_dim) == 0 &&
             (double)pt->heads * pt->head_dim == pt->width;
    if (!ok)
        fprintf(stderr, "%s at C = %g: not a real shape: D = %.17g, W = %.17g, heads %d x %d\n",
                what, C, pt->depth, pt->width, pt->heads, pt->head_dim);
    CHECK(ok);
}

// ----------------------------------------------------------------------------
// 1. budget

static void check_budget(const char *what, const Law *law) {
    static const double budgets[] = {1e19, 1e21, 1e22, 1e24};
    for (int i = 0; i < NP(budgets); i++) {
        double C = budgets[i];
        PlanRequest req;
        PlanResult res;
        plan_request_default(&req);
        req.compute = C;
        int rc = plan_solve(law, &req, &res);
        CHECK_STATUS(rc);
        if (rc) continue;
        CHECK_REL(res.real.flops, C, 0.01);
        /* flops is T × flops per token of the real shape */
        PlanShape s;
        plan_shape_at(law, res.real.depth, res.real.width, res.real.head_dim, &s);
        CHECK_REL(res.real.tokens * plan_flops_per_token(&law->conv, &s), res.real.flops, 1e-12);
        CHECK_REL(res.cont.flops, C, 1e-6);
        check_real_shape(what, C, &res.real);
        CHECK(isfinite(res.real.loss) && isfinite(res.cont.loss));
    }
}

static void test_budget(void) {
    Law *law = NULL;
    int rc = law_load(LAW_DEFAULT_PRESET, &law);
    CHECK_STATUS(rc);
    if (!rc) check_budget("default law", law);
    law_free(law);

    law = make_law("shape:power", f2_power_, NP(f2_power_), LAW_PARAMS_NONEMBED, LAW_FLOPS_FULL);
    if (law) check_budget("F2 shape:power", law);
    law_free(law);
}

// ----------------------------------------------------------------------------
// 2. brute force over integer shapes

static void check_brute_force(const char *what, const Law *law, double C) {
    PlanRequest req;
    PlanResult res;
    plan_request_default(&req);
    req.compute = C;
    req.heads_multiple = 1; /* any head count: the grid below is every multiple of head_dim */
    int rc = plan_solve(law, &req, &res);
    CHECK_STATUS(rc);
    if (rc) return;
    check_real_shape(what, C, &res.real);
    int hd = res.real.head_dim;
    if (hd <= 0) return;
    double bestL = HUGE_VAL, bestD = 0, bestW = 0;
    long beaten = 0;
    for (int d = 1; d <= 200; d++)
        for (int w = hd; w <= 32768; w += hd) {
            PlanShape s;
            plan_shape_at(law, d, w, hd, &s);
            double T = C / plan_flops_per_token(&law->conv, &s);
            LawX x = {.depth = d, .width = w, .params = plan_law_params(&law->conv, &s), .tokens = T};
            double L = law_eval(law, &x);
            if (!isfinite(L)) continue;
            if (L < bestL) bestL = L, bestD = d, bestW = w;
            if (L < res.real.loss - 1e-9 * fabs(res.real.loss)) beaten++;
        }
    if (beaten)
        fprintf(stderr,
                "%s at C = %g: %ld grid shapes beat the recommended %gx%g (loss %.12g); best "
                "%gx%g loss %.12g (continuous optimum D = %.4g, W = %.6g, head_dim %d)\n",
                what, C, beaten, res.real.depth, res.real.width, res.real.loss, bestD, bestW,
                bestL, res.cont.depth, res.cont.width, hd);
    CHECK(beaten == 0);
    CHECK(res.cont.loss <= res.real.loss + 1e-12);
}

static void test_brute_force(void) {
    static const double budgets[] = {1e21, 1e23};
    Law *f2 = make_law("shape:power", f2_power_, NP(f2_power_), LAW_PARAMS_NONEMBED,
                       LAW_FLOPS_FULL);
    Law *f1 = make_law("logsq:power", f1_power_, NP(f1_power_), LAW_PARAMS_NONEMBED,
                       LAW_FLOPS_FULL);
    for (int i = 0; i < NP(budgets); i++) {
        if (f2) check_brute_force("F2 shape:power", f2, budgets[i]);
        if (f1) check_brute_force("F1 logsq:power", f1, budgets[i]);
    }
    law_free(f2);
    law_free(f1);
}

// ----------------------------------------------------------------------------
// 3. Chinchilla closed form (Epoch AI's refit, Besiroglu et al. 2024)

static void test_chinchilla(void) {
    const double E = 1.8172, A = 477.84, alpha = 0.34731, B = 2143.86, delta = 0.36718;
    const NamedParam ps[] = {{"E", E}, {"A", A}, {"alpha", alpha}, {"B", B}, {"delta", delta}};
    Law *law = make_law("chinchilla", ps, NP(ps), LAW_PARAMS_TOTAL, LAW_FLOPS_6NT);
    if (!law) return;
    const double G = pow(alpha * A / (delta * B), 1 / (alpha + delta));
    static const double budgets[] = {1e20, 1e22, 1e24};
    for (int i = 0; i < NP(budgets); i++) {
        double C = budgets[i];
        PlanRequest req;
        PlanResult res;
        plan_request_default(&req);
        req.compute = C;
        int rc = plan_solve(law, &req, &res);
        CHECK_STATUS(rc);
        if (rc) continue;
        double Nstar = G * pow(C / 6, delta / (alpha + delta));
        CHECK_REL(res.cont.params_law, Nstar, 1e-4);
        CHECK_REL(res.cont.tokens, C / (6 * Nstar), 1e-4);
        CHECK(res.shape_free == 1);
        check_real_shape("chinchilla", C, &res.real);
        CHECK_REL(res.real.flops, C, 0.01);
    }
    law_free(law);
}

// ----------------------------------------------------------------------------
// 4. exponents of the optima (DESIGN §4.6)

static void check_exponents(const char *form, const char *scale_name, double scale,
                            double beta) {
    const double alpha = 0.076, delta = 0.095;
    const NamedParam ps[] = {{"E", 1.5},      {"A", 20},         {"alpha", alpha},
                             {"B", 30},       {"delta", delta},  {"gamma", 0.5},
                             {scale_name, scale}, {"beta", beta}};
    Law *law = make_law(form, ps, NP(ps), LAW_PARAMS_12DW2, LAW_FLOPS_6NT);
    if (!law) return;
    PlanRequest base;
    plan_request_default(&base);
    base.d_max = 1e5;
    base.w_max = 1e8;
    const double lo = 1e17, hi = 1e25;
    const int n = 33;
    PlanPoint pts[33];
    double slope[4], se[4], r2[4];
    int rc = plan_sweep(law, &base, lo, hi, n, pts, slope, se, r2);
    CHECK_STATUS(rc);
    if (!rc) {
        double en = delta / (alpha + delta);
        double want[4] = {en * beta / (2 + beta), en / (2 + beta), en, alpha / (alpha + delta)};
        static const char *names[4] = {"D*", "W*", "N*", "T*"};
        for (int k = 0; k < 4; k++) {
            int ok = fabs(slope[k] - want[k]) <= 0.005;
            if (!ok)
                fprintf(stderr, "%s beta = %g: %s exponent %.5f, closed form %.5f (SE %.2g)\n",
                        form, beta, names[k], slope[k], want[k], se[k]);
            CHECK(ok);
        }
    }
    /* the end budgets must be interior optima, or the slopes mean nothing */
    const double ends[2] = {lo, hi};
    for (int e = 0; e < 2; e++) {
        PlanRequest req = base;
        PlanResult res;
        req.compute = ends[e];
        rc = plan_solve(law, &req, &res);
        CHECK_STATUS(rc);
        if (rc) continue;
        if (res.on_bound)
            fprintf(stderr, "%s beta = %g at C = %g: %s\n", form, beta, ends[e], res.bound_note);
        CHECK(res.on_bound == 0);
        CHECK(res.cont.depth > 1.5 && res.cont.depth < base.d_max / 2);
        CHECK(res.cont.width > 2 * base.w_min && res.cont.width < base.w_max / 2);
    }
    law_free(law);
}

static void test_exponents(void) {
    check_exponents("shape:power", "c", 1.0, 0.44);
    check_exponents("logsq:power", "d0", 1.0, 0.44);
    /* a second beta: the formula, not a coincidence. c = 3 keeps D* >= 3 at 1e17. */
    check_exponents("shape:power", "c", 3.0, 0.2);
    check_exponents("logsq:power", "d0", 1.0, 0.2);
}

// ----------------------------------------------------------------------------
// 5. critical depth

static void test_dcrit(void) {
    const NamedParam ps[] = {{"E", 1.5},       {"A", 20},      {"alpha", 0.076}, {"B", 30},
                             {"delta", 0.095}, {"gamma", 0.5}, {"kappa", 2.43}};
    Law *law = make_law("shape:log", ps, NP(ps), LAW_PARAMS_NONEMBED, LAW_FLOPS_FULL);
    if (law) {
        static const double widths[] = {256, 1024, 4096};
        static const double tokens[] = {1e9, 1e11};
        for (int i = 0; i < NP(widths); i++)
            for (int j = 0; j < NP(tokens); j++) {
                int kind = 99;
                double dc = plan_dcrit(law, widths[i], tokens[j], &kind);
                CHECK(kind == 0);
                CHECK_REL(dc, 2.43 * log(widths[i]), 1e-6);
            }
    }
    law_free(law);

    const NamedParam cp[] = {{"E", 1.8172}, {"A", 477.84}, {"alpha", 0.34731}, {"B", 2143.86},
                             {"delta", 0.36718}};
    law = make_law("chinchilla", cp, NP(cp), LAW_PARAMS_TOTAL, LAW_FLOPS_6NT);
    if (law) {
        int kind = 99;
        (void)plan_dcrit(law, 1024, 1e10, &kind);
        CHECK(kind == PLAN_DCRIT_NO_SHAPE); /* a shape-free law: no claim about depth */
    }
    law_free(law);
}

// ----------------------------------------------------------------------------
// 6. bad requests

static void check_bad(const Law *law, const char *what, double C, double N, double T) {
    PlanRequest req;
    PlanResult res;
    plan_request_default(&req);
    req.compute = C;
    req.params = N;
    req.tokens = T;
    dw_error_clear();
    int rc = plan_solve(law, &req, &res);
    const char *msg = dw_error_get();
    int ok = rc != 0 && msg && msg[0];
    if (!ok) fprintf(stderr, "bad request '%s': status %d, message '%s'\n", what, rc, msg ? msg : "(null)");
    CHECK(rc != 0);
    CHECK(msg && msg[0] != '\0');
}

static void test_bad_requests(void) {
    Law *law = NULL;
    int rc = law_load(LAW_DEFAULT_PRESET, &law);
    CHECK_STATUS(rc);
    if (rc) return;
    check_bad(law, "compute -1", -1, 0, 0);
    check_bad(law, "compute NaN", NAN, 0, 0);
    check_bad(law, "compute inf", INFINITY, 0, 0);
    check_bad(law, "no budget", 0, 0, 0);
    check_bad(law, "compute, params and tokens", 1e22, 1e9, 2e11);
    check_bad(law, "params -5", 0, -5, 0);
    law_free(law);
}

// ----------------------------------------------------------------------------
// 7. --params and --tokens modes

static void check_fixed_modes(const char *what, const Law *law) {
    PlanRequest req;
    PlanResult res;
    plan_request_default(&req);
    req.params = 1e9;
    int rc = plan_solve(law, &req, &res);
    CHECK_STATUS(rc);
    if (!rc) {
        if (fabs(res.cont.params_law / 1e9 - 1) > 1e-4)
            fprintf(stderr, "%s --params 1e9: N* = %.10g\n", what, res.cont.params_law);
        CHECK_REL(res.cont.params_law, 1e9, 1e-4);
        CHECK(res.req.compute > 0);
        check_real_shape(what, res.req.compute, &res.real);
    }
    plan_request_default(&req);
    req.tokens = 2e11;
    rc = plan_solve(law, &req, &res);
    CHECK_STATUS(rc);
    if (!rc) {
        if (fabs(res.cont.tokens / 2e11 - 1) > 1e-4)
            fprintf(stderr, "%s --tokens 2e11: T* = %.10g\n", what, res.cont.tokens);
        CHECK_REL(res.cont.tokens, 2e11, 1e-4);
        CHECK(res.req.compute > 0);
        check_real_shape(what, res.req.compute, &res.real);
    }
}

static void test_fixed_modes(void) {
    Law *law = NULL;
    int rc = law_load(LAW_DEFAULT_PRESET, &law);
    CHECK_STATUS(rc);
    if (!rc) check_fixed_modes("default law", law);
    law_free(law);
    law = make_law("shape:power", f2_power_, NP(f2_power_), LAW_PARAMS_NONEMBED, LAW_FLOPS_FULL);
    if (law) check_fixed_modes("F2 shape:power", law);
    law_free(law);
}

// ----------------------------------------------------------------------------
// 8. alternatives

static void test_alternatives(void) {
    Law *law = NULL;
    int rc = law_load(LAW_DEFAULT_PRESET, &law);
    CHECK_STATUS(rc);
    if (rc) return;
    static const double budgets[] = {1e19, 1e21, 1e22, 1e24};
    for (int i = 0; i < NP(budgets); i++) {
        PlanRequest req;
        PlanResult res;
        plan_request_default(&req);
        req.compute = budgets[i];
        rc = plan_solve(law, &req, &res);
        CHECK_STATUS(rc);
        if (rc) continue;
        CHECK_STATUS(plan_alternatives(law, &res, NULL, NULL));
        /* 2x depth, 1/2 depth, Chinchilla: each shown or dropped with a reason */
        CHECK(res.nalts + res.ndropped == 3);
        for (int k = 0; k < res.ndropped; k++) CHECK(strlen(res.dropped[k]) > 10);
        for (int a = 0; a < res.nalts; a++) {
            const PlanAlt *alt = &res.alts[a];
            double rel = fabs(alt->pt.flops - res.real.flops) / alt->pt.flops;
            if (!(rel < 0.02))
                fprintf(stderr, "C = %g: alternative '%s' spends %.6g FLOPs, plan %.6g\n",
                        budgets[i], alt->label, alt->pt.flops, res.real.flops);
            CHECK(rel < 0.02);
            if (!(alt->dloss >= -1e-9))
                fprintf(stderr,
                        "C = %g: alternative '%s' (loss %.10g) beats the recommended %gx%g "
                        "(loss %.10g) by %.3g nats\n",
                        budgets[i], alt->label, alt->pt.loss, res.real.depth, res.real.width,
                        res.real.loss, -alt->dloss);
            CHECK(alt->dloss >= -1e-9);
            CHECK_ABS(alt->dloss, alt->pt.loss - res.real.loss, 1e-12);
        }
    }
    law_free(law);
}

// ----------------------------------------------------------------------------
// 9. plan_eval_shape on a shape given by heads (head_dim derived as W / heads)

static void test_eval_shape_heads(void) {
    Law *law = NULL;
    int rc = law_load(LAW_DEFAULT_PRESET, &law);
    CHECK_STATUS(rc);
    if (rc) return;
    PlanShape s;
    PlanPoint pt;
    /* Llama-2-7B's block count, width and heads; head width 128 left for the counter to derive */
    plan_shape_at(law, 32, 4096, 0, &s);
    s.heads = 32;
    s.head_dim = 0;
    CHECK_STATUS(plan_eval_shape(law, &s, 0, 1e12, &pt));
    CHECK(pt.heads == 32);
    if (pt.head_dim * pt.heads != 4096)
        fprintf(stderr, "plan_eval_shape: 32 heads at W = 4096 reported head_dim %d (want 128)\n",
                pt.head_dim);
    CHECK(pt.head_dim * pt.heads == 4096);
    law_free(law);
}

int main(void) {
    gsl_set_error_handler_off();
    test_budget();
    test_brute_force();
    test_chinchilla();
    test_exponents();
    test_dcrit();
    test_bad_requests();
    test_fixed_modes();
    test_alternatives();
    test_eval_shape_heads();
    return check_done("test_plan");
}
