/* datasets/runs.h — the one loader of run tables (DESIGN §3 "Run record", "CSV import").
 * Prefix ds_runs_.
 *
 * `dwplan fit`, `fit --critical-depth`, `plot` and `report` all read their data here, so a
 * column is found, a row is kept and a value is checked by the same rules everywhere:
 *
 *   1. read the file (datasets/table.h: CSV or JSON Lines) and apply --where filters;
 *   2. resolve the columns of the canonical fields (depth, width, params, tokens, flops,
 *      loss, grad_norms) by alias or by --map (a --map field that is none of these is
 *      refused), and the optional weight column; a header with no such column and a ';' or
 *      a tab inside a column name is refused with a hint (a ';'-delimited file);
 *   3. leave out rows whose `status` column exists and is not "ok" (runs that diverged or
 *      failed say nothing about the law), counting them;
 *   4. check every used value in every kept row: depth, width, params, tokens, flops, loss
 *      and weight must be positive finite numbers (each enters a logarithm); a row may give
 *      its token count as tokens or as FLOPs, but must give one when either column exists;
 *      gradient norms must be a JSON array of positive finite numbers. A row that breaks
 *      this is an error naming file, line and column, or, with skip_bad_rows, left out and
 *      counted (nskipped_bad, the first lines in bad_lines);
 *   5. refuse exact duplicates (every used value equal: a record written twice);
 *   6. group rows into shapes: equal (depth, width) when both columns exist, else equal
 *      params, else one row per group. Cross-validation and the shape bootstrap resample
 *      these groups;
 *   7. give every row its run (DsRuns.run): rows with the same value in the run column
 *      (run_id, run, run_name, Name, name, id; --map run=COL) and the same shape are one
 *      run; a record expanded from its `curve` (DsRunsOptions.curves) is one run; a Trainer
 *      directory is one run (planner/runlogs.h). Without any of these a run is a shape, and
 *      the identity is not explicit. A table where an explicit run has several rows is a
 *      table of loss curves (DsRuns.curves): `dwplan fit` then resamples whole runs.
 *
 * W&B history exports (a `_step` column: W&B's count of log calls) hold rows in which a
 * metric other than the loss was logged (a Hugging Face run logs train/loss and eval/loss
 * at different calls): a row of such a table with no loss value is left out and counted
 * (DsRuns.nskipped_noloss), not an error.
 *
 * Loss curves in run records: with DsRunsOptions.curves, a record whose `curve` field holds
 * [{"tokens": T1, "loss": L1}, ...] (validation loss at several token counts, tokens
 * strictly ascending, the last point the record's own tokens and loss) becomes one row per
 * point, each with the record's shape, params and weight (no FLOPs, no gradient norms: the
 * point gives its tokens). At most DS_RUNS_CURVE_MAX points a record. Records without a
 * curve stay one row. Off by default: the points of a decaying learning-rate schedule are
 * not the losses separately trained shorter runs reach.
 *
 * Every failure names the file, line and column. Converting the rows to a law's inputs
 * (N under the law's counting conventions, T from FLOPs) needs the parameter counter, which
 * is the planner's: planner/fitdata.h does it on a DsRuns.
 */
#ifndef DS_RUNS_H
#define DS_RUNS_H

#include <stddef.h>

#include "datasets/table.h"

#define DS_RUNS_PATH_MAX 1024

/* The fields a run table can give, in the order of DsRuns' arrays. */
typedef enum {
    DS_RUNS_DEPTH,
    DS_RUNS_WIDTH,
    DS_RUNS_PARAMS,
    DS_RUNS_TOKENS,
    DS_RUNS_FLOPS,
    DS_RUNS_LOSS,
    DS_RUNS_GRAD,
    DS_RUNS_RUN, /* text: the run's identity (rule 7) */
    DS_RUNS_NFIELDS
} DsRunsField;

#define DS_RUNS_BIT(f) (1u << (f))

typedef struct {
    const char *const *wheres; /* nwhere filters ("col=v", "col<v", ...; ds_table_where), ANDed */
    int nwhere;
    const char *maps;   /* explicit mappings "loss=ce_mean_11,grad_norms=g" (--map), or NULL */
    const char *weight; /* a column of per-row weights (--weight), or NULL */
    unsigned fields;    /* DS_RUNS_BIT mask of the fields the caller uses (0: all): the others
                           are neither resolved nor checked, so a column an analysis does not
                           read (params for the depth analysis) cannot make it fail */
    int skip_bad_rows;  /* --skip-bad-rows: a row with a missing, NaN, non-numeric or
                           non-positive value in a used column (rule 4) is left out and counted
                           (DsRuns.nskipped_bad, bad_lines) instead of failing the load */
    int curves;         /* --curves: expand records' `curve` fields (top of this file) */
    double tokens_per_step; /* --tokens-per-step: > 0 gives a table with a step column
                           (step, global_step, train/global_step) and neither a tokens nor a
                           flops column tokens = step × this; 0: none */
} DsRunsOptions;

#define DS_RUNS_CURVE_MAX 100000 /* points of one record's curve */

#define DS_RUNS_BAD_LINES 8 /* the source lines of the first rows --skip-bad-rows left out */

/* Conventions a table states in columns of its own, the same on every row read (after
 * --where; NaN where the table has no such column or its rows differ): dwplan's probe
 * records carry vocab,
 * mlp_ratio, seq_len and biases, and dwplan_version (their block: GELU, LayerNorm, untied);
 * other tables may name vocab_size, tie_word_embeddings/tied, swiglu, rmsnorm. Booleans
 * are 1/0. A fit counts N under them unless a flag says otherwise (cli/cmd_fit.c). */
