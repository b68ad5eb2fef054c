/* plots/fig_depth.c — the `depth` figure (plot.h): loss vs depth at each width, the runs as
 * points, the law as curves at the runs' token count (N through the runs' own parameter
 * counts, or counted under the law's conventions), D_crit marked: the runs' parabola vertex
 * (fit/depth.h, the analysis `dwplan fit --critical-depth` prints) and the law's own minimum
 * over depth (plan_min_depth).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "common/dwfmt.h"
#include "fit/paper.h"
#include "fig.h"
#include "planner/count.h"
#include "planner/plan.h"

// ----------------------------------------------------------------------------
// numerics of this figure

/* N at width W as a line in depth, N(D) = a + b·D (every counting convention is affine in D).
 * From the law's conventions; or, when `r` is given, through the runs' own parameter counts at
 * that width (least squares over their depths, or the conventions' slope through the one depth
 * run), so that the law's curve is evaluated at the N the runs really had. */
static void n_line_(const Law *law, const DsRuns *r, double W, double *a, double *b) {
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
    LawX x = {.depth = D, .width = W, .params = a + b * D, .tokens = T};
    return law_eval(law, &x);
}

static const char *loss_label_(const DsRuns *r, char *buf, size_t n) {
    char e[128];
    if (!r || !r->col[DS_RUNS_LOSS][0])
        snprintf(buf, n, "loss (nats/token)");
    else if (!strcmp(r->col[DS_RUNS_LOSS], "val_loss") || !strcmp(r->col[DS_RUNS_LOSS], "eval_loss"))
        snprintf(buf, n, "validation loss (nats/token)");
    else if (!strcmp(r->col[DS_RUNS_LOSS], "loss") || !strcmp(r->col[DS_RUNS_LOSS], "L"))
        snprintf(buf, n, "loss (nats/token)");
    else
        snprintf(buf, n, "loss, column %s (nats/token)", plot_gp_esc_(r->col[DS_RUNS_LOSS], e, sizeof e));
    return buf;
}

// ----------------------------------------------------------------------------
// depth: loss vs depth at each width

/* What the steps of the figure share. Widths k < 64 get curves and markers. */
typedef struct {
    const DsRuns *r;
    const Law *law; /* may be NULL */
    int has_runs;   /* runs with depth, width and loss */
    int from_runs;  /* the law's N through the runs' parameter counts (n_line_) */
    const FitDepthReport *rep; /* the runs' depth analysis (fit/depth.h), or NULL */
    int nw;                    /* its widths */
    int n;           /* widths drawn: the runs' (nw), else --widths or five defaults */
    double *W, *T;   /* (n) widths and their token counts */
    double dlo, dhi; /* depths run (1..64 without runs), at least an octave apart */
    double clo, chi; /* depths the law's curves span (with runs: the plot's x range) */
    int nloff;       /* widths whose law minimum lies beyond the plot (with runs) */
    double loff_lo, loff_hi; /* the range of those minima */
    int ntok;        /* distinct token counts among the widths drawn */
    int ldk[64];     /* the law has a minimum over depth at width k: ldc_d, ldc_l */
    double ldc_d[64], ldc_l[64], na[64], nb[64]; /* its depth and loss; N = na + nb·D */
    char name[4][160];                           /* data files: runs, law, dcrit, lawdcrit */
    int pts_idx[64], dc_idx[64], ldc_idx[64];    /* each width's block in them, or -1 */
    int ndc, nldc, ninterior, ndropped;
    int law_off;     /* the law's curves are off the runs' scale ... */
    double off;      /* ... by this many nats on average at the runs' depths */
    double ylo, yhi; /* the y range when law_off */
} Depth;

static const FitDcrit *dc_(const Depth *d, int k) { return &d->rep->widths[k].dc; }

/* Checks the inputs, finds the runs' D_crit per width, picks the widths, their token counts
 * and the depths to span. */
