/* planner/region.h — the near-optimal region at a fixed compute (issue 13, deliverable 4).
 *
 * Under a law, at the compute of a solved plan, every real shape (integer depth, width a
 * multiple of the plan's heads step, T = C / FLOPs per token) whose predicted loss is within
 * eps nats of the lowest real shape's. With parameter draws (the law's bootstrap draws, else
 * draws from its asymptotic covariance), each listed shape also gets the fraction of draws
 * under which it is within eps of that draw's best shape. A draw's best is taken over the
 * candidate set (the shapes within PLAN_REGION_CAND_MULT·eps of the point estimate's best,
 * at least PLAN_REGION_CAND_MIN nats): a draw whose optimum lies outside that set is judged
 * against the best shape inside it, which can only raise its probabilities.
 *
 * The scan covers depths and widths within a factor PLAN_REGION_SPAN of the continuous
 * optimum, inside the request's box; `touches_scan` says when the region reaches its edge
 * (the region may then be larger than listed).
 */
#ifndef PLAN_REGION_H
#define PLAN_REGION_H

#include "plan.h"

#define PLAN_REGION_SPAN 8.0
#define PLAN_REGION_CAND_MULT 4.0
#define PLAN_REGION_CAND_MIN 0.02
#define PLAN_REGION_WIDE 1.5   /* a region spanning this factor in depth or width is wide */
#define PLAN_REGION_MAX_SHAPES 200000 /* candidates kept; beyond it the call fails */

typedef struct {
    PlanShape shape;
    double tokens, params_law, loss;
    double dloss;     /* loss − the best real shape's loss (>= 0) */
    double p_within;  /* fraction of draws within eps of the draw's best; NaN without draws */
} PlanRegionShape;

typedef struct {
    double eps;               /* nats */
    double compute;
    double best_loss;         /* the lowest real shape's loss */
    int n;                    /* shapes within eps, sorted by loss (shapes[0] is the best) */
    PlanRegionShape *shapes;  /* owned */
    double depth_lo, depth_hi, width_lo, width_hi; /* ranges over the region */
    double params_lo, params_hi;   /* N (law convention) over the region */
    double tokens_lo, tokens_hi;   /* T over the region */
    int shape_free;           /* the law has no shape term: the region is a band of N (every
                                 shape near the same N), not a statement about shape */
    int touches_scan;         /* the region reaches the edge of the scanned depths or widths */
    int wide;                 /* depth_hi >= PLAN_REGION_WIDE·depth_lo or the same for width:
                                 the law cannot tell those shapes apart at this eps */
    int ncand;                /* candidates judged under the draws */
    int ndraws;               /* draws used (0: none; p_within NaN) */
    int ndraws_asked;         /* plan_region's ndraws (plan_region_p_point redraws them) */
    double *draw_best;        /* owned: each draw's best loss over the candidates (NaN: the
                                 draw was not used); NULL without draws */
    char draws_why[160];      /* why there are none */
} PlanRegion;

/* The region of res (a plan_solve result at a fixed compute; fixed N or T are not supported
 * yet) for eps > 0 nats, using up to ndraws draws (0: none).
 * Return: DW_OK; DW_EINVAL eps not positive and finite, or a request that fixed N or T;
 * DW_EINFEASIBLE no real shape in the scan; DW_ENOMEM. */
int plan_region(const Law *law, const PlanResult *res, double eps, int ndraws, PlanRegion *out);

void plan_region_free(PlanRegion *r);

/* The share of the region's draws under which the point x (any shape, e.g. a checked model
 * counted the law's way) is within g->eps of that draw's best candidate: the P(within) of a
 * shape that need not be on the region's grid. NaN without draws.
 * Return: DW_OK; DW_ENOMEM. */
int plan_region_p_point(const Law *law, const PlanRegion *g, const LawX *x, double *p);

/* The default tolerance of `plan`'s region: the larger of the run-to-run noise floor
 * PLAN_REGION_NOISE (an assumption: the typical seed-to-seed spread of a final pre-training
 * loss, docs/options.md) and the law's own uncertainty — the half-width of the recommended
 * shape's 95% loss interval over the law's bootstrap draws (at least 20), capped at
 * PLAN_REGION_EPS_CAP (that interval also holds the floor's uncertainty, shared by every
 * shape, so uncapped it would let the region cover every reasonable shape). Laws without
 * bootstrap draws use the noise floor. `why` (may be NULL) says which term set it. */
#define PLAN_REGION_NOISE 0.005
#define PLAN_REGION_EPS_CAP 0.01
double plan_region_default_eps(const Law *law, const PlanResult *res, char *why, size_t n);

#endif
