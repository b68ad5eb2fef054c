/* cli/cmd_probe.c — `dwplan probe run | sweep | eval`: train probe models on the CPU and
 * record runs (DESIGN §5), sweep depth × width, evaluate a checkpoint (loss and gradients
 * on a given batch, for cross-checks against other implementations). */
#define _GNU_SOURCE /* readlink */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "common/dw.h"
#include "datasets/shards.h"
#include "kernels/kern.h"
#include "probe/checkpoint.h"
#include "probe/run.h"
#include "probe/sweep.h"

static void help_(void) {
    printf("usage: dwplan probe run   --depth D --width W [options] [-o runs.jsonl]\n"
           "       dwplan probe sweep --depths LIST --widths LIST\n"
           "                          (--tokens T | --steps S | --iso-flops C)\n"
           "                          [--jobs N] [options] -o runs.jsonl\n"
           "       dwplan probe eval  --checkpoint DIR [--batch-file F [--grads FILE]] [--json]\n"
           "       dwplan probe bench [--backend cpu|cuda] [--widths LIST] [--depths LIST] [--json]\n"
           "\n"
           "Trains the probe transformer (GPT-NeoX block: Pre-LN, RoPE, GELU MLP, untied head;\n"
           "AdamW, clipping 1.0) on the CPU or a CUDA GPU (--backend cuda) and appends one\n"
           "run record per run (JSON Lines: loss, val_loss, per-layer gradient norms,\n"
           "tokens/s, FLOPs, status). Without --data\n"
           "it trains on dwplan's synthetic language, so it works on a fresh machine.\n"
           "Each subcommand has --help.\n"
           "\n"
           "examples:\n"
           "  dwplan probe run --depth 4 --width 128 --tokens 2M -o runs.jsonl\n"
           "  dwplan probe sweep --depths 1-8 --widths 32,64,128 --tokens 2M --jobs 2 -o runs.jsonl\n"
           "  dwplan fit runs.jsonl --critical-depth\n"
           "  dwplan probe eval --checkpoint ckpt/ --json\n"
           "  dwplan probe bench --backend cuda --math bf16\n"
           "\n"
           "exit codes: 0 ok, 1 a run failed, 2 usage, 3 bad input data, 4 system error\n");
}

