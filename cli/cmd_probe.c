/* cli/cmd_probe.c — placeholder until `dwplan probe` is built; not listed in --help. */
#include "cli.h"

int cmd_probe(int argc, char **argv) {
    (void)argc, (void)argv;
    return cli_usage_error("probe", "not built yet");
}
