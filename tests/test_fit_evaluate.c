/* tests/test_fit_evaluate.c — fit_evaluate (fit/evaluate.h): a law judged on rows from sources
 * with different loss floors.
 *
 * 1. Offsets: rows of a known chinchilla law in two sources, shifted by +0.3 and −0.2 plus an
 *    alternating ±ε_s "noise" (zero mean per source), so every figure has a closed form:
 *    mean error −offset_s, offset-removed RMSE ε_s, raw RMSE sqrt(offset² + ε²), pooled
 *    offset-removed RMSE sqrt(Σ n_s ε_s² / Σ n_s); the pairwise-difference RMSE is checked
 *    against a brute-force loop over pairs; skipped rows are counted.
 * 2. Pair ordering on a hand-built set: 4 runs at one size and token count, width 512,
 *    depths 5, 8, 12, 20, observed L = chinchilla + 0.05·ln²(D/D0(W)), D0 = 8·(W/512)^0.5.
 *    A law without a shape term predicts ties (accuracy 1/2), the truth's logsq law gets 1,
 *    the same law with the sign flipped gets 0.
 *    Then one extra row at a time, each exercising one pair rule, with the pair count known;
 *    and 240 rows in 3 sources against an O(n²) count of the rule and a brute-force Spearman.
 * 3. Bad arguments.
 *
 * Known limitations of this file:
 * | what                                          | where instead                       |
 * |-----------------------------------------------|-------------------------------------|
 * | fit --predict rendering of these figures      | the CLI tests of fit --predict      |
 * | real multi-source tables                      | not in the tree                     |
 */
#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "check.h"
#include "common/dw.h"
#include "fit/evaluate.h"

enum { NMAX = 32 };

static const double P_CHIN[5] = {1.7, 400, 0.34, 410, 0.28}; /* E, A, alpha, B, delta */

/* chinchilla written out */
static double chin(double N, double T) {
    return P_CHIN[0] + P_CHIN[1] * pow(N, -P_CHIN[2]) + P_CHIN[3] * pow(T, -P_CHIN[4]);
}

static Law *law_of(const char *form, const double *p, int np) {
    LawForm f;
    if (law_form_parse(form, &f) != DW_OK) return NULL;
    DW_ASSERT(f.np == np);
    Law *law = law_alloc(&f);
    if (law) memcpy(law->p, p, (size_t)np * sizeof *p);
    return law;
}

// ----------------------------------------------------------------------------
// 1. offsets

