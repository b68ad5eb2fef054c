/* tests/test_table_limits.c — datasets/table on hostile tables (issue 14, finding 5): the
 * column checks are linear (a hash of the names), and the documented caps of table.h hold:
 * at most DS_TABLE_MAX_COLS columns, names of at most DS_TABLE_MAX_NAME bytes, and at most
 * DS_TABLE_MAX_CELLS cells (rows × columns, which a sparse JSON Lines file could otherwise
 * blow up from a few kilobytes), files under DS_TABLE_MAX_BYTES (the line counters are ints),
 * and at most DS_TABLE_MAX_COLS --map entries, checked for repeats through a hash too. Each
 * refusal of a file is DW_EPARSE naming the file and the line.
 *
 * The big inputs (a 200k-column CSV, a 40k-key JSONL object) must be refused in well under a
 * second; the bound checked here is a generous 5 s (a guard, not a benchmark), and an alarm
 * ends the test at 60 s so that a quadratic reader fails instead of hanging.
 *
 * Files are written to a fresh directory under $TMPDIR (default /tmp), removed at the end.
 */
#define _POSIX_C_SOURCE 200809L
#include "datasets/table.h"

#include "common/dw.h"
#include "tests/check.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The caps table.h documents (DS_TABLE_MAX_*), restated here as the truth to test against. */
enum { MAX_COLS = 4096, MAX_NAME = 1024, MAX_CELLS = 1 << 24 };

static char dir_[512];

static const char *path_(const char *name) {
    static char buf[4][700];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir_, name);
    return buf[k];
}

