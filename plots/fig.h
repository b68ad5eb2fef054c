/* plots/fig.h — the figure builder shared by the seven figures of plot.h (plots/fig_*.c), and
 * the helpers more than one figure uses. Private to plots/ (callers use plot.h); names end
 * in `_` because they are non-static internals (STYLE §1).
 *
 * A figure is one draw function `int fig_KIND_(Fig *f)` that reads f->s (the PlotSpec),
 * writes its data files with fig_data_, its script with fig_begin_, style_width_, gp_,
 * item_ and plot_end_, its caption and notes with CAPTION and NOTE, and ends with
 * fig_finish_ (which runs gnuplot). The figures are registered in one table in fig.c
 * (name, title, default size, draw function), which plot_kind_name, plot_kind_parse and
 * plot_make read.
 */
#ifndef PLOT_FIG_H
#define PLOT_FIG_H

#include <stddef.h>

#include "fit/depth.h"
#include "plot_impl.h"

// ----------------------------------------------------------------------------
// one figure being built

typedef struct {
    PlotKind kind;
    const PlotSpec *s;
    PlotResult *res;
    char dir[PLOT_PATH_MAX], stem[128], ext[8];
    int w, h;        /* pixels */
    PlotBuf gp;      /* the script */
    int nitems;      /* items in the plot command being written */
    size_t plot_at;  /* where that command starts in gp */
    int key_n, key_chars; /* its items with a title, and the longest title (characters) */
    int title_up;    /* a warning line sits under the title: the title moves up (TITLE_UP) */
    double *px, *py; /* points drawn, for placing the key where there are fewest */
    int np, cap;
    FitDepthReport own; /* the runs' depth analysis when the spec brought none */
    int own_set;
} Fig;

/* Records a drawn point (data or a sample of a curve) for key_corner_. */
void pt_(Fig *f, double x, double y);

/* The corner of the plot area ("top left", ...) whose box of wfrac × hfrac of the axes holds
 * the fewest recorded points, in the axis coordinates given (log axes as logs). Ties go to
 * top left, top right, bottom right, bottom left in that order. */
const char *key_corner_(const Fig *f, double xlo, double xhi, double ylo, double yhi, int logx,
                        int logy, double wfrac, double hfrac);

/* A key below the plot, in as many columns as `nkey` labels of about `label_chars`
 * characters fit across the image, with the bottom margin it needs; beyond two rows the
 * image grows taller by the rows (at the default size only), so the plot keeps its room. */
void key_below_(Fig *f, int nkey, int label_chars);

/* key_corner_, and the number of recorded points in the corner's box into *count. */
const char *key_corner_n_(const Fig *f, double xlo, double xhi, double ylo, double yhi, int logx,
                          int logy, double wfrac, double hfrac, int *count);

/* Places a key of nkey entries of at most about label_chars characters: inside, in the
 * corner whose box (estimated from the counts) holds no recorded point, else below the plot
 * (key_below_). ax: the axes' xlo, xhi, ylo, yhi as drawn. */
void key_place_(Fig *f, const double ax[4], int logx, int logy, int nkey, int label_chars);

/* key_place_ for the plot command being written (after its items, before plot_end_): the
 * key's size from the items' titles; its line goes before the command. */
void key_auto_(Fig *f, const double ax[4], int logx, int logy);

/* Appends to the caption or the notes (sentences separated by a space / by "; "). */
void add_text_(char *dst, size_t n, const char *sep, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define CAPTION(f, ...) add_text_((f)->res->caption, sizeof(f)->res->caption, " ", __VA_ARGS__)
#define NOTE(f, ...)    add_text_((f)->res->notes, sizeof(f)->res->notes, "; ", __VA_ARGS__)

/* Appends a formatted line (or part of one) to the script. */
void gp_(Fig *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Text for a gnuplot double-quoted string in enhanced mode (where a backslash is itself
 * escaped): "D_crit" → "D\\_crit". */
const char *gp_dq_(const char *in, char *out, size_t n);

/* One item of a plot command: "plot " before the first, ", \\" + newline between items;
 * plot_end_ closes the command. */
void item_(Fig *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void plot_end_(Fig *f);

/* The script's header and terminal, and res->title, from the figure's row in the table
 * (fig.c); the image is the spec's size, else the table's default size. */
void fig_begin_(Fig *f);
/* As fig_begin_, with a default size of dw × dh pixels computed by the figure (parity: from
 * its number of panels). */
void fig_begin_size_(Fig *f, int dw, int dh);

/* `set style line IDX` for width W, with a comment naming the width. */
void style_width_(Fig *f, int idx, double W);

/* Writes a data file <stem>_<part>.dat and records its basename in *name. */
int fig_data_(Fig *f, const char *part, const PlotBuf *d, char *name, size_t n);

/* Writes the script and runs gnuplot; checks the image. */
int fig_finish_(Fig *f);

// ----------------------------------------------------------------------------
// helpers of several figures

/* "name (form)" of a law, cut to n bytes with "..." (depth, parity, frontier, isoflop, dcrit). */
const char *law_label_(const Law *law, char *buf, size_t n);

/* The runs' depth analysis (fit/depth.h: τ per run, τ(W), the curves and D_crit per width,
 * κ): the spec's, or computed once for this figure. NULL when the runs cannot have one (no
 * runs; no depth, width, or loss and grad_norms); *rc receives DW_ENOMEM on failure. */
const FitDepthReport *fig_analysis_(Fig *f, int *rc);

/* Notes for the widths without an interior minimum: one line for those with too few depths
 * (listing them), one per width whose lowest loss is at an end. */
void dcrit_notes_(Fig *f, const FitDepthReport *rep);

/* The q-quantile of v[0..n) by linear interpolation between order statistics (sorts v);
 * NaN when n < 1. */
double quantile_(double *v, int n, double q);

/* The law's bootstrap draws a band is drawn from: the first `max` (at most) of its stored
 * draws when it has at least 20, as the planner's intervals use them; 0 and NULL without. */
#define FIG_BAND_DRAWS 200
int law_draws_(const Law *law, int max, const double **draws);

/* What a figure's `set title` line ends with: room for misfit_label_'s line when it is set. */
#define TITLE_UP(f) ((f)->title_up ? " offset 0,0.8" : "")

/* 1 when `law` is the depth-delusion preset (the paper's form and constants): the paper's
 * claimed exponents are drawn only beside that law. */
int law_is_paper_(const Law *law);

/* The law's R² on the spec's runs (fit_predict on their rows, as the parity figure): 1 when
 * it is below 0 (worse than the runs' mean), *r2 NaN when there are no runs to judge by. */
int law_misfit_(Fig *f, double *r2);

/* A red line at the top of the plot and a caption sentence: the law does not describe the
 * runs (R² r2), so `where` ("its optimum is not the runs'"). */
void misfit_label_(Fig *f, double r2, const char *where);
/* Its caption sentence alone (a figure that places the line itself). */
void misfit_note_(Fig *f, double r2, const char *where);

/* The spec's budget range in FLOPs: c_lo (default 1e18) to c_hi (default c_lo·1e6).
 * (frontier, isoflop) */
void budget_range_(const PlotSpec *s, double *lo, double *hi);

// ----------------------------------------------------------------------------
// the figures (one file each: plots/fig_KIND.c)

int fig_depth_(Fig *f);
int fig_gradients_(Fig *f);
int fig_tau_(Fig *f);
int fig_parity_(Fig *f);
int fig_frontier_(Fig *f);
int fig_isoflop_(Fig *f);
int fig_dcrit_(Fig *f);

#endif
