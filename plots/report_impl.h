/* plots/report_impl.h — the sections of the report page (report_sections.c), shared with the
 * page's assembly (report.c). Not part of the public API: callers use plot.h. Each section
 * renders a library result as HTML; none computes anything of its own. */
#ifndef PLOT_REPORT_IMPL_H
#define PLOT_REPORT_IMPL_H

#include "fit/compare.h"
#include "fit/depth.h"
#include "fit/fit.h"
#include "planner/plan.h"
#include "plot_impl.h"

#define H(b, s) plot_html_esc_((b), (s))

/* Planner table across budgets; the C = 1e22 row (or the middle one) and the exponents go into
 * the narrative. */
typedef struct {
    int ok, nrows;
    double C[16];
    PlanResult res[16];
    int row_ok[16];
    int sweep_ok;
    double slope[4], r2[4];
    char why[256];
} PlannerOut;

/* Plans the budgets clo..chi (one per decade) and sweeps them for the exponents. */
void report_planner_run_(const Law *law, double clo, double chi, PlannerOut *p);

/* The law's parameters with their intervals, fit summary and conventions. */
void report_law_section_(PlotBuf *b, const Law *law, const char *origin);
/* τ(W) and D_crit tables from the depth analysis. */
void report_depth_section_(PlotBuf *b, const DsRuns *r, const FitDepthReport *a);
/* The form comparison (cmp NULL: not run, and why). */
void report_forms_section_(PlotBuf *b, const DsRuns *r, const FitComparison *cmp,
                           const char *why);
/* The planner across budgets; lp (may be NULL): the law on the runs, warned about when its
 * R² is below 0. */
void report_planner_section_(PlotBuf *b, const Law *law, const PlannerOut *p,
                             const FitPrediction *lp);
/* "What the data say": U-curve, persistence, κ, the forms' verdict, the law on these runs
 * (lp: fit_predict of the law on them, or NULL) and the plan. */
void report_narrative_(PlotBuf *b, const DsRuns *r, const Law *law, const FitDepthReport *a,
                       const char *verdict, const PlannerOut *p, const FitPrediction *lp);
/* The warning that the law does not describe the runs (R² < 0), for the top of the page
 * (where = "page") or the planner section ("planner"). */
void report_misfit_(PlotBuf *b, const Law *law, const FitPrediction *lp, const char *where);

#endif
