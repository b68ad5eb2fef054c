/* cli/cmd_fit.c — `dwplan fit`: fit a law form to run records or a CSV and write a law
 * file with parameters, intervals, fit statistics, conventions and provenance; compare
 * forms out of sample; evaluate a law on new rows; analyse gradient persistence and
 * critical depth. */
#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "common/dw.h"
#include "datasets/table.h"
#include "fit/fit.h"
#include "fit_depth.h"
#include "planner/count.h"
#include "report.h"

#define MAX_DRAWS_STORED 2000

static void help_(void) {
    printf(
        "usage: dwplan fit DATA --form FORM [options] [-o law.json]\n"
        "       dwplan fit DATA --compare FORM,FORM,... [options]\n"
        "       dwplan fit DATA --predict LAW [--json]\n"
        "       dwplan fit DATA --critical-depth [--json]\n"
        "\n"
        "Fits a scaling-law form to DATA (run records as JSON Lines, or any CSV with a header)\n"
        "from a grid of starts and prints parameters with 95%% intervals, R² on L and log L,\n"
        "RMSE, AIC and BIC. With -o it writes a law file that plan, check and law read.\n"
        "\n"
        "forms: kaplan, chinchilla, separable:W,D,N,T (any subset), logsq[:power|:log],\n"
        "       shape[:power|:log], benefit-harm[:power|:log], starvation\n"
        "columns (found by name; override with --map): depth, width, params, tokens, loss\n"
        "       (val_loss preferred over a train loss), flops, grad_norms\n"
        "fitting:\n"
        "  --fix NAME=V[,NAME=V]   hold parameters fixed (e.g. alpha=0.076,delta=0.095)\n"
        "  --bound NAME=LO:HI[,...] bounds (defaults keep scales >= 0, exponents > 0)\n"
        "  --objective lsq|lsq-log|huber   least squares on L (default), on ln L, or Huber on\n"
        "                          ln L summed over rows (Chinchilla's; --delta, default 1e-3)\n"
        "  --asym A                over-predictions weigh (1 + A) times as much (default 0)\n"
        "  --weight COLUMN         per-row weights\n"
        "  --grid G                grid points per nonlinear parameter (default 6, max 128)\n"
        "  --refine K|all          grid starts refined by the optimiser (default 8)\n"
        "  --optimal-at D:W:C      tie B to A so that shape DxW at compute C is compute-optimal\n"
        "                          (for data with too few token counts to split a budget;\n"
        "                          needs alpha and delta fixed)\n"
        "uncertainty and selection:\n"
        "  --bootstrap N           N bootstrap refits: percentile 95%% intervals, stored with\n"
        "                          the draws in the law file (default: asymptotic ±1.96 SE)\n"
        "  --by-shape              resample whole shapes (depth x width) instead of rows\n"
        "  --seed S --threads T    bootstrap seed (default 1) and threads (default: cores)\n"
        "  --cv                    leave-one-shape-out cross-validation RMSE\n"
        "  --compare F1,F2,...     fit each form and rank them by cross-validated RMSE\n"
        "  --predict LAW           evaluate a law file or preset on DATA (out-of-sample error)\n"
        "  --critical-depth        gradient persistence tau per run, tau(W), D_crit per width,\n"
        "                          kappa and (c, beta)\n"
        "data:\n"
        "  --where EXPR            keep rows matching col=v, col!=v, col<v, col<=v, col>v, col>=v\n"
        "  --map FIELD=COL[,...]   use column COL for FIELD\n"
        "  --n-source column|shape N from the params column (default when present) or counted\n"
        "                          from depth and width with the conventions below\n"
        "  conventions of the law (how the planner counts N and C):\n"
        "    --n-convention nonembed|total|12DW2   --flops 6NT|full   --vocab V   --seq-len S\n"
        "    --mlp-ratio R   --swiglu   --tied   --no-biases   --rmsnorm\n"
        "output:\n"
        "  --name NAME --description TEXT --source TEXT   recorded in the law file\n"
        "  -o FILE                 write the law file (atomically)\n"
        "  --json                  machine-readable output\n"
        "\n"
        "Tokens may be derived from a flops column (T = C / FLOPs per token under the\n"
        "conventions) for rows that lack them.\n"
        "\n"
        "examples:\n"
        "  dwplan fit ../shared/data/epoch_chinchilla.csv --where epoch_outlier_excluded=0 \\\n"
        "      --form chinchilla --objective huber --n-convention total --flops 6NT -o law.json\n"
        "  dwplan fit ../shared/data/gemstones_valloss_hot_every10B.csv --objective huber \\\n"
        "      --delta 1e-4 --compare separable:N,T,separable:W,D,N,T,shape:power\n"
        "\n"
        "exit codes: 0 ok, 1 the fit did not converge, 2 usage, 3 bad data, 4 system error\n");
}

// ----------------------------------------------------------------------------
// options

