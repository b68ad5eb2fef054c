/* plots/gnuplot.c — running gnuplot, the width palette, and the small text helpers the
 * figures and the report share.
 *
 * gnuplot is started with posix_spawnp (no shell): argv is {"gnuplot", "-e", "cd '<dir>'",
 * "<script>"}, so the script's relative data paths resolve in its own directory, exactly as
 * when a user runs `gnuplot depth.gp` there. stdin and stdout are /dev/null; stderr is a pipe
 * that we read to the end before waitpid, so its text can go into the error message.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/dw.h"
#include "plot_impl.h"

extern char **environ;

// ----------------------------------------------------------------------------
// text buffer

static void reserve_(PlotBuf *b, size_t more) {
    if (b->oom || b->len + more + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more + 1) cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
        b->oom = 1;
        return;
    }
    b->s = s;
    b->cap = cap;
}

void plot_buf_printf_(PlotBuf *b, const char *fmt, ...) {
    va_list ap, aq;
    if (b->oom) return;
    va_start(ap, fmt);
    va_copy(aq, ap);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0) {
        va_end(aq);
        return;
    }
    reserve_(b, (size_t)k);
    if (!b->oom) {
        vsnprintf(b->s + b->len, (size_t)k + 1, fmt, aq);
        b->len += (size_t)k;
    }
    va_end(aq);
}

void plot_buf_puts_(PlotBuf *b, const char *s) {
    size_t k = strlen(s);
    reserve_(b, k);
    if (b->oom) return;
    memcpy(b->s + b->len, s, k + 1);
    b->len += k;
}

void plot_buf_free_(PlotBuf *b) {
    free(b->s);
    memset(b, 0, sizeof *b);
}

int plot_buf_write_(const PlotBuf *b, const char *path) {
    if (b->oom) return dw_error_set(DW_ENOMEM, "%s: out of memory", path);
    return dw_write_file_atomic(path, b->s ? b->s : "", b->len);
}

const char *plot_gp_esc_(const char *in, char *out, size_t n) {
    size_t k = 0;
    for (; *in && k + 3 < n; in++) {
        if (strchr("_^@&~{}\\", *in)) out[k++] = '\\';
        if (*in == '\'') out[k++] = '\'';
        out[k++] = *in;
    }
    out[k] = '\0';
    return out;
}

void plot_html_esc_(PlotBuf *b, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&': plot_buf_puts_(b, "&amp;"); break;
        case '<': plot_buf_puts_(b, "&lt;"); break;
        case '>': plot_buf_puts_(b, "&gt;"); break;
        case '"': plot_buf_puts_(b, "&quot;"); break;
        case '\'': plot_buf_puts_(b, "&#39;"); break;
        default: {
            char c[2] = {*s, 0};
            plot_buf_puts_(b, c);
        }
        }
    }
}

int plot_path_split_(const char *image, char *dir, size_t ndir, char *stem, size_t nstem, char *ext,
                     size_t next) {
    const char *slash = strrchr(image, '/');
    const char *base = slash ? slash + 1 : image;
    const char *dot = strrchr(base, '.');
    if (slash)
        snprintf(dir, ndir, "%.*s", (int)(slash - image > 0 ? slash - image : 1), image);
    else
        snprintf(dir, ndir, ".");
    if (!dot || dot == base)
        return dw_error_set(DW_EINVAL, "%s: the output needs an extension: .png, .svg or .pdf",
                            image);
    snprintf(stem, nstem, "%.*s", (int)(dot - base), base);
    for (const char *p = base; *p; p++)
        if (*p == '\'' || (unsigned char)*p < 0x20)
            return dw_error_set(DW_EINVAL,
                                "%s: the file name must not contain quotes or control "
                                "characters (it is written into the gnuplot script)",
                                image);
    size_t k = 0;
    for (const char *p = dot + 1; *p && k + 1 < next; p++)
        ext[k++] = (char)tolower((unsigned char)*p);
    ext[k] = '\0';
    if (strcmp(ext, "png") && strcmp(ext, "svg") && strcmp(ext, "pdf"))
        return dw_error_set(DW_EINVAL, "%s: unknown image type '.%s': use .png, .svg or .pdf",
                            image, dot + 1);
    return DW_OK;
}

int plot_image_check(const char *image) {
    char dir[PLOT_PATH_MAX], stem[128], ext[8];
    return plot_path_split_(image, dir, sizeof dir, stem, sizeof stem, ext, sizeof ext);
}

// ----------------------------------------------------------------------------
// the width palette (plot.h): 24 colours over quarter-octave steps of log2 W. Slots that
// are multiples of 4 are powers of two (64 → 0, 128 → 4, 256 → 8, 512 → 12, 1024 → 16,
// 2048 → 20) and get the six strongest hues; slots 2 mod 4 (96, 192, 384, 768, 1536, 3072)
// the next six; the odd slots the rest. Neighbouring slots were chosen to contrast.

// clang-format off
static const char *const palette_[24] = {
    "#1f77b4", /*  0  64 blue          */ "#c51b8a", /*  1     magenta     */
    "#7f7f7f", /*  2  96 grey          */ "#1b5e20", /*  3     dark green  */
    "#ff7f0e", /*  4 128 orange        */ "#fb8072", /*  5     salmon      */
    "#393b79", /*  6 192 navy          */ "#6a3d9a", /*  7     violet      */
    "#2ca02c", /*  8 256 green         */ "#a50f15", /*  9     dark red    */
    "#17becf", /* 10 384 cyan          */ "#e7ba52", /* 11     sand        */
    "#d62728", /* 12 512 red           */ "#5d4037", /* 13     dark brown  */
    "#000000", /* 14 768 black         */ "#bcbd22", /* 15     olive       */
    "#9467bd", /* 16 1024 purple       */ "#00838f", /* 17 1280 teal       */
    "#e377c2", /* 18 1536 pink         */ "#66a61e", /* 19 1792 lime       */
    "#8c564b", /* 20 2048 brown        */ "#6baed6", /* 21 2560 light blue */
    "#b8860b", /* 22 3072 goldenrod    */ "#d95f02", /* 23     dark orange */
};
// clang-format on

