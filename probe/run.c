/* probe/run.c — one probe training run: plan and refuse early, train with AdamW (β 0.9/0.95,
 * ε 1e-8, weight decay on matrices, global-norm clipping), constant or warm-up + cosine
 * learning rate, measure, checkpoint, write the run record (DESIGN §3, §5).
 *
 * Learning rate at step s = 1..S (w warm-up steps, lr peak, f min_lr_frac):
 *   s <= w:     lr · s / w
 *   constant:   lr
 *   cosine:     lr · (f + (1 − f) · ½ (1 + cos(π (s − w) / (S − w))))
 *
 * Loss curve (eval_every, eval_points): after each step of the schedule of
 * probe_run_eval_steps the run measures its validation loss — the same val_batches batches
 * as the final val_loss, so the points compare — and the record gets "curve": [{"tokens",
 * "loss"}, ...], ascending, the last point (tokens_trained, val_loss) itself. Tokens are
 * whole steps: eval_every E tokens is every k = max(1, round(E / (B·T))) steps; eval_points
 * K puts K points at steps round(S^(i/(K−1))), i = 0..K−1, evenly spaced in log tokens from
 * the first step to the last (points that round to the same step are one). Each point
 * costs val_batches forward passes (about a third of a training step each); that time is
 * not counted in train_s. The curve so far is part of the run state in a checkpoint.
 *
 * A run is set up (settings, data, plan, model), trained step by step, and finished
 * (validation, final checkpoint, record); its JSON — settings and state in checkpoints, the
 * run record — is probe/run_json.c's. Progress goes through the config's log callback only.
 *
 * Design stance: the loop is plain and sequential; all the arithmetic is in the model.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "probe/run.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/dw.h"
#include "common/dwfmt.h"
#include "kernels/kern.h"
#include "datasets/shards.h"
#include "planner/count.h"
#include "probe/checkpoint.h"
#include "probe/run_impl.h"

#define SYNTH_TRAIN_MIN ((size_t)8 << 20)
#define SYNTH_TRAIN_MAX ((size_t)256 << 20)
#define SYNTH_VAL ((size_t)1 << 20)
#define LOSS_TAIL_MAX 100
#define PI_ 3.14159265358979323846

void probe_run_config_default(ProbeRunConfig *c) {
    memset(c, 0, sizeof *c);
    probe_model_config_default(&c->model);
    c->batch = 8;
    c->seq = 256;
    c->lr = 3e-4;
    c->schedule = PROBE_SCHED_CONSTANT;
    c->min_lr_frac = 0.1;
    c->beta1 = 0.9;
    c->beta2 = 0.95;
    c->eps = 1e-8;
    c->weight_decay = 0.1;
    c->clip = 1.0;
    c->seed = 1;
    c->val_batches = 16;
    c->progress_s = 5;
}

void probe_run_result_free(ProbeRunResult *r) {
    if (!r) return;
    free(r->curve);
    r->curve = NULL;
    r->curve_n = 0;
    free(r->grad_norms);
    free(r->grad_norms_attn);
    free(r->grad_norms_mlp);
    free(r->grad_norms_end);
    free(r->record);
    r->grad_norms = r->grad_norms_attn = r->grad_norms_mlp = r->grad_norms_end = NULL;
    r->record = NULL;
}

int probe_default_heads(int width) {
    if (width >= 64 && width % 64 == 0) return width / 64;
    for (int h = width / 32; h > 1; h--)
        if (width % h == 0 && (width / h) % 2 == 0) return h;
    return 1;
}

size_t probe_mem_available(void) {
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    if (f) {
        unsigned long long kb;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
                fclose(f);
                return (size_t)kb * 1024;
            }
        fclose(f);
    }
#ifdef _SC_AVPHYS_PAGES
    long pages = sysconf(_SC_AVPHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    if (pages > 0 && psz > 0) return (size_t)pages * (size_t)psz;
#endif
    return 0;
}

// ----------------------------------------------------------------------------
// data

static int is_synthetic_(const char *data, const char **spec) {
    *spec = NULL;
    if (!data || !strcmp(data, "synthetic")) return 1;
    if (!strncmp(data, "synthetic:", 10)) {
        *spec = data + 10;
        return 1;
    }
    return 0;
}

static size_t synth_train_tokens_(size_t want, double tokens) {
    if (want) return want;
    size_t n = SYNTH_TRAIN_MIN;
    while (n < SYNTH_TRAIN_MAX && (double)n < tokens) n *= 2;
    return n;
}

int probe_run_open_data(const char *data, const char *split, size_t synth_tokens,
                        DsLoader **out) {
    const char *spec;
    if (is_synthetic_(data, &spec)) {
        size_t train = synth_tokens ? synth_tokens : SYNTH_TRAIN_MIN;
        size_t n = !strcmp(split, "val") ? (train < SYNTH_VAL ? train : SYNTH_VAL) : train;
        return ds_loader_open_synthetic(spec, n, split, out);
    }
    return ds_loader_open(data, split, out);
}

double probe_run_eval(ProbeModel *m, DsLoader *l, int B, int T, int n) {
    int32_t *in = malloc(sizeof(int32_t) * (size_t)B * T);
    int32_t *tg = malloc(sizeof(int32_t) * (size_t)B * T);
    double sum = 0;
    if (!in || !tg) {
        dw_error_set(DW_ENOMEM, "out of memory for validation batches");
        sum = NAN;
    }
    for (int k = 0; k < n && !isnan(sum); k++) {
        if (ds_loader_batch(l, PROBE_VAL_SEED, (uint64_t)k, B, T, in, tg)) sum = NAN;
        else sum += probe_model_forward(m, in, tg, B, T);
    }
    free(in);
    free(tg);
    return n > 0 ? sum / n : NAN;
}

// ----------------------------------------------------------------------------
// planning

static int cmp_long_(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

int probe_run_eval_steps(const ProbeRunConfig *c, long S, long **steps, int *n) {
    char a[32];
    *steps = NULL;
    *n = 0;
    if (!(c->eval_every >= 0 && c->eval_every <= PROBE_EVAL_EVERY_MAX))
        return dw_error_set(DW_EINVAL, "--eval-every must be a token count up to %g (got %g)",
                            PROBE_EVAL_EVERY_MAX, c->eval_every);
    if (c->eval_points < 0 || c->eval_points > PROBE_CURVE_MAX)
        return dw_error_set(DW_EINVAL, "--eval-points must be in 1..%d (got %d)",
                            PROBE_CURVE_MAX, c->eval_points);
    if (!(c->eval_every > 0) && c->eval_points == 0) return DW_OK;
    if (S < 1 || c->batch < 1 || c->seq < 1)
        return dw_error_set(DW_EINVAL, "a loss curve needs at least one step");
    const double bt = (double)c->batch * c->seq;
    /* steps between evaluations (0: none); the whole steps nearest to eval_every tokens */
    double every = c->eval_every > 0 ? fmax(1, round(c->eval_every / bt)) : 0;
    double n_every = every > 0 ? floor((double)S / every) : 0;
    if (n_every >= PROBE_CURVE_MAX)
        return dw_error_set(DW_EINVAL, "--eval-every %s tokens is every %.0f step%s of %.0f "
                            "tokens: %.0f evaluations in %ld steps, more than %d; give "
                            "--eval-every %.0f or more, or --eval-points K",
                            dw_fmt_count(c->eval_every, a, sizeof a), every,
                            every == 1 ? "" : "s", bt, n_every, S, PROBE_CURVE_MAX,
                            ceil((double)S / (PROBE_CURVE_MAX - 1)) * bt);
    const int K = c->eval_points, cap = (int)n_every + K + 1;
    long *v = malloc(sizeof(long) * (size_t)cap);
    int m = 0;
    if (!v) return dw_error_set(DW_ENOMEM, "out of memory");
    for (long k = 1; k <= (long)n_every; k++) v[m++] = k * (long)every;
    for (int i = 0; i < K; i++) {
        double x = K == 1 ? (double)S : round(pow((double)S, (double)i / (K - 1)));
        v[m++] = x < 1 ? 1 : x > (double)S ? S : (long)x;
    }
    v[m++] = S; /* the final point: the run's val_loss */
    qsort(v, (size_t)m, sizeof *v, cmp_long_);
    int u = 0;
    for (int i = 0; i < m; i++)
        if (u == 0 || v[i] != v[u - 1]) v[u++] = v[i];
    if (u > PROBE_CURVE_MAX) {
        free(v);
        return dw_error_set(DW_EINVAL, "--eval-every and --eval-points together give %d "
                            "evaluations, more than %d", u, PROBE_CURVE_MAX);
    }
    *steps = v;
    *n = u;
    return DW_OK;
}

