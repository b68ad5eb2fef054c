/* cli/main.c — the dwplan program: dispatches subcommands. `dwplan --compute 1e22` is
 * `dwplan plan --compute 1e22`. --help lists only the subcommands that work (those whose
 * `usage` line is set). */
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "common/dw.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage; /* NULL: not listed (not built yet) */
} Command;

static const Command commands_[] = {
    {"plan", cmd_plan, "[plan] --compute C [options]   compute-optimal depth, width, tokens"},
    {"check", cmd_check, "check --hf-config config.json  is a shape past its critical depth?"},
    {"fit", cmd_fit, "fit DATA --form F -o law.json  fit a scaling law to run data"},
    {"count", cmd_count, "count --depth D --width W      parameters and FLOPs of a shape"},
    {"law", cmd_law, "law list | show NAME           the embedded law presets"},
    {"data", cmd_data, CMD_DATA_USAGE},
    {"probe", cmd_probe, CMD_PROBE_USAGE},
    {"plot", cmd_plot, CMD_PLOT_USAGE},
    {"report", cmd_report, CMD_REPORT_USAGE},
};

static void usage_(FILE *f) {
    fprintf(f, "dwplan %s — how deep and how wide for a compute budget\n\nusage:\n",
            DWPLAN_VERSION);
    for (size_t k = 0; k < sizeof commands_ / sizeof commands_[0]; k++)
        if (commands_[k].usage) fprintf(f, "  dwplan %s\n", commands_[k].usage);
    fprintf(f,
            "\n"
            "examples:\n"
            "  dwplan --compute 1e22\n"
            "  dwplan plan --gpu h100 --gpus 512 --days 30 --mfu 0.4 --json\n"
            "  dwplan plan --sweep-compute 1e18:1e25\n"
            "  dwplan check --hf-config examples/models/llama-2-7b.json\n"
            "\n"
            "Each command has --help. Exit codes: 0 ok, 1 no result (no convergence or no\n"
            "feasible shape), 2 usage, 3 bad input data, 4 system error.\n");
}

/* OpenBLAS (linked for the probe's kernels) starts a thread pool when the program loads; its
 * idle threads spin on sched_yield for ~0.1 s, which on a 2-core machine slows every short
 * command (plan: 80 -> 60 ms). dwplan never uses BLAS threads (the probe runs its own workers
 * over single-threaded GEMMs, kernels/cpu), so the pool is set to one thread and its workers
 * are stopped before anything else runs (OpenBLAS restarts them if a call ever needs them).
 * Weak: another CBLAS has neither symbol. */
extern void openblas_set_num_threads(int) __attribute__((weak));
extern int blas_thread_shutdown_(void) __attribute__((weak));

int main(int argc, char **argv) {
    if (openblas_set_num_threads) openblas_set_num_threads(1);
    if (blas_thread_shutdown_) blas_thread_shutdown_();
    gsl_set_error_handler_off();
    if (argc < 2) return cli_close_stdout(cmd_plan(argc, argv));
    const char *c = argv[1];
    if (!strcmp(c, "--help") || !strcmp(c, "-h") || !strcmp(c, "help")) {
        usage_(stdout);
        return cli_close_stdout(0);
    }
    if (!strcmp(c, "--version") || !strcmp(c, "version")) {
        printf("dwplan %s\n", DWPLAN_VERSION);
        return cli_close_stdout(0);
    }
    if (c[0] == '-') return cli_close_stdout(cmd_plan(argc, argv));
    for (size_t k = 0; k < sizeof commands_ / sizeof commands_[0]; k++)
        if (!strcmp(c, commands_[k].name) && commands_[k].usage)
            return cli_close_stdout(commands_[k].run(argc - 1, argv + 1));
    fprintf(stderr, "dwplan: unknown command '%s' (see dwplan --help)\n", c);
    return EXIT_USAGE;
}