static void help_run_(void) {
    printf("usage: dwplan probe run --depth D --width W [--heads H] [--tokens T | --steps S]\n"
           "           [--batch B] [--seq S] [--lr LR] [--schedule constant|cosine] [--warmup N]\n"
           "           [--seed S] [--threads N] [--backend cpu|cuda [--math fp32|tf32|bf16]]\n"
           "           [--grad-step N] [--eval-every T] [--eval-points K]\n"
           "           [--data DIR|synthetic[:SPEC]]\n"
           "           [--checkpoint DIR [--checkpoint-every N] [--stop-at N]] [--resume DIR]\n"
           "           [--quiet] [-o runs.jsonl]\n"
           "\n"
           "Trains one model and appends its run record to -o (without -o, prints it on\n"
           "stdout). Progress (step, loss, tokens/s, ETA) goes to stderr every few seconds.\n"
           "\n"
           "shape:\n"
           "  --depth D --width W     blocks and residual width\n"
           "  --heads H               attention heads (default W/64, at least 1)\n"
           "  --mlp-ratio R           MLP width R·W (default 4)\n"
           "  --vocab V               vocabulary (default: the data's)\n"
           "  --no-biases             no biases on the linear layers\n"
           "  --init-std S            init N(0, S) (default 0.02)\n"
           "budget and optimiser:\n"
           "  --tokens T              training tokens (6.4B-style suffixes); steps = T / (B·S)\n"
           "  --steps S               or a step count\n"
           "  --batch B --seq S       batch rows and sequence length (default 8 × 256)\n"
           "  --lr LR                 peak learning rate (default 3e-4, the paper's constant)\n"
           "  --schedule constant|cosine  (default constant; cosine decays to 0.1·LR)\n"
           "  --warmup N              linear warm-up steps (default 0)\n"
           "  --seed S                initialisation and data order (default 1)\n"
           "  --threads N             compute threads (default: all CPUs); a run is\n"
           "                          deterministic for a seed and a thread count\n"
           "device:\n"
           "  --backend cpu|cuda      where to train (default cpu). cuda loads\n"
           "                          libdwplan_cuda.so (built when CMake finds nvcc; found next\n"
           "                          to dwplan or via $DWPLAN_CUDA_LIB) and needs a GPU\n"
           "  --math fp32|tf32|bf16   cuda GEMM precision (default fp32): tf32 and bf16 run the\n"
           "                          GEMMs on tensor cores with fp32 weights and accumulation\n"
           "  --device N              CUDA device ordinal (default 0)\n"
           "measurement:\n"
           "  --grad-step N           per-layer gradient norms at step N (default 1000, or the\n"
           "                          last step if fewer) and at the end\n"
           "  --val-batches N         validation batches of B×S (default 16)\n"
           "loss curve (the record's \"curve\": [{\"tokens\": T, \"loss\": L}, ...], each the\n"
           "validation loss on the val-batches of val_loss; the last point is val_loss):\n"
           "  --eval-every T          every T tokens (suffixes as --tokens), rounded to whole\n"
           "                          steps: every max(1, round(T / (B·S))) steps\n"
           "  --eval-points K         K points log-spaced from the first step to the last\n"
           "                          (with --eval-every: both sets; at most %d points)\n"
           "                          Each point costs val-batches forward passes (a training\n"
           "                          step costs about three): the plan line says how much\n"
           "data:\n"
           "  --data DIR              token shards (DIR/*_train_*.bin, *_val_*.bin; dwplan data)\n"
           "  --data synthetic[:SPEC] the synthetic language (default), SPEC e.g. vocab=4000,depth=4\n"
           "  --synthetic-tokens N    size of its generated training text (default 8M, or the\n"
           "                          budget rounded up to a power of 2 when larger; val 1M\n"
           "                          or this, whichever is smaller)\n"
           "checkpoints:\n"
           "  --checkpoint DIR        write a checkpoint at the end: model.safetensors (GPT-NeoX\n"
           "                          names), config.json (Hugging Face GPTNeoX), optimizer state\n"
           "  --checkpoint-every N    and every N steps\n"
           "  --stop-at N             stop after step N with a checkpoint and no record\n"
           "  --resume DIR            continue a checkpointed run (same trajectory as an\n"
           "                          uninterrupted one); its settings come from DIR\n"
           "other:\n"
           "  --max-memory BYTES      refuse plans above this (default: available memory)\n"
           "  --quiet                 no progress\n"
           "  -o FILE                 append the record to FILE\n"
           "\n"
           "The run refuses before any work: impossible shapes (width not divisible by heads,\n"
           "odd head size), a budget below one step, missing shards, or a memory estimate\n"
           "above what is available (the message gives the estimate).\n"
           "\n"
           "examples:\n"
           "  dwplan probe run --depth 4 --width 128 --tokens 2M -o runs.jsonl\n"
           "  dwplan probe run --depth 8 --width 256 --steps 3000 --schedule cosine --warmup 100 \\\n"
           "      --data shards/sotu --checkpoint ck/ --checkpoint-every 500 -o runs.jsonl\n"
           "  dwplan probe run --resume ck/ -o runs.jsonl\n"
           "  dwplan probe run --depth 2 --width 16 --tokens 40k --batch 4 --seq 32 \\\n"
           "      --eval-points 6 --threads 1 -o curve.jsonl\n"
           "  dwplan probe run --depth 12 --width 768 --tokens 100M --seq 1024 --batch 32 \\\n"
           "      --backend cuda --math bf16 --data shards/sotu -o runs.jsonl\n"
           "\n"
           "exit codes: 0 ok or diverged (recorded), 1 failed, 2 usage or impossible plan,\n"
           "3 bad data, 4 system error or not enough memory\n",
           PROBE_CURVE_MAX);
}

static void help_sweep_(void) {
    printf("usage: dwplan probe sweep --depths LIST --widths LIST\n"
           "           (--tokens T | --steps S | --iso-flops C)\n"
           "           [--heads H] [--jobs N] [--threads N] [run options] -o runs.jsonl\n"
           "           [--claims DIR] [--claim-timeout S] [--retry-failed]\n"
           "           [--array-index I] [--emit-slurm FILE] [--quiet]\n"
           "\n"
           "Runs every depth × width config and appends each record to -o, then prints the\n"
           "validation loss table. LIST: N, A-B (every integer), A-B:STEP, A-BxFACTOR\n"
           "(geometric), comma-separated: --depths 1-8 --widths 32-128x2.\n"
           "\n"
           "  --tokens T              tokens per config (6.4B-style suffixes), or\n"
           "  --steps S               steps per config, as for probe run (tokens = S·B·seq), or\n"
           "  --iso-flops C           FLOPs per config: tokens = C / (6·N_nonembed + 6·V·W\n"
           "                          + 6·D·S·W)\n"
           "  --jobs N                local worker processes (default 1); each uses\n"
           "                          threads/N compute threads\n"
           "  --threads N             total threads (default: all CPUs)\n"
           "  run options             --batch --seq --lr --schedule --warmup --seed --data\n"
           "                          --grad-step --val-batches --vocab --mlp-ratio --no-biases\n"
           "                          --init-std --synthetic-tokens --max-memory --backend\n"
           "                          --math --device --eval-every --eval-points (as for\n"
           "                          probe run: each config records its loss curve)\n"
           "resume and sharing:\n"
           "  Configs already in the results file (same depth, width, heads, tokens, seed,\n"
           "  dataset, lr, batch, seq) are skipped, so re-running the command resumes a killed\n"
           "  sweep. Each config is claimed with a file in --claims (default OUT.claims;\n"
           "  it says host, pid and start time) so processes on several machines sharing the\n"
           "  file system never run one twice. A claim that is empty or unparsable, or whose\n"
           "  process on this host is gone, is stale and taken over at once (said on stderr).\n"
           "  At the end the sweep waits for configs that other running sweeps hold, and\n"
           "  names on stderr, even with --quiet, each config left without a record and why\n"
           "  (a live claim by pid P on host H, not run).\n"
           "  --claim-timeout S       also take over claims from other hosts untouched for S\n"
           "                          seconds (owners touch theirs every 60 s)\n"
           "  --retry-failed          run configs whose record says failed again\n"
           "Slurm:\n"
           "  --emit-slurm FILE       write a job-array script (one config per task) instead of\n"
           "                          running; submit it with sbatch FILE\n"
           "  --array-index I         run only config I of the plan (what each task does)\n"
           "\n"
           "examples:\n"
           "  dwplan probe sweep --depths 1-8 --widths 32,64,128 --tokens 2M --jobs 2 -o runs.jsonl\n"
           "  dwplan probe sweep --depths 2,4,8,16 --widths 64,128,256 --iso-flops 1e15 -o iso.jsonl\n"
           "  dwplan probe sweep --depths 2-24:2 --widths 512 --tokens 100M -o runs.jsonl \\\n"
           "      --emit-slurm sweep.sbatch && sbatch sweep.sbatch\n"
           "\n"
           "exit codes: 0 every config recorded (ok or diverged), 1 some failed or have no record\n"
           "(held by another process's live claim, or not run: stderr names each and why),\n"
           "2 usage or an impossible config, 3 bad data, 4 system error\n");
}

