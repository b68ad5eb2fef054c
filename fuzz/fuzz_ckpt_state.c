/* fuzz/fuzz_ckpt_state.c — the JSON a checkpoint carries besides its tensors
 * (probe/run_impl.h): the input is parsed as run settings (probe_run_settings_parse_, the
 * "dwplan" member of config.json) and as run state (probe_run_state_parse_, the
 * "dwplan_state" metadata of optimizer.safetensors) for a model of 1 and of 3 layers, with
 * a loss-curve schedule of four points (steps 1, 2, 4, 8 of 16 tokens);
 * settings that parse are planned as a resume plans them (probe_run_plan).
 * Seeds: fuzz/corpus/ckpt_state/ (both objects from a checkpoint dwplan wrote). */
#include "fuzz/fuzz.h"

#include "common/dw.h"
#include "probe/run.h"
#include "probe/run_impl.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t n) {
    char *json = fuzz_cstr(data, n);
    ProbeRunConfig c;
    char data_buf[512];
    probe_run_config_default(&c);
    probe_model_config_default(&c.model);
    c.model.depth = 1;
    c.model.width = 8;
    c.model.heads = 2;
    c.model.vocab = 256;
    c.model.seq_len = 8;
    if (probe_run_settings_parse_(json, &c, data_buf, sizeof data_buf) == DW_OK) {
        ProbeRunResult plan; /* what a resume does next: plan the run (no allocation) */
        c.mem_limit = (size_t)1 << 30;
        c.threads = 1;
        (void)probe_run_plan(&c, 256, &plan);
        probe_run_result_free(&plan);
    }

    double g[3 * 3];
    static const long evals[] = {1, 2, 4, 8};
    ProbeCurvePoint curve[4];
    for (int L = 1; L <= 3; L += 2) {
        RunState s = {0};
        ProbeRunResult r;
        memset(&r, 0, sizeof r);
        r.grad_norms = g;
        r.grad_norms_attn = g + 3;
        r.grad_norms_mlp = g + 6;
        r.curve = curve;
        (void)probe_run_state_parse_(json, &s, &r, L, evals, 4, 16);
    }
    free(json);
    return 0;
}
