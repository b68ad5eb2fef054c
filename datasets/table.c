/* datasets/table.c — CSV (RFC 4180) and JSON Lines reader into DsTable, and row filters
 * (DESIGN §3 "Run record", "CSV import"). Column resolution by alias or explicit mapping is
 * in table_map.c; the helpers both files use are declared in table_impl.h.
 *
 * Reading goes through a Builder: each row is stored as a dense segment of cells covering the
 * columns known when the row ended (JSONL rows can introduce new keys), and ds_table_read lays
 * the segments out as one (nrows, ncols) matrix at the end, padding with missing values. So
 * each line is parsed once and no row is ever moved while the column set grows.
 *
 * Reference, not fast: every cell is its own heap string.
 */
#include "datasets/table.h"

#include "common/dw.h"
#include "common/dwfmt.h"
#include "datasets/table_impl.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

// ----------------------------------------------------------------------------
// small helpers

char *ds_table_strndup_(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, s, n); /* s may be NULL when n == 0 (an empty scratch buffer) */
    d[n] = '\0';
    return d;
}

static char *xstrdup_(const char *s) { return ds_table_strndup_(s, strlen(s)); }

static int is_blank_(char c) { return c == ' ' || c == '\t'; }

static int is_space_(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Trims spaces/tabs from [*a, *z). */
void ds_table_trim_(const char **a, const char **z) {
    while (*a < *z && is_space_(**a)) (*a)++;
    while (*z > *a && is_space_((*z)[-1])) (*z)--;
}

/* Grows *p (elements of `size` bytes, capacity *cap) to hold at least `need`. 0 or -1. */
int ds_table_grow_(void **p, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return 0;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / size) return -1;
        ncap *= 2;
    }
    void *np = realloc(*p, ncap * size);
    if (!np) return -1;
    *p = np;
    *cap = ncap;
    return 0;
}

/* Strict number: the whole string must be consumed by strtod, surrounding whitespace
 * allowed. Returns 1 and sets *v on success; 0 otherwise. */
static int parse_num_(const char *s, double *v) {
    char *end;
    if (!s) return 0;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s) return 0;
    while (is_space_(*end)) end++;
    if (*end) return 0;
    *v = x;
    return 1;
}

static double num_or_nan_(const char *s) {
    double v;
    return parse_num_(s, &v) ? v : NAN;
}

double ds_table_num_or_nan_(const char *s) { return num_or_nan_(s); }

/* A cell quoted for a message, cut to a readable length. */
static const char *show_(const char *s, char buf[64]) {
    size_t n = strlen(s);
    if (n < 60) return s;
    memcpy(buf, s, 56);
    strcpy(buf + 56, "...");
    return buf;
}

/* "a, b, c" (cut with ", ..." when long) for messages that list the columns. */
void ds_table_cols_list_(const DsTable *t, char *buf, size_t cap) {
    size_t used = 0;
    buf[0] = '\0';
    for (int k = 0; k < t->ncols; k++) {
        size_t need = strlen(t->colnames[k]) + 2;
        if (used + need + 6 >= cap) {
            snprintf(buf + used, cap - used, "%s...", k ? ", " : "");
            return;
        }
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", k ? ", " : "", t->colnames[k]);
    }
    if (t->ncols == 0) snprintf(buf, cap, "none");
}

static int has_ext_(const char *path, const char *ext) {
    size_t n = strlen(path), m = strlen(ext);
    if (n < m) return 0;
    for (size_t i = 0; i < m; i++) {
        char c = path[n - m + i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != ext[i]) return 0;
    }
    return 1;
}

// ----------------------------------------------------------------------------
// builder: rows as dense segments, laid out as a matrix at the end

typedef struct {
    const char *path;
    char **names; /* (ncols) owned */
    int ncols;
    size_t cap_names;
    int *slot;  /* (DS_TABLE_SLOTS_) the name index (table_impl.h), NULL until the first
                   column: duplicate checks and key lookups in O(1) expected per name */
    int *stamp; /* (ncols) last row (1-based) that set the column: repeated-key check */
    size_t cap_stamp;
    char **cells; /* (ncells) owned, row segments back to back */
    double *nums; /* (ncells) */
    size_t ncells, cap_cells, cap_nums;
    size_t *off; /* (nrows) start of each row's segment */
    int *width;  /* (nrows) segment length */
    int *line;   /* (nrows) */
    int nrows;
    size_t cap_off, cap_width, cap_line;
    int skip_torn; /* DS_TABLE_SKIP_TORN: invalid JSONL lines counted, not fatal */
    int ntorn, torn_line[DS_TABLE_TORN_LINES];
    char torn_first[320];
} Builder;

