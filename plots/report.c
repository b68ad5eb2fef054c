/* plots/report.c — `dwplan report`: every figure the inputs allow, and index.html.
 *
 * The page is self-contained but for the image files: inline CSS, no scripts, no fonts or
 * styles from the network, images and scripts linked by relative path, so the directory can
 * be zipped, mailed or served as it is. It links only files that exist: a figure that could
 * not be drawn says why instead (and links its gnuplot script when that was written).
 *
 * Numbers come from the library, never from running dwplan: τ and D_crit from fit/depth.h
 * (what `dwplan fit --critical-depth` prints; the figures reuse the same analysis), the form
 * comparison and its verdict from fit/compare.h (what `dwplan fit --compare` prints), the
 * planner table from plan_solve and the exponents from plan_sweep. The page's sections are in
 * report_sections.c.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/dw.h"
#include "fit/compare.h"
#include "fit/depth.h"
#include "planner/fitdata.h"
#include "planner/plan.h"
#include "plot_impl.h"
#include "report_impl.h"

static void progress_(const PlotReportSpec *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void progress_(const PlotReportSpec *s, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    if (!s->progress) return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->progress(msg, s->progress_ctx);
}

/* mkdir -p */
static int mkdirs_(const char *dir) {
    char buf[PLOT_PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf)
        return dw_error_set(DW_EINVAL, "%.64s...: path too long", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return dw_error_set(DW_EIO, "%s: cannot create: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return dw_error_set(DW_EIO, "%s: cannot create: %s", buf, strerror(errno));
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
        return dw_error_set(DW_EIO, "%s: not a directory", buf);
    return DW_OK;
}

static const char *base_(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

// ----------------------------------------------------------------------------
// page sections

static const char *css_ =
    "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;"
    "padding:0 1em;color:#222;line-height:1.45}\n"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;border-bottom:1px solid #ccc;"
    "padding-bottom:.2em;margin-top:2em}\n"
    ".meta{color:#555;font-size:.9em}\n"
    "table{border-collapse:collapse;margin:.6em 0;font-size:.92em}"
    "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}"
    "th{background:#f3f3f3}td.l,th.l{text-align:left}\n"
    "figure{margin:1.5em 0;border:1px solid #e3e3e3;padding:.8em;background:#fff}"
    "figure img{max-width:100%;height:auto;display:block}"
    "figcaption{font-size:.92em;color:#333;margin-top:.5em}\n"
    ".warn{color:#8b0000;background:#fff3f3;border:1px solid #e4b4b4;padding:.6em .8em}\n"
    ".note{color:#7a4b00;font-size:.88em}.skip{border:1px dashed #bbb;padding:.6em;margin:1em 0;"
    "color:#555}\n"
    "ul.narr li{margin:.35em 0}code{background:#f5f5f5;padding:0 .2em}\n";

// ----------------------------------------------------------------------------
// figures on the page

static void figure_html_(PlotBuf *b, const char *dir, PlotKind k, int rc, const PlotResult *res,
                         const char *why) {
    char id[32];
    snprintf(id, sizeof id, "fig-%s", plot_kind_name(k));
    if (rc == DW_OK && res->rendered) {
        plot_buf_printf_(b, "<figure id=\"%s\"><img src=\"", id);
        H(b, base_(res->image));
        plot_buf_printf_(b, "\" width=\"%d\" height=\"%d\" alt=\"", res->width_px, res->height_px);
        H(b, res->title);
        plot_buf_puts_(b, "\">\n<figcaption><b>");
        H(b, res->title);
        plot_buf_puts_(b, ".</b> ");
        H(b, res->caption);
        plot_buf_puts_(b, " <span class=\"meta\">[<a href=\"");
        H(b, base_(res->script));
        plot_buf_puts_(b, "\">gnuplot script</a>");
        for (int q = 0; q < res->nfiles; q++) {
            plot_buf_puts_(b, " · <a href=\"");
            H(b, res->files[q]);
            plot_buf_puts_(b, "\">");
            H(b, res->files[q]);
            plot_buf_puts_(b, "</a>");
        }
        plot_buf_puts_(b, "]</span>");
        if (res->notes[0]) {
            plot_buf_puts_(b, "<br><span class=\"note\">Notes: ");
            H(b, res->notes);
            plot_buf_puts_(b, ".</span>");
        }
        plot_buf_puts_(b, "</figcaption></figure>\n");
        return;
    }
    plot_buf_printf_(b, "<div class=\"skip\" id=\"%s\"><b>%s</b>: not drawn. ", id,
                     plot_kind_name(k));
    /* one sentence: gnuplot's failure with its log linked (its own words stay in the log),
     * or plot_make's message for a figure the inputs do not allow */
    struct stat st;
    char log[PLOT_PATH_MAX + 160];
    size_t L = strlen(base_(res->script));
    snprintf(log, sizeof log, "%s/%.*s.log", dir, (int)(L > 3 ? L - 3 : L), base_(res->script));
    int logged = res->written && !strstr(why, "gnuplot not found") && stat(log, &st) == 0 &&
                 st.st_size > 0;
    if (logged) {
        plot_buf_puts_(b, "gnuplot could not draw it (its message: <a href=\"");
        H(b, base_(log));
        plot_buf_puts_(b, "\">");
        H(b, base_(log));
        plot_buf_puts_(b, "</a>).");
    } else {
        size_t n = strlen(why);
        H(b, why);
        if (n && why[n - 1] != '.') plot_buf_puts_(b, ".");
    }
    if (res->written) {
        /* the script and data exist: link them so the figure can be drawn by hand */
        char path[PLOT_PATH_MAX + 160];
        snprintf(path, sizeof path, "%s/%s", dir, base_(res->script));
        if (stat(path, &st) == 0) {
            plot_buf_puts_(b, " The <a href=\"");
            H(b, base_(res->script));
            plot_buf_puts_(b, "\">gnuplot script</a> and its data are written: run <code>gnuplot ");
            H(b, base_(res->script));
            plot_buf_puts_(b, "</code> in this directory.");
        }
    }
    plot_buf_puts_(b, "</div>\n");
}

// ----------------------------------------------------------------------------
// entry point

static const PlotKind order_[PLOT_NKINDS] = {PLOT_DEPTH,  PLOT_DCRIT,   PLOT_GRADIENTS, PLOT_TAU,
                                             PLOT_PARITY, PLOT_ISOFLOP, PLOT_FRONTIER};

/* Everything the page shows, computed by the library before anything is written. */
typedef struct {
    FitDepthReport an;   /* the depth analysis (fit/depth.h) */
    int an_ok;
    FitComparison cmp;   /* the form comparison (fit/compare.h) */
    int cmp_ok;
    FitPrediction law_pred; /* the law on the runs (fit_predict), when law_pred_ok */
    int law_pred_ok;
    char why_forms[320]; /* !cmp_ok: why */
    PlannerOut po;
    PlotResult res[PLOT_NKINDS];
    int frc[PLOT_NKINDS];
    char fwhy[PLOT_NKINDS][1024];
} Report;

static void report_free_(Report *R) {
    if (R->an_ok) fit_depth_report_free(&R->an);
    if (R->cmp_ok) fit_comparison_free(&R->cmp);
}

/* The depth analysis and the form comparison of the runs (the same library calls as `dwplan
 * fit --critical-depth` and `dwplan fit --compare`). Only out of memory is an error. */
static int analyse_(const PlotReportSpec *spec, Report *R) {
    const DsRuns *r = spec->runs;
    int rc;
    if (r) {
        rc = fit_depth_analyse(r, &R->an);
        if (rc == DW_ENOMEM) return rc;
        R->an_ok = rc == DW_OK;
        if (!R->an_ok) {
            snprintf(R->an.dcrit_why, sizeof R->an.dcrit_why, "%s", dw_error_get());
            snprintf(R->an.tw_why, sizeof R->an.tw_why, "%s", dw_error_get());
        }
    }
    /* the law on these runs: the page warns when it does worse than their mean */
    if (r && spec->law && r->has_loss && r->n >= 2) {
        FitData ld;
        if (plan_runs_fitdata(r, &spec->law->conv, spec->n_from_shape, &ld) == DW_OK)
            R->law_pred_ok = fit_predict(spec->law, &ld, &R->law_pred) == DW_OK &&
                             isfinite(R->law_pred.info.r2);
        fit_data_free(&ld);
        dw_error_clear();
    }
    if (!r || !r->has_loss || r->n < 3) {
        snprintf(R->why_forms, sizeof R->why_forms, "%s",
                 !r ? "no run data" : !r->has_loss ? "the data have no loss column" : "fewer than 3 runs");
        return DW_OK;
    }
    LawConventions conv;
    FitData d;
    law_conventions_default(&conv);
    FitCompareOptions co = {.forms = spec->compare, .objective = spec->objective,
                            .huber_delta = spec->huber_delta, .cv = spec->cv, .conv = &conv,
                            .progress = spec->progress, .progress_ctx = spec->progress_ctx};
    if ((rc = plan_runs_fitdata(r, &conv, spec->n_from_shape, &d)) == DW_OK) {
        rc = fit_compare(&d, r->group, r->ngroups, &co, &R->cmp);
        R->cmp_ok = rc == DW_OK;
    }
    fit_data_free(&d);
    if (rc == DW_ENOMEM) return rc;
    if (rc) snprintf(R->why_forms, sizeof R->why_forms, "%s", dw_error_get());
    dw_error_clear();
    return DW_OK;
}

/* Parity panels: the best-ranked fitted form with a depth-width term and the best without. */
static int parity_models_(const PlotReportSpec *spec, const Report *R, PlotModel *models) {
    int nm = 0, shape_done = 0, plain_done = 0;
    for (int k = 0; R->cmp_ok && k < R->cmp.n && nm < 2; k++) {
        const FitCompareRow *c = &R->cmp.rows[k];
        if (!c->ok) continue;
        int sh = law_form_has_shape(&c->law->form);
        if ((sh && shape_done) || (!sh && plain_done)) continue;
        *(sh ? &shape_done : &plain_done) = 1;
        snprintf(models[nm].label, sizeof models[nm].label, "%.60s (fitted here)", c->form);
        models[nm].law = c->law;
        models[nm].n_from_shape = spec->n_from_shape;
        models[nm].fitted = 1;
        models[nm].not_converged = !c->converged;
        nm++;
    }
    return nm;
}

/* Every figure, in page order; counts and notes in out. */
static int figures_(const PlotReportSpec *spec, const char *dir, const char *fmt, Report *R,
                    PlotReportResult *out) {
    PlotModel models[2];
    double clo = spec->c_lo > 0 ? spec->c_lo : 1e18, chi = spec->c_hi > clo ? spec->c_hi : 1e24;
    PlotSpec ps = {.runs = spec->runs, .law = spec->law, .depth = R->an_ok ? &R->an : NULL,
                   .n_from_shape = spec->n_from_shape, .models = models,
                   .nmodels = parity_models_(spec, R, models), .c_lo = clo, .c_hi = chi};
    for (int q = 0; q < PLOT_NKINDS; q++) {
        PlotKind k = order_[q];
        char img[PLOT_PATH_MAX + 64];
        if (snprintf(img, sizeof img, "%s/%s.%s", dir, plot_kind_name(k), fmt) >= (int)sizeof img)
            return dw_error_set(DW_EINVAL, "%.64s...: path too long", dir);
        progress_(spec, "figure %s", plot_kind_name(k));
        R->frc[k] = plot_make(k, &ps, img, &R->res[k]);
        snprintf(R->fwhy[k], sizeof R->fwhy[k], "%s", R->frc[k] ? dw_error_get() : "");
        dw_error_clear();
        out->nfigures++;
        if (R->frc[k] == DW_OK) out->nrendered++;
        else if (R->frc[k] == DW_EINVAL && !R->res[k].written) out->nskipped++;
        else out->nfailed++;
        if (R->frc[k] != DW_OK) {
            size_t L = strlen(out->notes);
            /* messages of plot_make name the figure already ("tau: ...") */
            const char *m = R->fwhy[k];
            size_t kl = strlen(plot_kind_name(k));
            if (strstr(m, "gnuplot not found")) m = "gnuplot not found (script and data written)";
            else if (!strncmp(m, plot_kind_name(k), kl) && !strncmp(m + kl, ": ", 2)) m += kl + 2;
            snprintf(out->notes + L, sizeof out->notes - L, "%s: %s\n", plot_kind_name(k), m);
        }
        if (R->frc[k] == DW_ENOMEM) return R->frc[k];
    }
    return DW_OK;
}

/* The page's head: title, data, law, date, command, section links. */
static void page_head_(PlotBuf *b, const PlotReportSpec *spec) {
    const DsRuns *r = spec->runs;
    const Law *law = spec->law;
    char date[32];
    dw_utc_now(date);
    plot_buf_puts_(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                      "<title>dwplan report");
    if (r) {
        plot_buf_puts_(b, ": ");
        H(b, base_(r->path));
    }
    plot_buf_printf_(b, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>dwplan report</h1>\n",
                     css_);
    plot_buf_puts_(b, "<p class=\"meta\">");
    if (r) {
        plot_buf_puts_(b, "Data: <code>");
        H(b, r->path);
        plot_buf_printf_(b, "</code>, %d runs used", r->n);
        if (r->nskipped_status)
            plot_buf_printf_(b, " (%d more left out: status not ok)", r->nskipped_status);
        plot_buf_printf_(b, ", %d shapes; loss column <code>", r->ngroups);
        H(b, r->col[DS_RUNS_LOSS][0] ? r->col[DS_RUNS_LOSS] : "none");
        plot_buf_puts_(b, "</code>");
        if (r->sha256[0]) plot_buf_printf_(b, "; sha256 %.16s…", r->sha256);
        plot_buf_puts_(b, ". ");
        char skipped[600];
        if (ds_runs_skipped_text(r, skipped, sizeof skipped)) { /* never silently dropped */
            plot_buf_puts_(b, "<br><span class=\"note\">From <code>");
            H(b, r->path);
            plot_buf_puts_(b, "</code>: ");
            H(b, skipped);
            plot_buf_puts_(b, ".</span><br>");
        }
    }
    if (law) {
        char form[96];
        law_form_text(&law->form, form, sizeof form);
        plot_buf_puts_(b, "Law: ");
        H(b, law->name[0] ? law->name : "law");
        plot_buf_puts_(b, " (<code>");
        H(b, form);
        plot_buf_puts_(b, "</code>). ");
    }
    plot_buf_printf_(b, "Made by dwplan %s on %s.", DWPLAN_VERSION, date);
    if (spec->command) {
        plot_buf_puts_(b, "<br>Command: <code>");
        H(b, spec->command);
        plot_buf_puts_(b, "</code>");
    }
    plot_buf_puts_(
        b, "</p>\n<p class=\"meta\">Sections: <a href=\"#summary\">summary</a> · "
           "<a href=\"#figures\">figures</a> · <a href=\"#law\">law</a> · "
           "<a href=\"#depth\">persistence and critical depth</a> · "
           "<a href=\"#forms\">form comparison</a> · <a href=\"#planner\">planner</a></p>\n");
}

/* The whole page into b. */
static void page_(PlotBuf *b, const PlotReportSpec *spec, const char *dir, const Report *R,
                  const PlotReportResult *out) {
    const DsRuns *r = spec->runs;
    const Law *law = spec->law;
    page_head_(b, spec);
    const FitPrediction *lp = R->law_pred_ok ? &R->law_pred : NULL;
    if (lp && lp->info.r2 < 0) report_misfit_(b, law, lp, "page");
    report_narrative_(b, r, law, &R->an, R->cmp_ok && R->cmp.has_verdict ? R->cmp.verdict : "",
                      &R->po, lp);
    plot_buf_printf_(b,
                     "<h2 id=\"figures\">Figures</h2>\n<p>%d of %d figures drawn. Each image has "
                     "its gnuplot script and data beside it: edit the script (line styles, size, "
                     "fonts are at its top) and run <code>gnuplot NAME.gp</code> in this directory "
                     "to redraw it. One colour per width in every figure.</p>\n",
                     out->nrendered, out->nfigures);
    for (int q = 0; q < PLOT_NKINDS; q++)
        figure_html_(b, dir, order_[q], R->frc[order_[q]], &R->res[order_[q]], R->fwhy[order_[q]]);
    if (law)
        report_law_section_(b, law, spec->law_origin);
    else
        plot_buf_puts_(b,
                       "<h2 id=\"law\">The law</h2>\n<p>No law given (<code>--law FILE</code> or "
                       "a preset): the figures and tables that need one are left out.</p>\n");
    report_depth_section_(b, r, &R->an);
    if (r)
        report_forms_section_(b, r, R->cmp_ok ? &R->cmp : NULL, R->why_forms);
    else
        plot_buf_puts_(b, "<h2 id=\"forms\">Form comparison</h2>\n<p>No run data.</p>\n");
    report_planner_section_(b, law, &R->po, lp);
    plot_buf_puts_(b,
                   "<hr>\n<p class=\"meta\">dwplan report: figures by gnuplot; fits by dwplan's "
                   "fitter (grid of starts, GSL refinement), compared by fit/compare.h; critical "
                   "depth and persistence by fit/depth.h; plans by the planner "
                   "(planner/plan.h).</p>\n</body>\n</html>\n");
}

int plot_report(const PlotReportSpec *spec, const char *dir, PlotReportResult *out) {
    const Law *law = spec->law;
    PlotBuf b = {0};
    Report *R = calloc(1, sizeof *R);
    int rc;
    const char *fmt = spec->format && !strcmp(spec->format, "svg") ? "svg" : "png";
    double clo = spec->c_lo > 0 ? spec->c_lo : 1e18, chi = spec->c_hi > clo ? spec->c_hi : 1e24;
    memset(out, 0, sizeof *out);
    if (!R) return dw_error_set(DW_ENOMEM, "out of memory");
    if (!spec->runs && !law) {
        rc = dw_error_set(DW_EINVAL, "a report needs run data, a law, or both");
        goto out;
    }
    if ((rc = mkdirs_(dir)) || (rc = analyse_(spec, R))) goto out;
    if (law) {
        progress_(spec, "planning at %d budgets", (int)lround(log10(chi / clo)) + 1);
        report_planner_run_(law, clo, chi, &R->po);
    }
    if ((rc = figures_(spec, dir, fmt, R, out))) goto out;
    page_(&b, spec, dir, R, out);
    if (snprintf(out->index, sizeof out->index, "%s/index.html", dir) >= (int)sizeof out->index) {
        rc = dw_error_set(DW_EINVAL, "%.64s...: path too long", dir);
        goto out;
    }
    if ((rc = plot_buf_write_(&b, out->index))) goto out;
    rc = DW_OK;
    /* name the first failure: with gnuplot missing, every figure fails the same way */
    for (int q = 0; out->nfailed && q < PLOT_NKINDS; q++) {
        PlotKind k = order_[q];
        if (R->frc[k] != DW_OK && !(R->frc[k] == DW_EINVAL && !R->res[k].written)) {
            rc = dw_error_set(DW_EIO, "%d figure%s not drawn (%s): %s; %s written without them",
                              out->nfailed, out->nfailed == 1 ? "" : "s", plot_kind_name(k),
                              R->fwhy[k], out->index);
            break;
        }
    }
out:
    plot_buf_free_(&b);
    report_free_(R);
    free(R);
    return rc;
}