static void counts_(const ProbeModelConfig *mc, int T, ProbeRunResult *p) {
    PlanShape s;
    PlanCount pc;
    LawConventions conv;
    plan_shape_default(&s);
    s.depth = mc->depth;
    s.width = mc->width;
    s.heads = mc->heads;
    s.head_dim = 0;
    s.mlp_ratio = mc->mlp_ratio;
    s.vocab = mc->vocab;
    s.biases = mc->biases;
    s.seq_len = T;
    law_conventions_default(&conv);
    conv.vocab = mc->vocab;
    conv.seq_len = T;
    conv.mlp_ratio = mc->mlp_ratio;
    conv.biases = mc->biases;
    conv.flops = LAW_FLOPS_FULL;
    p->params = probe_model_num_params(mc);
    p->params_nonembed = plan_count(&s, &pc) == DW_OK ? (size_t)pc.nonembed : 0;
    double fpt = plan_flops_per_token(&conv, &s);
    p->flops = fpt * p->tokens;
    p->flops_6n = 6.0 * (double)p->params * p->tokens;
    p->flops_model = probe_model_flops_per_token(mc, T) * p->tokens;
}

/* "needs about X of memory; Y available" for a plan of `mem` bytes against avail. */
static int refuse_memory_(const ProbeModelConfig *mc, int B, int T, double mem, size_t avail,
                          int limited) {
    char need[32], have[32];
    dw_fmt_bytes(mem, need, sizeof need);
    dw_fmt_bytes((double)avail, have, sizeof have);
    return dw_error_set(DW_ENOMEM, "depth %d width %d at batch %d × seq %d needs about %s of "
                        "memory; %s %s", mc->depth, mc->width, B, T, need, have,
                        limited ? "allowed (--max-memory)" : "available");
}