static void bld_free_(Builder *b) {
    for (int k = 0; k < b->ncols; k++) free(b->names[k]);
    for (size_t i = 0; i < b->ncells; i++) free(b->cells[i]);
    free(b->names);
    free(b->slot);
    free(b->stamp);
    free(b->cells);
    free(b->nums);
    free(b->off);
    free(b->width);
    free(b->line);
}

static int nomem_(const char *path) {
    return dw_error_set(DW_ENOMEM, "%s: out of memory reading the table", path);
}

/* FNV-1a over the n bytes at s, then a final mix so that the low bits depend on every byte. */
uint32_t ds_table_hash_(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    return h;
}

static uint32_t name_hash_(const char *s) { return ds_table_hash_(s, strlen(s)); }

/* Column named `name`, or -1; *at (when non-NULL) gets the empty slot where it would go. */
static int bld_find_(const Builder *b, const char *name, size_t *at) {
    if (!b->slot) return -1;
    for (size_t i = name_hash_(name) % DS_TABLE_SLOTS_;; i = (i + 1) % DS_TABLE_SLOTS_) {
        int v = b->slot[i];
        if (v == 0) {
            if (at) *at = i;
            return -1;
        }
        if (strcmp(b->names[v - 1], name) == 0) return v - 1;
    }
}

/* Adds a column not yet in the table (the caller checked with bld_find_) for a row that
 * starts on `line`; takes ownership of `name` (freed on failure). Index or negative code:
 * DW_EPARSE past DS_TABLE_MAX_COLS columns or DS_TABLE_MAX_CELLS cells, DW_ENOMEM. */
static int bld_add_col_(Builder *b, char *name, int line) {
    int rc;
    size_t at = 0;
    if (!name) return nomem_(b->path);
    if (b->ncols >= DS_TABLE_MAX_COLS) {
        rc = dw_error_set(DW_EPARSE,
                          "%s:%d: key '%s' would be column %d; at most %d columns are supported",
                          b->path, line, name, b->ncols + 1, DS_TABLE_MAX_COLS);
        free(name);
        return rc;
    }
    if ((size_t)b->nrows * ((size_t)b->ncols + 1) > DS_TABLE_MAX_CELLS) {
        rc = dw_error_set(DW_EPARSE,
                          "%s:%d: key '%s' would make the table larger than %d cells (%d rows "
                          "x %d columns)",
                          b->path, line, name, DS_TABLE_MAX_CELLS, b->nrows, b->ncols + 1);
        free(name);
        return rc;
    }
    if ((!b->slot && !(b->slot = calloc(DS_TABLE_SLOTS_, sizeof *b->slot))) ||
        ds_table_grow_((void **)&b->names, &b->cap_names, (size_t)b->ncols + 1, sizeof *b->names) ||
        ds_table_grow_((void **)&b->stamp, &b->cap_stamp, (size_t)b->ncols + 1, sizeof *b->stamp)) {
        free(name);
        return nomem_(b->path);
    }
    int dup = bld_find_(b, name, &at);
    DW_ASSERT(dup < 0);
    b->slot[at] = b->ncols + 1;
    b->names[b->ncols] = name;
    b->stamp[b->ncols] = 0;
    return b->ncols++;
}

