/* cli/cmd_fit.c — `dwplan fit`: fit a law form to run records or a CSV and write a law
 * file with parameters, intervals, fit statistics, conventions and provenance. */
#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/dw.h"
#include "datasets/table.h"
#include "fit/fit.h"
#include "planner/count.h"
#include "report.h"

static void help_(void) {
    printf(
        "usage: dwplan fit DATA --form FORM [options] [-o law.json]\n"
        "\n"
        "Fits a scaling-law form to DATA (run records as JSON Lines, or any CSV with a header)\n"
        "from a grid of starts, and prints parameters with 95%% intervals (asymptotic, ±1.96\n"
        "SE), R² on L and log L, RMSE, AIC and BIC. With -o it writes a law file that plan,\n"
        "check and law read.\n"
        "\n"
        "forms: kaplan, chinchilla, separable:W,D,N,T (any subset), logsq[:power|:log],\n"
        "       shape[:power|:log], benefit-harm[:power|:log], starvation\n"
        "columns (found by name; override with --map): depth, width, params, tokens, loss\n"
        "       (val_loss preferred over a train loss), flops\n"
        "options:\n"
        "  --fix NAME=V[,NAME=V]   hold parameters fixed (e.g. alpha=0.076,delta=0.095)\n"
        "  --bound NAME=LO:HI[,...] bounds (defaults keep scales >= 0, exponents > 0)\n"
        "  --objective lsq|lsq-log|huber   least squares on L (default), on ln L, or Huber on\n"
        "                          ln L (Chinchilla's objective; --delta, default 1e-3)\n"
        "  --where EXPR            keep rows matching col=v, col!=v, col<v, col<=v, col>v, col>=v\n"
        "  --map FIELD=COL[,...]   use column COL for FIELD\n"
        "  --n-source column|shape N from the params column (default when present) or counted\n"
        "                          from depth and width with the conventions below\n"
        "  conventions of the law (how the planner counts N and C):\n"
        "    --n-convention nonembed|total|12DW2   --flops 6NT|full   --vocab V   --seq-len S\n"
        "    --mlp-ratio R   --swiglu   --tied   --no-biases   --rmsnorm\n"
        "  --name NAME --description TEXT --source TEXT   recorded in the law file\n"
        "  --grid G                grid points per nonlinear parameter (default 6)\n"
        "  --optimal-at D:W:C      tie B to A so that shape DxW at compute C is compute-optimal\n"
        "                          (for data with too few token counts to split a budget;\n"
        "                          needs alpha and delta fixed)\n"
        "  -o FILE                 write the law file (atomically)\n"
        "  --json                  print the law as JSON\n"
        "\n"
        "Tokens may be derived from a flops column (T = C / FLOPs per token under the\n"
        "conventions) for rows that lack them.\n"
        "\n"
        "example:\n"
        "  dwplan fit ../shared/data/epoch_chinchilla.csv --where epoch_outlier_excluded=0 \\\n"
        "      --form chinchilla --objective huber --n-convention total --flops 6NT -o law.json\n"
        "\n"
        "exit codes: 0 ok, 1 the fit did not converge, 2 usage, 3 bad data, 4 system error\n");
}

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

static int add_json_escaped_cmdline_(cJSON *prov, int argc, char **argv) {
    size_t n = 16;
    for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 1;
    char *s = malloc(n);
    if (!s) return DW_ENOMEM;
    strcpy(s, "dwplan fit");
    for (int i = 1; i < argc; i++) strcat(strcat(s, " "), argv[i]);
    cJSON_AddStringToObject(prov, "command", s);
    free(s);
    return DW_OK;
}

