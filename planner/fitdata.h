/* planner/fitdata.h — run tables (datasets/runs.h) as a law's inputs (fit/fit.h FitData):
 * N and T under the law's counting conventions. It lives here because counting is the
 * planner's (count.h); fit, plot and report all convert through it.
 *
 *   D, W   the depth and width columns (NaN without them)
 *   N      the params column; or, with n_from_shape or without a params column, counted
 *          from (D, W) under the conventions (plan_law_counts)
 *   T      the tokens column; a row that gave FLOPs only gets T = FLOPs / (FLOPs per token
 *          under the conventions), which needs depth and width
 *   loss, weight   as loaded
 * d->inputs says which of D, W, N, T the rows give, so fit_check_inputs can name what a
 * form lacks. */
#ifndef PLAN_FITDATA_H
#define PLAN_FITDATA_H

#include "datasets/runs.h"
#include "fit/fit.h"

/* Converts runs to fitting rows.
 * Inputs:  r             the runs (needs a loss column)
 *          conv          the law's conventions (how N and FLOPs per token are counted)
 *          n_from_shape  1: count N from (D, W) even when a params column exists
 *          d             receives new arrays (fit_data_free)
 * Return:  DW_OK; DW_EPARSE no loss column, N or T wanted from depth and width that the
 *          table lacks, a shape that cannot be counted (the message names file and line);
 *          DW_ENOMEM. */
int plan_runs_fitdata(const DsRuns *r, const LawConventions *conv, int n_from_shape,
                      FitData *d);

#endif