static double now_s_(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void on_alarm_(int sig) {
    (void)sig;
    static const char msg[] = "test_table_limits: a read took over 60 s (quadratic?)\n";
    if (write(2, msg, sizeof msg - 1) < 0) _exit(1);
    _exit(1);
}

static int has_(const char *msg, const char *part) { return msg && strstr(msg, part) != NULL; }

/* Reads `path`, timing it; returns the status and frees any table. */
static int read_timed_(const char *path, double *secs) {
    DsTable *t = NULL;
    double t0 = now_s_();
    int rc = ds_table_read(path, &t);
    *secs = now_s_() - t0;
    ds_table_free(t);
    return rc;
}

/* Reads a table that must load; returns it (caller frees) or NULL after counting a failure. */
static DsTable *load_(const char *path) {
    DsTable *t = NULL;
    CHECK_STATUS(ds_table_read(path, &t));
    return t;
}

// ----------------------------------------------------------------------------
// file writers

/* A CSV whose header has `ncols` columns c0..c{ncols-1} (name `dup` repeated at column
 * dup_at when dup_at >= 0), then `nrows` rows of numbers. */
static void write_wide_csv_(const char *path, int ncols, int nrows, int dup_at) {
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    for (int k = 0; k < ncols; k++)
        fprintf(f, "%s%s%d", k ? "," : "", "c", k == dup_at ? 0 : k);
    fputc('\n', f);
    for (int r = 0; r < nrows; r++)
        for (int k = 0; k < ncols; k++) fprintf(f, "%d%c", r + k, k + 1 < ncols ? ',' : '\n');
    fclose(f);
}

/* A JSONL file whose first object has keys k0..k{nkeys-1}, then `nempty` lines "{}". */
static void write_wide_jsonl_(const char *path, int nkeys, int nempty) {
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputc('{', f);
    for (int k = 0; k < nkeys; k++) fprintf(f, "%s\"k%d\":%d", k ? "," : "", k, k);
    fputs("}\n", f);
    for (int r = 0; r < nempty; r++) fputs("{}\n", f);
    fclose(f);
}

static void write_text_(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
}

// ----------------------------------------------------------------------------
// the finding: huge headers and objects are refused quickly, naming file and line

static void test_huge_header(void) {
    const char *p = path_("wide200k.csv");
    write_wide_csv_(p, 200000, 1, -1);
    double s;
    int rc = read_timed_(p, &s);
    CHECK(rc == DW_EPARSE);
    CHECK(s < 5.0);
    CHECK(has_(dw_error_get(), "wide200k.csv:1:"));
    CHECK(has_(dw_error_get(), "200000 columns"));
    CHECK(has_(dw_error_get(), "4096"));
    printf("200000-column CSV: refused in %.3f s: %s\n", s, dw_error_get());
}

static void test_huge_object(void) {
    const char *p = path_("keys40k.jsonl");
    write_wide_jsonl_(p, 40000, 0);
    double s;
    int rc = read_timed_(p, &s);
    CHECK(rc == DW_EPARSE);
    CHECK(s < 5.0);
    CHECK(has_(dw_error_get(), "keys40k.jsonl:1:"));
    CHECK(has_(dw_error_get(), "4096"));
    printf("40000-key JSONL object: refused in %.3f s: %s\n", s, dw_error_get());
}

// ----------------------------------------------------------------------------
// the caps at their boundaries, and the duplicate checks through the hash

static void test_column_cap(void) {
    const char *p = path_("max.csv");
    write_wide_csv_(p, MAX_COLS, 2, -1);
    DsTable *t = load_(p);
    if (t) {
        CHECK(t->ncols == MAX_COLS && t->nrows == 2);
        CHECK(ds_table_col(t, "c4095") == 4095);
        CHECK(ds_table_num(t, 1, 4095) == 1 + 4095);
        ds_table_free(t);
    }
    p = path_("over.csv");
    write_wide_csv_(p, MAX_COLS + 1, 1, -1);
    CHECK(ds_table_read(p, &t) == DW_EPARSE && !t);
    CHECK(has_(dw_error_get(), "over.csv:1: 4097 columns"));

    p = path_("max.jsonl");
    write_wide_jsonl_(p, MAX_COLS, 3);
    t = load_(p);
    if (t) {
        CHECK(t->ncols == MAX_COLS && t->nrows == 4);
        CHECK(ds_table_num(t, 0, 4095) == 4095 && ds_table_cell(t, 3, 4095) == NULL);
        ds_table_free(t);
    }
    /* the 4097th key arrives on a later line: that line is named */
    p = path_("over.jsonl");
    write_wide_jsonl_(p, MAX_COLS, 0);
    FILE *f = fopen(p, "a");
    if (f) {
        fputs("{\"k1\":1}\n{\"k0\":2,\"new\":3}\n", f);
        fclose(f);
    }
    CHECK(ds_table_read(p, &t) == DW_EPARSE && !t);
    CHECK(has_(dw_error_get(), "over.jsonl:3:"));
    CHECK(has_(dw_error_get(), "'new'"));
}

static void test_duplicates_far_apart(void) {
    const char *p = path_("dup.csv");
    write_wide_csv_(p, 4000, 1, 3999); /* c0 again as column 4000 */
    DsTable *t = NULL;
    CHECK(ds_table_read(p, &t) == DW_EPARSE && !t);
    CHECK(has_(dw_error_get(), "dup.csv:1: duplicate column name 'c0' (columns 1 and 4000)"));
    /* an empty header name becomes col_<k>; a real col_<k> elsewhere collides with it */
    p = path_("dupcol.csv");
    write_text_(p, "col_3,a,\n1,2,3\n");
    CHECK(ds_table_read(p, &t) == DW_EPARSE && !t);
    CHECK(has_(dw_error_get(), "dupcol.csv:1: duplicate column name 'col_3' (columns 1 and 3)"));
    /* JSONL: a key twice in one object is refused; the same keys on other lines are fine */
    p = path_("twice.jsonl");
    write_text_(p, "{\"a\":1,\"b\":2}\n{\"b\":3,\"a\":4}\n{\"b\":5,\"c\":6,\"b\":7}\n");
    CHECK(ds_table_read(p, &t) == DW_EPARSE && !t);
    CHECK(has_(dw_error_get(), "twice.jsonl:3: key 'b' appears twice in one object"));
    p = path_("order.jsonl");
    write_text_(p, "{\"a\":1,\"b\":2}\n{\"c\":3,\"b\":4,\"a\":5}\n{\"b\":6}\n");
    t = load_(p);
    if (t) {
        CHECK(t->ncols == 3 && t->nrows == 3);
        CHECK(ds_table_col(t, "c") == 2);
        CHECK(ds_table_num(t, 1, 0) == 5 && ds_table_num(t, 1, 1) == 4);
        CHECK(ds_table_num(t, 1, 2) == 3 && ds_table_num(t, 2, 1) == 6);
        CHECK(ds_table_cell(t, 2, 0) == NULL && ds_table_cell(t, 0, 2) == NULL);
        ds_table_free(t);
    }
}

/* Keys in the reverse order of the columns on every line after the first: each lookup misses
 * the in-order hint and goes through the name index. */
static void test_reversed_keys(void) {
    const char *p = path_("reversed.jsonl");
    FILE *f = fopen(p, "w");
    if (!f) {
        perror(p);
        exit(1);
    }
    for (int r = 0; r < 4; r++) {
        fputc('{', f);
        for (int i = 0; i < MAX_COLS; i++) {
            int k = r == 0 ? i : MAX_COLS - 1 - i;
            fprintf(f, "%s\"k%d\":%d", i ? "," : "", k, 10 * k + r);
        }
        fputs("}\n", f);
    }
    fclose(f);
    DsTable *t = load_(p);
    if (!t) return;
    CHECK(t->ncols == MAX_COLS && t->nrows == 4);
    int bad = 0;
    for (int r = 0; r < 4; r++)
        for (int k = 0; k < MAX_COLS; k++) bad += ds_table_num(t, r, k) != 10 * k + r;
    CHECK(bad == 0);
    CHECK(ds_table_col(t, "k0") == 0 && ds_table_col(t, "k4095") == 4095);
    ds_table_free(t);
}

static void test_name_cap(void) {
    static char text[4 * MAX_NAME];
    char name[MAX_NAME + 2];
    memset(name, 'x', MAX_NAME);
    name[MAX_NAME] = '\0';
    const char *p = path_("longname.csv");
    snprintf(text, sizeof text, "a,%s\n1,2\n", name);
    write_text_(p, text);
    DsTable *t = load_(p);
    if (t) {
        CHECK(ds_table_col(t, name) == 1);
        ds_table_free(t);
    }
    name[MAX_NAME] = 'y';
    name[MAX_NAME + 1] = '\0';
    p = path_("toolong.csv");
    snprintf(text, sizeof text, "\n\na,\"%s\"\n1,2\n", name);
    write_text_(p, text);
    CHECK(ds_table_read(p, &t) == DW_EPARSE && !t);
    CHECK(has_(dw_error_get(), "toolong.csv:3: column 2: a name of 1025 bytes"));
    p = path_("toolong.jsonl");
    snprintf(text, sizeof text, "{\"a\":1}\n{\"a\":2,\"%s\":3}\n", name);
    write_text_(p, text);
    CHECK(ds_table_read(p, &t) == DW_EPARSE && !t);
    CHECK(has_(dw_error_get(), "toolong.jsonl:2: a key of 1025 bytes"));
}

/* 4096 keys on line 1, then empty objects: each "{}" line is a row of 4096 missing cells,
 * so a 100 KB file would make a matrix of gigabytes; the cell cap refuses it. */
static void test_cell_cap(void) {
    int rows = MAX_CELLS / MAX_COLS; /* 4096 rows of 4096 columns fit exactly */
    const char *p = path_("sparse_ok.jsonl");
    write_wide_jsonl_(p, MAX_COLS, 99);
    DsTable *t = load_(p);
    if (t) {
        CHECK(t->nrows == 100 && t->ncols == MAX_COLS);
        CHECK(ds_table_num(t, 0, 17) == 17 && ds_table_cell(t, 99, 17) == NULL);
        ds_table_free(t);
    }
    p = path_("sparse.jsonl");
    write_wide_jsonl_(p, MAX_COLS, rows);
    double s;
    int rc = read_timed_(p, &s);
    CHECK(rc == DW_EPARSE);
    CHECK(s < 5.0);
    CHECK(has_(dw_error_get(), "sparse.jsonl:4097:"));
    CHECK(has_(dw_error_get(), "16777216 cells"));
}

/* A table of 2 GiB or more would overflow the int line counters: refused from its size,
 * before it is read (a sparse file: no disk space, nothing read). */
static void test_byte_cap(void) {
    const char *p = path_("huge.csv");
    FILE *f = fopen(p, "w");
    if (!f) {
        perror(p);
        exit(1);
    }
    fputs("a,b\n1,2\n", f);
    fclose(f);
    if (truncate(p, (off_t)INT_MAX + 1) != 0) {
        perror("truncate");
        CHECK(0);
        return;
    }
    double s;
    int rc = read_timed_(p, &s);
    CHECK(rc == DW_EPARSE);
    CHECK(s < 5.0);
    CHECK(has_(dw_error_get(), "huge.csv: 2147483648 bytes; tables of at most 2147483647"));
    remove(p);
}

/* --map entries are checked for repeats through a hash as well, and capped: a mapping
 * cannot name more columns than a table can have. */
static void test_map_cap(void) {
    const char *p = path_("small.csv");
    write_text_(p, "loss,tokens\n1,2\n");
    DsTable *t = load_(p);
    if (!t) return;
    size_t cap = 16 * (MAX_COLS + 2);
    char *maps = malloc(cap);
    if (!maps) {
        ds_table_free(t);
        return;
    }
    size_t w = 0;
    for (int k = 0; k < MAX_COLS; k++) w += (size_t)snprintf(maps + w, cap - w, "f%d=c,", k);
    int col = 7;
    CHECK_STATUS(ds_table_resolve(t, "loss", NULL, maps, &col));
    CHECK(col == -1);
    snprintf(maps + w, cap - w, "loss=tokens");
    CHECK(ds_table_resolve(t, "loss", NULL, maps, &col) == DW_EINVAL);
    CHECK(has_(dw_error_get(), "--map: more than 4096 entries"));
    snprintf(maps, cap, "a=x, b=y ,f9=c,b=z");
    CHECK(ds_table_resolve(t, "loss", NULL, maps, &col) == DW_EINVAL);
    CHECK(has_(dw_error_get(), "--map: field 'b' is mapped twice"));
    free(maps);
    ds_table_free(t);
}

int main(void) {
    const char *base = getenv("TMPDIR");
    snprintf(dir_, sizeof dir_, "%s/dw_table_limits.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir_)) {
        perror("mkdtemp");
        return 1;
    }
    signal(SIGALRM, on_alarm_);
    alarm(60);
    test_huge_header();
    test_huge_object();
    test_column_cap();
    test_duplicates_far_apart();
    test_reversed_keys();
    test_name_cap();
    test_cell_cap();
    test_byte_cap();
    test_map_cap();
    alarm(0);
    const char *names[] = {"wide200k.csv",   "keys40k.jsonl",   "max.csv",      "over.csv",
                           "max.jsonl",      "over.jsonl",      "dup.csv",      "dupcol.csv",
                           "twice.jsonl",    "order.jsonl",     "reversed.jsonl",
                           "longname.csv",   "toolong.csv",     "toolong.jsonl",
                           "sparse_ok.jsonl", "sparse.jsonl",   "huge.csv",     "small.csv"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) remove(path_(names[i]));
    rmdir(dir_);
    return check_done("test_table_limits");
}
