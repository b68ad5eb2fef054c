/* cli/cmd_data.c — placeholder until `dwplan data` is built; not listed in --help. */
#include "cli.h"

int cmd_data(int argc, char **argv) {
    (void)argc, (void)argv;
    return cli_usage_error("data", "not built yet");
}
