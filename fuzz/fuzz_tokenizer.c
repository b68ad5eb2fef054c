/* fuzz/fuzz_tokenizer.c — tokenizers (datasets/tokenizer.h). Each input is
 *   - encoded and decoded by the byte tokenizer and, when GPT-2's rank file is there, by
 *     gpt2; decode(encode(x)) must give x back, every id must be below the vocabulary and
 *     gpt2 must never produce <|endoftext|> (encoding is "ordinary");
 *   - the empty input is encoded as the API allows, with text NULL;
 *   - parsed as a gpt2 rank file by ds_tok_ranks_parse_unchecked, the parser ds_tok_open
 *     reaches only after the file's sha256 matched GPT-2's (so a fuzzer through ds_tok_open
 *     would stop at the hash).
 * The rank file: $DWPLAN_FUZZ_RANKS, else the data directory's (ds_data_gpt2_ranks:
 * `dwplan data fetch gpt2-bpe`); without one only the byte tokenizer is fuzzed (said once
 * on stderr).
 * Seeds: fuzz/corpus/tokenizer/ (tests/data/tokenizer/, text from the repo). */
#include "fuzz/fuzz.h"

#include "common/dw.h"
#include "datasets/corpus.h"
#include "datasets/tokenizer.h"

static DsTokenizer *byte_, *gpt2_;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_init();
    char ranks[4096] = "", dir[4096];
    const char *env = getenv("DWPLAN_FUZZ_RANKS");
    if (env && *env) snprintf(ranks, sizeof ranks, "%s", env);
    else if (ds_data_dir(NULL, dir, sizeof dir) == DW_OK)
        ds_data_gpt2_ranks(dir, ranks, sizeof ranks);
    if (ds_tok_open("byte", NULL, &byte_) != DW_OK) abort();
    if (ranks[0] && access(ranks, R_OK) == 0) {
        if (ds_tok_open("gpt2", ranks, &gpt2_) != DW_OK) {
            fprintf(stderr, "fuzz_tokenizer: %s\n", dw_error_get());
            abort();
        }
    } else {
        fprintf(stderr, "fuzz_tokenizer: no GPT-2 rank file (set DWPLAN_FUZZ_RANKS or run "
                        "dwplan data fetch gpt2-bpe): fuzzing the byte tokenizer only\n");
    }
    return 0;
}

static void round_trip_(DsTokenizer *t, const unsigned char *data, size_t n) {
    DsIds ids = {0};
    unsigned char *back = NULL;
    size_t len = 0;
    int V = ds_tok_vocab(t);
    if (ds_tok_encode(t, n ? data : NULL, n, &ids) != DW_OK) {
        fprintf(stderr, "%s: encode failed: %s\n", ds_tok_name(t), dw_error_get());
        abort();
    }
    for (size_t i = 0; i < ids.n; i++)
        if ((int)ids.ids[i] >= V || (t == gpt2_ && ids.ids[i] == 50256)) abort();
    if (ds_tok_decode(t, ids.ids, ids.n, &back, &len) != DW_OK) abort();
    if (len != n || (n && memcmp(back, data, n))) {
        fprintf(stderr, "%s: decode(encode(x)) != x (%zu bytes in, %zu out)\n", ds_tok_name(t),
                n, len);
        abort();
    }
    free(back);
    ds_ids_free(&ids);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t n) {
    round_trip_(byte_, data, n);
    if (gpt2_) round_trip_(gpt2_, data, n);

    /* the rank parser itself, past the sha256 check that guards users' files */
    DsTokenizer *t = NULL;
    if (ds_tok_ranks_parse_unchecked("fuzz-ranks", (const char *)data, n, &t) == DW_OK) {
        round_trip_(t, data, n); /* a complete rank table: it must tokenise as well */
        ds_tok_free(t);
    }
    return 0;
}
