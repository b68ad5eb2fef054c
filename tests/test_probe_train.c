/* tests/test_probe_train.c — the optimiser of a probe run (probe/run.h) against independent
 * arithmetic:
 *   - the learning-rate schedule (probe_run_lr) at chosen steps against its closed form:
 *     linear warm-up lr·s/w, constant lr, cosine lr·(f + (1 − f)·½(1 + cos(π(s − w)/(S − w))))
 *     with its floor f·lr at s = S;
 *   - two training steps of probe_run against AdamW written out here in double (torch's
 *     AdamW with bias corrections 1 − β^s, s counting from 1; decoupled weight decay on the
 *     matrices only), on the gradients the model computes for the run's batches. A trainer
 *     that hands AdamW step s + 1 (or s − 1), or the wrong learning rate, moves the parameters
 *     by a large part of an update; rounding moves them by under 1e-4 of one.
 *
 * Known limitations:
 *   | what                                  | why                                           |
 *   |---------------------------------------|-----------------------------------------------|
 *   | gradients and clipping are the model's | checked by test_model_grad; here they feed the |
 *   |                                       | update that is checked                        |
 *   | two steps only                        | the step index enters as 1 − β^s; steps 1 and  |
 *   |                                       | 2 already tell s from s ± 1                   |
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/dw.h"
#include "datasets/shards.h"
#include "probe/checkpoint.h"
#include "probe/run.h"

#define PI_ 3.14159265358979323846

static char dir_[256];

// ----------------------------------------------------------------------------
// the learning-rate schedule

static void test_schedule_(void) {
    const double lr = 1e-3;
    static const struct {
        const char *name;
        ProbeSchedule sched;
        long warmup, S;
        double floor_frac; /* min_lr_frac */
        long s;
        double want_over_lr; /* the closed form, divided by lr */
    } cases[] = {
        /* warm-up: lr · s / w, reaching lr at s = w */
        {"warm-up s=1", PROBE_SCHED_CONSTANT, 10, 100, 0.1, 1, 0.1},
        {"warm-up s=5", PROBE_SCHED_CONSTANT, 10, 100, 0.1, 5, 0.5},
        {"warm-up s=w", PROBE_SCHED_CONSTANT, 10, 100, 0.1, 10, 1.0},
        {"constant after warm-up", PROBE_SCHED_CONSTANT, 10, 100, 0.1, 11, 1.0},
        {"constant at the end", PROBE_SCHED_CONSTANT, 10, 100, 0.1, 100, 1.0},
        {"constant, no warm-up", PROBE_SCHED_CONSTANT, 0, 100, 0.1, 1, 1.0},
        {"cosine warm-up s=4", PROBE_SCHED_COSINE, 8, 108, 0.1, 4, 0.5},
        {"cosine warm-up s=w", PROBE_SCHED_COSINE, 8, 108, 0.1, 8, 1.0},
        /* cosine over S − w = 100 steps after the warm-up */
        {"cosine a quarter in", PROBE_SCHED_COSINE, 8, 108, 0.1, 33,
         0.1 + 0.9 * 0.5 * (1 + 0.70710678118654752440)},
        {"cosine half-way", PROBE_SCHED_COSINE, 8, 108, 0.1, 58, 0.55},
        {"cosine three quarters", PROBE_SCHED_COSINE, 8, 108, 0.1, 83,
         0.1 + 0.9 * 0.5 * (1 - 0.70710678118654752440)},
        {"cosine floor at S", PROBE_SCHED_COSINE, 8, 108, 0.1, 108, 0.1},
        {"cosine floor 0.25 at S", PROBE_SCHED_COSINE, 0, 40, 0.25, 40, 0.25},
        {"cosine floor 0 half-way", PROBE_SCHED_COSINE, 0, 40, 0.0, 20, 0.5},
        {"cosine no warm-up s=1", PROBE_SCHED_COSINE, 0, 4, 0.1, 1,
         0.1 + 0.9 * 0.5 * (1 + 0.70710678118654752440)},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ProbeRunConfig c;
        probe_run_config_default(&c);
        c.lr = lr;
        c.schedule = cases[k].sched;
        c.warmup = cases[k].warmup;
        c.min_lr_frac = cases[k].floor_frac;
        double got = probe_run_lr(&c, cases[k].s, cases[k].S);
        double want = lr * cases[k].want_over_lr;
        if (!(fabs(got - want) <= 1e-14 * want))
            fprintf(stderr, "schedule '%s': lr %.17g, want %.17g\n", cases[k].name, got, want);
        CHECK_REL(got, want, 1e-14);
    }
    /* the default floor is 0.1 of the peak (docs/probe.md: "cosine decays to 0.1·LR") */
    ProbeRunConfig d;
    probe_run_config_default(&d);
    d.schedule = PROBE_SCHED_COSINE;
    CHECK_REL(probe_run_lr(&d, 1000, 1000), 0.1 * d.lr, 1e-14);
    CHECK_REL(probe_run_lr(&d, 1, 1000),
              d.lr * (0.1 + 0.45 * (1 + cos(PI_ / 1000))), 1e-14);
}

// ----------------------------------------------------------------------------
// AdamW in a run

/* One AdamW step written out in double, as torch.optim.AdamW does it: p, m, v (n) updated
 * with gradient g at step s (from 1). */
static void adamw_ref_(double *p, double *m, double *v, const float *g, size_t n, double lr,
                       double b1, double b2, double eps, double wd, long s) {
    double bc1 = 1 - pow(b1, (double)s), bc2 = 1 - pow(b2, (double)s);
    for (size_t i = 0; i < n; i++) {
        p[i] *= 1 - lr * wd;
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * (double)g[i] * g[i];
        p[i] -= lr * (m[i] / bc1) / (sqrt(v[i] / bc2) + eps);
    }
}