typedef struct {
    const char *forms, *fix, *bounds, *obj, *map, *nsrc, *out, *name, *desc, *source;
    const char *anchor, *compare, *predict, *weight, *refine;
    const char *wheres[32];
    int nwhere;
    const char *file;
    int json, cv, by_shape, critical, boot, threads, grid, seed;
    double delta, asym;
    LawConventions conv;
} FitArgs;

/* "a=1,b=2" → fit_options_fix for each. */
static int parse_fix_(const char *spec, FitOptions *o, const LawForm *f) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        double v;
        if (!eq) return dw_error_set(DW_EINVAL, "--fix '%s': expected NAME=VALUE", tok);
        *eq = '\0';
        if (dw_parse_double(eq + 1, tok, 0, &v)) return DW_EINVAL;
        int rc = fit_options_fix(o, f, tok, v);
        if (rc) return rc;
    }
    return DW_OK;
}

/* "E=-10:10,gamma=0:5" → bounds; an empty side keeps the default. */
static int parse_bounds_(const char *spec, FitOptions *o, const LawForm *f) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '='), *colon = eq ? strchr(eq, ':') : NULL;
        if (!eq || !colon) return dw_error_set(DW_EINVAL, "--bound '%s': expected NAME=LO:HI", tok);
        *eq = *colon = '\0';
        int i = law_form_param_index(f, tok);
        if (i < 0) return dw_error_set(DW_ENOTFOUND, "--bound: the form has no parameter '%s'", tok);
        if (eq[1] && dw_parse_double(eq + 1, "--bound LO", 0, &o->lo[i])) return DW_EINVAL;
        if (colon[1] && dw_parse_double(colon + 1, "--bound HI", 0, &o->hi[i])) return DW_EINVAL;
        if (!(o->lo[i] < o->hi[i])) return dw_error_set(DW_EINVAL, "--bound %s: LO must be < HI", tok);
    }
    return DW_OK;
}

/* Returns 1 when argv[*i] was consumed, 0 when unknown, or a negative exit code. */
static int parse_arg_(int argc, char **argv, int *i, FitArgs *a) {
    const char *v;
    int r;
    const CliOpt opts[] = {
        CLI_OPT_FLAG("--json", &a->json),          CLI_OPT_FLAG("--swiglu", &a->conv.swiglu),
        CLI_OPT_FLAG("--tied", &a->conv.tied),     CLI_OPT_FLAG("--rmsnorm", &a->conv.rmsnorm),
        CLI_OPT_FLAG("--cv", &a->cv),              CLI_OPT_FLAG("--by-shape", &a->by_shape),
        CLI_OPT_FLAG("--critical-depth", &a->critical),
        CLI_OPT_STR("--form", &a->forms),          CLI_OPT_STR("--fix", &a->fix),
        CLI_OPT_STR("--objective", &a->obj),       CLI_OPT_STR("--map", &a->map),
        CLI_OPT_STR("--n-source", &a->nsrc),       CLI_OPT_STR("-o", &a->out),
        CLI_OPT_STR("--name", &a->name),           CLI_OPT_STR("--description", &a->desc),
        CLI_OPT_STR("--source", &a->source),       CLI_OPT_STR("--optimal-at", &a->anchor),
        CLI_OPT_STR("--bound", &a->bounds),        CLI_OPT_STR("--compare", &a->compare),
        CLI_OPT_STR("--predict", &a->predict),     CLI_OPT_STR("--weight", &a->weight),
        CLI_OPT_STR("--refine", &a->refine),
        CLI_OPT_NUM("--delta", &a->delta, 0, 0),   CLI_OPT_NUM("--asym", &a->asym, -1, 0),
        CLI_OPT_NUM("--mlp-ratio", &a->conv.mlp_ratio, 0, 0),
        CLI_OPT_INT("--grid", &a->grid, 1, 128),   CLI_OPT_INT("--vocab", &a->conv.vocab, 1, 100000000),
        CLI_OPT_INT("--seq-len", &a->conv.seq_len, 1, 100000000),
        CLI_OPT_INT("--bootstrap", &a->boot, 1, 1000000),
        CLI_OPT_INT("--threads", &a->threads, 1, 64), CLI_OPT_INT("--seed", &a->seed, 0, 2147483647)};
    if ((r = cli_parse_opt(argc, argv, i, opts, sizeof opts / sizeof opts[0], "fit")) != 0) return r;
    if (cli_flag(argv[*i], "--no-biases")) {
        a->conv.biases = 0;
        return 1;
    }
    if ((r = cli_opt(argc, argv, i, "--where", &v, "fit")) != 0) {
        if (r < 0) return -EXIT_USAGE;
        if (a->nwhere == 32) return -cli_usage_error("fit", "at most 32 --where filters");
        a->wheres[a->nwhere++] = v;
        return 1;
    }
    if ((r = cli_opt(argc, argv, i, "--n-convention", &v, "fit")) != 0) {
        if (r < 0) return -EXIT_USAGE;
        if (!strcmp(v, "nonembed")) a->conv.params = LAW_PARAMS_NONEMBED;
        else if (!strcmp(v, "total")) a->conv.params = LAW_PARAMS_TOTAL;
        else if (!strcmp(v, "12DW2")) a->conv.params = LAW_PARAMS_12DW2;
        else return -cli_usage_error("fit", "--n-convention: nonembed, total or 12DW2");
        return 1;
    }
    if ((r = cli_opt(argc, argv, i, "--flops", &v, "fit")) != 0) {
        if (r < 0) return -EXIT_USAGE;
        if (!strcmp(v, "6NT")) a->conv.flops = LAW_FLOPS_6NT;
        else if (!strcmp(v, "full")) a->conv.flops = LAW_FLOPS_FULL;
        else return -cli_usage_error("fit", "--flops: 6NT or full");
        return 1;
    }
    return 0;
}

