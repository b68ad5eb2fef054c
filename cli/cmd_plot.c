/* cli/cmd_plot.c — `dwplan plot KIND [DATA] -o FIG.{png,svg,pdf}`: one figure by gnuplot,
 * with its script and data files beside it (plots/plot.h). */
#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/dw.h"
#include "planner/fitdata.h"
#include "planner/warn.h"
#include "plots/plot.h"

static void help_(void) {
    printf(
        "usage: dwplan plot KIND [DATA] [options] -o FIGURE.png|.svg|.pdf\n"
        "\n"
        "Draws one figure with gnuplot and writes, beside it, the gnuplot script (FIGURE.gp)\n"
        "and the data it plots (FIGURE_*.dat), so the figure can be restyled and redrawn\n"
        "without dwplan (`gnuplot FIGURE.gp` in that directory). Each width has one colour in\n"
        "every figure.\n"
        "\n"
        "kinds:\n"
        "  depth      loss vs depth at each width: runs as points, the law as curves at the\n"
        "             runs' token count, D_crit marked (DATA with depth, width, loss; --law)\n"
        "  gradients  per-layer gradient norm vs layer, log scale, one run per width, with the\n"
        "             fitted exponential decay and tau in the legend (DATA with grad_norms)\n"
        "  tau        tau vs W on log-log axes with the power-law and log-form fits and R²\n"
        "  parity     predicted vs observed loss: --law and/or --form F1,F2 fitted to DATA\n"
        "             (a fitted form also with each shape held out)\n"
        "  frontier   D*, W*, N*, T* vs compute from the planner with its 95%% band (--law;\n"
        "             DATA: the runs at their compute; the paper's slopes beside its law)\n"
        "  isoflop    loss vs depth at fixed budgets, best width at each depth (--law; bands\n"
        "             from the law's bootstrap draws; DATA: the runs)\n"
        "  dcrit      D_crit vs W with kappa·ln W and c·W^beta fits (DATA and/or --law)\n"
        "\n"
        "inputs:\n"
        "  DATA                    run records (JSON Lines) or any CSV, read as `dwplan fit` does\n"
        "  --law LAW               law file or preset (see `dwplan law list`)\n"
        "  --form F1,F2,...        parity: fit these forms to DATA (as `dwplan fit --form`)\n"
        "  --objective lsq|lsq-log|huber  --delta D   objective of those fits (default lsq)\n"
        "  --map FIELD=COL[,...]   column mapping; --where EXPR (repeatable) row filter\n"
        "  --skip-bad-rows         leave out rows with a missing, NaN or non-positive value\n"
        "                          in a used column (said on stderr: how many, which lines)\n"
        "  --n-source column|shape N from the params column (default) or counted from depth\n"
        "                          and width under the law's conventions\n"
        "  --compute LO:HI         frontier, isoflop: budgets in FLOPs (default 1e18:1e24)\n"
        "  --budgets C1,C2,...     isoflop: these budgets (at most 7)\n"
        "  --widths W1,W2,...      depth, dcrit without DATA: law curves at these widths\n"
        "  --tokens T              law curves when DATA gives no token count (default 2e10)\n"
        "  --depth D               gradients: the runs of depth D (default: deepest per width)\n"
        "  --size WxH              image size in pixels (pdf: 160 to the inch)\n"
        "output:\n"
        "  -o FILE                 .png (pngcairo), .svg or .pdf (pdfcairo)\n"
        "\n"
        "examples:\n"
        "  dwplan plot depth examples/runs/synthetic_runs.jsonl -o depth.png\n"
        "  dwplan plot tau examples/runs/synthetic_runs.jsonl -o tau.svg\n"
        "  dwplan plot frontier --law depth-delusion --compute 1e18:1e24 -o frontier.pdf\n"
        "  dwplan plot parity datasets/public/gemstones_valloss_hot_every10B.csv \\\n"
        "      --law gemstones --form shape:power -o parity.png\n"
        "\n"
        "gnuplot runs as a separate program (Debian package gnuplot-nox); what it prints goes\n"
        "to FIGURE.log beside the script.\n"
        "exit codes: 0 ok, 1 the inputs do not allow this figure, 2 usage, 3 bad data,\n"
        "4 gnuplot missing or failing (the script and data are still written), I/O error\n");
}

