/* planner/plan.h — the compute-constrained optimum and its report (DESIGN §4.4).
 *
 * Given a law and a budget, minimise L(D, W, N(D, W), T) subject to the law's FLOP
 * convention C = T · flops_per_token(D, W), over continuous (D, W), then search the integer
 * neighbourhood for real shapes (D integer >= 1, heads = W / head_dim a multiple of
 * heads_multiple, keeping what the request fixed: planner/round.c). The optimiser is a profile search: for each ln D the best ln W (grid scan
 * then Brent), and Brent over ln D on the profile, so a bound-seeking law is detected
 * rather than silently clipped.
 */
#ifndef PLAN_PLAN_H
#define PLAN_PLAN_H

#include "../fit/law.h"
#include "count.h"

typedef struct {
    double compute;  /* C in FLOPs; 0 → derived from params or tokens */
    double params;   /* fixed N (law convention); 0 → free */
    double tokens;   /* fixed T; 0 → free */
    double d_min, d_max; /* depth search range (default 1 .. 1024) */
    double w_min, w_max; /* width search range (default 16 .. 131072) */
    int head_dim;    /* 0 → plan_default_head_dim(W) */
    double aspect;   /* W/D used when the law has no shape term (default 128) */
    int heads_multiple; /* heads a multiple of this (tensor parallelism; default
                           PLAN_HEADS_MULTIPLE, 1 allows any; <= 0 → the default) */
} PlanRequest;

#define PLAN_HEADS_MULTIPLE 8
/* Rounding to a real shape keeps a fixed N (and, with T and C both fixed, C) within this
 * relative distance; a fixed T, and C when T is not fixed, stay exact. */
#define PLAN_ROUND_TOL 0.02

/* What a request fixed (PlanResult.fixed): bits. */
enum { PLAN_FIX_PARAMS = 1, PLAN_FIX_TOKENS = 2, PLAN_FIX_COMPUTE = 4 };

/* One shape with everything the report shows. */
typedef struct {
    double depth, width;
    int heads, head_dim;
    double params_law;      /* N in the law's convention */
    double params_nonembed;
    double params_total;
    double tokens;
    double flops;           /* T × flops per token */
    double tokens_per_param; /* T / N_total */
    double loss;
    double dcrit;           /* D_crit(W) at this T: argmin over D of L; NaN when none */
    int dcrit_kind;         /* PlanDcritKind: 0 interior minimum, 1 none (loss falls up to the
                               search cap), -1 D_crit <= 1, 2 the law has no shape term */
} PlanPoint;

typedef struct {
    char label[96];
    PlanPoint pt;
    int comparable;         /* holds everything the recommendation holds (fixed N, T, C) */
    double dloss;           /* pt.loss − recommendation's loss; NaN when not comparable */
    double dloss_ci[2];     /* paired 95% interval over the plan_intervals draws, or NaN */
    char note[360];         /* how it was counted, or why it is not comparable; may be "" */
} PlanAlt;

#define PLAN_MAX_ALTS 8
#define PLAN_MAX_NOTES 6

typedef struct {
    PlanRequest req;        /* as solved (defaults filled, compute derived) */
    PlanPoint cont;         /* continuous optimum */
    PlanPoint real;         /* best real shape */
    int on_bound;           /* 1 when the continuous optimum sits on the search box */
    char bound_note[160];
    int shape_free;         /* the law has no shape term: aspect ratio W/D was imposed */
    /* predicted-loss interval of the real shape */
    double loss_lo, loss_hi;
    char loss_ci_method[96]; /* "bootstrap draws (200)", "delta method (asymptotic cov)", or why none */
    /* uncertainty of the continuous optimum (plan_intervals; NaN when not computed) */
    int ci_draws;            /* parameter draws whose optimum was found */
    char ci_method[128];     /* how the draws were made, or why there are none */
    double depth_ci[2], width_ci[2], params_ci[2], tokens_ci[2], dcrit_ci[2];
    int draws_requested;     /* plan_intervals' ndraws (the paired intervals reuse them) */
    /* rounding (planner/round.c) */
    int fixed;               /* PLAN_FIX_* bits the user gave (C derived from N or T is not) */
    double moved[3];         /* real / continuous − 1 for N, T, C: how far rounding moved */
    int heads_multiple;      /* as used: smaller than requested when the width is too small */
    int width_step;          /* widths are multiples of heads_multiple × head_dim */
    char round_note[320];    /* a constraint rounding could not meet, or a narrowed multiple */
    double round_viol;       /* how far the rounding misses what is fixed (0: met) */
    int nnotes;              /* real-shape quantities outside their interval, and why */
    char interval_notes[PLAN_MAX_NOTES][640];
    /* alternatives (planner/alternatives.c) */
    PlanAlt alts[PLAN_MAX_ALTS];
    int nalts;
    int ndropped;            /* alternatives not shown, each with the reason */
    char dropped[PLAN_MAX_NOTES][240];
    char alt_warning[320];   /* an alternative beat the rounded optimum: what was done */
} PlanResult;