static void help_eval_(void) {
    printf("usage: dwplan probe eval --checkpoint DIR [--batch-file FILE [--grads OUT]]\n"
           "           [--data D] [--batches N] [--threads N] [--max-memory BYTES] [--json]\n"
           "\n"
           "Loads a checkpoint and prints its loss. Without --batch-file: the validation loss\n"
           "of the run that wrote it (same batches, so it equals the record's val_loss), on\n"
           "the run's data or --data. With --batch-file FILE (JSON {\"inputs\": [[ids...],\n"
           "...], \"targets\": [[ids...], ...]}, B rows of T tokens): the mean cross-entropy on\n"
           "that batch, and with --grads OUT the gradient of that loss as a safetensors file\n"
           "with the parameters' names (tests/torch_crosscheck.py compares both with PyTorch).\n"
           "The checkpoint's settings and tensor shapes are checked, and the memory the\n"
           "evaluation needs is estimated, before anything is allocated: above --max-memory\n"
           "(default: available memory) it is refused, as probe run refuses a plan.\n"
           "\n"
           "examples:\n"
           "  dwplan probe eval --checkpoint ck/ --json\n"
           "  dwplan probe eval --checkpoint ck/ --batch-file batch.json --grads grads.safetensors\n"
           "\n"
           "exit codes: 0 ok, 2 usage, 3 bad checkpoint or batch, 4 system error or not enough\n"
           "memory\n");
}

// ----------------------------------------------------------------------------
// options shared by run and sweep

typedef struct {
    ProbeRunConfig *r;
    double tokens, steps, seed, warmup, grad_step, ckpt_every, stop_at, max_mem, synth;
    double eval_every;
    const char *schedule;
    int no_biases;
    double init_std;
    const char *backend, *math;
} RunOpts;

static int run_opts_finish_(RunOpts *o, const char *cmd) {
    ProbeRunConfig *r = o->r;
    /* each count is bounded before its cast (a double beyond long or size_t is undefined) */
    const struct {
        const char *name;
        double v, hi;
    } lim[] = {{"--steps", o->steps, PROBE_STEPS_MAX},
               {"--warmup", o->warmup, PROBE_STEPS_MAX},
               {"--grad-step", o->grad_step, PROBE_STEPS_MAX},
               {"--checkpoint-every", o->ckpt_every, PROBE_STEPS_MAX},
               {"--stop-at", o->stop_at, PROBE_STEPS_MAX},
               {"--synthetic-tokens", o->synth, 1099511627776.0},
               {"--max-memory", o->max_mem, 1152921504606846976.0},
               {"--eval-every", o->eval_every, PROBE_EVAL_EVERY_MAX},
               {"--init-std", o->init_std, 1e3}};
    for (size_t k = 0; k < sizeof lim / sizeof lim[0]; k++)
        if (!(lim[k].v <= lim[k].hi))
            return cli_usage_error(cmd, "%s must be at most %.0f", lim[k].name, lim[k].hi);
    r->tokens = o->tokens;
    r->steps = (long)o->steps;
    if (o->steps != floor(o->steps)) return cli_usage_error(cmd, "--steps must be an integer");
    if (o->seed < 0 || o->seed != floor(o->seed) || o->seed > 9007199254740992.0)
        return cli_usage_error(cmd, "--seed must be an integer in 0..2^53");
    r->seed = (uint64_t)o->seed;
    r->warmup = (long)o->warmup;
    r->grad_step = (long)o->grad_step;
    r->checkpoint_every = (long)o->ckpt_every;
    r->stop_at = (long)o->stop_at;
    r->mem_limit = (size_t)o->max_mem;
    r->synth_tokens = (size_t)o->synth;
    r->eval_every = o->eval_every;
    if (o->no_biases) r->model.biases = 0;
    if (o->init_std > 0) r->model.init_std = (float)o->init_std;
    int rc = cli_probe_device(cmd, o->backend, o->math, &r->backend, &r->math);
    if (rc) return rc;
    if (o->schedule) {
        if (!strcmp(o->schedule, "constant")) r->schedule = PROBE_SCHED_CONSTANT;
        else if (!strcmp(o->schedule, "cosine")) r->schedule = PROBE_SCHED_COSINE;
        else return cli_usage_error(cmd, "--schedule: constant or cosine (got '%s')", o->schedule);
    }
    return 0;
}