// ----------------------------------------------------------------------------
// data

typedef struct {
    DsTable *t;
    FitData d;
    int *group;       /* shape id per row */
    int ngroups;
    const char *group_by;
    int has_dw, has_n, has_t; /* inputs available */
    double *buf;      /* backing store */
} FitInput;

static void input_free_(FitInput *in) {
    ds_table_free(in->t);
    free(in->d.x), free(in->d.loss), free(in->d.weight), free(in->group), free(in->buf);
    memset(in, 0, sizeof *in);
}

/* Reads, filters and converts the data file; N, T derived per the conventions where
 * needed. Every input is loaded that the file allows; forms check what they need. */
static int input_load_(const FitArgs *a, FitInput *in) {
    int rc, col[6], n;
    static const char *fields[6] = {"depth", "width", "params", "tokens", "loss", "flops"};
    memset(in, 0, sizeof *in);
    if ((rc = ds_table_read(a->file, &in->t))) return rc;
    for (int k = 0; k < a->nwhere; k++)
        if ((rc = ds_table_where(in->t, a->wheres[k]))) return rc;
    DsTable *t = in->t;
    if (t->nrows == 0)
        return dw_error_set(DW_EPARSE, "%s: no rows left to fit%s", a->file,
                            a->nwhere ? " after --where" : "");
    for (int k = 0; k < 6; k++)
        if ((rc = ds_table_resolve(t, fields[k], ds_aliases(fields[k]), a->map, &col[k]))) return rc;
    if (col[4] < 0)
        return dw_error_set(DW_EPARSE, "%s: no loss column (looked for val_loss, eval_loss, loss, "
                            "L; use --map loss=COLUMN)", a->file);
    if (a->nsrc && strcmp(a->nsrc, "shape") && strcmp(a->nsrc, "column"))
        return dw_error_set(DW_EINVAL, "--n-source: column or shape");
    int use_shape = a->nsrc ? !strcmp(a->nsrc, "shape") : col[2] < 0;
    in->has_dw = col[0] >= 0 && col[1] >= 0;
    if (use_shape && !in->has_dw)
        return dw_error_set(DW_EPARSE, "%s: counting N from the shape needs depth and width "
                            "columns", a->file);
    n = t->nrows;
    in->d.n = n;
    in->d.x = calloc((size_t)n, sizeof *in->d.x);
    in->d.loss = calloc((size_t)n, sizeof *in->d.loss);
    in->group = calloc((size_t)n, sizeof *in->group);
    in->buf = calloc((size_t)n * 5, sizeof *in->buf);
    if (!in->d.x || !in->d.loss || !in->group || !in->buf)
        return dw_error_set(DW_ENOMEM, "out of memory for %d rows", n);
    double *dep = in->buf, *wid = dep + n, *par = wid + n, *tok = par + n, *flo = tok + n;
    if ((rc = ds_table_numeric(t, col[4], 1, in->d.loss))) return rc;
    if (in->has_dw && ((rc = ds_table_numeric(t, col[0], 1, dep)) ||
                       (rc = ds_table_numeric(t, col[1], 1, wid))))
        return rc;
    if (!use_shape && col[2] >= 0 && (rc = ds_table_numeric(t, col[2], 1, par))) return rc;
    if (a->weight) {
        int wc = ds_table_col(t, a->weight);
        if (wc < 0) return dw_error_set(DW_ENOTFOUND, "%s: no column '%s' for --weight", a->file, a->weight);
        if (!(in->d.weight = malloc(sizeof(double) * n))) return DW_ENOMEM;
        if ((rc = ds_table_numeric(t, wc, 1, in->d.weight))) return rc;
    }
    /* tokens: from the column; rows without tokens may derive them from FLOPs */
    for (int j = 0; j < n; j++) {
        const char *tc = col[3] >= 0 ? ds_table_cell(t, j, col[3]) : NULL;
        const char *fc = col[5] >= 0 ? ds_table_cell(t, j, col[5]) : NULL;
        double tv = col[3] >= 0 ? ds_table_num(t, j, col[3]) : NAN;
        double fv = col[5] >= 0 ? ds_table_num(t, j, col[5]) : NAN;
        if (tc) {
            if (!(tv > 0 && isfinite(tv)))
                return dw_error_set(DW_EPARSE, "%s:%d: column '%s': '%s' is not a positive number",
                                    a->file, t->line[j], t->colnames[col[3]], tc);
            tok[j] = tv;
        } else if (fc) {
            if (!(fv > 0 && isfinite(fv)))
                return dw_error_set(DW_EPARSE, "%s:%d: column '%s': '%s' is not a positive number",
                                    a->file, t->line[j], t->colnames[col[5]], fc);
            if (!in->has_dw)
                return dw_error_set(DW_EPARSE, "%s:%d: no tokens; deriving them from FLOPs needs "
                                    "depth and width columns", a->file, t->line[j]);
            flo[j] = fv;
        } else if (col[3] >= 0 || col[5] >= 0) {
            return dw_error_set(DW_EPARSE, "%s:%d: neither tokens nor flops given", a->file,
                                t->line[j]);
        }
    }
    in->has_t = col[3] >= 0 || col[5] >= 0;
    in->has_n = use_shape || col[2] >= 0;
    for (int j = 0; j < n; j++) {
        if (in->has_dw) {
            PlanShape s;
            double np, fpt;
            plan_shape_from_conventions(&s, &a->conv, dep[j], wid[j]);
            plan_law_counts(&a->conv, &s, &np, &fpt);
            if (use_shape) par[j] = np;
            if (flo[j] > 0) tok[j] = flo[j] / fpt;
            if ((use_shape || flo[j] > 0) && !(np > 0))
                return dw_error_set(DW_EPARSE, "%s:%d: cannot count parameters of depth %g "
                                    "width %g: %s", a->file, t->line[j], dep[j], wid[j],
                                    dw_error_get());
        }
        in->d.x[j] = (LawX){dep[j], wid[j], par[j], tok[j]};
    }
    /* an exact duplicate (same inputs and loss) is almost always a record written twice */
    for (int j = 1; j < n; j++)
        for (int k = 0; k < j; k++)
            if (!memcmp(&in->d.x[j], &in->d.x[k], sizeof(LawX)) && in->d.loss[j] == in->d.loss[k])
                return dw_error_set(DW_EPARSE, "%s:%d: duplicate of line %d (same inputs and "
                                    "loss): remove it, or add a distinguishing column and filter "
                                    "with --where", a->file, t->line[j], t->line[k]);
    /* shapes: (depth, width) when present, else the parameter count */
    in->group_by = in->has_dw ? "depth x width" : "params";
    for (int j = 0; j < n; j++) {
        in->group[j] = j;
        for (int k = 0; k < j; k++) {
            int same = in->has_dw ? dep[j] == dep[k] && wid[j] == wid[k] : par[j] == par[k];
            if (same) {
                in->group[j] = in->group[k];
                break;
            }
        }
        if (in->group[j] == j) in->ngroups++;
    }
    return DW_OK;
}