/* "a,b,c" → values (suffixes k/M/B/T allowed). Returns the count or -1 (message set). */
static int parse_list_(const char *s, const char *what, double *v, int max) {
    char buf[512], *save = NULL;
    int n = 0;
    if (snprintf(buf, sizeof buf, "%s", s) >= (int)sizeof buf) {
        dw_error_set(DW_EINVAL, "%s: list too long", what);
        return -1;
    }
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (n == max) {
            dw_error_set(DW_EINVAL, "%s: at most %d values", what, max);
            return -1;
        }
        if (dw_parse_double(t, what, 1, &v[n])) return -1;
        if (!(v[n] > 0)) {
            dw_error_set(DW_EINVAL, "%s: values must be positive (got %s)", what, t);
            return -1;
        }
        n++;
    }
    return n;
}

static int parse_range_(const char *s, double *lo, double *hi) {
    const char *c = strchr(s, ':');
    char a[64];
    if (!c || c - s >= (long)sizeof a)
        return dw_error_set(DW_EINVAL, "--compute wants LO:HI, e.g. 1e18:1e24 (got '%s')", s);
    snprintf(a, sizeof a, "%.*s", (int)(c - s), s);
    if (dw_parse_double(a, "--compute LO", 1, lo) || dw_parse_double(c + 1, "--compute HI", 1, hi))
        return DW_EINVAL;
    if (!(*lo >= 1e10 && *hi <= PLAN_FLOPS_MAX && *hi > *lo))
        return dw_error_set(DW_EINVAL, "--compute: want 1e10 <= LO < HI <= %g (got %s)",
                            PLAN_FLOPS_MAX, s);
    return DW_OK;
}

static int parse_size_(const char *s, int *w, int *h) {
    char *end;
    long a = strtol(s, &end, 10), b = -1;
    if (*end == 'x' || *end == 'X') b = strtol(end + 1, &end, 10);
    if (*end || a < 100 || a > 10000 || b < 100 || b > 10000)
        return dw_error_set(DW_EINVAL, "--size wants WxH in pixels, each 100..10000 (got '%s')", s);
    *w = (int)a, *h = (int)b;
    return DW_OK;
}

static int objective_(const char *s, FitObjective *o) {
    if (!strcmp(s, "lsq"))
        *o = FIT_LSQ;
    else if (!strcmp(s, "lsq-log"))
        *o = FIT_LSQ_LOG;
    else if (!strcmp(s, "huber"))
        *o = FIT_HUBER_LOG;
    else
        return dw_error_set(DW_EINVAL, "--objective: lsq, lsq-log or huber (got '%s')", s);
    return DW_OK;
}

/* --form: the forms fitted to the runs by the comparison every command uses (fit/compare.h),
 * without CV; N under the default conventions (or from the shape). */
static int fit_forms_(const DsRuns *runs, const char *forms, FitObjective obj, double delta,
                      int n_from_shape, FitComparison *cmp) {
    LawConventions conv;
    FitData d;
    law_conventions_default(&conv);
    FitCompareOptions co = {.forms = forms, .objective = obj, .huber_delta = delta, .conv = &conv};
    int rc = plan_runs_fitdata(runs, &conv, n_from_shape, &d);
    if (rc == DW_OK) rc = fit_compare(&d, runs->group, runs->ngroups, &co, cmp);
    fit_data_free(&d);
    return rc;
}