int probe_run_plan(const ProbeRunConfig *c, int vocab, ProbeRunResult *p) {
    int rc;
    memset(p, 0, sizeof *p);
    p->model = c->model;
    ProbeModelConfig *mc = &p->model;
    if (c->batch < 1 || c->seq < 1)
        return dw_error_set(DW_EINVAL, "batch (%d) and sequence length (%d) must be >= 1",
                            c->batch, c->seq);
    if ((double)c->batch * c->seq > (double)PROBE_TOKENS_PER_STEP_MAX)
        return dw_error_set(DW_EINVAL, "batch %d × sequence %d is more than %ld tokens a step",
                            c->batch, c->seq, PROBE_TOKENS_PER_STEP_MAX);
    if (mc->depth < 1) return dw_error_set(DW_EINVAL, "depth must be >= 1 (got %d)", mc->depth);
    if (mc->width < 1) return dw_error_set(DW_EINVAL, "width must be >= 1 (got %d)", mc->width);
    if (mc->heads == 0) mc->heads = probe_default_heads(mc->width);
    if (mc->heads < 1 || mc->width % mc->heads)
        return dw_error_set(DW_EINVAL, "%d heads do not divide width %d", mc->heads, mc->width);
    if (mc->vocab == 0) mc->vocab = vocab;
    if (vocab > 0 && mc->vocab < vocab)
        return dw_error_set(DW_EINVAL, "model vocabulary %d is smaller than the data's %d",
                            mc->vocab, vocab);
    if (mc->seq_len == 0) mc->seq_len = c->seq;
    if (c->seq > mc->seq_len)
        return dw_error_set(DW_EINVAL, "sequence %d is longer than the model's %d positions",
                            c->seq, mc->seq_len);
    if ((rc = probe_model_config_check(mc))) return rc;
    if (!(c->lr > 0 && isfinite(c->lr)))
        return dw_error_set(DW_EINVAL, "learning rate must be > 0 (got %g)", c->lr);
    if (c->val_batches < 1) return dw_error_set(DW_EINVAL, "validation batches must be >= 1");
    double per_step = (double)c->batch * c->seq;
    if (c->steps > PROBE_STEPS_MAX)
        return dw_error_set(DW_EINVAL, "%ld steps are more than %ld", c->steps,
                            PROBE_STEPS_MAX);
    if (c->steps > 0) {
        p->steps = c->steps;
    } else {
        if (!(c->tokens > 0))
            return dw_error_set(DW_EINVAL, "give a token budget (--tokens) or a step count "
                                "(--steps)");
        if (c->tokens < per_step)
            return dw_error_set(DW_EINVAL, "a budget of %.0f tokens is less than one step of "
                                "%d×%d = %.0f tokens: give --tokens %.0f or more, or --steps S",
                                c->tokens, c->batch, c->seq, per_step, per_step);
        if (c->tokens / per_step > (double)PROBE_STEPS_MAX)
            return dw_error_set(DW_EINVAL, "a budget of %.3g tokens is more than %ld steps",
                                c->tokens, PROBE_STEPS_MAX);
        p->steps = (long)floor(c->tokens / per_step);
    }
    if (c->warmup < 0 || (c->warmup >= p->steps && c->schedule == PROBE_SCHED_COSINE))
        return dw_error_set(DW_EINVAL, "warm-up of %ld steps leaves no cosine decay in %ld "
                            "steps", c->warmup, p->steps);
    p->tokens = (double)p->steps * per_step;
    p->grad_step = c->grad_step > 0 ? c->grad_step : (p->steps < 1000 ? p->steps : 1000);
    if (p->grad_step > p->steps)
        return dw_error_set(DW_EINVAL, "--grad-step %ld is after the last step %ld",
                            p->grad_step, p->steps);
    long *evals;
    if ((rc = probe_run_eval_steps(c, p->steps, &evals, &p->evals))) return rc;
    free(evals);
    counts_(mc, c->seq, p);
    /* memory: the model's plan, the batch buffers and (synthetic) the corpus in memory */
    const char *spec;
    /* on a GPU the model's blocks are device memory (checked against the device when the
     * model is allocated); the host holds copies of the parameter-sized blocks */
    double mem = c->backend == KERN_CPU
                     ? (double)probe_model_memory_bytes(mc, c->batch, c->seq)
                     : 4.0 * sizeof(float) * (double)probe_model_num_params(mc);
    mem += 4.0 * sizeof(int32_t) * per_step;
    if (is_synthetic_(c->data, &spec))
        mem += 5.0 * (double)synth_train_tokens_(c->synth_tokens, p->tokens); /* + val */
    p->memory_bytes = mem >= (double)SIZE_MAX ? SIZE_MAX : (size_t)mem;
    size_t avail = c->mem_limit ? c->mem_limit : probe_mem_available();
    if (avail && mem > (double)avail)
        return refuse_memory_(mc, c->batch, c->seq, mem, avail, c->mem_limit != 0);
    return DW_OK;
}