static int bld_begin_row_(Builder *b, int line) {
    size_t need = (size_t)b->nrows + 1;
    if (need * (size_t)b->ncols > DS_TABLE_MAX_CELLS)
        return dw_error_set(DW_EPARSE,
                            "%s:%d: row %zu of %d columns would make the table larger than %d "
                            "cells (rows x columns)",
                            b->path, line, need, b->ncols, DS_TABLE_MAX_CELLS);
    if (b->nrows == INT_MAX ||
        ds_table_grow_((void **)&b->off, &b->cap_off, need, sizeof *b->off) ||
        ds_table_grow_((void **)&b->width, &b->cap_width, need, sizeof *b->width) ||
        ds_table_grow_((void **)&b->line, &b->cap_line, need, sizeof *b->line))
        return nomem_(b->path);
    b->off[b->nrows] = b->ncells;
    b->width[b->nrows] = 0;
    b->line[b->nrows] = line;
    b->nrows++;
    return DW_OK;
}

/* Sets column `col` of the current (last) row; takes ownership of `cell` (may be NULL for a
 * missing value). */
static int bld_set_(Builder *b, int col, char *cell, double num) {
    int r = b->nrows - 1;
    int w = b->width[r];
    if (col >= w) {
        size_t need = b->off[r] + (size_t)col + 1;
        if (ds_table_grow_((void **)&b->cells, &b->cap_cells, need, sizeof *b->cells) ||
            ds_table_grow_((void **)&b->nums, &b->cap_nums, need, sizeof *b->nums)) {
            free(cell);
            return nomem_(b->path);
        }
        for (size_t i = b->off[r] + (size_t)w; i < need; i++) {
            b->cells[i] = NULL;
            b->nums[i] = NAN;
        }
        b->ncells = need;
        b->width[r] = col + 1;
    }
    size_t i = b->off[r] + (size_t)col;
    free(b->cells[i]);
    b->cells[i] = cell;
    b->nums[i] = num;
    return DW_OK;
}

/* Moves everything into a new DsTable; the builder is left empty. */
static int bld_finish_(Builder *b, const char *path, DsTable **out) {
    DsTable *t = calloc(1, sizeof *t);
    size_t nr = (size_t)b->nrows, nc = (size_t)b->ncols;
    size_t ncell = nr * nc;
    if (!t) return nomem_(path);
    if (nc && nr > SIZE_MAX / nc / sizeof(double)) goto nomem;
    t->path = xstrdup_(path);
    t->cells = calloc(ncell ? ncell : 1, sizeof *t->cells);
    t->num = malloc((ncell ? ncell : 1) * sizeof *t->num);
    t->line = malloc((nr ? nr : 1) * sizeof *t->line);
    t->colnames = calloc(nc ? nc : 1, sizeof *t->colnames);
    if (!t->path || !t->cells || !t->num || !t->line || !t->colnames) goto nomem;
    for (size_t r = 0; r < nr; r++) {
        size_t w = (size_t)b->width[r], o = b->off[r];
        for (size_t k = 0; k < nc; k++) {
            t->cells[r * nc + k] = k < w ? b->cells[o + k] : NULL;
            t->num[r * nc + k] = k < w ? b->nums[o + k] : NAN;
        }
        t->line[r] = b->line[r];
    }
    if (nc) memcpy(t->colnames, b->names, nc * sizeof *t->colnames);
    t->nrows = b->nrows;
    t->ncols = b->ncols;
    t->ntorn = b->ntorn;
    memcpy(t->torn_line, b->torn_line, sizeof t->torn_line);
    memcpy(t->torn_first, b->torn_first, sizeof t->torn_first);
    b->ncells = 0; /* the cells and names now belong to t */
    b->ncols = 0;
    *out = t;
    return DW_OK;
nomem:
    ds_table_free(t); /* nrows/ncols still 0: frees only the arrays, not b's cells */
    return nomem_(path);
}

// ----------------------------------------------------------------------------
// CSV

typedef struct {
    const char *path;
    const char *s; /* whole file */
    size_t n, i;   /* length, position */
    int line;      /* physical line at position i */
    char delim;
    char *buf; /* scratch for a quoted field */
    size_t blen, bcap;
    char **f; /* fields of the current record (owned) */
    int nf;
    size_t cap_f;
} Csv;

static void csv_clear_fields_(Csv *c) {
    for (int k = 0; k < c->nf; k++) free(c->f[k]);
    c->nf = 0;
}

/* Consumes one line ending (\n, \r\n or a lone \r) at position i. */
static void csv_eol_(Csv *c) {
    if (c->s[c->i] == '\r') {
        c->i++;
        if (c->i < c->n && c->s[c->i] == '\n') c->i++;
    } else {
        c->i++;
    }
    c->line++;
}