void plan_request_default(PlanRequest *r);

/* Solves the continuous optimum and the best real shape, fills the predicted-loss interval
 * and D_crit. Does not fill alternatives (plan_alternatives).
 * The real shape (planner/round.c): integer depth and width a multiple of heads_multiple ×
 * head_dim inside the box, the lowest loss among the shapes that keep what the request
 * fixed — N within PLAN_ROUND_TOL, T exactly, C exactly unless T is fixed (then, when N is
 * not fixed, C within PLAN_ROUND_TOL; with only N or only T given the derived C counts as
 * held). Depths within a factor 2 of the continuous optimum are searched (1.4 for a
 * shape-free law, to keep the imposed aspect ratio). moved[] says how far N, T and C moved;
 * round_note says what could not be met. N and T given alone stay fixed in res->req.
 * Return: DW_OK; DW_EINVAL for an impossible request (non-positive or non-finite budget,
 * params and tokens and compute all fixed); DW_EINFEASIBLE when no shape in the search box
 * meets the budget (e.g. below one token of the smallest model). */
int plan_solve(const Law *law, const PlanRequest *req, PlanResult *res);

/* 95% percentile intervals of D*, W*, N*, T* and of D_crit(W*) over parameter draws: the
 * law's bootstrap draws when it has at least 20, else `ndraws` draws from N(θ, cov) (fixed
 * seed, so output is reproducible). Each draw's optimum is re-solved under the same budget.
 * Without draws or covariance the intervals stay NaN and ci_method says why. Fills
 * interval_notes for real-shape quantities outside their interval, and draws_requested
 * (plan_alternatives' paired intervals use the same draws). */
int plan_intervals(const Law *law, PlanResult *res, int ndraws);

/* Adds the alternatives under what the recommendation holds (the compute, and any fixed N
 * or T; with N and T fixed, those two): the same N at 2× and ½× depth, the Chinchilla
 * 20-tokens-per-parameter shape (only when N and T are free), and `vs` (a shape, may be
 * NULL) labelled `vs_name`, counted with the law's vocabulary, context, tying and FLOP
 * convention (its block kept; the note says what differs). Rows are real shapes in the
 * request's box with heads a multiple of res->heads_multiple; a row that cannot be built
 * is dropped with the reason (res->dropped). Each row's loss difference gets a paired 95%
 * interval over the same draws plan_intervals used (when it ran). A comparable row that
 * beats the recommendation by more than PLAN_COST_NEGATIVE_TOL (check.h) is a planner bug: the recommendation
 * becomes that shape when it meets the request's constraints, and alt_warning says so.
 * Return: DW_OK; DW_ENOMEM. */
int plan_alternatives(const Law *law, PlanResult *res, const PlanShape *vs, const char *vs_name);

/* Evaluates a given shape at compute C (tokens = C / flops per token) or, when tokens > 0,
 * at those tokens. Fills pt (including D_crit). */
int plan_eval_shape(const Law *law, const PlanShape *shape, double compute, double tokens,
                    PlanPoint *pt);

