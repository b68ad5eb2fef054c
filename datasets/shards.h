/* datasets/shards.h — token shards in llm.c's format and the memory-mapped loader the probe
 * samples training windows from (DESIGN §3 "Token shards"). Prefixes ds_shard_, ds_loader_.
 *
 * Shard file (llm.c, dev/data/data_common.py): a header of 256 little-endian int32,
 *     [0] magic 20240520, [1] version 1, [2] token count n, [3..255] zero,
 * then n little-endian uint16 tokens. The file is exactly 1024 + 2n bytes. Shards written
 * by llm.c's and nanoGPT-style scripts load here and ours load there. One shard holds at
 * most INT32_MAX tokens (the header field is an int32).
 *
 * Naming (llm.c's): DIR/<name>_<split>_<6-digit index>.bin, e.g. sotu_train_000000.bin;
 * the loader also accepts DIR/<name>_<split>.bin (tinyshakespeare_val.bin). DIR/manifest.json
 * (written by `dwplan data prepare`) gives the vocabulary size and tokenizer.
 *
 * Windows never cross a shard boundary: a window of T+1 tokens starts at one of the n_i - T
 * positions of one shard i, and the start is drawn uniformly over all such positions of all
 * shards of the split (so shards are weighted by their window counts, which is their token
 * counts less T). Shards with fewer than T+1 tokens are never sampled.
 *
 * Design stance: reference code. Shards are mmapped read-only and never copied (except on a
 * big-endian host, where they are read and byte-swapped); a batch costs B·T copies.
 */
#ifndef DS_SHARDS_H
#define DS_SHARDS_H

#include <stddef.h>
#include <stdint.h>

#define DS_SHARD_MAGIC 20240520
#define DS_SHARD_VERSION 1
#define DS_SHARD_HEADER_INTS 256
#define DS_SHARD_HEADER_BYTES (4 * DS_SHARD_HEADER_INTS)

// ----------------------------------------------------------------------------
// single shards

/* Writes `n` tokens as one llm.c shard at `path`, atomically: a temporary file in the same
 * directory, written in chunks, fsync, rename (readers see no file or the whole file).
 * Return: DW_OK; DW_EINVAL when n > INT32_MAX; DW_EIO (message names the file). */
int ds_shard_write(const char *path, const uint16_t *ids, size_t n);

typedef struct {
    int32_t magic, version; /* header fields [0] and [1] */
    size_t ntokens;         /* header field [2], checked against the file size */
    uint64_t file_bytes;    /* size of the file */
} DsShardInfo;

/* Reads and validates the header of the shard at `path` and checks its length.
 * Return: DW_OK; DW_EIO when the file cannot be opened or read; DW_EPARSE when the file is
 * shorter than the header, the magic or version is wrong, or the token count does not match
 * the file size. The message names the file and the field, e.g.
 * "x.bin: header field [0] magic is 12345, want 20240520 (not an llm.c token shard)". */
int ds_shard_info(const char *path, DsShardInfo *info);

/* Reads a whole shard (validated as by ds_shard_info) into a new array *ids of *n tokens
 * (caller frees *ids; *ids may be NULL when *n is 0). Return: as ds_shard_info, DW_ENOMEM. */
int ds_shard_read(const char *path, uint16_t **ids, size_t *n);

/* The shard files of one split in `dir` (names *_<split>_*.bin or *_<split>.bin), sorted by
 * name. *paths is a new array of *n new strings; free with ds_shard_list_free. DW_OK (with
 * *n possibly 0) or DW_EIO when the directory cannot be read. */
int ds_shard_list(const char *dir, const char *split, char ***paths, size_t *n);
void ds_shard_list_free(char **paths, size_t n);

// ----------------------------------------------------------------------------
// loader

typedef struct DsLoader DsLoader;

/* Opens every shard of `split` ("train" or "val") in `dir`, sorted by name, mmapped. The
 * vocabulary size and tokenizer come from dir/manifest.json ("vocab", "tokenizer"); without
 * a manifest the vocabulary is 256 when every token is below 256, else 50257 (GPT-2), or the
 * largest token + 1 when that is larger. Every token is checked against the vocabulary.
 * Return: DW_OK with *out owned by the caller (ds_loader_free); DW_EINVAL for a split other
 * than train/val; DW_EIO when dir cannot be read; DW_EPARSE when no shard of the split is
 * there, a shard is malformed (see ds_shard_info), the manifest is malformed, or a token is
 * outside the vocabulary. */
int ds_loader_open(const char *dir, const char *split, DsLoader **out);

/* Generates `ntokens` bytes of the synthetic language (datasets/synth.h) in memory, tokenised
 * with the byte tokenizer (V = 256). `spec` is a synth config spec ("vocab=..,seed=..") or
 * NULL for the default. Train and val are different text streams of the same language
 * (DsSynthConfig.stream, mapped by ds_loader_synth_stream; a different seed would be a
 * different language), so the two splits are independent samples of one distribution.
 * ds_loader_floor gives the exact entropy of the generated text in nats per token.
 * Return: DW_OK; DW_EINVAL for a bad split or ntokens < 2; DW_EINVAL/DW_ERANGE for a bad
 * spec (as ds_synth_config_parse; the message names the key); DW_ENOMEM. */
int ds_loader_open_synthetic(const char *spec, size_t ntokens, const char *split,
                             DsLoader **out);

/* The generator stream used for `split` of a synthetic corpus whose config stream is
 * `stream`: 2·stream for train, 2·stream + 1 for val. Shared with `dwplan data prepare
 * --corpus synthetic`, so its shards and the in-memory loader hold the same text. */
uint64_t ds_loader_synth_stream(uint64_t stream, const char *split);

size_t ds_loader_tokens(const DsLoader *l);
int ds_loader_vocab(const DsLoader *l);
/* Loss floor in nats per token when known (synthetic data, or a manifest that states one),
 * else NAN. */
double ds_loader_floor(const DsLoader *l);
/* One line for logs, e.g. "shards/sotu (train, 3.20M tokens, gpt2)". Borrowed; valid until
 * ds_loader_free. */
const char *ds_loader_describe(const DsLoader *l);

/* Fills one batch of B windows of T+1 consecutive tokens:
 *   inputs[b*T + t]  = tok[s_b + t]        int32_t inputs[B*T]   // (B, T)
 *   targets[b*T + t] = tok[s_b + t + 1]    int32_t targets[B*T]  // (B, T)
 * Start s_b is drawn uniformly over all window starts of the split (windows stay inside one
 * shard; see the file comment) from a hash of (seed, step, b) alone: the same (seed, step)
 * gives the same batch whatever was asked before, so a resumed run sees the same data.
 * The loader is not modified: concurrent calls on one loader are safe.
 * Return: DW_OK; DW_EINVAL for B < 1, T < 1, NULL buffers, or when no shard holds T+1
 * tokens (the message gives the counts). */
int ds_loader_batch(DsLoader *l, uint64_t seed, uint64_t step, int B, int T, int32_t *inputs,
                    int32_t *targets);

/* Unmaps and frees; NULL-safe. */
void ds_loader_free(DsLoader *l);

#endif
