/* fit/evaluate.h — how well a law predicts rows from several sources whose absolute loss
 * level differs (another tokenizer, another eval set): the measures an outside reviewer uses
 * on public training-run tables (issue 13, "Acceptance").
 *
 * A law fitted on one group's runs cannot know another group's loss floor, so its raw error
 * on their rows is dominated by a constant per source. What it can be judged on is what
 * survives removing that constant:
 *
 *   - offset-removed RMSE: per source s, the errors e_i = L̂_i − L_i minus their mean ē_s;
 *     pooled over sources as sqrt(Σ_s Σ_{i∈s} (e_i − ē_s)² / Σ_s n_s) (each source's own
 *     offset removed, rows weigh equally, FitData.weight is not used).
 *   - "error on differences between runs" is the same measure seen another way: within one
 *     source, the mean over all pairs i < j of the error of the predicted difference,
 *     ((L̂_i − L̂_j) − (L_i − L_j))² = (e_i − e_j)², equals 2·n/(n − 1) times the offset-removed
 *     mean square (Σ_{i<j} (e_i − e_j)² = n·Σ_i (e_i − ē)²). So it ranks laws identically;
 *     FitEval.rmse_pairdiff gives it pooled over every within-source pair, in closed form.
 *   - pair ordering: for two runs of one source at (nearly) the same tokens and size but of
 *     different shape, does the law say which one ends lower?
 *
 * Predictions are law_eval(law, &d->x[i]) on the rows as given: a multi-source law adds its
 * offset dE<k> for rows with LawX.source = k (k beyond the law's offsets gives NaN: skipped).
 * The offset-removed figures and the pair ordering do not change under a constant added to a
 * source's predictions, so they do not depend on those offsets as long as the rows of one
 * `source` (the argument) share one LawX.source.
 *
 * Cost: O(n log n) plus the pairs compared; pairs are counted, never stored. Candidate pairs
 * are found by sorting rows by (source, tokens) and scanning each row's token window only,
 * so the time is quadratic only in the number of runs of one source at one token count.
 */
#ifndef FIT_EVALUATE_H
#define FIT_EVALUATE_H

#include "fit.h"
#include "law.h"

#define FIT_EVAL_MAX_SOURCES 64   /* most sources one evaluation can hold (DW_EINVAL beyond) */
#define FIT_EVAL_MAX_ROWS 200000  /* most rows (DW_EINVAL beyond) */
#define FIT_EVAL_TIE_PRED 1e-12   /* |L̂_i − L̂_j| below this (nats): the law predicts a tie */

typedef struct {
    double tokens_tol;  /* pairs: tokens within a factor 1 + tokens_tol (default 0.02) */
    double size_tol;    /* pairs: params within a factor size_tol (default 1.15, >= 1) */
    double matched_tol; /* the matched-size subset: params within this factor (default 1.05) */
    double tie_tol;     /* pairs whose observed losses differ by <= tie_tol are skipped
                         * (default 0: only exact ties) */
} FitEvalOptions;

/* Per source (and, in FitEval.all, over every source). Figures without rows are NaN. */
typedef struct {
    int n;              /* rows predicted */
    int n_skipped;      /* rows left out: prediction or observed loss not finite (e.g. a
                         * shape law on a row without depth; a row without tokens) */
    int n_no_shape;     /* predicted rows with LawX.no_shape (the law's shape-neutral value);
                         * they take no part in pair ordering */
    double mean_error;  /* mean of L̂ − L: minus the source's offset (positive: over-predicts) */
    double rmse;        /* raw RMSE on L, the offset included */
    double rmse_offset; /* RMSE after subtracting mean_error from each error */
    double spearman;    /* Spearman rank correlation of L̂ and L over the source's rows
                         * (average ranks for ties; NaN for fewer than 2 rows or a constant
                         * side). In `all`: NaN (ranks are not comparable across sources). */
    long long n_pairs;  /* shape pairs compared (see fit_evaluate) */
    double n_correct;   /* of those, ordered correctly (a predicted tie counts 1/2) */
    double accuracy;    /* n_correct / n_pairs (NaN without pairs) */
    long long n_pairs_matched; /* the pairs whose params are within matched_tol */
    double n_correct_matched;
    double accuracy_matched;   /* NaN without matched pairs */
    long long n_obs_ties;      /* candidate pairs skipped: |L_i − L_j| <= tie_tol */
} FitEvalStats;

typedef struct {
    int nsources;
    FitEvalStats src[FIT_EVAL_MAX_SOURCES]; /* src[s] for s < nsources */
    FitEvalStats all;     /* every source: counts summed; rmse_offset pooled with each
                           * source's own offset removed; mean_error and rmse raw */
    double rmse_pairdiff; /* RMS over every within-source pair i < j of
                           * (L̂_i − L̂_j) − (L_i − L_j) (NaN without pairs) */
} FitEval;

/* Defaults: tokens_tol 0.02, size_tol 1.15, matched_tol 1.05, tie_tol 0. */
void fit_eval_options_default(FitEvalOptions *o);

/* Evaluates law on the rows d as seen by an outside reviewer (see the top of this file).
 *
 * Pair ordering: a pair (i, j) counts when both rows are predicted, in the same source, have
 * finite positive depth, width, params and tokens and no LawX.no_shape, tokens within a
 * factor 1 + tokens_tol, params within a factor size_tol, a different shape (depth or width
 * differ), and |L_i − L_j| > tie_tol. It is correct when sign(L̂_i − L̂_j) = sign(L_i − L_j);
 * a law predicting a tie (|L̂_i − L̂_j| < FIT_EVAL_TIE_PRED) gets half a pair, as a coin would.
 * The matched subset adds: params within a factor matched_tol.
 *
 * Inputs:  law       the law (borrowed)
 *          d         the rows (borrowed; weights ignored)
 *          source    d->n source indices in 0..nsources−1, or NULL: every row is source 0
 *          nsources  1..FIT_EVAL_MAX_SOURCES (with source NULL, sources 1.. stay empty)
 *          o         options, or NULL for fit_eval_options_default
 *          out       filled on DW_OK and on DW_EDATA
 * Return:  DW_OK; DW_EDATA no row could be predicted (the message says how many were
 *          skipped); DW_EINVAL NULL arguments, nsources or a source index out of range,
 *          d->n < 0 or > FIT_EVAL_MAX_ROWS, bad options; DW_ENOMEM. */
int fit_evaluate(const Law *law, const FitData *d, const int *source, int nsources,
                 const FitEvalOptions *o, FitEval *out);

#endif
