/* fit/depth.h — the whole depth analysis of a run table, as one library call (DESIGN §4.3
 * "Gradient persistence", "Critical depth"; the paper's §4.7–4.8). Prefix fit_depth_.
 *
 * `dwplan fit --critical-depth`, the report and the depth, gradients, tau and dcrit figures
 * all render this one result, so they show the same numbers and leave out the same runs:
 *
 *   1. gradient persistence: τ per run from its grad_norms (fit_tau_run), then τ(W) as a
 *      power law and as a log form (fit_tau_width) over the runs with a τ;
 *   2. critical depth: runs grouped by width; within a width only runs at one token count
 *      are comparable (the count with most runs within FIT_SAME_TOKENS_REL of it,
 *      fit_dcrit_all's rule); the loss-vs-depth curve (mean loss per depth) and its minimum
 *      per width (fit_dcrit_one); the run-to-run noise pooled over repeated configurations
 *      (fit_noise_pooled) and each interior minimum judged against it (fit_dcrit_judge: a
 *      U-curve is found when the loss rises by more than 2 SE toward both ends of the
 *      depths run, or, with no repeated configuration, found but "noise unknown"); then,
 *      when two or more widths have a U-curve found, D_crit = κ·ln W and D_crit = c·W^β
 *      across them (fit_kappa; widths > 1). Interior minima within the noise are shown but
 *      left out of κ, and counted (nwithin).
 *
 * Tokens: a table with a tokens column compares runs by it (a row with FLOPs only has no
 * token count here and is left out of the D_crit analysis, counted); a table without one is
 * taken as trained on one token count, and the report says so.
 */
#ifndef FIT_DEPTH_H
#define FIT_DEPTH_H

#include "datasets/runs.h"
#include "persist.h"

/* One run's gradient persistence. */
typedef struct {
    int row;         /* index into the DsRuns */
    int has_grad;    /* the run recorded grad_norms */
    FitTauRun tau;   /* ok = 0 and why set when there is no τ */
} FitDepthRun;

/* One point of a loss-vs-depth curve: the mean loss of the runs at one depth. */
typedef struct {
    double depth, loss;
    int nruns;
} FitDepthPoint;

/* One width's curve and critical depth. */
typedef struct {
    FitDcrit dc;          /* width, tokens, kind, D_crit, bracket, why (persist.h) */
    FitDepthPoint *curve; /* (ncurve) ascending depth, at dc.tokens */
    int ncurve;
} FitDepthWidth;

typedef struct {
    int nruns;             /* runs analysed (DsRuns.n) */
    int nskipped_status;   /* runs left out by the loader: status not "ok" */
    int has_grad, has_loss, has_tokens; /* the table's columns */
    /* gradient persistence */
    FitDepthRun *runs;     /* (nruns) */
    int ngrad;             /* runs with grad_norms */
    int ntau;              /* runs with a τ */
    int nfew;              /* runs with grad_norms but fewer than 3 layers */
    int nnodecay;          /* runs with >= 3 layers whose norms do not decay toward the input */
    int tw_ok;             /* τ(W) was fitted */
    FitTauWidth tw;
    char tw_why[256];      /* !tw_ok: why */
    /* critical depth */
    int dcrit_ok;          /* the per-width analysis ran (depth, width and loss columns) */
    char dcrit_why[256];   /* !dcrit_ok: why */
    int nno_tokens;        /* runs left out of it: the table has tokens but the run gave none */
    int *row_width;        /* (nruns) index into widths[] of the curve a run is on, or -1
                              (another token count, no token count, or no D_crit analysis) */
    FitDepthWidth *widths; /* (nwidths) ascending width */
    int nwidths;
    int ninterior;         /* widths with an interior minimum (whatever the noise) */
    FitNoise noise;        /* run-to-run noise over the runs of the D_crit analysis (all of
                              its token counts): fit_noise_pooled */
    int nbeyond;           /* interior widths whose minimum is beyond the noise */
    int nwithin;           /* interior widths whose minimum is within the noise */
    int nunknown;          /* interior widths judged without a noise estimate */
    int nfound;            /* U-curves found: nbeyond, or nunknown when the noise is unknown
                              (then every interior minimum counts, and is said to be unjudged) */
    int kp_ok;             /* κ and (c, β) were fitted (over the nfound widths > 1) */
    FitKappa kp;
    char kp_why[256];      /* !kp_ok: why */
    int estimated;         /* something was estimated: a τ or a U-curve found (nfound) */
} FitDepthReport;

/* Runs the analysis.
 * Inputs:  r    the runs (datasets/runs.h; needs depth and width, and loss or grad_norms)
 *          out  receives the report (fit_depth_report_free), filled as far as the data allow:
 *               each part says why it was not estimated
 * Return:  DW_OK; DW_EPARSE the table lacks depth, width, or both loss and grad_norms (the
 *          message names the column and --map); DW_ENOMEM. */
int fit_depth_analyse(const DsRuns *r, FitDepthReport *out);
void fit_depth_report_free(FitDepthReport *rep);

#endif
