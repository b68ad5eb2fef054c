/* fuzz/fuzz_trainer.c — a Hugging Face Trainer's trainer_state.json (datasets/trainer.h) and
 * the run directory around it (planner/runlogs.h). The input is parsed as the file's text
 * with and without --tokens-per-step, then written as DIR/trainer_state.json beside a fixed
 * GPT-2 config.json and read as a run directory, as `dwplan fit DIR` does. Checks: points
 * are at most the entries, steps strictly ascend, tokens and losses are positive, every
 * point's line is a line of the input; the directory's table has one row per point, one
 * run, and its runs and shapes in range. Seeds: fuzz/corpus/trainer/ (tests/data/trainer/
 * and hand-made logs). */
#include "fuzz/fuzz.h"

#include "common/dw.h"
#include "datasets/trainer.h"
#include "planner/runlogs.h"

static const char config_[] =
    "{\"model_type\": \"gpt2\", \"n_embd\": 64, \"n_head\": 4, \"n_layer\": 2, "
    "\"vocab_size\": 50257, \"activation_function\": \"gelu_new\"}\n";

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}

static void check_(const DsTrainerLog *log, const unsigned char *data, size_t n) {
    int lines = 1;
    for (size_t i = 0; i < n; i++) lines += data[i] == '\n';
    if (log->n < 1 || log->n > log->nentries) abort();
    for (int i = 0; i < log->n; i++) {
        if (!(log->tokens[i] > 0) || !(log->loss[i] > 0) || !(log->step[i] > 0)) abort();
        if (i > 0 && !(log->step[i] > log->step[i - 1])) abort();
        if (log->line[i] < 1 || log->line[i] > lines) abort();
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t n) {
    DsTrainerLog log;
    /* the parser reads exactly n bytes: no NUL after them */
    char *copy = malloc(n ? n : 1);
    if (!copy) abort();
    if (n) memcpy(copy, data, n);
    if (ds_trainer_parse(copy, n, "trainer_state.json", 0, &log) == DW_OK) check_(&log, data, n);
    ds_trainer_free(&log);
    if (ds_trainer_parse(copy, n, "trainer_state.json", 4096, &log) == DW_OK) check_(&log, data, n);
    ds_trainer_free(&log);
    free(copy);

    char dir[600], path[700];
    fuzz_path("run", dir, sizeof dir);
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/config.json", dir);
    fuzz_write(path, config_, sizeof config_ - 1);
    snprintf(path, sizeof path, "%s/trainer_state.json", dir);
    fuzz_write(path, data, n);
    DsRuns *r = NULL;
    PlanTrainerInfo in;
    const char *dirs[1] = {dir};
    DsRunsOptions o = {.tokens_per_step = 1000};
    if (plan_trainer_load(dirs, 1, &o, &r, &in) == DW_OK) {
        if (r->n != in.npoints || in.nruns != 1 || r->nruns != 1 || r->ngroups != 1) abort();
        for (int i = 0; i < r->n; i++)
            if (r->run[i] != 0 || r->group[i] != 0 || !(r->tokens[i] > 0)) abort();
    }
    ds_runs_free(r);
    return 0;
}
