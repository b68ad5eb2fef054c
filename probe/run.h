/* probe/run.h — one probe training run (DESIGN §5): the model of probe/model.h trained with
 * AdamW on batches from a DsLoader, measured (train and validation loss, per-layer gradient
 * norms, tokens/s, FLOPs, wall time; optionally a loss curve, the validation loss at
 * several token counts: eval_every, eval_points) and written as one run record (DESIGN §3).
 *
 * Letters: B batch, T sequence, L depth, V vocab; a step trains on B·T tokens.
 *
 * A run is one of:
 *   refused   bad shape, budget below one step, missing data, a memory plan above what is
 *             available: probe_run returns an error before any work and writes nothing;
 *   ok        trained every step;
 *   diverged  the loss became NaN/inf, or exceeded 3 × the step-1 loss after warm-up: the
 *             run stops there and its record says so (a sweep goes on);
 *   failed    an error during training (data read, checkpoint write): recorded with the
 *             message in "error".
 *
 * Determinism: a run's numbers depend only on its settings and its thread count; the
 * batch of step s is ds_loader_batch(seed, s) and validation uses a fixed seed, so a run
 * resumed from a checkpoint follows the same trajectory as one that was never stopped.
 */
#ifndef PROBE_RUN_H
#define PROBE_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "probe/model.h"

struct DsLoader; /* datasets/shards.h */

typedef enum { PROBE_SCHED_CONSTANT = 0, PROBE_SCHED_COSINE = 1 } ProbeSchedule;

/* Where probe_run and probe_sweep_run (probe/sweep.h) say what they are doing — the plan,
 * progress, notes, outcomes: one line of text per call, without a trailing newline and
 * without the caller's prefix (dwplan prints "probe: MSG" and "probe sweep: MSG" on
 * stderr). msg is valid during the call only. The library itself never prints. */
typedef void (*ProbeLogFn)(const char *msg, void *ctx);

#define PROBE_VAL_SEED 0x5EEDFA11u /* validation batches: the same for every run */
#define PROBE_STEPS_MAX 2147483647L /* the most steps a run may have (AdamW counts in int) */
#define PROBE_TOKENS_PER_STEP_MAX (1L << 26) /* B·T: the model indexes a batch with int */
#define PROBE_CURVE_MAX 1000 /* the most points of a loss curve (eval_every, eval_points) */
#define PROBE_EVAL_EVERY_MAX 1e18 /* the largest eval_every (tokens) */

/* One point of a run's loss curve: the validation loss (probe_run_eval on the run's
 * val_batches, the batches of the final val_loss) after `tokens` training tokens. */
typedef struct {
    double tokens; /* steps·B·T */
    double loss;
} ProbeCurvePoint;

typedef struct {
    ProbeModelConfig model; /* depth, width, heads (0 → width/64, at least 1); vocab 0 → the
                               data's; seq_len 0 → seq */
    int batch;              /* B (default 8) */
    int seq;                /* T (default 256) */
    double tokens;          /* training budget: steps = floor(tokens / (B·T)) ... */
    long steps;             /* ... unless steps > 0 */
    double lr;              /* peak learning rate (default 3e-4, the paper's constant) */
    ProbeSchedule schedule; /* default constant */
    long warmup;            /* linear warm-up steps (default 0) */
    double min_lr_frac;     /* cosine floor as a fraction of lr (default 0.1) */
    double beta1, beta2, eps, weight_decay, clip; /* 0.9, 0.95, 1e-8, 0.1, 1.0 */
    uint64_t seed;          /* initialisation and training batches (default 1) */
    int threads;            /* compute threads (0 → online CPUs) */
    int backend;            /* KERN_CPU (default) or KERN_CUDA (kernels/kern.h) */
    int math;               /* GEMM precision on CUDA: KERN_MATH_FP32 (default), _TF32, _BF16 */
    int device;             /* CUDA device ordinal (default 0) */
    long grad_step;         /* gradient norms at this step (0 → min(1000, steps)) */
    int val_batches;        /* validation batches of B×T (default 16) */
    double eval_every;      /* loss curve: validation every this many tokens, rounded to a
                               whole number of steps (at least 1); 0: none */
    int eval_points;        /* loss curve: this many points log-spaced in steps from the
                               first to the last (probe_run_eval_steps); 0: none */
    const char *data;       /* shard directory, "synthetic" or "synthetic:SPEC" (NULL →
                               synthetic) */
    size_t synth_tokens;    /* synthetic train corpus bytes (0 → max(8M, a power of 2 >=
                               the run's tokens), capped at 256M); val gets min(that, 1M) */
    const char *out;        /* runs.jsonl to append the record to (NULL: none) */
    const char *checkpoint; /* write the final checkpoint here (NULL: none) */
    long checkpoint_every;  /* also every N steps (0: only at the end / stop) */
    const char *resume;     /* continue the run saved in this checkpoint directory: every
                               setting above except threads, backend, math, device, out,
                               checkpoint, checkpoint_every, stop_at, quiet and
                               mem_limit comes from the checkpoint (eval_every and
                               eval_points too: the curve goes on as it was planned) */
    long stop_at;           /* stop after this step with a checkpoint and no record
                               (0: run to the end) */
    size_t mem_limit;       /* refuse plans above this many bytes (0 → MemAvailable) */
    int quiet;              /* say nothing through log */
    double progress_s;      /* seconds between progress lines (default 5) */
    /* the plan line, a progress line every progress_s seconds and at the last step
     * ("step 1200/3000  loss 2.8123  41.2k tok/s  ETA 44s"), notes on resuming, and the
     * outcome; NULL: nothing is said */
    ProbeLogFn log;
    void *log_ctx;
    /* called after every step (e.g. a sweep's claim heartbeat); may be NULL */
    void (*on_step)(void *ctx, long step, long steps);
    void *on_step_ctx;
} ProbeRunConfig;

