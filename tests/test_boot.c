/* tests/test_boot.c — bootstrap intervals (fit/boot.c): fit_percentile_ci against closed-form
 * percentiles, its status codes, and what a resample is (rows, or whole shapes with
 * --by-shape), seen through a one-parameter law whose refit is the resample's mean loss.
 *
 * Known limitations of this file:
 * | what                              | why not here                                      |
 * |-----------------------------------|---------------------------------------------------|
 * | DW_ENOMEM of fit_percentile_ci    | no portable way to make one malloc fail           |
 * | coverage of the intervals         | tests/test_slow_coverage.c (100 replicates, slow) |
 *
 * A refit that starts at its own optimum (a resample that is the data again, warm-started
 * from the full fit) converges and is kept, and FitBootCounts says what became of every
 * refit: test_refit_at_optimum.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "check.h"
#include "common/dw.h"
#include "fit/fit.h"

// ----------------------------------------------------------------------------
// fit_percentile_ci: the documented rule is linear interpolation at q·(n−1) of the sorted
// draws (q = 0.025, 0.975). Each case's expected ends are worked out by hand in its comment.

static void test_percentiles(void) {
    LawForm f;
    CHECK_STATUS(law_form_parse("chinchilla", &f)); /* np = 5 */
    enum { NP = 5, N41 = 41, N10 = 10 };
    double draws[N41 * NP], copy[N41 * NP], ci[LAW_MAXP][2];

    /* n = 41, values 0..40 in a scrambled order (r·17 mod 41 is a permutation):
     * positions 0.025·40 = 1 and 0.975·40 = 39 fall on draws, so the interval is [1, 39]
     * (q·n would give 1.025 and 39.975; a 90% interval [2, 38]). Parameter 1 is 10× that,
     * parameter 2 is the negated values ([-39, -1]), parameters 3 and 4 are constant. */
    for (int r = 0; r < N41; r++) {
        double v = (r * 17) % N41;
        double row[NP] = {v, 10 * v, -v, 7.0, -2.5};
        memcpy(draws + r * NP, row, sizeof row);
    }
    memcpy(copy, draws, sizeof draws);
    CHECK_STATUS(fit_percentile_ci(&f, draws, N41, ci));
    CHECK_ABS(ci[0][0], 1.0, 1e-12);
    CHECK_ABS(ci[0][1], 39.0, 1e-12);
    CHECK_ABS(ci[1][0], 10.0, 1e-11);
    CHECK_ABS(ci[1][1], 390.0, 1e-11);
    CHECK_ABS(ci[2][0], -39.0, 1e-12);
    CHECK_ABS(ci[2][1], -1.0, 1e-12);
    CHECK(ci[3][0] == 7.0 && ci[3][1] == 7.0);
    CHECK(ci[4][0] == -2.5 && ci[4][1] == -2.5);
    CHECK(memcmp(copy, draws, sizeof draws) == 0); /* the draws are const */

    /* n = 10, values 0, 10, ..., 90 scrambled (r·3 mod 10): positions 0.225 and 8.775, so
     * 0 + 0.225·10 = 2.25 and 80 + 0.775·10 = 87.75 (q·n: 2.5 and 90; 90%: 4.5 and 85.5) */
    for (int r = 0; r < N10; r++) {
        double v = 10.0 * ((r * 3) % N10);
        double row[NP] = {v, 1e6 + v, 0, 0, 0};
        memcpy(draws + r * NP, row, sizeof row);
    }
    CHECK_STATUS(fit_percentile_ci(&f, draws, N10, ci));
    CHECK_ABS(ci[0][0], 2.25, 1e-12);
    CHECK_ABS(ci[0][1], 87.75, 1e-12);
    CHECK_ABS(ci[1][0], 1e6 + 2.25, 1e-8);
    CHECK_ABS(ci[1][1], 1e6 + 87.75, 1e-8);

    /* n = 2, {5, 1}: 1 + 0.025·4 = 1.1 and 1 + 0.975·4 = 4.9 */
    double two[2 * NP] = {5, 0, 0, 0, 0, 1, 0, 0, 0, 0};
    CHECK_STATUS(fit_percentile_ci(&f, two, 2, ci));
    CHECK_ABS(ci[0][0], 1.1, 1e-12);
    CHECK_ABS(ci[0][1], 4.9, 1e-12);

    /* bad arguments: a status, never a silent NaN; the intervals are NaN after an error */
    CHECK(fit_percentile_ci(&f, draws, 0, ci) == DW_EINVAL);
    CHECK(isnan(ci[0][0]) && isnan(ci[0][1]) && isnan(ci[4][1]));
    CHECK(strlen(dw_error_get()) > 0);
    CHECK(fit_percentile_ci(&f, draws, -3, ci) == DW_EINVAL);
    CHECK(fit_percentile_ci(&f, draws, 1, ci) == DW_EINVAL); /* one draw: no interval */
    CHECK(isnan(ci[0][0]) && isnan(ci[0][1]));
    CHECK(fit_percentile_ci(&f, NULL, 10, ci) == DW_EINVAL);
    CHECK(fit_percentile_ci(&f, draws, 10, NULL) == DW_EINVAL);
    CHECK(fit_percentile_ci(NULL, draws, 10, ci) == DW_EINVAL);
}