const char *plot_width_color(double width) {
    if (!(width > 0) || !isfinite(width)) return "#000000";
    long k = lround(4 * log2(width));
    return palette_[((k % 24) + 24) % 24];
}

// ----------------------------------------------------------------------------
// running gnuplot

/* Spawns gnuplot with argv; stderr text into err[n]. *status gets the exit code, or -1 when
 * it could not be started (errno in *spawn_errno). */
static int spawn_(char *const argv[], char *err, size_t n, int *status, int *spawn_errno) {
    posix_spawn_file_actions_t fa;
    int pfd[2] = {-1, -1}, rc = DW_EIO;
    pid_t pid;
    size_t k = 0;
    *status = -1;
    *spawn_errno = 0;
    err[0] = '\0';
    if (pipe(pfd) != 0) return dw_error_set(DW_EIO, "pipe: %s", strerror(errno));
    fcntl(pfd[0], F_SETFD, FD_CLOEXEC);
    if (posix_spawn_file_actions_init(&fa) != 0) {
        close(pfd[0]), close(pfd[1]);
        return dw_error_set(DW_EIO, "posix_spawn_file_actions_init failed");
    }
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
    posix_spawn_file_actions_addclose(&fa, pfd[1]);
    int e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[1]);
    if (e != 0) {
        *spawn_errno = e;
        close(pfd[0]);
        return DW_OK;
    }
    /* read all of stderr (gnuplot may write more than a pipe holds), keep the first n-1 bytes */
    char chunk[4096];
    for (;;) {
        ssize_t got = read(pfd[0], chunk, sizeof chunk);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        for (ssize_t i = 0; i < got && k + 1 < n; i++) err[k++] = chunk[i];
    }
    err[k] = '\0';
    close(pfd[0]);
    int ws;
    while (waitpid(pid, &ws, 0) < 0)
        if (errno != EINTR) return dw_error_set(DW_EIO, "waitpid: %s", strerror(errno));
    if (WIFEXITED(ws))
        *status = WEXITSTATUS(ws);
    else if (WIFSIGNALED(ws))
        *status = 128 + WTERMSIG(ws);
    rc = DW_OK;
    return rc;
}

