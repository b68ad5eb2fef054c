/* fuzz/fuzz_manifest.c — a shard directory's manifest.json (datasets/shards.h): the input is
 * written as DIR/manifest.json beside one fixed valid shard (64 tokens, ids up to 255) and
 * the directory is opened with ds_loader_open for train and for val (which has no shard).
 * A loader that opens must have a vocabulary above every id it hands out.
 * Seeds: fuzz/corpus/manifest/ (manifests `dwplan data prepare` wrote). */
#include "fuzz/fuzz.h"

#include "common/dw.h"
#include "datasets/shards.h"

static char dir_[600];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_init();
    char shard[700];
    uint16_t ids[64];
    for (int i = 0; i < 64; i++) ids[i] = (uint16_t)((i * 37) % 256);
    ids[63] = 255;
    fuzz_path("manifest", dir_, sizeof dir_);
    mkdir(dir_, 0700);
    snprintf(shard, sizeof shard, "%s/m_train_000000.bin", dir_);
    if (ds_shard_write(shard, ids, 64) != DW_OK) {
        fprintf(stderr, "fuzz_manifest: %s\n", dw_error_get());
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t n) {
    char path[700];
    snprintf(path, sizeof path, "%s/manifest.json", dir_);
    fuzz_write(path, data, n);

    DsLoader *l = NULL;
    if (ds_loader_open(dir_, "train", &l) == DW_OK) {
        enum { B = 2, T = 8 };
        int32_t in[B * T], tg[B * T];
        int V = ds_loader_vocab(l);
        if (V < 256) abort(); /* id 255 is in the shard */
        (void)ds_loader_describe(l);
        (void)ds_loader_floor(l);
        if (ds_loader_batch(l, 7, 0, B, T, in, tg) == DW_OK)
            for (int i = 0; i < B * T; i++)
                if (in[i] >= V || tg[i] >= V) abort();
    }
    ds_loader_free(l);
    l = NULL;
    if (ds_loader_open(dir_, "val", &l) == DW_OK) abort(); /* no val shard */
    return 0;
}
