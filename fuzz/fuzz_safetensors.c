/* fuzz/fuzz_safetensors.c — safetensors files (probe/checkpoint.h) as a resume reads them:
 * the input is written as a file and loaded into a small model (depth 1, width 8, 2 heads,
 * vocab 256, seq 8, biases: the shape of the seeds) twice, as model.safetensors (the
 * parameters) and as optimizer.safetensors (the AdamW moments, NAME.exp_avg and
 * NAME.exp_avg_sq, and the "dwplan_state" metadata, parsed as probe_run resumes it).
 * Seeds: fuzz/corpus/safetensors/ (both files of a checkpoint dwplan wrote). */
#include "fuzz/fuzz.h"

#include <cjson/cJSON.h>

#include "common/dw.h"
#include "probe/checkpoint.h"
#include "probe/model.h"
#include "probe/run.h"
#include "probe/run_impl.h"

static ProbeModel *model_;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_init();
    ProbeModelConfig c;
    probe_model_config_default(&c);
    c.depth = 1;
    c.width = 8;
    c.heads = 2;
    c.vocab = 256;
    c.seq_len = 8;
    c.biases = 1;
    if (!(model_ = probe_model_alloc(&c, 1, 8, 1))) {
        fprintf(stderr, "fuzz_safetensors: cannot allocate the model: %s\n", dw_error_get());
        abort();
    }
    return 0;
}

/* The run state in an optimizer file's metadata, as probe_run reads it. */
static void state_(const char *meta) {
    cJSON *j = cJSON_Parse(meta);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "dwplan_state");
    if (cJSON_IsString(st)) {
        RunState s = {0};
        ProbeRunResult r;
        double g[3];
        memset(&r, 0, sizeof r);
        r.grad_norms = g;
        r.grad_norms_attn = g + 1;
        r.grad_norms_mlp = g + 2;
        (void)probe_run_state_parse_(st->valuestring, &s, &r, 1, NULL, 0, 1);
    }
    cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t n) {
    char path[600];
    fuzz_path("x.safetensors", path, sizeof path);
    fuzz_write(path, data, n);

    static const int w0[] = {0}, w2[] = {2, 3};
    static const char *const s0[] = {""}, *const s2[] = {".exp_avg", ".exp_avg_sq"};
    char *meta = NULL;
    if (probe_safetensors_load(path, model_, 1, w0, s0, &meta) == DW_OK && !meta) abort();
    free(meta);
    meta = NULL;
    if (probe_safetensors_load(path, model_, 2, w2, s2, &meta) == DW_OK) state_(meta);
    free(meta);
    return 0;
}
