/* plots/fig.c — the figure registry and the figure builder (plots/fig.h).
 *
 * The registry is one table, indexed by PlotKind: each figure's name (plot_kind_name,
 * plot_kind_parse), its title, its default image size, which inputs it cannot do without,
 * and its draw function (plots/fig_KIND.c), which plot_make calls.
 *
 * Every script has the same layout so that a user can restyle any of them the same way:
 * a comment saying what it draws and from which files, the terminal line (size, font), one
 * `set style line` per series (widths get dwplan's width colour, plot.h), axes with units,
 * then the plot command. Data are written at full precision (%.10g).
 *
 * Analyses come from the library (fit/persist.h for τ and D_crit, planner/plan.h for
 * optima), so a figure shows exactly the numbers `dwplan fit --critical-depth` and
 * `dwplan plan` print.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/dw.h"
#include "fig.h"
#include "planner/fitdata.h"

// ----------------------------------------------------------------------------
// the registry

/* Which runs a figure needs: plot_make says "no runs to plot" for an empty table when the
 * figure cannot be drawn without them. */
typedef enum {
    FIG_RUNS_NONE,   /* drawn from the law alone (frontier, isoflop) */
    FIG_RUNS_ALWAYS, /* drawn from the runs (gradients, tau, parity) */
    FIG_RUNS_OR_LAW, /* runs, or the law when there are none (depth, dcrit) */
} FigRuns;

typedef struct {
    const char *name;        /* plot_kind_name, plot_kind_parse, the script's comment */
    const char *title;       /* PlotResult.title, the script's first line */
    int width_px, height_px; /* default image size; 0: computed by the figure (fig_begin_size_) */
    FigRuns runs;
    int (*draw)(Fig *f); /* data files, script, caption; ends with fig_finish_ */
} FigKind;

static const FigKind kinds_[] = {
    [PLOT_DEPTH] = {"depth", "Loss vs depth at each width", 900, 600, FIG_RUNS_OR_LAW, fig_depth_},
    [PLOT_GRADIENTS] = {"gradients", "Per-layer gradient norms", 900, 600, FIG_RUNS_ALWAYS,
                        fig_gradients_},
    [PLOT_TAU] = {"tau", "Gradient persistence length vs width", 800, 600, FIG_RUNS_ALWAYS,
                  fig_tau_},
    /* parity: 430 px a panel, two a row, and a legend column (fig_parity.c) */
    [PLOT_PARITY] = {"parity", "Predicted vs observed loss", 0, 0, FIG_RUNS_ALWAYS, fig_parity_},
    [PLOT_FRONTIER] = {"frontier", "Compute-optimal shape vs compute", 1000, 780, FIG_RUNS_NONE,
                       fig_frontier_},
    [PLOT_ISOFLOP] = {"isoflop", "Loss vs depth at fixed compute", 1000, 600, FIG_RUNS_NONE,
                      fig_isoflop_},
    [PLOT_DCRIT] = {"dcrit", "Critical depth vs width", 1050, 600, FIG_RUNS_OR_LAW, fig_dcrit_},
};
_Static_assert(sizeof kinds_ / sizeof kinds_[0] == PLOT_NKINDS, "one row of kinds_ per PlotKind");

/* The row of kind k (0 <= k < PLOT_NKINDS). A kind inserted in the enum without a row leaves
 * a zero row, which the static assertion above cannot see: a programmer error. */
static const FigKind *kind_(int k) {
    DW_ASSERT(kinds_[k].name && kinds_[k].title && kinds_[k].draw);
    return &kinds_[k];
}

const char *plot_kind_name(PlotKind k) {
    return k >= 0 && k < PLOT_NKINDS ? kind_(k)->name : "unknown";
}

int plot_kind_parse(const char *name, PlotKind *k) {
    char list[256] = "";
    for (int i = 0; i < PLOT_NKINDS; i++) {
        if (!strcmp(name, kind_(i)->name)) {
            *k = (PlotKind)i;
            return DW_OK;
        }
        size_t L = strlen(list);
        snprintf(list + L, sizeof list - L, "%s%s", i ? ", " : "", kind_(i)->name);
    }
    return dw_error_set(DW_ENOTFOUND, "unknown figure '%s' (kinds: %s)", name, list);
}

