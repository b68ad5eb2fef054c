/* cli/fit_render.c — `dwplan fit`'s output for one form, --predict and --compare
 * (fit_render.h). Rendering only: every number comes from the library's result structs. */
#include "fit_render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/dw.h"
#include "common/dwjson.h"
#include "report.h"

// ----------------------------------------------------------------------------
// columns

void cli_print_columns(FILE *f, const DsRuns *runs) {
    const char *sep = "columns: ";
    for (int k = 0; k < DS_RUNS_NFIELDS; k++) {
        if (k == DS_RUNS_GRAD && !runs->has_grad) continue;
        if (k == DS_RUNS_RUN && !runs->col[k][0]) continue; /* no run column: runs are shapes */
        if (runs->col[k][0]) fprintf(f, "%s%s '%s'", sep, ds_runs_field_name(k), runs->col[k]);
        else fprintf(f, "%s%s none", sep, ds_runs_field_name(k));
        sep = ", ";
    }
    if (runs->has_weight) fprintf(f, ", weight '%s'", runs->col_weight);
    fprintf(f, "\n");
    if (runs->nskipped_status)
        fprintf(f, "left out: %d row%s whose status is not \"ok\"\n", runs->nskipped_status,
                runs->nskipped_status == 1 ? "" : "s");
}

cJSON *cli_columns_json(const DsRuns *runs) {
    cJSON *o = cJSON_CreateObject();
    for (int k = 0; o && k < DS_RUNS_NFIELDS; k++) {
        if (runs->col[k][0]) cJSON_AddStringToObject(o, ds_runs_field_name(k), runs->col[k]);
        else cJSON_AddNullToObject(o, ds_runs_field_name(k));
    }
    if (o && runs->has_weight) cJSON_AddStringToObject(o, "weight", runs->col_weight);
    return o;
}

// ----------------------------------------------------------------------------
// a law's parameters

/* The bound p sits on (lo or hi, whichever is nearer), or p itself when neither is finite. */
static double bound_value_(double p, double lo, double hi) {
    if (isfinite(lo) && (!isfinite(hi) || fabs(p - lo) <= fabs(hi - p))) return lo;
    return isfinite(hi) ? hi : p;
}

void cli_render_law_params(FILE *f, const Law *law, const double *lo_in, const double *hi_in) {
    const LawForm *fm = &law->form;
    double lo[LAW_MAXP], hi[LAW_MAXP];
    law_form_bounds(fm, lo, hi);
    if (lo_in) memcpy(lo, lo_in, sizeof(double) * fm->np);
    if (hi_in) memcpy(hi, hi_in, sizeof(double) * fm->np);
    for (int i = 0; i < fm->np; i++) {
        const char *nm = fm->names[i];
        double p = law->p[i];
        if (law->fixed >> i & 1) {
            fprintf(f, "  %-8s %12.6g   fixed\n", nm, p);
            continue;
        }
        if (law->fit.on_bound >> i & 1) {
            /* a log-amplitude whose term vanished, or a parameter at an edge of its range */
            int vanished = fm->id == LAW_SEPARABLE && (nm[0] == 'e' || nm[0] == 'c') &&
                           !isfinite(lo[i]);
            if (vanished) fprintf(f, "  %-8s -> -inf (exp(%s) -> 0, on bound)", nm, nm);
            else fprintf(f, "  %-8s -> %g (on bound)", nm, bound_value_(p, lo[i], hi[i]));
        } else {
            fprintf(f, "  %-8s %12.6g", nm, p);
        }
        if (law->fit.unidentified >> i & 1 && !law->has_ci[i]) {
            fprintf(f, "   not identified by the data (no interval)\n");
        } else if (law->has_ci[i]) {
            int clip = law->ci[i][0] == lo[i] || law->ci[i][1] == hi[i];
            fprintf(f, "   95%% CI [%.6g, %.6g]%s\n", law->ci[i][0], law->ci[i][1],
                    clip ? " (clipped at the bound)" : "");
        } else if (law->has_se && law->se[i] > 0) {
            fprintf(f, "   ± %.3g (asymptotic SE)\n", law->se[i]);
        } else if (law->fit.on_bound >> i & 1) {
            fprintf(f, "   (no interval: its term has no effect left)\n");
        } else if (law->fit.n > 0) {
            fprintf(f, "   (no interval: see \"intervals\")\n");
        } else {
            fprintf(f, "   (no interval: the source publishes none)\n");
        }
    }
}

/* v with `prec` digits (%.*f, or %.*g when g), or "n/a": a statistic the law does not have
 * is unknown, not 0; -0 prints as 0. */
