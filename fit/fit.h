/* fit/fit.h — fitting a law form to rows of (D, W, N, T, L) (DESIGN §4.3).
 *
 * Method: a grid of starts over the parameters that enter nonlinearly (exponents, gamma,
 * reference depths); at each grid point the parameters that enter linearly (E, A, B, P, R,
 * F1's gamma; Gemstones' exp(e), exp(c_i)) are solved by linear least squares (variable
 * projection for the starts), the best starts are refined by GSL — the trust-region
 * nonlinear least-squares solver (gsl_multifit_nlinear) for least squares, BFGS2
 * (gsl_multimin) for Huber — and the best refinement wins. Bounds are imposed by smooth
 * reparameterisation (p = lo + e^z, or a logistic between lo and hi), so the optimisers
 * run unconstrained. Asymptotic standard errors come from the Jacobian at the optimum.
 */
#ifndef FIT_FIT_H
#define FIT_FIT_H

#include "law.h"

typedef struct {
    int n;
    LawX *x;        /* n inputs (N already in the law's convention) */
    double *loss;   /* n observed losses (> 0) */
    double *weight; /* n weights, or NULL for 1 */
    unsigned inputs; /* LAW_BIT(k) for each input the rows give; 0: all four (rows built by
                        hand). An input the rows lack is NaN in x. */
} FitData;

/* Frees x, loss and weight and zeroes *d (for FitData whose arrays the caller allocated
 * with malloc, as planner/fitdata.h does). NULL-safe. */
void fit_data_free(FitData *d);

typedef enum {
    FIT_LSQ,       /* Σ w·(L̂ − L)² */
    FIT_LSQ_LOG,   /* Σ w·(ln L̂ − ln L)² */
    FIT_HUBER_LOG, /* Σ w·huber_δ(ln L̂ − ln L)  (Chinchilla / Epoch / Gemstones) */
} FitObjective;

typedef struct {
    FitObjective objective;
    double huber_delta;       /* default 1e-3 */
    unsigned fixed;           /* bit i: p[i] held at value[i] */
    double value[LAW_MAXP];   /* values of fixed parameters */
    double lo[LAW_MAXP], hi[LAW_MAXP]; /* bounds (defaults: law_form_bounds) */
    int grid;                 /* grid points per free nonlinear parameter (default 6, max 128) */
    int max_starts;           /* cap on grid starts evaluated (default 20000) */
    int refine;               /* best grid starts refined by the optimiser (default 8; -1: all) */
    int has_start;            /* 1: no grid; refine from start[] only (warm starts, bootstrap) */
    double start[LAW_MAXP];
    double asym;              /* over-prediction penalty: residuals with L̂ > L are scaled by
                               * sqrt(1 + asym), so they weigh (1 + asym) times as much in a
                               * squared objective (0: symmetric) */
    int max_iter;             /* optimiser iterations per start (default 500) */
    double ftol;              /* Huber: stop when a reweighting round lowers the objective
                               * by less than ftol relative (default 1e-14; bootstrap and CV
                               * refits use 1e-10) */
    /* Optional compute-optimal anchor: when anchor_n, anchor_t > 0, B is not free but tied
     * to A so that (anchor_n, anchor_t) is the compute-optimal split under C = 6NT:
     * alpha·A·N0^-alpha = delta·B·T0^-delta, i.e. B = (alpha/delta)·A·N0^-alpha·T0^delta.
     * Needs alpha and delta fixed. Used when the data span too few token counts to say how
     * a budget splits between N and T (the depth-delusion preset). */
    double anchor_n, anchor_t;
} FitOptions;