static void test_offsets(void) {
    static const double off[2] = {0.3, -0.2}, eps[2] = {0.01, 0.02};
    static const int nper[2] = {10, 6};
    LawX x[NMAX];
    double loss[NMAX], e[NMAX];
    int src[NMAX], n = 0;
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < nper[s]; i++, n++) {
            double N = 1e7 * pow(1.8, i + s * 0.5), T = 20 * N;
            double nu = (i % 2 ? -1 : 1) * eps[s];
            x[n] = (LawX){.depth = NAN, .width = NAN, .params = N, .tokens = T};
            loss[n] = chin(N, T) + off[s] + nu;
            e[n] = -off[s] - nu; /* L̂ − L */
            src[n] = s;
        }
    /* one row without tokens in source 1: skipped, counted */
    x[n] = (LawX){.depth = NAN, .width = NAN, .params = 1e8, .tokens = NAN};
    loss[n] = 3.0, src[n] = 1, n++;
    FitData d = {.n = n, .x = x, .loss = loss};
    Law *law = law_of("chinchilla", P_CHIN, 5);
    CHECK(law != NULL);
    if (!law) return;
    FitEval ev;
    CHECK_STATUS(fit_evaluate(law, &d, src, 2, NULL, &ev));
    CHECK(ev.nsources == 2);
    for (int s = 0; s < 2; s++) {
        CHECK(ev.src[s].n == nper[s]);
        CHECK_ABS(ev.src[s].mean_error, -off[s], 1e-12);
        CHECK_REL(ev.src[s].rmse_offset, eps[s], 1e-9);
        CHECK_REL(ev.src[s].rmse, sqrt(off[s] * off[s] + eps[s] * eps[s]), 1e-9);
        CHECK_REL(ev.src[s].spearman, 1.0, 1e-12);
        CHECK(ev.src[s].n_pairs == 0 && isnan(ev.src[s].accuracy)); /* no depth: no pairs */
    }
    CHECK(ev.src[0].n_skipped == 0 && ev.src[1].n_skipped == 1);
    CHECK(ev.all.n == 16 && ev.all.n_skipped == 1);
    CHECK_REL(ev.all.rmse_offset, sqrt((10 * eps[0] * eps[0] + 6 * eps[1] * eps[1]) / 16), 1e-9);
    CHECK_ABS(ev.all.mean_error, -(10 * off[0] + 6 * off[1]) / 16, 1e-12);
    CHECK(isnan(ev.all.spearman));
    /* "differences between runs": RMS of (L̂_i − L̂_j) − (L_i − L_j) over within-source pairs */
    double ss = 0, np = 0;
    for (int i = 0; i < 16; i++)
        for (int j = i + 1; j < 16; j++)
            if (src[i] == src[j]) ss += (e[i] - e[j]) * (e[i] - e[j]), np++;
    CHECK_REL(ev.rmse_pairdiff, sqrt(ss / np), 1e-9);
    printf("offsets: mean error %.6f %.6f, offset-removed RMSE %.6f %.6f, pooled %.6f, "
           "raw %.6f, pair-diff %.6f\n", ev.src[0].mean_error, ev.src[1].mean_error,
           ev.src[0].rmse_offset, ev.src[1].rmse_offset, ev.all.rmse_offset, ev.all.rmse,
           ev.rmse_pairdiff);

    /* source NULL: one source, one offset removed from every row */
    CHECK_STATUS(fit_evaluate(law, &d, NULL, 1, NULL, &ev));
    double mean = 0, dev = 0;
    for (int i = 0; i < 16; i++) mean += e[i] / 16;
    for (int i = 0; i < 16; i++) dev += (e[i] - mean) * (e[i] - mean);
    CHECK(ev.src[0].n == 16 && ev.src[0].n_skipped == 1);
    CHECK_ABS(ev.src[0].mean_error, mean, 1e-12);
    CHECK_REL(ev.src[0].rmse_offset, sqrt(dev / 16), 1e-9);
    CHECK_REL(ev.all.rmse_offset, ev.src[0].rmse_offset, 1e-12);
    law_free(law);

    /* a shape law on rows without depth: every row skipped, DW_EDATA, counts still filled */
    static const double p_logsq[8] = {1.7, 400, 0.34, 410, 0.28, 0.05, 8, 0};
    law = law_of("logsq:power", p_logsq, 8);
    CHECK(law != NULL);
    if (!law) return;
    CHECK(fit_evaluate(law, &d, src, 2, NULL, &ev) == DW_EDATA);
    CHECK(ev.all.n == 0 && ev.all.n_skipped == 17 && isnan(ev.all.rmse_offset));
    law_free(law);
}

// ----------------------------------------------------------------------------
// 2. pair ordering

/* D0(W) = d0·W^0.5 with D0(512) = 8 */
#define D0_COEF (8 / sqrt(512.0))

/* logsq:power with D0(W) = D0_COEF·W^0.5 and shape coefficient g */
static Law *logsq_law(double g) {
    double p[8] = {1.7, 400, 0.34, 410, 0.28, g, D0_COEF, 0.5};
    return law_of("logsq:power", p, 8);
}

/* the observed losses: chinchilla + 0.05·ln²(D/D0(W)) */
static double truth(const LawX *x) {
    double l = log(x->depth / (D0_COEF * sqrt(x->width)));
    return chin(x->params, x->tokens) + 0.05 * l * l;
}

/* The base set: 4 runs, N = 1e8, T = 2e9, W = 512, D = 5, 8, 12, 20. */
static int base_rows(LawX *x, double *loss, int *src) {
    static const double D[4] = {5, 8, 12, 20};
    for (int i = 0; i < 4; i++) {
        x[i] = (LawX){.depth = D[i], .width = 512, .params = 1e8, .tokens = 2e9};
        loss[i] = truth(&x[i]), src[i] = 0;
    }
    return 4;
}