static const char *stat_(double v, int prec, int g, char *buf, size_t n) {
    if (!isfinite(v)) snprintf(buf, n, "n/a");
    else if (g) snprintf(buf, n, "%.*g", prec, v == 0 ? 0.0 : v);
    else snprintf(buf, n, "%.*f", prec, v == 0 ? 0.0 : v);
    if (!strncmp(buf, "-0", 2) && strtod(buf, NULL) == 0) memmove(buf, buf + 1, strlen(buf));
    return buf;
}

void cli_render_fit_stats(FILE *f, const LawFitInfo *fi) {
    char a[32], b[32], c[32], d[32], e[32], g[32];
    fprintf(f, "R² = %s on L, %s on log L;  RMSE %s;  max |error| %s;  AIC %s  BIC %s\n",
            stat_(fi->r2, 4, 0, a, sizeof a), stat_(fi->r2_log, 4, 0, b, sizeof b),
            stat_(fi->rmse, 4, 1, c, sizeof c), stat_(fi->max_abs_err, 4, 1, d, sizeof d),
            stat_(fi->aic, 2, 0, e, sizeof e), stat_(fi->bic, 2, 0, g, sizeof g));
}

void cli_render_degenerate(FILE *f, const Law *law) {
    char text[512];
    if (law_degenerate_text(law, text, sizeof text))
        fprintf(f, "warning: what the data cannot tell: %s\n", text);
}

// ----------------------------------------------------------------------------
// one form

int cli_render_fit(const DsRuns *runs, const LawForm *form, const Law *law,
                   const FitLawInfo *info, const FitOptions *opt, int json) {
    const FitResult *res = &info->res;
    if (json) return report_print_json(report_law_json(law));
    char ftext[96];
    law_form_text(form, ftext, sizeof ftext);
    if (law->nsources > 1) { /* the sources and their columns: cli_render_sources, stderr */
        printf("dwplan fit: %s on %d sources (%d rows, %d grid starts)\n", ftext, law->nsources,
               res->info.n, res->nstarts);
    } else {
        printf("dwplan fit: %s on %s (%d rows, %d shapes, %d grid starts)\n", ftext, runs->path,
               runs->n, runs->ngroups, res->nstarts);
        cli_print_columns(stdout, runs);
    }
    cli_render_law_params(stdout, law, opt->lo, opt->hi);
    printf("intervals: %s\n", info->ci_method);
    printf("objective %s = %.10g\n", res->info.objective_kind, res->info.objective);
    cli_render_fit_stats(stdout, &res->info);
    if (isfinite(info->cv_rmse) && law->nsources > 1)
        printf("leave-one-shape-out CV RMSE %.4g (%d folds: shapes within sources)\n",
               info->cv_rmse, info->cv_folds);
    else if (isfinite(info->cv_rmse))
        printf("leave-one-shape-out CV RMSE %.4g (%d shapes%s)\n", info->cv_rmse, runs->ngroups,
               runs->curves ? "; whole curves held out" : "");
    printf("optimizer: %s\n", res->info.status);
    cli_render_degenerate(stdout, law);
    if (opt->anchor_n > 0)
        printf("B is tied to A by --optimal-at (B = %.6g)\n", res->p[law_form_param_index(form, "B")]);
    return 0;
}

