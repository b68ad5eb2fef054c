/* planner/plan_impl.h — internal to planner/: shared between plan.c, check.c, round.c and
 * alternatives.c. */
#ifndef PLANNER_PLAN_IMPL_H
#define PLANNER_PLAN_IMPL_H

#include "plan.h"

/* Fills pt for shape s trained on T tokens under the law: counts, FLOPs, loss, D_crit. */
void plan_fill_point_(const Law *law, const PlanShape *s, double T, PlanPoint *pt);

/* The continuous optimum of a request whose compute is known (fixed N or T honoured):
 * D, W and T out. DW_OK or DW_EINFEASIBLE. */
int plan_solve_cont_(const Law *law, const PlanRequest *r, double *D, double *W, double *T);

/* The predicted-loss interval of res->real (bootstrap draws, else the delta method). */
void plan_loss_interval_(const Law *law, PlanResult *res);

/* The parameter draws plan_intervals uses: the law's bootstrap draws when it has at least
 * 20 (*owned = 0), else `ndraws` draws from N(θ, cov) with a fixed seed (*owned = 1: the
 * caller frees). *n = 0 and `why` filled when there are none. */
int plan_draws_(const Law *law, int ndraws, double **draws, int *n, int *owned, char *why,
                size_t why_len);

/* q-quantile of v[0..n) by linear interpolation (sorts v). */
double plan_percentile_(double *v, int n, double q);

// ----------------------------------------------------------------------------
// rounding to real shapes (round.c)

/* One search over integer shapes: depths d_lo..d_hi, widths multiples of `step` in
 * [w_min, w_max] near the width each constraint implies at that depth, heads = W / head_dim.
 * Among shapes meeting every constraint (within tol), the lowest loss; when none does, the
 * shape that misses least (out->viol > 0). */
typedef struct {
    int d_lo, d_hi;
    double w_min, w_max;
    int head_dim, step;
    double n_target;   /* > 0: |N / n_target − 1| <= tol (N in the law's convention) */
    double tokens;     /* > 0: T exactly this; else T = compute / flops per token */
    double compute;
    int c_held;        /* with tokens > 0: |T · flops per token / compute − 1| <= tol */
    double tpp_target; /* > 0: |T / N_total / tpp_target − 1| <= tol */
    double tol;
    double w_hint;     /* a continuous width near the answer (> 0) */
    const double *box; /* NULL, or lo/hi pairs of D, W, N, T: only shapes inside */
} PlanRoundSpec;

typedef struct {
    PlanShape shape;
    double tokens, loss;
    double viol;  /* largest relative miss beyond tol (0: every constraint met) */
    int found;    /* 0: no shape in the depth and width range at all */
} PlanRoundOut;

void plan_round_search_(const Law *law, const PlanRoundSpec *sp, PlanRoundOut *out);

/* The head width (r->head_dim, else plan_default_head_dim(width)) and the width step
 * heads_multiple × head_dim near `width` (the multiple lowered while one step exceeds it). */
void plan_round_step_(const PlanRequest *r, double width, int *head_dim, int *step);

/* The rounding spec of a solved result's recommendation (what it holds, its step). */
void plan_round_spec_(const Law *law, const PlanResult *res, PlanRoundSpec *sp);

/* Rounds res->cont to res->real under res->req and res->fixed; fills heads_multiple,
 * width_step, moved and round_note. DW_OK or DW_EINFEASIBLE. */
int plan_round_result_(const Law *law, PlanResult *res);

/* res->interval_notes: each of D, W, N, T of the real shape outside its interval (fixed
 * quantities are not checked), with the best real shape inside every interval as evidence.
 * With `may_move`, when such a shape exists and meets the request as well as the first
 * rounding did, it becomes the recommendation (the intervals say the data cannot tell the
 * two apart; a recommendation outside its own intervals contradicts itself), and the note
 * names the shape it replaced and the loss the point estimate gives up. */
void plan_round_interval_notes_(const Law *law, PlanResult *res, int may_move);

/* res->moved[]: how far the real shape's N, T and C sit from the continuous optimum's. */
void plan_moved_(PlanResult *res);

/* Makes (shape, tokens) the recommendation: res->real, moved[] and the loss interval. */
void plan_set_real_(const Law *law, PlanResult *res, const PlanShape *s, double tokens);

#endif