/* Appends a field; `cell` NULL with `expect` set means its allocation failed. */
static int csv_push_(Csv *c, char *cell, int expect) {
    if ((!cell && expect) ||
        ds_table_grow_((void **)&c->f, &c->cap_f, (size_t)c->nf + 1, sizeof *c->f)) {
        free(cell);
        return nomem_(c->path);
    }
    c->f[c->nf++] = cell;
    return DW_OK;
}

/* Reads one field starting at position i and leaves i on the delimiter, line end or EOF. */
static int csv_field_(Csv *c) {
    const char *s = c->s;
    size_t n = c->n, i = c->i;
    while (i < n && is_blank_(s[i]) && s[i] != c->delim) i++;
    if (i < n && s[i] == '"') {
        int open_line = c->line;
        c->blen = 0;
        for (i++;; i++) {
            if (i >= n)
                return dw_error_set(DW_EPARSE,
                                    "%s:%d: unterminated quoted field (no closing '\"' before the "
                                    "end of the file)",
                                    c->path, open_line);
            char ch = s[i];
            if (ch == '"') {
                if (i + 1 < n && s[i + 1] == '"') {
                    i++; /* "" inside quotes is one literal quote */
                } else {
                    i++;
                    break;
                }
            } else if (ch == '\n' || (ch == '\r' && !(i + 1 < n && s[i + 1] == '\n'))) {
                c->line++;
            }
            if (ds_table_grow_((void **)&c->buf, &c->bcap, c->blen + 2, 1)) return nomem_(c->path);
            c->buf[c->blen++] = ch;
        }
        while (i < n && is_blank_(s[i]) && s[i] != c->delim) i++;
        if (i < n && s[i] != c->delim && s[i] != '\n' && s[i] != '\r')
            return dw_error_set(DW_EPARSE,
                                "%s:%d: unexpected text after the closing quote of field %d",
                                c->path, c->line, c->nf + 1);
        c->i = i;
        return csv_push_(c, ds_table_strndup_(c->buf, c->blen), 1);
    }
    size_t start = i;
    while (i < n && s[i] != c->delim && s[i] != '\n' && s[i] != '\r') i++;
    size_t end = i;
    while (end > start && is_blank_(s[end - 1])) end--;
    c->i = i;
    if (end == start) return csv_push_(c, NULL, 0); /* empty: a missing value */
    return csv_push_(c, ds_table_strndup_(s + start, end - start), 1);
}

/* Reads the next non-blank record into c->f. 1: a record (its first line in *rec_line);
 * 0: end of file; negative: error. */
static int csv_record_(Csv *c, int *rec_line) {
    csv_clear_fields_(c);
    for (;;) { /* skip blank lines */
        size_t j = c->i;
        while (j < c->n && is_blank_(c->s[j]) && c->s[j] != c->delim) j++;
        if (j >= c->n) {
            c->i = j;
            return 0;
        }
        if (c->s[j] != '\n' && c->s[j] != '\r') break;
        c->i = j;
        csv_eol_(c);
    }
    *rec_line = c->line;
    for (;;) {
        int rc = csv_field_(c);
        if (rc < 0) return rc;
        if (c->i < c->n && c->s[c->i] == c->delim) {
            c->i++;
            continue;
        }
        if (c->i < c->n) csv_eol_(c);
        return 1;
    }
}