/* Form needs vs what the file gave (o: the fit's options, for fixed terms; may be NULL). */
static int input_covers_(const FitInput *in, const LawForm *f, const FitOptions *o,
                         const char *file) {
    unsigned need = law_form_inputs(f);
    char ft[96];
    law_form_text(f, ft, sizeof ft);
    if ((need & (LAW_BIT(LAW_D) | LAW_BIT(LAW_W))) && !in->has_dw)
        return dw_error_set(DW_EPARSE, "%s: form '%s' needs depth and width columns (use --map)", file, ft);
    if ((need & LAW_BIT(LAW_N)) && !in->has_n)
        return dw_error_set(DW_EPARSE, "%s: form '%s' needs a params column, or depth and width "
                            "with --n-source shape", file, ft);
    if ((need & LAW_BIT(LAW_T)) && !in->has_t)
        return dw_error_set(DW_EPARSE, "%s: form '%s' needs a tokens (or flops) column", file, ft);
    return fit_check_identifiable(f, &in->d, o);
}

// ----------------------------------------------------------------------------
// fitting one form

static int options_for_(const FitArgs *a, const LawForm *f, FitOptions *o) {
    int rc;
    fit_options_default(o, f);
    o->grid = (int)a->grid;
    o->huber_delta = a->delta;
    o->asym = a->asym;
    if (!strcmp(a->obj, "lsq")) o->objective = FIT_LSQ;
    else if (!strcmp(a->obj, "lsq-log")) o->objective = FIT_LSQ_LOG;
    else if (!strcmp(a->obj, "huber")) o->objective = FIT_HUBER_LOG;
    else return dw_error_set(DW_EINVAL, "--objective: lsq, lsq-log or huber (got '%s')", a->obj);
    if (a->refine) {
        long k;
        if (!strcmp(a->refine, "all")) o->refine = -1;
        else if (dw_parse_int(a->refine, "--refine", 1, 1000000, &k)) return DW_EINVAL;
        else o->refine = (int)k;
    }
    if (a->fix && (rc = parse_fix_(a->fix, o, f))) return rc;
    if (a->bounds && (rc = parse_bounds_(a->bounds, o, f))) return rc;
    if (a->anchor) {
        double dwc[3];
        char buf[128];
        snprintf(buf, sizeof buf, "%s", a->anchor);
        char *save = NULL, *tok = strtok_r(buf, ":", &save);
        for (int k = 0; k < 3; k++, tok = strtok_r(NULL, ":", &save))
            if (!tok || dw_parse_double(tok, "--optimal-at", 1, &dwc[k]) || !(dwc[k] > 0))
                return dw_error_set(DW_EINVAL, "--optimal-at wants DEPTH:WIDTH:COMPUTE, e.g. 32:4096:5.89e21");
        PlanShape as;
        double fpt;
        plan_shape_from_conventions(&as, &a->conv, dwc[0], dwc[1]);
        plan_law_counts(&a->conv, &as, &o->anchor_n, &fpt);
        o->anchor_t = dwc[2] / fpt;
    }
    return DW_OK;
}