/* The defaults above; model shape, budget and data are left for the caller. */
void probe_run_config_default(ProbeRunConfig *c);

typedef struct {
    char status[16];         /* "ok", "diverged", "failed", "stopped" (stop_at) */
    char error[256];         /* why, for failed/diverged */
    ProbeModelConfig model;  /* the resolved shape */
    long steps;              /* planned */
    long steps_done;
    double tokens;           /* planned: steps·B·T */
    double tokens_trained;   /* steps_done·B·T */
    long grad_step;          /* where grad_norms were taken (0 when the run never got there) */
    double loss;             /* mean train loss over the last max(1, min(100, steps/20)) steps */
    double loss_last, loss_initial;
    double val_loss;         /* NaN when not measured (diverged, failed) */
    int evals;               /* planned curve points, the final one included (0: no curve) */
    ProbeCurvePoint *curve;  /* (curve_n) ascending tokens; for an ok run the last point is
                                (tokens_trained, val_loss) */
    int curve_n;
    double loss_floor;       /* the data's floor (NaN when unknown) */
    double *grad_norms;      /* (L) whole block at grad_step, input side first */
    double *grad_norms_attn; /* (L) */
    double *grad_norms_mlp;  /* (L) */
    double *grad_norms_end;  /* (L) whole block at the last step trained */
    double grad_norm_global; /* before clipping, at grad_step */
    size_t params, params_nonembed, memory_bytes;
    double flops;            /* tokens × (6·N_nonembed + 6·V·W + 6·L·T·W), planner/count.h */
    double flops_6n;         /* tokens × 6·params */
    double flops_model;      /* tokens × probe_model_flops_per_token */
    double wall_s, train_s, tokens_per_s;
    char dataset[512];       /* the data argument, "synthetic" when none */
    char dataset_desc[256];  /* ds_loader_describe */
    char device[160];        /* what ran it (probe_model_device) */
    char *record;            /* the run record JSON (one line, no '\n'); NULL for "stopped" */
} ProbeRunResult;

/* Frees the arrays and record inside *r (not r itself); NULL-safe, idempotent. */
void probe_run_result_free(ProbeRunResult *r);

/* The steps after which a run of S steps measures its loss curve (probe/run.c's file
 * comment): every round(eval_every / (B·T)) steps (at least 1), and, with eval_points K,
 * round(S^(i/(K−1))) for i = 0..K−1 (K = 1: S), always with S itself; ascending, each once.
 * *steps is a new array of *n (caller frees; NULL and 0 when c asks for no curve).
 * Return: DW_OK; DW_EINVAL more than PROBE_CURVE_MAX points (the message says how many and
 * what to give instead), eval_every or eval_points out of range; DW_ENOMEM. */
int probe_run_eval_steps(const ProbeRunConfig *c, long S, long **steps, int *n);

/* Resolves and checks a configuration without training: fills the shape defaults, the
 * steps, the planned curve points (evals) and the memory plan into *plan (no arrays, no
 * record) and checks them against the machine.
 * Inputs:  c        the configuration (c->model.vocab must be set, or 0 to use `vocab`)
 *          vocab    the data's vocabulary (0 when unknown; the model's vocab must cover it)
 *          plan     receives model, steps, tokens, params, memory_bytes, flops fields
 * Return:  DW_OK; DW_EINVAL impossible shape (message from probe_model_config_check), a
 *          budget below one step ("--tokens 1000 is less than one step of 8×256 = 2048
 *          tokens"), a bad setting; DW_ENOMEM a memory plan above the limit (the message
 *          gives the estimate and what is available). */
