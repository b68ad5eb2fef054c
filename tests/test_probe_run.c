/* tests/test_probe_run.c — probe_run (probe/run.h): refusals before any work, the run
 * record's fields, determinism (same seed → same record), --resume giving the trajectory of
 * an uninterrupted run, a checkpoint reloading to the record's validation loss, divergence
 * recorded as such, gradient norms at --grad-step. Tiny models on a small synthetic corpus.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "common/dw.h"
#include "datasets/shards.h"
#include "probe/checkpoint.h"
#include "probe/run.h"

static char dir_[256];

static void tiny_(ProbeRunConfig *c) {
    probe_run_config_default(c);
    c->model.depth = 2;
    c->model.width = 16;
    c->batch = 2;
    c->seq = 8;
    c->steps = 8;
    c->lr = 3e-3;
    c->val_batches = 2;
    c->synth_tokens = 1 << 16;
    c->threads = 1;
    c->quiet = 1;
}

/* The record without the fields that measure time. */
static char *stable_(const char *record) {
    cJSON *j = cJSON_Parse(record);
    if (!j) return NULL;
    static const char *drop[] = {"wall_s", "tokens_per_s", "time"};
    for (size_t k = 0; k < 3; k++) cJSON_DeleteItemFromObjectCaseSensitive(j, drop[k]);
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return s;
}

static void test_refusals_(void) {
    static const struct {
        const char *name;
        int depth, width, heads, batch, seq;
        double tokens;
        size_t mem;
        const char *data;
        int want;
        const char *msg; /* part of the message */
    } cases[] = {
        {"zero depth", 0, 16, 0, 2, 8, 1e4, 0, NULL, DW_EINVAL, "depth"},
        {"heads not dividing", 2, 18, 4, 2, 8, 1e4, 0, NULL, DW_EINVAL, "divide"},
        {"budget below a step", 2, 16, 0, 4, 8, 31, 0, NULL, DW_EINVAL, "less than one step"},
        {"memory", 2, 16, 0, 2, 8, 1e4, 4096, NULL, DW_ENOMEM, "needs about"},
        {"missing shards", 2, 16, 0, 2, 8, 1e4, 0, "/nonexistent/dwplan-shards", DW_EIO, ""},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ProbeRunConfig c;
        ProbeRunResult r;
        char out[300];
        tiny_(&c);
        c.model.depth = cases[k].depth;
        c.model.width = cases[k].width;
        c.model.heads = cases[k].heads;
        c.batch = cases[k].batch;
        c.seq = cases[k].seq;
        c.steps = 0;
        c.tokens = cases[k].tokens;
        c.mem_limit = cases[k].mem;
        c.data = cases[k].data;
        snprintf(out, sizeof out, "%s/refused.jsonl", dir_);
        c.out = out;
        int rc = probe_run(&c, &r);
        int ok = rc == cases[k].want && strstr(dw_error_get(), cases[k].msg) &&
                 access(out, F_OK) != 0;
        if (!ok)
            fprintf(stderr, "refusal '%s': rc %d (want %d), message '%s'\n", cases[k].name, rc,
                    cases[k].want, dw_error_get());
        CHECK(ok);
        probe_run_result_free(&r);
    }
    CHECK(probe_default_heads(64) == 1 && probe_default_heads(512) == 8);
    CHECK(probe_default_heads(32) == 1 && probe_default_heads(96) == 3);
}

static void test_record_and_determinism_(void) {
    ProbeRunConfig c;
    ProbeRunResult a, b;
    char out[300];
    tiny_(&c);
    snprintf(out, sizeof out, "%s/runs.jsonl", dir_);
    c.out = out;
    CHECK_STATUS(probe_run(&c, &a));
    CHECK_STATUS(probe_run(&c, &b));
    CHECK(!strcmp(a.status, "ok"));
    CHECK(a.steps == 8 && a.steps_done == 8 && a.tokens == 8 * 2 * 8);
    CHECK(isfinite(a.loss) && isfinite(a.val_loss) && isfinite(a.loss_floor));
    /* the loss at step 1 is about ln(vocab) for a fresh model */
    CHECK_ABS(a.loss_initial, log(256.0), 0.2);
    char *sa = stable_(a.record), *sb = stable_(b.record);
    CHECK(sa && sb && !strcmp(sa, sb));
    free(sa);
    free(sb);
    /* the file holds both records, each on its own line, with DESIGN §3's fields */
    char *text = dw_read_file(out, NULL);
    CHECK(text != NULL);
    int lines = 0;
    for (char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) lines++;
    CHECK(lines == 2);
    cJSON *j = text ? cJSON_Parse(strtok(text, "\n")) : NULL;
    static const char *fields[] = {
        "depth", "width", "heads", "mlp_ratio", "vocab", "seq_len", "params", "params_nonembed",
        "tokens", "flops", "loss", "val_loss", "grad_norms", "grad_norms_attn", "grad_norms_mlp",
        "grad_norms_end", "grad_step", "seed", "dataset", "backend", "tokens_per_s", "status",
        "dwplan_version", "lr", "batch", "steps", "wall_s", "loss_floor"};
    for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
        int has = cJSON_GetObjectItemCaseSensitive(j, fields[k]) != NULL;
        if (!has) fprintf(stderr, "record lacks '%s'\n", fields[k]);
        CHECK(has);
    }
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(j, "grad_norms");
    CHECK(cJSON_GetArraySize(g) == 2);
    CHECK(cJSON_GetObjectItemCaseSensitive(j, "params")->valuedouble ==
          (double)probe_model_num_params(&a.model));
    cJSON_Delete(j);
    free(text);
    /* another seed gives another run */
    ProbeRunResult d;
    c.seed = 2;
    c.out = NULL;
    CHECK_STATUS(probe_run(&c, &d));
    CHECK(d.loss != a.loss);
    probe_run_result_free(&a);
    probe_run_result_free(&b);
    probe_run_result_free(&d);
}