int probe_eval_plan(const ProbeModelConfig *mc, int B, int T, const char *data,
                    size_t synth_tokens, size_t mem_limit, size_t *bytes) {
    const char *spec;
    int rc;
    *bytes = 0;
    if ((rc = probe_model_config_check(mc))) return rc;
    if (B < 1 || T < 1 || (double)B * T > (double)PROBE_TOKENS_PER_STEP_MAX)
        return dw_error_set(DW_EINVAL, "batch %d × sequence %d: want 1 to %ld tokens", B, T,
                            PROBE_TOKENS_PER_STEP_MAX);
    double mem = (double)probe_model_memory_bytes(mc, B, T) + 2.0 * sizeof(int32_t) * B * T;
    if (is_synthetic_(data, &spec)) {
        size_t train = synth_tokens ? synth_tokens : SYNTH_TRAIN_MIN;
        mem += 5.0 * (double)(train < SYNTH_VAL ? train : SYNTH_VAL);
    }
    *bytes = mem >= (double)SIZE_MAX ? SIZE_MAX : (size_t)mem;
    size_t avail = mem_limit ? mem_limit : probe_mem_available();
    if (avail && mem > (double)avail) return refuse_memory_(mc, B, T, mem, avail, mem_limit != 0);
    return DW_OK;
}

// ----------------------------------------------------------------------------
// the run

void probe_log_(ProbeLogFn log, void *ctx, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    if (!log) return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log(msg, ctx);
}

/* A progress line, a note: through the run's log unless it is quiet. */
#define SAY_(c, ...)                                                                          \
    do {                                                                                      \
        if (!(c)->quiet) probe_log_((c)->log, (c)->log_ctx, __VA_ARGS__);                     \
    } while (0)

double probe_run_lr(const ProbeRunConfig *c, long s, long S) {
    if (c->warmup > 0 && s <= c->warmup) return c->lr * (double)s / (double)c->warmup;
    if (c->schedule == PROBE_SCHED_CONSTANT) return c->lr;
    double x = (double)(s - c->warmup) / (double)(S - c->warmup);
    return c->lr * (c->min_lr_frac + (1 - c->min_lr_frac) * 0.5 * (1 + cos(PI_ * x)));
}

static int alloc_arrays_(ProbeRunResult *r, int L) {
    if (r->evals > 0 && !(r->curve = calloc((size_t)r->evals, sizeof *r->curve)))
        return dw_error_set(DW_ENOMEM, "out of memory");
    r->grad_norms = calloc((size_t)L, sizeof(double));
    r->grad_norms_attn = calloc((size_t)L, sizeof(double));
    r->grad_norms_mlp = calloc((size_t)L, sizeof(double));
    r->grad_norms_end = calloc((size_t)L, sizeof(double));
    if (!r->grad_norms || !r->grad_norms_attn || !r->grad_norms_mlp || !r->grad_norms_end)
        return dw_error_set(DW_ENOMEM, "out of memory");
    return DW_OK;
}