static int threads_(const FitArgs *a) {
    if (a->threads > 0) return a->threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n < 64 ? (int)n : 1;
}

// ----------------------------------------------------------------------------
// modes

/* --predict LAW: out-of-sample error of an existing law on these rows. */
static int run_predict_(const FitArgs *a, FitInput *in) {
    Law *law = NULL;
    int rc = law_load(a->predict, &law);
    if (rc) return cli_fail("fit", rc);
    if ((rc = input_covers_(in, &law->form, NULL, a->file)) && rc != DW_EINVAL) {
        law_free(law);
        return cli_fail("fit", rc);
    }
    LawFitInfo info;
    fit_stats(&law->form, law->p, &in->d, FIT_LSQ, 0, &info);
    double bias = 0;
    for (int j = 0; j < in->d.n; j++) bias += law_eval(law, &in->d.x[j]) - in->d.loss[j];
    bias /= in->d.n;
    if (a->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "law", law->name);
        cJSON_AddNumberToObject(j, "n", in->d.n);
        cJSON_AddNumberToObject(j, "rmse", info.rmse);
        cJSON_AddNumberToObject(j, "max_abs_err", info.max_abs_err);
        cJSON_AddNumberToObject(j, "mean_error", bias);
        cJSON_AddNumberToObject(j, "r2", info.r2);
        cJSON_AddNumberToObject(j, "r2_log", info.r2_log);
        cJSON *rows = cJSON_AddArrayToObject(j, "rows");
        for (int r = 0; r < in->d.n; r++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "line", in->t->line[r]);
            cJSON_AddNumberToObject(o, "loss", in->d.loss[r]);
            cJSON_AddNumberToObject(o, "predicted", law_eval(law, &in->d.x[r]));
            cJSON_AddItemToArray(rows, o);
        }
        law_free(law);
        return report_print_json(j);
    }
    report_law_line(stdout, law);
    printf("prediction on %s (%d rows): RMSE %.4g, max |error| %.4g, mean error %+.4g "
           "(positive: over-predicts), R² %.4f on L, %.4f on log L\n",
           a->file, in->d.n, info.rmse, info.max_abs_err, bias, info.r2, info.r2_log);
    law_free(law);
    return 0;
}

typedef struct {
    char form[96];
    int ok;
    FitResult r;
    double cv, cv_log;
    int nfree, folds;
    char why[256];
} CompareRow;

static int cmp_rows_(const void *x, const void *y) {
    const CompareRow *a = x, *b = y;
    double u = a->ok ? a->cv : INFINITY, v = b->ok ? b->cv : INFINITY;
    if (isnan(u)) u = INFINITY;
    if (isnan(v)) v = INFINITY;
    return (u > v) - (u < v);
}

