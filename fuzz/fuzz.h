/* fuzz/fuzz.h — what every libFuzzer harness of fuzz/ shares (fuzz/README.md): GSL's abort
 * handler off (as in dwplan's main()), a scratch directory of the process's own, and the
 * fuzz input as a file or as a NUL-terminated string. Header-only: each harness is one
 * translation unit.
 */
#ifndef DW_FUZZ_H
#define DW_FUZZ_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem; include this header first */
#endif

#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t n);

/* The process's scratch directory, $TMPDIR/dwplan-fuzz.PID (created on the first call; a
 * static string). libFuzzer's -fork and -jobs workers each get their own. Aborts when it
 * cannot be made: a harness that cannot write its input fuzzes nothing. */
static inline const char *fuzz_dir(void) {
    static char dir[512];
    if (!dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/dwplan-fuzz.%d", t && *t ? t : "/tmp", (int)getpid());
        if (mkdir(dir, 0700) && access(dir, W_OK)) {
            perror(dir);
            abort();
        }
    }
    return dir;
}

/* dir/name into out (n bytes). */
static inline void fuzz_path(const char *name, char *out, size_t n) {
    snprintf(out, n, "%s/%s", fuzz_dir(), name);
}

/* Writes data[0..n) to path (replacing it); aborts when it cannot (a full /tmp is not a
 * finding of the code under test). */
static inline void fuzz_write(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(data, 1, n, f) != n) || fclose(f)) {
        perror(path);
        abort();
    }
}

/* A NUL-terminated copy of data[0..n) (caller frees). */
static inline char *fuzz_cstr(const unsigned char *data, size_t n) {
    char *s = malloc(n + 1);
    if (!s) abort();
    if (n) memcpy(s, data, n);
    s[n] = '\0';
    return s;
}

/* Call from LLVMFuzzerInitialize: the library must report GSL errors, never abort on them. */
static inline void fuzz_init(void) {
    gsl_set_error_handler_off();
}

#endif