static void test_pairs_base(void) {
    LawX x[NMAX];
    double loss[NMAX];
    int src[NMAX];
    FitData d = {.n = base_rows(x, loss, src), .x = x, .loss = loss};
    Law *flat = law_of("chinchilla", P_CHIN, 5), *right = logsq_law(0.05);
    Law *wrong = logsq_law(-0.05);
    CHECK(flat && right && wrong);
    if (!flat || !right || !wrong) goto out;
    FitEval ev;
    double acc[3];
    CHECK_STATUS(fit_evaluate(flat, &d, src, 1, NULL, &ev));
    acc[0] = ev.all.accuracy;
    CHECK(ev.all.n_pairs == 6);
    CHECK_ABS(ev.all.n_correct, 3.0, 0);
    CHECK_ABS(ev.all.accuracy, 0.5, 0);
    CHECK(isnan(ev.src[0].spearman)); /* constant prediction */
    CHECK_STATUS(fit_evaluate(right, &d, src, 1, NULL, &ev));
    acc[1] = ev.all.accuracy;
    CHECK(ev.all.n_pairs == 6 && ev.all.n_pairs_matched == 6);
    CHECK_ABS(ev.all.accuracy, 1.0, 0);
    CHECK_ABS(ev.all.accuracy_matched, 1.0, 0);
    CHECK_REL(ev.src[0].spearman, 1.0, 1e-12);
    CHECK_ABS(ev.all.rmse_offset, 0.0, 1e-12);
    CHECK_STATUS(fit_evaluate(wrong, &d, src, 1, NULL, &ev));
    acc[2] = ev.all.accuracy;
    CHECK(ev.all.n_pairs == 6);
    CHECK_ABS(ev.all.n_correct, 0.0, 0);
    CHECK_ABS(ev.all.accuracy, 0.0, 0);
    CHECK_REL(ev.src[0].spearman, -1.0, 1e-12);
    printf("pairs: tie law %.3f, truth's shape %.3f, sign flipped %.3f\n", acc[0], acc[1],
           acc[2]);
    /* tie_tol 0.005: |ΔL| of (D=5, D=12) is 0.05·(ln²(5/8) − ln²(1.5)) = 0.0028: skipped */
    FitEvalOptions o;
    fit_eval_options_default(&o);
    o.tie_tol = 0.005;
    CHECK_STATUS(fit_evaluate(right, &d, src, 1, &o, &ev));
    CHECK(ev.all.n_pairs == 5 && ev.all.n_obs_ties == 1);
    /* two copies of the set in two sources: pairs never cross sources */
    int n = 4;
    for (int i = 0; i < 4; i++, n++) x[n] = x[i], loss[n] = loss[i] + 0.7, src[n] = 1;
    d.n = n;
    CHECK_STATUS(fit_evaluate(wrong, &d, src, 2, NULL, &ev));
    CHECK(ev.src[0].n_pairs == 6 && ev.src[1].n_pairs == 6 && ev.all.n_pairs == 12);
    CHECK_ABS(ev.src[1].mean_error, -0.7 + ev.src[0].mean_error, 1e-12);
out:
    law_free(flat), law_free(right), law_free(wrong);
}

/* One extra row next to the base set, and what the pair rules make of it. */
typedef struct {
    const char *name;
    double depth, width, params_x, tokens_x; /* params and tokens as factors of the base's */
    int src, no_shape, same_loss_as_d8;      /* same_loss_as_d8: observed loss of the D=8 row */
    double size_tol;                         /* 0: default */
    long long pairs, matched, ties;
} PairCase;

static const PairCase pair_cases[] = {
    {"tokens 5% off", 6, 512, 1, 1.05, 0, 0, 0, 0, 6, 6, 0},
    {"tokens 1.5% off", 6, 512, 1, 1.015, 0, 0, 0, 0, 10, 10, 0},
    {"same shape as D=8", 8, 512, 1, 1.01, 0, 0, 0, 0, 9, 9, 0},
    {"other width", 8, 768, 1, 1, 0, 0, 0, 0, 10, 10, 0},
    {"params x1.10", 6, 512, 1.10, 1, 0, 0, 0, 0, 10, 6, 0},
    {"params x1.20", 6, 512, 1.20, 1, 0, 0, 0, 0, 6, 6, 0},
    {"params x1.20, size_tol 1.25", 6, 512, 1.20, 1, 0, 0, 0, 1.25, 10, 6, 0},
    {"params /1.10", 6, 512, 1 / 1.10, 1, 0, 0, 0, 0, 10, 6, 0},
    {"other source", 6, 512, 1, 1, 1, 0, 0, 0, 6, 6, 0},
    {"no shape", NAN, NAN, 1, 1, 0, 1, 0, 0, 6, 6, 0},
    {"observed tie with D=8", 6, 512, 1, 1, 0, 0, 1, 0, 9, 9, 1},
};

