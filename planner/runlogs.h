/* planner/runlogs.h — Hugging Face Trainer output directories as a run table. Prefix
 * plan_trainer_.
 *
 * A run directory holds the Trainer's trainer_state.json (its log_history: the loss curve,
 * datasets/trainer.h) and the model's config.json (its shape, read by planner/hfconfig.h:
 * the planner owns what a config means, which is why this reader lives here and not in
 * datasets/, which may not use the planner). When the directory has no trainer_state.json
 * of its own but checkpoint-N/ subdirectories that do, the highest N is read (its log is
 * the whole history up to it), with config.json from the directory or that checkpoint.
 *
 * A directory that is not a run is a directory of runs: each subdirectory that is a run, in
 * name order. `dwplan fit runs/` and `dwplan fit runs/a runs/b ...` (what the shell makes of
 * runs/ and a star) read the same runs.
 *
 * The table built has the columns run (the directory), step, epoch, tokens, the loss key
 * ("eval_loss" when the logs hold evaluations, else "loss"; every run must read the same
 * one), depth and width (from config.json), one row per point of each curve, and goes
 * through the run-table loader's rules (ds_runs_load_table): every directory is one run
 * (DsRuns.run_explicit), and a run with several points makes the table one of curves.
 */
#ifndef PLAN_RUNLOGS_H
#define PLAN_RUNLOGS_H

#include "datasets/runs.h"
#include "planner/count.h"

#define PLAN_TRAINER_MAX_RUNS 10000
#define PLAN_TRAINER_CONFIG_MAX_BYTES (4 * 1024 * 1024)

typedef struct {
    int nruns;
    PlanShape shape;     /* the first run's config.json shape (hfconfig) */
    char model[128];     /* its model name (_name_or_path, model_type, ...) */
    int same_block;      /* 1: every run's vocabulary, MLP, norm, biases and tying equal the
                            first's (the law's conventions can be taken from it) */
    int eval;            /* 1: losses are eval_loss; 0: the training loss */
    int tokens_logged;   /* 1: every run's tokens from num_input_tokens_seen */
    int npoints, nstep0, nrepeated; /* points read; left out at step 0; replaced */
    char first[DS_RUNS_PATH_MAX]; /* the first run's trainer_state.json */
} PlanTrainerInfo;

/* 1 when `dir` is a run directory (trainer_state.json in it, or in a checkpoint-N/ in it). */
int plan_trainer_is_run(const char *dir);

/* 1 when `path` is a directory. */
int plan_path_is_dir(const char *path);

/* Reads run directories (and directories of runs) into one run table.
 * Inputs:  dirs, ndirs  directories as given on the command line
 *          o            the loader's options (--where, --map, ...; o->tokens_per_step gives
 *                       the tokens of logs without num_input_tokens_seen)
 *          out          receives the runs (ds_runs_free)
 *          info         what was read (may be NULL)
 * Return:  DW_OK; DW_EIO a directory or file that cannot be read; DW_EPARSE no run found, a
 *          malformed trainer_state.json or config.json, no config.json, runs that read
 *          different losses, more than PLAN_TRAINER_MAX_RUNS runs (the message names the
 *          directory or file, line and field); the loader's errors otherwise. */
int plan_trainer_load(const char *const *dirs, int ndirs, const DsRunsOptions *o, DsRuns **out,
                      PlanTrainerInfo *info);

/* Sets the conventions a law fitted to Trainer runs counts with, from the first run's
 * config.json (vocabulary, MLP ratio, SwiGLU, norm, biases, tying), for each one `keep`
 * does not hold (bit 0 vocab, 1 mlp_ratio, 2 swiglu, 3 tied, 4 biases, 5 rmsnorm: the ones
 * the command line stated). Does nothing unless info->same_block. Writes what it took into
 * note (size n): "from config.json: vocab 50257, MLP 4x GELU, LayerNorm, biases, tied". */
void plan_trainer_conventions(const PlanTrainerInfo *info, unsigned keep, LawConventions *conv,
                              char *note, size_t n);

#endif