static int csv_read_(Builder *b, const char *path, const char *s, size_t n, char delim) {
    Csv c = {.path = path, .s = s, .n = n, .line = 1, .delim = delim};
    int rc, line;
    rc = csv_record_(&c, &line);
    if (rc == 0) rc = dw_error_set(DW_EPARSE, "%s: file is empty (no header line)", path);
    if (rc < 0) goto out;
    if (c.nf > DS_TABLE_MAX_COLS) {
        rc = dw_error_set(DW_EPARSE, "%s:%d: %d columns in the header; at most %d are supported",
                          path, line, c.nf, DS_TABLE_MAX_COLS);
        goto out;
    }
    for (int k = 0; k < c.nf; k++) {
        char *name = c.f[k];
        c.f[k] = NULL;
        if (!name) { /* pandas writes its index column with an empty name */
            char tmp[32];
            snprintf(tmp, sizeof tmp, "col_%d", k + 1);
            name = xstrdup_(tmp);
        }
        int j = name ? bld_find_(b, name, NULL) : -1;
        size_t len = name ? strlen(name) : 0;
        if (j >= 0 || len > DS_TABLE_MAX_NAME) {
            if (j >= 0)
                rc = dw_error_set(DW_EPARSE,
                                  "%s:%d: duplicate column name '%s' (columns %d and %d)", path,
                                  line, name, j + 1, k + 1);
            else
                rc = dw_error_set(DW_EPARSE,
                                  "%s:%d: column %d: a name of %zu bytes; at most %d are "
                                  "supported",
                                  path, line, k + 1, len, DS_TABLE_MAX_NAME);
            free(name);
            goto out;
        }
        if ((rc = bld_add_col_(b, name, line)) < 0) goto out;
    }
    while ((rc = csv_record_(&c, &line)) == 1) {
        if (c.nf != b->ncols) {
            rc = dw_error_set(DW_EPARSE, "%s:%d: expected %d field%s, found %d", path, line,
                              b->ncols, b->ncols == 1 ? "" : "s", c.nf);
            goto out;
        }
        if ((rc = bld_begin_row_(b, line)) < 0) goto out;
        for (int k = 0; k < c.nf; k++) {
            char *cell = c.f[k];
            c.f[k] = NULL;
            if ((rc = bld_set_(b, k, cell, num_or_nan_(cell))) < 0) goto out;
        }
    }
out:
    csv_clear_fields_(&c);
    free(c.f);
    free(c.buf);
    return rc < 0 ? rc : DW_OK;
}

// ----------------------------------------------------------------------------
// JSON Lines

static const char *json_kind_(const cJSON *v) {
    if (cJSON_IsArray(v)) return "an array";
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsNull(v)) return "null";
    return "a non-object value";
}

/* Text and number for one JSON value (cell NULL for null). */
static int json_cell_(const cJSON *v, char **cell, double *num) {
    char tmp[40];
    *cell = NULL;
    *num = NAN;
    if (cJSON_IsNull(v)) return 0;
    if (cJSON_IsBool(v)) {
        *num = cJSON_IsTrue(v) ? 1.0 : 0.0;
        *cell = xstrdup_(cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNumber(v)) {
        *num = v->valuedouble;
        dw_fmt_shortest(v->valuedouble, tmp, sizeof tmp);
        *cell = xstrdup_(tmp);
    } else if (cJSON_IsString(v)) {
        *cell = xstrdup_(v->valuestring);
        *num = num_or_nan_(v->valuestring);
    } else { /* array or object: keep it as compact JSON text */
        char *js = cJSON_PrintUnformatted(v);
        if (js) *cell = xstrdup_(js);
        cJSON_free(js);
    }
    return *cell ? 0 : -1;
}

static int jsonl_read_(Builder *b, const char *path, const char *s, size_t n) {
    int rc = DW_OK, line = 0, any = 0;
    cJSON *obj = NULL;
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(s + i, '\n', n - i);
        const char *ls = s + i, *a = ls, *z = nl ? nl : s + n;
        i = nl ? (size_t)(nl - s) + 1 : n;
        line++;
        ds_table_trim_(&a, &z);
        if (a == z) continue;
        any = 1;
        const char *end = NULL;
        obj = cJSON_ParseWithLengthOpts(a, (size_t)(z - a), &end, 0);
        if (!obj) {
            const char *at = end && end >= a && end <= z ? end : a;
            rc = dw_error_set(DW_EPARSE, "%s:%d: invalid JSON near column %d", path, line,
                              (int)(at - ls) + 1);
            if (!b->skip_torn) goto out;
            if (b->ntorn == 0) snprintf(b->torn_first, sizeof b->torn_first, "%s", dw_error_get());
            if (b->ntorn < DS_TABLE_TORN_LINES) b->torn_line[b->ntorn] = line;
            b->ntorn++;
            dw_error_clear();
            rc = DW_OK;
            continue;
        }
        while (end && end < z && is_space_(*end)) end++;
        if (end && end < z) {
            rc = dw_error_set(DW_EPARSE, "%s:%d: unexpected text after the JSON object", path,
                              line);
            goto out;
        }
        if (!cJSON_IsObject(obj)) {
            rc = dw_error_set(DW_EPARSE, "%s:%d: expected a JSON object, found %s", path, line,
                              json_kind_(obj));
            goto out;
        }
        if ((rc = bld_begin_row_(b, line)) < 0) goto out;
        int hint = 0; /* keys usually come in the same order on every line */
        for (const cJSON *v = obj->child; v; v = v->next) {
            const char *key = v->string ? v->string : "";
            size_t klen = strlen(key);
            if (klen > DS_TABLE_MAX_NAME) {
                rc = dw_error_set(DW_EPARSE, "%s:%d: a key of %zu bytes; at most %d are supported",
                                  path, line, klen, DS_TABLE_MAX_NAME);
                goto out;
            }
            int col = -1;
            if (hint < b->ncols && strcmp(b->names[hint], key) == 0) col = hint;
            if (col < 0) col = bld_find_(b, key, NULL);
            if (col < 0 && (col = rc = bld_add_col_(b, xstrdup_(key), line)) < 0) goto out;
            if (b->stamp[col] == b->nrows) {
                rc = dw_error_set(DW_EPARSE, "%s:%d: key '%s' appears twice in one object", path,
                                  line, key);
                goto out;
            }
            b->stamp[col] = b->nrows;
            hint = col + 1;
            char *cell;
            double num;
            if (json_cell_(v, &cell, &num) < 0) {
                rc = nomem_(path);
                goto out;
            }
            if ((rc = bld_set_(b, col, cell, num)) < 0) goto out;
        }
        cJSON_Delete(obj);
        obj = NULL;
    }
    if (!any) rc = dw_error_set(DW_EPARSE, "%s: file is empty", path);
out:
    cJSON_Delete(obj);
    return rc < 0 ? rc : DW_OK;
}