// ----------------------------------------------------------------------------
// What a resample is. The law is chinchilla with A = B = 0 fixed, so L̂ = E and the
// least-squares refit of a resample is the mean loss of the rows it drew (each row once per
// draw). Six rows with losses 1, 2, 4, 8, 16, 32 in three shapes:
//   shape id 7: rows {1, 2}    (sum 3, 2 rows)
//   shape id 3: row  {4}       (sum 4, 1 row)
//   shape id 0: rows {8,16,32} (sum 56, 3 rows)
// Row resampling draws 6 rows, so 6·E is a sum of six integer losses: an integer. Resampling
// whole shapes draws 3 shapes (c7, c3, c0 copies, c7 + c3 + c0 = 3), so
// E = (3·c7 + 4·c3 + 56·c0) / (2·c7 + c3 + 3·c0): one of the 10 values below, and several
// of those (62/7, 11/4, 64/5, ...) are not integers over 6.

enum { NROWS = 6, NBOOT = 300 };

static void e_only_problem(LawForm *f, FitOptions *o, FitData *d, LawX *x, double *loss) {
    static const double l[NROWS] = {1, 2, 4, 8, 16, 32};
    CHECK_STATUS(law_form_parse("chinchilla", f));
    fit_options_default(o, f);
    CHECK_STATUS(fit_options_fix(o, f, "A", 0));
    CHECK_STATUS(fit_options_fix(o, f, "B", 0));
    CHECK_STATUS(fit_options_fix(o, f, "alpha", 0.3));
    CHECK_STATUS(fit_options_fix(o, f, "delta", 0.3));
    for (int i = 0; i < NROWS; i++) {
        x[i] = (LawX){.depth = 4 + i, .width = 256, .params = 1e7 * (i + 1), .tokens = 1e10};
        loss[i] = l[i];
    }
    *d = (FitData){.n = NROWS, .x = x, .loss = loss, .weight = NULL};
}

/* index of the whole-shape composition whose mean is e, or -1 */
static int composition_of(double e) {
    int k = 0;
    for (int c7 = 0; c7 <= 3; c7++)
        for (int c3 = 0; c3 + c7 <= 3; c3++, k++) {
            int c0 = 3 - c7 - c3;
            double mean = (3.0 * c7 + 4.0 * c3 + 56.0 * c0) / (2.0 * c7 + c3 + 3.0 * c0);
            if (fabs(e - mean) <= 1e-6 * mean) return k;
        }
    return -1;
}

/* the refits converge to ~1e-8 relative; means of six rows are 1/6 apart */
static int is_row_mean(double e) { return fabs(6 * e - round(6 * e)) <= 1e-5; }

static void test_resamples(void) {
    LawForm f;
    FitOptions o;
    FitData d;
    LawX x[NROWS] = {{0}};
    double loss[NROWS];
    FitResult full;
    e_only_problem(&f, &o, &d, x, loss);
    CHECK_STATUS(fit_run(&f, &d, &o, &full));
    CHECK_REL(full.p[0], 63.0 / 6, 1e-9); /* E on all rows: the mean loss */
    /* Refits start from full.p. Start from 10.3 instead: no resample's mean (6·10.3 is not
     * an integer, and it is none of the 10 whole-shape means), so every refit has to move
     * and the draws say where it went (refits that start at their optimum:
     * test_refit_at_optimum). */
    full.p[0] = 10.3;

    double *draws = malloc(sizeof(double) * NBOOT * f.np);
    CHECK(draws != NULL);
    if (!draws) return;
    int nok = 0;

    /* rows: every draw is a mean of six losses, and not always of the same six */
    FitBootOptions rows = {.n = NBOOT, .group = NULL, .seed = 11, .threads = 2};
    CHECK_STATUS(fit_bootstrap(&f, &d, &o, &full, &rows, draws, &nok));
    CHECK(nok == NBOOT);
    int row_means = 0, distinct_rows = 0;
    for (int r = 0; r < nok; r++) {
        double e = draws[(size_t)r * f.np];
        row_means += is_row_mean(e);
        if (!is_row_mean(e) && row_means + 3 > r)
            fprintf(stderr, "row draw %d: E = %.12g is no mean of 6 rows\n", r, e);
        distinct_rows += fabs(e - 10.5) > 1e-6;
        /* the fixed parameters stay fixed */
        CHECK(draws[(size_t)r * f.np + 1] == 0 && draws[(size_t)r * f.np + 3] == 0);
    }
    CHECK(row_means == nok);
    CHECK(distinct_rows > nok / 2);

    /* whole shapes: every draw is one of the 10 compositions, most of them appear, and some
     * draws are not means of six rows (a row resampler could never give them) */
    static const int group[NROWS] = {7, 7, 3, 0, 0, 0};
    FitBootOptions shapes = {.n = NBOOT, .group = group, .seed = 11, .threads = 2};
    CHECK_STATUS(fit_bootstrap(&f, &d, &o, &full, &shapes, draws, &nok));
    CHECK(nok == NBOOT);
    int seen[10] = {0}, whole = 0, not_row = 0;
    for (int r = 0; r < nok; r++) {
        double e = draws[(size_t)r * f.np];
        int k = composition_of(e);
        if (k >= 0) whole++, seen[k] = 1;
        else if (whole + 3 > r) /* the first few only */
            fprintf(stderr, "by-shape draw %d: E = %.10g is no whole-shape mean\n", r, e);
        not_row += !is_row_mean(e);
    }
    int nseen = 0;
    for (int k = 0; k < 10; k++) nseen += seen[k];
    CHECK(whole == nok);
    CHECK(nseen >= 9); /* each composition has probability >= 1/27 per draw */
    CHECK(not_row > nok / 4);

    /* the same seed gives the same draws whatever the thread count */
    double *again = malloc(sizeof(double) * NBOOT * f.np);
    CHECK(again != NULL);
    if (again) {
        int nok1 = 0;
        shapes.threads = 1;
        CHECK_STATUS(fit_bootstrap(&f, &d, &o, &full, &shapes, again, &nok1));
        CHECK(nok1 == nok && memcmp(again, draws, sizeof(double) * nok * f.np) == 0);
        free(again);
    }

    /* fewer than two shapes cannot be resampled as shapes */
    static const int one[NROWS] = {2, 2, 2, 2, 2, 2};
    shapes.group = one;
    CHECK(fit_bootstrap(&f, &d, &o, &full, &shapes, draws, &nok) != DW_OK);
    free(draws);
}