int cli_fit_provenance(Law *law, const DsRuns *const *runs, int nruns, const char *const *wheres,
                       int nwhere, const char *source, int argc, char **argv,
                       const FitLawInfo *info, int nboot, const char *anchor_spec,
                       double anchor_n, double anchor_t) {
    cJSON *prov = cJSON_CreateObject();
    char now[32];
    if (!prov) return dw_error_set(DW_ENOMEM, "out of memory");
    if (source) cJSON_AddStringToObject(prov, "source", source);
    cJSON *files_j = cJSON_AddArrayToObject(prov, "data");
    for (int r = 0; r < nruns; r++) {
        cJSON *fo = cJSON_CreateObject();
        const char *base = strrchr(runs[r]->path, '/');
        cJSON_AddStringToObject(fo, "file", base ? base + 1 : runs[r]->path);
        if (runs[r]->sha256[0]) cJSON_AddStringToObject(fo, "sha256", runs[r]->sha256);
        cJSON_AddNumberToObject(fo, "rows_used", runs[r]->n);
        if (runs[r]->nskipped_status)
            cJSON_AddNumberToObject(fo, "rows_skipped_status", runs[r]->nskipped_status);
        if (nwhere) { /* as given; with several files "NAME:EXPR" applies to source NAME */
            cJSON *w = cJSON_AddArrayToObject(fo, "where");
            for (int k = 0; k < nwhere; k++) cJSON_AddItemToArray(w, cJSON_CreateString(wheres[k]));
        }
        cJSON_AddItemToObject(fo, "columns", cli_columns_json(runs[r]));
        cJSON_AddItemToArray(files_j, fo);
    }
    size_t n = 16;
    for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 1;
    char *cmd = malloc(n);
    if (cmd) {
        strcpy(cmd, "dwplan fit");
        for (int i = 1; i < argc; i++) strcat(strcat(cmd, " "), argv[i]);
        cJSON_AddStringToObject(prov, "command", cmd);
        free(cmd);
    }
    dw_utc_now(now);
    cJSON_AddStringToObject(prov, "date", now);
    cJSON_AddStringToObject(prov, "dwplan_version", DWPLAN_VERSION);
    cJSON_AddStringToObject(prov, "ci_method", info->ci_method);
    if (nboot > 0) {
        const FitBootCounts *w = &info->boot_why;
        cJSON *b = cJSON_AddObjectToObject(prov, "bootstrap");
        cJSON_AddNumberToObject(b, "requested", nboot);
        cJSON_AddNumberToObject(b, "converged", w->ok);
        cJSON_AddNumberToObject(b, "unidentifiable", w->unidentifiable);
        cJSON_AddNumberToObject(b, "maxiter", w->maxiter);
        cJSON_AddNumberToObject(b, "stalled", w->stalled);
        cJSON_AddNumberToObject(b, "error", w->error);
        cJSON_AddBoolToObject(b, "used", info->nboot_ok >= FIT_MIN_BOOT_DRAWS);
    }
    if (anchor_spec) {
        cJSON *an = cJSON_AddObjectToObject(prov, "optimal_at");
        cJSON_AddStringToObject(an, "spec", anchor_spec);
        cJSON_AddNumberToObject(an, "params", anchor_n);
        cJSON_AddNumberToObject(an, "tokens", anchor_t);
        cJSON_AddStringToObject(an, "meaning", "B tied to A so that this shape and budget "
                                "is the compute-optimal N/T split under C = 6NT");
    }
    free(law->provenance_json);
    law->provenance_json = cJSON_PrintUnformatted(prov);
    cJSON_Delete(prov);
    return law->provenance_json ? DW_OK : dw_error_set(DW_ENOMEM, "out of memory");
}

// ----------------------------------------------------------------------------
// --predict

/* One source's (or the pooled) figures as JSON. */
static cJSON *eval_json_(const char *name, const FitEvalStats *e) {
    cJSON *o = cJSON_CreateObject();
    if (name) cJSON_AddStringToObject(o, "source", name);
    cJSON_AddNumberToObject(o, "n", e->n);
    cJSON_AddNumberToObject(o, "skipped", e->n_skipped);
    dw_json_add_num(o, "mean_error", e->mean_error);
    dw_json_add_num(o, "rmse", e->rmse);
    dw_json_add_num(o, "rmse_offset_removed", e->rmse_offset);
    dw_json_add_num(o, "spearman", e->spearman);
    cJSON_AddNumberToObject(o, "shape_pairs", (double)e->n_pairs);
    dw_json_add_num(o, "pair_order_accuracy", e->accuracy);
    cJSON_AddNumberToObject(o, "matched_pairs", (double)e->n_pairs_matched);
    dw_json_add_num(o, "matched_pair_order_accuracy", e->accuracy_matched);
    return o;
}

static void eval_line_(const char *name, const FitEvalStats *e) {
    char pairs[96] = "no shape pairs";
    if (e->n_pairs)
        snprintf(pairs, sizeof pairs, "%lld shape pairs ordered %.0f%% right", e->n_pairs,
                 100 * e->accuracy);
    printf("  %-32s %5d rows  offset %+.4f  RMSE %.4f  offset removed %.4f  %s\n", name,
           e->n, -e->mean_error, e->rmse, e->rmse_offset, pairs);
    if (e->n_skipped) printf("    %d rows could not be predicted\n", e->n_skipped);
}