static void test_resume_(void) {
    static const ProbeSchedule scheds[] = {PROBE_SCHED_CONSTANT, PROBE_SCHED_COSINE};
    for (int s = 0; s < 2; s++) {
        ProbeRunConfig c;
        ProbeRunResult full, stop, res;
        char ck[300], ck2[300];
        tiny_(&c);
        c.steps = 12;
        c.grad_step = 7; /* after the interruption: captured by the resumed run */
        c.schedule = scheds[s];
        c.warmup = 3;
        CHECK_STATUS(probe_run(&c, &full));
        snprintf(ck, sizeof ck, "%s/ck%d", dir_, s);
        c.checkpoint = ck;
        c.stop_at = 5;
        CHECK_STATUS(probe_run(&c, &stop));
        CHECK(!strcmp(stop.status, "stopped") && stop.record == NULL && stop.steps_done == 5);
        ProbeRunConfig r;
        probe_run_config_default(&r);
        r.resume = ck;
        r.threads = 1;
        r.quiet = 1;
        snprintf(ck2, sizeof ck2, "%s/ck%d-end", dir_, s);
        r.checkpoint = ck2;
        CHECK_STATUS(probe_run(&r, &res));
        char *sa = stable_(full.record), *sb = stable_(res.record);
        int same = sa && sb && !strcmp(sa, sb);
        if (!same) fprintf(stderr, "resumed:\n%s\nuninterrupted:\n%s\n", sb, sa);
        CHECK(same);
        free(sa);
        free(sb);
        /* the final checkpoint reloads to the record's validation loss */
        ProbeModelConfig mc;
        CHECK_STATUS(probe_checkpoint_config(ck2, &mc, NULL));
        ProbeModel *m = probe_model_alloc(&mc, c.batch, c.seq, 1);
        DsLoader *val = NULL;
        CHECK(m != NULL);
        CHECK_STATUS(probe_checkpoint_load(ck2, m, NULL));
        CHECK_STATUS(probe_run_open_data(NULL, "val", c.synth_tokens, &val));
        if (m && val) CHECK(probe_run_eval(m, val, c.batch, c.seq, c.val_batches) == full.val_loss);
        ds_loader_free(val);
        probe_model_free(m);
        probe_run_result_free(&full);
        probe_run_result_free(&stop);
        probe_run_result_free(&res);
    }
    /* a checkpoint without optimizer state cannot be resumed; a missing one is an error */
    ProbeRunConfig r;
    ProbeRunResult res;
    probe_run_config_default(&r);
    r.resume = "/nonexistent/dwplan-ck";
    r.quiet = 1;
    CHECK(probe_run(&r, &res) == DW_EIO);
    probe_run_result_free(&res);
}

static void test_diverged_and_grad_step_(void) {
    ProbeRunConfig c;
    ProbeRunResult r;
    tiny_(&c);
    c.lr = 30;
    c.steps = 10;
    CHECK_STATUS(probe_run(&c, &r));
    CHECK(!strcmp(r.status, "diverged"));
    CHECK(r.steps_done < 10 && r.record && strstr(r.record, "\"status\":\"diverged\""));
    CHECK(isnan(r.val_loss));
    probe_run_result_free(&r);

    tiny_(&c);
    c.steps = 6;
    c.grad_step = 3;
    CHECK_STATUS(probe_run(&c, &r));
    CHECK(r.grad_step == 3);
    double sq = 0;
    for (int l = 0; l < 2; l++) {
        CHECK(r.grad_norms[l] > 0 && r.grad_norms_end[l] > 0 && r.grad_norms[l] != r.grad_norms_end[l]);
        CHECK_REL(r.grad_norms[l] * r.grad_norms[l],
                  r.grad_norms_attn[l] * r.grad_norms_attn[l] + r.grad_norms_mlp[l] * r.grad_norms_mlp[l],
                  1e-9);
        sq += r.grad_norms[l] * r.grad_norms[l];
    }
    CHECK(r.grad_norm_global * r.grad_norm_global > sq); /* blocks are part of the whole */
    probe_run_result_free(&r);
    c.grad_step = 7;
    CHECK(probe_run(&c, &r) == DW_EINVAL);
    probe_run_result_free(&r);
}

int main(void) {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir_, sizeof dir_, "%s/dwplan_probe_run_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir_)) {
        perror("mkdtemp");
        return 1;
    }
    test_refusals_();
    test_record_and_determinism_();
    test_resume_();
    test_diverged_and_grad_step_();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir_);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", dir_);
    return check_done("test_probe_run");
}
