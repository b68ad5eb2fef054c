/* cli/fit_render.h — `dwplan fit`'s output: each function renders one library result as
 * text or JSON (never both, never computing anything the library did not) and returns the
 * exit code. The analyses are fit/fit.h (fit_law, fit_predict), fit/compare.h and
 * fit/depth.h. */
#ifndef DW_CLI_FIT_RENDER_H
#define DW_CLI_FIT_RENDER_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "datasets/runs.h"
#include "fit/compare.h"
#include "fit/evaluate.h"
#include "fit/depth.h"
#include "fit/fit.h"

/* "columns: depth 'n_layers', width 'd_model', ..." — which column gave each field. */
void cli_print_columns(FILE *f, const DsRuns *runs);
/* The columns as a JSON object (field → column name or null). */
cJSON *cli_columns_json(const DsRuns *runs);

/* A law's parameters, one a line: value and 95% interval ("clipped at the bound" when an
 * end is a bound), "E -> 0 (on bound)" for a parameter on a bound, "not identified" for one
 * the data cannot tell, "fixed", or why there is no interval. lo/hi: the bounds the fit used
 * (NULL: the form's defaults, law_form_bounds). */
void cli_render_law_params(FILE *f, const Law *law, const double *lo, const double *hi);

/* "R² = ... on L, ... on log L;  RMSE ...;  max |error| ...;  AIC ...  BIC ..." with "n/a"
 * for a statistic that is unknown (NaN), never 0. */
void cli_render_fit_stats(FILE *f, const LawFitInfo *fi);

/* "warning: what the data cannot tell: ..." (law_degenerate_text) when anything; else
 * nothing. */
void cli_render_degenerate(FILE *f, const Law *law);

/* One fitted form (fit_law): parameters, intervals, statistics, optimiser status. */
int cli_render_fit(const DsRuns *runs, const LawForm *form, const Law *law,
                   const FitLawInfo *info, const FitOptions *opt, int json);

/* Records where a fitted law came from in law->provenance_json: the data file (name,
 * sha256, rows used, --where), the command line, the date, the version, the interval method,
 * what became of the bootstrap refits (nboot requested; 0: none) and the --optimal-at anchor
 * (spec NULL when none). DW_OK or DW_ENOMEM. */
int cli_fit_provenance(Law *law, const DsRuns *const *runs, int nruns, const char *const *wheres,
                       int nwhere, const char *source, int argc, char **argv,
                       const FitLawInfo *info, int nboot, const char *anchor_spec,
                       double anchor_n, double anchor_t);

/* --predict: a law's error on the rows. */
int cli_render_predict(const DsRuns *runs, const Law *law, const FitData *d,
                       const FitPrediction *pr, const FitEval *ev /* may be NULL */, int json);

/* --compare: the ranked forms and the verdict. */
/* --predict on one or more sources: per source its offset, RMSE with and without it, and how
 * often pairs of runs of different shape are ordered right (fit/evaluate.h). */
int cli_render_evaluation(const Law *law, const char *const *names, const FitEval *ev,
                          int json);

int cli_render_compare(const DsRuns *runs, const char *objective, const FitComparison *c,
                       int json);

/* --critical-depth: τ per run, τ(W), the curves and D_crit per width, κ and (c, β), with the
 * paper's numbers beside ours. */
int cli_render_depth(const DsRuns *runs, const FitDepthReport *rep, int json);

#endif