typedef struct {
    double p[LAW_MAXP];
    double se[LAW_MAXP];      /* 0 for fixed parameters */
    double cov[LAW_MAXP * LAW_MAXP];
    int has_cov;              /* 0 when the Jacobian is rank-deficient or dof <= 0; parameters
                               * in on_bound or unidentified with a zero column get se 0 */
    unsigned on_bound;        /* bit i: p[i] ended within 1e-6 (relative) of a bound, or its
                               * term vanished (separable e, c_X: exp(p[i]) → 0) */
    unsigned unidentified;    /* bit i: the Jacobian is rank-deficient along p[i] (the rows
                               * cannot tell its value); has_cov is then 0 unless p[i]'s
                               * column is zero (no effect at all) */
    int nstarts;              /* grid points evaluated */
    int edge_of_grid;         /* the winning start lay on the edge of the start grid */
    LawFitInfo info;          /* objective, R², RMSE, AIC, BIC, status text; its on_bound,
                               * unidentified and nt_confounded (fit_data_nt_confounded, for
                               * forms that read N and T) mirror the above */
} FitResult;

/* Defaults for form f: least squares on L, bounds from law_form_bounds, nothing fixed. */
void fit_options_default(FitOptions *o, const LawForm *f);

/* The options `law` was fitted with, as far as the law records them (fit.objective_kind as
 * fit_run writes it, the parameters it held fixed), for refits of the same law on other rows:
 * the form's default bounds, a warm start at the law's parameters, ftol 1e-10 (as CV). */
void fit_options_of_law(const Law *law, FitOptions *o);

/* Fixes parameter `name` at `value`. DW_ENOTFOUND (message lists the names) if unknown. */
int fit_options_fix(FitOptions *o, const LawForm *f, const char *name, double value);

/* Fits f to d.
 * Return: DW_OK (r filled; r->info.status says how the optimiser stopped),
 *         DW_EDATA (fewer rows than free parameters), DW_EINVAL (bad options),
 *         DW_ENOCONV (no start produced a finite objective). */
int fit_run(const LawForm *f, const FitData *d, const FitOptions *o, FitResult *r);

/* The law a fit gives: form, parameters, fixed set, conventions (conv may be NULL: the
 * defaults), the fit's statistics and what it could not tell (law->fit.on_bound,
 * unidentified, nt_confounded), and, when the fit has a covariance, standard errors and
 * asymptotic 95% intervals (estimate ± 1.96 SE, clipped at the parameter's bounds o->lo/hi)
 * for the free parameters with a standard error (none for a pinned one). name NULL: the
 * form's text. Returns a new law (law_free), or NULL on out-of-memory (message set). */
Law *fit_result_law(const LawForm *f, const FitOptions *o, const FitResult *r,
                    const LawConventions *conv, const char *name);

/* Replaces a law's intervals by 95% bootstrap percentile intervals (fit_percentile_ci) over
 * draws[ndraws × np] and stores the first max_store draws in the law.
 * Return: DW_OK; DW_EINVAL no draws; DW_ENOMEM. */
int fit_law_set_draws(Law *law, const double *draws, int ndraws, int max_store);

/* What became of the bootstrap refits: each resample lands in exactly one count. */
typedef struct {
    int ok;              /* converged: the draw is kept */
    int unidentifiable;  /* the resample's rows cannot identify the form (an input a free
                            parameter depends on takes one value): not refitted */
    int maxiter;         /* the optimiser hit its iteration limit */
    int stalled;         /* the optimiser stopped away from an optimum (no progress, ...) */
    int error;           /* fit_run failed (no finite objective, out of memory) */
} FitBootCounts;

/* Why bootstrap refits were left out, as "3 stopped at the iteration limit, 1 stalled away
 * from an optimum, ..." into buf[n] ("" when every refit converged). */
void fit_boot_counts_text(const FitBootCounts *c, char *buf, size_t n);

/* One form fitted start to finish: identifiability, fit_run, optional leave-one-group-out
 * CV, the law (fit_result_law), optional bootstrap intervals and draws (only after a
 * converged fit; kept when at least FIT_MIN_BOOT_DRAWS refits converge). */