// ----------------------------------------------------------------------------
// one figure being built

/* Records a drawn point (data or a sample of a curve) for key_corner_. */
void pt_(Fig *f, double x, double y) {
    if (!isfinite(x) || !isfinite(y)) return;
    if (f->np == f->cap) {
        int cap = f->cap ? 2 * f->cap : 256;
        double *a = realloc(f->px, sizeof(double) * (size_t)cap);
        if (!a) return;
        f->px = a;
        double *b = realloc(f->py, sizeof(double) * (size_t)cap);
        if (!b) return;
        f->py = b;
        f->cap = cap;
    }
    f->px[f->np] = x, f->py[f->np] = y, f->np++;
}

/* The corner of the plot area ("top left", ...) whose box of wfrac × hfrac of the axes holds
 * the fewest recorded points, in the axis coordinates given (log axes as logs). Ties go to
 * top left, top right, bottom right, bottom left in that order. */
const char *key_corner_(const Fig *f, double xlo, double xhi, double ylo, double yhi, int logx,
                        int logy, double wfrac, double hfrac) {
    return key_corner_n_(f, xlo, xhi, ylo, yhi, logx, logy, wfrac, hfrac, NULL);
}

const char *key_corner_n_(const Fig *f, double xlo, double xhi, double ylo, double yhi, int logx,
                          int logy, double wfrac, double hfrac, int *count) {
    static const char *const names[4] = {"top left", "top right", "bottom right", "bottom left"};
    int cnt[4] = {0};
    if (logx) xlo = log(xlo), xhi = log(xhi);
    if (logy) ylo = log(ylo), yhi = log(yhi);
    for (int i = 0; i < f->np; i++) {
        double x = logx ? log(f->px[i]) : f->px[i], y = logy ? log(f->py[i]) : f->py[i];
        double u = (x - xlo) / (xhi - xlo), v = (y - ylo) / (yhi - ylo);
        if (!(u >= 0 && u <= 1 && v >= 0 && v <= 1)) continue; /* off the plot */
        int left = u <= wfrac, right = u >= 1 - wfrac, top = v >= 1 - hfrac, bot = v <= hfrac;
        cnt[0] += top && left, cnt[1] += top && right, cnt[2] += bot && right,
            cnt[3] += bot && left;
    }
    int best = 0;
    for (int k = 1; k < 4; k++)
        if (cnt[k] < cnt[best]) best = k;
    if (count) *count = cnt[best];
    return names[best];
}

void key_place_(Fig *f, const double ax[4], int logx, int logy, int nkey, int label_chars) {
    /* the key's box as fractions of the plot (about 8 px a character and 19 px a line), with
     * a margin so that no line runs along its edge */
    double pw = f->w - 150, ph = f->h - 140;
    double wfrac = fmin(0.95, (8.0 * label_chars + 90) / (pw > 100 ? pw : 100) + 0.03);
    double hfrac = fmin(0.95, (19.0 * nkey + 14) / (ph > 100 ? ph : 100) + 0.04);
    int n;
    const char *c = key_corner_n_(f, ax[0], ax[1], ax[2], ax[3], logx, logy, wfrac, hfrac, &n);
    if (n == 0 && nkey <= 8)
        gp_(f, "set key inside %s Left reverse\n", c);
    else
        key_below_(f, nkey, label_chars);
}

/* Makes the image `px` pixels taller (the terminal line's size; the default size only: a
 * size the user gave is kept), so that a key below the plot does not take the plot's room. */
static void grow_height_(Fig *f, int px) {
    char from[64], to[64];
    if (f->s->height_px > 0 || px <= 0 || !f->gp.s) return;
    if (!strcmp(f->ext, "pdf")) {
        snprintf(from, sizeof from, "size %.2fin,%.2fin", f->w / 160.0, f->h / 160.0);
        snprintf(to, sizeof to, "size %.2fin,%.2fin", f->w / 160.0, (f->h + px) / 160.0);
    } else {
        snprintf(from, sizeof from, "size %d,%d", f->w, f->h);
        snprintf(to, sizeof to, "size %d,%d", f->w, f->h + px);
    }
    PlotBuf nb = {0};
    const char *p = f->gp.s, *q;
    while ((q = strstr(p, from))) { /* the terminal line (png has two: pngcairo and png) */
        plot_buf_printf_(&nb, "%.*s%s", (int)(q - p), p, to);
        p = q + strlen(from);
    }
    plot_buf_puts_(&nb, p);
    if (nb.oom) {
        plot_buf_free_(&nb);
        return;
    }
    plot_buf_free_(&f->gp);
    f->gp = nb;
    f->h += px, f->res->height_px = f->h;
}

