/* common/dw.h — status codes, error messages, checks and small file utilities shared by
 * every dwplan module (prefix dw_).
 *
 * Error reporting: library code never prints to stdout and never exits. A failing function
 * returns a negative DW_E* code and records a human-readable message (naming the file, line
 * and field where there is one) with dw_error_set(); the CLI prints dw_error_get(). The
 * message buffer is thread-local, like errno.
 */
#ifndef DW_H
#define DW_H

#include <stddef.h>
#include <stdio.h>

#define DWPLAN_VERSION "0.1.0"

enum {
    DW_OK = 0,
    DW_EINVAL = -1,      /* bad argument or impossible request */
    DW_EIO = -2,         /* file system or process error */
    DW_EPARSE = -3,      /* malformed input data */
    DW_ENOMEM = -4,      /* allocation failed */
    DW_ERANGE = -5,      /* value out of its valid range */
    DW_ENOCONV = -6,     /* an optimiser did not converge */
    DW_EDEVICE = -7,     /* accelerator / runtime failure */
    DW_ENOTFOUND = -8,   /* unknown name (preset, form, GPU, column) */
    DW_EINFEASIBLE = -9, /* no feasible point (e.g. budget below one layer) */
    DW_EDATA = -10,      /* the data are valid but cannot determine the result: too few rows,
                            an input that never varies, a parameter the data cannot identify */
};

/* Text for a status code. Never NULL. */
const char *dw_strerror(int code);

/* Records the message for the current failure (printf-style), replacing any earlier one.
 * Always returns `code` so callers can write `return dw_error_set(DW_EPARSE, ...)`. */
int dw_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefixes the current message with "<prefix>: " (adds context on the way up). */
int dw_error_prefix(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The last message recorded on this thread, or dw_strerror of nothing ("") if none. */
const char *dw_error_get(void);
void dw_error_clear(void);
/* The code given with the current message (DW_OK when there is none): for callers of
 * functions that return NULL on failure and need to tell, say, memory from a device. */
int dw_error_code(void);

/* Logs "file:line: expr: msg" to stderr (for device/runtime failures). */
void dw_log_error(const char *file, int line, const char *expr, const char *msg);

/* Programmer errors: stays on in release builds, aborts with file, line and expression. */
#define DW_ASSERT(x)                                                                          \
    do {                                                                                      \
        if (!(x)) dw_assert_fail_(__FILE__, __LINE__, #x);                                    \
    } while (0)
void dw_assert_fail_(const char *file, int line, const char *expr) __attribute__((noreturn));

/* Reads a whole file into a NUL-terminated heap buffer (caller frees); *len gets the size
 * without the NUL when len is non-NULL. NULL on failure, with the message set. */
char *dw_read_file(const char *path, size_t *len);

/* Writes `len` bytes to `path` atomically: a temporary file in the same directory, fsync,
 * rename. Readers see the old file or the new one, never a part. DW_OK or DW_EIO. */
int dw_write_file_atomic(const char *path, const void *data, size_t len);

/* Appends one line (a trailing '\n' is added when missing) with a single O_APPEND write and
 * fsync, so concurrent writers and a killed process never leave a torn line. */
int dw_append_line(const char *path, const char *line);

/* SHA-256 of a file as 64 lowercase hex digits in out[65]. DW_OK or DW_EIO. */
int dw_sha256_file(const char *path, char out[65]);
void dw_sha256(const void *data, size_t len, char out[65]);

/* Strict number parsing: the whole string must be a finite number (1e22 or 1E22). With
 * `suffixes` set, one count suffix, case-insensitive, may follow: k = 1e3, m = 1e6 (million:
 * these are counts of tokens, parameters or FLOPs, never milli), b = g = 1e9, t = 1e12
 * (6.4B, 2m, 300b); nothing else (no "2mb", no space before it). docs/options.md says so.
 * DW_OK; DW_EINVAL when it is not a number; DW_ERANGE when it is infinite, NaN or outside
 * [lo, hi] — the message names `what`. */
int dw_parse_double(const char *s, const char *what, int suffixes, double *out);
int dw_parse_int(const char *s, const char *what, long lo, long hi, long *out);

/* A float as the double of its shortest decimal that reads back to it (0.02f → 0.02, not
 * 0.0199999995), for writing float settings into JSON. */
double dw_float_decimal(float x);

/* Current UTC time as ISO-8601 ("2026-11-23T16:48:49Z") in out[32]. */
void dw_utc_now(char out[32]);

/* Seconds on the monotonic clock (for durations: progress, throughput, benchmarks). */
double dw_now_s(void);

#endif