/* --compare: every form on the same rows, ranked by leave-one-shape-out CV RMSE. */
static int run_compare_(const FitArgs *a, FitInput *in) {
    CompareRow rows[16];
    int nr = 0;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", a->compare);
    /* split "F1,F2,...": a comma followed by one variable letter (W, D, N, T) and then a
     * comma or the end continues a separable list, as in "separable:W,D,N,T,chinchilla" */
    char *p = buf;
    while (*p && nr < 16) {
        char *end = p;
        while ((end = strchr(end, ',')) && strchr("WDNTwdnt", end[1]) && end[1] &&
               (end[2] == ',' || end[2] == '\0'))
            end++;
        if (end) *end = '\0';
        if (strlen(p) >= sizeof rows[nr].form)
            return cli_usage_error("fit", "--compare: form name too long: '%.40s...'", p);
        memcpy(rows[nr].form, p, strlen(p) + 1);
        nr++;
        p = end ? end + 1 : p + strlen(p);
    }
    for (int k = 0; k < nr; k++) {
        CompareRow *c = &rows[k];
        LawForm f;
        FitOptions o;
        int rc;
        c->ok = 0;
        c->cv = c->cv_log = NAN;
        if ((rc = law_form_parse(c->form, &f)) || (rc = options_for_(a, &f, &o)) ||
            (rc = input_covers_(in, &f, &o, a->file)) || (rc = fit_run(&f, &in->d, &o, &c->r))) {
            snprintf(c->why, sizeof c->why, "%s", dw_error_get());
            continue;
        }
        law_form_text(&f, c->form, sizeof c->form);
        c->ok = 1;
        c->nfree = 0;
        for (int i = 0; i < f.np; i++) c->nfree += !(o.fixed >> i & 1);
        fit_cv_groups(&f, &in->d, &o, &c->r, in->group, &c->cv, &c->cv_log, &c->folds);
        if (!a->json) fprintf(stderr, "dwplan fit: %s done (objective %.10g)\n", c->form, c->r.info.objective);
    }
    qsort(rows, (size_t)nr, sizeof rows[0], cmp_rows_);
    /* the question users ask: does a depth-width term help out of sample? */
    const CompareRow *best_shape = NULL, *best_plain = NULL;
    for (int k = 0; k < nr; k++) {
        LawForm f;
        if (!rows[k].ok || !isfinite(rows[k].cv) || law_form_parse(rows[k].form, &f)) continue;
        const CompareRow **slot = law_form_has_shape(&f) ? &best_shape : &best_plain;
        if (!*slot) *slot = &rows[k];
    }
    char verdict[320] = "";
    if (best_shape && best_plain)
        snprintf(verdict, sizeof verdict,
                 "%s a depth-width term: %s (CV RMSE %.5f) vs the best form without one, %s "
                 "(%.5f), out of sample",
                 best_shape->cv < best_plain->cv ? "the data favour" : "the data do not favour",
                 best_shape->form, best_shape->cv, best_plain->form, best_plain->cv);
    if (a->json) {
        cJSON *j = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(j, "forms");
        cJSON_AddStringToObject(j, "data", a->file);
        cJSON_AddNumberToObject(j, "rows", in->d.n);
        cJSON_AddNumberToObject(j, "shapes", in->ngroups);
        cJSON_AddStringToObject(j, "cv", "leave-one-shape-out");
        if (verdict[0]) {
            cJSON_AddStringToObject(j, "verdict", verdict);
            cJSON_AddBoolToObject(j, "depth_width_term_wins", best_shape->cv < best_plain->cv);
        }
        for (int k = 0; k < nr; k++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "form", rows[k].form);
            cJSON_AddBoolToObject(o, "ok", rows[k].ok);
            if (rows[k].ok) {
                cJSON_AddNumberToObject(o, "objective", rows[k].r.info.objective);
                cJSON_AddNumberToObject(o, "params", rows[k].nfree);
                cJSON_AddNumberToObject(o, "r2", rows[k].r.info.r2);
                cJSON_AddNumberToObject(o, "r2_log", rows[k].r.info.r2_log);
                cJSON_AddNumberToObject(o, "rmse", rows[k].r.info.rmse);
                cJSON_AddNumberToObject(o, "aic", rows[k].r.info.aic);
                cJSON_AddNumberToObject(o, "bic", rows[k].r.info.bic);
                if (isfinite(rows[k].cv)) cJSON_AddNumberToObject(o, "cv_rmse", rows[k].cv);
                else cJSON_AddNullToObject(o, "cv_rmse");
                cJSON_AddStringToObject(o, "status", rows[k].r.info.status);
            } else {
                cJSON_AddStringToObject(o, "error", rows[k].why);
            }
            cJSON_AddItemToArray(arr, o);
        }
        return report_print_json(j);
    }
    printf("dwplan fit --compare on %s: %d rows, %d shapes (%s); objective %s\n", a->file,
           in->d.n, in->ngroups, in->group_by, a->obj);
    printf("%-22s %4s %14s %8s %8s %10s %10s %10s  %s\n", "form", "k", "objective", "R²",
           "R² log", "AIC", "BIC", "CV RMSE", "optimizer");
    for (int k = 0; k < nr; k++) {
        const CompareRow *c = &rows[k];
        if (!c->ok) {
            printf("%-22s  failed: %s\n", c->form, c->why);
            continue;
        }
        printf("%-22s %4d %14.10g %8.4f %8.4f %10.2f %10.2f %10.5f  %s\n", c->form, c->nfree,
               c->r.info.objective, c->r.info.r2, c->r.info.r2_log, c->r.info.aic,
               c->r.info.bic, c->cv, c->r.info.status);
    }
    printf("ranked by leave-one-shape-out CV RMSE on L (lower is better out of sample)\n");
    if (verdict[0]) printf("%s\n", verdict);
    return 0;
}

// ----------------------------------------------------------------------------
// main