int cli_render_predict(const DsRuns *runs, const Law *law, const FitData *d,
                       const FitPrediction *pr, const FitEval *ev, int json) {
    if (json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "law", law->name);
        cJSON_AddNumberToObject(j, "n", pr->n);
        dw_json_add_num(j, "rmse", pr->info.rmse);
        dw_json_add_num(j, "max_abs_err", pr->info.max_abs_err);
        dw_json_add_num(j, "mean_error", pr->mean_error);
        dw_json_add_num(j, "r2", pr->info.r2);
        dw_json_add_num(j, "r2_log", pr->info.r2_log);
        if (ev) cJSON_AddItemToObject(j, "evaluation", eval_json_(NULL, &ev->src[0]));
        cJSON_AddItemToObject(j, "columns", cli_columns_json(runs));
        cJSON *rows = cJSON_AddArrayToObject(j, "rows");
        for (int r = 0; r < d->n; r++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "line", runs->line[r]);
            cJSON_AddNumberToObject(o, "loss", d->loss[r]);
            dw_json_add_num(o, "predicted", law_eval(law, &d->x[r]));
            cJSON_AddItemToArray(rows, o);
        }
        return report_print_json(j);
    }
    report_law_line(stdout, law);
    cli_print_columns(stdout, runs);
    printf("prediction on %s (%d rows): RMSE %.4g, max |error| %.4g, mean error %+.4g "
           "(positive: over-predicts), R² %.4f on L, %.4f on log L\n",
           runs->path, pr->n, pr->info.rmse, pr->info.max_abs_err, pr->mean_error, pr->info.r2,
           pr->info.r2_log);
    if (ev) {
        const FitEvalStats *e = &ev->src[0];
        printf("with the mean error removed (another group's loss level): RMSE %.4g", e->rmse_offset);
        if (e->n_pairs)
            printf("; %lld pairs of runs of different shape at equal tokens and params within "
                   "15%% ordered %.0f%% right (a predicted tie counts half)", e->n_pairs,
                   100 * e->accuracy);
        printf("\n");
    }
    return 0;
}

int cli_render_evaluation(const Law *law, const char *const *names, const FitEval *ev,
                          int json) {
    if (json) {
        cJSON *j = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(j, "sources");
        cJSON_AddStringToObject(j, "law", law->name);
        for (int k = 0; k < ev->nsources; k++)
            cJSON_AddItemToArray(a, eval_json_(names ? names[k] : NULL, &ev->src[k]));
        cJSON_AddItemToObject(j, "all", eval_json_(NULL, &ev->all));
        dw_json_add_num(j, "rmse_pair_differences", ev->rmse_pairdiff);
        cJSON_AddStringToObject(j, "meaning", "offset: the source's level minus the law's "
                                "(mean of L - L_hat); offset removed: RMSE of the errors minus "
                                "their per-source mean; shape pairs: two runs of one source at "
                                "tokens within 2% and params within 15% of different shape, "
                                "ordered right when the law says which ends lower (a predicted "
                                "tie counts half)");
        return report_print_json(j);
    }
    report_law_line(stdout, law);
    printf("prediction per source (offset: the source's loss level minus the law's):\n");
    for (int k = 0; k < ev->nsources; k++) eval_line_(names ? names[k] : "rows", &ev->src[k]);
    if (ev->nsources > 1) eval_line_("all (own offsets removed)", &ev->all);
    printf("shape pairs: runs of one source at tokens within 2%% and params within 15%% but of "
           "another shape; a law that predicts a tie is right half the time\n");
    return 0;
}

// ----------------------------------------------------------------------------
// --compare

static cJSON *compare_row_json_(const FitCompareRow *c) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "form", c->form);
    cJSON_AddBoolToObject(o, "ok", c->ok);
    if (!c->ok) {
        cJSON_AddStringToObject(o, "error", c->why);
        return o;
    }
    cJSON_AddNumberToObject(o, "objective", c->res.info.objective);
    cJSON_AddNumberToObject(o, "params", c->nfree);
    dw_json_add_num(o, "r2", c->res.info.r2);
    dw_json_add_num(o, "r2_log", c->res.info.r2_log);
    dw_json_add_num(o, "rmse", c->res.info.rmse);
    dw_json_add_num(o, "aic", c->res.info.aic);
    dw_json_add_num(o, "bic", c->res.info.bic);
    dw_json_add_num(o, "cv_rmse", c->cv_rmse);
    if (c->src_cv[0].n > 0) { /* a multi-source comparison with CV */
        dw_json_add_num(o, "loso_source_rmse", c->loso_rmse);
        cJSON *a = cJSON_AddArrayToObject(o, "loso_source");
        for (int k = 0; k < LAW_MAX_SOURCES && c->src_cv[k].n; k++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddNumberToObject(e, "source", k);
            cJSON_AddNumberToObject(e, "rows", c->src_cv[k].n);
            dw_json_add_num(e, "rmse_centred", c->src_cv[k].rmse_centred);
            /* as the fitted offsets: the source's level minus the law's */
            dw_json_add_num(e, "offset", -c->src_cv[k].offset);
            if (!c->src_cv[k].ok) cJSON_AddStringToObject(e, "why", c->src_cv[k].why);
            cJSON_AddItemToArray(a, e);
        }
    }
    cJSON_AddBoolToObject(o, "converged", c->converged);
    cJSON_AddStringToObject(o, "status", c->res.info.status);
    if (c->note[0]) cJSON_AddStringToObject(o, "note", c->note);
    return o;
}

