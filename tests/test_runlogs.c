/* tests/test_runlogs.c — reading real run logs (issue 15): W&B exports by their column
 * names, Hugging Face Trainer directories (datasets/trainer.h, planner/runlogs.h), run
 * records' loss curves (--curves), the run identity of rule 7 (datasets/runs.h), and the
 * bootstrap over whole runs (fit_bootstrap_rows: every resample takes all or none of a
 * run's rows, each draw of a run bringing every one of its rows).
 *
 * Fixtures: tests/data/wandb/, tests/data/trainer/ (written by tests/data/logs/
 * make_fixtures.py as W&B's API recipe and Trainer write them), tests/data/curves/runs.jsonl
 * (by hand). Environment: DW_SOURCE_DIR (default ".") locates them; missing fixtures: 77.
 *
 * Known limitations (documented in docs/data.md):
 * | what | why |
 * |---|---|
 * | tokens of a Trainer log without num_input_tokens_seen need --tokens-per-step | trainer_state.json's train_batch_size leaves out gradient accumulation and the other processes |
 * | N of a Trainer run is counted from depth and width under the config's block | LawConventions has no key-value heads: a GQA model's attention is counted as full |
 */
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "common/dw.h"
#include "datasets/runs.h"
#include "datasets/trainer.h"
#include "fit/fit.h"
#include "planner/fitdata.h"
#include "planner/runlogs.h"

static char dir_[1024];

static int has_(const char *s, const char *sub) { return s && strstr(s, sub) != NULL; }

static const char *path_(const char *rel) {
    static char p[8][1200];
    static int k;
    k = (k + 1) % 8;
    snprintf(p[k], sizeof p[k], "%s/%s", dir_, rel);
    return p[k];
}

// ----------------------------------------------------------------------------
// W&B exports

static void test_wandb(void) {
    DsRuns *r = NULL;
    DsRunsOptions o = {0};
    CHECK_STATUS(ds_runs_load(path_("wandb/export.csv"), &o, &r));
    CHECK(r && r->n == 12 && !strcmp(r->col[DS_RUNS_LOSS], "eval/loss"));
    CHECK(r && !strcmp(r->col[DS_RUNS_TOKENS], "train/num_input_tokens_seen"));
    CHECK(r && !strcmp(r->col[DS_RUNS_DEPTH], "n_layer") && !strcmp(r->col[DS_RUNS_WIDTH], "n_embd"));
    CHECK(r && !strcmp(r->col[DS_RUNS_PARAMS], "model/num_parameters"));
    /* one row per run: runs from the name column, no curves, the bootstrap stays on rows */
    CHECK(r && !strcmp(r->col[DS_RUNS_RUN], "name") && r->nruns == 12 && r->run_explicit &&
          !r->curves);
    ds_runs_free(r);

    /* the training loss on request; an unknown field is refused, naming it */
    o.maps = "loss=train/loss";
    CHECK_STATUS(ds_runs_load(path_("wandb/export.csv"), &o, &r));
    CHECK(r && !strcmp(r->col[DS_RUNS_LOSS], "train/loss"));
    ds_runs_free(r);
    o.maps = "los=eval/loss";
    CHECK(ds_runs_load(path_("wandb/export.csv"), &o, &r) == DW_EINVAL && !r);
    CHECK(has_(dw_error_get(), "unknown field 'los'"));

    /* a history: train/ and eval/ rows interleave; the rows without eval/loss are left
     * out and counted, the runs are curves */
    o.maps = NULL;
    CHECK_STATUS(ds_runs_load(path_("wandb/history.csv"), &o, &r));
    CHECK(r && r->n == 24 && r->nskipped_noloss == 24 && r->nruns == 6 && r->curves);
    for (int i = 1; r && i < r->n; i++)
        if (r->run[i] == r->run[i - 1]) CHECK(r->tokens[i] > r->tokens[i - 1]);
    ds_runs_free(r);

    /* --map run=COL: the run column as the user says (here: the shape's own name column is
     * replaced by n_layer, so runs of one depth merge only within one shape) */
    o.maps = "run=n_layer";
    CHECK_STATUS(ds_runs_load(path_("wandb/history.csv"), &o, &r));
    CHECK(r && r->nruns == 6 && !strcmp(r->run_by, "column 'n_layer'"));
    ds_runs_free(r);
}

// ----------------------------------------------------------------------------
// trainer_state.json