/* The library's progress (ProbeLogFn) on stderr: "PREFIX: MSG", PREFIX being ctx ("probe",
 * "probe sweep"). */
static void log_stderr_(const char *msg, void *ctx) {
    fprintf(stderr, "%s: %s\n", (const char *)ctx, msg);
}

/* Prints a run's outcome; the exit code. */
static int run_exit_(const ProbeRunResult *res) {
    if (!strcmp(res->status, "failed")) {
        fprintf(stderr, "dwplan probe run: failed: %s\n", res->error);
        return EXIT_RESULT;
    }
    return 0;
}

// ----------------------------------------------------------------------------
// probe run

static int is_setting_(const char *arg) {
    static const char *const keep[] = {"--threads", "-o", "--checkpoint", "--checkpoint-every",
                                       "--stop-at", "--quiet", "--max-memory", "--resume",
                                       "--backend", "--math", "--device", "--help", "-h"};
    size_t n = strcspn(arg, "=");
    for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++)
        if (strlen(keep[k]) == n && !strncmp(arg, keep[k], n)) return 0;
    return 1;
}

static int cmd_run_(int argc, char **argv) {
    ProbeRunConfig r;
    RunOpts o = {0};
    int help = 0, rc;
    const char *out = NULL, *setting = NULL;
    probe_run_config_default(&r);
    o.r = &r;
    o.seed = (double)r.seed;
    const CliOpt opts[] = {
        CLI_OPT_FLAG("--help", &help), CLI_OPT_FLAG("-h", &help),
        CLI_OPT_INT("--depth", &r.model.depth, 0, 100000),
        CLI_OPT_INT("--width", &r.model.width, 0, 1000000),
        CLI_OPT_INT("--heads", &r.model.heads, 1, 1000000),
        CLI_OPT_INT("--mlp-ratio", &r.model.mlp_ratio, 1, 64),
        CLI_OPT_INT("--vocab", &r.model.vocab, 2, 100000000),
        CLI_OPT_FLAG("--no-biases", &o.no_biases), CLI_OPT_NUM("--init-std", &o.init_std, 0, 0),
        CLI_OPT_NUM("--tokens", &o.tokens, 0, 1), CLI_OPT_NUM("--steps", &o.steps, 0, 1),
        CLI_OPT_INT("--batch", &r.batch, 1, 1000000), CLI_OPT_INT("--seq", &r.seq, 1, 1000000),
        CLI_OPT_NUM("--lr", &r.lr, 0, 0), CLI_OPT_STR("--schedule", &o.schedule),
        CLI_OPT_NUM("--warmup", &o.warmup, -1, 1), CLI_OPT_NUM("--seed", &o.seed, -1, 0),
        CLI_OPT_INT("--threads", &r.threads, 1, 4096),
        CLI_OPT_STR("--backend", &o.backend), CLI_OPT_STR("--math", &o.math),
        CLI_OPT_INT("--device", &r.device, 0, 1024),
        CLI_OPT_NUM("--grad-step", &o.grad_step, 0, 1),
        CLI_OPT_INT("--val-batches", &r.val_batches, 1, 1000000),
        CLI_OPT_NUM("--eval-every", &o.eval_every, 0, 1),
        CLI_OPT_INT("--eval-points", &r.eval_points, 1, PROBE_CURVE_MAX),
        CLI_OPT_STR("--data", &r.data), CLI_OPT_NUM("--synthetic-tokens", &o.synth, 1, 1),
        CLI_OPT_STR("--checkpoint", &r.checkpoint),
        CLI_OPT_NUM("--checkpoint-every", &o.ckpt_every, 0, 1),
        CLI_OPT_NUM("--stop-at", &o.stop_at, 0, 1), CLI_OPT_STR("--resume", &r.resume),
        CLI_OPT_NUM("--max-memory", &o.max_mem, 0, 1), CLI_OPT_FLAG("--quiet", &r.quiet),
        CLI_OPT_STR("-o", &out)};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int p = cli_parse_opt(argc, argv, &i, opts, sizeof opts / sizeof opts[0], "probe run");
        if (p < 0) return -p;
        if (p == 0) return cli_usage_error("probe run", "unknown option '%s'", argv[i]);
        if (help) {
            help_run_();
            return 0;
        }
        if (is_setting_(a) && !setting) setting = a;
    }
    if ((rc = run_opts_finish_(&o, "probe run"))) return rc;
    if (r.resume) {
        if (setting)
            return cli_usage_error("probe run", "%s: a resumed run takes its settings from the "
                                   "checkpoint", setting);
    } else {
        if (!r.model.depth || !r.model.width)
            return cli_usage_error("probe run", "give --depth and --width (or --resume DIR)");
        if (o.tokens > 0 && o.steps > 0)
            return cli_usage_error("probe run", "give --tokens or --steps, not both");
        if (!(o.tokens > 0) && !(o.steps > 0))
            return cli_usage_error("probe run", "give a budget: --tokens T or --steps S");
    }
    if (r.stop_at > 0 && !r.checkpoint && !r.resume)
        return cli_usage_error("probe run", "--stop-at needs --checkpoint DIR to continue from");
    if (r.checkpoint_every > 0 && !r.checkpoint && !r.resume)
        return cli_usage_error("probe run", "--checkpoint-every needs --checkpoint DIR");
    /* the record's file and the checkpoint directory can be written, before the run */
    char onote[600];
    if (out && (rc = dw_output_check(out, DW_OUT_FILE, onote, sizeof onote)))
        return cli_fail("probe run", rc);
    if (out && onote[0] && !r.quiet) fprintf(stderr, "dwplan probe run: note: %s\n", onote);
    const char *ckdir = r.checkpoint ? r.checkpoint : r.resume;
    if (ckdir && (rc = probe_checkpoint_target_check(ckdir))) return cli_fail("probe run", rc);
    r.out = out;
    r.log = log_stderr_;
    r.log_ctx = "probe";
    ProbeRunResult res;
    rc = probe_run(&r, &res);
    if (rc) {
        probe_run_result_free(&res);
        return cli_fail("probe run", rc);
    }
    if (!out && res.record) printf("%s\n", res.record);
    int code = run_exit_(&res);
    probe_run_result_free(&res);
    return code;
}

