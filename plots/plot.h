/* plots/plot.h — publication figures by gnuplot, and `dwplan report` (DESIGN §2 "plots/").
 * Prefix plot_.
 *
 * Every figure is three kinds of file side by side, so that a user can restyle it without
 * dwplan:
 *
 *     depth.png        the image (png, svg or pdf, chosen by the extension)
 *     depth.gp         the gnuplot script that drew it: one line style per series at the top,
 *                      data read by relative path; `gnuplot depth.gp` in that directory
 *                      redraws the image
 *     depth_*.dat      whitespace-separated columns with a comment header, one block per
 *                      series (gnuplot `index`)
 *
 * gnuplot runs as a separate process (fork/exec by posix_spawnp, never through a shell); its
 * exit status is checked and its standard error goes to <stem>.log beside the script: a
 * failed figure is one sentence naming that log (never gnuplot's raw words, which a report
 * would show), and no empty image is left. When gnuplot is not installed the script and
 * data are still written and the message names the Debian package (gnuplot-nox). When runs
 * and a law are both given and the law fits the runs worse than their mean (R² < 0), the
 * figures that plan with the law (frontier, isoflop) carry a warning line and sentence.
 *
 * Kinds (plot_kind_parse):
 *   depth      loss vs depth at each width: runs as points joined in order of depth, the
 *              law as curves at the runs' token count (said in the title), D_crit marked
 *              (the runs' parabola vertex, the law's minimum); the depth axis follows the runs
 *   gradients  per-layer gradient norm vs layer (log y), the deepest run of each width,
 *              with the fitted exponential ln g = a + ℓ/τ and τ in the legend
 *   tau        τ vs W on log-log axes: per-run τ ± SE, τ = t0·W^β and τ = a + b·ln W with
 *              their R², and the paper's slope 0.44 for comparison
 *   parity     predicted vs observed loss, one panel per model (the law and/or fitted forms)
 *              on its own scale, R² and RMSE in each panel's title; a form fitted to the runs
 *              also shows its held-out predictions (leave-one-shape-out) and a fit that did
 *              not converge is flagged
 *   frontier   D*, W*, N*, T* vs compute from the planner (plan_sweep), log-log, with the
 *              planner's 95% intervals (the law's draws) and near-optimal region as bands, the
 *              runs at their own compute, and the paper's claimed slopes (D* ∝ C^0.12,
 *              W* ∝ C^0.34 and what they imply for N, T) beside the paper's own law only
 *   isoflop    at several fixed budgets, predicted loss vs depth (best width at each depth),
 *              relative to each budget's optimum: the shape of the optimum, with 95% bands
 *              over the law's bootstrap draws and the runs' loss above the law's optimum at
 *              their own compute over the shaded depths run
 *   dcrit      D_crit vs W: per-width D_crit from the runs (bracketed by the neighbouring
 *              depths), D_crit = κ·ln W and c·W^β fits, the paper's 2.43·ln W, the law's
 *              D_crit(W) at the runs' token count; the title says what the runs show, the
 *              axis turns logarithmic when the values span more than 8x
 *
 * Colour per width (the same in every figure and every report): width W gets
 * palette[round(4·log2 W) mod 24], a fixed 24-colour table over quarter-octave steps whose
 * powers of two (64, 128, ..., 2048) are the six strongest hues (blue, orange, green, red,
 * purple, brown). Two widths differ in colour when they are at least about a quarter octave
 * apart and less than six octaves apart (the Gemstones widths 256–3072 and a probe sweep
 * 64–1024 all get distinct colours). Things that are not widths (forms, budgets, the paper)
 * use black, greys and a separate sequential scale.
 *
 * Library rules: nothing is printed to stdout; every failure returns a DW_E* code with a
 * message (dw_error_get); progress and per-figure notes go to the caller through PlotResult
 * and an optional callback.
 */
#ifndef PLOT_PLOT_H
#define PLOT_PLOT_H

#include <stddef.h>

#include "datasets/runs.h"
#include "fit/compare.h"
#include "fit/depth.h"
#include "fit/fit.h"
#include "fit/law.h"

#define PLOT_PATH_MAX 1024

// ----------------------------------------------------------------------------
// figures

typedef enum {
    PLOT_DEPTH,
    PLOT_GRADIENTS,
    PLOT_TAU,
    PLOT_PARITY,
    PLOT_FRONTIER,
    PLOT_ISOFLOP,
    PLOT_DCRIT,
    PLOT_NKINDS
} PlotKind;

/* "depth", "gradients", ... (static). */
const char *plot_kind_name(PlotKind k);
/* DW_OK or DW_ENOTFOUND (the message lists the kinds). */
int plot_kind_parse(const char *name, PlotKind *k);

/* A model for the parity figure: a label and a law whose parameters predict the runs. */
typedef struct {
    char label[96];
    const Law *law;    /* borrowed */
    int n_from_shape;  /* count N from depth and width under law->conv */
    int fitted;        /* fitted to these runs: its held-out predictions are drawn too (each
                          shape left out in turn, the form refitted to the rest) */
    int not_converged; /* its optimiser did not converge: flagged in its panel */
} PlotModel;