static const char *state_ =
    "{\n"
    "  \"best_metric\": null,\n"
    "  \"epoch\": 1.0,\n"
    "  \"global_step\": 300,\n"
    "  \"log_history\": [\n"
    "    {\n"
    "      \"epoch\": 0.0,\n"
    "      \"eval_loss\": 10.9,\n"
    "      \"num_input_tokens_seen\": 0,\n"
    "      \"step\": 0\n"
    "    },\n"
    "    {\n"
    "      \"epoch\": 0.33,\n"
    "      \"loss\": 4.5,\n"
    "      \"num_input_tokens_seen\": 1000,\n"
    "      \"step\": 100\n"
    "    },\n"
    "    {\n"
    "      \"epoch\": 0.33,\n"
    "      \"eval_loss\": 4.25,\n"
    "      \"num_input_tokens_seen\": 1000,\n"
    "      \"step\": 100\n"
    "    },\n"
    "    {\n"
    "      \"epoch\": 1.0,\n"
    "      \"eval_loss\": 3.5,\n"
    "      \"num_input_tokens_seen\": 3000,\n"
    "      \"step\": 300\n"
    "    },\n"
    "    {\n"
    "      \"epoch\": 1.0,\n"
    "      \"step\": 300,\n"
    "      \"total_flos\": 1.0,\n"
    "      \"train_loss\": 4.0\n"
    "    }\n"
    "  ],\n"
    "  \"max_steps\": 300,\n"
    "  \"train_batch_size\": 8\n"
    "}\n";

/* state_ with its first occurrence of `from` replaced by `to`. */
static char *edit_(const char *from, const char *to) {
    const char *at = strstr(state_, from);
    char *s = malloc(strlen(state_) + strlen(to) + 1);
    if (!s || !at) abort();
    size_t a = (size_t)(at - state_);
    memcpy(s, state_, a);
    strcpy(s + a, to);
    strcat(s, at + strlen(from));
    return s;
}

