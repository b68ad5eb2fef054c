/* datasets/table.h — tabular reader for run records and published tables (DESIGN §3 "Run
 * record", "CSV import"). Prefix ds_table_ / ds_.
 *
 * One in-memory table type, DsTable, is filled from either of two formats:
 *
 *   CSV (RFC 4180)   A header line, then one record per line. Fields are separated by ','
 *                    (by a tab when the file name ends in .tsv). A field in double quotes may
 *                    hold commas, line breaks and doubled quotes (""). LF, CRLF and lone CR line
 *                    endings are accepted; a UTF-8 byte-order mark is skipped; blank lines
 *                    (empty or only spaces/tabs) are ignored anywhere in the file. Spaces and
 *                    tabs around an unquoted field are trimmed; a quoted field is kept
 *                    exactly. An empty unquoted field is a missing value (NULL cell); a
 *                    quoted empty field ("") is the empty string. An empty header name
 *                    (pandas' index column) becomes "col_<k>", k the 1-based column number.
 *
 *   JSON Lines       One JSON object per line (runs.jsonl). Chosen when the file name ends in
 *                    .jsonl or .ndjson (any case), or when the first non-blank character of
 *                    the file is '{'. The columns are the union of the keys, in the order
 *                    first seen; a key absent from a row (or null) is a missing value.
 *                    Strings are stored unquoted, numbers as the shortest text that reads
 *                    back to the same double, true/false as "true"/"false" (numeric 1/0),
 *                    and nested arrays/objects as compact JSON text (see ds_table_array).
 *                    Blank lines are ignored.
 *
 * Numbers: every cell is also parsed with strtod (C locale; the library never calls
 * setlocale). The whole cell must be consumed, surrounding spaces allowed; otherwise the
 * numeric value is NaN. "nan"/"inf" are read as such and rejected later by
 * ds_table_numeric. No unit suffixes ("6.4B") here: tables are read literally.
 *
 * Limits: a table has at most DS_TABLE_MAX_COLS columns (CSV header fields, or distinct JSONL
 * keys); a column name (header field or key) is at most DS_TABLE_MAX_NAME bytes; the table
 * holds at most DS_TABLE_MAX_CELLS cells (rows x columns: a sparse JSONL file of short lines
 * could otherwise ask for gigabytes); the file is at most DS_TABLE_MAX_BYTES (2 GiB; a
 * regular file is refused from its size, unread). Past a limit the file is refused
 * (DW_EPARSE naming the line). The name checks are hashed, so a file within the limits reads
 * in time linear in its size, and a hostile header of 200k columns is refused in milliseconds.
 *
 * Errors: every failure returns a negative DW_E* code and records a message with
 * dw_error_set() of the form "<path>:<line>: <what went wrong>" (just "<path>: ..." when no
 * line applies). Nothing is printed and nothing is leaked on any path.
 *
 * Design stance: reference code, not fast. Cells are individual heap strings; a 10^5-row
 * table loads in well under a second, which is far beyond any scaling-law data set.
 */
#ifndef DS_TABLE_H
#define DS_TABLE_H

/* The limits above: far beyond any scaling-law table (tens of columns, thousands of rows). */
#define DS_TABLE_MAX_COLS 4096
#define DS_TABLE_MAX_NAME 1024
#define DS_TABLE_MAX_CELLS (1 << 24) /* 256 MiB of cell pointers and numbers */
#define DS_TABLE_MAX_BYTES 2147483647 /* INT_MAX: line numbers are ints */
#define DS_TABLE_TORN_LINES 8         /* DsTable.torn_line: the first lines kept */

typedef struct {
    char *path;      /* the path as given to ds_table_read, for messages */
    int nrows, ncols;
    char **colnames; /* (ncols) unique, never NULL */
    char **cells;    /* (nrows, ncols) row-major; NULL for a missing value; compact JSON text
                        for nested values (arrays/objects) */
    double *num;     /* (nrows, ncols) parsed numbers; NaN where the cell is missing or not a
                        number; JSON true/false -> 1/0 */
    int *line;       /* (nrows) 1-based source line where each row starts */
    /* JSONL lines that are not valid JSON, read past (a record cut short by a crash, a full
     * disk or an editor): how many, the first lines, the first one's message. The caller
     * decides whether that is an error (ds_runs_load: unless --skip-bad-rows). */
    int ntorn;
    int torn_line[DS_TABLE_TORN_LINES];
    char torn_first[320];
    int cap_rows; /* rows allocated by ds_table_add_row (0 for a table read from a file) */
} DsTable;

