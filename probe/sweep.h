/* probe/sweep.h — sweeps of probe runs over depth × width (DESIGN §5): a plan of configs
 * (a grid at a fixed token budget, or iso-FLOP: tokens = C / FLOPs per token), local
 * worker processes, resume from the results file, claim files so that several processes or
 * nodes sharing a file system never run one config twice, and Slurm job arrays.
 *
 * Results: every finished run appends one record to the results file (dw_append_line: one
 * write + fsync), so a killed sweep loses only the runs in flight and never leaves a torn
 * line. A config is done when the file holds a record with its depth, width, heads,
 * tokens, seed, dataset, lr, batch and seq_len (any status; failed ones again with
 * retry_failed).
 *
 * Claims (probe/claim.h): before running a config a worker claims it (CLAIMS/KEY.claim, linked
 * whole and locked, held while the run lasts); then it re-reads the results file (another
 * worker may have just finished the config), runs, appends the record, and removes the claim.
 * A claim that is empty or unparsable, or whose owner on this host is gone, is taken over at
 * once; a claim from another host only when its file has not been touched for claim_timeout
 * seconds (the owner touches it every 60 s while running). Claims of a node that died
 * without a timeout set must be removed by hand (rm CLAIMS/KEY.claim).
 *
 * The end: after its workers, a sweep waits for the configs whose claims are locked by
 * running processes (another sweep sharing the file), runs those whose claims went away or
 * stale meanwhile, and says through the log, even when quiet, each config left without a
 * record and why (a live claim by pid P on host H; not run).
 */
#ifndef PROBE_SWEEP_H
#define PROBE_SWEEP_H

#include "probe/claim.h"
#include "probe/run.h"

typedef struct {
    ProbeRunConfig base;  /* settings shared by every config (shape and budget ignored) */
    const char *depths;   /* list spec, e.g. "1-8", "2,4,8,16", "32-256x2" (see parse_list) */
    const char *widths;
    int heads;            /* 0 → probe_default_heads(width) */
    double tokens;        /* tokens per config ... */
    double iso_flops;     /* ... or a compute budget C per config: tokens = C / (FLOPs/token) */
    int jobs;             /* local worker processes (default 1) */
    int threads;          /* total compute threads over all workers (0 → online CPUs); each
                             worker gets max(1, threads / jobs) */
    const char *out;      /* the results file (required) */
    const char *claims;   /* claims directory (NULL → OUT.claims beside the results) */
    long array_index;     /* >= 0: run only config #array_index of the plan (Slurm) */
    int retry_failed;     /* run configs whose only records are "failed" again */
    double claim_timeout; /* > 0: a claim untouched this many seconds is stale on any host */
    int quiet;            /* no plan and per-config lines through log; still said: a worker
                             process's failure (only its exit status reaches the parent), a
                             stale claim taken over, and each config left without a record */
    ProbeLogFn log;       /* progress (probe/run.h); NULL: nothing is said. The runs of the
                             sweep are quiet. Worker processes call it too (after fork) */
    void *log_ctx;
} ProbeSweepConfig;

/* The defaults: base from probe_run_config_default, jobs 1, array_index -1. */
void probe_sweep_config_default(ProbeSweepConfig *c);

typedef struct {
    int depth, width, heads;
    long steps;
    double tokens;        /* planned: steps · batch · seq */
    double flops;         /* planner's training FLOPs for those tokens */
    size_t memory_bytes;
    char key[128];        /* the claim file stem: d4-w64-h1-t1048576-s1-b8-T256-lr0.0003-3f2a9c */
} ProbeSweepItem;

/* Parses a list of positive integers: comma-separated items, each a number N, a range
 * A-B (every integer from A to B), A-B:S (step S) or A-BxF (A, A·F, A·F², ... up to B).
 * "1-8" → 1..8; "32,64,128"; "32-256x2" → 32,64,128,256. Duplicates are removed and the
 * order kept. *vals is a new array (caller frees).
 * Return: DW_OK; DW_EINVAL malformed (message quotes the item); DW_ERANGE a value < 1 or
 * above 10^6, or more than 4096 values. */
int probe_sweep_parse_list(const char *spec, int **vals, int *n);

/* The plan: depths × widths (depth-major), each config checked with probe_run_plan so a bad
 * shape, a budget below one step or a memory plan above the limit (for one worker's share)
 * stops the sweep before any work.
 * Inputs:  c      the sweep
 *          vocab  the data's vocabulary (sizes the model and the FLOP count)
 *          items  receives a new array of *n items (caller frees)
 * Return:  DW_OK; DW_EINVAL/DW_ERANGE bad lists or settings, a config that cannot run
 *          (message names it); DW_ENOMEM. */
int probe_sweep_plan(const ProbeSweepConfig *c, int vocab, ProbeSweepItem **items, int *n);

/* For each item, the index in the results file's line order of the last record that matches
 * it (-1 when none; failed records only count unless retry_failed), and optionally its
 * val_loss (NaN when none or null) and status ("" when none; status[i] holds 16 bytes).
 * A missing results file means nothing is done; lines that are not JSON objects are skipped
 * and counted in *bad_lines (when non-NULL).
 * Return: DW_OK; DW_EIO the file exists but cannot be read; DW_ENOMEM. */
int probe_sweep_scan(const ProbeSweepConfig *c, const ProbeSweepItem *items, int n, int *line,
                     double *val_loss, char (*status)[16], int *bad_lines);

typedef struct {
    int planned;   /* configs in the plan (or 1 with array_index) */
    int done;      /* already in the results file at the start */
    int ran;       /* recorded while this sweep ran (by it, or by others sharing the file) */
    int ok, diverged, failed;
    int busy;      /* no record: held by live claims of other processes (said through log) */
    int missing;   /* no record otherwise: not run, the sweep having stopped on an error, or a
                      run that ended without a record (said through log) */
    int bad_lines; /* results lines that were not JSON objects */
} ProbeSweepSummary;

/* Runs the sweep: plans (refusing bad configs before any work), skips what is done, and runs
 * the rest in c->jobs worker processes (fork; each child dies with its parent), biggest
 * configs first.
 * Return: DW_OK when the sweep could go on to the end: every planned config has a record,
 * or sum->busy + sum->missing say how many have none (each said through c->log, even when
 * quiet); a negative code when the plan was refused, the data cannot be opened, or a worker
 * could not write or died (message set). */
int probe_sweep_run(const ProbeSweepConfig *c, ProbeSweepSummary *sum);

/* Writes a Slurm job-array script that runs one config per array task:
 *   #SBATCH --array=0-(n-1)  --cpus-per-task=threads  --mem=<largest plan + 25%>
 *   cd <cwd>; exec <dwplan> probe sweep <args> --array-index $SLURM_ARRAY_TASK_ID
 * Inputs:  c         the sweep (for threads, memory and the results path)
 *          path      the script to write (atomically, mode 0755)
 *          exe       the dwplan binary (absolute path)
 *          args/nargs  the sweep's own arguments after "probe sweep", with --emit-slurm,
 *                    --jobs, --threads and --array-index already removed
 * Return: DW_OK; as probe_sweep_plan; DW_EIO. */
int probe_sweep_emit_slurm(const ProbeSweepConfig *c, int vocab, const char *path,
                           const char *exe, char *const *args, int nargs);

#endif