typedef struct {
    double vocab, mlp_ratio, seq_len, biases, tied, swiglu, rmsnorm;
    int probe; /* every row is a dwplan probe record (a dwplan_version column) */
} DsRunsConv;

typedef struct {
    char path[DS_RUNS_PATH_MAX];
    char sha256[65];      /* of the file, "" when it cannot be read again */
    int n;                /* rows kept */
    int nrows_read;       /* rows in the file */
    int nrows_file;       /* rows after --where, before the status filter */
    int nskipped_status;  /* rows left out: status not "ok" */
    int nskipped_bad;     /* rows left out by skip_bad_rows (0 without it) */
    int bad_lines[DS_RUNS_BAD_LINES]; /* source lines of the first of them */
    char bad_first[320];  /* the first one's message: "runs.csv:3: column 'loss': ..." */
    unsigned fields;      /* DS_RUNS_BIT(f) for each field the table has a column for */
    int has_depth, has_width, has_params, has_tokens, has_flops, has_loss, has_grad,
        has_weight;       /* the same, one flag each */
    char col[DS_RUNS_NFIELDS][64]; /* the column used for each field ("" when none) */
    char col_weight[64];
    /* (n) per kept row; NaN where the table has no column (tokens: NaN for a row that gave
     * FLOPs only, flops: NaN for a row that gave tokens only) */
    double *depth, *width, *params, *tokens, *flops, *loss;
    double *weight;  /* (n) or NULL without a weight column */
    double **grad;   /* (n) per-layer gradient norms, input side first, or NULL */
    int *ngrad;      /* (n) layers in grad[i] (0 when none) */
    int *line;       /* (n) source line of each row */
    int *group;      /* (n) shape id, 0 .. ngroups-1 in order of first appearance */
    int ngroups;
    const char *group_by; /* "depth x width", "params" or "row" (static) */
    int *run;             /* (n) run id, 0 .. nruns-1 in order of first appearance (rule 7) */
    int nruns;
    int run_explicit;     /* 1: runs come from a run column, curves or directories; 0: shapes */
    int curves;           /* 1: run_explicit and some run has several rows (loss curves) */
    char run_by[96];      /* "column 'run_name'", "records (curve)", "shape", ... */
    int nskipped_noloss;  /* W&B history rows without a loss value, left out */
    int nexpanded;        /* records expanded from their curves (0 without --curves) */
    int has_curve_col;    /* the table has a `curve` column (expanded or not) */
    DsRunsConv conv;      /* the conventions the table's own columns state (see above) */
} DsRuns;

/* Reads, filters and checks a run table by the rules at the top of this file.
 * Inputs:  path  CSV or JSON Lines
 *          o     filters, mappings and the weight column (NULL: none)
 *          out   receives the runs (caller frees with ds_runs_free); NULL on failure
 * Return:  DW_OK (also for zero kept rows: callers say what they need with ds_runs_need);
 *          DW_EIO the file cannot be read; DW_EPARSE malformed data, a missing or bad value
 *          in a used column, a duplicate row (the message names file, line and column);
 *          a ';'- or tab-delimited file read as CSV (the message says so);
 *          DW_ENOTFOUND a --map, --where or --weight column the table lacks; DW_EINVAL a
 *          malformed --map or --where, a --map field that is not a canonical field (the
 *          message names it and the fields); DW_ENOMEM. */
int ds_runs_load(const char *path, const DsRunsOptions *o, DsRuns **out);

/* The same rules on a table another reader built (a Trainer directory: planner/runlogs.h).
 * Takes ownership of `t` (freed whatever the outcome); r->path is t->path and r->sha256 is
 * "" (the caller may set both). Return: as ds_runs_load, less DW_EIO. */
int ds_runs_load_table(DsTable *t, const DsRunsOptions *o, DsRuns **out);

/* Frees the runs. NULL-safe. */
void ds_runs_free(DsRuns *r);

/* Checks that the runs can serve `purpose` ("fitting", "the critical-depth analysis", ...):
 * every field in `all` (DS_RUNS_BIT mask) has a column, at least one field of `any` (0: no
 * such condition) has one, and min_rows rows are left.
 * Return: DW_OK; DW_EPARSE naming the missing field, the aliases looked for and --map
 * ("runs.csv: the critical-depth analysis needs a width column (looked for width, d_model,
 * hidden_size, n_embd; use --map width=COLUMN)"); DW_EDATA too few rows (saying how many
 * were left out by --where and by status). */
int ds_runs_need(const DsRuns *r, unsigned all, unsigned any, int min_rows, const char *purpose);

/* What skip_bad_rows left out, for people: "2 rows with a missing or bad value left out
 * (--skip-bad-rows): lines 3, 7; the first: runs.csv:3: column 'loss': 'nan' is not a
 * positive number" into buf (size bytes, always terminated). Returns r->nskipped_bad
 * (0: nothing was left out and buf is ""). */
int ds_runs_skipped_text(const DsRuns *r, char *buf, size_t size);

/* The canonical name of a field ("depth", ..., "grad_norms"); static. */
const char *ds_runs_field_name(DsRunsField f);

/* Distinct widths of the runs, ascending, into w[] (room for r->n); returns the count
 * (0 without a width column). */
int ds_runs_widths(const DsRuns *r, double *w);

#endif