static int depth_widths_(Fig *f, Depth *d) {
    const PlotSpec *s = f->s;
    const DsRuns *r = d->r;
    static const double def_w[] = {256, 512, 1024, 2048, 4096};
    int rc;
    if (!d->has_runs && !d->law)
        return dw_error_set(DW_EINVAL, "depth: needs runs with depth, width and loss columns, "
                                       "or a law (--law)");
    if (d->has_runs) {
        if (!(d->rep = fig_analysis_(f, &rc))) return rc ? rc : dw_error_set(DW_EINVAL, "depth: no analysis");
        d->nw = d->rep->nwidths;
        int best = 0;
        for (int k = 0; k < d->nw; k++) best = dc_(d, k)->ndepths > best ? dc_(d, k)->ndepths : best;
        if (best < 2 && !d->law)
            return dw_error_set(DW_EINVAL,
                                "depth: %s: %d run%s and no width with two depths: "
                                "a loss-vs-depth curve needs at least two depths at one width "
                                "(or a law, --law)",
                                r->path, r->n, r->n == 1 ? "" : "s");
    }
    /* widths and their token counts */
    int n = d->n = d->has_runs ? d->nw : s->nwidths > 0 ? s->nwidths : 5;
    d->W = calloc((size_t)n + 1, sizeof *d->W), d->T = calloc((size_t)n + 1, sizeof *d->T);
    if (!d->W || !d->T) return dw_error_set(DW_ENOMEM, "out of memory");
    for (int k = 0; k < n; k++) {
        d->W[k] = d->has_runs ? dc_(d, k)->width : s->nwidths > 0 ? s->widths[k] : def_w[k];
        d->T[k] = d->has_runs && isfinite(dc_(d, k)->tokens) ? dc_(d, k)->tokens
                  : s->tokens > 0                          ? s->tokens
                                                           : 2e10;
    }
    d->dlo = 1, d->dhi = 64;
    if (d->has_runs) {
        d->dlo = INFINITY, d->dhi = 0;
        for (int i = 0; i < r->n; i++)
            d->dlo = fmin(d->dlo, r->depth[i]), d->dhi = fmax(d->dhi, r->depth[i]);
    }
    /* at least an octave either side of a single depth */
    if (d->dhi < 2 * d->dlo) {
        double mid = sqrt(d->dlo * d->dhi);
        d->dlo = fmin(d->dlo, mid / 2), d->dhi = fmax(d->dhi, mid * 2);
    }
    d->from_runs = d->has_runs && r->has_params && !s->n_from_shape;
    return DW_OK;
}

/* The law's N line and minimum over depth at each width, and the depths its curves span:
 * with runs, the runs' depths (a little beyond: the axis follows the data, and a law minimum
 * off the plot is counted and said); without, around the law's own minima. */
static void depth_law_minima_(Depth *d) {
    const Law *law = d->law;
    d->clo = fmax(1, d->dlo / 1.25), d->chi = d->dhi * 1.25;
    d->loff_lo = INFINITY, d->loff_hi = 0;
    for (int k = 0; law && k < d->n && k < 64; k++) {
        n_line_(law, d->from_runs ? d->r : NULL, d->W[k], &d->na[k], &d->nb[k]);
        double nline[2] = {d->na[k], d->nb[k]};
        int kind;
        double dm = plan_min_depth(law, d->W[k], d->T[k], nline, &kind);
        if (kind != 0 || !isfinite(dm) || dm < 1) continue;
        if (d->has_runs && (dm < d->clo || dm > d->chi)) {
            d->nloff++, d->loff_lo = fmin(d->loff_lo, dm), d->loff_hi = fmax(d->loff_hi, dm);
            continue;
        }
        d->ldk[k] = 1, d->ldc_d[k] = dm,
        d->ldc_l[k] = law_at_n_(law, dm, d->W[k], d->na[k], d->nb[k], d->T[k]);
        /* without runs the law's minimum is in view, with room either side */
        if (!d->has_runs) d->clo = fmin(d->clo, fmax(1, dm / 4)), d->chi = fmax(d->chi, dm * 4);
    }
}

