/* cli/cmd_fit.c — `dwplan fit`: fit a law form to run records or a CSV and write a law
 * file with parameters, intervals, fit statistics, conventions and provenance; compare
 * forms out of sample; evaluate a law on new rows; analyse gradient persistence and
 * critical depth. */
#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "common/dw.h"
#include "datasets/runs.h"
#include "fit/compare.h"
#include "fit/depth.h"
#include "fit/fit.h"
#include "planner/fitdata.h"
#include "fit_conv.h"
#include "fit_sources.h"
#include "fit/evaluate.h"
#include "fit_render.h"
#include "planner/count.h"
#include "planner/runlogs.h"
#include "report.h"

#define MAX_DRAWS_STORED 2000

static void help_(void) {
    printf(
        "usage: dwplan fit DATA [DATA2 ...] --form FORM [options] [-o law.json]\n"
        "       dwplan fit DATA [DATA2 ...] --compare FORM,FORM,... [options]\n"
        "       dwplan fit DATA [DATA2 ...] --predict LAW [--json]\n"
        "       dwplan fit DATA --critical-depth [--json]\n"
        "       dwplan fit RUN_DIR [RUN_DIR ...] --form FORM ...   (Hugging Face Trainer output)\n"
        "\n"
        "Fits a scaling-law form to DATA (run records as JSON Lines, any CSV with a header such\n"
        "as a W&B export, or directories of Hugging Face Trainer runs)\n"
        "from a grid of starts and prints parameters with 95%% intervals, R² on L and log L,\n"
        "RMSE, AIC and BIC. With -o it writes a law file that plan, check and law read.\n"
        "\n"
        "forms: kaplan, chinchilla, separable:W,D,N,T (any subset), logsq[:power|:log],\n"
        "       shape[:power|:log], benefit-harm[:power|:log], starvation\n"
        "columns (found by name; override with --map): depth, width, params, tokens, loss\n"
        "       (val_loss, eval_loss, eval/loss preferred over a train loss), flops, grad_norms,\n"
        "       run (run_id, run, run_name, Name, name, id: the rows of one run)\n"
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
        "  --by-run | --by-row     resample whole runs, or rows. Default: whole runs for a table\n"
        "                          of loss curves (an explicit run with several rows), else rows\n"
        "  --seed S --threads T    bootstrap seed (default 1) and threads (default: cores)\n"
        "  --cv                    leave-one-shape-out cross-validation RMSE\n"
        "  --compare F1,F2,...     fit each form and rank them by cross-validated RMSE\n"
        "  --predict LAW           evaluate a law file or preset on DATA (out-of-sample error)\n"
        "  --critical-depth        gradient persistence tau per run, tau(W), D_crit per width,\n"
        "                          kappa and (c, beta); an interior loss minimum is a U-curve\n"
        "                          when it rises > 2 SE of the run-to-run noise (pooled over\n"
        "                          repeated configurations) toward both ends of the depths\n"
        "                          run, else 'not beyond noise'; 'noise unknown' without repeats\n"
        "data:\n"
        "  --where EXPR            keep rows matching col=v, col!=v, col<v, col<=v, col>v, col>=v\n"
        "  --map FIELD=COL[,...]   use column COL for FIELD\n"
        "  --skip-bad-rows         leave out (and count) rows with a missing, NaN or non-positive\n"
        "                          value in a column the fit reads, instead of stopping\n"
        "  --curves                a run record's \"curve\" [{tokens, loss}, ...] gives one row per\n"
        "                          point (off by default: the points of a decaying learning rate\n"
        "                          are not what shorter runs would reach)\n"
        "  --tokens-per-step N     tokens = step x N for Trainer logs without\n"
        "                          num_input_tokens_seen and tables with a step but no tokens\n"
        "  --n-source column|shape N from the params column (default when present) or counted\n"
        "                          from depth and width with the conventions below\n"
        "  conventions of the law (how the planner counts N and C):\n"
        "    --n-convention nonembed|total|12dw2   --flops 6NT|full   --vocab V   --seq-len S\n"
        "    --mlp-ratio R   --swiglu   --tied   --no-biases   --rmsnorm\n"
        "  With params, depth and width columns the params column is compared with dwplan's\n"
        "  non-embedding and total counts of each row's shape under the block the flags describe:\n"
        "  within 3%% of one on every row and over 10%% from the other, that convention is\n"
        "  inferred; otherwise the fit stops (exit 3) unless --n-convention says which. The law\n"
        "  file's conventions note says where each convention came from (stated, default,\n"
        "  inferred), and the \"columns:\" line on stderr which column gave each field.\n"
        "output:\n"
        "  --name NAME --description TEXT --source TEXT   recorded in the law file\n"
        "  -o FILE                 write the law file (atomically)\n"
        "  --json                  machine-readable output\n"
        "\n"
        "several sources: with several DATA files (up to 8), each file is a source named by its\n"
        "  file name without extension; the law is the first one's and every other source gets\n"
        "  its own loss floor (an offset: another tokenizer or eval set) while the exponents,\n"
        "  amplitudes and shape term are shared. A source without depth and width enters only\n"
        "  the floor, N and T terms (logsq and shape forms; others refuse it). Another source's\n"
        "  params column is used when it matches the law's count of its shapes, else N is\n"
        "  counted from its shape; each source's reading is written to the law file (\"sources\").\n"
        "  --where NAME:EXPR filters source NAME only. The bootstrap resamples within each\n"
        "  source; --cv adds leave-one-source-out CV: each source predicted from the others up\n"
        "  to its own offset (the error on differences between its runs).\n"
        "  --predict with several files reports each file's error with its offset removed.\n"
        "\n"
        "Tokens may be derived from a flops column (T = C / FLOPs per token under the\n"
        "conventions) for rows that lack them.\n"
        "\n"
        "run logs: a W&B export (runs table or run.history() CSV) is read by its column names;\n"
        "  history rows without a loss (steps that logged other metrics) are left out. A\n"
        "  Trainer run directory holds trainer_state.json (its log_history: eval_loss when\n"
        "  logged, else loss, against num_input_tokens_seen) and config.json (the shape; the\n"
        "  vocabulary and block set the conventions not given as flags); a directory of such\n"
        "  directories is read whole. Runs with several points are fitted as curves: the\n"
        "  bootstrap draws whole runs and CV holds out whole shapes.\n"
        "\n"
        "examples:\n"
        "  dwplan fit datasets/public/epoch_chinchilla.csv --where epoch_outlier_excluded=0 \\\n"
        "      --form chinchilla --objective huber --n-convention total --flops 6NT -o law.json\n"
        "  dwplan fit datasets/public/gemstones_valloss_hot_every10B.csv --objective huber \\\n"
        "      --delta 1e-4 --compare separable:N,T,separable:W,D,N,T,shape:power\n"
        "  dwplan fit datasets/public/gemstones_valloss_cooldown_end.csv \\\n"
        "      datasets/public/epoch_chinchilla.csv --where epoch_chinchilla:epoch_outlier_excluded=0 \\\n"
        "      --form logsq:log --objective huber --delta 1e-4 --vocab 50304 --swiglu \\\n"
        "      --mlp-ratio 3.6667 --rmsnorm --no-biases --seq-len 2048 --flops 6NT\n"
        "  dwplan fit tests/data/wandb/export.csv --form chinchilla --n-convention total --tied\n"
        "  dwplan fit tests/data/trainer/runs --form chinchilla --bootstrap 40 --threads 1\n"
        "  dwplan fit datasets/public/gemstones_valloss_hot_every10B.csv --form separable:W,D,N,T \\\n"
        "      --objective huber --delta 1e-4 --vocab 50304 --swiglu --mlp-ratio 3.6667 \\\n"
        "      --rmsnorm --no-biases --seq-len 2048 -o law.json\n"
        "\n"
        "Gemstones' params_active_precise counts every parameter of a block with 15·W² + 2·W\n"
        "per layer, RMSNorm, no biases and untied 50304-token embeddings: described so (third\n"
        "example), it is inferred to be the total count.\n"
        "\n"
        "Rows whose status column is not \"ok\" (diverged or failed runs) are left out and\n"
        "counted; exact duplicate rows are refused.\n"
        "\n"
        "exit codes: 0 ok, 1 the fit did not converge (or --critical-depth estimated nothing),\n"
        "2 usage, 3 bad data or data that cannot determine the fit (too few rows, an input a\n"
        "term needs that never varies), 4 system error\n");
}