int probe_run_plan(const ProbeRunConfig *c, int vocab, ProbeRunResult *plan);

/* Reads checkpoint dir for a resume or an evaluation, before anything is allocated for it:
 * config.json's model shape into c->model (probe_checkpoint_config) and its run settings
 * (the "dwplan" member) into c's settings (batch, seq, steps, lr, schedule, warm-up, AdamW,
 * grad_step, val_batches, eval_every, eval_points, seed, data, synth_tokens; other fields
 * untouched; the eval settings are 0 when absent, as in checkpoints from before them), each
 * checked for type, integrality and range before it is converted; then the tensors'
 * declared shapes against the model (probe_checkpoint_check).
 * Inputs:  dir            the checkpoint directory
 *          c              receives the shape and settings; c->data points into data_buf
 *          data_buf, n    storage for the data setting
 *          have_settings  receives 0 when config.json has no run settings (c's settings
 *                         untouched), else 1
 *          state_json     NULL, or receives the run state of optimizer.safetensors (a new
 *                         string; its tensors are checked too)
 * Return:  DW_OK; DW_EIO no such checkpoint or file; DW_EPARSE a field of the wrong type or
 *          out of range, a tensor whose declared shape or size does not match (messages
 *          name the file and the field or tensor); DW_ENOMEM. */
int probe_run_checkpoint_read(const char *dir, ProbeRunConfig *c, char *data_buf, size_t n,
                              int *have_settings, char **state_json);

/* The memory plan of an evaluation (`dwplan probe eval`): model mc allocated for batches of
 * B×T (probe_model_memory_bytes), the batch buffers and, for synthetic data (data NULL or
 * "synthetic[:SPEC]"; "" for no corpus), its validation corpus of min(synth_tokens or 8M,
 * 1M) tokens.
 * *bytes receives the estimate.
 * Return: DW_OK; DW_EINVAL B×T beyond PROBE_TOKENS_PER_STEP_MAX; DW_ENOMEM the estimate is
 * above mem_limit (0: probe_mem_available()), as probe_run_plan refuses a run. */
int probe_eval_plan(const ProbeModelConfig *mc, int B, int T, const char *data,
                    size_t synth_tokens, size_t mem_limit, size_t *bytes);

/* Trains, measures and records one run (see the file comment).
 * Inputs:  c    the configuration (borrowed)
 *          res  receives the result; release with probe_run_result_free (also on failure)
 * Return:  DW_OK when the run produced a result (status ok, diverged, failed — then the record
 *          was appended to c->out when set — or stopped); a negative code when it was
 *          refused before any work (as probe_run_plan; DW_EIO/DW_EPARSE for data or a
 *          checkpoint that cannot be read) or when appending the record failed (DW_EIO). */
int probe_run(const ProbeRunConfig *c, ProbeRunResult *res);

/* The learning rate of step s = 1..S (see probe/run.c's file comment): c->lr · s / warmup
 * during the warm-up, then c->lr (constant) or the cosine from c->lr down to
 * c->lr · c->min_lr_frac at step S. */
double probe_run_lr(const ProbeRunConfig *c, long s, long S);

/* Formats one message and passes it to log (nothing when log is NULL): the one way
 * probe_run and probe_sweep_run speak. */
void probe_log_(ProbeLogFn log, void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Mean loss of `m` on n batches of B×T from `l` drawn with PROBE_VAL_SEED (steps 0..n-1):
 * the run's validation loss. Returns NaN (with the message set) when the loader fails. */
double probe_run_eval(ProbeModel *m, struct DsLoader *l, int B, int T, int n);

/* Opens the data named by a --data argument (dir, "synthetic", "synthetic:SPEC", NULL =
 * synthetic) for `split`; synthetic corpora have synth_tokens bytes of training text (0: 8M)
 * and min(synth_tokens, 1M) of validation text.
 * Return: as ds_loader_open / ds_loader_open_synthetic. */
int probe_run_open_data(const char *data, const char *split, size_t synth_tokens,
                        struct DsLoader **out);

/* Bytes of memory available to a new process (MemAvailable of /proc/meminfo, else
 * sysconf pages), 0 when unknown. */
size_t probe_mem_available(void);

/* The default head count for a width: width/64 when that divides it, else the largest
 * divisor of width with an even head size of at least 32 (or 1). */
int probe_default_heads(int width);

#endif