// ----------------------------------------------------------------------------
// probe sweep

/* argv after "probe sweep" without the options a Slurm task sets itself. */
static int slurm_args_(int argc, char **argv, char ***out) {
    static const char *const drop[] = {"--emit-slurm", "--jobs", "--threads", "--array-index"};
    char **v = malloc(sizeof(char *) * (size_t)argc);
    int n = 0;
    if (!v) return -1;
    for (int i = 1; i < argc; i++) {
        int skip = 0;
        for (size_t k = 0; k < sizeof drop / sizeof drop[0]; k++) {
            size_t len = strlen(drop[k]);
            if (!strncmp(argv[i], drop[k], len) && (argv[i][len] == '\0' || argv[i][len] == '=')) {
                skip = argv[i][len] == '\0' ? 2 : 1;
                break;
            }
        }
        if (skip == 2) i++;
        else if (!skip) v[n++] = argv[i];
    }
    *out = v;
    return n;
}

/* The validation loss by depth (rows) and width (columns) from the results file. */
static void print_table_(const ProbeSweepConfig *c) {
    ProbeSweepItem *items = NULL;
    int n = 0, *dv = NULL, *wv = NULL, nd = 0, nw = 0, *line = NULL;
    double *vl = NULL;
    char (*st)[16] = NULL;
    int vocab = c->base.model.vocab;
    if (!vocab) {
        DsLoader *l = NULL;
        if (probe_run_open_data(c->base.data, "train", (size_t)1 << 16, &l)) return;
        vocab = ds_loader_vocab(l);
        ds_loader_free(l);
    }
    ProbeSweepConfig all = *c;
    all.array_index = -1;
    all.jobs = 1;
    all.base.mem_limit = (size_t)-1;
    if (probe_sweep_plan(&all, vocab, &items, &n) || probe_sweep_parse_list(c->depths, &dv, &nd) ||
        probe_sweep_parse_list(c->widths, &wv, &nw))
        goto out;
    line = malloc(sizeof(int) * (size_t)n);
    vl = malloc(sizeof(double) * (size_t)n);
    st = malloc(16 * (size_t)n);
    if (!line || !vl || !st || probe_sweep_scan(c, items, n, line, vl, st, NULL)) goto out;
    printf("val_loss by depth (rows) and width (columns); %s\n", c->out);
    printf("%6s", "depth");
    for (int k = 0; k < nw; k++) printf("  %9d", wv[k]);
    printf("\n");
    for (int i = 0; i < nd; i++) {
        printf("%6d", dv[i]);
        for (int k = 0; k < nw; k++) {
            int j = i * nw + k;
            if (line[j] < 0) printf("  %9s", "-");
            else if (!strcmp(st[j], "ok") && isfinite(vl[j])) printf("  %9.4f", vl[j]);
            else printf("  %9s", st[j]);
        }
        printf("\n");
    }
out:
    free(items);
    free(dv);
    free(wv);
    free(line);
    free(vl);
    free(st);
}