#define FIT_MIN_BOOT_DRAWS 20
typedef struct {
    int cv;                     /* 1: leave-one-group-out CV */
    const int *group;           /* (d->n) group per row (CV, by_shape), e.g. shapes */
    int boot;                   /* bootstrap refits (0: none) */
    int by_shape;               /* resample whole groups */
    const int *run;             /* (d->n) run per row (by_run), e.g. DsRuns.run */
    int by_run;                 /* resample whole runs: a table of loss curves, whose points
                                   of one run are not independent draws (ignored with
                                   by_shape) */
    unsigned long seed;
    int threads;
    int max_draws;              /* draws stored in the law */
    const LawConventions *conv; /* recorded in the law (NULL: defaults) */
    const char *name;           /* the law's name (NULL: the form's text) */
    void (*progress)(const char *msg, void *ctx); /* before the bootstrap; may be NULL */
    void *progress_ctx;
} FitLawOptions;

typedef struct {
    FitResult res;
    int converged;          /* the optimiser reported convergence */
    double cv_rmse, cv_rmse_log; /* NaN without CV */
    int cv_folds;
    char cv_why[256];       /* CV asked but not done: why */
    int nboot_ok;           /* bootstrap refits that converged */
    FitBootCounts boot_why; /* what became of every bootstrap refit (fit_bootstrap) */
    char ci_method[384];    /* how the law's intervals were made */
    char warning[384];      /* e.g. too few bootstrap refits converged; "" when none */
} FitLawInfo;

/* Return: DW_OK (*out is a new law even when the fit did not converge: info->converged says
 * so); DW_EPARSE/DW_EDATA the rows cannot identify the form (fit_check_identifiable);
 * DW_EINVAL bad options; DW_ENOCONV no start gave a finite objective; DW_ENOMEM. */
int fit_law(const LawForm *f, const FitData *d, const FitOptions *o, const FitLawOptions *lo,
            Law **out, FitLawInfo *info);

/* A law's out-of-sample error on rows: RMSE, max |error|, R² on L and ln L (info), and the
 * mean error L̂ − L (positive: the law over-predicts). */
typedef struct {
    int n;
    LawFitInfo info;
    double mean_error;
} FitPrediction;

/* Return: DW_OK; DW_EPARSE the rows lack an input the law reads; DW_EDATA no rows. */
int fit_predict(const Law *law, const FitData *d, FitPrediction *out);

// ----------------------------------------------------------------------------
// Uncertainty, cross-validation, checks

typedef struct {
    int n;            /* resamples */
    const int *group; /* row -> group id when resampling whole groups (shapes with --by-shape,
                         runs of a curve table), else NULL */
    unsigned long seed;
    int threads;      /* worker threads (>= 1) */
    FitBootCounts *counts; /* optional out: why refits failed (NULL: not wanted) */
} FitBootOptions;

/* Bootstrap: refits f on n resamples of d (rows with replacement, or whole groups), each
 * warm-started from `full` (the fit on all rows). draws[n × np] receives the refitted
 * parameters in order; *nok counts refits that converged (failed ones are left out and
 * the rest packed first), and b->counts (when set) says why the others failed. A resample
 * whose rows cannot identify the form (fit_check_identifiable) is not refitted.
 * Deterministic for a seed whatever the thread count.
 * Return: DW_OK, DW_ENOMEM, DW_EINVAL (n < 1). */
int fit_bootstrap(const LawForm *f, const FitData *d, const FitOptions *o, const FitResult *full,
                  const FitBootOptions *b, double *draws, int *nok);

/* The source rows (indices into d) of resample r of fit_bootstrap under b (b->n and
 * b->threads are not read): what refit r sees, drawn from the same seeded generator.
 * idx[cap] receives them and *n their count (rows, or whole groups: every row of a drawn
 * group, once per draw). Return: DW_OK; DW_EINVAL r < 0, fewer than 2 groups, or cap too
 * small (*n then says how many are needed); DW_ENOMEM. */