static int online_cpus_(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* What a run holds from its setup to its record. Lives on probe_run's stack and is never
 * copied: c.data may point into data_buf. */
typedef struct {
    ProbeRunConfig c;         /* resolved: the checkpoint's settings on resume, threads */
    char data_buf[512];
    DsLoader *train, *val;
    ProbeModel *m;
    int32_t *in, *tg;         /* (B, T) batch */
    char *settings, *state;   /* checkpoint JSON: the run's settings, its state */
    RunState st;
    double t0;                /* start of probe_run */
    double t_train;           /* start of this process's training loop */
    double train_before;      /* training seconds of the run before a resume */
    long s_end;               /* the step the loop ended at (S + 1 when it ran through) */
    int have_end;             /* grad_norms_end measured */
    long *eval_steps;         /* (eval_n) the loss curve's steps, probe_run_eval_steps */
    int eval_n;
    double eval_s;            /* seconds this process spent on curve points (not training) */
    int evals_here;           /* curve points this process measured */
} Run;

/* Seconds of training so far: before a resume, and in this process without evaluations. */
static double train_time_(const Run *r) {
    return r->train_before + (dw_now_s() - r->t_train - r->eval_s);
}

/* Resume: the settings come from the checkpoint; then threads and the dataset name. */
static int setup_settings_(Run *r, ProbeRunResult *res) {
    ProbeRunConfig *c = &r->c;
    int rc;
    if (c->resume) {
        /* everything read from the checkpoint is checked here, before the data, the plan
         * and the model are made from it; the model's tensors are loaded later */
        int have = 0;
        if ((rc = probe_run_checkpoint_read(c->resume, c, r->data_buf, sizeof r->data_buf,
                                            &have, &r->state)))
            return rc;
        if (!have)
            return dw_error_set(DW_EPARSE, "%s/%s: no dwplan settings to resume from",
                                c->resume, PROBE_CKPT_CONFIG);
        /* the curve's schedule, bounded by probe_run_eval_steps, checks the state's curve */
        if ((rc = probe_run_eval_steps(c, c->steps, &r->eval_steps, &r->eval_n)))
            return dw_error_prefix(rc == DW_EINVAL ? DW_EPARSE : rc, "%s/%s: the run's "
                                   "settings", c->resume, PROBE_CKPT_CONFIG);
        if ((rc = probe_run_state_parse_(r->state, &r->st, NULL, c->model.depth, r->eval_steps,
                                         r->eval_n, (double)c->batch * c->seq)))
            return dw_error_prefix(rc, "%s/%s", c->resume, PROBE_CKPT_OPTIM);
        if (r->st.step > c->steps)
            return dw_error_set(DW_EPARSE, "%s/%s: run state 'step' %ld is past the run's %ld "
                                "steps", c->resume, PROBE_CKPT_OPTIM, r->st.step, c->steps);
        if (!c->checkpoint) c->checkpoint = c->resume;
    }
    if (c->threads <= 0) c->threads = online_cpus_();
    if (c->backend != KERN_CPU) c->threads = 1; /* the host thread that drives the GPU */
    snprintf(res->dataset, sizeof res->dataset, "%s", c->data ? c->data : "synthetic");
    return DW_OK;
}

/* probe_run_plan; on a resume the settings are the checkpoint's, so a setting the plan
 * refuses is bad data in its config.json. */
static int plan_(const ProbeRunConfig *c, int vocab, ProbeRunResult *p) {
    int rc = probe_run_plan(c, vocab, p);
    if (!rc || !c->resume) return rc;
    return dw_error_prefix(rc == DW_EINVAL ? DW_EPARSE : rc, "%s/%s: the run's settings",
                           c->resume, PROBE_CKPT_CONFIG);
}

/* Data first — its vocabulary sizes the model and missing shards stop us here — then the
 * plan, refused before any work; the result's arrays and the batch buffers. */
static int setup_plan_(Run *r, ProbeRunResult *res) {
    ProbeRunConfig *c = &r->c;
    const char *spec;
    size_t synth_train = 0;
    int rc;
    if (is_synthetic_(c->data, &spec)) {
        ProbeRunResult pre;
        /* the corpus size depends on the budget: plan once without data to learn it */
        ProbeRunConfig c0 = *c;
        c0.mem_limit = (size_t)-1;
        if (c0.model.vocab == 0) c0.model.vocab = 256;
        if ((rc = plan_(&c0, 0, &pre))) return rc;
        synth_train = synth_train_tokens_(c->synth_tokens, pre.tokens);
        c->synth_tokens = synth_train;
    }
    if ((rc = probe_run_open_data(c->data, "train", synth_train, &r->train)) ||
        (rc = probe_run_open_data(c->data, "val", synth_train, &r->val)))
        return rc;
    snprintf(res->dataset_desc, sizeof res->dataset_desc, "%s", ds_loader_describe(r->train));
    int vocab = ds_loader_vocab(r->train);
    if (ds_loader_vocab(r->val) > vocab) vocab = ds_loader_vocab(r->val);

    ProbeRunResult plan;
    if ((rc = plan_(c, vocab, &plan))) return rc;
    char ds[512], dd[256];
    memcpy(ds, res->dataset, sizeof ds);
    memcpy(dd, res->dataset_desc, sizeof dd);
    *res = plan;
    memcpy(res->dataset, ds, sizeof ds);
    memcpy(res->dataset_desc, dd, sizeof dd);
    res->val_loss = res->loss = res->loss_last = res->loss_initial = NAN;
    res->loss_floor = ds_loader_floor(r->val);
    c->model = res->model;
    const size_t BT = (size_t)c->batch * (size_t)c->seq;
    if (!c->resume && (rc = probe_run_eval_steps(c, res->steps, &r->eval_steps, &r->eval_n)))
        return rc;
    DW_ASSERT(r->eval_n == res->evals);
    if ((rc = alloc_arrays_(res, c->model.depth))) return rc;
    if (!(r->in = malloc(sizeof(int32_t) * BT)) || !(r->tg = malloc(sizeof(int32_t) * BT)))
        return dw_error_set(DW_ENOMEM, "out of memory for batches");
    return DW_OK;
}

/* The model on its device, initialised from the seed or loaded from the checkpoint. */
static int setup_model_(Run *r, ProbeRunResult *res) {
    ProbeRunConfig *c = &r->c;
    const int L = c->model.depth;
    const long S = res->steps;
    int rc;
    ProbeDevice dev;
    probe_device_default(&dev);
    dev.backend = c->backend;
    dev.threads = c->threads;
    dev.math = c->math;
    dev.device = c->device;
    if (!(r->m = probe_model_alloc_dev(&c->model, c->batch, c->seq, &dev, PROBE_F32)))
        /* memory (a config too large: recorded by a sweep, which goes on), or the device
         * (no usable GPU: a sweep stops) */
        return dw_error_code() ? dw_error_code()
                               : dw_error_set(DW_ENOMEM, "model allocation failed");
    snprintf(res->device, sizeof res->device, "%s", probe_model_device(r->m));
    if (!(r->settings = probe_run_settings_json_(c, res))) return dw_error_set(DW_ENOMEM, "out of memory");
    if (c->resume) {
        /* the state was checked by setup_settings_: now its gradient norms into res */
        char *state = NULL;
        rc = probe_checkpoint_load(c->resume, r->m, &state);
        free(state);
        if (rc || (rc = probe_run_state_parse_(r->state, &r->st, res, L, r->eval_steps,
                                               r->eval_n, (double)c->batch * c->seq)))
            return rc;
        if (r->st.threads != c->threads)
            SAY_(c, "note: resuming with %d threads, the run had %d: the trajectory may "
                 "differ in the last bits", c->threads, r->st.threads);
        if (res->evals)
            SAY_(c, "resuming %s at step %ld of %ld (loss curve: %d of %d points)", c->resume,
                 r->st.step, S, res->curve_n, res->evals);
        else
            SAY_(c, "resuming %s at step %ld of %ld", c->resume, r->st.step, S);
    } else {
        probe_model_init(r->m, c->seed);
        r->st.loss_initial = r->st.loss_last = NAN;
    }
    r->st.threads = c->threads;
    char mem[32], nparam[32];
    dw_fmt_bytes((double)res->memory_bytes, mem, sizeof mem);
    snprintf(nparam, sizeof nparam, "%.3gM", (double)res->params / 1e6);
    SAY_(c, "depth %d width %d heads %d, %s params, %ld steps of %d×%d tokens, lr %g %s, %s, "
         "memory ≈ %s, data %s", L, c->model.width, c->model.heads, nparam, S, c->batch,
         c->seq, c->lr, probe_sched_name_(c->schedule), probe_model_device(r->m), mem,
         res->dataset_desc);
    /* an evaluation is val_batches forward passes; a training step about three */
    if (res->evals > 1)
        SAY_(c, "loss curve: %d points (%d evaluation%s besides the final one, each %d "
             "forward passes of %d×%d: ≈ %.1f%% on top of the training compute)", res->evals,
             res->evals - 1, res->evals > 2 ? "s" : "", c->val_batches, c->batch, c->seq,
             100.0 * (res->evals - 1) * c->val_batches / (3.0 * (double)S));
    return DW_OK;
}

/* Sets the run's outcome: status and why. */
static void outcome_(ProbeRunResult *res, const char *status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void outcome_(ProbeRunResult *res, const char *status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->error, sizeof res->error, fmt, ap);
    va_end(ap);
    snprintf(res->status, sizeof res->status, "%s", status);
}

/* Writes a checkpoint of the run as it stands (the model, the settings, the state with
 * train_s). DW_ENOMEM when the state cannot be made; a failing write is the run's outcome
 * ("failed", `what`: why) and DW_OK. */
static int checkpoint_(Run *r, ProbeRunResult *res, double train_s, const char *what) {
    const int L = r->c.model.depth;
    r->st.train_s = train_s;
    free(r->state);
    if (!(r->state = probe_run_state_json_(&r->st, res, L))) return dw_error_set(DW_ENOMEM, "out of memory");
    if (probe_checkpoint_save(r->c.checkpoint, r->m, r->settings, r->state))
        outcome_(res, "failed", "%s: %s", what, dw_error_get());
    return DW_OK;
}

/* The curve's point after step s < S (finish_ adds the final one): the validation loss,
 * said with what it cost. 1 when the run goes on, 0 when it ends here (the outcome is set,
 * or the model failed). */
static int curve_point_(Run *r, ProbeRunResult *res, long s) {
    const ProbeRunConfig *c = &r->c;
    double t0 = dw_now_s();
    dw_error_clear(); /* a NaN with no message is the model's, not the loader's */
    double v = probe_run_eval(r->m, r->val, c->batch, c->seq, c->val_batches);
    double dt = dw_now_s() - t0;
    r->eval_s += dt;
    r->evals_here++;
    if (probe_model_status(r->m)) return 0;
    if (isnan(v) && dw_error_code()) {
        outcome_(res, "failed", "validation at step %ld: %s", s, dw_error_get());
        return 0;
    }
    if (!isfinite(v)) {
        outcome_(res, "diverged", "validation loss is %g at step %ld", v, s);
        return 0;
    }
    DW_ASSERT(res->curve_n < res->evals - 1);
    res->curve[res->curve_n++] = (ProbeCurvePoint){(double)s * c->batch * c->seq, v};
    char tok[32];
    SAY_(c, "eval %d/%d at step %ld (%s tokens): val_loss %.4f  (%d batches, %.2fs)",
         res->curve_n, res->evals, s, dw_fmt_count(res->curve[res->curve_n - 1].tokens, tok,
                                                   sizeof tok), v, c->val_batches, dt);
    return 1;
}

/* One training step s: batch, forward, backward, gradient norms, clipping, AdamW. 1 when
 * the run goes on, 0 when it ends here (the outcome is set, or the model failed). */
static int step_(Run *r, ProbeRunResult *res, long s, float *loss_out) {
    const ProbeRunConfig *c = &r->c;
    const long S = res->steps;
    ProbeModel *m = r->m;
    if (ds_loader_batch(r->train, c->seed, (uint64_t)(s - 1), c->batch, c->seq, r->in, r->tg)) {
        outcome_(res, "failed", "step %ld: %s", s, dw_error_get());
        return 0;
    }
    float loss = probe_model_forward(m, r->in, r->tg, c->batch, c->seq);
    if (probe_model_status(m)) return 0; /* a device failure: probe_run_finish_ */
    r->st.loss_last = loss;
    if (s == 1) r->st.loss_initial = loss;
    if (!isfinite(loss)) {
        outcome_(res, "diverged", "loss is %g at step %ld", loss, s);
        return 0;
    }
    probe_model_zero_grad(m);
    probe_model_backward(m);
    if (s == res->grad_step) {
        probe_model_grad_norms(m, res->grad_norms, res->grad_norms_attn, res->grad_norms_mlp);
        r->st.have_grad = 1;
    }
    if (s == S) {
        probe_model_grad_norms(m, res->grad_norms_end, NULL, NULL);
        r->have_end = 1;
    }
    double gn = probe_model_clip_grad(m, c->clip);
    if (s == res->grad_step) r->st.grad_global = gn;
    if (!isfinite(gn)) {
        outcome_(res, "diverged", "gradient norm is %g at step %ld", gn, s);
        return 0;
    }
    /* AdamW's step counts from 1: its bias corrections 1 − β^s */
    probe_model_adamw(m, (float)probe_run_lr(c, s, S), (float)c->beta1, (float)c->beta2,
                      (float)c->eps, (float)c->weight_decay, (int)s);
    if (probe_model_status(m)) return 0;
    *loss_out = loss;
    return 1;
}

/* The training loop from the step after the checkpoint's (or 1) to S, or to an earlier
 * end: divergence, a failure, stop_at. DW_OK, or DW_ENOMEM (nothing recorded). */
static int train_(Run *r, ProbeRunResult *res) {
    const ProbeRunConfig *c = &r->c;
    const long S = res->steps, s0 = r->st.step;
    const int B = c->batch, T = c->seq;
    const long tail = S / 20 < 1 ? 1 : S / 20 > LOSS_TAIL_MAX ? LOSS_TAIL_MAX : S / 20;
    double t_last;
    long s;
    int rc, next = res->curve_n; /* the curve's next point: eval_steps[next] */
    r->t_train = t_last = dw_now_s();
    r->train_before = r->st.train_s;
    for (s = s0 + 1; s <= S; s++) {
        float loss;
        if (!step_(r, res, s, &loss)) break;
        if (s > S - tail) {
            r->st.tail_sum += loss;
            r->st.tail_n++;
        }
        r->st.step = s;
        if (s > c->warmup && s > 1 && loss > 3 * r->st.loss_initial) {
            outcome_(res, "diverged", "loss %.4g at step %ld is above 3 × the initial %.4g",
                     loss, s, r->st.loss_initial);
            break;
        }
        if (next < r->eval_n && r->eval_steps[next] == s && s < S) {
            if (!curve_point_(r, res, s)) break;
            next++;
        }
        double t = dw_now_s();
        if (c->on_step) c->on_step(c->on_step_ctx, s, S);
        if (!c->quiet && (t - t_last >= c->progress_s || s == S)) {
            double tps = (double)(s - s0) * B * T / (t - r->t_train - r->eval_s);
            /* the evaluations still to come, at what they cost so far */
            double eval_eta = r->evals_here ? (r->eval_n - next) * r->eval_s / r->evals_here : 0;
            char eta[32];
            dw_fmt_duration((double)(S - s) * B * T / tps + eval_eta, eta, sizeof eta);
            SAY_(c, "step %ld/%ld  loss %.4f  %.3gk tok/s  ETA %s", s, S, loss, tps / 1e3, eta);
            t_last = t;
        }
        int stop = c->stop_at > 0 && s == c->stop_at && s < S;
        if (c->checkpoint && ((c->checkpoint_every > 0 && s % c->checkpoint_every == 0 && s < S) ||
                              stop)) {
            char what[64];
            snprintf(what, sizeof what, "checkpoint at step %ld", s);
            if ((rc = checkpoint_(r, res, train_time_(r), what)))
                return rc;
            if (res->status[0]) break;
        }
        if (stop) {
            snprintf(res->status, sizeof res->status, "stopped");
            SAY_(c, "stopped after step %ld; continue with --resume %s", s,
                 c->checkpoint ? c->checkpoint : "(no checkpoint: give --checkpoint)");
            break;
        }
    }
    r->s_end = s;
    return DW_OK;
}

/* After the loop: the measurements, validation, the final checkpoint, the record (appended
 * to c.out) and the outcome line. */
static int finish_(Run *r, ProbeRunResult *res) {
    const ProbeRunConfig *c = &r->c;
    const RunState *st = &r->st;
    int rc;
    if (probe_model_status(r->m))
        outcome_(res, "failed", "step %ld: %s", r->s_end, probe_model_error(r->m));
    res->steps_done = st->step;
    res->tokens_trained = (double)st->step * c->batch * c->seq;
    res->train_s = train_time_(r);
    res->tokens_per_s = res->train_s > 0 ? res->tokens_trained / res->train_s : NAN;
    res->loss_initial = st->loss_initial;
    res->loss_last = st->loss_last;
    res->loss = st->tail_n ? st->tail_sum / (double)st->tail_n : st->loss_last;
    res->grad_norm_global = st->grad_global;
    if (!st->have_grad) res->grad_step = 0;
    if (!strcmp(res->status, "stopped")) {
        res->wall_s = dw_now_s() - r->t0;
        return DW_OK;
    }
    if (!res->status[0]) {
        snprintf(res->status, sizeof res->status, "ok");
        dw_error_clear(); /* a NaN with no message is the model's: diverged */
        res->val_loss = probe_run_eval(r->m, r->val, c->batch, c->seq, c->val_batches);
        if (isnan(res->val_loss) && dw_error_code())
            outcome_(res, "failed", "validation: %s", dw_error_get());
        else if (!isfinite(res->val_loss))
            outcome_(res, "diverged", "validation loss is %g", res->val_loss);
        else if (res->evals > 0) {
            /* the curve ends at the record's own tokens and val_loss; a run resumed from its
             * final checkpoint has that point already, and measures it again the same */
            ProbeCurvePoint fin = {res->tokens_trained, res->val_loss};
            if (res->curve_n && res->curve[res->curve_n - 1].tokens == fin.tokens)
                res->curve[res->curve_n - 1] = fin;
            else {
                DW_ASSERT(res->curve_n < res->evals);
                res->curve[res->curve_n++] = fin;
            }
        }
    }
    if (strcmp(res->status, "ok")) res->loss = st->loss_last;
    if (c->checkpoint && !strcmp(res->status, "ok") &&
        (rc = checkpoint_(r, res, res->train_s, "final checkpoint")))
        return rc;
    res->wall_s = dw_now_s() - r->t0;
    if (!(res->record = probe_run_record_json_(c, res, st->have_grad, r->have_end, c->threads)))
        return dw_error_set(DW_ENOMEM, "out of memory");
    char wall[32];
    dw_fmt_duration(res->wall_s, wall, sizeof wall);
    SAY_(c, "%s: loss %.4f, val_loss %.4f, %.3gk tok/s, %s%s%s", res->status, res->loss,
         res->val_loss, res->tokens_per_s / 1e3, wall, res->error[0] ? ": " : "", res->error);
    if (c->out && (rc = dw_append_line(c->out, res->record)))
        return dw_error_prefix(rc, "appending the run record");
    return DW_OK;
}

int probe_run(const ProbeRunConfig *cfg, ProbeRunResult *res) {
    Run run = {.c = *cfg, .t0 = dw_now_s()}, *r = &run;
    int rc;
    memset(res, 0, sizeof *res);
    res->val_loss = res->loss = res->loss_last = res->loss_initial = NAN;
    if (!(rc = setup_settings_(r, res)) && !(rc = setup_plan_(r, res)) &&
        !(rc = setup_model_(r, res)) && !(rc = train_(r, res)))
        rc = finish_(r, res);
    free(r->in);
    free(r->tg);
    free(r->settings);
    free(r->state);
    free(r->eval_steps);
    probe_model_free(r->m);
    ds_loader_free(r->train);
    ds_loader_free(r->val);
    return rc;
}