// ----------------------------------------------------------------------------
// A refit warm-started at its own optimum. Resampling whole shapes draws the composition
// (c7, c3, c0) = (1, 1, 1) with probability 3!/27 = 2/9: the data again, whose refit starts
// at the full fit's E = 63/6. GSL's driver finds no step that lowers the objective there and
// says "iteration limit"; that is convergence (fit.c refine_lsq_), so every refit is kept,
// and the counts say so: each resample in exactly one count, none failed.

static void test_refit_at_optimum(void) {
    LawForm f;
    FitOptions o;
    FitData d;
    LawX x[NROWS] = {{0}};
    double loss[NROWS];
    FitResult full;
    e_only_problem(&f, &o, &d, x, loss);
    CHECK_STATUS(fit_run(&f, &d, &o, &full));
    CHECK_REL(full.p[0], 63.0 / 6, 1e-9);

    double *draws = malloc(sizeof(double) * NBOOT * f.np);
    CHECK(draws != NULL);
    if (!draws) return;
    static const int group[NROWS] = {7, 7, 3, 0, 0, 0};
    for (int by_shape = 0; by_shape <= 1; by_shape++) {
        FitBootCounts cnt = {-1, -1, -1, -1, -1};
        FitBootOptions b = {.n = NBOOT, .group = by_shape ? group : NULL, .seed = 5,
                            .threads = 2, .counts = &cnt};
        int nok = -1;
        CHECK_STATUS(fit_bootstrap(&f, &d, &o, &full, &b, draws, &nok));
        int at_start = 0, right = 0;
        for (int r = 0; r < nok; r++) {
            double e = draws[(size_t)r * f.np];
            at_start += fabs(e - 63.0 / 6) <= 1e-9 * 63.0 / 6;
            right += by_shape ? composition_of(e) >= 0 : is_row_mean(e);
        }
        if (nok != NBOOT || cnt.maxiter || cnt.stalled)
            fprintf(stderr, "%s: %d of %d kept; counts ok %d, unidentifiable %d, maxiter %d, "
                    "stalled %d, error %d\n", by_shape ? "by shape" : "rows", nok, NBOOT,
                    cnt.ok, cnt.unidentifiable, cnt.maxiter, cnt.stalled, cnt.error);
        CHECK(nok == NBOOT);
        CHECK(right == nok);
        /* the data again (and, for rows, any six rows with the same sum) lands at 63/6:
         * 2/9 of 300 by shape, expect ~67; such draws must be there, not dropped */
        CHECK(at_start >= (by_shape ? 30 : 5));
        CHECK(cnt.ok == NBOOT && cnt.unidentifiable == 0 && cnt.maxiter == 0 &&
              cnt.stalled == 0 && cnt.error == 0);
        CHECK(cnt.ok + cnt.unidentifiable + cnt.maxiter + cnt.stalled + cnt.error == NBOOT);
    }
    free(draws);
}

int main(void) {
    gsl_set_error_handler_off();
    test_percentiles();
    test_resamples();
    test_refit_at_optimum();
    return check_done("test_boot");
}
