/* fuzz/fuzz_checkpoint.c — a checkpoint's config.json (probe/checkpoint.h) as `probe run
 * --resume` and `probe eval` read it: probe_checkpoint_config on a directory holding the
 * input as config.json, then the run settings of its "dwplan" member
 * (probe_run_settings_parse_, probe/run_impl.h) and the plan a resume makes from them
 * (probe_run_plan, which allocates nothing). The model itself is not allocated: its size
 * comes from the config (issue 14, finding 2).
 * Seeds: fuzz/corpus/checkpoint/ (config.json of a checkpoint dwplan wrote). */
#include "fuzz/fuzz.h"

#include "common/dw.h"
#include "probe/checkpoint.h"
#include "probe/run.h"
#include "probe/run_impl.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t n) {
    char dir[600], path[700];
    fuzz_path("ck", dir, sizeof dir);
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/%s", dir, PROBE_CKPT_CONFIG);
    fuzz_write(path, data, n);

    ProbeRunConfig c;
    char *run_json = NULL, data_buf[512];
    probe_run_config_default(&c);
    if (probe_checkpoint_config(dir, &c.model, &run_json) == DW_OK && run_json &&
        probe_run_settings_parse_(run_json, &c, data_buf, sizeof data_buf) == DW_OK) {
        ProbeRunResult plan;
        c.mem_limit = (size_t)1 << 30;
        c.threads = 1;
        (void)probe_run_plan(&c, 256, &plan);
        probe_run_result_free(&plan);
    }
    free(run_json);
    return 0;
}
