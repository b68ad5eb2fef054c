/* fit/compare.h — several law forms fitted to the same rows and ranked out of sample, and
 * the answer to the question a comparison is asked: does a depth–width term help?
 * Prefix fit_compare / fit_comparison.
 *
 * `dwplan fit --compare`, the parity figure and the report's form table all call
 * fit_compare, so they fit the same forms by the same rules and rank them the same way:
 *
 *   - forms: the list given, or a default set chosen by what the rows vary (the Chinchilla
 *     and Gemstones baselines; the depth–width forms shape:power, shape:log, logsq:power
 *     when depth and width vary);
 *   - rows at one token count (a probe sweep): B·T^-δ is one constant that E absorbs, so a
 *     form with that term gets B = 0 and δ fixed (unless the caller fixed them) and a note
 *     says so, instead of failing as unidentifiable;
 *   - each form by fit_run from its grid of starts, then leave-one-group-out CV
 *     (fit_cv_groups) when asked;
 *   - ranked by CV RMSE on L (by RMSE when there is no CV); a fit whose optimiser did not
 *     converge ranks after every converged one, and a form that could not be fitted last;
 *   - the verdict compares the best-ranked converged form with a depth–width term against
 *     the best-ranked one without: it says the data favour (or do not favour) a depth–width
 *     term only when the paired CV MSE difference over held-out groups exceeds its standard
 *     error; otherwise that the difference is within its standard error.
 */
#ifndef FIT_COMPARE_H
#define FIT_COMPARE_H

#include "fit.h"
#include "sources.h"

#define FIT_COMPARE_MAX_FORMS 16

/* Fills the options of form f (objective, --fix, --bound, grid...). Returns DW_OK or a
 * status with the message set (the form is then reported as not fitted). */
typedef int (*FitOptionsFn)(const LawForm *f, FitOptions *o, void *ctx);

typedef struct {
    const char *forms;       /* "F1,F2,..." (fit_compare_split), or NULL: the default set */
    FitOptionsFn options;    /* per-form options; NULL: fit_options_default with the two
                                fields below */
    void *options_ctx;
    FitObjective objective;  /* when options is NULL */
    double huber_delta;      /* when options is NULL and > 0 */
    int cv;                  /* 1: leave-one-group-out CV (needs >= 2 groups), and with
                                several sources leave-one-source-out CV too */
    int nsources;            /* > 1: the rows come from this many sources (LawX.source): each
                                form gets a floor offset per source (fit/sources.h) */
    const LawConventions *conv; /* recorded in each fitted law (NULL: the defaults) */
    void (*progress)(const char *msg, void *ctx); /* before each fit; may be NULL */
    void *progress_ctx;
} FitCompareOptions;

typedef struct {
    char form[96];     /* canonical form text (as given when it did not parse) */
    int ok;            /* 1: fitted (law and res are set) */
    char why[256];     /* !ok: the reason */
    char note[192];    /* how the form was adapted to the rows, or "" */
    Law *law;          /* the fitted law (owned) */
    FitResult res;
    int nfree;         /* free parameters */
    int converged;     /* the optimiser reported convergence */
    double cv_rmse, cv_rmse_log; /* NaN when not computed */
    int folds;
    double *cv_sse;    /* (ngroups of the data) per held-out group: SSE on L, NaN when its
                          refit failed; NULL without CV (owned) */
    int *cv_n;         /* rows predicted per group (owned) */
    /* several sources with CV: leave-one-source-out, each held-out source's error on the
     * differences between its runs (fit_cv_sources), and their pooled RMSE (NaN when a
     * source's refit failed) */
    FitSourceCV src_cv[LAW_MAX_SOURCES];
    double loso_rmse;
} FitCompareRow;

typedef struct {
    FitCompareRow *rows; /* ranked (see the top of this file) */
    int n;
    int nrows, ngroups;  /* the data compared on */
    int nsources;        /* 1, or the sources of a multi-source comparison */
    int best_shape, best_plain; /* indexes into rows of the best converged form with / without
                                   a depth–width term and a CV RMSE, or -1 */
    int has_verdict;     /* both exist */
    /* The evidence: per held-out group g, D_g = SSE(plain) − SSE(shape) on its rows; over
     * the G groups both predicted (M rows), the pooled CV MSE difference ΣD_g/M and its paired
     * standard error √G·sd(D)/M. */
    int npaired;
    double cv_mse_diff, cv_mse_diff_se; /* > 0: the depth-width form predicts better */
    int verdict_kind;    /* 1: favour (diff > its SE), -1: against (diff < −SE), 0: the
                            difference is within its standard error (or < 2 groups) */
    int shape_wins;      /* verdict_kind == 1 */
    char verdict[480];   /* "the data favour a depth-width term: ..." or "" */
} FitComparison;

/* Sets best_shape, best_plain, the evidence (npaired, cv_mse_diff, cv_mse_diff_se),
 * verdict_kind, shape_wins and the verdict text of c from its ranked rows (ok, converged,
 * cv_rmse, law->form, cv_sse, cv_n); fit_compare calls it, and tests call it on rows built by
 * hand. */
void fit_compare_verdict(FitComparison *c);

/* Splits "F1,F2,..." into form names; a comma followed by one variable letter (W, D, N, T)
 * and then a comma or the end continues a separable list ("separable:W,D,N,T,chinchilla").
 * Return: the number of forms (>= 1), or DW_EINVAL (message set): empty list, more than
 * `max` forms, a name too long. */
int fit_compare_split(const char *list, char (*out)[96], int max);

/* Fits and ranks the forms on d.
 * Inputs:  d        the rows (fit/fit.h; d->inputs says which of D, W, N, T they give)
 *          group    (d->n) group id per row, for CV (e.g. DsRuns.group: shapes)
 *          ngroups  number of distinct groups
 *          o        the options above
 *          out      receives the comparison (fit_comparison_free)
 * Return:  DW_OK (some forms may have failed: see ok/why); DW_EINVAL a bad form list;
 *          DW_EDATA fewer than 3 rows, or rows that vary neither size nor tokens (for the
 *          default set); DW_ENOMEM. */
int fit_compare(const FitData *d, const int *group, int ngroups, const FitCompareOptions *o,
                FitComparison *out);
void fit_comparison_free(FitComparison *c);

#endif