int cmd_plot(int argc, char **argv) {
    const char *kind_s = NULL, *file = NULL, *law_s = NULL, *forms = NULL, *map = NULL;
    const char *nsrc = NULL, *compute = NULL, *budgets_s = NULL, *widths_s = NULL, *out = NULL;
    const char *size_s = NULL, *obj_s = "lsq", *wheres[32];
    int nwhere = 0, depth = 0, skip_bad = 0, code = 0, rc;
    double tokens = 0, delta = 1e-3, budgets[16], widths[64];
    DsRuns *runs = NULL;
    Law *law = NULL;
    FitComparison cmp = {0};
    PlotModel models[8];
    PlotSpec spec = {0};
    PlotResult res;
    PlotKind kind;
    FitObjective obj = FIT_LSQ;

    for (int i = 1; i < argc; i++) {
        if (cli_flag(argv[i], "--help") || cli_flag(argv[i], "-h")) {
            help_();
            return 0;
        }
        const CliOpt opts[] = {CLI_OPT_STR("--law", &law_s),
                               CLI_OPT_STR("--form", &forms),
                               CLI_OPT_STR("--map", &map),
                               CLI_OPT_FLAG("--skip-bad-rows", &skip_bad),
                               CLI_OPT_STR("--n-source", &nsrc),
                               CLI_OPT_STR("--compute", &compute),
                               CLI_OPT_STR("--budgets", &budgets_s),
                               CLI_OPT_STR("--widths", &widths_s),
                               CLI_OPT_STR("-o", &out),
                               CLI_OPT_STR("--size", &size_s),
                               CLI_OPT_STR("--objective", &obj_s),
                               CLI_OPT_NUM("--tokens", &tokens, 0, 1),
                               CLI_OPT_NUM("--delta", &delta, 0, 0),
                               CLI_OPT_INT("--depth", &depth, 1, 100000)};
        int r = cli_parse_opt(argc, argv, &i, opts, sizeof opts / sizeof opts[0], "plot");
        if (r < 0) return -r;
        if (r > 0) continue;
        const char *v;
        if ((r = cli_opt(argc, argv, &i, "--where", &v, "plot")) != 0) {
            if (r < 0) return EXIT_USAGE;
            if (nwhere == 32) return cli_usage_error("plot", "at most 32 --where filters");
            wheres[nwhere++] = v;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1])
            return cli_usage_error("plot", "unknown option '%s'", argv[i]);
        if (!kind_s)
            kind_s = argv[i];
        else if (!file)
            file = argv[i];
        else
            return cli_usage_error("plot", "one data file at a time (got '%s' and '%s')", file,
                                   argv[i]);
    }
    if (!kind_s)
        return cli_usage_error(
            "plot",
            "no figure kind given (depth, gradients, tau, parity, frontier, isoflop, dcrit)");
    if (plot_kind_parse(kind_s, &kind)) return cli_usage_error("plot", "%s", dw_error_get());
    if (!out) return cli_usage_error("plot", "no output given (-o FIGURE.png, .svg or .pdf)");
    if (nsrc && strcmp(nsrc, "column") && strcmp(nsrc, "shape"))
        return cli_usage_error("plot", "--n-source: column or shape");
    if (objective_(obj_s, &obj)) return cli_usage_error("plot", "%s", dw_error_get());
    if (forms && kind != PLOT_PARITY)
        return cli_usage_error("plot", "--form goes with the parity figure");
    if (forms && !file)
        return cli_usage_error("plot", "--form fits forms to DATA: give a data file");
    if ((kind == PLOT_FRONTIER || kind == PLOT_ISOFLOP) && !law_s)
        return cli_usage_error("plot", "%s draws a law: give --law FILE or a preset", kind_s);
    if ((kind == PLOT_GRADIENTS || kind == PLOT_TAU) && !file)
        return cli_usage_error("plot", "%s needs run records with grad_norms (DATA)", kind_s);
    if (kind == PLOT_PARITY && !file) return cli_usage_error("plot", "parity needs DATA");
    if ((kind == PLOT_DEPTH || kind == PLOT_DCRIT) && !file && !law_s)
        return cli_usage_error("plot", "%s needs DATA, --law, or both", kind_s);
    if (compute && parse_range_(compute, &spec.c_lo, &spec.c_hi))
        return cli_usage_error("plot", "%s", dw_error_get());
    if (budgets_s && (spec.nbudgets = parse_list_(budgets_s, "--budgets", budgets, 16)) < 0)
        return cli_usage_error("plot", "%s", dw_error_get());
    if (widths_s && (spec.nwidths = parse_list_(widths_s, "--widths", widths, 64)) < 0)
        return cli_usage_error("plot", "%s", dw_error_get());
    if (size_s && parse_size_(size_s, &spec.width_px, &spec.height_px))
        return cli_usage_error("plot", "%s", dw_error_get());
    if (plot_image_check(out)) return cli_usage_error("plot", "%s", dw_error_get());
    char onote[600]; /* -o can be written (and what it is), before any work */
    if ((rc = dw_output_check(out, DW_OUT_FILE, onote, sizeof onote))) return cli_fail("plot", rc);
    if (onote[0]) fprintf(stderr, "dwplan plot: note: %s\n", onote);
    spec.budgets = budgets;
    spec.widths = widths;
    spec.tokens = tokens;
    spec.grad_depth = depth;
    spec.n_from_shape = nsrc && !strcmp(nsrc, "shape");

    if (law_s && (rc = law_load(law_s, &law))) return cli_fail("plot", rc);
    DsRunsOptions ro = {.wheres = wheres, .nwhere = nwhere, .maps = map,
                        .skip_bad_rows = skip_bad};
    if (file && (rc = ds_runs_load(file, &ro, &runs))) {
        code = cli_fail("plot", rc);
        goto out;
    }
    char skipped[600];
    if (ds_runs_skipped_text(runs, skipped, sizeof skipped))
        fprintf(stderr, "dwplan plot: %s\n", skipped);
    if (runs && runs->nskipped_status)
        fprintf(stderr, "dwplan plot: %d run%s left out: status not \"ok\"\n",
                runs->nskipped_status, runs->nskipped_status == 1 ? "" : "s");
    if (forms && (rc = fit_forms_(runs, forms, obj, delta, spec.n_from_shape, &cmp))) {
        /* too few rows to fit is what the inputs allow, not bad data */
        code = cli_fail("plot", rc == DW_EDATA ? DW_ENOCONV : rc);
        goto out;
    }
    for (int k = 0; k < cmp.n; k++) {
        const FitCompareRow *c = &cmp.rows[k];
        if (!c->ok) {
            fprintf(stderr, "dwplan plot: %s: not fitted: %s\n", c->form, c->why);
            continue;
        }
        if (c->note[0]) fprintf(stderr, "dwplan plot: %s: %s\n", c->form, c->note);
        if (spec.nmodels == 8) break;
        PlotModel *m = &models[spec.nmodels++];
        snprintf(m->label, sizeof m->label, "%.80s (fitted)", c->form);
        m->law = c->law;
        m->n_from_shape = spec.n_from_shape;
        m->fitted = 1;
        m->not_converged = !c->converged;
    }
    spec.models = models;
    spec.runs = runs;
    spec.law = law;
    rc = plot_make(kind, &spec, out, &res);
    if (res.written) {
        printf("wrote %s", res.script);
        for (int k = 0; k < res.nfiles; k++) printf(", %s", res.files[k]);
        printf("\n");
    }
    if (res.notes[0]) fprintf(stderr, "dwplan plot: %s: note: %s\n", kind_s, res.notes);
    if (rc) {
        /* not enough data for this figure is a result, not a usage error */
        code = cli_fail("plot", rc == DW_EINVAL ? DW_ENOCONV : rc);
        goto out;
    }
    printf("wrote %s: %s\n%s\n", res.image, res.title, res.caption);
out:
    fit_comparison_free(&cmp);
    ds_runs_free(runs);
    law_free(law);
    return code;
}