int cmd_fit(int argc, char **argv) {
    const char *form_s = NULL, *fix = NULL, *obj_s = "lsq", *map = NULL, *nsrc = NULL,
               *out_path = NULL, *name = NULL, *desc = NULL, *source = NULL, *anchor = NULL, *bounds = NULL, *v;
    const char *wheres[32], *files[16];
    int nwhere = 0, nfiles = 0, json = 0, r, rc, code = 0;
    double delta = 1e-3;
    long grid = 6;
    LawConventions conv;
    law_conventions_default(&conv);

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long li;
        if (cli_flag(a, "--help") || cli_flag(a, "-h")) {
            help_();
            return 0;
        }
        if (cli_flag(a, "--json")) { json = 1; continue; }
        if (cli_flag(a, "--swiglu")) { conv.swiglu = 1; continue; }
        if (cli_flag(a, "--tied")) { conv.tied = 1; continue; }
        if (cli_flag(a, "--no-biases")) { conv.biases = 0; continue; }
        if (cli_flag(a, "--rmsnorm")) { conv.rmsnorm = 1; continue; }
        struct { const char *opt; const char **dst; } strs[] = {
            {"--form", &form_s}, {"--fix", &fix}, {"--objective", &obj_s}, {"--map", &map},
            {"--n-source", &nsrc}, {"-o", &out_path}, {"--name", &name},
            {"--description", &desc}, {"--source", &source}, {"--optimal-at", &anchor},
            {"--bound", &bounds}};
        int matched = 0;
        for (size_t k = 0; k < sizeof strs / sizeof strs[0]; k++) {
            if ((r = cli_opt(argc, argv, &i, strs[k].opt, strs[k].dst, "fit")) == 0) continue;
            if (r < 0) return EXIT_USAGE;
            matched = 1;
            break;
        }
        if (matched) continue;
        if ((r = cli_opt(argc, argv, &i, "--where", &v, "fit")) != 0) {
            if (r < 0) return EXIT_USAGE;
            if (nwhere == 32) return cli_usage_error("fit", "at most 32 --where filters");
            wheres[nwhere++] = v;
            continue;
        }
        if ((r = cli_opt(argc, argv, &i, "--delta", &v, "fit")) != 0) {
            if (r < 0 || dw_parse_double(v, "--delta", 0, &delta)) return r < 0 ? EXIT_USAGE : cli_fail("fit", DW_EINVAL);
            if (!(delta > 0)) return cli_usage_error("fit", "--delta must be positive");
            continue;
        }
        if ((r = cli_opt(argc, argv, &i, "--grid", &v, "fit")) != 0) {
            if (r < 0 || dw_parse_int(v, "--grid", 1, 16, &grid)) return r < 0 ? EXIT_USAGE : cli_fail("fit", DW_EINVAL);
            continue;
        }
        if ((r = cli_opt(argc, argv, &i, "--n-convention", &v, "fit")) != 0) {
            if (r < 0) return EXIT_USAGE;
            if (!strcmp(v, "nonembed")) conv.params = LAW_PARAMS_NONEMBED;
            else if (!strcmp(v, "total")) conv.params = LAW_PARAMS_TOTAL;
            else if (!strcmp(v, "12DW2")) conv.params = LAW_PARAMS_12DW2;
            else return cli_usage_error("fit", "--n-convention: nonembed, total or 12DW2");
            continue;
        }
        if ((r = cli_opt(argc, argv, &i, "--flops", &v, "fit")) != 0) {
            if (r < 0) return EXIT_USAGE;
            if (!strcmp(v, "6NT")) conv.flops = LAW_FLOPS_6NT;
            else if (!strcmp(v, "full")) conv.flops = LAW_FLOPS_FULL;
            else return cli_usage_error("fit", "--flops: 6NT or full");
            continue;
        }
        if ((r = cli_opt(argc, argv, &i, "--vocab", &v, "fit")) != 0) {
            if (r < 0 || dw_parse_int(v, "--vocab", 1, 100000000, &li)) return r < 0 ? EXIT_USAGE : cli_fail("fit", DW_EINVAL);
            conv.vocab = (int)li;
            continue;
        }
        if ((r = cli_opt(argc, argv, &i, "--seq-len", &v, "fit")) != 0) {
            if (r < 0 || dw_parse_int(v, "--seq-len", 1, 100000000, &li)) return r < 0 ? EXIT_USAGE : cli_fail("fit", DW_EINVAL);
            conv.seq_len = (int)li;
            continue;
        }
        if ((r = cli_opt(argc, argv, &i, "--mlp-ratio", &v, "fit")) != 0) {
            if (r < 0 || dw_parse_double(v, "--mlp-ratio", 0, &conv.mlp_ratio)) return r < 0 ? EXIT_USAGE : cli_fail("fit", DW_EINVAL);
            if (!(conv.mlp_ratio > 0)) return cli_usage_error("fit", "--mlp-ratio must be positive");
            continue;
        }
        if (a[0] == '-' && a[1]) return cli_usage_error("fit", "unknown option '%s'", a);
        if (nfiles == 16) return cli_usage_error("fit", "at most 16 data files");
        files[nfiles++] = a;
    }
    if (nfiles == 0) return cli_usage_error("fit", "no data file given");
    if (!form_s) return cli_usage_error("fit", "--form is required (e.g. --form chinchilla)");
    if (nfiles > 1) return cli_usage_error("fit", "one data file at a time for now");

    LawForm form;
    if ((rc = law_form_parse(form_s, &form))) return cli_fail("fit", rc);
    FitOptions opt;
    fit_options_default(&opt, &form);
    opt.grid = (int)grid;
    if (!strcmp(obj_s, "lsq")) opt.objective = FIT_LSQ;
    else if (!strcmp(obj_s, "lsq-log")) opt.objective = FIT_LSQ_LOG;
    else if (!strcmp(obj_s, "huber")) opt.objective = FIT_HUBER_LOG;
    else return cli_usage_error("fit", "--objective: lsq, lsq-log or huber (got '%s')", obj_s);
    opt.huber_delta = delta;
    if (fix && (rc = parse_fix_(fix, &opt, &form))) return cli_fail("fit", rc);
    if (bounds && (rc = parse_bounds_(bounds, &opt, &form))) return cli_fail("fit", rc);
    double anchor_dwc[3] = {0, 0, 0};
    if (anchor) {
        char buf[128];
        snprintf(buf, sizeof buf, "%s", anchor);
        char *save = NULL, *tok = strtok_r(buf, ":", &save);
        for (int k = 0; k < 3; k++, tok = strtok_r(NULL, ":", &save))
            if (!tok || dw_parse_double(tok, "--optimal-at", 1, &anchor_dwc[k]) || !(anchor_dwc[k] > 0))
                return cli_usage_error("fit", "--optimal-at wants DEPTH:WIDTH:COMPUTE, e.g. 32:4096:5.89e21");
        PlanShape as;
        plan_shape_from_conventions(&as, &conv, anchor_dwc[0], anchor_dwc[1]);
        opt.anchor_n = plan_law_params(&conv, &as);
        opt.anchor_t = anchor_dwc[2] / plan_flops_per_token(&conv, &as);
    }

    DsTable *t = NULL;
    FitData d = {0};
    Law *law = NULL;
    double *dep = NULL, *wid = NULL, *par = NULL, *tok = NULL, *flo = NULL;
    if ((rc = ds_table_read(files[0], &t))) {
        code = cli_fail("fit", rc);
        goto out;
    }
    for (int k = 0; k < nwhere; k++)
        if ((rc = ds_table_where(t, wheres[k]))) {
            code = cli_fail("fit", rc);
            goto out;
        }
    if (t->nrows == 0) {
        dw_error_set(DW_EPARSE, "%s: no rows left to fit%s", files[0], nwhere ? " after --where" : "");
        code = cli_fail("fit", DW_EPARSE);
        goto out;
    }
    int col[6];
    static const char *fields[6] = {"depth", "width", "params", "tokens", "loss", "flops"};
    for (int k = 0; k < 6; k++)
        if ((rc = ds_table_resolve(t, fields[k], ds_aliases(fields[k]), map, &col[k]))) {
            code = cli_fail("fit", rc);
            goto out;
        }
    unsigned need = law_form_inputs(&form);
    int use_shape = nsrc ? !strcmp(nsrc, "shape") : col[2] < 0;
    if (nsrc && strcmp(nsrc, "shape") && strcmp(nsrc, "column")) {
        code = cli_usage_error("fit", "--n-source: column or shape");
        goto out;
    }
    /* tokens derived from FLOPs need the shape: only for rows that lack tokens */
    int tokens_missing = 0;
    for (int j = 0; col[3] >= 0 && j < t->nrows; j++)
        tokens_missing |= ds_table_cell(t, j, col[3]) == NULL;
    int derive_tokens = col[5] >= 0 && (col[3] < 0 || tokens_missing);
    int need_dw = (need & (LAW_BIT(LAW_D) | LAW_BIT(LAW_W))) || use_shape || derive_tokens;
    const char *missing = col[4] < 0 ? "loss"
                          : need_dw && col[0] < 0 ? "depth"
                          : need_dw && col[1] < 0 ? "width"
                          : !use_shape && (need & LAW_BIT(LAW_N)) && col[2] < 0 ? "params"
                          : (need & LAW_BIT(LAW_T)) && col[3] < 0 && col[5] < 0 ? "tokens (or flops)"
                                                                               : NULL;
    if (missing) {
        dw_error_set(DW_EPARSE, "%s: no column for '%s' (use --map %s=COLUMN)", files[0], missing,
                     missing);
        code = cli_fail("fit", DW_EPARSE);
        goto out;
    }
    int n = t->nrows;
    d.n = n;
    d.x = calloc((size_t)n, sizeof *d.x);
    d.loss = calloc((size_t)n, sizeof *d.loss);
    dep = calloc((size_t)n, sizeof *dep), wid = calloc((size_t)n, sizeof *wid);
    par = calloc((size_t)n, sizeof *par), tok = calloc((size_t)n, sizeof *tok);
    flo = calloc((size_t)n, sizeof *flo);
    if (!d.x || !d.loss || !dep || !wid || !par || !tok || !flo) {
        code = EXIT_SYSTEM;
        goto out;
    }
    if ((rc = ds_table_numeric(t, col[4], 1, d.loss)) ||
        (need_dw && ((rc = ds_table_numeric(t, col[0], 1, dep)) ||
                     (rc = ds_table_numeric(t, col[1], 1, wid)))) ||
        (!use_shape && col[2] >= 0 && (rc = ds_table_numeric(t, col[2], 1, par))) ||
        (col[3] >= 0 && !derive_tokens && (rc = ds_table_numeric(t, col[3], 1, tok))) ||
        (col[3] < 0 && col[5] >= 0 && (rc = ds_table_numeric(t, col[5], 1, flo)))) {
        code = cli_fail("fit", rc);
        goto out;
    }
    if (col[3] >= 0 && derive_tokens) {
        /* both columns: a row may give tokens, or only FLOPs (tokens derived below) */
        for (int j = 0; j < n; j++) {
            double tv = ds_table_num(t, j, col[3]), fv = ds_table_num(t, j, col[5]);
            int has_t = ds_table_cell(t, j, col[3]) != NULL;
            if (has_t ? !(tv > 0 && isfinite(tv)) : !(fv > 0 && isfinite(fv))) {
                dw_error_set(DW_EPARSE, "%s:%d: column '%s': %s", files[0], t->line[j],
                             t->colnames[has_t ? col[3] : col[5]],
                             has_t ? "tokens must be a positive number"
                                   : "no tokens and no positive flops to derive them from");
                code = cli_fail("fit", DW_EPARSE);
                goto out;
            }
            tok[j] = has_t ? tv : 0;
            flo[j] = has_t ? 0 : fv;
        }
    }
    for (int j = 0; j < n; j++) {
        PlanShape s;
        if (need_dw) {
            plan_shape_from_conventions(&s, &conv, dep[j], wid[j]);
            if (use_shape) par[j] = plan_law_params(&conv, &s);
            if (!(tok[j] > 0)) tok[j] = flo[j] / plan_flops_per_token(&conv, &s);
        }
        if (!(par[j] > 0) && (need & LAW_BIT(LAW_N))) {
            dw_error_set(DW_EPARSE, "%s:%d: cannot count parameters of depth %g width %g",
                         files[0], t->line[j], dep[j], wid[j]);
            code = cli_fail("fit", DW_EPARSE);
            goto out;
        }
        d.x[j] = (LawX){dep[j], wid[j], par[j], tok[j]};
    }

    FitResult res;
    if ((rc = fit_run(&form, &d, &opt, &res))) {
        code = cli_fail("fit", rc);
        goto out;
    }
    if (!(law = law_alloc(&form))) {
        code = EXIT_SYSTEM;
        goto out;
    }
    memcpy(law->p, res.p, sizeof law->p);
    law->fixed = opt.fixed;
    law->conv = conv;
    law->fit = res.info;
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
    }
    snprintf(law->name, sizeof law->name, "%s", name ? name : "fitted");
    if (desc) snprintf(law->description, sizeof law->description, "%s", desc);
    if (use_shape)
        snprintf(law->conv.note, sizeof law->conv.note,
                 "N counted from depth and width with these conventions (the data's own "
                 "parameter column, if any, was not used)");
    {
        cJSON *prov = cJSON_CreateObject();
        char sha[65], now[32];
        if (source) cJSON_AddStringToObject(prov, "source", source);
        cJSON *files_j = cJSON_AddArrayToObject(prov, "data");
        cJSON *fo = cJSON_CreateObject();
        const char *base = strrchr(files[0], '/');
        cJSON_AddStringToObject(fo, "file", base ? base + 1 : files[0]);
        if (dw_sha256_file(files[0], sha) == DW_OK) cJSON_AddStringToObject(fo, "sha256", sha);
        cJSON_AddNumberToObject(fo, "rows_used", n);
        cJSON_AddItemToArray(files_j, fo);
        add_json_escaped_cmdline_(prov, argc, argv);
        dw_utc_now(now);
        cJSON_AddStringToObject(prov, "date", now);
        cJSON_AddStringToObject(prov, "dwplan_version", DWPLAN_VERSION);
        if (anchor) {
            cJSON *an = cJSON_AddObjectToObject(prov, "optimal_at");
            cJSON_AddNumberToObject(an, "depth", anchor_dwc[0]);
            cJSON_AddNumberToObject(an, "width", anchor_dwc[1]);
            cJSON_AddNumberToObject(an, "compute", anchor_dwc[2]);
            cJSON_AddNumberToObject(an, "params", opt.anchor_n);
            cJSON_AddNumberToObject(an, "tokens", opt.anchor_t);
            cJSON_AddStringToObject(an, "meaning", "B tied to A so that this shape and budget "
                                    "is the compute-optimal N/T split under C = 6NT");
        }
        cJSON_AddStringToObject(prov, "ci_method", res.has_cov
                                ? "asymptotic: estimate ± 1.96 SE from the Jacobian at the optimum"
                                : "none: the Jacobian is rank-deficient or there are no spare rows");
        law->provenance_json = cJSON_PrintUnformatted(prov);
        cJSON_Delete(prov);
    }
    int converged = strncmp(res.info.status, "converged", 9) == 0;
    if (json) {
        code = report_print_json(report_law_json(law));
    } else {
        char ftext[96];
        law_form_text(&form, ftext, sizeof ftext);
        printf("dwplan fit: %s on %s (%d rows, %d grid starts)\n", ftext, files[0], n, res.nstarts);
        report_law_params(stdout, law);
        printf("objective %s = %.10g\n", res.info.objective_kind, res.info.objective);
        printf("R² = %.4f on L, %.4f on log L;  RMSE %.4g;  max |error| %.4g;  AIC %.2f  BIC %.2f\n",
               res.info.r2, res.info.r2_log, res.info.rmse, res.info.max_abs_err, res.info.aic,
               res.info.bic);
        printf("optimizer: %s\n", res.info.status);
        if (!res.has_cov)
            printf("no intervals: the Jacobian is rank-deficient or no rows are left over\n");
        if (anchor) {
            int ib = law_form_param_index(&form, "B");
            printf("B is tied to A by --optimal-at (B = %.6g)\n", res.p[ib]);
        }
    }
    if (!converged) {
        fprintf(stderr, "dwplan fit: the optimizer did not converge (%s)%s\n", res.info.status,
                out_path ? "; no law file written" : "");
        code = EXIT_RESULT;
        goto out;
    }
    if (out_path && (rc = law_write(law, out_path))) code = cli_fail("fit", rc);
    else if (out_path && !json) printf("wrote %s\n", out_path);
out:
    ds_table_free(t);
    free(d.x), free(d.loss), free(dep), free(wid), free(par), free(tok), free(flo);
    law_free(law);
    return code;
}