void key_below_(Fig *f, int nkey, int label_chars) {
    /* gnuplot reckons about 9 px a character at 11 pt, plus the sample and the gaps */
    int cols = (f->w - 80) / (int)(9.0 * (label_chars > 4 ? label_chars : 4) + 60);
    cols = cols < 1 ? 1 : cols > nkey ? nkey : cols;
    int rows = (nkey + cols - 1) / cols;
    /* the key's rows make the image taller rather than the plot shorter (beyond two) */
    grow_height_(f, rows > 2 ? 22 * (rows - 2) : 0);
    /* gnuplot 5.4 lets a key below overlap the x label unless the margin is set */
    gp_(f, "set key below center horizontal Left reverse maxcols %d\nset bmargin %.1f\n", cols,
        6.0 + 1.1 * rows);
}

/* Appends to the caption or the notes (sentences separated by a space / by "; "). */
void add_text_(char *dst, size_t n, const char *sep, const char *fmt, ...) {
    size_t k = strlen(dst);
    if (k && k + strlen(sep) < n) {
        strcat(dst, sep);
        k += strlen(sep);
    }
    va_list ap;
    va_start(ap, fmt);
    if (k < n) vsnprintf(dst + k, n - k, fmt, ap);
    va_end(ap);
}

void gp_(Fig *f, const char *fmt, ...) {
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    plot_buf_puts_(&f->gp, line);
}

/* Text for a gnuplot double-quoted string in enhanced mode (where a backslash is itself
 * escaped): "D_crit" → "D\\_crit". */
const char *gp_dq_(const char *in, char *out, size_t n) {
    size_t k = 0;
    for (; *in && k + 4 < n; in++) {
        if (strchr("_^@&~{}", *in))
            out[k++] = '\\', out[k++] = '\\';
        else if (*in == '\\' || *in == '"')
            out[k++] = '\\';
        out[k++] = *in;
    }
    out[k] = '\0';
    return out;
}

/* One item of a plot command: "plot " before the first, ", \\" + newline between items;
 * plot_end_ closes the command. */
/* The characters a key title shows: UTF-8 lead bytes, without enhanced-text markup. */
static int title_chars_(const char *t, char q) {
    int n = 0;
    for (; *t && *t != q; t++) {
        if (*t == '\\' && t[1]) {
            t++;
            if (*t == '\\' && t[1]) t++;
        } else if (strchr("{}^_@&", *t)) {
            continue;
        }
        n += ((unsigned char)*t & 0xC0) != 0x80;
    }
    return n;
}

void item_(Fig *f, const char *fmt, ...) {
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (!f->nitems) f->plot_at = f->gp.len, f->key_n = 0, f->key_chars = 0;
    const char *t = strstr(line, " title '"), *u = strstr(line, " title \"");
    if (t || u) {
        int c = t ? title_chars_(t + 8, '\'') : title_chars_(u + 8, '"');
        if (c > 0) f->key_n++, f->key_chars = c > f->key_chars ? c : f->key_chars;
    }
    plot_buf_puts_(&f->gp, f->nitems++ ? ", \\\n     " : "plot ");
    plot_buf_puts_(&f->gp, line);
}

void key_auto_(Fig *f, const double ax[4], int logx, int logy) {
    if (!f->nitems || !f->key_n) return;
    /* the items are written: the key's line goes before the plot command */
    PlotBuf tail = {0};
    plot_buf_puts_(&tail, f->gp.s + f->plot_at);
    f->gp.len = f->plot_at, f->gp.s[f->gp.len] = '\0';
    key_place_(f, ax, logx, logy, f->key_n, f->key_chars);
    plot_buf_puts_(&f->gp, tail.s ? tail.s : "");
    if (tail.oom) f->gp.oom = 1;
    plot_buf_free_(&tail);
}