// ----------------------------------------------------------------------------
// reading

/* Reads a CSV or JSON Lines file (format rules above) into a new table.
 * On DW_OK *out owns a table the caller releases with ds_table_free(); on failure *out is
 * NULL. A header-only CSV gives a table with nrows = 0 (the caller decides if that is an
 * error).
 * Return: DW_OK;
 *   DW_EINVAL  path or out is NULL;
 *   DW_EIO     the file cannot be opened or read (message from dw_read_file);
 *   DW_EPARSE  "file is empty" (nothing but blank lines / a BOM), a duplicate column name in
 *              the header, a row with the wrong number of fields ("<path>:12: expected 6
 *              fields, found 5"), an unterminated quoted field (the line where it opened),
 *              text after a closing quote, a NUL byte, UTF-16 text, invalid JSON on a JSONL
 *              line, a JSONL line that is not an object, a key repeated within one object,
 *              or a table past the limits above ("<path>:1: 200000 columns in the header; at
 *              most 4096 are supported");
 *   DW_ENOMEM  out of memory. */
int ds_table_read(const char *path, DsTable **out);

/* The same; with DS_TABLE_SKIP_TORN in `flags` a JSONL line that is not valid JSON is
 * counted in DsTable.ntorn (its line and, for the first, the message) and read past instead
 * of failing the read. Every other error stays an error. */
enum { DS_TABLE_SKIP_TORN = 1 };
int ds_table_read_ex(const char *path, int flags, DsTable **out);

/* Frees the table and everything it owns. NULL-safe. */
void ds_table_free(DsTable *t);

/* A table built row by row by another reader (a Trainer run directory, planner/runlogs.h):
 * ds_table_new gives an empty table with the ncols columns named (copied; unique, non-empty,
 * at most DS_TABLE_MAX_NAME bytes), `path` names it in messages. NULL (message set) on a bad
 * name, more than DS_TABLE_MAX_COLS columns or out of memory.
 * ds_table_add_row appends a row whose source line is `line` (>= 1): cells[k] is column k's
 * text (copied; NULL for a missing value), parsed as a number as a file's cell is. DW_OK;
 * DW_EPARSE past DS_TABLE_MAX_CELLS cells or INT_MAX rows; DW_ENOMEM (the table unchanged). */
DsTable *ds_table_new(const char *path, int ncols, const char *const *names);
int ds_table_add_row(DsTable *t, int line, const char *const *cells);

// ----------------------------------------------------------------------------
// access

/* Index of the column named exactly `name` (case-sensitive), or -1 if there is none or
 * either argument is NULL. */
int ds_table_col(const DsTable *t, const char *name);

/* Borrowed cell text at (row, col), valid until the table is changed or freed; NULL for a
 * missing value or an index out of range. */
const char *ds_table_cell(const DsTable *t, int row, int col);

/* Numeric value at (row, col); NaN for a missing/non-numeric cell or an index out of range. */
double ds_table_num(const DsTable *t, int row, int col);

/* Parses the cell at (row, col) as a JSON array of numbers (e.g. a run record's
 * `grad_norms`, stored as JSON text). On DW_OK *vals is a new array of *n doubles that the
 * caller frees (NULL when *n == 0); on failure *vals = NULL and *n = 0.
 * Return: DW_OK; DW_EINVAL for a bad index; DW_EPARSE if the cell is missing, is not a JSON
 * array, or holds a non-number (message names file, line and column); DW_ENOMEM. */
int ds_table_array(const DsTable *t, int row, int col, double **vals, int *n);

/* Copies column `col` into out[nrows] (caller-provided, nrows doubles), checking that
 * every value is usable for fitting.
 * Inputs:  t, col             the table and a column index from ds_table_col/resolve
 *          require_positive   non-zero to also reject values <= 0 (sizes, tokens, losses
 *                             that enter a logarithm)
 *          out                receives the values; its contents are unspecified on failure
 * Return:  DW_OK;
 *          DW_EINVAL  t/out NULL or col out of range;
 *          DW_EPARSE  at the first bad row, a cell that is missing, not a number, NaN or
 *                     infinite, or (require_positive) <= 0. The message names file, line
 *                     and column: "runs.csv:17: column 'loss': 'abc' is not a number",
 *                     "runs.csv:17: column 'loss': value -3.2 must be positive". */
int ds_table_numeric(const DsTable *t, int col, int require_positive, double *out);

// ----------------------------------------------------------------------------
// filtering