static void test_pair_rules(void) {
    Law *right = logsq_law(0.05);
    CHECK(right != NULL);
    if (!right) return;
    for (size_t c = 0; c < sizeof pair_cases / sizeof pair_cases[0]; c++) {
        const PairCase *pc = &pair_cases[c];
        LawX x[NMAX];
        double loss[NMAX];
        int src[NMAX], n = base_rows(x, loss, src);
        x[n] = (LawX){.depth = pc->depth, .width = pc->width, .params = 1e8 * pc->params_x,
                      .tokens = 2e9 * pc->tokens_x, .no_shape = pc->no_shape};
        loss[n] = pc->same_loss_as_d8 ? loss[1] : pc->no_shape ? 3.0 : truth(&x[n]);
        src[n++] = pc->src;
        FitData d = {.n = n, .x = x, .loss = loss};
        FitEvalOptions o;
        fit_eval_options_default(&o);
        if (pc->size_tol > 0) o.size_tol = pc->size_tol;
        FitEval ev;
        CHECK_STATUS(fit_evaluate(right, &d, src, 2, &o, &ev));
        int ok = ev.all.n_pairs == pc->pairs && ev.all.n_pairs_matched == pc->matched &&
                 ev.all.n_obs_ties == pc->ties && ev.all.n == 5 &&
                 ev.all.n_no_shape == pc->no_shape;
        /* the truth's own law orders every pair whose losses it made */
        if (!pc->same_loss_as_d8) ok = ok && ev.all.n_correct == (double)pc->pairs;
        if (!ok)
            fprintf(stderr, "pair case '%s': pairs %lld (want %lld), matched %lld (want %lld), "
                    "ties %lld (want %lld), correct %g\n", pc->name, ev.all.n_pairs, pc->pairs,
                    ev.all.n_pairs_matched, pc->matched, ev.all.n_obs_ties, pc->ties,
                    ev.all.n_correct);
        CHECK(ok);
    }
    law_free(right);
}

/* Many rows in 3 sources against an O(n²) count of the documented pair rule and a Spearman
 * from counted ranks (rank = 1 + #smaller + #equal others / 2), with losses rounded to 0.01
 * so that ties occur. */
enum { NBIG = 240 };

static double brute_rank(const double *v, const int *src, int n, int i) {
    double r = 1;
    for (int j = 0; j < n; j++)
        if (j != i && src[j] == src[i]) r += v[j] < v[i] ? 1 : v[j] == v[i] ? 0.5 : 0;
    return r;
}