void plot_end_(Fig *f) {
    if (f->nitems) plot_buf_puts_(&f->gp, "\n");
    f->nitems = 0;
}

void fig_begin_(Fig *f) { fig_begin_size_(f, kind_(f->kind)->width_px, kind_(f->kind)->height_px); }

/* The script's header and terminal: the title and name from the figure's row of kinds_. */
void fig_begin_size_(Fig *f, int dw, int dh) {
    const PlotSpec *s = f->s;
    const char *title = kind_(f->kind)->title;
    f->w = s->width_px > 0 ? s->width_px : dw;
    f->h = s->height_px > 0 ? s->height_px : dh;
    f->res->width_px = f->w, f->res->height_px = f->h;
    snprintf(f->res->title, sizeof f->res->title, "%s", title);
    gp_(f, "# %s.gp — %s\n", f->stem, title);
    gp_(f,
        "# Drawn by dwplan %s (figure '%s'). Redraw with `gnuplot %s.gp` in this directory;\n"
        "# the data are in %s_*.dat (column names in each file's header).\n"
        "# Restyle: size and font are on the `set terminal` line; each series has a line\n"
        "# style below (widths use dwplan's width colours, the same in every figure).\n",
        DWPLAN_VERSION, kind_(f->kind)->name, f->stem, f->stem);
    gp_(f, "set encoding utf8\n");
    if (!strcmp(f->ext, "png")) {
        gp_(f,
            "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
            "    set terminal pngcairo size %d,%d enhanced font 'DejaVu Sans,11' "
            "linewidth 1.2 background rgb 'white'\n"
            "} else {\n"
            "    set terminal png size %d,%d enhanced\n"
            "}\n",
            f->w, f->h, f->w, f->h);
    } else if (!strcmp(f->ext, "svg")) {
        gp_(f,
            "set terminal svg size %d,%d enhanced font 'DejaVu Sans,11' linewidth 1.2 "
            "background rgb 'white'\n",
            f->w, f->h);
    } else {
        /* a paper's column: 160 px to the inch (800 x 600 px → 5 x 3.75 in), 9 pt text */
        gp_(f,
            "set terminal pdfcairo size %.2fin,%.2fin enhanced font 'DejaVu Sans,9' "
            "linewidth 1.0 pointscale 0.6\n",
            f->w / 160.0, f->h / 160.0);
    }
    gp_(f, "set output '%s.%s'\n", f->stem, f->ext);
    gp_(f, "set border 3 lw 1.2\nset tics nomirror out\n"
           "set grid xtics ytics mxtics mytics lc rgb '#e0e0e0' lw 1 dt 1, lc rgb '#f0f0f0' lw 1\n"
           "set key box lc rgb '#bbbbbb' opaque samplen 2.5 spacing 1.15\n");
}

/* `set style line IDX` for width W, with a comment naming the width. */
void style_width_(Fig *f, int idx, double W) {
    gp_(f, "set style line %d lc rgb '%s' lw 2 pt 7 ps 1.1   # W = %g\n", idx, plot_width_color(W),
        W);
}

/* Writes a data file <stem>_<part>.dat and records its basename in *name. */
int fig_data_(Fig *f, const char *part, const PlotBuf *d, char *name, size_t n) {
    char path[PLOT_PATH_MAX + 200];
    snprintf(name, n, "%s_%s.dat", f->stem, part);
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    int rc = plot_buf_write_(d, path);
    if (rc) return rc;
    if (f->res->nfiles < 8) {
        snprintf(f->res->files[f->res->nfiles], sizeof f->res->files[0], "%s", name);
        f->res->nfiles++;
    }
    return DW_OK;
}