int fit_bootstrap_rows(const FitData *d, const FitBootOptions *b, int r, int *idx, int cap,
                       int *n);

/* 95% percentile intervals per parameter from draws[n × np] into ci[np][2]: the 2.5% and
 * 97.5% quantiles of each parameter's draws, interpolated linearly at position q·(n − 1) of
 * the sorted draws (Hyndman & Fan type 7). ci is NaN where no interval was made.
 * Return: DW_OK; DW_EINVAL fewer than 2 draws or bad arguments; DW_ENOMEM. */
int fit_percentile_ci(const LawForm *f, const double *draws, int n, double (*ci)[2]);

/* Leave-one-group-out cross-validation: refits without each group (warm-started from
 * `full`) and predicts its rows. *rmse is the RMSE on L over all held-out rows, *rmse_log
 * on ln L. Groups with every row held out are skipped when the rest cannot determine the
 * free parameters. Return: DW_OK, DW_EDATA (fewer than 2 groups), DW_ENOMEM. */
int fit_cv_groups(const LawForm *f, const FitData *d, const FitOptions *o, const FitResult *full,
                  const int *group, double *rmse, double *rmse_log, int *nfolds);

/* Leave-one-group-out predictions: pred[i] (d->n) is row i's loss predicted by the fit to
 * the rows of the other groups (warm-started from `full`, as fit_cv_groups); NaN where that
 * refit failed or predicted a non-positive loss. *nfolds gets the groups refitted. The same
 * refits fit_cv_groups and fit_cv_groups_each score. Return: as fit_cv_groups. */
int fit_cv_predict(const LawForm *f, const FitData *d, const FitOptions *o,
                   const FitResult *full, const int *group, double *pred, int *nfolds);

/* 1 when the rows give params and tokens and tokens/params is the same in every row
 * (within 2% of the smallest ratio, e.g. tokens = 20·N rounded): no fit can then separate
 * a params term from a tokens term. 0 otherwise (fewer than 2 rows included). */
int fit_data_nt_confounded(const FitData *d);

/* fit_cv_groups, and per group (distinct ids in ascending order, at most d->n of them):
 * sse[g] the sum of squared errors on L of its held-out rows and nrows[g] how many were
 * predicted (sse[g] NaN when its refit failed). sse and nrows may be NULL. */
int fit_cv_groups_each(const LawForm *f, const FitData *d, const FitOptions *o,
                       const FitResult *full, const int *group, double *rmse, double *rmse_log,
                       int *nfolds, double *sse, int *nrows);

/* Checks that the rows give every input the form reads (d->inputs): DW_OK, or DW_EPARSE
 * naming the missing column ("form 'shape:log' needs depth and width columns"). */
int fit_check_inputs(const LawForm *f, const FitData *d);

/* Checks that the data can identify the form: fit_check_inputs, then each input that a free
 * parameter depends on must take at least two distinct values (a width term needs runs at
 * two widths; with B fixed at 0 the token term is gone and one token count is fine). o may
 * be NULL (nothing fixed). DW_OK; DW_EPARSE (a missing input); DW_EDATA with a message
 * naming the input that does not vary. */
int fit_check_identifiable(const LawForm *f, const FitData *d, const FitOptions *o);

/* Objective value of p on d under o (what fit_run minimises). */
double fit_objective(const LawForm *f, const double *p, const FitData *d, const FitOptions *o);

/* Σ w·huber_δ(ln L̂ − ln L): the Chinchilla/Epoch/Gemstones objective. */
double fit_huber_log(const LawForm *f, const double *p, const FitData *d, double delta);

/* Goodness of fit of p on d: R² on L and on ln L, RMSE, max |error|, AIC and BIC (Gaussian,
 * on the residuals of the objective's space) for `nfree` free parameters. */
void fit_stats(const LawForm *f, const double *p, const FitData *d, FitObjective obj, int nfree,
               LawFitInfo *info);

#endif