static int cmd_sweep_(int argc, char **argv) {
    ProbeSweepConfig c;
    RunOpts o = {0};
    int help = 0, rc;
    double array_index = -1;
    const char *slurm = NULL;
    probe_sweep_config_default(&c);
    o.r = &c.base;
    o.seed = (double)c.base.seed;
    ProbeRunConfig *r = &c.base;
    const CliOpt opts[] = {
        CLI_OPT_FLAG("--help", &help), CLI_OPT_FLAG("-h", &help),
        CLI_OPT_STR("--depths", &c.depths), CLI_OPT_STR("--widths", &c.widths),
        CLI_OPT_INT("--heads", &c.heads, 1, 1000000),
        CLI_OPT_NUM("--tokens", &c.tokens, 0, 1), CLI_OPT_NUM("--iso-flops", &c.iso_flops, 0, 1),
        CLI_OPT_NUM("--steps", &o.steps, 0, 1),
        CLI_OPT_INT("--jobs", &c.jobs, 1, 256), CLI_OPT_INT("--threads", &c.threads, 1, 4096),
        CLI_OPT_INT("--mlp-ratio", &r->model.mlp_ratio, 1, 64),
        CLI_OPT_INT("--vocab", &r->model.vocab, 2, 100000000),
        CLI_OPT_FLAG("--no-biases", &o.no_biases), CLI_OPT_NUM("--init-std", &o.init_std, 0, 0),
        CLI_OPT_INT("--batch", &r->batch, 1, 1000000), CLI_OPT_INT("--seq", &r->seq, 1, 1000000),
        CLI_OPT_NUM("--lr", &r->lr, 0, 0), CLI_OPT_STR("--schedule", &o.schedule),
        CLI_OPT_NUM("--warmup", &o.warmup, -1, 1), CLI_OPT_NUM("--seed", &o.seed, -1, 0),
        CLI_OPT_NUM("--grad-step", &o.grad_step, 0, 1),
        CLI_OPT_STR("--backend", &o.backend), CLI_OPT_STR("--math", &o.math),
        CLI_OPT_INT("--device", &r->device, 0, 1024),
        CLI_OPT_INT("--val-batches", &r->val_batches, 1, 1000000),
        CLI_OPT_NUM("--eval-every", &o.eval_every, 0, 1),
        CLI_OPT_INT("--eval-points", &r->eval_points, 1, PROBE_CURVE_MAX),
        CLI_OPT_STR("--data", &r->data), CLI_OPT_NUM("--synthetic-tokens", &o.synth, 1, 1),
        CLI_OPT_NUM("--max-memory", &o.max_mem, 0, 1),
        CLI_OPT_STR("--claims", &c.claims), CLI_OPT_NUM("--claim-timeout", &c.claim_timeout, 0, 0),
        CLI_OPT_FLAG("--retry-failed", &c.retry_failed),
        CLI_OPT_NUM("--array-index", &array_index, -1, 0),
        CLI_OPT_STR("--emit-slurm", &slurm), CLI_OPT_FLAG("--quiet", &c.quiet),
        CLI_OPT_STR("-o", &c.out)};
    for (int i = 1; i < argc; i++) {
        int p = cli_parse_opt(argc, argv, &i, opts, sizeof opts / sizeof opts[0], "probe sweep");
        if (p < 0) return -p;
        if (p == 0) return cli_usage_error("probe sweep", "unknown option '%s'", argv[i]);
        if (help) {
            help_sweep_();
            return 0;
        }
    }
    if ((rc = run_opts_finish_(&o, "probe sweep"))) return rc;
    if (array_index != floor(array_index))
        return cli_usage_error("probe sweep", "--array-index must be an integer");
    c.array_index = (long)array_index;
    if (!c.depths || !c.widths) return cli_usage_error("probe sweep", "give --depths and --widths");
    int budgets = (c.tokens > 0) + (c.iso_flops > 0) + (o.steps > 0);
    if (budgets == 0)
        return cli_usage_error("probe sweep",
                               "give a budget: --tokens T, --steps S or --iso-flops C");
    if (budgets > 1)
        return cli_usage_error("probe sweep", "give one of --tokens, --steps, --iso-flops");
    if (!c.out) return cli_usage_error("probe sweep", "give the results file with -o");
    char onote[600]; /* the results file can be written, before any run */
    if ((rc = dw_output_check(c.out, DW_OUT_FILE, onote, sizeof onote)))
        return cli_fail("probe sweep", rc);
    if (onote[0] && !c.quiet) fprintf(stderr, "dwplan probe sweep: note: %s\n", onote);
    if (slurm) {
        char exe[4096], **args;
        ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (k <= 0) snprintf(exe, sizeof exe, "dwplan");
        else exe[k] = '\0';
        int na = slurm_args_(argc, argv, &args);
        if (na < 0) return cli_fail("probe sweep", dw_error_set(DW_ENOMEM, "out of memory"));
        rc = probe_sweep_emit_slurm(&c, 0, slurm, exe, args, na);
        free(args);
        if (rc) return cli_fail("probe sweep", rc);
        fprintf(stderr, "dwplan probe sweep: wrote %s; submit it with: sbatch %s\n", slurm, slurm);
        return 0;
    }
    ProbeSweepSummary s;
    c.log = log_stderr_;
    c.log_ctx = "probe sweep";
    if ((rc = probe_sweep_run(&c, &s))) return cli_fail("probe sweep", rc);
    if (!c.quiet)
        fprintf(stderr, "probe sweep: %d configs: %d were done, %d ran now; %d ok, %d diverged, "
                "%d failed\n", s.planned, s.done, s.ran, s.ok, s.diverged, s.failed);
    if (s.busy + s.missing) /* said even when quiet: the exit code alone would not say which */
        fprintf(stderr, "probe sweep: %d of %d configs have no record (%d held by other "
                "processes' live claims, %d not run; each named above)\n", s.busy + s.missing,
                s.planned, s.busy, s.missing);
    if (c.array_index < 0) print_table_(&c);
    return s.failed || s.busy + s.missing ? EXIT_RESULT : 0;
}

