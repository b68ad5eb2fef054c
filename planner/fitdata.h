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

/* How a table's params column compares with dwplan's own counts of the same shapes under
 * conventions `conv` (block, vocabulary, tying as the conventions say):
 *   dev[LAW_PARAMS_NONEMBED / TOTAL / 12DW2]  the largest |column / count - 1| over rows
 * The column is *inferred* to be count k (nonembed or total; 12·D·W² is never inferred: it is
 * within a few per cent of nonembed for every standard block) when dev[k] <=
 * PLAN_PARAMS_MATCH_TOL and the other of the two is > PLAN_PARAMS_MISMATCH_TOL. */
#define PLAN_PARAMS_MATCH_TOL 0.03
#define PLAN_PARAMS_MISMATCH_TOL 0.10
typedef struct {
    int checked;       /* 1: the table has params, depth and width columns (else nothing below) */
    int n;             /* rows compared */
    double dev[3];     /* indexed by LawParamsConv */
    int inferred;      /* LAW_PARAMS_NONEMBED or LAW_PARAMS_TOTAL, or -1: ambiguous */
    /* the first row, for messages: its line, the column's value and the three counts */
    int line;
    double column, count[3];
} PlanParamsMatch;

/* Compares r's params column with the counts of its (depth, width) under conv (see
 * PlanParamsMatch). m->checked == 0 without a params, depth or width column.
 * Return: DW_OK; DW_EPARSE a shape that cannot be counted (the message names file and
 * line). */
int plan_runs_params_match(const DsRuns *r, const LawConventions *conv, PlanParamsMatch *m);

/* The range of the rows a law was fitted to (Law.range): N and T as converted (d->x), C
 * under conv's FLOP convention (6·N·T, or T × the full FLOPs per token, which needs depth and
 * width), D and W where the rows have them, and T / N. A quantity no row gives is NaN;
 * out->known is 1 when d has rows. */
void plan_fitdata_range(const FitData *d, const LawConventions *conv, LawRange *out);

#endif