static int add_provenance_(Law *law, const FitArgs *a, int argc, char **argv, int nrows,
                           const char *ci_method, const FitOptions *o) {
    cJSON *prov = cJSON_CreateObject();
    char sha[65], now[32];
    if (!prov) return DW_ENOMEM;
    if (a->source) cJSON_AddStringToObject(prov, "source", a->source);
    cJSON *files_j = cJSON_AddArrayToObject(prov, "data");
    cJSON *fo = cJSON_CreateObject();
    const char *base = strrchr(a->file, '/');
    cJSON_AddStringToObject(fo, "file", base ? base + 1 : a->file);
    if (dw_sha256_file(a->file, sha) == DW_OK) cJSON_AddStringToObject(fo, "sha256", sha);
    cJSON_AddNumberToObject(fo, "rows_used", nrows);
    if (a->nwhere) {
        cJSON *w = cJSON_AddArrayToObject(fo, "where");
        for (int k = 0; k < a->nwhere; k++) cJSON_AddItemToArray(w, cJSON_CreateString(a->wheres[k]));
    }
    cJSON_AddItemToArray(files_j, fo);
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
    cJSON_AddStringToObject(prov, "ci_method", ci_method);
    if (o->anchor_n > 0) {
        cJSON *an = cJSON_AddObjectToObject(prov, "optimal_at");
        cJSON_AddStringToObject(an, "spec", a->anchor);
        cJSON_AddNumberToObject(an, "params", o->anchor_n);
        cJSON_AddNumberToObject(an, "tokens", o->anchor_t);
        cJSON_AddStringToObject(an, "meaning", "B tied to A so that this shape and budget "
                                "is the compute-optimal N/T split under C = 6NT");
    }
    law->provenance_json = cJSON_PrintUnformatted(prov);
    cJSON_Delete(prov);
    return law->provenance_json ? DW_OK : DW_ENOMEM;
}