/* Writes the script and runs gnuplot; checks the image. */
int fig_finish_(Fig *f) {
    char warn[1024];
    gp_(f, "set output\n");
    int rc = plot_buf_write_(&f->gp, f->res->script);
    if (rc) return rc;
    f->res->written = 1;
    /* an image left from an earlier run must not pass for this one: a regular file (or the
     * one a symlink names) is emptied, never unlinked, so a link stays a link (common/dw.h's
     * rules); a FIFO or device is written through by gnuplot as it is */
    struct stat st, lst;
    int regular = stat(f->res->image, &st) != 0 || S_ISREG(st.st_mode);
    int plain = lstat(f->res->image, &lst) != 0 || S_ISREG(lst.st_mode); /* not a link */
    if (regular && truncate(f->res->image, 0) != 0 && errno != ENOENT)
        return dw_error_set(DW_EIO, "%s: cannot replace: %s", f->res->image, strerror(errno));
    rc = plot_gnuplot_run(f->res->script, warn, sizeof warn);
    if (!rc && regular && (stat(f->res->image, &st) != 0 || st.st_size == 0))
        rc = dw_error_set(DW_EIO, "gnuplot ran on %s but wrote no %s", f->res->script,
                          f->res->image);
    if (rc) {
        /* no empty or partial image left to pass for a figure: the file we emptied, or the
         * one gnuplot opened before it failed, goes (a symlink stays, its target emptied) */
        if (plain) unlink(f->res->image);
        return rc;
    }
    if (warn[0]) {
        const char *b = strrchr(warn, '/');
        NOTE(f, "gnuplot printed warnings while drawing (see %s)", b ? b + 1 : warn);
    }
    f->res->rendered = 1;
    return DW_OK;
}

// ----------------------------------------------------------------------------
// helpers of several figures

const char *law_label_(const Law *law, char *buf, size_t n) {
    char form[96];
    law_form_text(&law->form, form, sizeof form);
    if (snprintf(buf, n, "%s (%s)", law->name[0] ? law->name : "law", form) >= (int)n && n > 4)
        strcpy(buf + n - 4, "...");
    return buf;
}

/* Per-width D_crit analysis of the runs (fit_dcrit_all). *dc is a new array of *nw entries,
 * or NULL with *nw = 0 when the runs cannot give one (no loss/depth/width or no rows). */
const FitDepthReport *fig_analysis_(Fig *f, int *rc) {
    const DsRuns *r = f->s->runs;
    *rc = DW_OK;
    if (f->s->depth) return f->s->depth;
    if (f->own_set) return &f->own;
    if (!r || !r->has_depth || !r->has_width || !(r->has_loss || r->has_grad) || r->n < 1)
        return NULL;
    if ((*rc = fit_depth_analyse(r, &f->own))) return NULL;
    f->own_set = 1;
    return &f->own;
}

void dcrit_notes_(Fig *f, const FitDepthReport *rep) {
    char few[512] = "";
    int nfew = 0;
    for (int k = 0; rep && k < rep->nwidths; k++) {
        const FitDcrit *dc = &rep->widths[k].dc;
        if (dc->kind == FIT_DCRIT_TOO_FEW) {
            size_t L = strlen(few);
            snprintf(few + L, sizeof few - L, "%s%g", nfew ? ", " : "", dc->width);
            nfew++;
        } else if (dc->kind != FIT_DCRIT_INTERIOR) {
            NOTE(f, "W = %g: %s", dc->width, dc->why);
        } else if (dc->verdict == FIT_UCURVE_WITHIN_NOISE) {
            char ut[320];
            NOTE(f, "W = %g: D_crit %.1f is not a U-curve, %s; left out of the fit across widths",
                 dc->width, dc->dcrit, fit_ucurve_text(dc, &rep->noise, ut, sizeof ut));
        }
    }
    if (rep && rep->nunknown)
        NOTE(f, "run-to-run noise unknown (one run per configuration): the %d interior "
                "minim%s not judged against it",
             rep->nunknown, rep->nunknown == 1 ? "um is" : "a are");
    if (nfew)
        NOTE(f, "%d width%s with fewer than 3 depths at one token count, so no D_crit: W = %s",
             nfew, nfew == 1 ? "" : "s", few);
    if (rep && rep->nno_tokens)
        NOTE(f, "%d run%s without a token count left out", rep->nno_tokens,
             rep->nno_tokens == 1 ? "" : "s");
}

