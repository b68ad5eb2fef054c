/* planner/warn.h — what the planner must say before a number from a law is believed:
 * the law's degenerate status, extrapolation beyond the range of its data, tokens per
 * parameter outside the band public scaling data cover, and intervals that run into the
 * search box. One owner for these rules: `plan`, `check` and the report render this list.
 */
#ifndef PLAN_WARN_H
#define PLAN_WARN_H

#include <stddef.h>

#include "plan.h"

#define PLAN_WARN_MAX 12

/* Tokens per (total) parameter outside [PLAN_TPP_LO, PLAN_TPP_HI] is outside every public
 * scaling-law table dwplan ships (Chinchilla's runs span about 2-300, Gemstones' 10-600):
 * a law's prediction there is an extrapolation in T/N whatever its own range says. */
#define PLAN_TPP_LO 2.0
#define PLAN_TPP_HI 1000.0

/* Extrapolation slack: a point more than this factor outside the law's data range is
 * flagged (quantities span orders of magnitude; 1.0 would flag rounding noise). */
#define PLAN_RANGE_SLACK 1.05

typedef enum { PLAN_WARN_NOTE, PLAN_WARN_CAUTION, PLAN_WARN_SEVERE } PlanWarnLevel;

typedef struct {
    PlanWarnLevel level;
    char code[32];   /* stable key for --json: "degenerate", "extrapolated", "tokens-per-param",
                        "interval-at-bound", "optimum-at-bound", "compute-beyond-limit",
                        "negative-loss" */
    char text[320];
} PlanWarning;

typedef struct {
    int n;
    PlanWarning w[PLAN_WARN_MAX];
} PlanWarnings;

/* Appends one warning. Past PLAN_WARN_MAX a SEVERE one replaces the latest warning that is
 * not SEVERE (a severe warning is never lost to a list of cautions); others are dropped. */
void plan_warn_add(PlanWarnings *ws, PlanWarnLevel level, const char *code, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

/* The law's own status: parameters on a bound, unidentified parameters, N and T confounded
 * (law_degenerate_text), a fit that did not converge. */
void plan_warn_law(const Law *law, PlanWarnings *ws);

/* One point (an optimum or a checked shape): each quantity outside the law's data range
 * (by more than PLAN_RANGE_SLACK), tokens per parameter outside the public band, and
 * (SEVERE) what plan_point_meaningful refuses: "compute-beyond-limit", "negative-loss".
 * `what` names the point in the text ("the optimum", "gpt2"). */
void plan_warn_point(const Law *law, const PlanPoint *pt, const char *what, PlanWarnings *ws);

/* A solved plan: the law, the real shape, the continuous optimum on the search box, and
 * interval ends that touch the box (they are then lower/upper limits, not intervals). */
void plan_warn_result(const Law *law, const PlanResult *res, PlanWarnings *ws);

/* The most training compute the planner answers for: `plan --compute`, --sweep-compute,
 * the figures and the report refuse budgets beyond it. A checked shape whose law-counted
 * compute exceeds it (a config at the size limits of planner/hfconfig.c at 20 tokens per
 * parameter, or --tokens) gets no more meaning than a budget beyond it would. */
#define PLAN_FLOPS_MAX 1e32

/* Whether a point's numbers mean anything: its compute within PLAN_FLOPS_MAX and its
 * predicted loss finite and non-negative (a cross-entropy cannot be negative: a law that
 * predicts one is used far outside where it was fitted). `what` names the point, `origin`
 * the law ("law.json", "preset depth-delusion") in the message.
 * Return: DW_OK, or DW_EDATA with a message naming both, the quantity and its limit: the
 *         caller reports it instead of printing the numbers (exit 3). */
int plan_point_meaningful(const PlanPoint *pt, const char *what, const char *origin);

#endif
