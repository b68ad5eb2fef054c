/* plots/figures.c — the seven figures of plot.h: for each, the data files, the gnuplot
 * script and a caption with the numbers it shows.
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
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/dw.h"
#include "fit/persist.h"
#include "planner/count.h"
#include "planner/plan.h"
#include "plot_impl.h"

static const char *const kind_names_[PLOT_NKINDS] = {"depth",    "gradients", "tau",  "parity",
                                                     "frontier", "isoflop",   "dcrit"};

const char *plot_kind_name(PlotKind k) {
    return k >= 0 && k < PLOT_NKINDS ? kind_names_[k] : "unknown";
}

int plot_kind_parse(const char *name, PlotKind *k) {
    for (int i = 0; i < PLOT_NKINDS; i++)
        if (!strcmp(name, kind_names_[i])) {
            *k = (PlotKind)i;
            return DW_OK;
        }
    return dw_error_set(DW_ENOTFOUND,
                        "unknown figure '%s' (kinds: depth, gradients, tau, "
                        "parity, frontier, isoflop, dcrit)",
                        name);
}

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
    double *px, *py; /* points drawn, for placing the key where there are fewest */
    int np, cap;
} Fig;

/* Records a drawn point (data or a sample of a curve) for key_corner_. */
static void pt_(Fig *f, double x, double y) {
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
static const char *key_corner_(const Fig *f, double xlo, double xhi, double ylo, double yhi,
                               int logx, int logy, double wfrac, double hfrac) {
    static const char *const names[4] = {"top left", "top right", "bottom right", "bottom left"};
    int cnt[4] = {0};
    if (logx) xlo = log(xlo), xhi = log(xhi);
    if (logy) ylo = log(ylo), yhi = log(yhi);
    for (int i = 0; i < f->np; i++) {
        double x = logx ? log(f->px[i]) : f->px[i], y = logy ? log(f->py[i]) : f->py[i];
        double u = (x - xlo) / (xhi - xlo), v = (y - ylo) / (yhi - ylo);
        if (!isfinite(u) || !isfinite(v)) continue;
        int left = u <= wfrac, right = u >= 1 - wfrac, top = v >= 1 - hfrac, bot = v <= hfrac;
        cnt[0] += top && left, cnt[1] += top && right, cnt[2] += bot && right,
            cnt[3] += bot && left;
    }
    int best = 0;
    for (int k = 1; k < 4; k++)
        if (cnt[k] < cnt[best]) best = k;
    return names[best];
}

/* Appends to the caption or the notes (sentences separated by a space / by "; "). */
static void add_text_(char *dst, size_t n, const char *sep, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add_text_(char *dst, size_t n, const char *sep, const char *fmt, ...) {
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
#define CAPTION(f, ...) add_text_((f)->res->caption, sizeof(f)->res->caption, " ", __VA_ARGS__)
#define NOTE(f, ...)    add_text_((f)->res->notes, sizeof(f)->res->notes, "; ", __VA_ARGS__)

static void gp_(Fig *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void gp_(Fig *f, const char *fmt, ...) {
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    plot_buf_puts_(&f->gp, line);
}

/* Text for a gnuplot double-quoted string in enhanced mode (where a backslash is itself
 * escaped): "D_crit" → "D\\_crit". */
static const char *gp_dq_(const char *in, char *out, size_t n) {
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
static void item_(Fig *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void item_(Fig *f, const char *fmt, ...) {
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    plot_buf_puts_(&f->gp, f->nitems++ ? ", \\\n     " : "plot ");
    plot_buf_puts_(&f->gp, line);
}

static void plot_end_(Fig *f) {
    if (f->nitems) plot_buf_puts_(&f->gp, "\n");
    f->nitems = 0;
}

/* The script's header and terminal. `files` names the data files for the comment. */
static void fig_begin_(Fig *f, const char *title, int dw, int dh) {
    const PlotSpec *s = f->s;
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
        DWPLAN_VERSION, kind_names_[f->kind], f->stem, f->stem);
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
static void style_width_(Fig *f, int idx, double W) {
    gp_(f, "set style line %d lc rgb '%s' lw 2 pt 7 ps 1.1   # W = %g\n", idx, plot_width_color(W),
        W);
}

/* Writes a data file <stem>_<part>.dat and records its basename in *name. */
static int fig_data_(Fig *f, const char *part, const PlotBuf *d, char *name, size_t n) {
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
static int fig_finish_(Fig *f) {
    char warn[1024];
    gp_(f, "set output\n");
    int rc = plot_buf_write_(&f->gp, f->res->script);
    if (rc) return rc;
    f->res->written = 1;
    /* an image left from an earlier run must not pass for this one */
    if (unlink(f->res->image) != 0 && errno != ENOENT)
        return dw_error_set(DW_EIO, "%s: cannot replace: %s", f->res->image, strerror(errno));
    if ((rc = plot_gnuplot_run(f->res->script, warn, sizeof warn))) return rc;
    struct stat st;
    if (stat(f->res->image, &st) != 0 || st.st_size == 0)
        return dw_error_set(DW_EIO, "gnuplot ran on %s but wrote no %s", f->res->script,
                            f->res->image);
    if (warn[0]) NOTE(f, "gnuplot: %s", warn);
    f->res->rendered = 1;
    return DW_OK;
}

// ----------------------------------------------------------------------------
// shared numerics

/* N at width W as a line in depth, N(D) = a + b·D (every counting convention is affine in D).
 * From the law's conventions; or, when `r` is given, through the runs' own parameter counts at
 * that width (least squares over their depths, or the conventions' slope through the one depth
 * run), so that the law's curve is evaluated at the N the runs really had. */
static void n_line_(const Law *law, const PlotRuns *r, double W, double *a, double *b) {
    PlanShape s;
    plan_shape_at(law, 1, W, 0, &s);
    double n1 = plan_law_params(&law->conv, &s);
    plan_shape_at(law, 2, W, 0, &s);
    double n2 = plan_law_params(&law->conv, &s);
    *b = n2 - n1, *a = n1 - *b;
    if (!r || !r->has_params) return;
    double sd = 0, sn = 0, sdd = 0, sdn = 0, d0 = NAN;
    int m = 0, distinct = 0;
    for (int i = 0; i < r->n; i++) {
        if (r->width[i] != W) continue;
        if (m == 0) d0 = r->depth[i];
        distinct |= r->depth[i] != d0;
        sd += r->depth[i], sn += r->params[i], sdd += r->depth[i] * r->depth[i];
        sdn += r->depth[i] * r->params[i], m++;
    }
    if (m == 0) return;
    double slope = distinct ? (m * sdn - sd * sn) / (m * sdd - sd * sd) : NAN;
    if (slope > 0 && isfinite(slope)) *b = slope;
    *a = (sn - *b * sd) / m;
}

static double law_at_n_(const Law *law, double D, double W, double a, double b, double T) {
    LawX x = {D, W, a + b * D, T};
    return law_eval(law, &x);
}

/* The depth minimising the law at width W, tokens T, N(D) = a + b·D: a scan of ln D over
 * [0, ln 1e4] then golden section. Returns NaN when the minimum is at an end (no interior
 * minimum). */
static double law_min_depth_(const Law *law, double W, double a, double b, double T) {
    const double lo = 0, hi = log(1e4);
    const int ng = 200;
    double best = INFINITY, bx = NAN;
    int bj = -1;
    for (int j = 0; j <= ng; j++) {
        double x = lo + (hi - lo) * j / ng, L = law_at_n_(law, exp(x), W, a, b, T);
        if (isfinite(L) && L < best) best = L, bx = x, bj = j;
    }
    if (bj <= 0 || bj >= ng) return NAN;
    double u = bx - (hi - lo) / ng, v = bx + (hi - lo) / ng;
    const double g = 0.6180339887498949;
    for (int it = 0; it < 100 && v - u > 1e-10; it++) {
        double x1 = v - g * (v - u), x2 = u + g * (v - u);
        if (law_at_n_(law, exp(x1), W, a, b, T) < law_at_n_(law, exp(x2), W, a, b, T))
            v = x2;
        else
            u = x1;
    }
    return exp(0.5 * (u + v));
}

static const char *loss_label_(const PlotRuns *r, char *buf, size_t n) {
    char e[128];
    if (!r || !r->col_loss[0])
        snprintf(buf, n, "loss (nats/token)");
    else if (!strcmp(r->col_loss, "val_loss") || !strcmp(r->col_loss, "eval_loss"))
        snprintf(buf, n, "validation loss (nats/token)");
    else if (!strcmp(r->col_loss, "loss") || !strcmp(r->col_loss, "L"))
        snprintf(buf, n, "loss (nats/token)");
    else
        snprintf(buf, n, "loss, column %s (nats/token)", plot_gp_esc_(r->col_loss, e, sizeof e));
    return buf;
}

static const char *law_label_(const Law *law, char *buf, size_t n) {
    char form[96];
    law_form_text(&law->form, form, sizeof form);
    if (snprintf(buf, n, "%s (%s)", law->name[0] ? law->name : "law", form) >= (int)n && n > 4)
        strcpy(buf + n - 4, "...");
    return buf;
}

/* Per-width D_crit analysis of the runs (fit_dcrit_all). *dc is a new array of *nw entries,
 * or NULL with *nw = 0 when the runs cannot give one (no loss/depth/width or no rows). */
static int runs_dcrit_(const PlotRuns *r, FitDcrit **dc, int *nw) {
    *dc = NULL;
    *nw = 0;
    if (!r || !r->has_depth || !r->has_width || !r->has_loss || r->n < 1) return DW_OK;
    int use_tok = r->has_tokens;
    for (int i = 0; i < r->n && use_tok; i++) use_tok = isfinite(r->tokens[i]);
    if (!(*dc = calloc((size_t)r->n, sizeof **dc))) return dw_error_set(DW_ENOMEM, "out of memory");
    int rc = fit_dcrit_all(r->depth, r->width, use_tok ? r->tokens : NULL, r->loss, r->n, *dc, nw);
    if (rc) {
        free(*dc);
        *dc = NULL;
        *nw = 0;
    }
    return rc;
}

/* Notes for the widths without an interior minimum: one line for those with too few depths
 * (listing them), one per width whose lowest loss is at an end. */
static void dcrit_notes_(Fig *f, const FitDcrit *dc, int nw) {
    char few[512] = "";
    int nfew = 0;
    for (int k = 0; k < nw; k++) {
        if (dc[k].kind == FIT_DCRIT_TOO_FEW) {
            size_t L = strlen(few);
            snprintf(few + L, sizeof few - L, "%s%g", nfew ? ", " : "", dc[k].width);
            nfew++;
        } else if (dc[k].kind != FIT_DCRIT_INTERIOR) {
            NOTE(f, "W = %g: %s", dc[k].width, dc[k].why);
        }
    }
    if (nfew)
        NOTE(f, "%d width%s with fewer than 3 depths at one token count, so no D_crit: W = %s",
             nfew, nfew == 1 ? "" : "s", few);
}

/* Rows of width w at the reference token count (within 1%, fit_dcrit_all's rule). */
static int at_ref_(const PlotRuns *r, int i, double w, double tref) {
    if (r->width[i] != w) return 0;
    if (!isfinite(tref) || !isfinite(r->tokens[i])) return 1;
    return fabs(r->tokens[i] - tref) <= 0.01 * fmax(r->tokens[i], tref);
}

// ----------------------------------------------------------------------------
// depth: loss vs depth at each width

static int fig_depth_(Fig *f) {
    const PlotSpec *s = f->s;
    const PlotRuns *r = s->runs;
    const Law *law = s->law;
    static const double def_w[] = {256, 512, 1024, 2048, 4096};
    FitDcrit *dc = NULL;
    int nw = 0, rc;
    PlotBuf pts = {0}, lc = {0}, dcr = {0}, ldc = {0};
    char name[4][160], b1[64], lbl[160], e[256];
    int has_runs = r && r->has_depth && r->has_width && r->has_loss && r->n > 0;

    if (!has_runs && !law)
        return dw_error_set(DW_EINVAL, "depth: needs runs with depth, width and loss columns, "
                                       "or a law (--law)");
    if (has_runs && (rc = runs_dcrit_(r, &dc, &nw))) return rc;
    if (has_runs) {
        int best = 0;
        for (int k = 0; k < nw; k++) best = dc[k].ndepths > best ? dc[k].ndepths : best;
        if (best < 2 && !law) {
            free(dc);
            return dw_error_set(DW_EINVAL,
                                "depth: %s: %d run%s and no width with two depths: "
                                "a loss-vs-depth curve needs at least two depths at one width "
                                "(or a law, --law)",
                                r->path, r->n, r->n == 1 ? "" : "s");
        }
    }
    /* widths and their token counts */
    int n = has_runs ? nw : s->nwidths > 0 ? s->nwidths : 5;
    double *W = calloc((size_t)n + 1, sizeof *W), *T = calloc((size_t)n + 1, sizeof *T);
    if (!W || !T) {
        rc = dw_error_set(DW_ENOMEM, "out of memory");
        goto out;
    }
    for (int k = 0; k < n; k++) {
        W[k] = has_runs ? dc[k].width : s->nwidths > 0 ? s->widths[k] : def_w[k];
        T[k] = has_runs && isfinite(dc[k].tokens) ? dc[k].tokens : s->tokens > 0 ? s->tokens : 2e10;
    }
    double dlo = 1, dhi = 64;
    if (has_runs) {
        dlo = INFINITY, dhi = 0;
        for (int i = 0; i < r->n; i++) dlo = fmin(dlo, r->depth[i]), dhi = fmax(dhi, r->depth[i]);
    }
    /* at least an octave either side of a single depth */
    if (dhi < 2 * dlo) {
        double mid = sqrt(dlo * dhi);
        dlo = fmin(dlo, mid / 2), dhi = fmax(dhi, mid * 2);
    }
    /* law curves span the runs' depths (a little beyond) and the law's own minimum */
    double clo = fmax(1, dlo / 1.4), chi = dhi * 1.4;
    int ldk[64] = {0}, from_runs = has_runs && r->has_params && !s->n_from_shape;
    double ldc_d[64], ldc_l[64], na[64], nb[64];
    for (int k = 0; law && k < n && k < 64; k++) {
        n_line_(law, from_runs ? r : NULL, W[k], &na[k], &nb[k]);
        double d =
            law_form_has_shape(&law->form) ? law_min_depth_(law, W[k], na[k], nb[k], T[k]) : NAN;
        if (isfinite(d) && d >= 1) {
            ldk[k] = 1, ldc_d[k] = d, ldc_l[k] = law_at_n_(law, d, W[k], na[k], nb[k], T[k]);
            /* the law's minimum is in view, with room either side */
            clo = fmin(clo, fmax(1, d / (has_runs ? 1.6 : 4))),
            chi = fmax(chi, d * (has_runs ? 1.6 : 4));
        }
    }

    fig_begin_(f, "Loss vs depth at each width", 900, 600);
    plot_buf_printf_(&pts,
                     "# %s_runs.dat — runs as points: one block (gnuplot index) per width\n"
                     "# columns: depth loss tokens source_line\n",
                     f->stem);
    plot_buf_printf_(&lc,
                     "# %s_law.dat — law curves: one block per width at the width's token "
                     "count, N = a + b·depth (%s)\n# columns: depth loss width tokens params\n",
                     f->stem,
                     from_runs ? "through the runs' parameter counts"
                               : "the law's counting conventions");
    plot_buf_printf_(&dcr,
                     "# %s_dcrit.dat — D_crit from the runs: vertex of the parabola in "
                     "ln D through the lowest loss and its neighbours; one block per width "
                     "that has one\n# columns: dcrit loss width depth_lo depth_hi\n",
                     f->stem);
    plot_buf_printf_(&ldc,
                     "# %s_lawdcrit.dat — the law's loss minimum over depth at each "
                     "width (D_crit of the law); one block per width that has one\n"
                     "# columns: dcrit loss width tokens\n",
                     f->stem);
    int npts = 0, ndc = 0, nldc = 0, ninterior = 0, ndropped = 0;
    int pts_idx[64], dc_idx[64], ldc_idx[64];
    for (int k = 0; k < n && k < 64; k++) {
        pts_idx[k] = dc_idx[k] = ldc_idx[k] = -1;
        if (has_runs) {
            plot_buf_printf_(&pts, "# W = %g, tokens %.10g\n", W[k], dc[k].tokens);
            for (int i = 0; i < r->n; i++)
                if (at_ref_(r, i, W[k], dc[k].tokens))
                    plot_buf_printf_(&pts, "%.10g %.10g %.10g %d\n", r->depth[i], r->loss[i],
                                     r->tokens[i], r->line[i]);
            plot_buf_puts_(&pts, "\n\n");
            pts_idx[k] = npts++;
            if (dc[k].kind == FIT_DCRIT_INTERIOR) {
                plot_buf_printf_(&dcr, "# W = %g\n%.10g %.10g %g %g %g\n\n\n", W[k], dc[k].dcrit,
                                 dc[k].loss_at_min, W[k], dc[k].lo, dc[k].hi);
                dc_idx[k] = ndc++;
                ninterior++;
            }
            ndropped += dc[k].ndropped;
        }
        if (law) {
            plot_buf_printf_(&lc, "# W = %g, tokens %.10g\n", W[k], T[k]);
            for (int j = 0; j <= 120; j++) {
                double D = exp(log(clo) + (log(chi) - log(clo)) * j / 120.0);
                double L = law_at_n_(law, D, W[k], na[k], nb[k], T[k]);
                if (isfinite(L))
                    plot_buf_printf_(&lc, "%.10g %.10g %g %.10g %.10g\n", D, L, W[k], T[k],
                                     na[k] + nb[k] * D);
            }
            plot_buf_puts_(&lc, "\n\n");
            if (ldk[k]) {
                plot_buf_printf_(&ldc, "# W = %g\n%.10g %.10g %g %.10g\n\n\n", W[k], ldc_d[k],
                                 ldc_l[k], W[k], T[k]);
                ldc_idx[k] = nldc++;
            }
        }
    }
    if ((has_runs && (rc = fig_data_(f, "runs", &pts, name[0], sizeof name[0]))) ||
        (law && (rc = fig_data_(f, "law", &lc, name[1], sizeof name[1]))) ||
        (ndc && (rc = fig_data_(f, "dcrit", &dcr, name[2], sizeof name[2]))) ||
        (nldc && (rc = fig_data_(f, "lawdcrit", &ldc, name[3], sizeof name[3]))))
        goto out;

    for (int k = 0; k < n && k < 64; k++) style_width_(f, k + 1, W[k]);
    /* When the law misses the runs by much more than their own spread, its curves would squash
     * the runs into a flat band: the y range follows the runs and the caption gives the
     * law's offset (the parity figure shows it in full). */
    double off = 0, ylo = INFINITY, yhi = -INFINITY;
    int law_off = 0, noff = 0;
    if (has_runs && law) {
        for (int k = 0; k < n && k < 64; k++)
            for (int i = 0; i < r->n; i++)
                if (at_ref_(r, i, W[k], dc[k].tokens)) {
                    double L = law_at_n_(law, r->depth[i], W[k], na[k], nb[k], T[k]);
                    ylo = fmin(ylo, r->loss[i]), yhi = fmax(yhi, r->loss[i]);
                    if (isfinite(L)) off += L - r->loss[i], noff++;
                }
        off = noff ? off / noff : 0;
        double span = fmax(yhi - ylo, 0.05 * fabs(yhi));
        law_off = fabs(off) > 2 * span;
        if (law_off) gp_(f, "set yrange [%.6g:%.6g]\n", ylo - 0.15 * span, yhi + 0.15 * span);
    }
    gp_(f, "set logscale x 2\nset format x '%%g'\nset xrange [%g:%g]\n",
        law && !law_off ? clo : fmax(0.5, dlo / 1.25), law && !law_off ? chi : dhi * 1.25);
    if (has_runs) {
        /* ticks at the depths that were run too, when there are few enough to label */
        double ud[16];
        int nu = 0;
        for (int i = 0; i < r->n && nu <= 14; i++) {
            int seen = 0;
            for (int q = 0; q < nu; q++) seen |= ud[q] == r->depth[i];
            if (!seen && nu < 16) ud[nu++] = r->depth[i];
        }
        if (nu <= 14) {
            gp_(f, "set xtics add (");
            for (int q = 0; q < nu; q++) gp_(f, "%s%g", q ? ", " : "", ud[q]);
            gp_(f, ")\n");
        }
    }
    gp_(f, "set xlabel 'depth D (transformer blocks, log scale)'\nset ylabel '%s'\n",
        loss_label_(r, lbl, sizeof lbl));
    if (has_runs && isfinite(T[0])) {
        int same = 1;
        for (int k = 1; k < n; k++) same = same && T[k] == T[0];
        plot_fmt_count_(T[0], b1, sizeof b1);
        gp_(f, "set title 'Loss vs depth at each width%s%s%s'\n", same ? " (" : "", same ? b1 : "",
            same ? " tokens)" : "");
    } else if (!has_runs) {
        plot_fmt_count_(T[0], b1, sizeof b1);
        gp_(f, "set title 'Loss vs depth at each width: %s at %s tokens'\n",
            plot_gp_esc_(law_label_(law, lbl, sizeof lbl), e, sizeof e), b1);
    } else {
        gp_(f, "set title 'Loss vs depth at each width'\n");
    }
    gp_(f, "set key outside right top vertical Left reverse\n");
    for (int k = 0; k < n && k < 64; k++) {
        char wl[32];
        snprintf(wl, sizeof wl, "W = %g", W[k]);
        if (has_runs)
            /* runs joined by a thin line (thinner still when the law's curves are drawn) */
            item_(f, "'%s' index %d using 1:2 with linespoints ls %d lw %s title '%s'", name[0],
                  pts_idx[k], k + 1, law && !law_off ? "0.6 dt 2" : "1.5", wl);
        if (law)
            item_(f, "'%s' index %d using 1:2 with lines ls %d lw 1.6 title '%s'", name[1], k,
                  k + 1, has_runs ? "" : wl);
        if (dc_idx[k] >= 0)
            item_(f, "'%s' index %d using 1:2 with points ls %d pt 13 ps 2.2 notitle", name[2],
                  dc_idx[k], k + 1);
        if (ldc_idx[k] >= 0)
            item_(f, "'%s' index %d using 1:2 with points ls %d pt 10 ps 1.8 notitle", name[3],
                  ldc_idx[k], k + 1);
    }
    if (law && has_runs)
        item_(f, "keyentry with lines lc rgb '#444444' lw 1.6 title 'law: %s%s'",
              plot_gp_esc_(law_label_(law, lbl, sizeof lbl), e, sizeof e),
              law_off ? " (off scale)" : "");
    if (ndc) item_(f, "keyentry with points lc rgb '#444444' pt 13 ps 2 title 'D_{crit} (runs)'");
    if (nldc && !law_off)
        item_(f, "keyentry with points lc rgb '#444444' pt 10 ps 1.6 title 'D_{crit} (law)'");
    plot_end_(f);

    /* caption */
    if (has_runs) {
        int nrows = 0;
        for (int k = 0; k < n; k++) nrows += dc[k].nruns;
        CAPTION(f, "Points: %d run%s at %d width%s (%s).", nrows, nrows == 1 ? "" : "s", n,
                n == 1 ? "" : "s", r->col_loss);
    }
    if (law) {
        plot_fmt_count_(T[0], b1, sizeof b1);
        CAPTION(f, "Lines: the law %s at each width's token count, with N %s.",
                law_label_(law, lbl, sizeof lbl),
                from_runs ? "a line in depth through the runs' own parameter counts at that "
                            "width (the N the law was evaluated at in the parity figure)"
                          : "counted from D and W under the law's conventions");
    }
    if (has_runs) {
        if (ninterior) {
            CAPTION(f,
                    "Large diamonds: D_crit from the runs (vertex of the parabola in ln D "
                    "through the lowest loss and its neighbours) at %d of %d widths:",
                    ninterior, n);
            for (int k = 0; k < n; k++)
                if (dc[k].kind == FIT_DCRIT_INTERIOR)
                    CAPTION(f, "W = %g: %.1f;", W[k], dc[k].dcrit);
            size_t L = strlen(f->res->caption);
            if (L && f->res->caption[L - 1] == ';') f->res->caption[L - 1] = '.';
        } else {
            CAPTION(f, "No width has an interior loss minimum (no U-curve in the runs).");
        }
        if (ndropped)
            NOTE(f,
                 "%d run%s at other token counts not drawn (one token count per width: the "
                 "one with the most runs)",
                 ndropped, ndropped == 1 ? "" : "s");
        dcrit_notes_(f, dc, n);
    }
    if (nldc && !law_off) CAPTION(f, "Open triangles: the law's loss minimum over depth.");
    if (law_off)
        CAPTION(f,
                "The law's curves lie %s the runs, by %.3g nats on average at the runs' "
                "depths, and are off this scale (the y range follows the runs; the parity figure "
                "shows the law's predictions in full).",
                off > 0 ? "above" : "below", fabs(off));
    rc = fig_finish_(f);
out:
    plot_buf_free_(&pts), plot_buf_free_(&lc), plot_buf_free_(&dcr), plot_buf_free_(&ldc);
    free(dc), free(W), free(T);
    return rc;
}

// ----------------------------------------------------------------------------
// gradients: per-layer gradient norm vs layer, one run per width

static int fig_gradients_(Fig *f) {
    const PlotSpec *s = f->s;
    const PlotRuns *r = s->runs;
    PlotBuf nb = {0}, fb = {0};
    char name[2][160], b1[64];
    int rc, nw, *pick = NULL;
    double *W = NULL;
    FitTauRun *tr = NULL;

    int ng = 0;
    for (int i = 0; r && i < r->n; i++) ng += r->ngrad[i] >= 2;
    if (!r || !r->has_grad || ng == 0)
        return dw_error_set(DW_EINVAL, "gradients: %s",
                            !r             ? "needs run records with grad_norms"
                            : !r->has_grad ? "the runs have no grad_norms column"
                                           : "no run has gradient norms at two or more layers");
    if (!r->has_width) return dw_error_set(DW_EINVAL, "gradients: the runs have no width column");
    W = calloc((size_t)r->n, sizeof *W), pick = calloc((size_t)r->n, sizeof *pick);
    tr = calloc((size_t)r->n, sizeof *tr);
    if (!W || !pick || !tr) {
        rc = dw_error_set(DW_ENOMEM, "out of memory");
        goto out;
    }
    /* per width: the run at --depth, or the one with the most layers (the longest decay) */
    nw = plot_runs_widths(r, W);
    int m = 0;
    for (int k = 0; k < nw; k++) {
        int best = -1;
        for (int i = 0; i < r->n; i++) {
            if (r->width[i] != W[k] || r->ngrad[i] < 2) continue;
            if (s->grad_depth > 0 && r->depth[i] != s->grad_depth) continue;
            if (best < 0 || r->ngrad[i] > r->ngrad[best]) best = i;
        }
        if (best < 0) {
            if (s->grad_depth > 0)
                NOTE(f, "W = %g: no run of depth %d with gradient norms", W[k], s->grad_depth);
            continue;
        }
        W[m] = W[k], pick[m] = best, m++;
    }
    if (m == 0) {
        rc = dw_error_set(DW_EINVAL, "gradients: no run of depth %d has gradient norms",
                          s->grad_depth);
        goto out;
    }
    int maxl = 0;
    for (int k = 0; k < m; k++) maxl = r->ngrad[pick[k]] > maxl ? r->ngrad[pick[k]] : maxl;

    fig_begin_(f, "Per-layer gradient norms", 900, 600);
    plot_buf_printf_(&nb,
                     "# %s_norms.dat — gradient norm per layer (layer 0 = input side), one "
                     "block per width: the run shown\n# columns: layer grad_norm depth width "
                     "source_line\n",
                     f->stem);
    plot_buf_printf_(&fb,
                     "# %s_fit.dat — fitted decay ln g = a + s·layer (tau = 1/s layers), "
                     "one block per width with a fit\n# columns: layer fitted_norm\n",
                     f->stem);
    int fit_idx[256], nfit = 0;
    for (int k = 0; k < m && k < 256; k++) {
        int i = pick[k];
        plot_buf_printf_(&nb, "# W = %g, depth %g, line %d\n", W[k], r->depth[i], r->line[i]);
        for (int l = 0; l < r->ngrad[i]; l++) {
            plot_buf_printf_(&nb, "%d %.10g %g %g %d\n", l, r->grad[i][l], r->depth[i], W[k],
                             r->line[i]);
            pt_(f, l, r->grad[i][l]);
        }
        plot_buf_puts_(&nb, "\n\n");
        fit_idx[k] = -1;
        memset(&tr[k], 0, sizeof tr[k]);
        if (r->ngrad[i] >= 3 && fit_tau_run(r->grad[i], r->ngrad[i], &tr[k]) == DW_OK && tr[k].ok) {
            plot_buf_printf_(&fb, "# W = %g: tau = %.6g layers\n", W[k], tr[k].tau);
            for (int j = 0; j <= 40; j++) {
                double l = (r->ngrad[i] - 1) * j / 40.0;
                plot_buf_printf_(&fb, "%.6g %.10g\n", l, exp(tr[k].intercept + tr[k].slope * l));
            }
            plot_buf_puts_(&fb, "\n\n");
            fit_idx[k] = nfit++;
        } else {
            NOTE(f, "W = %g (depth %g): no tau: %s", W[k], r->depth[i],
                 r->ngrad[i] < 3 ? "needs >= 3 layers"
                 : tr[k].why[0]  ? tr[k].why
                                 : dw_error_get());
        }
    }
    dw_error_clear();
    if ((rc = fig_data_(f, "norms", &nb, name[0], sizeof name[0])) ||
        (nfit && (rc = fig_data_(f, "fit", &fb, name[1], sizeof name[1]))))
        goto out;
    for (int k = 0; k < m && k < 256; k++) style_width_(f, k + 1, W[k]);
    gp_(f, "set logscale y\nset format y '10^{%%L}'\n");
    gp_(f, "set xlabel 'layer ℓ (0 = input side, %d = output side)'\n", maxl - 1);
    gp_(f, "set ylabel 'gradient norm ‖∇_ℓ L‖ of layer ℓ (log scale)'\n");
    gp_(f, "set xrange [-0.5:%g]\n", maxl - 0.5);
    gp_(f, "set title 'Gradient norm per layer: %s'\n",
        s->grad_depth > 0 ? "runs of one depth per width" : "the deepest run of each width");
    double glo = INFINITY, ghi = 0;
    for (int q = 0; q < f->np; q++) glo = fmin(glo, f->py[q]), ghi = fmax(ghi, f->py[q]);
    glo = pow(10, floor(log10(glo))), ghi = pow(10, ceil(log10(ghi)));
    gp_(f, "set yrange [%g:%g]\n", glo, ghi);
    gp_(f, "set key inside %s Left reverse\n",
        key_corner_(f, -0.5, maxl - 0.5, glo, ghi, 0, 1, 0.5, 0.35));
    for (int k = 0; k < m && k < 256; k++) {
        int i = pick[k];
        char t[160];
        if (fit_idx[k] >= 0)
            snprintf(t, sizeof t, "W = %g, D = %g: τ = %.3g (R^2 %.3f)", W[k], r->depth[i],
                     tr[k].tau, tr[k].r2);
        else
            snprintf(t, sizeof t, "W = %g, D = %g: no τ (%s)", W[k], r->depth[i],
                     r->ngrad[i] < 3 ? "< 3 layers" : "no decay toward the input");
        /* without a fit, a thin line joins the points so that the trend still reads */
        item_(f, "'%s' index %d using 1:2 with %s ls %d ps 0.8 title '%s'", name[0], k,
              fit_idx[k] >= 0 ? "points" : "linespoints lw 0.8", k + 1, t);
        if (fit_idx[k] >= 0)
            item_(f, "'%s' index %d using 1:2 with lines ls %d lw 1.5 notitle", name[1], fit_idx[k],
                  k + 1);
    }
    if (nfit)
        item_(f, "keyentry with lines lc rgb '#444444' lw 1.5 title 'lines: fit ln g = a + ℓ/τ'");
    plot_end_(f);
    CAPTION(
        f,
        "Gradient norm at each layer (log scale; layer 0 at the input) of %s, one line "
        "per width (points); lines: the least-squares fit ln g_ℓ = a + ℓ/τ, τ in the legend (in "
        "layers: the norm falls by e every τ layers toward the input).",
        s->grad_depth > 0 ? "the runs of the chosen depth" : "the deepest run at each width");
    for (int k = 0; k < m; k++)
        if (fit_idx[k] >= 0) {
            plot_fmt_pm_(tr[k].tau, tr[k].tau_se, b1, sizeof b1);
            CAPTION(f, "W = %g: τ = %s;", W[k], b1);
        }
    size_t L = strlen(f->res->caption);
    if (L && f->res->caption[L - 1] == ';') f->res->caption[L - 1] = '.';
    rc = fig_finish_(f);
out:
    plot_buf_free_(&nb), plot_buf_free_(&fb);
    free(W), free(pick), free(tr);
    return rc;
}

// ----------------------------------------------------------------------------
// tau: persistence length vs width

static int fig_tau_(Fig *f) {
    const PlotSpec *s = f->s;
    const PlotRuns *r = s->runs;
    PlotBuf pb = {0}, fb = {0};
    char name[2][160], b1[64], b2[64], b3[64];
    int rc, nw;
    double *W = NULL, *tau = NULL;
    FitTauRun *tr = NULL;
    if (!r || !r->has_grad || !r->has_width)
        return dw_error_set(DW_EINVAL, "tau: %s",
                            !r             ? "needs run records with grad_norms"
                            : !r->has_grad ? "the runs have no grad_norms column"
                                           : "the runs have no width column");
    W = calloc((size_t)r->n + 1, sizeof *W), tau = calloc((size_t)r->n + 1, sizeof *tau);
    tr = calloc((size_t)r->n + 1, sizeof *tr);
    if (!W || !tau || !tr) {
        rc = dw_error_set(DW_ENOMEM, "out of memory");
        goto out;
    }
    int nt = 0, nfew = 0, nnodecay = 0;
    for (int i = 0; i < r->n; i++) {
        tau[i] = NAN;
        if (r->ngrad[i] < 3) {
            nfew += r->ngrad[i] > 0;
            continue;
        }
        if (fit_tau_run(r->grad[i], r->ngrad[i], &tr[i]) == DW_OK && tr[i].ok)
            tau[i] = tr[i].tau, nt++;
        else
            nnodecay++;
    }
    dw_error_clear();
    if (nt < 2) {
        rc = dw_error_set(DW_EINVAL,
                          "tau: %d run%s with a persistence length (runs need >= 3 "
                          "layers of gradient norms that decay toward the input; %d too shallow, "
                          "%d without decay): a plot of tau vs W needs at least two",
                          nt, nt == 1 ? "" : "s", nfew, nnodecay);
        goto out;
    }
    FitTauWidth tw = {0};
    int tw_rc = fit_tau_width(r->width, tau, r->n, &tw);
    if (tw_rc) NOTE(f, "no fit of tau(W): %s", dw_error_get());
    dw_error_clear();
    nw = plot_runs_widths(r, W);
    double wlo = W[0], whi = W[nw - 1];

    fig_begin_(f, "Gradient persistence length vs width", 800, 600);
    plot_buf_printf_(&pb,
                     "# %s_runs.dat — tau per run (least squares of ln grad_norm on "
                     "layer), one block per width\n# columns: width tau tau_se depth source_line\n",
                     f->stem);
    int idx[512], np = 0;
    for (int k = 0; k < nw && k < 512; k++) {
        int cnt = 0;
        for (int i = 0; i < r->n; i++)
            if (r->width[i] == W[k] && isfinite(tau[i])) {
                if (!cnt) plot_buf_printf_(&pb, "# W = %g\n", W[k]);
                /* an error bar reaching zero cannot be drawn on a log axis: clip it */
                double se = isfinite(tr[i].tau_se) ? fmin(tr[i].tau_se, 0.9 * tau[i]) : 0;
                plot_buf_printf_(&pb, "%g %.10g %.10g %g %d\n", W[k], tau[i], se, r->depth[i],
                                 r->line[i]);
                pt_(f, W[k], tau[i] + se), pt_(f, W[k], tau[i] - se);
                cnt++;
            }
        idx[k] = -1;
        if (cnt) {
            plot_buf_puts_(&pb, "\n\n");
            idx[k] = np++;
        }
    }
    if ((rc = fig_data_(f, "runs", &pb, name[0], sizeof name[0]))) goto out;
    double lo = wlo / 1.25, hi = whi * 1.25;
    if (tw_rc == DW_OK) {
        /* the paper's slope, drawn through the power fit at the geometric middle width */
        /* shifted down by a quarter so that it does not hide under the fit it resembles */
        double wm = sqrt(wlo * whi), tm = 0.75 * tw.t0 * pow(wm, tw.beta);
        plot_buf_printf_(
            &fb,
            "# %s_fit.dat — fits of tau(W) across runs\n# power: tau = t0·W^beta "
            "(t0 = %.6g, beta = %.6g, R² %.4f on ln tau)\n# log: tau = a + b·ln W "
            "(a = %.6g, b = %.6g, R² %.4f on tau)\n# paper: slope %.2f through 0.75 x the "
            "power fit at W = %.6g (shifted down to stay visible)\n# columns: width tau_power "
            "tau_log tau_paper_slope\n",
            f->stem, tw.t0, tw.beta, tw.r2_power, tw.a, tw.b, tw.r2_log, PLOT_PAPER_TAU_BETA, wm);
        for (int j = 0; j <= 100; j++) {
            double w = exp(log(lo) + (log(hi) - log(lo)) * j / 100.0);
            double tl = tw.a + tw.b * log(w);
            plot_buf_printf_(&fb, "%.8g %.8g ", w, tw.t0 * pow(w, tw.beta));
            if (tl > 0)
                plot_buf_printf_(&fb, "%.8g", tl);
            else
                plot_buf_puts_(&fb, "NaN");
            plot_buf_printf_(&fb, " %.8g\n", tm * pow(w / wm, PLOT_PAPER_TAU_BETA));
            if (j % 5 == 0) {
                pt_(f, w, tw.t0 * pow(w, tw.beta)),
                    pt_(f, w, tm * pow(w / wm, PLOT_PAPER_TAU_BETA));
                if (tl > 0) pt_(f, w, tl);
            }
        }
        if ((rc = fig_data_(f, "fit", &fb, name[1], sizeof name[1]))) goto out;
    }
    for (int k = 0; k < nw && k < 512; k++) style_width_(f, k + 1, W[k]);
    gp_(f, "set logscale xy 2\nset format x '%%g'\nset format y '%%g'\n");
    gp_(f, "set xrange [%g:%g]\n", lo, hi);
    gp_(f, "set xlabel 'width W (model dimension, log scale)'\n"
           "set ylabel 'persistence length τ (layers, log scale)'\n");
    gp_(f, "set title 'Gradient persistence length τ vs width'\n");
    double tlo = INFINITY, thi = 0;
    for (int q = 0; q < f->np; q++) tlo = fmin(tlo, f->py[q]), thi = fmax(thi, f->py[q]);
    /* an octave of headroom below the data: room for the key without covering the lines */
    tlo = pow(2, floor(log2(tlo)) - 1), thi = pow(2, ceil(log2(thi)));
    gp_(f, "set yrange [%g:%g]\n", tlo, thi);
    gp_(f, "set key %s Left reverse\n", key_corner_(f, lo, hi, tlo, thi, 1, 1, 0.55, 0.4));
    for (int k = 0; k < nw && k < 512; k++)
        if (idx[k] >= 0)
            item_(f, "'%s' index %d using 1:2:3 with yerrorbars ls %d title 'W = %g'", name[0],
                  idx[k], k + 1, W[k]);
    if (tw_rc == DW_OK) {
        plot_fmt_pm_(tw.beta, tw.beta_se, b1, sizeof b1);
        item_(f,
              "'%s' using 1:2 with lines lc rgb '#222222' lw 2 title 'τ = %.3g·W^{%s}, R^2 %.3f'",
              name[1], tw.t0, b1, tw.r2_power);
        item_(f,
              "'%s' using 1:3 with lines lc rgb '#222222' lw 2 dt 2 title 'τ = %.3g + %.3g·ln W, "
              "R^2 %.3f'",
              name[1], tw.a, tw.b, tw.r2_log);
        item_(f,
              "'%s' using 1:4 with lines lc rgb '#b2182b' lw 1.5 dt 3 title 'paper slope: τ ∝ "
              "W^{%.2f} (shifted ×0.75 to be seen)'",
              name[1], PLOT_PAPER_TAU_BETA);
    }
    plot_end_(f);
    CAPTION(f,
            "Persistence length τ of each run (points with ±1 SE; τ = 1/slope of ln "
            "gradient norm on layer) against width, log-log, %d runs at %d widths.",
            nt, np);
    if (tw_rc == DW_OK) {
        plot_fmt_pm_(tw.a, tw.a_se, b2, sizeof b2);
        plot_fmt_pm_(tw.b, tw.b_se, b3, sizeof b3);
        CAPTION(f,
                "Solid: τ = t0·W^β with β = %s (R² %.3f on ln τ, %.3f on τ); dashed: τ = a + "
                "b·ln W with a = %s, b = %s (R² %.3f on τ); dotted red: the paper's slope %.2f, "
                "drawn 25%% below the fit so that both stay visible (the paper reports R² %.2f for "
                "the power law vs %.2f for the log form).",
                b1, tw.r2_power, tw.r2_power_tau, b2, b3, tw.r2_log, PLOT_PAPER_TAU_BETA,
                PLOT_PAPER_TAU_R2_POWER, PLOT_PAPER_TAU_R2_LOG);
    }
    if (nfew) NOTE(f, "%d run%s with fewer than 3 layers left out", nfew, nfew == 1 ? "" : "s");
    if (nnodecay)
        NOTE(f, "%d run%s without decay toward the input left out", nnodecay,
             nnodecay == 1 ? "" : "s");
    rc = fig_finish_(f);
out:
    plot_buf_free_(&pb), plot_buf_free_(&fb);
    free(W), free(tau), free(tr);
    return rc;
}

// ----------------------------------------------------------------------------
// parity: predicted vs observed loss, one panel per model

static int fig_parity_(Fig *f) {
    const PlotSpec *s = f->s;
    const PlotRuns *r = s->runs;
    PlotModel models[9];
    int nm = 0, rc = DW_OK;
    PlotBuf db = {0};
    char name[9][160], lbl[160], e[320];
    double *W = NULL;
    FitData d[9];
    LawFitInfo info[9];
    memset(d, 0, sizeof d);
    if (!r || !r->has_loss || r->n < 2)
        return dw_error_set(DW_EINVAL, "parity: needs at least two runs with a loss%s",
                            r && r->has_loss ? "" : " column");
    if (s->law) {
        models[nm] = (PlotModel){.law = s->law, .n_from_shape = s->n_from_shape};
        if (snprintf(models[nm].label, sizeof models[nm].label, "law: %s",
                     law_label_(s->law, lbl, sizeof lbl)) >= (int)sizeof models[nm].label)
            strcpy(models[nm].label + sizeof models[nm].label - 4, "...");
        nm++;
    }
    for (int k = 0; k < s->nmodels && nm < 9; k++) models[nm++] = s->models[k];
    if (nm == 0)
        return dw_error_set(DW_EINVAL, "parity: needs a law (--law) or forms to fit (--form)");
    if (!(W = calloc((size_t)r->n, sizeof *W))) return dw_error_set(DW_ENOMEM, "out of memory");
    int nw = plot_runs_widths(r, W);
    double lo = INFINITY, hi = -INFINITY;
    int ok[9] = {0}, nok = 0;
    for (int k = 0; k < nm; k++) {
        if (plot_runs_fitdata(r, &models[k].law->conv, models[k].n_from_shape, &d[k])) {
            NOTE(f, "%s: %s", models[k].label, dw_error_get());
            continue;
        }
        int finite = 1;
        for (int i = 0; i < d[k].n; i++) {
            double p = law_eval(models[k].law, &d[k].x[i]);
            if (!isfinite(p)) {
                finite = 0;
                NOTE(f, "%s: no finite prediction at line %d", models[k].label, r->line[i]);
                break;
            }
            lo = fmin(lo, fmin(p, d[k].loss[i])), hi = fmax(hi, fmax(p, d[k].loss[i]));
        }
        if (!finite) continue;
        fit_stats(&models[k].law->form, models[k].law->p, &d[k], FIT_LSQ, 0, &info[k]);
        ok[k] = 1, nok++;
    }
    if (!nok) {
        rc = dw_error_set(DW_EINVAL, "parity: no model could predict the runs (%s)", f->res->notes);
        goto out;
    }
    /* layout: two panels a row, so that a report page shows them at full size; the legend (one
     * key for all panels) takes the free slot when the count is odd, else a column on the right */
    int cols = nok == 1 ? 1 : 2, rows = (nok + cols - 1) / cols;
    int key_slot = nok > 1 && nok % 2 == 1;
    const int panel_px = 430, key_px = key_slot ? 0 : 215;
    fig_begin_(f, "Predicted vs observed loss", 40 + panel_px * cols + key_px, 50 + 440 * rows);
    double pad = 0.04 * (hi - lo > 0 ? hi - lo : 1);
    lo -= pad, hi += pad;
    int ni = 0;
    for (int k = 0; k < nm; k++) {
        if (!ok[k]) continue;
        db.len = 0;
        if (db.s) db.s[0] = '\0';
        plot_buf_printf_(&db,
                         "# %s_%d.dat — %s: observed and predicted loss per run, one block "
                         "per width\n# R² %.6f on L, RMSE %.6g, n = %d\n# columns: observed "
                         "predicted depth width params tokens source_line\n",
                         f->stem, ni + 1, models[k].label, info[k].r2, info[k].rmse, d[k].n);
        for (int q = 0; q < (r->has_width ? nw : 1); q++) {
            if (r->has_width) plot_buf_printf_(&db, "# W = %g\n", W[q]);
            for (int i = 0; i < d[k].n; i++) {
                if (r->has_width && r->width[i] != W[q]) continue;
                plot_buf_printf_(&db, "%.10g %.10g %g %g %.10g %.10g %d\n", d[k].loss[i],
                                 law_eval(models[k].law, &d[k].x[i]), r->depth[i], r->width[i],
                                 d[k].x[i].params, d[k].x[i].tokens, r->line[i]);
            }
            plot_buf_puts_(&db, "\n\n");
        }
        char part[16];
        snprintf(part, sizeof part, "%d", ni + 1);
        if ((rc = fig_data_(f, part, &db, name[ni], sizeof name[ni]))) goto out;
        ni++;
    }
    for (int q = 0; q < nw && q < 512; q++) style_width_(f, q + 1, W[q]);
    gp_(f, "set style line 600 lc rgb '#444444' lw 2 pt 7 ps 0.9   # runs without a width\n");
    gp_(f, "set xrange [%.6g:%.6g]\nset yrange [%.6g:%.6g]\n", lo, hi, lo, hi);
    gp_(f,
        "set xlabel 'observed loss, %s (nats/token)'\nset ylabel 'predicted loss (nats/token)'\n",
        r->col_loss[0] ? plot_gp_esc_(r->col_loss, e, sizeof e) : "loss");
    /* explicit placement in screen fractions: panels left to right, then the legend column */
    double kf = (double)key_px / f->w, pw = (1 - kf) / cols, ph = 0.93 / rows;
    gp_(f, "set multiplot title 'Predicted vs observed loss (%d runs)' font ',13'\n", r->n);
    gp_(f, "unset key\n");
    ni = 0;
    for (int k = 0; k < nm; k++) {
        if (!ok[k]) continue;
        gp_(f, "set size square %.4f,%.4f\nset origin %.4f,%.4f\n", pw, ph, pw * (ni % cols),
            ph * (rows - 1 - ni / cols));
        gp_(f, "set title \"%s\\nR^2 %.4f, RMSE %.4f\"\n", gp_dq_(models[k].label, e, sizeof e),
            info[k].r2, info[k].rmse);
        item_(f, "x with lines lc rgb '#999999' lw 1.2 dt 2 notitle");
        for (int q = 0; q < (r->has_width ? nw : 1) && q < 512; q++)
            item_(f, "'%s' index %d using 1:2 with points ls %d ps %s notitle", name[ni], q,
                  r->has_width ? q + 1 : 600, r->n > 200 ? "0.55" : "0.9");
        plot_end_(f);
        ni++;
    }
    /* the legend: an empty plot whose only content is the key, in the free panel slot or the
     * column on the right */
    double kx = key_slot ? pw * (nok % cols) + 0.35 * pw : 1 - kf + 0.01;
    double ky = key_slot ? ph * (rows - 1 - nok / cols) + 0.5 * ph : 0.5;
    gp_(f, "# the legend\nset size nosquare %.4f,%.4f\nset origin %.4f,%.4f\n", key_slot ? pw : kf,
        key_slot ? ph : 0.93, key_slot ? pw * (nok % cols) : 1 - kf,
        key_slot ? ph * (rows - 1 - nok / cols) : 0);
    gp_(f, "unset border\nunset tics\nunset xlabel\nunset ylabel\nunset title\nunset grid\n"
           "set xrange [0:1]\nset yrange [0:1]\n");
    gp_(f, "set key at screen %.4f,%.4f left center Left reverse samplen 1.5\n", kx, ky);
    item_(f, "2 with lines notitle"); /* off-range: gnuplot wants one real item besides keys */
    item_(f, "keyentry with lines lc rgb '#999999' lw 1.2 dt 2 title 'perfect prediction'");
    for (int q = 0; q < (r->has_width ? nw : 1) && q < 512; q++) {
        if (r->has_width)
            snprintf(lbl, sizeof lbl, "W = %g", W[q]);
        else
            snprintf(lbl, sizeof lbl, "runs");
        item_(f, "keyentry with points ls %d title '%s'", r->has_width ? q + 1 : 600, lbl);
    }
    plot_end_(f);
    gp_(f, "unset multiplot\n");
    CAPTION(f, "Predicted against observed loss for each run (points coloured by width); the "
               "dashed line is perfect prediction.");
    for (int k = 0; k < nm; k++)
        if (ok[k])
            CAPTION(f, "%s: R² %.4f, RMSE %.4f nats, largest error %.4f.", models[k].label,
                    info[k].r2, info[k].rmse, info[k].max_abs_err);
    rc = fig_finish_(f);
out:
    plot_buf_free_(&db);
    for (int k = 0; k < 9; k++) plot_fitdata_free(&d[k]);
    free(W);
    return rc;
}

// ----------------------------------------------------------------------------
// frontier: the planner's optimum vs compute

static void budget_range_(const PlotSpec *s, double *lo, double *hi) {
    *lo = s->c_lo > 0 ? s->c_lo : 1e18;
    *hi = s->c_hi > *lo ? s->c_hi : *lo * 1e6;
}

static int fig_frontier_(Fig *f) {
    const PlotSpec *s = f->s;
    const Law *law = s->law;
    PlotBuf db = {0};
    char name[160], lbl[160], e[320], b1[32], b2[32];
    double clo, chi, slope[4], se[4], r2[4];
    int rc;
    if (!law) return dw_error_set(DW_EINVAL, "frontier: needs a law (--law FILE or a preset)");
    budget_range_(s, &clo, &chi);
    int n = (int)lround(4 * log10(chi / clo)) + 1;
    if (n < 3) n = 3;
    if (n > 81) n = 81;
    PlanPoint pts[81];
    PlanRequest req;
    plan_request_default(&req);
    if ((rc = plan_sweep(law, &req, clo, chi, n, pts, slope, se, r2))) {
        plot_fmt_sci_(clo, b1, sizeof b1), plot_fmt_sci_(chi, b2, sizeof b2);
        return dw_error_prefix(DW_EINVAL, "frontier: the planner failed between %s and %s FLOPs",
                               b1, b2);
    }
    int shape_free = !law_form_has_shape(&law->form);
    fig_begin_(f, "Compute-optimal shape vs compute", 1000, 780);
    plot_buf_printf_(&db,
                     "# %s_sweep.dat — continuous compute-optimal shape per budget "
                     "(plan_sweep) under %s\n# fitted exponents vs C: D* %.6g, W* %.6g, N* %.6g, "
                     "T* %.6g\n# columns: compute depth width params tokens loss dcrit\n",
                     f->stem, law_label_(law, lbl, sizeof lbl), slope[0], slope[1], slope[2],
                     slope[3]);
    for (int k = 0; k < n; k++)
        plot_buf_printf_(&db, "%.8g %.8g %.8g %.8g %.8g %.8g %.8g\n", pts[k].flops, pts[k].depth,
                         pts[k].width, pts[k].params_law, pts[k].tokens, pts[k].loss, pts[k].dcrit);
    if ((rc = fig_data_(f, "sweep", &db, name, sizeof name))) goto out;
    /* the paper's claims: D* ∝ C^0.12, W* ∝ C^0.34; with N = 12·D·W² and C = 6·N·T they imply
     * N* ∝ C^0.80 and T* ∝ C^0.20. Drawn through this law's optimum at the middle budget. */
    double pslope[4] = {PLOT_PAPER_D_SLOPE, PLOT_PAPER_W_SLOPE,
                        PLOT_PAPER_D_SLOPE + 2 * PLOT_PAPER_W_SLOPE,
                        1 - PLOT_PAPER_D_SLOPE - 2 * PLOT_PAPER_W_SLOPE};
    int mid = n / 2;
    double anchor[4] = {pts[mid].depth, pts[mid].width, pts[mid].params_law, pts[mid].tokens};
    static const char *const ylab[4] = {"depth D* (layers)", "width W*",
                                        "parameters N* (as the law counts them)", "tokens T*"};
    static const char *const sym[4] = {"D*", "W*", "N*", "T*"};
    static const char *const paper_how[4] = {"paper claims", "paper claims", "implied by the paper",
                                             "implied by the paper"};
    gp_(f, "# the paper's slopes, through this law's optimum at C0 = %.6g FLOPs\n", pts[mid].flops);
    gp_(f, "C0 = %.8g\n", pts[mid].flops);
    for (int q = 0; q < 4; q++)
        gp_(f, "paper%d(c) = %.8g * (c / C0)**%.4f\n", q, anchor[q], pslope[q]);
    gp_(f, "set style line 1 lc rgb '#222222' lw 2.2 pt 7 ps 0.8   # this law\n"
           "set style line 2 lc rgb '#b2182b' lw 1.8 dt 2             # the paper's slope\n");
    gp_(f, "set logscale xy\nset format x '10^{%%L}'\n");
    gp_(f, "set xrange [%.6g:%.6g]\nset xlabel 'training compute C (FLOPs)'\n", clo / 1.5,
        chi * 1.5);
    gp_(f, "set key bottom right Left reverse\n");
    gp_(f, "set multiplot layout 2,2 title \"Compute-optimal shape under %s\" font ',13'\n",
        gp_dq_(law_label_(law, lbl, sizeof lbl), e, sizeof e));
    for (int q = 0; q < 4; q++) {
        /* y range: the law's optima and the paper's line over the budgets, a little beyond */
        double ylo = INFINITY, yhi = 0;
        for (int k = 0; k < n; k++) {
            double v[4] = {pts[k].depth, pts[k].width, pts[k].params_law, pts[k].tokens};
            double pv = anchor[q] * pow(pts[k].flops / pts[mid].flops, pslope[q]);
            ylo = fmin(ylo, fmin(v[q], pv)), yhi = fmax(yhi, fmax(v[q], pv));
        }
        gp_(f, "set yrange [%.6g:%.6g]\n", ylo / 1.4, yhi * 1.4);
        gp_(f, "set logscale y %d\nset format y '%s'\n", q < 2 ? 2 : 10, q < 2 ? "%g" : "10^{%L}");
        gp_(f, "set ylabel '%s'\n", ylab[q]);
        gp_(f, "set title '%s ∝ C^{%.3f} (R^2 %.3f)'\n", sym[q], slope[q], r2[q]);
        item_(f, "'%s' using 1:%d with linespoints ls 1 title 'this law: C^{%.3f}'", name, q + 2,
              slope[q]);
        item_(f, "paper%d(x) with lines ls 2 title '%s: C^{%.2f}'", q, paper_how[q], pslope[q]);
        plot_end_(f);
    }
    gp_(f, "unset multiplot\n");
    plot_fmt_sci_(clo, b1, sizeof b1), plot_fmt_sci_(chi, b2, sizeof b2);
    CAPTION(f,
            "The planner's continuous optimum under %s at %d budgets from %s to %s FLOPs "
            "(log-log): D* ∝ C^%.3f, W* ∝ C^%.3f, N* ∝ C^%.3f, T* ∝ C^%.3f (least squares on "
            "logs). Dashed red: the paper's D* ∝ C^0.12 and W* ∝ C^0.34, and the N* ∝ C^0.80, "
            "T* ∝ C^0.20 they imply (N = 12·D·W², C = 6·N·T), drawn through this law's optimum "
            "at the middle budget.",
            law_label_(law, lbl, sizeof lbl), n, b1, b2, slope[0], slope[1], slope[2], slope[3]);
    if (shape_free)
        CAPTION(f,
                "The law has no depth-width term: the planner holds W/D = %g, so D* and W* "
                "follow from N* alone.",
                req.aspect);
    rc = fig_finish_(f);
out:
    plot_buf_free_(&db);
    return rc;
}

// ----------------------------------------------------------------------------
// isoflop: loss vs depth at fixed budgets (best width at each depth)

/* min over ln W of L(D, W, T = C / FLOPs per token): a scan of the planner's width range
 * then golden-section refinement. *W_out, *T_out at the minimum. */
static double best_width_(const Law *law, double C, double D, double *W_out, double *T_out) {
    const double a0 = log(16.0), b0 = log(131072.0);
    double best = INFINITY, bw = NAN;
    const int ng = 96;
    PlanShape s;
    double np, fpt;
    for (int j = 0; j <= ng; j++) {
        double lw = a0 + (b0 - a0) * j / ng;
        plan_shape_at(law, D, exp(lw), 0, &s);
        plan_law_counts(&law->conv, &s, &np, &fpt);
        LawX x = {D, exp(lw), np, C / fpt};
        double L = law_eval(law, &x);
        if (isfinite(L) && L < best) best = L, bw = lw;
    }
    if (!isfinite(best)) return NAN;
    double a = fmax(a0, bw - (b0 - a0) / ng), b = fmin(b0, bw + (b0 - a0) / ng);
    const double g = 0.6180339887498949;
    for (int it = 0; it < 80 && b - a > 1e-10; it++) {
        double x1 = b - g * (b - a), x2 = a + g * (b - a), L1, L2;
        plan_shape_at(law, D, exp(x1), 0, &s);
        plan_law_counts(&law->conv, &s, &np, &fpt);
        L1 = law_eval(law, &(LawX){D, exp(x1), np, C / fpt});
        plan_shape_at(law, D, exp(x2), 0, &s);
        plan_law_counts(&law->conv, &s, &np, &fpt);
        L2 = law_eval(law, &(LawX){D, exp(x2), np, C / fpt});
        if (!(L1 >= L2))
            b = x2;
        else
            a = x1;
    }
    double lw = 0.5 * (a + b);
    plan_shape_at(law, D, exp(lw), 0, &s);
    plan_law_counts(&law->conv, &s, &np, &fpt);
    double L = law_eval(law, &(LawX){D, exp(lw), np, C / fpt});
    if (!(L <= best)) L = best, lw = bw;
    plan_shape_at(law, D, exp(lw), 0, &s);
    plan_law_counts(&law->conv, &s, &np, &fpt);
    *W_out = exp(lw);
    *T_out = C / fpt;
    return L;
}

static int fig_isoflop_(Fig *f) {
    const PlotSpec *s = f->s;
    const Law *law = s->law;
    static const char *const seq[7] = {"#440154", "#443a83", "#31688e", "#21918c",
                                       "#35b779", "#90d743", "#c8b800"};
    PlotBuf db = {0};
    char name[160], lbl[160], e[320], b1[32], b2[32], b3[32];
    double clo, chi, C[7];
    int nb = 0, rc;
    if (!law) return dw_error_set(DW_EINVAL, "isoflop: needs a law (--law FILE or a preset)");
    budget_range_(s, &clo, &chi);
    if (s->nbudgets > 0) {
        for (int k = 0; k < s->nbudgets && nb < 7; k++) C[nb++] = s->budgets[k];
        if (s->nbudgets > 7) NOTE(f, "only the first 7 budgets are drawn");
    } else {
        /* one budget per two decades across the range (at most 7) */
        double step = fmax(2, ceil(log10(chi / clo) / 6));
        for (double lc = log10(clo); lc <= log10(chi) + 1e-9 && nb < 7; lc += step)
            C[nb++] = pow(10, lc);
    }
    PlanResult pr[7];
    int okb[7] = {0}, nok = 0;
    double dmax = 1;
    for (int k = 0; k < nb; k++) {
        PlanRequest req;
        plan_request_default(&req);
        req.compute = C[k];
        if (plan_solve(law, &req, &pr[k]) == DW_OK) {
            okb[k] = 1, nok++;
            dmax = fmax(dmax, pr[k].cont.depth);
            if (pr[k].on_bound) NOTE(f, "C = %.3g: %s", C[k], pr[k].bound_note);
        } else {
            NOTE(f, "C = %.3g: no optimum: %s", C[k], dw_error_get());
        }
    }
    dw_error_clear();
    if (!nok)
        return dw_error_set(DW_EINVAL, "isoflop: the planner found no optimum at any budget (%s)",
                            f->res->notes);
    double dmin = INFINITY;
    for (int k = 0; k < nb; k++)
        if (okb[k]) dmin = fmin(dmin, pr[k].cont.depth);
    /* three octaves either side of the optima */
    double dlo = fmax(1, pow(2, floor(log2(dmin / 8)))), dhi = fmin(1024, fmax(32, 6 * dmax));
    fig_begin_(f, "Loss vs depth at fixed compute", 1000, 600);
    plot_buf_printf_(&db,
                     "# %s_curves.dat — at each budget C and depth D, the best width W "
                     "(T = C / FLOPs per token) and its loss; one block per budget\n# columns: "
                     "depth loss_above_optimum loss width tokens compute\n",
                     f->stem);
    double ymax = 0;
    int bidx[7], ni = 0;
    for (int k = 0; k < nb; k++) {
        bidx[k] = -1;
        if (!okb[k]) continue;
        double Lopt = pr[k].cont.loss;
        plot_buf_printf_(&db, "# C = %.6g FLOPs: optimum D* = %.6g, W* = %.6g, loss %.8g\n", C[k],
                         pr[k].cont.depth, pr[k].cont.width, Lopt);
        for (int j = 0; j <= 120; j++) {
            double D = exp(log(dlo) + (log(dhi) - log(dlo)) * j / 120.0), Wb, Tb;
            double L = best_width_(law, C[k], D, &Wb, &Tb);
            if (!isfinite(L)) continue;
            /* the planner's optimum is the true minimum; clamp round-off below it */
            double dL = fmax(0, L - Lopt);
            plot_buf_printf_(&db, "%.8g %.8g %.8g %.8g %.8g %.6g\n", D, dL, L, Wb, Tb, C[k]);
            if (D >= pr[k].cont.depth / 4 && D <= pr[k].cont.depth * 4) ymax = fmax(ymax, dL);
        }
        plot_buf_puts_(&db, "\n\n");
        bidx[k] = ni++;
    }
    /* then one block per budget with its optimum (the dot) */
    for (int k = 0; k < nb; k++)
        if (okb[k])
            plot_buf_printf_(&db,
                             "# optimum at C = %.6g\n# columns: depth 0 loss width tokens "
                             "compute\n%.8g 0 %.8g %.8g %.8g %.6g\n\n\n",
                             C[k], pr[k].cont.depth, pr[k].cont.loss, pr[k].cont.width,
                             pr[k].cont.tokens, C[k]);
    if ((rc = fig_data_(f, "curves", &db, name, sizeof name))) goto out;
    for (int k = 0; k < nb; k++)
        gp_(f, "set style line %d lc rgb '%s' lw 2.2 pt 7 ps 1.4   # C = %.3g FLOPs\n", k + 1,
            seq[k * 7 / (nb > 0 ? nb : 1)], C[k]);
    gp_(f, "set logscale x 2\nset format x '%%g'\nset xrange [%g:%g]\n", dlo, dhi);
    /* a little room below zero so that the optimum dots sit clear of the axis */
    gp_(f, "set yrange [%.4g:%.4g]\n", -0.02 * (ymax > 0 ? ymax : 0.1),
        ymax > 0 ? ymax * 1.1 : 0.1);
    gp_(f,
        "set xlabel 'depth D (layers, log scale); at each depth, the best width for the budget'\n");
    gp_(f, "set ylabel 'loss above the budget''s optimum (nats/token)'\n");
    gp_(f, "set title \"Loss vs depth at fixed compute: %s\"\n",
        gp_dq_(law_label_(law, lbl, sizeof lbl), e, sizeof e));
    /* outside: the curves rise steeply on both sides and would run under a key inside */
    gp_(f, "set key outside right top vertical Left reverse\n");
    for (int k = 0; k < nb; k++) {
        if (bidx[k] < 0) continue;
        plot_fmt_sci_(C[k], b1, sizeof b1);
        plot_fmt_count_(pr[k].cont.width, b2, sizeof b2);
        item_(f, "'%s' index %d using 1:2 with lines ls %d title 'C = %s: D* %.1f, W* %s, L* %.3f'",
              name, bidx[k], k + 1, b1, pr[k].cont.depth, b2, pr[k].cont.loss);
    }
    for (int k = 0; k < nb; k++)
        if (bidx[k] >= 0)
            item_(f, "'%s' index %d using 1:2 with points ls %d notitle", name, ni + bidx[k],
                  k + 1);
    plot_end_(f);
    CAPTION(f,
            "For each budget, the loss of the best width at each depth (tokens fill the "
            "budget), minus that budget's optimum, under %s; dots mark the optimum depth D*. A "
            "flat bottom means depth matters little near the optimum; the curves' walls show "
            "what too shallow or too deep costs.",
            law_label_(law, lbl, sizeof lbl));
    for (int k = 0; k < nb; k++)
        if (okb[k]) {
            plot_fmt_sci_(C[k], b1, sizeof b1);
            plot_fmt_count_(pr[k].cont.width, b2, sizeof b2);
            plot_fmt_count_(pr[k].cont.tokens, b3, sizeof b3);
            CAPTION(f, "C = %s: D* = %.1f, W* = %s, T* = %s, loss %.4f;", b1, pr[k].cont.depth, b2,
                    b3, pr[k].cont.loss);
        }
    size_t L = strlen(f->res->caption);
    if (L && f->res->caption[L - 1] == ';') f->res->caption[L - 1] = '.';
    rc = fig_finish_(f);
out:
    plot_buf_free_(&db);
    return rc;
}

// ----------------------------------------------------------------------------
// dcrit: critical depth vs width

static int fig_dcrit_(Fig *f) {
    const PlotSpec *s = f->s;
    const PlotRuns *r = s->runs;
    const Law *law = s->law && law_form_has_shape(&s->law->form) ? s->law : NULL;
    static const double def_w[] = {256, 512, 1024, 2048, 4096};
    FitDcrit *dc = NULL;
    PlotBuf pb = {0}, bb = {0}, fb = {0};
    char name[3][160], lbl[160], e[320], b1[64], b2[64], b3[64];
    int nw = 0, rc, ninterior = 0;
    if ((rc = runs_dcrit_(r, &dc, &nw))) return rc;
    double *wk = calloc((size_t)nw + 1, sizeof *wk), *dk = calloc((size_t)nw + 1, sizeof *dk);
    if (!wk || !dk) {
        rc = dw_error_set(DW_ENOMEM, "out of memory");
        goto out;
    }
    for (int k = 0; k < nw; k++) {
        wk[k] = dc[k].width;
        dk[k] = dc[k].kind == FIT_DCRIT_INTERIOR && dc[k].width > 1 ? dc[k].dcrit : NAN;
        ninterior += isfinite(dk[k]);
    }
    if (!ninterior && !law) {
        if (!r || !r->has_loss || !r->has_depth || !r->has_width)
            rc = dw_error_set(DW_EINVAL, "dcrit: needs runs with depth, width and loss, or a law "
                                         "with a depth-width term (--law)");
        else
            rc = dw_error_set(DW_EINVAL,
                              "dcrit: no width has an interior loss minimum (a width "
                              "needs >= 3 depths at one token count with the lowest loss in "
                              "between) and no law with a depth-width term was given");
        goto out;
    }
    FitKappa kp = {0};
    int kp_rc = ninterior >= 2 ? fit_kappa(wk, dk, nw, &kp) : DW_EINVAL;
    if (ninterior && kp_rc)
        NOTE(f, "no fit across widths: %s",
             ninterior < 2 ? "needs interior minima at two or more widths" : dw_error_get());
    dw_error_clear();
    /* reference tokens for the law: the runs' most used count, else --tokens */
    double T = s->tokens > 0 ? s->tokens : 2e10;
    if (r && nw) {
        int best = -1;
        for (int k = 0; k < nw; k++)
            if (isfinite(dc[k].tokens) && (best < 0 || dc[k].nruns > dc[best].nruns)) best = k;
        if (best >= 0) T = dc[best].tokens;
    }
    double wlo, whi;
    if (nw)
        wlo = wk[0], whi = wk[nw - 1];
    else if (s->nwidths > 0)
        wlo = s->widths[0], whi = s->widths[s->nwidths - 1];
    else
        wlo = def_w[0], whi = def_w[4];
    if (!(whi > wlo)) wlo /= 2, whi *= 2;
    double lo = wlo / 1.3, hi = whi * 1.3;

    fig_begin_(f, "Critical depth vs width", 1050, 600);
    plot_buf_printf_(&pb,
                     "# %s_runs.dat — D_crit per width from the runs: vertex of the parabola "
                     "in ln D through the lowest mean loss and its two neighbours, which bracket "
                     "it; one block per width with an interior minimum\n# columns: width dcrit "
                     "depth_lo depth_hi tokens runs\n",
                     f->stem);
    plot_buf_printf_(&bb,
                     "# %s_bounds.dat — widths without an interior minimum: the lowest "
                     "loss is at the deepest run (D_crit >= that depth, kind 1) or the shallowest "
                     "(D_crit <= that depth, kind -1); one block per width\n# columns: width "
                     "depth kind\n",
                     f->stem);
    int pidx[512], bidx[512], bkind[512], npi = 0, nbi = 0;
    for (int k = 0; k < nw && k < 512; k++) {
        pidx[k] = bidx[k] = -1;
        if (isfinite(dk[k])) {
            plot_buf_printf_(&pb, "# W = %g\n%g %.8g %g %g %.8g %d\n\n\n", wk[k], wk[k], dk[k],
                             dc[k].lo, dc[k].hi, dc[k].tokens, dc[k].nruns);
            pt_(f, wk[k], dc[k].lo), pt_(f, wk[k], dk[k]), pt_(f, wk[k], dc[k].hi);
            pidx[k] = npi++;
        } else if (dc[k].kind == FIT_DCRIT_AT_LARGEST || dc[k].kind == FIT_DCRIT_AT_SMALLEST) {
            bkind[k] = dc[k].kind == FIT_DCRIT_AT_LARGEST ? 1 : -1;
            plot_buf_printf_(&bb, "# W = %g: %s\n%g %g %d\n\n\n", wk[k], dc[k].why, wk[k],
                             dc[k].depth_at_min, bkind[k]);
            pt_(f, wk[k], dc[k].depth_at_min);
            bidx[k] = nbi++;
        }
    }
    dcrit_notes_(f, dc, nw);
    plot_buf_printf_(&fb, "# %s_fit.dat — curves of D_crit(W)\n", f->stem);
    if (kp_rc == DW_OK)
        plot_buf_printf_(&fb, "# kappa·ln W: kappa = %.6g ± %.3g (R² %.4f)\n", kp.kappa,
                         kp.kappa_se, kp.r2_kappa);
    if (kp_rc == DW_OK && kp.has_power)
        plot_buf_printf_(&fb, "# c·W^beta: c = %.6g, beta = %.6g ± %.3g (R² %.4f on ln D_crit)\n",
                         kp.c, kp.beta, kp.beta_se, kp.r2_power);
    plot_buf_printf_(&fb,
                     "# paper: %.2f·ln W\n# law: the depth minimising the law's loss at "
                     "width W and T = %.6g tokens (NaN: none)\n# columns: width kappa_lnW "
                     "c_W_beta paper law\n",
                     PLOT_PAPER_KAPPA, T);
    int nlaw = 0;
    for (int j = 0; j <= 100; j++) {
        double w = exp(log(lo) + (log(hi) - log(lo)) * j / 100.0), ld = NAN;
        if (law) {
            int kind;
            ld = plan_dcrit(law, w, T, &kind);
            if (kind != 0) ld = NAN;
            nlaw += isfinite(ld);
        }
        double yk = kp_rc == DW_OK ? kp.kappa * log(w) : NAN;
        double yp = kp_rc == DW_OK && kp.has_power ? kp.c * pow(w, kp.beta) : NAN;
        plot_buf_printf_(&fb, "%.8g %.8g %.8g %.8g %.8g\n", w, yk, yp, PLOT_PAPER_KAPPA * log(w),
                         ld);
        if (j % 5 == 0)
            pt_(f, w, yk), pt_(f, w, yp), pt_(f, w, PLOT_PAPER_KAPPA * log(w)), pt_(f, w, ld);
    }
    double dmax = 0;
    for (int q = 0; q < f->np; q++) dmax = fmax(dmax, f->py[q]);
    dmax = dmax > 0 ? dmax * 1.08 : 10;
    if ((npi && (rc = fig_data_(f, "runs", &pb, name[0], sizeof name[0]))) ||
        (nbi && (rc = fig_data_(f, "bounds", &bb, name[1], sizeof name[1]))) ||
        (rc = fig_data_(f, "fit", &fb, name[2], sizeof name[2])))
        goto out;
    for (int k = 0; k < nw && k < 512; k++) style_width_(f, k + 1, wk[k]);
    gp_(f, "set logscale x 2\nset format x '%%g'\nset xrange [%g:%g]\nset yrange [0:%.4g]\n", lo,
        hi, dmax);
    gp_(f, "set xlabel 'width W (model dimension, log scale)'\n"
           "set ylabel 'critical depth D_{crit} (layers)'\n");
    gp_(f, "set title 'Critical depth vs width: past D_{crit}, more layers raise the loss'\n");
    /* the legend carries each width's D_crit and the fits: below the plot, off the data */
    gp_(f, "set key outside right top vertical Left reverse\n");
    for (int k = 0; k < nw && k < 512; k++) {
        if (pidx[k] >= 0)
            item_(f,
                  "'%s' index %d using 1:2:3:4 with yerrorbars ls %d ps 1.4 title 'W = %g: %.1f "
                  "[%g, %g]'",
                  name[0], pidx[k], k + 1, wk[k], dk[k], dc[k].lo, dc[k].hi);
        if (bidx[k] >= 0)
            item_(f, "'%s' index %d using 1:2 with points ls %d pt %d ps 1.8 title 'W = %g: %s %g'",
                  name[1], bidx[k], k + 1, bkind[k] > 0 ? 9 : 11, wk[k],
                  bkind[k] > 0 ? "D_{crit} ≥" : "D_{crit} ≤", dc[k].depth_at_min);
    }
    if (npi)
        item_(f, "keyentry with yerrorbars lc rgb '#444444' pt 7 title 'bars: depths run on either "
                 "side (not a CI)'");
    if (kp_rc == DW_OK) {
        plot_fmt_pm_(kp.kappa, kp.kappa_se, b1, sizeof b1);
        item_(f,
              "'%s' using 1:2 with lines lc rgb '#222222' lw 2 title 'κ·ln W, κ = %s (R^2 %.3f)'",
              name[2], b1, kp.r2_kappa);
        if (kp.has_power) {
            plot_fmt_pm_(kp.beta, kp.beta_se, b2, sizeof b2);
            item_(f,
                  "'%s' using 1:3 with lines lc rgb '#222222' lw 2 dt 2 title 'c·W^{β}, c = %.3g, "
                  "β = %s (R^2 %.3f)'",
                  name[2], kp.c, b2, kp.r2_power);
        }
    }
    item_(f, "'%s' using 1:4 with lines lc rgb '#b2182b' lw 1.5 dt 3 title 'paper: %.2f·ln W'",
          name[2], PLOT_PAPER_KAPPA);
    if (nlaw) {
        plot_fmt_count_(T, b3, sizeof b3);
        item_(
            f,
            "'%s' using 1:5 with lines lc rgb '#666666' lw 1.8 dt 4 title \"law %s at %s tokens\"",
            name[2], gp_dq_(law_label_(law, lbl, sizeof lbl), e, sizeof e), b3);
    }
    plot_end_(f);
    if (npi)
        CAPTION(f,
                "Points: D_crit from the runs at %d width%s (vertex of the parabola in ln D "
                "through the lowest loss and its neighbours; bars span those neighbouring "
                "depths).",
                npi, npi == 1 ? "" : "s");
    if (nbi)
        CAPTION(f,
                "Triangles: %d width%s whose lowest loss is at the deepest (▲) or shallowest "
                "(▼) run, so D_crit lies beyond the runs.",
                nbi, nbi == 1 ? "" : "s");
    if (kp_rc == DW_OK) {
        CAPTION(f, "Solid: D_crit = κ·ln W with κ = %s (R² %.3f; the paper: κ = %.2f, dotted red).",
                b1, kp.r2_kappa, PLOT_PAPER_KAPPA);
        if (kp.has_power)
            CAPTION(f, "Dashed: D_crit = c·W^β with c = %.3g, β = %s (R² %.3f on ln D_crit).", kp.c,
                    b2, kp.r2_power);
    } else {
        CAPTION(f, "Dotted red: the paper's D_crit = %.2f·ln W.", PLOT_PAPER_KAPPA);
    }
    if (nlaw)
        CAPTION(f,
                "Grey dash-dot: the law %s's own D_crit(W) (its loss minimum over depth) at %s "
                "tokens.",
                law_label_(law, lbl, sizeof lbl), b3);
    else if (s->law && !law)
        NOTE(f, "the law has no depth-width term, so no D_crit of its own");
    rc = fig_finish_(f);
out:
    plot_buf_free_(&pb), plot_buf_free_(&bb), plot_buf_free_(&fb);
    free(dc), free(wk), free(dk);
    return rc;
}

// ----------------------------------------------------------------------------
// entry point

int plot_make(PlotKind kind, const PlotSpec *spec, const char *image, PlotResult *res) {
    static int (*const fn[PLOT_NKINDS])(Fig *) = {
        fig_depth_, fig_gradients_, fig_tau_, fig_parity_, fig_frontier_, fig_isoflop_, fig_dcrit_};
    Fig f = {.kind = kind, .s = spec, .res = res};
    memset(res, 0, sizeof *res);
    if (kind < 0 || kind >= PLOT_NKINDS) return dw_error_set(DW_EINVAL, "unknown figure kind");
    int rc =
        plot_path_split_(image, f.dir, sizeof f.dir, f.stem, sizeof f.stem, f.ext, sizeof f.ext);
    if (rc) return rc;
    if (snprintf(res->image, sizeof res->image, "%s", image) >= (int)sizeof res->image ||
        snprintf(res->script, sizeof res->script, "%s/%s.gp", f.dir, f.stem) >=
            (int)sizeof res->script)
        return dw_error_set(DW_EINVAL, "%.64s...: path too long", image);
    /* no rows: say so, rather than what columns a figure would need */
    const PlotRuns *r = spec->runs;
    int needs_runs = kind == PLOT_GRADIENTS || kind == PLOT_TAU || kind == PLOT_PARITY ||
                     ((kind == PLOT_DEPTH || kind == PLOT_DCRIT) && !spec->law);
    if (needs_runs && r && r->n == 0)
        return dw_error_set(DW_EINVAL, "%s: %s has no runs to plot (%d row%s read%s)",
                            kind_names_[kind], r->path, r->nrows_file,
                            r->nrows_file == 1 ? "" : "s",
                            r->nskipped_status ? ", all left out: status not \"ok\"" : "");
    struct stat st;
    if (stat(f.dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        rc = dw_error_set(DW_EIO, "%s: no such directory", f.dir);
        return rc;
    }
    rc = fn[kind](&f);
    plot_buf_free_(&f.gp);
    free(f.px), free(f.py);
    return rc;
}
