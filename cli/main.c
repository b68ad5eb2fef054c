/* cli/main.c — the dwplan program: dispatches subcommands. `dwplan --compute 1e22` is
 * `dwplan plan --compute 1e22`. Only subcommands that work are listed. */
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "common/dw.h"

static void usage_(FILE *f) {
    fprintf(f,
            "dwplan %s — how deep and how wide for a compute budget\n"
            "\n"
            "usage: dwplan [plan] --compute C [options]   compute-optimal depth, width, tokens\n"
            "       dwplan check --depth D --width W      is a shape past its critical depth?\n"
            "       dwplan check --hf-config config.json\n"
            "       dwplan fit DATA --form F -o law.json  fit a scaling law to run data\n"
            "       dwplan count --depth D --width W      parameters and FLOPs of a shape\n"
            "       dwplan law list | show NAME           the embedded law presets\n"
            "\n"
            "examples:\n"
            "  dwplan --compute 1e22\n"
            "  dwplan plan --gpu h100 --gpus 512 --days 30 --mfu 0.4 --json\n"
            "  dwplan plan --sweep-compute 1e18:1e25\n"
            "  dwplan check --hf-config examples/models/llama-2-7b.json\n"
            "\n"
            "Each command has --help. Exit codes: 0 ok, 1 no result (no convergence or no\n"
            "feasible shape), 2 usage, 3 bad input data, 4 system error.\n",
            DWPLAN_VERSION);
}

int main(int argc, char **argv) {
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
    if (!strcmp(c, "plan")) return cli_close_stdout(cmd_plan(argc - 1, argv + 1));
    if (!strcmp(c, "check")) return cli_close_stdout(cmd_check(argc - 1, argv + 1));
    if (!strcmp(c, "fit")) return cli_close_stdout(cmd_fit(argc - 1, argv + 1));
    if (!strcmp(c, "count")) return cli_close_stdout(cmd_count(argc - 1, argv + 1));
    if (!strcmp(c, "law")) return cli_close_stdout(cmd_law(argc - 1, argv + 1));
    fprintf(stderr, "dwplan: unknown command '%s' (see dwplan --help)\n", c);
    return EXIT_USAGE;
}