// ----------------------------------------------------------------------------
// reading

int ds_table_read(const char *path, DsTable **out) {
    return ds_table_read_ex(path, 0, out);
}

int ds_table_read_ex(const char *path, int flags, DsTable **out) {
    int rc = DW_EIO;
    char *text = NULL;
    size_t len = 0;
    Builder b = {.path = path, .skip_torn = (flags & DS_TABLE_SKIP_TORN) != 0};
    if (out) *out = NULL;
    if (!path || !out) return dw_error_set(DW_EINVAL, "ds_table_read: NULL argument");
    struct stat st; /* refuse a huge regular file before reading it */
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > DS_TABLE_MAX_BYTES) {
        len = (size_t)st.st_size;
        goto too_big;
    }
    if (!(text = dw_read_file(path, &len))) goto out; /* message set (DW_EIO or DW_ENOMEM) */
    if (len > DS_TABLE_MAX_BYTES) goto too_big;       /* a pipe or a file that grew */
    rc = DW_EPARSE;
    const unsigned char *u = (const unsigned char *)text;
    if (len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) {
        dw_error_set(rc, "%s: UTF-16 text is not supported; save the file as UTF-8", path);
        goto out;
    }
    size_t skip = len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF ? 3 : 0;
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        int line = 1;
        for (const char *p = text; p < nul; p++) line += *p == '\n';
        dw_error_set(rc, "%s:%d: NUL byte in the file (not a text table)", path, line);
        goto out;
    }
    const char *s = text + skip;
    size_t n = len - skip;
    size_t j = 0;
    while (j < n && is_space_(s[j])) j++;
    int jsonl = has_ext_(path, ".jsonl") || has_ext_(path, ".ndjson") || (j < n && s[j] == '{');
    if (jsonl)
        rc = jsonl_read_(&b, path, s, n);
    else
        rc = csv_read_(&b, path, s, n, has_ext_(path, ".tsv") ? '\t' : ',');
    if (rc == DW_OK) rc = bld_finish_(&b, path, out);
    goto out;
