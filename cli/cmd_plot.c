/* cli/cmd_plot.c — placeholder until `dwplan plot` is built; not listed in --help. */
#include "cli.h"

int cmd_plot(int argc, char **argv) {
    (void)argc, (void)argv;
    return cli_usage_error("plot", "not built yet");
}