/* An existing or proposed shape against the law's optimum at the same compute. */
typedef struct {
    PlanPoint pt;       /* the shape at its tokens (or at its compute) */
    int tokens_assumed; /* neither tokens nor compute given: T = 20 per parameter (total) */
    PlanResult opt;     /* the law's optimum at the shape's compute */
    double dloss;       /* pt.loss − opt.real.loss: what the shape gives up */
    int past_dcrit;     /* the law has an interior D_crit at this width and D > D_crit */
    double past_dcrit_cost; /* past it: loss here minus at depth round(D_crit), the same
                               width and tokens (what the extra layers cost); else NaN */
} PlanCheck;

/* Evaluates `shape` at `tokens`, or at `compute`, or at 20 tokens per parameter when both
 * are 0, and solves the optimum at the same compute (`dwplan check`).
 * Return: DW_OK; DW_EINVAL a shape plan_count rejects or a bad budget; as plan_solve. */
int plan_check(const Law *law, const PlanShape *shape, double compute, double tokens,
               PlanCheck *out);

enum {
    PLAN_DCRIT_BELOW_ONE = -1, /* the minimum is at D = 1 */
    PLAN_DCRIT_INTERIOR = 0,   /* an interior minimum over depth */
    PLAN_DCRIT_FALLS = 1,      /* loss still falls at the largest depth searched */
    PLAN_DCRIT_NO_SHAPE = 2,   /* the law has no shape term: depth enters only through N */
};

/* Text of a D_crit kind for reports ("interior minimum", "none: the law has no shape term"). */
const char *plan_dcrit_kind_text(int kind);

/* D_crit(W) at tokens T: the depth minimising L at fixed W and T. *kind as in PlanPoint. */
double plan_dcrit(const Law *law, double width, double tokens, int *kind);

/* The depth minimising L at width W and tokens T over [1, PLAN_MIN_DEPTH_MAX], with N as a
 * line in depth, N(D) = n_line[0] + n_line[1]·D (every counting convention is affine in D;
 * a figure passes the runs' own counts), or n_line NULL: N under the law's conventions
 * (plan_dcrit). A grid scan in ln D, then Brent. Returns NaN and *kind = PLAN_DCRIT_NO_SHAPE
 * when the law has no shape term; NaN and *kind = 1 when the loss still falls at the largest
 * depth; *kind = -1 when
 * the minimum is at D = 1; else *kind = 0. */
#define PLAN_MIN_DEPTH_MAX 1e4
double plan_min_depth(const Law *law, double width, double tokens, const double *n_line,
                      int *kind);

/* The width that minimises the law at a fixed depth under the budget req->compute: the
 * planner's own inner search (grid scan in ln W over [req->w_min, req->w_max], then Brent),
 * for any law (a shape-free law is searched over W too, not held at an aspect ratio).
 * Fills pt at the continuous best width.
 * Return: DW_OK; DW_EINVAL no budget or depth < 1; DW_EINFEASIBLE no width meets the budget. */
int plan_best_width(const Law *law, const PlanRequest *req, double depth, PlanPoint *pt);

/* Under the F2 `shape` form, the depth that minimises the loss at fixed N and W is
 * D0(W) = D_crit(W)·e^(−1/(2γ)): returns that ratio D0/D_crit (the planner's optimum sits
 * near it), or NaN for any other form. */
double plan_iso_n_depth_ratio(const Law *law);

/* The head width the planner uses when a request gives none: 32 below W = 256, 64 below
 * W = 2048, else 128 (heads = W / head width). `dwplan check --depth --width` uses it too. */
int plan_default_head_dim(double width);

/* Sweep: solves the continuous optimum at n budgets log-spaced in [c_lo, c_hi] and fits
 * the exponents of D*, W*, N*, T* against C by least squares on logs.
 * Inputs:  pts[n] receive the continuous optima (caller-allocated)
 *          slope[4], slope_se[4], r2[4]: D, W, N, T
 * Return:  DW_OK, or the first failing plan_solve's status. */
int plan_sweep(const Law *law, const PlanRequest *base, double c_lo, double c_hi, int n,
               PlanPoint *pts, double slope[4], double slope_se[4], double r2[4]);

/* The shape a law's conventions give at (D, W) with heads = W / head_dim. */
void plan_shape_at(const Law *law, double depth, double width, int head_dim, PlanShape *s);

#endif