static void test_trainer_parse(void) {
    DsTrainerLog log;
    CHECK_STATUS(ds_trainer_parse(state_, strlen(state_), "ts.json", 0, &log));
    /* evaluations only (the training log at step 100 is not one), step 0 left out */
    CHECK(log.eval && log.n == 2 && log.nstep0 == 1 && log.nentries == 5 && log.tokens_logged);
    CHECK(log.n == 2 && log.step[0] == 100 && log.tokens[0] == 1000 && log.loss[0] == 4.25);
    CHECK(log.n == 2 && log.line[0] == 18 && log.line[1] == 24); /* the entries' "{" lines */
    CHECK(log.global_step == 300 && log.train_batch_size == 8);
    ds_trainer_free(&log);

    /* no evaluation: the training loss */
    char *s = malloc(strlen(state_) + 1);
    if (!s) abort();
    strcpy(s, state_);
    for (char *p; (p = strstr(s, "eval_loss"));) memcpy(p, "eval_xxxx", 9);
    CHECK_STATUS(ds_trainer_parse(s, strlen(s), "ts.json", 0, &log));
    CHECK(!log.eval && log.n == 1 && log.loss[0] == 4.5 && log.line[0] == 12);
    ds_trainer_free(&log);
    free(s);

    /* errors name the file, the entry's line and the field */
    s = edit_("\"eval_loss\": 4.25", "\"eval_loss\": \"4.25\"");
    CHECK(ds_trainer_parse(s, strlen(s), "ts.json", 0, &log) == DW_EPARSE);
    CHECK(has_(dw_error_get(), "ts.json:18: log_history[2].eval_loss: expected a number"));
    free(s);
    s = edit_("\"eval_loss\": 3.5", "\"eval_loss\": -3.5");
    CHECK(ds_trainer_parse(s, strlen(s), "ts.json", 0, &log) == DW_EPARSE);
    CHECK(has_(dw_error_get(), "ts.json:24: log_history[3].eval_loss"));
    free(s);
    s = edit_("\"num_input_tokens_seen\": 3000,\n", "");
    CHECK(ds_trainer_parse(s, strlen(s), "ts.json", 0, &log) == DW_EPARSE);
    CHECK(has_(dw_error_get(), "ts.json:24") && has_(dw_error_get(), "--tokens-per-step"));
    /* with it: tokens = step x tokens per step where the log has none */
    CHECK_STATUS(ds_trainer_parse(s, strlen(s), "ts.json", 10, &log));
    CHECK(log.n == 2 && log.tokens[0] == 1000 && log.tokens[1] == 3000 && !log.tokens_logged);
    ds_trainer_free(&log);
    free(s);
    s = edit_("\"step\": 300\n", "\"step\": 50\n");
    CHECK(ds_trainer_parse(s, strlen(s), "ts.json", 0, &log) == DW_EPARSE);
    CHECK(has_(dw_error_get(), "log_history[3].step: 50 after step 100"));
    free(s);
    /* the key spelled with an escape: cJSON finds it, and so does the line scanner (the
     * fuzzer's finding: lines 0 in the messages) */
    s = edit_("\"log_history\"", "\"log\\u005fhistory\"");
    CHECK_STATUS(ds_trainer_parse(s, strlen(s), "ts.json", 0, &log));
    CHECK(log.n == 2 && log.line[0] == 18 && log.line[1] == 24);
    ds_trainer_free(&log);
    free(s);
    /* a NUL byte inside the key (cJSON's C-string key would still read "log_history"):
     * refused, naming its line (fuzz_trainer's reproducer had it) */
    {
        const char *at = strstr(state_, "log_history\"");
        size_t a = (size_t)(at - state_) + 11, len = strlen(state_) + 1;
        char *t = malloc(len + 1);
        if (!t) abort();
        memcpy(t, state_, a);
        t[a] = '\0';
        memcpy(t + a + 1, state_ + a, len - a);
        int line = 1;
        for (const char *q = state_; q < at; q++) line += *q == '\n';
        char want[64];
        snprintf(want, sizeof want, "ts.json:%d: NUL byte", line);
        CHECK(ds_trainer_parse(t, len, "ts.json", 0, &log) == DW_EPARSE);
        CHECK(has_(dw_error_get(), want) && log.n == 0);
        free(t);
    }
    /* fuzz_trainer's third finding: an entry that is not an object after a good one was
     * reported with status OK (the good entry's status) and no points; its line was 0 */
    const char *notobj = "{\"log_history\": [\n{\"loss\": 3.5, \"step\": 10, "
                         "\"num_input_tokens_seen\": 100},\n 3.4]}";
    CHECK(ds_trainer_parse(notobj, strlen(notobj), "ts.json", 0, &log) == DW_EPARSE);
    CHECK(has_(dw_error_get(), "ts.json:3: log_history[1]: expected an object") && log.n == 0);
    /* text after the object (cJSON stops after the first value) */
    const char *twice = "{\"log_history\": [{\"loss\": 3.5, \"step\": 10, "
                        "\"num_input_tokens_seen\": 100}]}\n{\"x\": 1}\n";
    CHECK(ds_trainer_parse(twice, strlen(twice), "ts.json", 0, &log) == DW_EPARSE);
    CHECK(has_(dw_error_get(), "ts.json:2: text after the JSON object"));
    const char *bad[] = {"", "[]", "{\"log_history\": {}}", "{\"log_history\": [1]}",
                         "{\"log_history\": []}", "{\"log_history\": [{\"loss\": 2}]}"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        CHECK(ds_trainer_parse(bad[k], strlen(bad[k]), "ts.json", 0, &log) == DW_EPARSE);
        CHECK(log.n == 0 && !log.step);
    }
}

