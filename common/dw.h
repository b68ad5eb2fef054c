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

/* Writing outputs (common/dwout.c). What the output path is decides how it is written, the
 * same way in dw_write_file_atomic, dw_append_line and dw_output_check:
 *   absent or a regular file  written as described at each function;
 *   a character device, FIFO  written through: opened for writing (a FIFO waits for its
 *                             reader, as the shell's `>` does), never replaced, no fsync;
 *   a symlink                 followed: the file it points to is written (a regular target
 *                             is replaced atomically beside the target, the link stays);
 *                             a link to nothing is refused (DW_EINVAL), not replaced;
 *   a directory               refused (DW_EINVAL): "is a directory";
 *   anything else             (block device, socket) refused (DW_EINVAL). */

/* Writes `len` bytes to `path` atomically: a temporary "<target>.tmp.<pid>" in the target's
 * directory, fsync, rename over the target. Readers see the old file or the new one, never a
 * part. Before writing it removes the temporaries of dead writers of the same target
 * (dw_stale_temps_clean). Devices, FIFOs and symlinks: see above. DW_OK, DW_EINVAL (a
 * directory, a dangling link, a block device or socket) or DW_EIO, with the message naming
 * the path and the system's error. */
int dw_write_file_atomic(const char *path, const void *data, size_t len);

/* The same, streamed (an output too large to hold in memory): dw_out_open resolves `path`
 * by the rules above and opens its temporary (or the device or FIFO), dw_out_write appends
 * bytes, dw_out_commit fsyncs and renames into place, dw_out_abort removes the temporary.
 * Commit and abort free the handle, whatever they return. Errors as dw_write_file_atomic's,
 * the message naming the file. */
typedef struct DwOutFile DwOutFile;
int dw_out_open(const char *path, DwOutFile **f);
int dw_out_write(DwOutFile *f, const void *data, size_t len);
int dw_out_commit(DwOutFile *f);
void dw_out_abort(DwOutFile *f);

/* Appends one record: `line` plus a '\n' when missing, with an O_APPEND write and fsync
 * under an exclusive flock, so concurrent appenders never interleave. Whole records or
 * nothing: when the write or the fsync fails (a full disk: ENOSPC; a file size limit: EFBIG)
 * the file is cut back to its length before, and the message gives the real error. When the
 * file does not end in '\n' (a line torn by a crash or an editor), the record starts on a
 * new line rather than gluing onto it. A character device or FIFO is written through (no
 * fsync, no cut). DW_OK, DW_ENOMEM or DW_EIO. */
int dw_append_line(const char *path, const char *line);

/* 1 when process `pid` runs on this host (signals from us may be refused: still running),
 * 0 when there is none or it is a zombie (killed, not yet reaped). */
int dw_pid_alive(long pid);
/* The same in three states: 0 no such process, 1 a zombie, 2 running. */
int dw_pid_state(long pid);

/* Removes the temporaries that dead writers left beside `path`: the entries
 * "<base>.tmp.<pid>" of path's directory (base = its last component, trailing '/' ignored)
 * whose pid is not ours and runs nowhere on this host (dw_pid_alive). Files and links are
 * unlinked; directories (a checkpoint's DIR.tmp.PID/) only when `trees` is set, with
 * everything in them. Temporaries of live processes, and any that cannot be removed, are
 * left and counted in *nleft (may be NULL). Best effort, never fails: returns the number
 * removed. A directory shared between hosts (NFS) can hold a temporary of a live process on
 * another host whose pid is free here: such a writer's rename then fails, and says so. */
int dw_stale_temps_clean(const char *path, int trees, int *nleft);

/* The same for the entries "<prefix><pid>" of `dir` (for temporaries named otherwise: a
 * fetch's ".NAME.tmp.PID", an output's "NAME.old.PID" moved aside before its removal). */
int dw_stale_clean_prefix(const char *dir, const char *prefix, int trees, int *nleft);

/* What an output path must be: a file (dw_write_file_atomic, dw_append_line, a figure) or a
 * directory that is created when missing (a report). */
enum { DW_OUT_FILE = 0, DW_OUT_DIR = 1 };

/* Checks, before any work, that `path` can be written as a `kind` output, by the rules
 * above: a file output must not be a directory or a dangling link, and the target's
 * directory must exist and be writable (or the existing device or FIFO writable); a
 * directory output must be a directory or creatable under its nearest existing ancestor,
 * which must be writable. Writes nothing. `note` (n bytes, may be NULL) gets "" or one
 * sentence the caller should show: that the path is a symlink and which file is written, or
 * that temporaries of running processes sit beside it. DW_OK; DW_EINVAL (the path is the
 * wrong kind of thing); DW_EIO (missing or unwritable directory, read-only file system),
 * with the message naming the path. (A writable directory is no promise: a disk can still
 * fill up during the work.) */
int dw_output_check(const char *path, int kind, char *note, size_t n);

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