/* Keeps only the rows that match `expr` and removes the others in place (their cells are
 * freed; row order is kept). `expr` is "<col><op><value>" with op one of = (or ==), !=, <,
 * <=, >, >=; spaces around the column and value are ignored, and the value may be wrapped
 * in '...' or "..." to keep spaces. The column must exist exactly.
 *   - If the value and the cell are both numbers, they are compared numerically
 *     ("lr=1e-3" matches a cell "0.001").
 *   - Otherwise = compares the text exactly, and <, <=, >, >= compare text byte-wise
 *     (strcmp) when the value is not a number; a numeric value never orders a text cell.
 *   - A missing cell matches "col=" (empty value) and never matches <, <=, >, >=.
 *   - != is exactly the negation of =, so missing cells are kept by "col!=x".
 * One condition per call; call again to combine conditions with AND.
 * Return: DW_OK (t->nrows updated); DW_EINVAL for NULL arguments, a missing operator or
 * column name, or an empty value with an ordering operator; DW_ENOTFOUND for an unknown
 * column (the message lists the columns). The table is unchanged on failure. */
int ds_table_where(DsTable *t, const char *expr);

// ----------------------------------------------------------------------------
// column mapping

/* Canonical fields that have standard alias lists (DESIGN §3 "CSV import"). */
#define DS_FIELD_DEPTH "depth"
#define DS_FIELD_WIDTH "width"
#define DS_FIELD_PARAMS "params"
#define DS_FIELD_TOKENS "tokens"
#define DS_FIELD_LOSS "loss"
#define DS_FIELD_FLOPS "flops"
#define DS_FIELD_RUN "run"
#define DS_FIELD_STEP "step"

/* The standard aliases of a canonical field, most preferred first, as a static
 * NULL-terminated list (borrowed, never freed), or NULL for an unknown field:
 *   depth   depth, n_layers, num_layers, n_layer, num_hidden_layers, layers
 *   width   width, d_model, hidden_size, n_embd
 *   params  params, N, params_N, n_params, num_params, parameters, params_active_precise
 *   tokens  tokens, T, tokens_D, D_tokens, n_tokens, train_tokens, tokens_seen,
 *           num_input_tokens_seen, train/num_input_tokens_seen
 *   loss    val_loss, eval_loss, eval/loss, val/loss, validation/loss, valid/loss,
 *           validation_loss, loss, train/loss, train_loss, L
 *   flops   flops, C, flops_C, flops_6ND, compute
 *   run     run_id, run, run_name, Name, name, id
 *   step    step, global_step, train/global_step (not W&B's _step, which counts log calls)
 * (params also takes model/num_parameters, the total count Hugging Face's W&B callback
 * records in a run's config.)
 * W&B exports name the metrics a Trainer logs "eval/loss" and "train/loss" (the callback's
 * rewrite of eval_loss and loss), W&B's own columns start with '_' (_step, _runtime) and a
 * run's display name is "Name" in the UI's export, "name" in the API's.
 * Held-out loss is preferred: when a table has both val_loss (or eval_loss, eval/loss, ...)
 * and the training loss `loss` or `train/loss` (as run records and W&B histories do), `loss`
 * resolves to the held-out column. Map loss=loss (or loss=train/loss) explicitly to fit the
 * training loss. */
const char *const *ds_aliases(const char *field);

/* The canonical fields above as a static NULL-terminated list (borrowed). */
const char *const *ds_fields(void);

/* Finds the column for the canonical field `field`.
 * Inputs:  t        the table
 *          field    canonical name, e.g. "loss"
 *          aliases  NULL-terminated candidate column names tried in order (exact,
 *                   case-sensitive); may be NULL (no aliases), typically ds_aliases(field)
 *          maps     explicit mappings "field=column[,field=column...]" (the --map option,
 *                   e.g. "loss=ce_mean_11,tokens=T"); may be NULL. Spaces around names and
 *                   empty entries are ignored. The whole string is validated on every call,
 *                   whatever `field` is. An explicit mapping wins over the aliases.
 *          col      receives the column index, or -1 when nothing matches
 * Return:  DW_OK, also when nothing matches (*col = -1: the caller decides if the field is
 *          required);
 *          DW_ENOTFOUND  an explicit mapping for `field` names a column the table lacks
 *                        (the message lists the available columns);
 *          DW_EINVAL     NULL t/field/col, or a malformed maps string (an entry without '=',
 *                        an empty name, the same field mapped twice, or more than
 *                        DS_TABLE_MAX_COLS entries). */
int ds_table_resolve(const DsTable *t, const char *field, const char *const *aliases,
                     const char *maps, int *col);

#endif