static void test_trainer_dirs(void) {
    DsRuns *r = NULL;
    PlanTrainerInfo in;
    const char *one[1] = {path_("trainer/runs")};
    CHECK_STATUS(plan_trainer_load(one, 1, NULL, &r, &in));
    CHECK(in.nruns == 6 && in.npoints == 30 && in.eval && in.tokens_logged && in.same_block);
    CHECK(in.shape.vocab == 50257 && in.shape.tied && !in.shape.swiglu);
    CHECK(r && r->n == 30 && r->nruns == 6 && r->curves && r->ngroups == 6);
    CHECK(r && !strcmp(r->col[DS_RUNS_LOSS], "eval_loss") && r->has_depth && r->has_width);
    CHECK(r && !strcmp(r->run_by, "Trainer run directories"));
    /* the first run in name order is gpt2-2x128: depth 2, width 128 from its config.json */
    CHECK(r && r->depth[0] == 2 && r->width[0] == 128 && r->tokens[0] == 250.0 * 8192);
    ds_runs_free(r);

    /* the same runs one by one: the same table */
    const char *six[6] = {path_("trainer/runs/gpt2-2x128/"), path_("trainer/runs/gpt2-2x64"),
                          path_("trainer/runs/gpt2-4x128"), path_("trainer/runs/gpt2-4x64"),
                          path_("trainer/runs/gpt2-6x192"), path_("trainer/runs/gpt2-6x96")};
    CHECK_STATUS(plan_trainer_load(six, 6, NULL, &r, &in));
    CHECK(r && r->n == 30 && r->nruns == 6);
    ds_runs_free(r);

    /* checkpoint-N layout: the highest checkpoint's log, config.json from the run */
    const char *ck[1] = {path_("trainer/checkpoints/run-a")};
    CHECK_STATUS(plan_trainer_load(ck, 1, NULL, &r, &in));
    CHECK(r && r->n == 4 && r->tokens[3] == 1000.0 * 8192 && in.shape.width == 128);
    ds_runs_free(r);

    const char *nc[1] = {path_("trainer/no_config/run")};
    CHECK(plan_trainer_load(nc, 1, NULL, &r, &in) == DW_EPARSE && !r);
    CHECK(has_(dw_error_get(), "no config.json"));
    const char *nt[1] = {path_("trainer/no_tokens/run")};
    CHECK(plan_trainer_load(nt, 1, NULL, &r, &in) == DW_EPARSE && !r);
    CHECK(has_(dw_error_get(), "trainer_state.json:") && has_(dw_error_get(), "--tokens-per-step"));
    DsRunsOptions o = {.tokens_per_step = 8192};
    CHECK_STATUS(plan_trainer_load(nt, 1, &o, &r, &in));
    CHECK(r && r->n == 4 && r->tokens[0] == 250.0 * 8192 && !in.tokens_logged);
    ds_runs_free(r);
    const char *none[1] = {path_("curves")};
    CHECK(plan_trainer_load(none, 1, NULL, &r, &in) == DW_EPARSE);
    CHECK(has_(dw_error_get(), "not a Trainer run directory"));
}

// ----------------------------------------------------------------------------
// loss curves in run records

