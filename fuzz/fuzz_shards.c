/* fuzz/fuzz_shards.c — llm.c token shards (datasets/shards.h): the input is written as the
 * one train shard of a directory without a manifest, then read by ds_shard_info and
 * ds_shard_read (which must agree on the token count) and opened by ds_loader_open, which
 * maps it and must hand out only windows of the shard's tokens, each inside the vocabulary.
 * Seeds: fuzz/corpus/shards/ (shards `dwplan data prepare` wrote). */
#include "fuzz/fuzz.h"

#include "common/dw.h"
#include "datasets/shards.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}

/* Draws a few batches and checks every id against the vocabulary. */
static void batches_(DsLoader *l) {
    enum { B = 2, T = 4 };
    int32_t in[B * T], tg[B * T];
    int V = ds_loader_vocab(l);
    (void)ds_loader_describe(l);
    (void)ds_loader_floor(l);
    for (uint64_t step = 0; step < 3; step++) {
        if (ds_loader_batch(l, 1, step, B, T, in, tg) != DW_OK) return;
        for (int i = 0; i < B * T; i++)
            if (in[i] < 0 || in[i] >= V || tg[i] < 0 || tg[i] >= V) abort();
        for (int i = 0; i + 1 < B * T; i++)
            if ((i + 1) % T && in[i + 1] != tg[i]) abort(); /* targets are inputs shifted */
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t n) {
    char dir[600], path[700];
    fuzz_path("shards", dir, sizeof dir);
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/f_train_000000.bin", dir);
    fuzz_write(path, data, n);

    DsShardInfo info;
    int ok_info = ds_shard_info(path, &info) == DW_OK;
    uint16_t *ids = NULL;
    size_t nids = 0;
    int ok_read = ds_shard_read(path, &ids, &nids) == DW_OK;
    if (ok_info != ok_read || (ok_read && nids != info.ntokens)) abort();
    free(ids);

    DsLoader *l = NULL;
    if (ds_loader_open(dir, "train", &l) == DW_OK) {
        if (ds_loader_tokens(l) != info.ntokens) abort();
        batches_(l);
    }
    ds_loader_free(l);
    return 0;
}