/* Trims trailing newlines and spaces. */
static void rstrip_(char *s) {
    size_t k = strlen(s);
    while (k > 0 && (s[k - 1] == '\n' || s[k - 1] == ' ' || s[k - 1] == '\r')) s[--k] = '\0';
}

int plot_gnuplot_found(void) {
    char err[256];
    int status, se;
    char *argv[] = {"gnuplot", "-e", "exit", NULL};
    if (spawn_(argv, err, sizeof err, &status, &se) != DW_OK) return 0;
    return se == 0 && status == 0;
}

/* <script without .gp>.log beside the script. 0 when the path does not fit. */
static int log_path_(const char *script, char *log, size_t n) {
    size_t k = strlen(script);
    if (k > 3 && !strcmp(script + k - 3, ".gp")) k -= 3;
    return snprintf(log, n, "%.*s.log", (int)k, script) < (int)n;
}

int plot_gnuplot_run(const char *script, char *warn, size_t nwarn) {
    char dir[PLOT_PATH_MAX], cd[2 * PLOT_PATH_MAX + 16], err[4096];
    const char *slash = strrchr(script, '/');
    const char *base = slash ? slash + 1 : script;
    int status, se;
    if (warn && nwarn) warn[0] = '\0';
    if (slash)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - script > 0 ? slash - script : 1), script);
    else
        snprintf(dir, sizeof dir, ".");
    /* cd '<dir>' in gnuplot's single-quoted syntax: a quote is doubled */
    size_t k = (size_t)snprintf(cd, sizeof cd, "cd '");
    for (const char *p = dir; *p && k + 4 < sizeof cd; p++) {
        if (*p == '\'') cd[k++] = '\'';
        cd[k++] = *p;
    }
    snprintf(cd + k, sizeof cd - k, "'");
    char *argv[] = {"gnuplot", "-e", cd, (char *)base, NULL};
    int rc = spawn_(argv, err, sizeof err, &status, &se);
    if (rc) return rc;
    rstrip_(err);
    /* gnuplot's standard error (errors and warnings) goes to <stem>.log beside the script;
     * a log from an earlier run is removed when this one printed nothing */
    char log[PLOT_PATH_MAX + 8];
    int log_ok = se == 0 && log_path_(script, log, sizeof log);
    struct stat lst;
    if (log_ok && err[0])
        log_ok = dw_write_file_atomic(log, err, strlen(err)) == DW_OK;
    else if (log_ok && lstat(log, &lst) == 0 && S_ISREG(lst.st_mode))
        unlink(log);
    dw_error_clear();
    if (se == ENOENT)
        return dw_error_set(DW_EIO,
                            "gnuplot not found on PATH: install it (Debian/Ubuntu: "
                            "apt-get install gnuplot-nox) and rerun, or run `gnuplot %s` in %s; "
                            "the script and data files are written",
                            base, dir);
    if (se)
        return dw_error_set(DW_EIO, "cannot start gnuplot: %s (install gnuplot-nox)", strerror(se));
    if (status != 0) {
        if (strstr(err, "unknown or ambiguous terminal type") && strstr(err, "pdfcairo"))
            return dw_error_set(DW_EIO,
                                "this gnuplot has no pdfcairo terminal for PDF output: install "
                                "gnuplot-nox, which has it, or write .png or .svg (%s/%s)",
                                dir, base);
        /* one sentence; gnuplot's own words go to a log beside the script, never into a
         * message that a report shows */
        int logged = log_ok && err[0];
        if (logged)
            return dw_error_set(DW_EIO,
                                "gnuplot could not draw %s/%s (exit %d; its message is in %s): "
                                "the script and data are written",
                                dir, base, status, log);
        return dw_error_set(DW_EIO, "gnuplot could not draw %s/%s (exit %d): the script and data "
                                    "are written; run gnuplot on it to see why",
                            dir, base, status);
    }
    if (warn && nwarn) snprintf(warn, nwarn, "%s", err[0] && log_ok ? log : err);
    return DW_OK;
}