// ----------------------------------------------------------------------------
// probe eval

/* Reads {"inputs": [[..]], "targets": [[..]]} into new (B, T) arrays. */
static int read_batch_(const char *path, int vocab, int32_t **in, int32_t **tg, int *B, int *T) {
    char *text = dw_read_file(path, NULL);
    int rc = DW_EPARSE;
    *in = *tg = NULL;
    if (!text) return DW_EIO;
    cJSON *j = cJSON_Parse(text);
    free(text);
    const cJSON *ai = cJSON_GetObjectItemCaseSensitive(j, "inputs");
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(j, "targets");
    if (!cJSON_IsArray(ai) || !cJSON_IsArray(at) || cJSON_GetArraySize(ai) < 1 ||
        cJSON_GetArraySize(ai) != cJSON_GetArraySize(at)) {
        dw_error_set(rc, "%s: want {\"inputs\": [[ids]], \"targets\": [[ids]]} with as many rows",
                     path);
        goto out;
    }
    *B = cJSON_GetArraySize(ai);
    *T = cJSON_GetArraySize(cJSON_GetArrayItem(ai, 0));
    if (*T < 1) {
        dw_error_set(rc, "%s: empty rows", path);
        goto out;
    }
    *in = malloc(sizeof(int32_t) * (size_t)*B * *T);
    *tg = malloc(sizeof(int32_t) * (size_t)*B * *T);
    if (!*in || !*tg) {
        rc = dw_error_set(DW_ENOMEM, "out of memory");
        goto out;
    }
    for (int w = 0; w < 2; w++) {
        const cJSON *rows = w ? at : ai;
        int32_t *dst = w ? *tg : *in;
        for (int b = 0; b < *B; b++) {
            const cJSON *row = cJSON_GetArrayItem(rows, b);
            if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != *T) {
                dw_error_set(rc, "%s: %s row %d does not have %d ids", path,
                             w ? "targets" : "inputs", b, *T);
                goto out;
            }
            for (int t = 0; t < *T; t++) {
                const cJSON *x = cJSON_GetArrayItem(row, t);
                if (!cJSON_IsNumber(x) || x->valuedouble < 0 || x->valuedouble >= vocab ||
                    x->valuedouble != floor(x->valuedouble)) {
                    dw_error_set(rc, "%s: %s[%d][%d] is not a token id below %d", path,
                                 w ? "targets" : "inputs", b, t, vocab);
                    goto out;
                }
                dst[b * *T + t] = (int32_t)x->valuedouble;
            }
        }
    }
    rc = DW_OK;
out:
    cJSON_Delete(j);
    if (rc) {
        free(*in);
        free(*tg);
        *in = *tg = NULL;
    }
    return rc;
}

