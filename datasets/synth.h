/* datasets/synth.h — the synthetic language: dwplan's embedded default dataset, a seeded
 * text generator that knows the exact probability of everything it writes, so it reports the
 * true loss floor (nats per byte for the byte tokenizer). Prefix ds_synth_.
 *
 * The language (grammar, spelling and the entropy argument in docs/synthetic-language.md):
 * documents of `doc_sentences` sentences, one per line, under a header line "= Topic =" that
 * names the document's topic. Every topic has its own word tables (a shared Zipf law over
 * ranks, permuted per topic, so a model must memorise vocab × topics entries: width). Clauses
 * nest as centre embeddings ("noun that noun that noun verb verb verb") and each verb agrees in
 * number (singular verb + "s") and in selection class with its own clause's subject, so a model
 * must keep a stack: depth. A sentence may repeat an earlier sentence of its document, which
 * rewards copying from context.
 *
 * Determinism: sampling uses only integer arithmetic (xoshiro256** seeded by splitmix64,
 * integer weight tables whose totals are 2^31, exact bounded draws by rejection), so the bytes
 * are identical on every platform for a given config. Doubles appear only in the accounting
 * (−ln p of each choice) and, once at alloc, in rounding p_nest/p_repeat to multiples of 2^−32;
 * the accounting uses the rounded probabilities, which are the ones sampled.
 *
 * Accounting: the text is cut into units — a document's header line, and each sentence (its
 * line; the last sentence of a document also carries the blank line that ends it). A unit's
 * nats are −ln P(unit | everything before it), exactly (a fresh sentence's parse is unique; a
 * repeat is scored as the mixture of "copied" and "freshly generated", see the doc). The
 * nats of a unit are counted when its first byte is emitted, so ds_synth_nats() after any
 * sequence of ds_synth_generate() calls is the sum over all units whose text has started; it
 * depends only on the total byte count, never on the chunking.
 *
 * The config seed fixes the language (tables); `stream` selects an independent text stream of
 * the same language (e.g. validation text). Thread safety: a DsSynth is used by one thread at a
 * time; different generators are independent.
 */
#ifndef DS_SYNTH_H
#define DS_SYNTH_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t seed;     /* the language: word tables and topic names (default 1) */
    int vocab;         /* content word types, in [16, 2^20] (default 2000): 1/2 nouns, 1/4 verbs,
                          1/4 adjectives; vocab × topics <= 2^24 */
    int topics;        /* topic tables, in [1, 4096] (default 16) */
    int max_depth;     /* max nesting of clauses, in [1, 32] (default 3) */
    double p_nest;     /* probability a clause opens a nested clause, [0, 1] (default 0.35) */
    double p_repeat;   /* probability a sentence repeats an earlier one of its document, [0, 1]
                          (default 0.1) */
    int doc_sentences; /* sentences per document, in [1, 4096] (default 12) */
    uint64_t stream;   /* independent text stream of the same language (default 0) */
} DsSynthConfig;

/* The defaults above. */
void ds_synth_config_default(DsSynthConfig *c);

/* Applies comma-separated key=value overrides to *c, e.g. "vocab=4000,topics=32,depth=4,
 * repeat=0.2,seed=7". Keys: seed, vocab, topics, depth (or max_depth), nest (p_nest), repeat
 * (p_repeat), sentences (doc_sentences), stream. An empty or NULL spec changes nothing. Each
 * value is range-checked as in ds_synth_config_check. On failure *c may be partly updated.
 * Return: DW_OK; DW_EINVAL unknown key, missing '=' or a value that is not a number (the
 * message names the key); DW_ERANGE a value outside its range (message names the key). */
int ds_synth_config_parse(DsSynthConfig *c, const char *spec);

/* Checks every field against the ranges above. DW_OK or DW_ERANGE (message names the field). */
int ds_synth_config_check(const DsSynthConfig *c);

/* Writes the config as a spec that ds_synth_config_parse reads back to the same values
 * ("seed=1,vocab=2000,topics=16,depth=3,nest=0.35,repeat=0.1,sentences=12,stream=0") into
 * out[size] (truncated, always NUL-terminated when size > 0). Returns the length the full
 * text needs (snprintf convention). */
int ds_synth_config_format(const DsSynthConfig *c, char *out, size_t size);

typedef struct DsSynth DsSynth;

/* A generator at the start of its stream. NULL on a bad config (message set by
 * ds_synth_config_check via dw_error_set) or when memory runs out (message set). Building the
 * tables costs O(vocab × topics). Free with ds_synth_free. */
DsSynth *ds_synth_alloc(const DsSynthConfig *c);
void ds_synth_free(DsSynth *g); /* NULL-safe */

/* Writes exactly n bytes of the stream to buf, continuing where the previous call stopped
 * (mid-sentence if need be). Every byte is printable ASCII (0x20..0x7e) or '\n'.
 * Return: DW_OK; DW_EINVAL when g is NULL or buf is NULL with n > 0. */
int ds_synth_generate(DsSynth *g, unsigned char *buf, size_t n);

/* −ln P of the stream so far, in nats: the sum over units whose text has started. */
double ds_synth_nats(const DsSynth *g);
/* Bytes generated so far. */
size_t ds_synth_bytes(const DsSynth *g);
/* nats / bytes: the loss floor in nats per byte (per token for the byte tokenizer) of the text
 * generated so far; NaN before the first byte. For a tokenizer that maps text to tokens
 * losslessly and deterministically, the per-token floor is ds_synth_nats / tokens. */
double ds_synth_floor(const DsSynth *g);
/* Standard error of ds_synth_floor as an estimate of the language's entropy rate, from the
 * documents emitted completely so far (documents are independent; delta method for the ratio
 * Σnats/Σbytes). NaN with fewer than two complete documents. */
double ds_synth_floor_se(const DsSynth *g);

/* The expected floor E[nats per document] / E[bytes per document], computed analytically
 * from the tables (no sampling; see the doc for the recursion). Exact except for accidental
 * coincidences — a freshly generated sentence equal to an earlier one of its document — whose
 * effect on the default language is below 1e-4 relative. */
double ds_synth_expected_floor(const DsSynth *g);

/* Scores text of this generator's language independently of the generator: parses it and
 * returns −ln P(text) under the language's distribution. `text` must begin at the start of a
 * document (the stream's first byte is one). Only complete units are scored: *nats gets the
 * sum over them and *used (may be NULL) the bytes they cover; a trailing partial unit is left
 * out. Checks the grammar, the spelling, the number agreement of every verb and the document
 * layout. For text written by ds_synth_generate, cut at a unit boundary, *nats equals
 * ds_synth_nats of a generator that wrote exactly *used bytes.
 * Return: DW_OK; DW_EPARSE text not in the language (message gives the byte offset and what
 * was expected); DW_EINVAL NULL arguments; DW_ENOMEM. */
int ds_synth_score(const DsSynth *g, const unsigned char *text, size_t len, double *nats,
                   size_t *used);

#endif