int cmd_fit(int argc, char **argv) {
    FitArgs a = {.obj = "lsq", .grid = 6, .seed = 1, .delta = 1e-3};
    FitInput in = {0};
    Law *law = NULL;
    double *draws = NULL;
    int code = 0, rc;
    law_conventions_default(&a.conv);

    for (int i = 1; i < argc; i++) {
        if (cli_flag(argv[i], "--help") || cli_flag(argv[i], "-h")) {
            help_();
            return 0;
        }
        int r = parse_arg_(argc, argv, &i, &a);
        if (r < 0) return -r;
        if (r > 0) continue;
        if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error("fit", "unknown option '%s'", argv[i]);
        if (a.file) return cli_usage_error("fit", "one data file at a time (got '%s' and '%s')", a.file, argv[i]);
        a.file = argv[i];
    }
    if (!a.file) return cli_usage_error("fit", "no data file given");
    int modes = !!a.forms + !!a.compare + !!a.predict + a.critical;
    if (modes != 1)
        return cli_usage_error("fit", "give exactly one of --form, --compare, --predict, --critical-depth");
    if (a.by_shape && !a.boot) return cli_usage_error("fit", "--by-shape goes with --bootstrap N");
    if (a.asym < 0) return cli_usage_error("fit", "--asym must be >= 0");

    if (a.critical) {
        DsTable *t = NULL;
        if ((rc = ds_table_read(a.file, &t))) return cli_fail("fit", rc);
        for (int k = 0; k < a.nwhere; k++)
            if ((rc = ds_table_where(t, a.wheres[k]))) {
                ds_table_free(t);
                return cli_fail("fit", rc);
            }
        code = cli_fit_depth(a.file, t, a.map, a.json);
        ds_table_free(t);
        return code;
    }
    LawForm form;
    FitOptions opt;
    if (a.forms) {
        if ((rc = law_form_parse(a.forms, &form))) return cli_fail("fit", rc);
        if ((rc = options_for_(&a, &form, &opt))) return cli_fail("fit", rc);
    } else {
        LawForm any;
        law_form_parse("chinchilla", &any);
        if ((rc = options_for_(&a, &any, &opt))) return cli_fail("fit", rc);
    }
    if ((rc = input_load_(&a, &in))) {
        code = cli_fail("fit", rc);
        goto out;
    }
    if (a.predict) {
        code = run_predict_(&a, &in);
        goto out;
    }
    if (a.compare) {
        code = run_compare_(&a, &in);
        goto out;
    }
    if ((rc = input_covers_(&in, &form, &opt, a.file))) {
        code = cli_fail("fit", rc == DW_EINVAL ? DW_EPARSE : rc);
        goto out;
    }

    FitResult res;
    if ((rc = fit_run(&form, &in.d, &opt, &res))) {
        code = cli_fail("fit", rc);
        goto out;
    }
    int converged = strncmp(res.info.status, "converged", 9) == 0;
    if (a.cv || a.boot) {
        /* CV comes first: quick, and it tells whether the bootstrap is worth waiting for */
        double cvl;
        int folds;
        if (a.cv && fit_cv_groups(&form, &in.d, &opt, &res, in.group, &res.info.cv_rmse, &cvl,
                                  &folds) != DW_OK)
            fprintf(stderr, "dwplan fit: cross-validation skipped: %s\n", dw_error_get());
    }
    if (!(law = law_alloc(&form))) {
        code = EXIT_SYSTEM;
        goto out;
    }
    memcpy(law->p, res.p, sizeof law->p);
    law->fixed = opt.fixed;
    law->conv = a.conv;
    law->fit = res.info;
    char ci_method[160];
    snprintf(ci_method, sizeof ci_method, "none: the Jacobian is rank-deficient or no rows are "
             "left over for an error estimate");
    if (res.has_cov) {
        law->has_se = law->has_cov = 1;
        memcpy(law->se, res.se, sizeof law->se);
        memcpy(law->cov, res.cov, sizeof law->cov);
        for (int i = 0; i < form.np; i++)
            if (!(opt.fixed >> i & 1)) {
                law->has_ci[i] = 1;
                law->ci[i][0] = res.p[i] - 1.96 * res.se[i];
                law->ci[i][1] = res.p[i] + 1.96 * res.se[i];
            }
        snprintf(ci_method, sizeof ci_method,
                 "asymptotic: estimate ± 1.96 SE from the Jacobian at the optimum");
    }
    if (a.boot && converged) {
        FitBootOptions bo = {.n = a.boot, .group = a.by_shape ? in.group : NULL,
                             .seed = (unsigned long)a.seed,
                             .threads = threads_(&a)};
        int nok = 0;
        if (!(draws = malloc(sizeof(double) * form.np * a.boot))) {
            code = EXIT_SYSTEM;
            goto out;
        }
        if (!a.json)
            fprintf(stderr, "dwplan fit: %d bootstrap refits (%s) on %d threads...\n", a.boot,
                    a.by_shape ? "whole shapes" : "rows", bo.threads);
        if ((rc = fit_bootstrap(&form, &in.d, &opt, &res, &bo, draws, &nok))) {
            code = cli_fail("fit", rc);
            goto out;
        }
        if (nok >= 20) {
            double ci[LAW_MAXP][2];
            fit_percentile_ci(&form, draws, nok, ci);
            for (int i = 0; i < form.np; i++)
                if (!(opt.fixed >> i & 1)) {
                    law->has_ci[i] = 1;
                    law->ci[i][0] = ci[i][0], law->ci[i][1] = ci[i][1];
                }
            int keep = nok < MAX_DRAWS_STORED ? nok : MAX_DRAWS_STORED;
            if ((law->draws = malloc(sizeof(double) * form.np * keep))) {
                memcpy(law->draws, draws, sizeof(double) * form.np * keep);
                law->ndraws = keep;
            }
            snprintf(ci_method, sizeof ci_method,
                     "bootstrap: 95%% percentile over %d of %d refits (%s, seed %d)", nok, a.boot,
                     a.by_shape ? "whole shapes resampled" : "rows resampled", a.seed);
        } else {
            fprintf(stderr, "dwplan fit: only %d of %d bootstrap refits converged: keeping the "
                    "asymptotic intervals\n", nok, a.boot);
        }
    }
    snprintf(law->name, sizeof law->name, "%s", a.name ? a.name : "fitted");
    if (a.desc) snprintf(law->description, sizeof law->description, "%s", a.desc);
    if (a.nsrc && !strcmp(a.nsrc, "shape"))
        snprintf(law->conv.note, sizeof law->conv.note,
                 "N counted from depth and width with these conventions (the data's own "
                 "parameter column, if any, was not used)");
    if ((rc = add_provenance_(law, &a, argc, argv, in.d.n, ci_method, &opt))) {
        code = cli_fail("fit", rc);
        goto out;
    }
    if (a.json) {
        code = report_print_json(report_law_json(law));
    } else {
        char ftext[96];
        law_form_text(&form, ftext, sizeof ftext);
        printf("dwplan fit: %s on %s (%d rows, %d shapes, %d grid starts)\n", ftext, a.file,
               in.d.n, in.ngroups, res.nstarts);
        report_law_params(stdout, law);
        printf("intervals: %s\n", ci_method);
        printf("objective %s = %.10g\n", res.info.objective_kind, res.info.objective);
        printf("R² = %.4f on L, %.4f on log L;  RMSE %.4g;  max |error| %.4g;  AIC %.2f  BIC %.2f\n",
               res.info.r2, res.info.r2_log, res.info.rmse, res.info.max_abs_err, res.info.aic,
               res.info.bic);
        if (isfinite(res.info.cv_rmse))
            printf("leave-one-shape-out CV RMSE %.4g (%d shapes)\n", res.info.cv_rmse, in.ngroups);
        printf("optimizer: %s\n", res.info.status);
        if (opt.anchor_n > 0)
            printf("B is tied to A by --optimal-at (B = %.6g)\n", res.p[law_form_param_index(&form, "B")]);
    }
    if (!converged) {
        fprintf(stderr, "dwplan fit: the optimizer did not converge (%s)%s\n", res.info.status,
                a.out ? "; no law file written" : "");
        code = EXIT_RESULT;
        goto out;
    }
    if (a.out && (rc = law_write(law, a.out))) code = cli_fail("fit", rc);
    else if (a.out && !a.json) printf("wrote %s\n", a.out);
out:
    input_free_(&in);
    law_free(law);
    free(draws);
    return code;
}