static int cmd_eval_(int argc, char **argv) {
    const char *ckpt = NULL, *batch_file = NULL, *grads = NULL, *data = NULL;
    int help = 0, json = 0, threads = 0, batches = 0, rc, B = 0, T = 0;
    double max_mem = 0;
    const CliOpt opts[] = {
        CLI_OPT_FLAG("--help", &help), CLI_OPT_FLAG("-h", &help),
        CLI_OPT_STR("--checkpoint", &ckpt), CLI_OPT_STR("--batch-file", &batch_file),
        CLI_OPT_STR("--grads", &grads), CLI_OPT_STR("--data", &data),
        CLI_OPT_INT("--batches", &batches, 1, 1000000),
        CLI_OPT_INT("--threads", &threads, 1, 4096),
        CLI_OPT_NUM("--max-memory", &max_mem, 0, 1), CLI_OPT_FLAG("--json", &json)};
    for (int i = 1; i < argc; i++) {
        int p = cli_parse_opt(argc, argv, &i, opts, sizeof opts / sizeof opts[0], "probe eval");
        if (p < 0) return -p;
        if (p == 0) return cli_usage_error("probe eval", "unknown option '%s'", argv[i]);
        if (help) {
            help_eval_();
            return 0;
        }
    }
    if (!ckpt) return cli_usage_error("probe eval", "give --checkpoint DIR");
    if (grads && !batch_file) return cli_usage_error("probe eval", "--grads needs --batch-file");
    if (threads <= 0) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        threads = nc > 0 ? (int)nc : 1;
    }
    /* the checkpoint's shape, settings and tensor headers, all checked before any use */
    ProbeRunConfig rc_;
    char data_buf[512];
    int have_settings = 0;
    probe_run_config_default(&rc_);
    if ((rc = probe_run_checkpoint_read(ckpt, &rc_, data_buf, sizeof data_buf, &have_settings,
                                        NULL)))
        return cli_fail("probe eval", rc);
    const ProbeModelConfig mc = rc_.model;
    int32_t *in = NULL, *tg = NULL;
    ProbeModel *m = NULL;
    DsLoader *val = NULL;
    double loss = NAN;
    size_t mem = 0;
    int code = 0;
    if (batch_file) {
        if ((rc = read_batch_(batch_file, mc.vocab, &in, &tg, &B, &T))) goto fail;
        if (T > mc.seq_len) {
            rc = dw_error_set(DW_EPARSE, "%s: rows of %d tokens are longer than the model's %d "
                              "positions", batch_file, T, mc.seq_len);
            goto fail;
        }
    } else {
        if (!have_settings) {
            rc = dw_error_set(DW_EPARSE, "%s: config.json has no dwplan run settings; give "
                              "--batch-file", ckpt);
            goto fail;
        }
        B = rc_.batch;
        T = rc_.seq;
        if (!batches) batches = rc_.val_batches;
        if (!data) data = rc_.data;
    }
    /* the memory plan before the data and the model are made, as probe run's ("": no
     * validation corpus) */
    if ((rc = probe_eval_plan(&mc, B, T, batch_file ? "" : data, rc_.synth_tokens,
                              (size_t)max_mem, &mem)))
        goto fail;
    if (!batch_file && (rc = probe_run_open_data(data, "val", rc_.synth_tokens, &val)))
        goto fail;
    if (!(m = probe_model_alloc(&mc, B, T, threads))) {
        rc = dw_error_code() ? dw_error_code() : DW_ENOMEM;
        goto fail;
    }
    if ((rc = probe_checkpoint_load(ckpt, m, NULL))) goto fail;
    if (batch_file) {
        loss = probe_model_forward(m, in, tg, B, T);
        if (grads) {
            probe_model_zero_grad(m);
            probe_model_backward(m);
            char meta[128];
            snprintf(meta, sizeof meta, "{\"format\":\"pt\",\"loss\":\"%.9g\"}", loss);
            const int w1[1] = {1};
            const char *const s1[1] = {""};
            if ((rc = probe_safetensors_save(grads, m, 1, w1, s1, meta))) goto fail;
        }
    } else {
        loss = probe_run_eval(m, val, B, T, batches);
        if (isnan(loss)) {
            rc = DW_EPARSE;
            goto fail;
        }
    }
    if (json) {
        printf("{\"loss\":%.9g,\"batch\":%d,\"seq\":%d,\"batches\":%d,\"source\":\"%s\"}\n", loss,
               B, T, batch_file ? 1 : batches, batch_file ? "batch-file" : "val");
    } else {
        printf("loss %.6f nats/token on %d batch%s of %d×%d tokens (%s)\n", loss,
               batch_file ? 1 : batches, (batch_file ? 1 : batches) > 1 ? "es" : "", B, T,
               batch_file ? batch_file : "validation");
        if (grads) printf("gradients written to %s\n", grads);
    }
    goto done;
fail:
    code = cli_fail("probe eval", rc);
done:
    free(in);
    free(tg);
    probe_model_free(m);
    ds_loader_free(val);
    return code;
}

int cmd_probe(int argc, char **argv) {
    if (argc < 2) return cli_usage_error("probe", "give a subcommand: run, sweep, eval or bench");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        help_();
        return 0;
    }
    if (!strcmp(argv[1], "run")) return cmd_run_(argc - 1, argv + 1);
    if (!strcmp(argv[1], "sweep")) return cmd_sweep_(argc - 1, argv + 1);
    if (!strcmp(argv[1], "eval")) return cmd_eval_(argc - 1, argv + 1);
    if (!strcmp(argv[1], "bench")) return cmd_probe_bench(argc - 1, argv + 1);
    return cli_usage_error("probe", "unknown subcommand '%s': run, sweep, eval or bench",
                           argv[1]);
}