/* Weight decay goes to matrices: the embeddings, the linear weights, the head; not to the
 * LayerNorm gains and biases or the linear biases. By the tensor's Hugging Face name. */
static int decays_(const char *name) {
    size_t n = strlen(name);
    return n > 7 && !strcmp(name + n - 7, ".weight") && !strstr(name, "layernorm") &&
           !strstr(name, "layer_norm");
}

static void test_adamw_steps_(void) {
    ProbeRunConfig c;
    ProbeRunResult res;
    char ck[300];
    probe_run_config_default(&c);
    c.model.depth = 2;
    c.model.width = 16;
    c.batch = 2;
    c.seq = 8;
    c.steps = 8;
    c.lr = 3e-3;
    c.schedule = PROBE_SCHED_COSINE;
    c.warmup = 4; /* lr/4 at step 1, lr/2 at step 2: the schedule reaches the update too */
    c.val_batches = 1;
    c.synth_tokens = 1 << 16;
    c.threads = 1;
    c.quiet = 1;
    c.seed = 5;
    snprintf(ck, sizeof ck, "%s/ck", dir_);
    c.checkpoint = ck;
    c.stop_at = 2;
    CHECK_STATUS(probe_run(&c, &res));
    CHECK(!strcmp(res.status, "stopped") && res.steps_done == 2);
    probe_run_result_free(&res);

    /* the run's parameters and moments after its two steps */
    ProbeModelConfig mc;
    ProbeModel *run = NULL, *ref = NULL;
    DsLoader *train = NULL;
    char *state = NULL;
    int32_t in[16], tg[16];
    double *p = NULL, *mom1 = NULL, *mom2 = NULL;
    CHECK_STATUS(probe_checkpoint_config(ck, &mc, NULL));
    if (!(run = probe_model_alloc(&mc, c.batch, c.seq, 1)) ||
        !(ref = probe_model_alloc(&mc, c.batch, c.seq, 1))) {
        CHECK(!"models allocated");
        goto out;
    }
    CHECK_STATUS(probe_checkpoint_load(ck, run, &state));
    CHECK_STATUS(probe_run_open_data(NULL, "train", c.synth_tokens, &train));
    if (!train) goto out;

    /* the reference: the same initialisation and batches, gradients and clipping by the
     * model, the update by adamw_ref_ */
    size_t n;
    float *rp = probe_model_block(ref, 0, &n);
    probe_model_init(ref, c.seed);
    p = malloc(sizeof(double) * n);
    mom1 = calloc(n, sizeof(double));
    mom2 = calloc(n, sizeof(double));
    if (!p || !mom1 || !mom2) goto out;
    for (size_t i = 0; i < n; i++) p[i] = rp[i];
    for (long s = 1; s <= 2; s++) {
        CHECK_STATUS(ds_loader_batch(train, c.seed, (uint64_t)(s - 1), c.batch, c.seq, in, tg));
        probe_model_forward(ref, in, tg, c.batch, c.seq);
        probe_model_zero_grad(ref);
        probe_model_backward(ref);
        probe_model_clip_grad(ref, c.clip);
        double lr_s = c.lr * (double)s / (double)c.warmup; /* the warm-up's closed form */
        for (int t = 0; t < probe_model_ntensors(ref); t++) {
            float *g;
            int64_t shape[2];
            int nd;
            const char *name = probe_model_tensor(ref, t, 1, &g, shape, &nd);
            size_t len = (size_t)shape[0] * (size_t)(nd == 2 ? shape[1] : 1);
            size_t o = probe_model_tensor_offset(ref, t);
            adamw_ref_(p + o, mom1 + o, mom2 + o, g, len, lr_s, c.beta1, c.beta2, c.eps,
                       decays_(name) ? c.weight_decay : 0, s);
        }
        for (size_t i = 0; i < n; i++) rp[i] = (float)p[i]; /* step 2's gradients at p */
        CHECK_STATUS(probe_model_commit(ref, 0));
    }

    /* compare, in units of the step-2 learning rate: the float run differs from this double
     * reference by under 1e-4 of it (step 2's gradients see parameters rounded differently);
     * AdamW handed step s + 1 moves parameters by about one lr (measured: 1.36) */
    const float *gp = probe_model_block(run, 0, NULL), *gm = probe_model_block(run, 2, NULL);
    const float *gv = probe_model_block(run, 3, NULL);
    double lr2 = c.lr * 2 / c.warmup, worst_p = 0, worst_m = 0, worst_v = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs(gp[i] - p[i]) / lr2;
        if (e > worst_p) worst_p = e, at = i;
        worst_m = fmax(worst_m, fabs(gm[i] - mom1[i]) / fmax(fabs(mom1[i]), 1e-6));
        worst_v = fmax(worst_v, fabs(gv[i] - mom2[i]) / fmax(fabs(mom2[i]), 1e-12));
    }
    if (worst_p > 1e-2)
        fprintf(stderr, "AdamW: parameter %zu is %.9g after two steps, the reference %.9g "
                "(%.3g of the step's lr)\n", at, gp[at], p[at], worst_p);
    CHECK(worst_p <= 1e-2);
    CHECK(worst_m <= 1e-2 && worst_v <= 1e-2); /* the moments, relative */
    CHECK(state && strstr(state, "\"step\":2"));
out:
    free(p);
    free(mom1);
    free(mom2);
    free(state);
    ds_loader_free(train);
    probe_model_free(run);
    probe_model_free(ref);
}

int main(void) {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir_, sizeof dir_, "%s/dwplan_probe_train_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir_)) {
        perror("mkdtemp");
        return 1;
    }
    test_schedule_();
    test_adamw_steps_();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir_);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", dir_);
    return check_done("test_probe_train");
}