int cli_render_compare(const DsRuns *runs, const char *objective, const FitComparison *c,
                       int json) {
    if (json) {
        cJSON *j = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(j, "forms");
        cJSON_AddStringToObject(j, "data", runs->path);
        cJSON_AddNumberToObject(j, "rows", c->nrows);
        cJSON_AddNumberToObject(j, "shapes", c->ngroups);
        cJSON_AddStringToObject(j, "cv", "leave-one-shape-out");
        cJSON_AddItemToObject(j, "columns", cli_columns_json(runs));
        if (c->has_verdict) {
            static const char *kinds[] = {"against", "undecided", "favour"};
            cJSON_AddStringToObject(j, "verdict", c->verdict);
            cJSON_AddStringToObject(j, "verdict_kind", kinds[c->verdict_kind + 1]);
            cJSON_AddBoolToObject(j, "depth_width_term_wins", c->shape_wins);
            cJSON *e = cJSON_AddObjectToObject(j, "evidence");
            cJSON_AddStringToObject(e, "with_term", c->rows[c->best_shape].form);
            cJSON_AddStringToObject(e, "without_term", c->rows[c->best_plain].form);
            cJSON_AddNumberToObject(e, "shapes_paired", c->npaired);
            dw_json_add_num(e, "cv_mse_diff", c->cv_mse_diff);
            dw_json_add_num(e, "cv_mse_diff_se", c->cv_mse_diff_se);
            cJSON_AddStringToObject(e, "meaning", "per held-out shape SSE(without) - "
                                    "SSE(with), pooled over the rows both predicted; > 0 "
                                    "favours the depth-width term; paired standard error");
        }
        for (int k = 0; k < c->n; k++) cJSON_AddItemToArray(arr, compare_row_json_(&c->rows[k]));
        return report_print_json(j);
    }
    if (c->nsources > 1) {
        printf("dwplan fit --compare on %d sources (the first: %s): %d rows, %d shapes within "
               "sources; objective %s; a floor offset per source\n", c->nsources, runs->path,
               c->nrows, c->ngroups, objective);
    } else {
        printf("dwplan fit --compare on %s: %d rows, %d shapes (%s); objective %s\n", runs->path,
               c->nrows, c->ngroups, runs->group_by, objective);
        cli_print_columns(stdout, runs);
    }
    int loso = 0;
    for (int k = 0; k < c->n; k++) loso |= c->rows[k].ok && c->rows[k].src_cv[0].n > 0;
    printf("%-22s %4s %14s %8s %8s %10s %10s %10s%s  %s\n", "form", "k", "objective", "R²",
           "R² log", "AIC", "BIC", "CV RMSE", loso ? "  LOSO-src" : "", "optimizer");
    for (int k = 0; k < c->n; k++) {
        const FitCompareRow *r = &c->rows[k];
        char ls[24] = "";
        if (!r->ok) {
            printf("%-22s  failed: %s\n", r->form, r->why);
            continue;
        }
        if (loso && isfinite(r->loso_rmse)) snprintf(ls, sizeof ls, "  %8.5f", r->loso_rmse);
        else if (loso) snprintf(ls, sizeof ls, "  %8s", "n/a");
        printf("%-22s %4d %14.10g %8.4f %8.4f %10.2f %10.2f %10.5f%s  %s\n", r->form, r->nfree,
               r->res.info.objective, r->res.info.r2, r->res.info.r2_log, r->res.info.aic,
               r->res.info.bic, r->cv_rmse, ls, r->res.info.status);
    }
    if (loso)
        printf("LOSO-src: leave one source out, refit on the others, and predict its runs up to "
               "its own offset (RMSE of the errors minus their mean), pooled over sources; n/a "
               "when a source could not be predicted (e.g. a shape term with no other source "
               "giving depth and width; --json lists each source)\n");
    for (int k = 0; k < c->n; k++)
        if (c->rows[k].ok && c->rows[k].note[0]) printf("note: %s: %s\n", c->rows[k].form, c->rows[k].note);
    printf("ranked by leave-one-shape-out CV RMSE on L (lower is better out of sample); fits "
           "that did not converge rank last\n");
    if (c->has_verdict) printf("%s\n", c->verdict);
    return 0;
}
