/* datasets/table_build.c — a DsTable built row by row by a reader of another format
 * (table.h: ds_table_new, ds_table_add_row): a Trainer run directory's log becomes the same
 * table a CSV would, so the run-table loader (runs.h) applies one set of rules to both.
 * Rows grow by doubling; the caps of table.h hold as for a file. */
#include "datasets/table.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "datasets/table_impl.h"

DsTable *ds_table_new(const char *path, int ncols, const char *const *names) {
    const char *p = path ? path : "(table)";
    if (ncols < 1 || ncols > DS_TABLE_MAX_COLS || !names) {
        dw_error_set(DW_EINVAL, "%s: a table of %d columns (1 to %d)", p, ncols, DS_TABLE_MAX_COLS);
        return NULL;
    }
    for (int k = 0; k < ncols; k++) {
        size_t len = names[k] ? strlen(names[k]) : 0;
        if (len == 0 || len > DS_TABLE_MAX_NAME) {
            dw_error_set(DW_EINVAL, "%s: column %d: a name of 1 to %d bytes", p, k + 1,
                         DS_TABLE_MAX_NAME);
            return NULL;
        }
        for (int j = 0; j < k; j++)
            if (!strcmp(names[j], names[k])) {
                dw_error_set(DW_EINVAL, "%s: column '%s' twice", p, names[k]);
                return NULL;
            }
    }
    DsTable *t = calloc(1, sizeof *t);
    if (!t) goto nomem;
    t->path = ds_table_strndup_(p, strlen(p));
    t->colnames = calloc((size_t)ncols, sizeof *t->colnames);
    if (!t->path || !t->colnames) goto nomem;
    for (int k = 0; k < ncols; k++, t->ncols++)
        if (!(t->colnames[k] = ds_table_strndup_(names[k], strlen(names[k])))) goto nomem;
    return t;
nomem:
    ds_table_free(t);
    dw_error_set(DW_ENOMEM, "%s: out of memory", p);
    return NULL;
}

/* Room for one more row (capacity doubles). */
static int reserve_(DsTable *t) {
    size_t nc = (size_t)t->ncols;
    if (t->nrows < t->cap_rows) return DW_OK;
    size_t cap = t->cap_rows ? 2 * (size_t)t->cap_rows : 16;
    if (cap > INT_MAX) cap = INT_MAX;
    if (cap * nc > DS_TABLE_MAX_CELLS) cap = DS_TABLE_MAX_CELLS / nc;
    if (cap <= (size_t)t->nrows) return DW_EPARSE;
    char **cells = realloc(t->cells, cap * nc * sizeof *cells);
    if (cells) t->cells = cells;
    double *num = cells ? realloc(t->num, cap * nc * sizeof *num) : NULL;
    if (num) t->num = num;
    int *line = num ? realloc(t->line, cap * sizeof *line) : NULL;
    if (line) t->line = line;
    if (!line) return DW_ENOMEM;
    t->cap_rows = (int)cap;
    return DW_OK;
}

int ds_table_add_row(DsTable *t, int line, const char *const *cells) {
    if (!t || !cells || line < 1) return dw_error_set(DW_EINVAL, "ds_table_add_row: bad argument");
    if (t->nrows > 0 && !t->cap_rows)
        return dw_error_set(DW_EINVAL, "%s: a table read from a file takes no rows", t->path);
    int rc = reserve_(t);
    if (rc == DW_EPARSE)
        return dw_error_set(rc, "%s:%d: row %d of %d columns would make the table larger than "
                            "%d cells", t->path, line, t->nrows + 1, t->ncols, DS_TABLE_MAX_CELLS);
    if (rc) return dw_error_set(rc, "%s: out of memory for %d rows", t->path, t->nrows + 1);
    size_t o = (size_t)t->nrows * (size_t)t->ncols;
    for (int k = 0; k < t->ncols; k++) {
        char *c = cells[k] ? ds_table_strndup_(cells[k], strlen(cells[k])) : NULL;
        if (cells[k] && !c) {
            for (int j = 0; j < k; j++) free(t->cells[o + (size_t)j]);
            return dw_error_set(DW_ENOMEM, "%s: out of memory", t->path);
        }
        t->cells[o + (size_t)k] = c;
        t->num[o + (size_t)k] = c ? ds_table_num_or_nan_(c) : NAN;
    }
    t->line[t->nrows++] = line;
    return DW_OK;
}