too_big: /* the line and row counters are ints */
    rc = dw_error_set(DW_EPARSE, "%s: %zu bytes; tables of at most %d bytes are read", path, len,
                      DS_TABLE_MAX_BYTES);
out:
    bld_free_(&b);
    free(text);
    return rc;
}

void ds_table_free(DsTable *t) {
    if (!t) return;
    if (t->cells)
        for (size_t i = 0; i < (size_t)t->nrows * (size_t)t->ncols; i++) free(t->cells[i]);
    if (t->colnames)
        for (int k = 0; k < t->ncols; k++) free(t->colnames[k]);
    free(t->cells);
    free(t->colnames);
    free(t->num);
    free(t->line);
    free(t->path);
    free(t);
}

// ----------------------------------------------------------------------------
// access

int ds_table_col(const DsTable *t, const char *name) {
    if (!t || !name) return -1;
    for (int k = 0; k < t->ncols; k++)
        if (strcmp(t->colnames[k], name) == 0) return k;
    return -1;
}

const char *ds_table_cell(const DsTable *t, int row, int col) {
    if (!t || row < 0 || row >= t->nrows || col < 0 || col >= t->ncols) return NULL;
    return t->cells[(size_t)row * (size_t)t->ncols + (size_t)col];
}

double ds_table_num(const DsTable *t, int row, int col) {
    if (!t || row < 0 || row >= t->nrows || col < 0 || col >= t->ncols) return NAN;
    return t->num[(size_t)row * (size_t)t->ncols + (size_t)col];
}

int ds_table_array(const DsTable *t, int row, int col, double **vals, int *n) {
    int rc = DW_EPARSE;
    cJSON *a = NULL;
    char sb[64];
    if (vals) *vals = NULL;
    if (n) *n = 0;
    if (!t || !vals || !n || row < 0 || row >= t->nrows || col < 0 || col >= t->ncols)
        return dw_error_set(DW_EINVAL, "ds_table_array: bad argument");
    const char *cell = ds_table_cell(t, row, col);
    const char *name = t->colnames[col];
    int line = t->line[row];
    if (!cell) {
        dw_error_set(rc, "%s:%d: column '%s': missing value, expected an array of numbers",
                     t->path, line, name);
        goto out;
    }
    if (!(a = cJSON_Parse(cell)) || !cJSON_IsArray(a)) {
        dw_error_set(rc, "%s:%d: column '%s': '%s' is not a JSON array", t->path, line, name,
                     show_(cell, sb));
        goto out;
    }
    int m = cJSON_GetArraySize(a), k = 0;
    if (m > 0 && !(*vals = malloc((size_t)m * sizeof **vals))) {
        rc = nomem_(t->path);
        goto out;
    }
    for (const cJSON *v = a->child; v; v = v->next, k++) {
        if (!cJSON_IsNumber(v)) {
            dw_error_set(rc, "%s:%d: column '%s': element %d of the array is not a number",
                         t->path, line, name, k);
            goto out;
        }
        (*vals)[k] = v->valuedouble;
    }
    *n = m;
    rc = DW_OK;
out:
    if (rc != DW_OK) {
        free(*vals);
        *vals = NULL;
    }
    cJSON_Delete(a);
    return rc;
}

int ds_table_numeric(const DsTable *t, int col, int require_positive, double *out) {
    char sb[64];
    if (!t || !out || col < 0 || col >= t->ncols)
        return dw_error_set(DW_EINVAL, "ds_table_numeric: bad argument (column %d)", col);
    const char *name = t->colnames[col];
    for (int r = 0; r < t->nrows; r++) {
        const char *cell = ds_table_cell(t, r, col);
        double x = ds_table_num(t, r, col), v;
        int line = t->line[r];
        if (!cell)
            return dw_error_set(DW_EPARSE, "%s:%d: column '%s': missing value", t->path, line,
                                name);
        if (isnan(x) && !parse_num_(cell, &v))
            return dw_error_set(DW_EPARSE, "%s:%d: column '%s': '%s' is not a number", t->path,
                                line, name, show_(cell, sb));
        if (!isfinite(x))
            return dw_error_set(DW_EPARSE, "%s:%d: column '%s': value %s is not finite", t->path,
                                line, name, show_(cell, sb));
        if (require_positive && !(x > 0))
            return dw_error_set(DW_EPARSE, "%s:%d: column '%s': value %s must be positive",
                                t->path, line, name, show_(cell, sb));
        out[r] = x;
    }
    return DW_OK;
}