static void test_curves(void) {
    DsRuns *r = NULL;
    DsRunsOptions o = {0};
    /* without --curves: a record is a row (the diverged one left out) */
    CHECK_STATUS(ds_runs_load(path_("curves/runs.jsonl"), &o, &r));
    CHECK(r && r->n == 4 && r->nexpanded == 0 && r->has_curve_col && !r->curves);
    ds_runs_free(r);
    o.curves = 1;
    CHECK_STATUS(ds_runs_load(path_("curves/runs.jsonl"), &o, &r));
    /* a1, a2: 3 points each; b1: 2; c1 has no curve: its own row */
    CHECK(r && r->n == 9 && r->nexpanded == 3 && r->nruns == 4 && r->curves);
    CHECK(r && r->tokens[0] == 1e6 && r->loss[0] == 4.61 && r->tokens[2] == 3e6 &&
          r->loss[2] == 3.95 && r->run[0] == r->run[2] && r->run[3] != r->run[0]);
    /* a1 and a2 share a shape but are two runs */
    CHECK(r && r->group[0] == r->group[3] && r->run[0] != r->run[3] && r->ngroups == 3);
    CHECK(r && r->params[1] == 98304 && isnan(r->flops[1]) && r->line[1] == 1);
    ds_runs_free(r);

    /* a curve whose last point is not the record's own is refused, naming line and field */
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s/dwplan-curves-%d.jsonl", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (int)getpid());
    const char *cases[][2] = {
        {"{\"depth\":2,\"width\":64,\"tokens\":3,\"val_loss\":4,\"curve\":[{\"tokens\":1,\"loss\":5},"
         "{\"tokens\":2,\"loss\":4}]}", "is not the record's own"},
        {"{\"depth\":2,\"width\":64,\"tokens\":2,\"val_loss\":4,\"curve\":[{\"tokens\":2,\"loss\":5},"
         "{\"tokens\":2,\"loss\":4}]}", "curve[1]: tokens 2"},
        {"{\"depth\":2,\"width\":64,\"tokens\":2,\"val_loss\":4,\"curve\":[{\"tokens\":2}]}",
         "curve[0].loss: expected a number"},
        {"{\"depth\":2,\"width\":64,\"tokens\":2,\"val_loss\":4,\"curve\":{\"tokens\":2}}",
         "curve: expected an array"},
        {"{\"depth\":2,\"width\":64,\"tokens\":2,\"val_loss\":4,\"curve\":[]}", "curve: 0 points"},
        /* no curve and no tokens (fuzz_runs_csv's 5-minute run: a row kept without either) */
        {"{\"depth\":2,\"width\":64,\"val_loss\":4,\"curve\":null}", "curve: none"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        FILE *f = fopen(tmp, "w");
        if (!f) break;
        fprintf(f, "%s\n", cases[k][0]);
        fclose(f);
        CHECK(ds_runs_load(tmp, &o, &r) == DW_EPARSE && !r);
        if (!has_(dw_error_get(), cases[k][1]) || !has_(dw_error_get(), ":1: curve"))
            fprintf(stderr, "case %zu: %s\n", k, dw_error_get());
        CHECK(has_(dw_error_get(), cases[k][1]) && has_(dw_error_get(), ":1: curve"));
        /* --skip-bad-rows leaves such a record out, counting it */
        o.skip_bad_rows = 1;
        CHECK_STATUS(ds_runs_load(tmp, &o, &r));
        CHECK(r && r->n == 0 && r->nskipped_bad == 1);
        ds_runs_free(r);
        o.skip_bad_rows = 0;
    }
    remove(tmp);
    o.curves = 1;
    CHECK(ds_runs_load(path_("wandb/export.csv"), &o, &r) == DW_EPARSE && !r);
    CHECK(has_(dw_error_get(), "--curves: no record has a 'curve' field"));
}

// ----------------------------------------------------------------------------
// the bootstrap over whole runs

/* Resamples 0..nres-1 under b: 1 when every one draws whole runs (each row of a run as
 * often as every other row of it), 0 as soon as one splits a run. */
static int whole_runs_(const FitData *d, const FitBootOptions *b, const DsRuns *r, int nres) {
    int cap = 64 * d->n, *idx = malloc(sizeof *idx * (size_t)cap), *cnt = calloc((size_t)d->n, sizeof *cnt);
    int whole = 1, n;
    for (int k = 0; k < nres && whole; k++) {
        if (fit_bootstrap_rows(d, b, k, idx, cap, &n) != DW_OK) {
            whole = -1;
            break;
        }
        memset(cnt, 0, sizeof *cnt * (size_t)d->n);
        for (int q = 0; q < n; q++) cnt[idx[q]]++;
        for (int i = 0; i < d->n; i++)
            for (int j = 0; j < d->n; j++)
                if (r->run[i] == r->run[j] && cnt[i] != cnt[j]) whole = 0;
    }
    free(idx), free(cnt);
    return whole;
}

static void test_boot_runs(void) {
    DsRuns *r = NULL;
    PlanTrainerInfo in;
    FitData d = {0};
    LawConventions conv;
    law_conventions_default(&conv);
    const char *one[1] = {path_("trainer/runs")};
    CHECK_STATUS(plan_trainer_load(one, 1, NULL, &r, &in));
    if (!r) return;
    CHECK_STATUS(plan_runs_fitdata(r, &conv, 0, &d));
    FitBootOptions b = {.n = 200, .group = r->run, .seed = 7, .threads = 1};
    CHECK(whole_runs_(&d, &b, r, 200) == 1);
    /* rows resampled split runs (the check can fail) */
    b.group = NULL;
    CHECK(whole_runs_(&d, &b, r, 20) == 0);

    /* fit_law over runs says so, and its draws come from whole-run resamples */
    LawForm f;
    FitOptions fo;
    FitLawInfo info;
    Law *law = NULL;
    CHECK_STATUS(law_form_parse("chinchilla", &f));
    fit_options_default(&fo, &f);
    FitLawOptions lo = {.run = r->run, .by_run = 1, .group = r->group, .boot = 30, .seed = 3,
                        .threads = 1, .max_draws = 30};
    CHECK_STATUS(fit_law(&f, &d, &fo, &lo, &law, &info));
    CHECK(has_(info.ci_method, "bootstrap over 6 runs (whole curves)") &&
          has_(info.ci_method, "whole runs resampled"));
    law_free(law);
    fit_data_free(&d);
    ds_runs_free(r);
}

int main(void) {
    gsl_set_error_handler_off();
    const char *src = getenv("DW_SOURCE_DIR");
    snprintf(dir_, sizeof dir_, "%s/tests/data", src && *src ? src : ".");
    if (access(path_("trainer/runs/gpt2-2x64/trainer_state.json"), R_OK) ||
        access(path_("wandb/export.csv"), R_OK) || access(path_("curves/runs.jsonl"), R_OK)) {
        fprintf(stderr, "test_runlogs: fixtures not found under %s (set DW_SOURCE_DIR)\n", dir_);
        return 77;
    }
    test_wandb();
    test_trainer_parse();
    test_trainer_dirs();
    test_curves();
    test_boot_runs();
    return check_done("test_runlogs");
}
