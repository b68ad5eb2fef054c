/* tests/test_fit_cv_predict.c — fit_cv_predict and fit_options_of_law (fit/fit.h), which the
 * parity figure's held-out predictions use (issue 15; they were refitted in plots/ before).
 *
 * 1. On rows of a known chinchilla law with a deterministic ±1% wobble, 6 groups (sizes):
 *    every held-out prediction equals an independent refit made here with fit_run on the
 *    other groups' rows and evaluated with law_form_eval (the same warm start and ftol), and
 *    the RMSE of the predictions equals fit_cv_groups' (computed from its own sums).
 * 2. fit_options_of_law reads back what fit_run writes as the objective: a Huber-on-log fit
 *    with delta 1e-4 gives FIT_HUBER_LOG with that delta; "lsq-log" and "lsq" likewise; the
 *    law's fixed parameters and values, a warm start at its parameters.
 * 3. Fewer than 2 groups: DW_EDATA.
 */
#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "check.h"
#include "common/dw.h"
#include "fit/fit.h"

enum { NR = 36 };

static const double P_[5] = {1.7, 400, 0.34, 410, 0.28}; /* E, A, alpha, B, delta */

int main(void) {
    gsl_set_error_handler_off();
    LawForm f;
    CHECK_STATUS(law_form_parse("chinchilla", &f));
    LawX x[NR];
    double loss[NR];
    int group[NR];
    for (int i = 0; i < NR; i++) {
        double N = 1e7 * pow(4, i / 6), T = 2e8 * pow(3, i % 6);
        x[i] = (LawX){.params = N, .tokens = T};
        loss[i] = law_form_eval(&f, P_, &x[i], NULL, NULL) * (1 + 0.01 * ((i * 7) % 3 - 1));
        group[i] = i / 6;
    }
    FitData d = {.n = NR, .x = x, .loss = loss};
    FitOptions o;
    fit_options_default(&o, &f);
    FitResult full;
    CHECK_STATUS(fit_run(&f, &d, &o, &full));

    /* 1. each prediction against an independent refit */
    double pred[NR];
    int nfolds = 0;
    CHECK_STATUS(fit_cv_predict(&f, &d, &o, &full, group, pred, &nfolds));
    CHECK(nfolds == 6);
    double ss = 0;
    for (int g = 0; g < 6; g++) {
        LawX tx[NR];
        double tl[NR];
        FitData tr = {.x = tx, .loss = tl};
        for (int i = 0; i < NR; i++)
            if (group[i] != g) tx[tr.n] = x[i], tl[tr.n++] = loss[i];
        FitOptions wo = o;
        wo.has_start = 1, wo.ftol = 1e-10;
        memcpy(wo.start, full.p, sizeof wo.start);
        FitResult fr;
        CHECK_STATUS(fit_run(&f, &tr, &wo, &fr));
        for (int i = 0; i < NR; i++) {
            if (group[i] != g) continue;
            double want = law_form_eval(&f, fr.p, &x[i], NULL, NULL);
            CHECK(fabs(pred[i] - want) <= 1e-12 * want);
            ss += (pred[i] - loss[i]) * (pred[i] - loss[i]);
        }
    }
    double rmse, rmse_log;
    CHECK_STATUS(fit_cv_groups(&f, &d, &o, &full, group, &rmse, &rmse_log, &nfolds));
    CHECK(fabs(rmse - sqrt(ss / NR)) <= 1e-12 * rmse);

    /* 2. the options a law records */
    FitOptions ho = o;
    ho.objective = FIT_HUBER_LOG, ho.huber_delta = 1e-4;
    CHECK_STATUS(fit_options_fix(&ho, &f, "E", 1.7));
    FitResult hr;
    CHECK_STATUS(fit_run(&f, &d, &ho, &hr));
    Law *law = fit_result_law(&f, &ho, &hr, NULL, "t");
    CHECK(law != NULL);
    if (law) {
        FitOptions back;
        fit_options_of_law(law, &back);
        CHECK(back.objective == FIT_HUBER_LOG && back.huber_delta == 1e-4);
        CHECK(back.fixed == ho.fixed && back.value[0] == 1.7 && back.has_start);
        CHECK(back.start[2] == law->p[2] && back.ftol == 1e-10);
        snprintf(law->fit.objective_kind, sizeof law->fit.objective_kind, "lsq-log");
        fit_options_of_law(law, &back);
        CHECK(back.objective == FIT_LSQ_LOG);
        snprintf(law->fit.objective_kind, sizeof law->fit.objective_kind, "lsq");
        fit_options_of_law(law, &back);
        CHECK(back.objective == FIT_LSQ);
        law_free(law);
    }

    /* 3. one group */
    int one[NR] = {0};
    CHECK(fit_cv_predict(&f, &d, &o, &full, one, pred, &nfolds) == DW_EDATA);
    return check_done("test_fit_cv_predict");
}