static int cmp_dbl_(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double quantile_(double *v, int n, double q) {
    if (n < 1) return NAN;
    qsort(v, (size_t)n, sizeof *v, cmp_dbl_);
    double h = q * (n - 1);
    int i = (int)floor(h);
    return i + 1 < n ? v[i] + (h - i) * (v[i + 1] - v[i]) : v[n - 1];
}

int law_draws_(const Law *law, int max, const double **draws) {
    *draws = law && law->ndraws >= 20 ? law->draws : NULL;
    return *draws ? (law->ndraws < max ? law->ndraws : max) : 0;
}

int law_is_paper_(const Law *law) {
    Law *p = NULL;
    int same = 0;
    if (!law || law_load("depth-delusion", &p) != DW_OK) {
        dw_error_clear();
        return 0;
    }
    char a[96], b[96];
    law_form_text(&law->form, a, sizeof a), law_form_text(&p->form, b, sizeof b);
    same = !strcmp(a, b);
    for (int i = 0; same && i < p->form.np; i++)
        same = fabs(law->p[i] - p->p[i]) <= 1e-9 * fmax(1, fabs(p->p[i]));
    law_free(p);
    return same;
}

int law_misfit_(Fig *f, double *r2) {
    const DsRuns *r = f->s->runs;
    const Law *law = f->s->law;
    FitData d = {0};
    FitPrediction pr;
    *r2 = NAN;
    if (!r || !law || !r->has_loss || r->n < 2) return 0;
    int ok = plan_runs_fitdata(r, &law->conv, f->s->n_from_shape, &d) == DW_OK &&
             fit_predict(law, &d, &pr) == DW_OK;
    fit_data_free(&d);
    dw_error_clear();
    if (!ok || !isfinite(pr.info.r2)) return 0;
    *r2 = pr.info.r2;
    return pr.info.r2 < 0;
}

void misfit_note_(Fig *f, double r2, const char *where) {
    CAPTION(f,
            "Warning: the law fits the runs given with R² %.3g on their loss (below 0: worse "
            "than their mean), so %s.",
            r2, where);
}

void misfit_label_(Fig *f, double r2, const char *where) {
    /* between the title and the plot, where no key or data can cover it */
    gp_(f, "set tmargin 5\nset label 90 \"Warning: the law does not describe these runs (R^2 "
           "%.3g on their loss): %s\" at graph 0.5, graph 1.03 center front tc rgb '#b2182b' "
           "font ',11'\n", r2, where);
    f->title_up = 1;
    misfit_note_(f, r2, where);
}

void budget_range_(const PlotSpec *s, double *lo, double *hi) {
    *lo = s->c_lo > 0 ? s->c_lo : 1e18;
    *hi = s->c_hi > *lo ? s->c_hi : *lo * 1e6;
}

// ----------------------------------------------------------------------------
// entry point

int plot_make(PlotKind kind, const PlotSpec *spec, const char *image, PlotResult *res) {
    Fig f = {.kind = kind, .s = spec, .res = res};
    memset(res, 0, sizeof *res);
    if (kind < 0 || kind >= PLOT_NKINDS) return dw_error_set(DW_EINVAL, "unknown figure kind");
    const FigKind *fk = kind_(kind);
    int rc =
        plot_path_split_(image, f.dir, sizeof f.dir, f.stem, sizeof f.stem, f.ext, sizeof f.ext);
    if (rc) return rc;
    if (snprintf(res->image, sizeof res->image, "%s", image) >= (int)sizeof res->image ||
        snprintf(res->script, sizeof res->script, "%s/%s.gp", f.dir, f.stem) >=
            (int)sizeof res->script)
        return dw_error_set(DW_EINVAL, "%.64s...: path too long", image);
    /* no rows: say so, rather than what columns a figure would need */
    const DsRuns *r = spec->runs;
    int needs_runs = fk->runs == FIG_RUNS_ALWAYS || (fk->runs == FIG_RUNS_OR_LAW && !spec->law);
    if (needs_runs && r && r->n == 0)
        return dw_error_set(DW_EINVAL, "%s: %s has no runs to plot (%d row%s read%s)", fk->name,
                            r->path, r->nrows_file, r->nrows_file == 1 ? "" : "s",
                            r->nskipped_status ? ", all left out: status not \"ok\"" : "");
    struct stat st;
    if (stat(f.dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        rc = dw_error_set(DW_EIO, "%s: no such directory", f.dir);
        return rc;
    }
    rc = fk->draw(&f);
    if (f.own_set) fit_depth_report_free(&f.own);
    plot_buf_free_(&f.gp);
    free(f.px), free(f.py);
    return rc;
}