// ----------------------------------------------------------------------------
// filtering

enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

static int row_match_(const char *cell, double x, int op, const char *val, int vnum, double v) {
    int both = vnum && !isnan(x);
    if (op == OP_EQ || op == OP_NE) {
        int eq = !cell ? val[0] == '\0' : both ? x == v : strcmp(cell, val) == 0;
        return op == OP_EQ ? eq : !eq;
    }
    if (!cell) return 0;
    int cmp;
    if (both)
        cmp = (x > v) - (x < v);
    else if (vnum)
        return 0; /* a number never orders a text cell */
    else
        cmp = strcmp(cell, val);
    switch (op) {
    case OP_LT: return cmp < 0;
    case OP_LE: return cmp <= 0;
    case OP_GT: return cmp > 0;
    default: return cmp >= 0;
    }
}

int ds_table_where(DsTable *t, const char *expr) {
    int rc = DW_EINVAL, op = -1;
    size_t p = 0, oplen = 0;
    char *name = NULL, *val = NULL, cl[600];
    if (!t || !expr) return dw_error_set(DW_EINVAL, "ds_table_where: NULL argument");
    for (p = 0; expr[p] && op < 0; p++) {
        char c = expr[p], d = expr[p + 1];
        if (c == '!' && d == '=') op = OP_NE, oplen = 2;
        else if (c == '<') op = d == '=' ? OP_LE : OP_LT, oplen = d == '=' ? 2 : 1;
        else if (c == '>') op = d == '=' ? OP_GE : OP_GT, oplen = d == '=' ? 2 : 1;
        else if (c == '=') op = OP_EQ, oplen = d == '=' ? 2 : 1;
    }
    if (op < 0) {
        dw_error_set(rc, "where '%s': expected <column><op><value>, op one of = != < <= > >=",
                     expr);
        goto out;
    }
    p--; /* back to the operator */
    const char *a = expr, *z = expr + p;
    ds_table_trim_(&a, &z);
    if (a == z) {
        dw_error_set(rc, "where '%s': missing column name before the operator", expr);
        goto out;
    }
    if (!(name = ds_table_strndup_(a, (size_t)(z - a)))) goto nomem;
    a = expr + p + oplen;
    z = a + strlen(a);
    ds_table_trim_(&a, &z);
    if (z - a >= 2 && (*a == '\'' || *a == '"') && z[-1] == *a) a++, z--;
    if (!(val = ds_table_strndup_(a, (size_t)(z - a)))) goto nomem;
    int col = ds_table_col(t, name);
    if (col < 0) {
        ds_table_cols_list_(t, cl, sizeof cl);
        rc = dw_error_set(DW_ENOTFOUND, "where '%s': %s has no column '%s' (columns: %s)", expr,
                          t->path, name, cl);
        goto out;
    }
    if (!val[0] && op != OP_EQ && op != OP_NE) {
        dw_error_set(rc, "where '%s': an ordering comparison needs a value", expr);
        goto out;
    }
    double v = NAN;
    int vnum = parse_num_(val, &v) && !isnan(v);
    size_t nc = (size_t)t->ncols;
    int w = 0;
    for (int r = 0; r < t->nrows; r++) {
        char **row = t->cells + (size_t)r * nc;
        size_t i = (size_t)r * nc + (size_t)col;
        if (row_match_(t->cells[i], t->num[i], op, val, vnum, v)) {
            if (w != r) {
                memmove(t->cells + (size_t)w * nc, row, nc * sizeof *row);
                memmove(t->num + (size_t)w * nc, t->num + (size_t)r * nc, nc * sizeof *t->num);
                t->line[w] = t->line[r];
            }
            w++;
        } else {
            for (size_t k = 0; k < nc; k++) free(row[k]);
        }
    }
    t->nrows = w;
    rc = DW_OK;
    goto out;
nomem:
    rc = dw_error_set(DW_ENOMEM, "where: out of memory");
out:
    free(name);
    free(val);
    return rc;
}
