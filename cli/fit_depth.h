/* cli/fit_depth.h — `dwplan fit DATA --critical-depth`: gradient persistence τ per run, τ(W),
 * the critical depth per width and κ / (c, β) across widths (DESIGN §4.3; fit/persist.h). */
#ifndef DW_CLI_FIT_DEPTH_H
#define DW_CLI_FIT_DEPTH_H

#include "datasets/table.h"

/* Prints the critical-depth analysis of a run table that the caller has read and filtered
 * (--where).
 * Inputs:  path  the data file, for messages
 *          t     the table (borrowed, not changed). Columns are found with ds_table_resolve
 *                and the standard aliases for depth, width, tokens and loss (val_loss
 *                preferred), plus "grad_norms" (JSON arrays, input side first). Rows whose
 *                `status` column exists and is not "ok" are left out and counted.
 *          maps  the --map string (e.g. "grad_norms=g,loss=loss"), or NULL
 *          json  non-zero: one JSON object with "tau_runs", "tau_width", "dcrit", "kappa"
 * Return:  an exit code (cli.h): 0 something was estimated; 1 nothing could be estimated
 *          (no run with a τ, no width with an interior minimum; the report still says
 *          why); 2 a bad --map; 3 bad data (message on stderr naming file, line and
 *          column); 4 out of memory or a write error. */
int cli_fit_depth(const char *path, DsTable *t, const char *maps, int json);

#endif