static void test_pairs_bruteforce(void) {
    static LawX x[NBIG];
    static double loss[NBIG], pred[NBIG];
    static int src[NBIG];
    static const double D[] = {4, 6, 8, 12, 16, 24}, W[] = {256, 384, 512, 768};
    Law *law = logsq_law(0.03);
    CHECK(law != NULL);
    if (!law) return;
    for (int i = 0; i < NBIG; i++) {
        double dep = D[(i * 7) % 6], wid = W[(i * 5 / 3) % 4];
        double T = 1e9 * (1 + i % 3) * (1 + 0.01 * ((i * 13) % 5)); /* 0-4% jitter */
        double N = 1e8 * (1 + 0.04 * ((i * 3) % 7));                 /* factors 1 to 1.24 */
        x[i] = (LawX){.depth = dep, .width = wid, .params = N, .tokens = T};
        src[i] = (i * 11) % 3;
        loss[i] = round(100 * (truth(&x[i]) + 0.2 * src[i] + 0.004 * sin(3.1 * i))) / 100;
        pred[i] = law_eval(law, &x[i]);
    }
    x[17].no_shape = 1, x[17].depth = x[17].width = NAN; /* predicted, never paired */
    pred[17] = law_eval(law, &x[17]);
    FitData d = {.n = NBIG, .x = x, .loss = loss};
    FitEval ev;
    CHECK_STATUS(fit_evaluate(law, &d, src, 3, NULL, &ev));
    long long np = 0, nm = 0, nt = 0;
    double nc = 0, ncm = 0;
    for (int i = 0; i < NBIG; i++)
        for (int j = i + 1; j < NBIG; j++) {
            if (src[i] != src[j] || i == 17 || j == 17) continue;
            if (fmax(x[i].tokens, x[j].tokens) > fmin(x[i].tokens, x[j].tokens) * 1.02) continue;
            double ratio = fmax(x[i].params, x[j].params) / fmin(x[i].params, x[j].params);
            if (ratio > 1.15 || (x[i].depth == x[j].depth && x[i].width == x[j].width)) continue;
            double dl = loss[i] - loss[j], dp = pred[i] - pred[j];
            if (dl == 0) {
                nt++;
                continue;
            }
            double c = fabs(dp) < 1e-12 ? 0.5 : (dp > 0) == (dl > 0);
            np++, nc += c;
            if (ratio <= 1.05) nm++, ncm += c;
        }
    printf("brute force: %lld pairs (%lld matched, %lld observed ties), accuracy %.4f, "
           "matched %.4f; fit_evaluate: %lld pairs, accuracy %.4f\n", np, nm, nt, nc / np,
           ncm / nm, ev.all.n_pairs, ev.all.accuracy);
    CHECK(np > 50 && nm > 10 && nt > 0); /* the set exercises every rule */
    CHECK(ev.all.n_pairs == np && ev.all.n_pairs_matched == nm && ev.all.n_obs_ties == nt);
    CHECK_ABS(ev.all.n_correct, nc, 0);
    CHECK_ABS(ev.all.n_correct_matched, ncm, 0);
    for (int s = 0; s < 3; s++) {
        double sp = 0, sl = 0, spp = 0, sll = 0, spl = 0, n = 0;
        for (int i = 0; i < NBIG; i++) {
            if (src[i] != s) continue;
            double a = brute_rank(pred, src, NBIG, i), b = brute_rank(loss, src, NBIG, i);
            sp += a, sl += b, spp += a * a, sll += b * b, spl += a * b, n++;
        }
        double rho = (spl - sp * sl / n) / sqrt((spp - sp * sp / n) * (sll - sl * sl / n));
        CHECK_REL(ev.src[s].spearman, rho, 1e-9);
    }
    law_free(law);
}

// ----------------------------------------------------------------------------
// 3. bad arguments

static void test_bad_args(void) {
    LawX x[NMAX];
    double loss[NMAX];
    int src[NMAX];
    FitData d = {.n = base_rows(x, loss, src), .x = x, .loss = loss};
    Law *law = law_of("chinchilla", P_CHIN, 5);
    CHECK(law != NULL);
    if (!law) return;
    FitEval ev;
    FitEvalOptions o;
    CHECK(fit_evaluate(law, &d, src, 0, NULL, &ev) == DW_EINVAL);
    CHECK(fit_evaluate(law, &d, src, FIT_EVAL_MAX_SOURCES + 1, NULL, &ev) == DW_EINVAL);
    CHECK(fit_evaluate(law, &d, NULL, FIT_EVAL_MAX_SOURCES, NULL, &ev) == DW_OK);
    CHECK(ev.src[0].n == 4 && ev.src[1].n == 0 && isnan(ev.src[1].rmse_offset));
    src[2] = 1;
    CHECK(fit_evaluate(law, &d, src, 1, NULL, &ev) == DW_EINVAL);
    CHECK(strstr(dw_error_get(), "row 2 has source 1") != NULL);
    src[2] = -1;
    CHECK(fit_evaluate(law, &d, src, 2, NULL, &ev) == DW_EINVAL);
    src[2] = 0;
    fit_eval_options_default(&o);
    o.size_tol = 0.9;
    CHECK(fit_evaluate(law, &d, src, 1, &o, &ev) == DW_EINVAL);
    fit_eval_options_default(&o);
    o.tie_tol = NAN;
    CHECK(fit_evaluate(law, &d, src, 1, &o, &ev) == DW_EINVAL);
    CHECK(fit_evaluate(NULL, &d, src, 1, NULL, &ev) == DW_EINVAL);
    d.n = 0;
    CHECK(fit_evaluate(law, &d, NULL, 1, NULL, &ev) == DW_EDATA);
    law_free(law);
}

int main(void) {
    gsl_set_error_handler_off();
    test_offsets();
    test_pairs_base();
    test_pair_rules();
    test_pairs_bruteforce();
    test_bad_args();
    return check_done("test_fit_evaluate");
}
