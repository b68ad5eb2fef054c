/* cli/cli.h — shared pieces of the dwplan program: exit codes, option parsing helpers,
 * and the subcommand entry points. */
#ifndef DW_CLI_H
#define DW_CLI_H

#include <stdio.h>

/* Exit codes (documented in the README and every --help). */
enum {
    EXIT_OK_ = 0,     /* success */
    EXIT_RESULT = 1,  /* the computation failed: no convergence, no feasible shape */
    EXIT_USAGE = 2,   /* bad command line: unknown option, bad number, unknown preset */
    EXIT_DATA = 3,    /* bad input data: malformed law file, CSV, config */
    EXIT_SYSTEM = 4,  /* file system, memory */
};

/* Maps a DW_* status to an exit code and prints "dwplan CMD: message" to stderr. */
int cli_fail(const char *cmd, int status);
/* Prints a usage error ("dwplan CMD: msg (see dwplan CMD --help)") and returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Option matching: if argv[*i] is `--name VALUE` or `--name=VALUE`, sets *value, advances *i
 * past it and returns 1; returns -1 (and prints a usage error) when the value is missing;
 * 0 when argv[*i] is another option. */
int cli_opt(int argc, char **argv, int *i, const char *name, const char **value,
            const char *cmd);
/* 1 when argv[i] is exactly the flag. */
int cli_flag(const char *arg, const char *name);

/* Table-driven options: each command lists its options once. */
typedef enum { CLI_FLAG, CLI_STR, CLI_DOUBLE, CLI_INT } CliOptKind;
typedef struct {
    const char *name;
    CliOptKind kind;
    void *dst;      /* int* (CLI_FLAG sets 1; CLI_INT), const char ** (CLI_STR), double * */
    double lo, hi;  /* CLI_INT: inclusive range; CLI_DOUBLE: must be > lo (unless lo == hi) */
    int suffix;     /* CLI_DOUBLE: accept k/M/B/T suffixes (6.4B) */
} CliOpt;

#define CLI_OPT_FLAG(n, d) {.name = (n), .kind = CLI_FLAG, .dst = (d)}
#define CLI_OPT_STR(n, d) {.name = (n), .kind = CLI_STR, .dst = (d)}
#define CLI_OPT_INT(n, d, l, h) {.name = (n), .kind = CLI_INT, .dst = (d), .lo = (l), .hi = (h)}
#define CLI_OPT_NUM(n, d, l, sfx)                                                             \
    {.name = (n), .kind = CLI_DOUBLE, .dst = (d), .lo = (l), .hi = HUGE_VAL, .suffix = (sfx)}

/* Matches argv[*i] against the table and stores its value. Returns 1 when consumed, 0 when
 * argv[*i] is none of them, or a negative exit code after printing the usage error. */
int cli_parse_opt(int argc, char **argv, int *i, const CliOpt *t, size_t n, const char *cmd);


/* Finishes stdout: flushes and checks for write errors (e.g. a closed pipe). */
int cli_close_stdout(int code);

/* --backend / --math of the probe commands (probe run, sweep, bench) into *b, *m (KERN_*
 * of kernels/kern.h; a NULL name keeps the value): 0, or the usage error's exit code after
 * printing it. */
int cli_probe_device(const char *cmd, const char *backend, const char *math, int *b, int *m);

int cmd_plan(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_fit(int argc, char **argv);
int cmd_count(int argc, char **argv);
int cmd_law(int argc, char **argv);
/* Later stages: each cmd_X.c defines CMD_X_USAGE (the --help line) in its own header once
 * the command works; until then the macro is NULL and the command is not offered. */
int cmd_data(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_probe_bench(int argc, char **argv); /* cli/cmd_probe_bench.c */
int cmd_plot(int argc, char **argv);
int cmd_report(int argc, char **argv);
#include "cli_usage.h"

#endif
