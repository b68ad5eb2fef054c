/* datasets/corpus_impl.h — private to the corpus files of datasets/ (corpus.c, corpus_fetch.c,
 * corpus_text.c, lzw.c, corpus_prepare.c); callers use datasets/corpus.h. The path limits,
 * the formatting and file-system helpers that fetching and preparing both use, and the
 * formatting of progress messages for the caller's callback. Nothing here is API; names
 * shared across the files end in '_'.
 */
#ifndef DS_CORPUS_IMPL_H
#define DS_CORPUS_IMPL_H

#include <stdarg.h>
#include <stddef.h>

#include "datasets/corpus.h"

#define PATH_N 4096
#define DATA_DIR_MAX 2048

/* snprintf for paths and messages whose inputs are bounded (the data directory is at most
 * DATA_DIR_MAX bytes): a rare cut is harmless, and the compiler need not prove otherwise. */
void ds_bfmt_(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Appends one byte; DW_OK or DW_ENOMEM. */
int ds_buf_putc_(DsBuf *b, char c);

/* The part of a path after its last '/' (a pointer into p). */
const char *ds_base_name_(const char *p);

/* The file a corpus entry writes in DIR/NAME: its `file`, or for gpt2-bpe the rank file's
 * base name. */
const char *ds_corpus_data_file_(const DsCorpusInfo *c);

/* Removes a tree (NULL-safe, missing is fine); never follows symlinks. */
void ds_rm_tree_(const char *path);
/* mkdir -p; DW_OK or DW_EIO naming the directory that could not be made. */
int ds_mkdir_p_(const char *path);

/* Formats a message and hands it to fn with ctx (nothing when fn is NULL; a message that
 * cannot be allocated is dropped: progress is best-effort). */
void ds_progress_(DsProgressFn fn, void *ctx, DsProgressKind kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void ds_vprogress_(DsProgressFn fn, void *ctx, DsProgressKind kind, const char *fmt,
                   va_list ap) __attribute__((format(printf, 4, 0)));

#endif
