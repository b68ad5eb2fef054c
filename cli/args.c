/* cli/args.c — option parsing and formatting helpers shared by the subcommands. */
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "cli.h"
#include "common/dw.h"
#include "kernels/kern.h"

int cli_fail(const char *cmd, int status) {
    const char *msg = dw_error_get();
    fprintf(stderr, "dwplan %s: %s\n", cmd, msg && *msg ? msg : dw_strerror(status));
    switch (status) {
    case DW_EINVAL: case DW_ERANGE: case DW_ENOTFOUND: return EXIT_USAGE;
    case DW_EPARSE: case DW_EDATA: return EXIT_DATA;
    case DW_EIO: case DW_ENOMEM: case DW_EDEVICE: return EXIT_SYSTEM;
    default: return EXIT_RESULT;
    }
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "dwplan %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see dwplan %s --help)\n", cmd);
    return EXIT_USAGE;
}

int cli_opt(int argc, char **argv, int *i, const char *name, const char **value,
            const char *cmd) {
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0) return 0;
    if (a[n] == '=') {
        *value = a + n + 1;
        return 1;
    }
    if (a[n] != '\0') return 0;
    if (*i + 1 >= argc) {
        cli_usage_error(cmd, "option %s needs a value", name);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

int cli_flag(const char *arg, const char *name) { return strcmp(arg, name) == 0; }

int cli_parse_opt(int argc, char **argv, int *i, const CliOpt *t, size_t n, const char *cmd) {
    for (size_t k = 0; k < n; k++) {
        const CliOpt *o = &t[k];
        const char *v;
        if (o->kind == CLI_FLAG) {
            if (!cli_flag(argv[*i], o->name)) continue;
            *(int *)o->dst = 1;
            return 1;
        }
        int r = cli_opt(argc, argv, i, o->name, &v, cmd);
        if (r == 0) continue;
        if (r < 0) return -EXIT_USAGE;
        if (o->kind == CLI_STR) {
            *(const char **)o->dst = v;
        } else if (o->kind == CLI_INT) {
            long li;
            if (dw_parse_int(v, o->name, (long)o->lo, (long)o->hi, &li)) return -cli_fail(cmd, DW_EINVAL);
            *(int *)o->dst = (int)li;
        } else {
            double x;
            if (dw_parse_double(v, o->name, o->suffix, &x)) return -cli_fail(cmd, DW_EINVAL);
            if (o->lo != o->hi && !(x > o->lo))
                return -cli_usage_error(cmd, "%s must be greater than %g (got %s)", o->name, o->lo, v);
            *(double *)o->dst = x;
        }
        return 1;
    }
    return 0;
}

int cli_close_stdout(int code) {
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "dwplan: error writing to standard output\n");
        return code ? code : EXIT_SYSTEM;
    }
    return code;
}

int cli_probe_device(const char *cmd, const char *backend, const char *math, int *b, int *m) {
    if (backend && (*b = kern_backend_parse(backend)) < 0)
        return cli_usage_error(cmd, "--backend: cpu or cuda (got '%s')", backend);
    if (math && (*m = kern_math_parse(math)) < 0)
        return cli_usage_error(cmd, "--math: fp32, tf32 or bf16 (got '%s')", math);
    if (*m != KERN_MATH_FP32 && *b != KERN_CUDA)
        return cli_usage_error(cmd, "--math %s needs --backend cuda (the CPU computes in fp32)",
                               math);
    return 0;
}
