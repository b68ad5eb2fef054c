/* cli/cmd_report.c — placeholder until `dwplan report` is built; not listed in --help. */
#include "cli.h"

int cmd_report(int argc, char **argv) {
    (void)argc, (void)argv;
    return cli_usage_error("report", "not built yet");
}