/* Writes the data files: the runs, the law's curves, the runs' D_crit and the law's. */
static int depth_data_(Fig *f, Depth *d) {
    const DsRuns *r = d->r;
    const Law *law = d->law;
    const double *W = d->W, *T = d->T;
    PlotBuf pts = {0}, lc = {0}, dcr = {0}, ldc = {0};
    int rc = DW_OK;
    int *order = r ? malloc(sizeof(int) * ((size_t)r->n + 1)) : NULL;
    if (r && !order) return dw_error_set(DW_ENOMEM, "out of memory");
    plot_buf_printf_(&pts,
                     "# %s_runs.dat — runs as points: one block (gnuplot index) per width\n"
                     "# columns: depth loss tokens source_line (ascending depth)\n",
                     f->stem);
    plot_buf_printf_(&lc,
                     "# %s_law.dat — law curves: one block per width at the width's token "
                     "count, N = a + b·depth (%s)\n# columns: depth loss width tokens params\n",
                     f->stem,
                     d->from_runs ? "through the runs' parameter counts"
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
    int npts = 0;
    for (int k = 0; k < d->n && k < 64; k++) {
        d->pts_idx[k] = d->dc_idx[k] = d->ldc_idx[k] = -1;
        if (d->has_runs) {
            const FitDcrit *dc = dc_(d, k);
            plot_buf_printf_(&pts, "# W = %g, tokens %.10g\n", W[k], dc->tokens);
            /* in ascending depth, so that the line joining them does not zig-zag when the
             * file's order is not (a sweep run by several workers) */
            int m = 0;
            for (int i = 0; i < r->n; i++)
                if (d->rep->row_width[i] == k) {
                    int q = m++;
                    for (; q > 0 && r->depth[order[q - 1]] > r->depth[i]; q--)
                        order[q] = order[q - 1];
                    order[q] = i;
                }
            for (int q = 0; q < m; q++) {
                int i = order[q];
                plot_buf_printf_(&pts, "%.10g %.10g %.10g %d\n", r->depth[i], r->loss[i],
                                 r->tokens[i], r->line[i]);
                pt_(f, r->depth[i], r->loss[i]);
            }
            plot_buf_puts_(&pts, "\n\n");
            d->pts_idx[k] = npts++;
            if (dc->kind == FIT_DCRIT_INTERIOR) {
                plot_buf_printf_(&dcr, "# W = %g\n%.10g %.10g %g %g %g\n\n\n", W[k], dc->dcrit,
                                 dc->loss_at_min, W[k], dc->lo, dc->hi);
                d->dc_idx[k] = d->ndc++;
                d->ninterior++;
            }
            d->ndropped += dc->ndropped;
        }
        if (law) {
            plot_buf_printf_(&lc, "# W = %g, tokens %.10g\n", W[k], T[k]);
            for (int j = 0; j <= 120; j++) {
                double D = exp(log(d->clo) + (log(d->chi) - log(d->clo)) * j / 120.0);
                double L = law_at_n_(law, D, W[k], d->na[k], d->nb[k], T[k]);
                if (!isfinite(L)) continue;
                plot_buf_printf_(&lc, "%.10g %.10g %g %.10g %.10g\n", D, L, W[k], T[k],
                                 d->na[k] + d->nb[k] * D);
                if (j % 4 == 0) pt_(f, D, L);
            }
            plot_buf_puts_(&lc, "\n\n");
            if (d->ldk[k]) {
                plot_buf_printf_(&ldc, "# W = %g\n%.10g %.10g %g %.10g\n\n\n", W[k], d->ldc_d[k],
                                 d->ldc_l[k], W[k], T[k]);
                d->ldc_idx[k] = d->nldc++;
            }
        }
    }
    char(*name)[160] = d->name;
    if (d->has_runs) rc = fig_data_(f, "runs", &pts, name[0], sizeof name[0]);
    if (!rc && law) rc = fig_data_(f, "law", &lc, name[1], sizeof name[1]);
    if (!rc && d->ndc) rc = fig_data_(f, "dcrit", &dcr, name[2], sizeof name[2]);
    if (!rc && d->nldc) rc = fig_data_(f, "lawdcrit", &ldc, name[3], sizeof name[3]);
    plot_buf_free_(&pts), plot_buf_free_(&lc), plot_buf_free_(&dcr), plot_buf_free_(&ldc);
    free(order);
    return rc;
}

/* When the law misses the runs by much more than their own spread, its curves would squash
 * the runs into a flat band: the y range follows the runs and the caption gives the
 * law's offset (the parity figure shows it in full). */
static void depth_law_offset_(Depth *d) {
    const DsRuns *r = d->r;
    double off = 0, ylo = INFINITY, yhi = -INFINITY;
    int noff = 0;
    for (int k = 0; k < d->n && k < 64; k++)
        for (int i = 0; i < r->n; i++)
            if (d->rep->row_width[i] == k) {
                double L = law_at_n_(d->law, r->depth[i], d->W[k], d->na[k], d->nb[k], d->T[k]);
                ylo = fmin(ylo, r->loss[i]), yhi = fmax(yhi, r->loss[i]);
                if (isfinite(L)) off += L - r->loss[i], noff++;
            }
    d->off = off = noff ? off / noff : 0;
    double span = fmax(yhi - ylo, 0.05 * fabs(yhi));
    d->law_off = fabs(off) > 2 * span;
    d->ylo = ylo - 0.15 * span, d->yhi = yhi + 0.15 * span;
}

/* The y range the figure shows: the runs' when the law is off their scale, else every point
 * drawn (runs and the law's curves over the x range), a little beyond. */
static void depth_yrange_(const Fig *f, const Depth *d, double *lo, double *hi) {
    if (d->law_off) {
        *lo = d->ylo, *hi = d->yhi;
        return;
    }
    double a = INFINITY, b = -INFINITY;
    for (int q = 0; q < f->np; q++) a = fmin(a, f->py[q]), b = fmax(b, f->py[q]);
    if (!(b > a)) a -= 0.05 * fabs(a) + 0.01, b += 0.05 * fabs(b) + 0.01;
    *lo = a - 0.06 * (b - a), *hi = b + 0.06 * (b - a);
}

/* The title (two lines when runs at other token counts were left out) and, when the widths'
 * token counts differ, the per-width key labels carry them (d->ntok > 1). */
static void depth_title_(Fig *f, Depth *d) {
    char b1[64], lbl[160], e[320], t[512];
    int dropped = 0;
    d->ntok = 0;
    for (int k = 0; k < d->n; k++) {
        int seen = 0;
        for (int q = 0; q < k; q++) seen |= d->T[q] == d->T[k];
        d->ntok += !seen && isfinite(d->T[k]);
        if (d->has_runs) dropped += dc_(d, k)->ndropped;
    }
    dw_fmt_count(d->T[0], b1, sizeof b1);
    if (!d->has_runs)
        snprintf(t, sizeof t, "Loss vs depth at each width: %s at T = %s tokens",
                 law_label_(d->law, lbl, sizeof lbl), b1);
    else if (d->ntok == 1)
        snprintf(t, sizeof t, "Loss vs depth at each width: runs trained on T = %s tokens%s", b1,
                 d->law ? " (the law at the same T)" : "");
    else if (d->ntok > 1)
        snprintf(t, sizeof t, "Loss vs depth at each width: one token count per width (in the "
                              "key)");
    else
        snprintf(t, sizeof t, "Loss vs depth at each width (no token counts: taken as equal)");
    gp_(f, "set title \"%s", gp_dq_(t, e, sizeof e));
    if (dropped)
        gp_(f, "\\n%d run%s at other token counts not drawn (notes)", dropped,
            dropped == 1 ? "" : "s");
    gp_(f, "\"\n");
}

/* The script: line styles, axes, title and the plot command. The x axis spans the runs'
 * depths (with runs); the key goes in the emptiest corner when it is short, else below. */
static void depth_script_(Fig *f, Depth *d) {
    const DsRuns *r = d->r;
    const Law *law = d->law;
    const double *W = d->W, *T = d->T;
    int n = d->n, has_runs = d->has_runs, law_off = d->law_off;
    char b1[64], b2[64], lbl[160], e[256];
    for (int k = 0; k < n && k < 64; k++) style_width_(f, k + 1, W[k]);
    double xlo = has_runs ? fmax(0.5, d->dlo / 1.25) : d->clo;
    double xhi = has_runs ? d->dhi * 1.25 : d->chi, ylo, yhi;
    depth_yrange_(f, d, &ylo, &yhi);
    gp_(f, "set yrange [%.6g:%.6g]\n", ylo, yhi);
    gp_(f, "set logscale x 2\nset format x '%%g'\nset xrange [%g:%g]\n", xlo, xhi);
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
    depth_title_(f, d);
    const char(*name)[160] = d->name;
    for (int k = 0; k < n && k < 64; k++) {
        char wl[64];
        if (d->ntok > 1)
            snprintf(wl, sizeof wl, "W = %g (T %s)", W[k], dw_fmt_count(T[k], b2, sizeof b2));
        else
            snprintf(wl, sizeof wl, "W = %g", W[k]);
        if (has_runs)
            /* runs joined by a thin line (thinner still when the law's curves are drawn) */
            item_(f, "'%s' index %d using 1:2 with linespoints ls %d lw %s title '%s'", name[0],
                  d->pts_idx[k], k + 1, law && !law_off ? "0.6 dt 2" : "1.5", wl);
        if (law)
            item_(f, "'%s' index %d using 1:2 with lines ls %d lw 1.6 title '%s'", name[1], k,
                  k + 1, has_runs ? "" : wl);
        if (d->dc_idx[k] >= 0)
            item_(f, "'%s' index %d using 1:2 with points ls %d pt 13 ps 2.2 notitle", name[2],
                  d->dc_idx[k], k + 1);
        if (d->ldc_idx[k] >= 0 && !law_off)
            item_(f, "'%s' index %d using 1:2 with points ls %d pt 10 ps 1.8 notitle", name[3],
                  d->ldc_idx[k], k + 1);
    }
    if (law && has_runs)
        item_(f, "keyentry with lines lc rgb '#444444' lw 1.6 title 'law: %s%s'",
              plot_gp_esc_(law->name[0] ? law->name : "lines", e, sizeof e),
              law_off ? " (off scale)" : "");
    if (d->ndc)
        item_(f, "keyentry with points lc rgb '#444444' pt 13 ps 2 title 'D_{crit} (runs)'");
    if (d->nldc && !law_off)
        item_(f, "keyentry with points lc rgb '#444444' pt 10 ps 1.6 title 'D_{crit} (law)'");
    if (d->nloff && !law_off) {
        dw_fmt_count(d->loff_lo, b1, sizeof b1), dw_fmt_count(d->loff_hi, b2, sizeof b2);
        if (d->nloff > 1 && strcmp(b1, b2))
            item_(f, "keyentry with points lc rgb '#999999' pt 10 ps 1.6 title 'law D_{crit} "
                     "%s–%s: off the plot'", b1, b2);
        else
            item_(f, "keyentry with points lc rgb '#999999' pt 10 ps 1.6 title 'law D_{crit} "
                     "%s: off the plot'", b1);
    }
    const double ax[4] = {xlo, xhi, ylo, yhi};
    key_auto_(f, ax, 1, 0);
    plot_end_(f);
}

/* The caption (what is drawn, the D_crit found) and the notes (runs not drawn, widths
 * without D_crit). */
static void depth_caption_(Fig *f, const Depth *d) {
    const DsRuns *r = d->r;
    const Law *law = d->law;
    int n = d->n;
    char lbl[160];
    if (d->has_runs) {
        int nrows = 0;
        for (int k = 0; k < n; k++) nrows += dc_(d, k)->nruns;
        CAPTION(f, "Points: %d run%s at %d width%s (%s), joined in order of depth.", nrows,
                nrows == 1 ? "" : "s", n, n == 1 ? "" : "s", r->col[DS_RUNS_LOSS]);
        char b1[64];
        if (d->ntok == 1)
            CAPTION(f, "All drawn runs were trained on T = %s tokens%s.",
                    dw_fmt_count(d->T[0], b1, sizeof b1), law ? ", and the law is drawn there" : "");
        else if (d->ntok > 1)
            CAPTION(f, "Each width is drawn at one token count, given in the key%s.",
                    law ? " (the law at the same count)" : "");
    }
    if (law)
        CAPTION(f, "Lines: the law %s at each width's token count, with N %s.",
                law_label_(law, lbl, sizeof lbl),
                d->from_runs ? "a line in depth through the runs' own parameter counts at that "
                               "width (the N the law was evaluated at in the parity figure)"
                             : "counted from D and W under the law's conventions");
    if (d->has_runs) {
        if (d->ninterior) {
            CAPTION(f,
                    "Large diamonds: D_crit from the runs (vertex of the parabola in ln D "
                    "through the lowest loss and its neighbours) at %d of %d widths:",
                    d->ninterior, n);
            for (int k = 0; k < n; k++)
                if (dc_(d, k)->kind == FIT_DCRIT_INTERIOR)
                    CAPTION(f, "W = %g: %.1f;", d->W[k], dc_(d, k)->dcrit);
            size_t L = strlen(f->res->caption);
            if (L && f->res->caption[L - 1] == ';') f->res->caption[L - 1] = '.';
        } else {
            CAPTION(f, "No width has an interior loss minimum (no U-curve in the runs).");
        }
        if (d->ndropped) {
            /* said in the caption too: the page shows the caption first */
            CAPTION(f,
                    "%d run%s at other token counts %s not drawn: runs are comparable across "
                    "depth only at one token count, so each width shows the count with the "
                    "most runs.",
                    d->ndropped, d->ndropped == 1 ? "" : "s", d->ndropped == 1 ? "is" : "are");
            NOTE(f,
                 "%d run%s at other token counts not drawn (one token count per width: the "
                 "one with the most runs)",
                 d->ndropped, d->ndropped == 1 ? "" : "s");
        }
        dcrit_notes_(f, d->rep);
    }
    if (d->nldc && !d->law_off) CAPTION(f, "Open triangles: the law's loss minimum over depth.");
    if (d->nloff && !d->law_off) {
        char b1[64], b2[64];
        dw_fmt_count(d->loff_lo, b1, sizeof b1), dw_fmt_count(d->loff_hi, b2, sizeof b2);
        CAPTION(f,
                "The law's own minimum over depth (its D_crit) lies beyond the depths run at %d "
                "width%s (D ≈ %s%s%s layers), off the plot: the axis follows the runs and the "
                "law's curves are drawn over it only.",
                d->nloff, d->nloff == 1 ? "" : "s", b1, strcmp(b1, b2) ? "–" : "",
                strcmp(b1, b2) ? b2 : "");
    }
    if (d->law_off)
        CAPTION(f,
                "The law's curves lie %s the runs, by %.3g nats on average at the runs' "
                "depths, and are off this scale (the y range follows the runs; the parity figure "
                "shows the law's predictions in full).",
                d->off > 0 ? "above" : "below", fabs(d->off));
}

int fig_depth_(Fig *f) {
    const DsRuns *r = f->s->runs;
    Depth d = {.r = r, .law = f->s->law};
    d.has_runs = r && r->has_depth && r->has_width && r->has_loss && r->n > 0;
    int rc = depth_widths_(f, &d);
    if (rc) goto out;
    depth_law_minima_(&d);
    fig_begin_(f);
    if ((rc = depth_data_(f, &d))) goto out;
    if (d.has_runs && d.law) depth_law_offset_(&d);
    depth_script_(f, &d);
    depth_caption_(f, &d);
    rc = fig_finish_(f);
out:
    free(d.W), free(d.T);
    return rc;
}
