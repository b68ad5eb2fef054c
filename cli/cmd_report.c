/* cli/cmd_report.c — `dwplan report DATA --law LAW -o DIR`: every figure the inputs allow and
 * an index.html with the narrative, the fit, the form comparison and the planner table
 * (plots/plot.h, plot_report). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/dw.h"
#include "planner/warn.h"
#include "plots/plot.h"

static void help_(void) {
    printf(
        "usage: dwplan report DATA [--law LAW] -o DIR [options]\n"
        "       dwplan report --law LAW -o DIR\n"
        "\n"
        "Builds a report in DIR: every figure the inputs allow (depth, dcrit, gradients, tau,\n"
        "parity, isoflop, frontier; each with its gnuplot script and data beside it) and\n"
        "DIR/index.html, a self-contained page (inline style, images by relative path) with a\n"
        "short narrative (U-curve found or not, the tau exponent against the paper's 0.44,\n"
        "kappa against 2.43), the law's parameters and intervals, tau(W) and D_crit per width,\n"
        "a comparison of law forms fitted to DATA (ranked by leave-one-shape-out CV), and the\n"
        "planner's optimum across budgets. Figures the inputs do not allow are listed with the\n"
        "reason; the rest of the report is still built.\n"
        "\n"
        "inputs:\n"
        "  DATA                    run records (JSON Lines) or any CSV, read as `dwplan fit` does\n"
        "  --law LAW               law file or preset: law curves, parity, planner, frontier\n"
        "  --map FIELD=COL[,...]   column mapping; --where EXPR (repeatable) row filter\n"
        "  --skip-bad-rows         leave out rows with a missing, NaN or non-positive value\n"
        "                          in a used column (said on stderr: how many, which lines)\n"
        "  --n-source column|shape N from the params column (default) or from depth and width\n"
        "comparison:\n"
        "  --compare F1,F2,...     forms to fit (default: chosen by what DATA varies)\n"
        "  --objective lsq|lsq-log|huber  --delta D   fit objective (default lsq)\n"
        "  --no-cv                 skip the cross-validation (faster on large tables)\n"
        "planner:\n"
        "  --compute LO:HI         budgets for the table and the frontier (default 1e18:1e24)\n"
        "output:\n"
        "  -o DIR                  directory (created if missing)\n"
        "  --format png|svg        image format (default png)\n"
        "\n"
        "examples:\n"
        "  dwplan fit examples/runs/synthetic_runs.jsonl --form shape:log --fix B=0,delta=0.095 \\\n"
        "      --n-source shape -o law.json   # one token count: B·T^-delta is a constant E absorbs\n"
        "  dwplan report examples/runs/synthetic_runs.jsonl --law law.json -o report/\n"
        "  dwplan report datasets/public/gemstones_valloss_hot_every10B.csv --law gemstones \\\n"
        "      --objective huber --delta 1e-4 -o gemstones-report/\n"
        "\n"
        "gnuplot runs as a separate program (Debian package gnuplot-nox); without it the\n"
        "scripts, data and index.html are still written and the exit code is 4.\n"
        "exit codes: 0 ok, 2 usage, 3 bad data, 4 a figure could not be drawn (gnuplot missing\n"
        "or failing) or an I/O error\n");
}

static void progress_(const char *msg, void *ctx) {
    (void)ctx;
    fprintf(stderr, "dwplan report: %s\n", msg);
}

int cmd_report(int argc, char **argv) {
    const char *file = NULL, *law_s = NULL, *map = NULL, *nsrc = NULL, *compare = NULL;
    const char *obj_s = "lsq", *compute = NULL, *out = NULL, *format = "png", *wheres[32];
    int nwhere = 0, no_cv = 0, skip_bad = 0, code = 0, rc;
    double delta = 1e-3;
    DsRuns *runs = NULL;
    Law *law = NULL;
    char *cmdline = NULL;
    PlotReportSpec spec = {0};
    PlotReportResult res;

    for (int i = 1; i < argc; i++) {
        if (cli_flag(argv[i], "--help") || cli_flag(argv[i], "-h")) {
            help_();
            return 0;
        }
        const CliOpt opts[] = {CLI_OPT_STR("--law", &law_s),
                               CLI_OPT_STR("--map", &map),
                               CLI_OPT_STR("--n-source", &nsrc),
                               CLI_OPT_STR("--compare", &compare),
                               CLI_OPT_STR("--objective", &obj_s),
                               CLI_OPT_STR("--compute", &compute),
                               CLI_OPT_STR("-o", &out),
                               CLI_OPT_STR("--format", &format),
                               CLI_OPT_FLAG("--no-cv", &no_cv),
                               CLI_OPT_FLAG("--skip-bad-rows", &skip_bad),
                               CLI_OPT_NUM("--delta", &delta, 0, 0)};
        int r = cli_parse_opt(argc, argv, &i, opts, sizeof opts / sizeof opts[0], "report");
        if (r < 0) return -r;
        if (r > 0) continue;
        const char *v;
        if ((r = cli_opt(argc, argv, &i, "--where", &v, "report")) != 0) {
            if (r < 0) return EXIT_USAGE;
            if (nwhere == 32) return cli_usage_error("report", "at most 32 --where filters");
            wheres[nwhere++] = v;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1])
            return cli_usage_error("report", "unknown option '%s'", argv[i]);
        if (file)
            return cli_usage_error("report", "one data file at a time (got '%s' and '%s')", file,
                                   argv[i]);
        file = argv[i];
    }
    if (!out) return cli_usage_error("report", "no output directory given (-o DIR)");
    if ((rc = dw_output_check(out, DW_OUT_DIR, NULL, 0))) return cli_fail("report", rc);
    if (!file && !law_s) return cli_usage_error("report", "give run data, --law, or both");
    if (nsrc && strcmp(nsrc, "column") && strcmp(nsrc, "shape"))
        return cli_usage_error("report", "--n-source: column or shape");
    if (strcmp(format, "png") && strcmp(format, "svg"))
        return cli_usage_error("report", "--format: png or svg (got '%s')", format);
    if (!strcmp(obj_s, "lsq"))
        spec.objective = FIT_LSQ;
    else if (!strcmp(obj_s, "lsq-log"))
        spec.objective = FIT_LSQ_LOG;
    else if (!strcmp(obj_s, "huber"))
        spec.objective = FIT_HUBER_LOG;
    else
        return cli_usage_error("report", "--objective: lsq, lsq-log or huber (got '%s')", obj_s);
    if (compute) {
        const char *c = strchr(compute, ':');
        char a[64];
        if (!c || c - compute >= (long)sizeof a)
            return cli_usage_error("report", "--compute wants LO:HI, e.g. 1e18:1e24");
        snprintf(a, sizeof a, "%.*s", (int)(c - compute), compute);
        if (dw_parse_double(a, "--compute LO", 1, &spec.c_lo) ||
            dw_parse_double(c + 1, "--compute HI", 1, &spec.c_hi))
            return cli_usage_error("report", "%s", dw_error_get());
        if (!(spec.c_lo >= 1e10 && spec.c_hi <= PLAN_FLOPS_MAX && spec.c_hi > spec.c_lo))
            return cli_usage_error("report", "--compute: want 1e10 <= LO < HI <= %g",
                                   PLAN_FLOPS_MAX);
    }

    if (law_s && (rc = law_load(law_s, &law))) return cli_fail("report", rc);
    DsRunsOptions ro = {.wheres = wheres, .nwhere = nwhere, .maps = map,
                        .skip_bad_rows = skip_bad};
    if (file && (rc = ds_runs_load(file, &ro, &runs))) {
        code = cli_fail("report", rc);
        goto out;
    }
    char skipped[600];
    if (ds_runs_skipped_text(runs, skipped, sizeof skipped))
        fprintf(stderr, "dwplan report: %s\n", skipped);
    /* the command line, recorded on the page */
    size_t n = 16;
    for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 1;
    if ((cmdline = malloc(n))) {
        strcpy(cmdline, "dwplan report");
        for (int i = 1; i < argc; i++) strcat(strcat(cmdline, " "), argv[i]);
    }
    spec.runs = runs;
    spec.law = law;
    spec.law_origin = law_s;
    spec.n_from_shape = nsrc && !strcmp(nsrc, "shape");
    spec.compare = compare;
    spec.huber_delta = delta;
    spec.cv = !no_cv;
    spec.format = format;
    spec.command = cmdline;
    spec.progress = progress_;
    rc = plot_report(&spec, out, &res);
    if (res.index[0] && (rc == DW_OK || rc == DW_EIO)) {
        /* per figure: why it is missing */
        char *save = res.notes;
        for (char *nl; (nl = strchr(save, '\n')); save = nl + 1) {
            *nl = '\0';
            fprintf(stderr, "dwplan report: not drawn: %s\n", save);
        }
    }
    if (rc) {
        code = cli_fail("report", rc);
        goto out;
    }
    if (res.nrendered == 0) {
        fprintf(stderr,
                "dwplan report: no figure could be drawn from these inputs (reasons above); "
                "%s lists them\n",
                res.index);
        code = EXIT_RESULT;
        goto out;
    }
    printf("wrote %s: %d of %d figures (%d not allowed by the inputs)\n", res.index, res.nrendered,
           res.nfigures, res.nskipped);
out:
    free(cmdline);
    ds_runs_free(runs);
    law_free(law);
    return code;
}