/* What a figure is drawn from. Everything is borrowed. Zero fields take defaults. */
typedef struct {
    const DsRuns *runs;      /* may be NULL (datasets/runs.h) */
    const FitDepthReport *depth; /* the runs' depth analysis (fit_depth_analyse), or NULL:
                                    plot_make runs it for the figures that draw it */
    const Law *law;          /* may be NULL */
    int n_from_shape;        /* the law's N: counted from (D, W) rather than the params column */
    const PlotModel *models; /* parity: models besides the law (e.g. fitted forms) */
    int nmodels;
    double c_lo, c_hi;     /* frontier and isoflop: budget range in FLOPs (1e18 .. 1e24) */
    const double *budgets; /* isoflop budgets (default: one per two decades of c_lo..c_hi) */
    int nbudgets;
    const double *widths; /* depth, dcrit: law curves at these widths when there are no
                             runs (default 256, 512, 1024, 2048, 4096) */
    int nwidths;
    double tokens;           /* tokens for law curves when the runs give none (default 2e10) */
    int grad_depth;          /* gradients: plot runs of this depth (0: the deepest per width) */
    int width_px, height_px; /* image size in pixels (pdf: 160 pixels to the inch); default
                                per kind */
} PlotSpec;

/* What plot_make produced. */
typedef struct {
    int written;                /* script and data files were written */
    int rendered;               /* the image was produced */
    char image[PLOT_PATH_MAX];  /* as given */
    char script[PLOT_PATH_MAX]; /* beside the image: same stem, .gp */
    char files[8][192];         /* basenames of the data files */
    int nfiles;
    int width_px, height_px; /* the image size asked of gnuplot */
    char title[160];         /* a one-line title ("Loss vs depth at each width") */
    char caption[2048];      /* what the figure shows, with the fitted numbers */
    char notes[2048];        /* what was left out and why ("W = 1792: 2 depths, no
                                D_crit"), "" when nothing */
} PlotResult;

/* Draws one figure: writes <stem>.gp and <stem>_*.dat beside `image` and runs gnuplot.
 * Inputs:  kind   the figure
 *          spec   its inputs
 *          image  output path; the extension (.png, .svg, .pdf) picks the gnuplot terminal
 *                 (pngcairo, svg, pdfcairo); the directory must exist
 *          res    receives files, caption and notes (always filled as far as it got)
 * Return:  DW_OK                the image exists;
 *          DW_EINVAL            nothing to draw (e.g. "gradients: no run has grad_norms"),
 *                               nothing written; or a bad extension;
 *          DW_EIO               gnuplot is missing or failed (script and data are written;
 *                               the message names gnuplot-nox or quotes gnuplot's stderr),
 *                               or a file could not be written;
 *          DW_ENOMEM. */
int plot_make(PlotKind kind, const PlotSpec *spec, const char *image, PlotResult *res);

/* Checks an output path before any work: a .png, .svg or .pdf extension, no quote in the
 * file name. DW_OK or DW_EINVAL with the message set. */
int plot_image_check(const char *image);

/* The colour of a width, "#rrggbb" (static string; see the top of this file). */
const char *plot_width_color(double width);

/* 1 when `gnuplot` can be started from PATH. */
int plot_gnuplot_found(void);

/* Runs `gnuplot SCRIPT` with the script's directory as gnuplot's working directory
 * (so the relative paths inside resolve), by posix_spawnp. Return: DW_OK; DW_EIO with
 * "gnuplot not found on PATH ... apt-get install gnuplot-nox ..." or "gnuplot failed on
 * SCRIPT (exit N): <its stderr>". gnuplot's warnings on success are copied to warn[n]
 * (may be NULL). */
int plot_gnuplot_run(const char *script, char *warn, size_t n);

// ----------------------------------------------------------------------------
// report

typedef struct {
    const DsRuns *runs;     /* may be NULL (a report on a law alone) */
    const Law *law;         /* may be NULL (a report on runs alone) */
    const char *law_origin; /* how the law was named (file or preset), for the page */
    int n_from_shape;       /* as in PlotSpec, for the law and the fitted forms */
    const char *compare;    /* forms to fit and compare, "F1,F2,..." (NULL: a default set
                               chosen by what the data vary) */
    FitObjective objective; /* for the comparison fits */
    double huber_delta;
    int cv;              /* 1: leave-one-shape-out CV for the comparison (default on) */
    double c_lo, c_hi;   /* planner table and frontier range (default 1e18 .. 1e24) */
    const char *format;  /* "png" (default) or "svg" */
    const char *command; /* the command line, recorded on the page (may be NULL) */
    /* progress messages ("fitting shape:power ..."), may be NULL */
    void (*progress)(const char *msg, void *ctx);
    void *progress_ctx;
} PlotReportSpec;

typedef struct {
    int nfigures;              /* figures attempted */
    int nrendered;             /* images produced */
    int nskipped;              /* figures the inputs do not allow (with a note each) */
    int nfailed;               /* figures whose gnuplot run failed or was impossible */
    char index[PLOT_PATH_MAX]; /* path of index.html */
    char notes[8192];          /* one line per skipped or failed figure */
} PlotReportResult;

/* Builds a report in `dir` (created if missing): every figure the inputs allow (png or svg
 * with its .gp and .dat files) and index.html, a self-contained page (inline CSS, no
 * scripts, images by relative path) with the narrative, the law's parameters with
 * intervals, the τ / D_crit estimates, the form comparison (fit_run + fit_cv_groups), the
 * planner across budgets (plan_solve, plan_sweep) and every figure with its caption.
 * The page links only files that exist: a figure that was not rendered shows why, and its
 * script when there is one.
 * Return:  DW_OK every figure the inputs allow was rendered;
 *          DW_EIO index.html was written but some figure could not be rendered (gnuplot
 *                 missing or failing; res->notes and the message say which), or a file
 *                 could not be written;
 *          DW_EINVAL neither runs nor a law; DW_ENOMEM. */
int plot_report(const PlotReportSpec *spec, const char *dir, PlotReportResult *res);

#endif
