/* planner/laws.h — several laws side by side (issue 13, deliverable 3).
 *
 * One recommended real shape (D, W, heads) and one budget, judged under each law of a set:
 * the law's own optimum at the same budget (plan_solve with the same request, its own best
 * real shape: point estimate, no intervals), the loss of the recommended shape under that
 * law (its N counted in that law's convention, its T from the budget under that law's FLOP
 * formula: the shape is built with plan_shape_at(law, D, W, head width), i.e. with the law's
 * vocabulary, context and block), and the regret: loss(recommended) − loss(own optimum).
 * A law's own optimum has regret exactly 0 under itself; any other shape >= 0 up to the
 * rounding tolerance of a fixed N (PLAN_ROUND_TOL: the own optimum may hold N 2% off).
 *
 * What is held (`fixed` bits of the recommendation, PlanResult.fixed):
 *   - compute only (the usual case): every law at the same C; the recommended shape trains
 *     on C / (that law's FLOPs per token);
 *   - T fixed: T is held for both, and C too unless N is also fixed;
 *   - N fixed: N means different things under different conventions, so each law's own
 *     optimum holds the recommended shape's N counted in that law's convention, at the
 *     same C (or T).
 * A law whose solve fails gets a row with the reason (ok = 0), not an error.
 */
#ifndef PLAN_LAWS_H
#define PLAN_LAWS_H

#include "plan.h"

/* The laws "agree" on a quantity when their own optima span at most this factor. */
#define PLAN_LAWS_AGREE 1.5

typedef struct {
    char name[64];      /* Law.name */
    char form[64];      /* law_form_text */
    int has_shape;      /* the law has a shape term; else its depth and width are imposed by
                           the request's aspect ratio and are no claim of the law */
    int ok;             /* 0: the law could not be solved; why says why */
    char why[240];
    PlanPoint own;      /* the law's own best real shape at the budget */
    PlanPoint rec;      /* the recommended shape under this law at the budget */
    double regret;      /* rec.loss − own.loss, nats (NaN when !ok) */
    int past_dcrit;     /* this law has an interior D_crit at the shape's width and T, and
                           the shape is deeper (rec.dcrit, rec.dcrit_kind say which) */
} PlanLawRow;

typedef struct {
    int n;
    PlanLawRow *rows;   /* owned */
    int nok;            /* rows with ok */
    double regret_max;  /* the largest regret over the ok rows (NaN when none) */
    int regret_argmax;  /* its row, or -1 */
    char agree[480];    /* one sentence: where the laws agree and where they do not */
} PlanLawTable;

/* Judges the shape (depth, width, head_dim) recommended by `res` (a plan_solve result: its
 * request, fixed bits and real shape are used) under each of laws[0..nlaws).
 * Inputs:  laws[nlaws]  the set (borrowed; NULL entries are not allowed)
 *          res          the recommendation and its request
 * Return:  DW_OK (rows that failed carry their reason); DW_EINVAL nlaws < 1; DW_ENOMEM. */
int plan_laws_compare(const Law *const *laws, int nlaws, const PlanResult *res,
                      PlanLawTable *out);

/* As plan_laws_compare, for a given shape (`dwplan check`: a model with its own blocks,
 * counted under each law's accounting by plan_eval_shape) instead of res->real; res is the
 * recommending law's optimum at the shape's compute, and may hold only the compute.
 * Return: as plan_laws_compare; DW_EINVAL when res fixes N or T. */
int plan_laws_compare_shape(const Law *const *laws, int nlaws, const PlanResult *res,
                            const PlanShape *shape, PlanLawTable *out);

void plan_laws_free(PlanLawTable *t);

#endif
