/* tests/test_fit_options.c — FitOptions.asym (`dwplan fit --asym A`): over-predictions
 * (L̂ > L) weigh (1 + A) times as much in a squared objective (fit/fit.h).
 *
 * 1. fit_objective against a direct computation of each objective (least squares on L and
 *    on ln L, Huber on ln L) with weights, for several A.
 * 2. fit_run against closed forms: with A = B = 0 fixed the law is the constant E, and with
 *    losses 1, 2, 3, 4 the weighted first-order condition has one root (derived per case).
 */
#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "check.h"
#include "common/dw.h"
#include "fit/fit.h"

// ----------------------------------------------------------------------------
// 1. the objective, written out

enum { NR = 8 };

/* chinchilla written out: E + A·N^-alpha + B·T^-delta */
static double chin(const double *p, const LawX *x) {
    return p[0] + p[1] * pow(x->params, -p[2]) + p[3] * pow(x->tokens, -p[4]);
}

static double huber(double r, double delta) {
    return fabs(r) <= delta ? 0.5 * r * r : delta * (fabs(r) - 0.5 * delta);
}

/* The documented rule: residual r (L̂ − L, or ln L̂ − ln L) is multiplied by sqrt(1 + asym)
 * when r > 0; the objective sums w·r² (least squares) or w·huber_δ(r). */
static double direct_objective(const double *p, const FitData *d, FitObjective obj,
                               double asym, double delta) {
    double s = 0;
    for (int j = 0; j < d->n; j++) {
        double lhat = chin(p, &d->x[j]);
        double r = obj == FIT_LSQ ? lhat - d->loss[j] : log(lhat) - log(d->loss[j]);
        double w = d->weight ? d->weight[j] : 1.0;
        if (obj == FIT_HUBER_LOG) s += w * huber(r > 0 ? r * sqrt(1 + asym) : r, delta);
        else s += w * (r > 0 ? 1 + asym : 1.0) * r * r;
    }
    return s;
}

static void test_objective(void) {
    LawForm f;
    CHECK_STATUS(law_form_parse("chinchilla", &f));
    const double p[5] = {1.7, 420, 0.33, 1900, 0.29};
    LawX x[NR] = {{0}};
    double loss[NR], w[NR];
    /* rows alternate 3% above and below the law, by factors that differ per row; Huber's
     * δ = 0.02 puts some scaled residuals inside the quadratic zone and some outside */
    for (int j = 0; j < NR; j++) {
        x[j] = (LawX){.depth = 4, .width = 512, .params = 3e6 * pow(3, j),
                      .tokens = 2e9 * pow(2, (j * 5) % NR)};
        double e = 0.004 * (j + 1) * (j % 2 ? 1 : -1);
        loss[j] = chin(p, &x[j]) * exp(e);
        w[j] = 0.5 + 0.25 * j;
    }
    FitData d = {.n = NR, .x = x, .loss = loss, .weight = w};
    static const FitObjective objs[3] = {FIT_LSQ, FIT_LSQ_LOG, FIT_HUBER_LOG};
    static const double asyms[3] = {0, 0.5, 3};
    for (int k = 0; k < 3; k++)
        for (int a = 0; a < 3; a++) {
            FitOptions o;
            fit_options_default(&o, &f);
            o.objective = objs[k];
            o.huber_delta = 0.02;
            o.asym = asyms[a];
            double got = fit_objective(&f, p, &d, &o);
            double want = direct_objective(p, &d, objs[k], asyms[a], 0.02);
            if (fabs(got - want) > 1e-12 * want)
                fprintf(stderr, "objective %d, asym %g: got %.15g want %.15g\n", k, asyms[a],
                        got, want);
            CHECK_REL(got, want, 1e-12);
        }
    /* asym raises the objective exactly by A·(the over-predicting rows' share) */
    FitOptions o0, o3;
    fit_options_default(&o0, &f);
    fit_options_default(&o3, &f);
    o3.asym = 3;
    double over = 0;
    for (int j = 0; j < NR; j++) {
        double r = chin(p, &x[j]) - loss[j];
        if (r > 0) over += w[j] * r * r;
    }
    CHECK(over > 0);
    CHECK_REL(fit_objective(&f, p, &d, &o3) - fit_objective(&f, p, &d, &o0), 3 * over, 1e-9);
}

// ----------------------------------------------------------------------------
// 2. closed-form fits of a constant law L̂ = E to losses 1, 2, 3, 4