// ----------------------------------------------------------------------------
// options

typedef struct {
    const char *forms, *fix, *bounds, *obj, *map, *nsrc, *out, *name, *desc, *source;
    const char *anchor, *compare, *predict, *weight, *refine;
    const char *wheres[32];
    int nwhere;
    const char *file;                      /* files[0] */
    const char *files[LAW_MAX_SOURCES];    /* several: the sources of one fit */
    int nfiles;
    int json, cv, by_shape, by_run, by_row, critical, boot, threads, grid, seed, skip_bad;
    int curves;
    double delta, asym, tokens_per_step;
    int dirs;                              /* DATA are Trainer run directories */
    PlanTrainerInfo trainer;
    LawConventions conv;
    unsigned given; /* FIT_GIVEN_*: the conventions the command line stated */
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
        CLI_OPT_FLAG("--skip-bad-rows", &a->skip_bad),
        CLI_OPT_FLAG("--by-run", &a->by_run),      CLI_OPT_FLAG("--by-row", &a->by_row),
        CLI_OPT_FLAG("--curves", &a->curves),
        CLI_OPT_NUM("--tokens-per-step", &a->tokens_per_step, 0, 0),
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
        if (!strcasecmp(v, "nonembed")) a->conv.params = LAW_PARAMS_NONEMBED;
        else if (!strcasecmp(v, "total")) a->conv.params = LAW_PARAMS_TOTAL;
        else if (!strcasecmp(v, "12DW2")) a->conv.params = LAW_PARAMS_12DW2;
        else return -cli_usage_error("fit", "--n-convention: nonembed, total or 12dw2");
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
// data: the run table and the rows a law sees

/* What the loader did beyond the columns: runs, curves, rows left out, Trainer logs. */
static void runs_notes_(const FitArgs *a, const DsRuns *r) {
    if (r->nskipped_noloss)
        fprintf(stderr, "dwplan fit: %d W&B history row%s without a '%s' value left out (log "
                "calls of other metrics)\n", r->nskipped_noloss,
                r->nskipped_noloss == 1 ? "" : "s", r->col[DS_RUNS_LOSS]);
    if (r->nexpanded)
        fprintf(stderr, "dwplan fit: --curves: %d record%s expanded into %d points of their "
                "loss curves\n", r->nexpanded, r->nexpanded == 1 ? "" : "s", r->n);
    else if (r->has_curve_col && !a->curves && !a->critical)
        fprintf(stderr, "dwplan fit: note: the records carry loss curves ('curve'); --curves "
                "fits every point, resampling whole runs\n");
    if (a->dirs) {
        const PlanTrainerInfo *t = &a->trainer;
        fprintf(stderr, "dwplan fit: %d Trainer run%s, %d points of %s against %s%s%s\n",
                t->nruns, t->nruns == 1 ? "" : "s", t->npoints,
                t->eval ? "eval_loss" : "the training loss (no eval_loss logged)",
                t->tokens_logged ? "num_input_tokens_seen" : "step x --tokens-per-step",
                t->nstep0 ? "; points at step 0 left out: " : "", t->nstep0 ? "yes" : "");
    }
    if (r->run_explicit && !a->critical)
        fprintf(stderr, "dwplan fit: runs: %d (%s)%s\n", r->nruns, r->run_by,
                r->curves ? ", several rows each: loss curves; the bootstrap resamples whole "
                            "runs (--by-row: rows)" : "");
}

static int load_runs_(FitArgs *a, DsRuns **runs) {
    DsRunsOptions ro = {.wheres = a->wheres, .nwhere = a->nwhere, .maps = a->map,
                        .weight = a->weight, .skip_bad_rows = a->skip_bad, .curves = a->curves,
                        .tokens_per_step = a->tokens_per_step};
    if (a->critical) /* the depth analysis reads these; a params or flops column is not its */
        ro.fields = DS_RUNS_BIT(DS_RUNS_DEPTH) | DS_RUNS_BIT(DS_RUNS_WIDTH) |
                    DS_RUNS_BIT(DS_RUNS_TOKENS) | DS_RUNS_BIT(DS_RUNS_LOSS) | DS_RUNS_BIT(DS_RUNS_GRAD);
    else
        ro.fields = ~DS_RUNS_BIT(DS_RUNS_GRAD); /* fitting does not read gradient norms */
    int rc;
    if (a->dirs) {
        char note[256];
        unsigned keep = (a->given & FIT_GIVEN_VOCAB ? 1 : 0) | (a->given & FIT_GIVEN_MLP ? 2 : 0) |
                        (a->given & FIT_GIVEN_SWIGLU ? 4 : 0) | (a->given & FIT_GIVEN_TIED ? 8 : 0) |
                        (a->given & FIT_GIVEN_BIASES ? 16 : 0) | (a->given & FIT_GIVEN_NORM ? 32 : 0);
        rc = plan_trainer_load(a->files, a->nfiles, &ro, runs, &a->trainer);
        if (rc == DW_OK) {
            plan_trainer_conventions(&a->trainer, keep, &a->conv, note, sizeof note);
            if (note[0]) {
                fprintf(stderr, "dwplan fit: conventions %s\n", note);
                a->given |= FIT_GIVEN_VOCAB | FIT_GIVEN_MLP | FIT_GIVEN_SWIGLU | FIT_GIVEN_TIED |
                            FIT_GIVEN_BIASES | FIT_GIVEN_NORM; /* stated by the configs */
            } else if (a->trainer.nruns > 1) {
                fprintf(stderr, "dwplan fit: note: the runs' config.json differ in vocabulary or "
                        "block: N is counted under the flags' conventions\n");
            }
        }
    } else if ((rc = ds_runs_load(a->file, &ro, runs)) == DW_OK) {
        char note[256]; /* conventions the table's columns state (probe records do) */
        cli_fit_table_conventions(*runs, &a->conv, &a->given, note, sizeof note);
        if (note[0] && !a->critical)
            fprintf(stderr, "dwplan fit: conventions from the table's columns%s: %s\n",
                    (*runs)->conv.probe ? " (dwplan probe records)" : "", note);
    }
    char why[512];
    if (rc == DW_OK && ds_runs_skipped_text(*runs, why, sizeof why))
        fprintf(stderr, "dwplan fit: %s\n", why);
    if (rc == DW_OK) runs_notes_(a, *runs);
    return rc;
}

/* Whole runs by default for a table of loss curves; --by-row, --by-shape, --by-run say. */
static int by_run_(const FitArgs *a, const DsRuns *runs) {
    if (a->by_shape || a->by_row) return 0;
    return a->by_run || runs->curves;
}

static int n_from_shape_(const FitArgs *a) { return a->nsrc && !strcmp(a->nsrc, "shape"); }

/* The rows under conventions conv (the law's for --predict, the flags' otherwise). */
static int fit_rows_(const FitArgs *a, const DsRuns *runs, const LawConventions *conv,
                     FitData *d) {
    int rc;
    if ((rc = ds_runs_need(runs, DS_RUNS_BIT(DS_RUNS_LOSS), 0, 1, "fitting"))) return rc;
    return plan_runs_fitdata(runs, conv, n_from_shape_(a), d);
}

// ----------------------------------------------------------------------------
// fitting options

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

static int options_cb_(const LawForm *f, FitOptions *o, void *ctx) {
    return options_for_(ctx, f, o);
}

static int threads_(const FitArgs *a) {
    if (a->threads > 0) return a->threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n < 64 ? (int)n : 1;
}

static void progress_(const char *msg, void *ctx) {
    if (!*(const int *)ctx) fprintf(stderr, "dwplan fit: %s\n", msg);
}

// ----------------------------------------------------------------------------
// modes: each calls the library and renders its result

/* --predict LAW: out-of-sample error of an existing law on these rows, N and T counted under
 * the law's own conventions. */
static int run_predict_(const FitArgs *a, const DsRuns *runs) {
    Law *law = NULL;
    FitData d = {0};
    FitPrediction pr;
    FitConvReport cr;
    int rc, code;
    if ((rc = law_load(a->predict, &law)) ||
        (rc = cli_fit_predict_conventions(runs, &law->conv, n_from_shape_(a), &cr)) ||
        (rc = fit_rows_(a, runs, &law->conv, &d)) || (rc = fit_predict(law, &d, &pr))) {
        code = cli_fail("fit", rc);
    } else {
        cli_fit_print_columns(stderr, runs, &cr);
        if (cr.warning[0]) fprintf(stderr, "dwplan fit: warning: %s\n", cr.warning);
        FitEval ev;
        int have_ev = fit_evaluate(law, &d, NULL, 1, NULL, &ev) == DW_OK;
        code = cli_render_predict(runs, law, &d, &pr, have_ev ? &ev : NULL, a->json);
    }
    fit_data_free(&d);
    law_free(law);
    return code;
}

/* --compare: every form on the same rows, ranked out of sample. */
static int run_compare_(const FitArgs *a, const DsRuns *runs) {
    FitData d = {0};
    FitComparison cmp = {0};
    FitConvReport cr;
    FitArgs b = *a;
    int rc, code, quiet = a->json;
    FitCompareOptions co = {.forms = a->compare, .options = options_cb_, .options_ctx = &b,
                            .cv = 1, .conv = &b.conv, .progress = progress_,
                            .progress_ctx = &quiet};
    if ((rc = cli_fit_conventions(runs, &b.conv, a->given, n_from_shape_(a), 0, &cr)))
        return cli_fail("fit", rc);
    cli_fit_print_columns(stderr, runs, &cr);
    if (cr.warning[0]) fprintf(stderr, "dwplan fit: note: %s\n", cr.warning);
    if ((rc = fit_rows_(&b, runs, &b.conv, &d)) ||
        (rc = fit_compare(&d, runs->group, runs->ngroups, &co, &cmp)))
        code = cli_fail("fit", rc);
    else
        code = cli_render_compare(runs, a->obj, &cmp, a->json);
    fit_comparison_free(&cmp);
    fit_data_free(&d);
    return code;
}

/* --critical-depth: τ, τ(W), D_crit per width, κ. */
static int run_depth_(const FitArgs *a, const DsRuns *runs) {
    FitDepthReport rep;
    int rc = fit_depth_analyse(runs, &rep);
    if (rc) return cli_fail("fit", rc);
    int code = cli_render_depth(runs, &rep, a->json);
    if (code == 0 && !rep.estimated) {
        fprintf(stderr, "dwplan fit: %s: nothing could be estimated: no run with a tau and no "
                "width with a U-curve found (an interior loss minimum beyond the run-to-run "
                "noise, or any when the noise is unknown)\n", a->file);
        code = EXIT_RESULT;
    }
    fit_depth_report_free(&rep);
    return code;
}

/* --form: one form, with CV and bootstrap when asked; -o writes the law. */
static int run_form_(const FitArgs *args, const DsRuns *runs, int argc, char **argv) {
    LawForm form;
    FitOptions opt;
    FitData d = {0};
    Law *law = NULL;
    FitLawInfo info;
    FitConvReport cr;
    FitArgs b = *args; /* the flags, with the N convention the data settle */
    const FitArgs *a = &b;
    int rc, code = 0, quiet = a->json;
    FitLawOptions lo = {.cv = a->cv, .group = runs->group, .boot = a->boot,
                        .by_shape = a->by_shape, .run = runs->run, .by_run = by_run_(a, runs),
                        .seed = (unsigned long)a->seed,
                        .threads = threads_(a), .max_draws = MAX_DRAWS_STORED, .conv = &b.conv,
                        .name = a->name ? a->name : "fitted", .progress = progress_,
                        .progress_ctx = &quiet};
    if ((rc = cli_fit_conventions(runs, &b.conv, a->given, n_from_shape_(a), 1, &cr)))
        return cli_fail("fit", rc);
    cli_fit_print_columns(stderr, runs, &cr);
    if (cr.warning[0]) fprintf(stderr, "dwplan fit: warning: %s\n", cr.warning);
    if ((rc = law_form_parse(a->forms, &form)) || (rc = options_for_(a, &form, &opt)) ||
        (rc = fit_rows_(a, runs, &b.conv, &d)) || (rc = fit_law(&form, &d, &opt, &lo, &law, &info))) {
        code = cli_fail("fit", rc);
        goto out;
    }
    law->conv = b.conv; /* with the note saying where each convention came from */
    plan_fitdata_range(&d, &law->conv, &law->range);
    if (a->cv && info.cv_why[0])
        fprintf(stderr, "dwplan fit: cross-validation skipped: %s\n", info.cv_why);
    if (info.warning[0]) fprintf(stderr, "dwplan fit: %s\n", info.warning);
    if (a->desc) snprintf(law->description, sizeof law->description, "%s", a->desc);
    const DsRuns *one[1] = {runs};
    if ((rc = cli_fit_provenance(law, one, 1, a->wheres, a->nwhere, a->source, argc, argv,
                                 &info, a->boot, opt.anchor_n > 0 ? a->anchor : NULL,
                                 opt.anchor_n, opt.anchor_t))) {
        code = cli_fail("fit", rc);
        goto out;
    }
    if ((code = cli_render_fit(runs, &form, law, &info, &opt, a->json))) goto out;
    if (!info.converged) {
        fprintf(stderr, "dwplan fit: the optimizer did not converge (%s)%s\n",
                info.res.info.status, a->out ? "; no law file written" : "");
        code = EXIT_RESULT;
        goto out;
    }
    if (a->out && (rc = law_write(law, a->out))) code = cli_fail("fit", rc);
    else if (a->out && !a->json) printf("wrote %s\n", a->out);
out:
    fit_data_free(&d);
    law_free(law);
    return code;
}

// ----------------------------------------------------------------------------
// several sources (cli/fit_sources.h)

/* --form on several sources: shared law, an offset per source, LOSO-source CV with --cv. */
static int sources_form_(const FitArgs *args, CliSources *s, int argc, char **argv) {
    FitArgs b = *args;
    const FitArgs *a = &b;
    LawForm form;
    FitOptions opt;
    Law *law = NULL;
    FitLawInfo info;
    FitSourceCV cv[LAW_MAX_SOURCES];
    int rc, code = 0, quiet = a->json;
    FitLawOptions lo = {.cv = a->cv, .group = s->group, .boot = a->boot,
                        .by_shape = a->by_shape, .seed = (unsigned long)a->seed,
                        .by_run = !a->by_shape && !a->by_row && (a->by_run || s->curves),
                        .threads = threads_(a), .max_draws = MAX_DRAWS_STORED, .conv = &b.conv,
                        .name = a->name ? a->name : "fitted", .progress = progress_,
                        .progress_ctx = &quiet};
    if ((rc = cli_sources_rows(s, &b.conv, a->given, n_from_shape_(a), 1)))
        return cli_fail("fit", rc);
    lo.group = s->group, lo.run = s->run; /* built by cli_sources_rows */
    if ((rc = law_form_parse(a->forms, &form)) || (rc = law_form_add_sources(&form, s->n)) ||
        (rc = options_for_(a, &form, &opt)) ||
        (rc = fit_law(&form, &s->d, &opt, &lo, &law, &info)))
        return cli_fail("fit", rc);
    if (a->cv && info.converged) {
        if (!quiet) fprintf(stderr, "dwplan fit: leave-one-source-out CV (%d refits)\n", s->n);
        if ((rc = fit_cv_sources(&form, &s->d, &opt, &info.res, s->n, cv))) goto fail;
    }
    if ((rc = fit_law_split_sources(law, s->n, s->names, s->notes, s->rows, s->shape))) goto fail;
    for (int k = 0; a->cv && info.converged && k < s->n; k++)
        if (cv[k].ok) law->sources[k].loso_rmse = cv[k].rmse_centred;
    law->conv = b.conv;
    plan_fitdata_range(&s->d, &law->conv, &law->range);
    if (a->cv && info.cv_why[0])
        fprintf(stderr, "dwplan fit: cross-validation skipped: %s\n", info.cv_why);
    if (info.warning[0]) fprintf(stderr, "dwplan fit: %s\n", info.warning);
    if (a->desc) snprintf(law->description, sizeof law->description, "%s", a->desc);
    if ((rc = cli_fit_provenance(law, (const DsRuns *const *)s->runs, s->n, a->wheres, a->nwhere,
                                 a->source, argc, argv, &info, a->boot,
                                 opt.anchor_n > 0 ? a->anchor : NULL, opt.anchor_n,
                                 opt.anchor_t)))
        goto fail;
    if ((code = cli_render_fit(s->runs[0], &law->form, law, &info, &opt, a->json))) goto out;
    if (!a->json) cli_render_sources(stdout, law, a->cv && info.converged ? cv : NULL);
    if (!info.converged) {
        fprintf(stderr, "dwplan fit: the optimizer did not converge (%s)%s\n",
                info.res.info.status, a->out ? "; no law file written" : "");
        code = EXIT_RESULT;
        goto out;
    }
    if (a->out && (rc = law_write(law, a->out))) code = cli_fail("fit", rc);
    else if (a->out && !a->json) printf("wrote %s\n", a->out);
    goto out;
fail:
    code = cli_fail("fit", rc);
out:
    law_free(law);
    return code;
}

/* --compare on several sources: each form with an offset per source. */
static int sources_compare_(const FitArgs *a, CliSources *s) {
    FitComparison cmp = {0};
    FitArgs b = *a;
    int rc, code, quiet = a->json;
    FitCompareOptions co = {.forms = a->compare, .options = options_cb_, .options_ctx = &b,
                            .cv = 1, .nsources = s->n, .conv = &b.conv, .progress = progress_,
                            .progress_ctx = &quiet};
    if ((rc = cli_sources_rows(s, &b.conv, a->given, n_from_shape_(a), 0)) ||
        (rc = fit_compare(&s->d, s->group, s->ngroups, &co, &cmp)))
        code = cli_fail("fit", rc);
    else
        code = cli_render_compare(s->runs[0], a->obj, &cmp, a->json);
    fit_comparison_free(&cmp);
    return code;
}

/* --predict on several files: each file's rows under the law's conventions, judged with
 * each file's own offset removed (fit/evaluate.h). */
static int sources_predict_(const FitArgs *a, CliSources *s) {
    Law *law = NULL;
    FitData all = {0};
    int *src = NULL, rc = DW_OK, code = 0;
    FitEval ev;
    if ((rc = law_load(a->predict, &law))) return cli_fail("fit", rc);
    for (int k = 0; k < s->n && rc == DW_OK; k++) {
        FitConvReport cr;
        FitData dk = {0};
        if ((rc = cli_fit_predict_conventions(s->runs[k], &law->conv, n_from_shape_(a), &cr)) ||
            (rc = fit_rows_(a, s->runs[k], &law->conv, &dk)))
            break;
        fprintf(stderr, "dwplan fit: source %s\n", s->name[k]);
        cli_fit_print_columns(stderr, s->runs[k], &cr);
        if (cr.warning[0]) fprintf(stderr, "dwplan fit: warning: %s\n", cr.warning);
        LawX *x = realloc(all.x, sizeof *x * (size_t)(all.n + dk.n));
        double *l = x ? realloc(all.loss, sizeof *l * (size_t)(all.n + dk.n)) : NULL;
        int *g = l ? realloc(src, sizeof *g * (size_t)(all.n + dk.n)) : NULL;
        if (x) all.x = x;
        if (l) all.loss = l;
        if (g) src = g;
        if (!g) rc = dw_error_set(DW_ENOMEM, "out of memory");
        for (int i = 0; rc == DW_OK && i < dk.n; i++) {
            all.x[all.n] = dk.x[i], all.loss[all.n] = dk.loss[i];
            all.x[all.n].no_shape = !(s->runs[k]->has_depth && s->runs[k]->has_width);
            src[all.n++] = k;
        }
        all.inputs |= dk.inputs;
        fit_data_free(&dk);
    }
    if (rc == DW_OK) rc = fit_evaluate(law, &all, src, s->n, NULL, &ev);
    if (rc) code = cli_fail("fit", rc);
    else code = cli_render_evaluation(law, (const char *const *)s->names, &ev, a->json);
    fit_data_free(&all);
    free(src);
    law_free(law);
    return code;
}

static int run_sources_(const FitArgs *a, int argc, char **argv) {
    CliSources s;
    DsRunsOptions ro = {.maps = a->map, .weight = a->weight, .skip_bad_rows = a->skip_bad,
                        .fields = ~DS_RUNS_BIT(DS_RUNS_GRAD), .curves = a->curves,
                        .tokens_per_step = a->tokens_per_step};
    int rc, code;
    if ((rc = cli_sources_load(&s, a->files, a->nfiles, &ro, a->wheres, a->nwhere))) {
        cli_sources_free(&s);
        return cli_fail("fit", rc);
    }
    if (a->predict) code = sources_predict_(a, &s);
    else if (a->compare) code = sources_compare_(a, &s);
    else code = sources_form_(a, &s, argc, argv);
    cli_sources_free(&s);
    return code;
}

// ----------------------------------------------------------------------------
// main

int cmd_fit(int argc, char **argv) {
    FitArgs a = {.obj = "lsq", .grid = 6, .seed = 1, .delta = 1e-3};
    DsRuns *runs = NULL;
    int code, rc = 0;
    law_conventions_default(&a.conv);
    a.given = cli_fit_given(argc, argv);
    for (int i = 1; i < argc; i++) {
        if (cli_flag(argv[i], "--help") || cli_flag(argv[i], "-h")) {
            help_();
            return 0;
        }
        int r = parse_arg_(argc, argv, &i, &a);
        if (r < 0) return -r;
        if (r > 0) continue;
        if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error("fit", "unknown option '%s'", argv[i]);
        if (a.nfiles == LAW_MAX_SOURCES)
            return cli_usage_error("fit", "at most %d data files (sources) in one fit", LAW_MAX_SOURCES);
        a.files[a.nfiles++] = argv[i];
        a.file = a.files[0];
    }
    if (!a.file) return cli_usage_error("fit", "no data file given");
    for (int k = 0; k < a.nfiles; k++) a.dirs += plan_path_is_dir(a.files[k]);
    if (a.dirs && a.dirs < a.nfiles)
        return cli_usage_error("fit", "give either tables or Trainer run directories, not both "
                               "('%s' is a directory)", a.files[0]);
    if (a.dirs && a.critical)
        return cli_usage_error("fit", "--critical-depth reads a table with gradient norms, not "
                               "Trainer run directories");
    if (a.nfiles > 1 && a.critical)
        return cli_usage_error("fit", "--critical-depth reads one data file");
    int modes = !!a.forms + !!a.compare + !!a.predict + a.critical;
    if (modes != 1)
        return cli_usage_error("fit", "give exactly one of --form, --compare, --predict, --critical-depth");
    if (a.by_shape && !a.boot) return cli_usage_error("fit", "--by-shape goes with --bootstrap N");
    if ((a.by_run || a.by_row) && !a.boot)
        return cli_usage_error("fit", "--by-run and --by-row go with --bootstrap N");
    if (a.by_shape + a.by_run + a.by_row > 1)
        return cli_usage_error("fit", "give one of --by-shape, --by-run, --by-row");
    if (a.tokens_per_step < 0 || (a.tokens_per_step > 0 && a.tokens_per_step != floor(a.tokens_per_step)))
        return cli_usage_error("fit", "--tokens-per-step: a positive whole number of tokens");
    if (a.asym < 0) return cli_usage_error("fit", "--asym must be >= 0");
    if (a.nsrc && strcmp(a.nsrc, "shape") && strcmp(a.nsrc, "column"))
        return cli_usage_error("fit", "--n-source: column or shape");
    char onote[600]; /* -o can be written (and what it is), before any work */
    if (a.out && (rc = dw_output_check(a.out, DW_OUT_FILE, onote, sizeof onote)))
        return cli_fail("fit", rc);
    if (a.out && onote[0]) fprintf(stderr, "dwplan fit: note: %s\n", onote);
    /* options are checked before the data are read: the form's own (--fix, --bound), or for
     * the other modes those that do not name a form's parameters */
    LawForm form;
    FitOptions opt;
    FitArgs plain = a;
    plain.fix = plain.bounds = NULL;
    if (a.forms && ((rc = law_form_parse(a.forms, &form)) || (rc = options_for_(&a, &form, &opt))))
        return cli_fail("fit", rc);
    if (!a.forms && !a.critical && (law_form_parse("chinchilla", &form) ||
                                    (rc = options_for_(&plain, &form, &opt))))
        return cli_fail("fit", rc);
    if (a.nfiles > 1 && !a.dirs) return run_sources_(&a, argc, argv);
    if ((rc = load_runs_(&a, &runs))) return cli_fail("fit", rc);
    if (a.critical) code = run_depth_(&a, runs);
    else if (a.predict) code = run_predict_(&a, runs);
    else if (a.compare) code = run_compare_(&a, runs);
    else code = run_form_(&a, runs, argc, argv);
    ds_runs_free(runs);
    return code;
}
