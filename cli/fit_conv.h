/* cli/fit_conv.h — what a fitted law's N means, decided from the data and the flags, and
 * said in words (the law file's conventions note and `dwplan fit`'s "columns:" line).
 *
 * The rule (issue 12 case 5): when a table has params, depth and width columns, the params
 * column is compared with dwplan's own non-embedding and total counts of each row's shape
 * under the block the flags describe (planner/fitdata.h, plan_runs_params_match). Within
 * PLAN_PARAMS_MATCH_TOL (3%) of one count on every row and more than
 * PLAN_PARAMS_MISMATCH_TOL (10%) from the other: that convention is inferred. Otherwise the
 * fit refuses (exit 3) unless --n-convention says which it is; a stated convention that
 * the column does not match within 3% is kept with a warning, in the note and on stderr. */
#ifndef DW_CLI_FIT_CONV_H
#define DW_CLI_FIT_CONV_H

#include <stddef.h>
#include <stdio.h>

#include "datasets/runs.h"
#include "fit/law.h"

/* Which conventions the command line stated (the others are dwplan's defaults). */
enum {
    FIT_GIVEN_PARAMS = 1u << 0, FIT_GIVEN_FLOPS = 1u << 1,   FIT_GIVEN_VOCAB = 1u << 2,
    FIT_GIVEN_SEQ = 1u << 3,    FIT_GIVEN_MLP = 1u << 4,     FIT_GIVEN_SWIGLU = 1u << 5,
    FIT_GIVEN_TIED = 1u << 6,   FIT_GIVEN_BIASES = 1u << 7, FIT_GIVEN_NORM = 1u << 8,
};

/* The bits of FIT_GIVEN_* for the options present in argv. */
unsigned cli_fit_given(int argc, char **argv);

typedef struct {
    char params[160]; /* how the params field was read: "total: inferred", "counted from depth
                         and width (nonembed)", ... ("" when the table has no params column
                         and N is not counted) */
    char warning[1024]; /* a stated convention the column contradicts ("" when none) */
} FitConvReport;

/* The conventions the table states in its own columns (DsRuns.conv: a probe record's vocab,
 * MLP ratio, context, biases and block) into conv, for each one *given does not hold (the
 * flags win); the bits taken are added to *given. note (n bytes) gets "vocab 256, MLP 4x,
 * ..." or "" when nothing was taken. */
void cli_fit_table_conventions(const DsRuns *runs, LawConventions *conv, unsigned *given,
                               char *note, size_t n);

/* Decides conv->params for fitting `runs` and writes conv->note (where each convention
 * came from).
 * Inputs:  runs          the table
 *          conv          the flags' conventions; conv->params is replaced when inferred
 *          given         FIT_GIVEN_* bits
 *          n_from_shape  --n-source shape
 *          strict        1: refuse an undetermined convention (a law will be written);
 *                        0: report it only (--compare)
 *          rep           receives the words for the columns line and any warning
 * Return:  DW_OK; DW_EDATA the column matches neither count and --n-convention was not given
 *          (the message names the column, the counts and the flags); DW_EPARSE a shape that
 *          cannot be counted. */
int cli_fit_conventions(const DsRuns *runs, LawConventions *conv, unsigned given,
                        int n_from_shape, int strict, FitConvReport *rep);

/* --predict: the table's params column read under the law's conventions. DW_EDATA when the
 * column is clearly the other count (the message suggests --n-source shape); a column that
 * matches neither count gets rep->warning. */
int cli_fit_predict_conventions(const DsRuns *runs, const LawConventions *conv,
                                int n_from_shape, FitConvReport *rep);

/* "columns: depth=n_layers, width=d_model, params=num_params (total: inferred), tokens=..."
 * with "dwplan fit: " in front, one line. */
void cli_fit_print_columns(FILE *f, const DsRuns *runs, const FitConvReport *rep);

#endif