typedef struct {
    const char *name;
    FitObjective obj;
    double asym;
    double w1;        /* weight of the row with loss 1 (the others weigh 1) */
    double huber_delta;
    double want_e;    /* the root of the first-order condition */
} AsymCase;

/* Derivations (E between 1 and 2 in every asymmetric case: only the loss-1 row is
 * over-predicted, so its weight is (1 + A)·w1):
 *   lsq, A = 0:        E = mean = 2.5
 *   lsq, A = 3:        4(E−1) + (E−2) + (E−3) + (E−4) = 0       → E = 13/7
 *   lsq, A = 3, w1 = 2: 8(E−1) + (E−2) + (E−3) + (E−4) = 0      → E = 17/11
 *   lsq-log, A = 0:    ln E = (ln 1 + ln 2 + ln 3 + ln 4)/4     → E = 24^(1/4)
 *   lsq-log, A = 3:    4 ln E + 3 ln E = ln 2 + ln 3 + ln 4     → E = 24^(1/7)
 *   huber-log, δ = 1, A = 3: every scaled residual is below 1 (|2·ln 1.5746| = 0.91,
 *                      ln 4 − ln 1.5746 = 0.93), so Huber is ½ × lsq-log → E = 24^(1/7) */
static const AsymCase cases[] = {
    {"lsq A=0", FIT_LSQ, 0, 1, 0, 2.5},
    {"lsq A=3", FIT_LSQ, 3, 1, 0, 13.0 / 7},
    {"lsq A=3 w1=2", FIT_LSQ, 3, 2, 0, 17.0 / 11},
    {"lsq-log A=0", FIT_LSQ_LOG, 0, 1, 0, 2.213363839400643}, /* 24^(1/4) */
    {"lsq-log A=3", FIT_LSQ_LOG, 3, 1, 0, 1.5746101062584457}, /* 24^(1/7) */
    {"huber-log A=3", FIT_HUBER_LOG, 3, 1, 1.0, 1.5746101062584457},
};

static void test_closed_forms(void) {
    LawForm f;
    CHECK_STATUS(law_form_parse("chinchilla", &f));
    CHECK_REL(pow(24, 0.25), cases[3].want_e, 1e-15);
    CHECK_REL(pow(24, 1.0 / 7), cases[4].want_e, 1e-15);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const AsymCase *k = &cases[c];
        LawX x[4] = {{0}};
        double loss[4] = {1, 2, 3, 4}, w[4] = {k->w1, 1, 1, 1};
        for (int j = 0; j < 4; j++)
            x[j] = (LawX){.depth = 2 + j, .width = 256, .params = 1e7 * (j + 1), .tokens = 1e10};
        FitData d = {.n = 4, .x = x, .loss = loss, .weight = k->w1 != 1 ? w : NULL};
        FitOptions o;
        FitResult r;
        fit_options_default(&o, &f);
        CHECK_STATUS(fit_options_fix(&o, &f, "A", 0));
        CHECK_STATUS(fit_options_fix(&o, &f, "B", 0));
        CHECK_STATUS(fit_options_fix(&o, &f, "alpha", 0.3));
        CHECK_STATUS(fit_options_fix(&o, &f, "delta", 0.3));
        o.objective = k->obj;
        o.asym = k->asym;
        if (k->huber_delta > 0) o.huber_delta = k->huber_delta;
        int rc = fit_run(&f, &d, &o, &r);
        CHECK_STATUS(rc);
        if (rc != DW_OK) continue;
        if (fabs(r.p[0] - k->want_e) > 1e-7 * k->want_e)
            fprintf(stderr, "case %s: E = %.12g, want %.12g (%s)\n", k->name, r.p[0], k->want_e,
                    r.info.status);
        CHECK_REL(r.p[0], k->want_e, 1e-7);
        /* the reported objective is the objective at that E, written out */
        double pe[5] = {k->want_e, 0, 0.3, 0, 0.3}, want_obj = 0;
        for (int j = 0; j < 4; j++) {
            double res = k->obj == FIT_LSQ ? k->want_e - loss[j] : log(k->want_e / loss[j]);
            double wt = (d.weight ? w[j] : 1.0) * (res > 0 ? 1 + k->asym : 1.0);
            want_obj += (k->obj == FIT_HUBER_LOG ? 0.5 : 1.0) * wt * res * res;
        }
        CHECK_REL(fit_objective(&f, pe, &d, &o), want_obj, 1e-12);
        CHECK_REL(r.info.objective, want_obj, 1e-9);
    }
}

int main(void) {
    gsl_set_error_handler_off();
    test_objective();
    test_closed_forms();
    return check_done("test_fit_options");
}
