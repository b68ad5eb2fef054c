/* datasets/runs.c — the one loader of run tables (rules in runs.h). */
#include "runs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "common/dw.h"
#include "datasets/table.h"

#include <cjson/cJSON.h>

static const char *const field_names_[DS_RUNS_NFIELDS] = {
    "depth", "width", "params", "tokens", "flops", "loss", "grad_norms", "run"};
static const char *const grad_aliases_[] = {"grad_norms", NULL};

const char *ds_runs_field_name(DsRunsField f) {
    return f >= 0 && f < DS_RUNS_NFIELDS ? field_names_[f] : "?";
}

static const char *const *aliases_(DsRunsField f) {
    return f == DS_RUNS_GRAD ? grad_aliases_ : ds_aliases(field_names_[f]);
}

void ds_runs_free(DsRuns *r) {
    if (!r) return;
    if (r->grad)
        for (int i = 0; i < r->n; i++) free(r->grad[i]);
    free(r->depth), free(r->width), free(r->params), free(r->tokens), free(r->flops);
    free(r->loss), free(r->weight), free(r->grad), free(r->ngrad), free(r->line), free(r->group);
    free(r->run);
    free(r);
}

/* What the load carries besides the runs: the table, its columns, the capacity of r's
 * arrays and each kept row's table row (for its run). */
typedef struct {
    DsRuns *r;
    const DsTable *t;
    int col[DS_RUNS_NFIELDS], cweight, cstep, ccurve;
    double tps;  /* tokens per step (cstep >= 0) */
    int cap;     /* rows r's arrays hold */
    int *src;    /* (cap) table row of each kept row */
} Load;

/* A used cell: present, finite and > 0 (every quantity here enters a logarithm). */
static int cell_(const DsTable *t, int row, int col, double *v) {
    const char *cell = ds_table_cell(t, row, col);
    *v = ds_table_num(t, row, col);
    if (!cell)
        return dw_error_set(DW_EPARSE, "%s:%d: column '%s': missing value", t->path, t->line[row],
                            t->colnames[col]);
    if (!isfinite(*v) || !(*v > 0))
        return dw_error_set(DW_EPARSE, "%s:%d: column '%s': '%.40s' is not a positive number",
                            t->path, t->line[row], t->colnames[col], cell);
    return DW_OK;
}

/* Room for `need` rows in every array (capacity doubles; new slots zeroed where it matters). */
static int reserve_(Load *L, int need) {
    DsRuns *r = L->r;
    if (need <= L->cap) return DW_OK;
    size_t cap = L->cap ? 2 * (size_t)L->cap : 16;
    while (cap < (size_t)need) cap *= 2;
    double **arr[7] = {&r->depth, &r->width, &r->params, &r->tokens, &r->flops, &r->loss,
                       &r->weight};
    for (int k = 0; k < 7; k++) {
        if (k == 6 && !r->weight) continue;
        double *p = realloc(*arr[k], cap * sizeof(double));
        if (!p) return dw_error_set(DW_ENOMEM, "out of memory for %d rows", need);
        *arr[k] = p;
    }
    int **iarr[5] = {&r->ngrad, &r->line, &r->group, &r->run, &L->src};
    for (int k = 0; k < 5; k++) {
        int *p = realloc(*iarr[k], cap * sizeof(int));
        if (!p) return dw_error_set(DW_ENOMEM, "out of memory for %d rows", need);
        *iarr[k] = p;
    }
    double **g = realloc(r->grad, cap * sizeof *g);
    if (!g) return dw_error_set(DW_ENOMEM, "out of memory for %d rows", need);
    r->grad = g;
    for (size_t i = (size_t)L->cap; i < cap; i++) r->grad[i] = NULL, r->ngrad[i] = 0;
    L->cap = (int)cap;
    return DW_OK;
}

/* Row j of the table into kept row r->n (status already checked). */
static int row_(Load *L, int j) {
    DsRuns *r = L->r;
    const DsTable *t = L->t;
    const int *col = L->col;
    int rc;
    if ((rc = reserve_(L, r->n + 1))) return rc;
    int m = r->n;
    double *dst[6] = {r->depth, r->width, r->params, r->tokens, r->flops, r->loss};
    for (int k = 0; k < 6; k++) dst[k][m] = NAN;
    for (int k = 0; k < 6; k++) {
        if (col[k] < 0) continue;
        /* a row may give its token count as tokens or as FLOPs */
        if ((k == DS_RUNS_TOKENS || k == DS_RUNS_FLOPS) && !ds_table_cell(t, j, col[k])) continue;
        if ((rc = cell_(t, j, col[k], &dst[k][m]))) return rc;
    }
    if (L->cstep >= 0) { /* tokens = step × tokens per step */
        double step;
        if ((rc = cell_(t, j, L->cstep, &step))) return rc;
        r->tokens[m] = step * L->tps;
    }
    if ((col[DS_RUNS_TOKENS] >= 0 || col[DS_RUNS_FLOPS] >= 0) && isnan(r->tokens[m]) &&
        isnan(r->flops[m]))
        return dw_error_set(DW_EPARSE, "%s:%d: neither tokens nor flops given", t->path,
                            t->line[j]);
    if (L->cweight >= 0 && (rc = cell_(t, j, L->cweight, &r->weight[m]))) return rc;
    r->line[m] = t->line[j];
    L->src[m] = j;
    int cg = col[DS_RUNS_GRAD];
    r->grad[m] = NULL, r->ngrad[m] = 0;
    if (cg >= 0 && ds_table_cell(t, j, cg)) {
        if ((rc = ds_table_array(t, j, cg, &r->grad[m], &r->ngrad[m]))) goto bad;
        for (int l = 0; l < r->ngrad[m]; l++)
            if (!(r->grad[m][l] > 0) || !isfinite(r->grad[m][l])) {
                rc = dw_error_set(DW_EPARSE,
                                  "%s:%d: column '%s': layer %d: gradient norm %g must be "
                                  "positive and finite",
                                  t->path, t->line[j], t->colnames[cg], l, r->grad[m][l]);
                goto bad;
            }
    }
    r->n++;
    return DW_OK;
bad: /* row m is not kept: its slot is reused (or freed with the rest) */
    free(r->grad[m]);
    r->grad[m] = NULL;
    r->ngrad[m] = 0;
    return rc;
}

/* A row row_ refused: counted and left out with --skip-bad-rows, else the error, which then
 * says that the flag exists. */
static int bad_row_(DsRuns *r, const DsTable *t, int j, int rc, int skip) {
    if (rc != DW_EPARSE) return rc;
    if (!skip) {
        char msg[600];
        snprintf(msg, sizeof msg, "%s", dw_error_get());
        return dw_error_set(rc, "%s (--skip-bad-rows leaves such rows out, counting them)", msg);
    }
    if (r->nskipped_bad == 0) snprintf(r->bad_first, sizeof r->bad_first, "%s", dw_error_get());
    if (r->nskipped_bad < DS_RUNS_BAD_LINES) r->bad_lines[r->nskipped_bad] = t->line[j];
    r->nskipped_bad++;
    dw_error_clear();
    return DW_OK;
}

/* Rows sorted by their used values (NaN first: an absent column), then by file order, so
 * that duplicates and rows of one shape are neighbours: O(n log n) for any table size.
 * v[7] is a fingerprint of the gradient norms, so that rows equal but for them do not form
 * one block that every row of it scans (n² comparisons of arrays); v[8] the run when runs
 * are explicit (two runs' rows are never duplicates of each other). */
enum { NKEY = 9 };
typedef struct {
    double v[NKEY];
    int idx;
} Key;

static int cmp_num_(double a, double b) {
    if (isnan(a) || isnan(b)) return isnan(b) - isnan(a);
    return (a > b) - (a < b);
}

static int cmp_key_(const void *x, const void *y) {
    const Key *a = x, *b = y;
    for (int k = 0; k < NKEY; k++) {
        int c = cmp_num_(a->v[k], b->v[k]);
        if (c) return c;
    }
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* FNV-1a over row i's gradient norms (count and bits), as an exact integer below 2^53. */
static double grad_print_(const DsRuns *r, int i) {
    uint64_t h = 1469598103934665603u;
    int n = r->ngrad ? r->ngrad[i] : 0;
    for (int l = -1; l < n; l++) {
        uint64_t bits = (uint64_t)n;
        if (l >= 0) memcpy(&bits, &r->grad[i][l], sizeof bits);
        for (int b = 0; b < 8; b++) h = (h ^ ((bits >> (8 * b)) & 0xff)) * 1099511628211u;
    }
    return (double)(h >> 11);
}

static int same_grad_(const DsRuns *r, int i, int k) {
    if (r->ngrad[i] != r->ngrad[k]) return 0;
    for (int l = 0; l < r->ngrad[i]; l++)
        if (r->grad[i][l] != r->grad[k][l]) return 0;
    return 1;
}

/* Refuses exact duplicates (the earliest in file order is reported). */
static int duplicates_(const DsRuns *r, Key *key) {
    const double *v[6] = {r->depth, r->width, r->params, r->tokens, r->flops, r->loss};
    for (int i = 0; i < r->n; i++) {
        for (int f = 0; f < 6; f++) key[i].v[f] = v[f][i];
        key[i].v[6] = r->weight ? r->weight[i] : NAN;
        key[i].v[7] = grad_print_(r, i);
        key[i].v[8] = r->run_explicit ? r->run[i] : NAN;
        key[i].idx = i;
    }
    qsort(key, (size_t)r->n, sizeof *key, cmp_key_);
    int bi = -1, bk = -1;
    for (int a = 0; a < r->n; a++)
        for (int b = a + 1; b < r->n; b++) {
            Key ka = key[a], kb = key[b];
            ka.idx = kb.idx = 0;
            if (cmp_key_(&ka, &kb)) break;
            int i = key[b].idx, k = key[a].idx; /* k < i: sorted by file order within a key */
            if (same_grad_(r, i, k)) {
                if (bi < 0 || i < bi) bi = i, bk = k;
                break;
            }
        }
    if (bi >= 0)
        return dw_error_set(DW_EPARSE,
                            "%s:%d: duplicate of line %d (same values in every used column): "
                            "remove it, or add a distinguishing column and filter with --where",
                            r->path, r->line[bi], r->line[bk]);
    return DW_OK;
}

/* Groups rows into shapes, ids in order of first appearance. */
static void shapes_(DsRuns *r, Key *key, int *rep) {
    int dw = r->has_depth && r->has_width;
    r->group_by = dw ? "depth x width" : r->has_params ? "params" : "row";
    for (int i = 0; i < r->n; i++) {
        for (int f = 0; f < NKEY; f++) key[i].v[f] = 0;
        if (dw) key[i].v[0] = r->depth[i], key[i].v[1] = r->width[i];
        else if (r->has_params) key[i].v[0] = r->params[i];
        else key[i].v[0] = i;
        key[i].idx = i;
    }
    qsort(key, (size_t)r->n, sizeof *key, cmp_key_);
    for (int a = 0, first = 0; a < r->n; a++) {
        if (a > 0 && (key[a].v[0] != key[a - 1].v[0] || key[a].v[1] != key[a - 1].v[1]))
            first = a;
        rep[key[a].idx] = key[first].idx; /* the block's earliest row */
    }
    r->ngroups = 0;
    for (int i = 0; i < r->n; i++) r->group[i] = rep[i] == i ? r->ngroups++ : r->group[rep[i]];
}

/* A row's run: the run column's text (or, without one, the record it came from) and its
 * shape. */
typedef struct {
    const char *name; /* NULL: no run column */
    int rec, group, idx;
} RunKey;

static int cmp_run_(const void *x, const void *y) {
    const RunKey *a = x, *b = y;
    int c = a->name && b->name ? strcmp(a->name, b->name) : (!!a->name - !!b->name);
    if (!c) c = (a->rec > b->rec) - (a->rec < b->rec);
    if (!c) c = (a->group > b->group) - (a->group < b->group);
    return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

/* Rule 7: run ids in order of first appearance, and whether the table holds curves. */
static int runs_(Load *L, int *rep) {
    DsRuns *r = L->r;
    int crun = L->col[DS_RUNS_RUN];
    r->run_explicit = crun >= 0 || r->nexpanded > 0;
    if (crun >= 0) snprintf(r->run_by, sizeof r->run_by, "column '%.60s'", r->col[DS_RUNS_RUN]);
    else if (r->nexpanded) snprintf(r->run_by, sizeof r->run_by, "records (their curves)");
    else snprintf(r->run_by, sizeof r->run_by, "shape (no run column)");
    RunKey *k = malloc(sizeof *k * (size_t)(r->n > 0 ? r->n : 1));
    if (!k) return dw_error_set(DW_ENOMEM, "out of memory");
    for (int i = 0; i < r->n; i++) {
        const char *nm = crun >= 0 ? ds_table_cell(L->t, L->src[i], crun) : NULL;
        k[i] = (RunKey){.name = crun >= 0 ? (nm ? nm : "") : NULL,
                        .rec = r->run_explicit && crun < 0 ? L->src[i] : -1,
                        .group = r->group[i], .idx = i};
        if (!r->run_explicit) k[i].rec = r->group[i]; /* a run is a shape */
    }
    qsort(k, (size_t)r->n, sizeof *k, cmp_run_);
    for (int a = 0, first = 0; a < r->n; a++) {
        RunKey ka = k[a], kf = k[first];
        ka.idx = kf.idx = 0;
        if (a > 0 && cmp_run_(&ka, &kf)) first = a;
        rep[k[a].idx] = k[first].idx;
    }
    free(k);
    r->nruns = 0;
    for (int i = 0; i < r->n; i++) r->run[i] = rep[i] == i ? r->nruns++ : r->run[rep[i]];
    r->curves = r->run_explicit && r->nruns < r->n;
    return DW_OK;
}

/* Shapes, runs, then exact duplicates (rule 5; a duplicate within one run only). */
static int groups_(Load *L) {
    DsRuns *r = L->r;
    int rc;
    Key *key = malloc(sizeof *key * (size_t)(r->n > 0 ? r->n : 1));
    int *rep = malloc(sizeof *rep * (size_t)(r->n > 0 ? r->n : 1));
    if (!key || !rep) {
        rc = dw_error_set(DW_ENOMEM, "out of memory");
        goto out;
    }
    shapes_(r, key, rep);
    if ((rc = runs_(L, rep))) goto out;
    rc = duplicates_(r, key);
out:
    free(key);
    free(rep);
    return rc;
}

/* Every field named in --map must be one of field_names_: a typo ("los=eval/loss") would
 * otherwise leave the field to its aliases without a word. */
static int map_fields_(const char *maps) {
    for (const char *p = maps; p && *p;) {
        size_t len = strcspn(p, ",");
        const char *eq = memchr(p, '=', len);
        const char *a = p, *z = eq ? eq : p + len;
        p += len + (p[len] == ',');
        while (a < z && (*a == ' ' || *a == '\t')) a++;
        while (z > a && (z[-1] == ' ' || z[-1] == '\t')) z--;
        if (!eq || a == z) continue; /* malformed entries: ds_table_resolve says how */
        /* step: the column --tokens-per-step multiplies */
        int known = (size_t)(z - a) == 4 && !strncmp(a, DS_FIELD_STEP, 4);
        for (int k = 0; k < DS_RUNS_NFIELDS; k++)
            known |= strlen(field_names_[k]) == (size_t)(z - a) &&
                     !strncmp(field_names_[k], a, (size_t)(z - a));
        if (!known)
            return dw_error_set(DW_EINVAL, "--map: unknown field '%.*s' (the fields: depth, "
                                "width, params, tokens, flops, loss, grad_norms, run, step)",
                                (int)(z - a), a);
    }
    return DW_OK;
}

/* A header that holds ';' or a tab in one column name, with no column of ours found, is a
 * file in another dialect (Excel's ';' where the decimal mark is a comma, a .csv of tabs). */
static int dialect_(const DsTable *t) {
    for (int c = 0; c < t->ncols; c++) {
        const char *name = t->colnames[c];
        char d = strchr(name, ';') ? ';' : strchr(name, '\t') ? '\t' : 0;
        if (!d) continue;
        if (d == ';')
            return dw_error_set(DW_EPARSE, "%s: looks like ';'-delimited: column %d is "
                                "'%.60s'; dwplan reads ',' between fields (a tab in a .tsv "
                                "file) and '.' as the decimal mark: convert it, e.g. with "
                                "pandas (sep=';', decimal=',')", t->path, c + 1, name);
        return dw_error_set(DW_EPARSE, "%s: looks like tab-delimited: column %d is '%.60s'; "
                            "name the file .tsv", t->path, c + 1, name);
    }
    return DW_OK;
}

/* The reader refused the file: when its first line has ';' and no ',' (decimal commas then
 * split the rows into more fields than the header has), the message says why. */
static int read_hint_(const char *path, int rc) {
    char head[512] = "", msg[600];
    FILE *f = rc == DW_EPARSE ? fopen(path, "r") : NULL;
    if (!f) return rc;
    if (!fgets(head, sizeof head, f)) head[0] = '\0';
    fclose(f);
    if (!strchr(head, ';') || strchr(head, ',') || head[0] == '{') return rc;
    snprintf(msg, sizeof msg, "%s", dw_error_get());
    return dw_error_set(rc, "%s: looks like ';'-delimited (with decimal commas?): dwplan reads "
                        "',' between fields and '.' as the decimal mark: convert it, e.g. with "
                        "pandas (sep=';', decimal=',') (%s)", path, msg);
}

static int columns_(Load *L, const DsRunsOptions *o) {
    DsRuns *r = L->r;
    const DsTable *t = L->t;
    int rc, *col = L->col;
    const char *maps = o ? o->maps : NULL;
    if ((rc = map_fields_(maps))) return rc;
    unsigned use = o && o->fields ? o->fields : ~0u;
    for (int k = 0; k < DS_RUNS_NFIELDS; k++) {
        if ((rc = ds_table_resolve(t, field_names_[k], aliases_((DsRunsField)k), maps, &col[k])))
            return rc;
        if (!(use >> k & 1)) col[k] = -1;
        snprintf(r->col[k], sizeof r->col[k], "%s", col[k] >= 0 ? t->colnames[col[k]] : "");
        if (col[k] >= 0) r->fields |= DS_RUNS_BIT(k);
    }
    if (!r->fields && (rc = dialect_(t))) return rc;
    L->cweight = L->cstep = -1;
    L->ccurve = o && o->curves ? ds_table_col(t, "curve") : -1;
    r->has_curve_col = ds_table_col(t, "curve") >= 0;
    if (o && o->curves && L->ccurve < 0)
        return dw_error_set(DW_EPARSE, "%s: --curves: no record has a 'curve' field "
                            "([{\"tokens\": T, \"loss\": L}, ...])", t->path);
    if (o && o->weight) {
        if ((L->cweight = ds_table_col(t, o->weight)) < 0)
            return dw_error_set(DW_ENOTFOUND, "%s: no column '%s' for --weight", t->path,
                                o->weight);
        snprintf(r->col_weight, sizeof r->col_weight, "%s", o->weight);
        if (!(r->weight = malloc(sizeof(double)))) return dw_error_set(DW_ENOMEM, "out of memory");
    }
    if (o && o->tokens_per_step > 0 && (use >> DS_RUNS_TOKENS & 1)) {
        if (col[DS_RUNS_TOKENS] >= 0 || col[DS_RUNS_FLOPS] >= 0)
            return dw_error_set(DW_EINVAL, "%s: --tokens-per-step: the table has a %s column "
                                "('%s'): the flag is for tables without one", t->path,
                                col[DS_RUNS_TOKENS] >= 0 ? "tokens" : "flops",
                                t->colnames[col[DS_RUNS_TOKENS] >= 0 ? col[DS_RUNS_TOKENS]
                                                                     : col[DS_RUNS_FLOPS]]);
        if ((rc = ds_table_resolve(t, DS_FIELD_STEP, ds_aliases(DS_FIELD_STEP), maps,
                                   &L->cstep)))
            return rc;
        if (L->cstep < 0)
            return dw_error_set(DW_EPARSE, "%s: --tokens-per-step needs a step column (looked "
                                "for step, global_step, train/global_step; use --map "
                                "step=COLUMN)", t->path);
        L->tps = o->tokens_per_step;
        snprintf(r->col[DS_RUNS_TOKENS], sizeof r->col[DS_RUNS_TOKENS], "%.30s x %.12g",
                 t->colnames[L->cstep], L->tps);
        r->fields |= DS_RUNS_BIT(DS_RUNS_TOKENS);
    }
    r->has_depth = col[DS_RUNS_DEPTH] >= 0, r->has_width = col[DS_RUNS_WIDTH] >= 0;
    r->has_params = col[DS_RUNS_PARAMS] >= 0;
    r->has_tokens = col[DS_RUNS_TOKENS] >= 0 || L->cstep >= 0 || L->ccurve >= 0;
    r->has_flops = col[DS_RUNS_FLOPS] >= 0, r->has_loss = col[DS_RUNS_LOSS] >= 0;
    r->has_grad = col[DS_RUNS_GRAD] >= 0, r->has_weight = L->cweight >= 0;
    if (L->ccurve >= 0) r->fields |= DS_RUNS_BIT(DS_RUNS_TOKENS);
    return DW_OK;
}

/* Is two values' relative difference within tol? */
static int near_(double a, double b, double tol) {
    return fabs(a - b) <= tol * fmax(fabs(a), fabs(b));
}

/* Kept row m (just added from a record) replaced by the points of the record's curve. */
static int curve_(Load *L, int m) {
    DsRuns *r = L->r;
    const DsTable *t = L->t;
    int j = L->src[m], line = r->line[m], rc = DW_EPARSE, np;
    const char *cell = ds_table_cell(t, j, L->ccurve);
    cJSON *a = cell ? cJSON_Parse(cell) : NULL;
    const char *path = t->path;
    if (!cJSON_IsArray(a)) {
        dw_error_set(rc, "%s:%d: curve: expected an array of {\"tokens\": T, \"loss\": L}",
                     path, line);
        goto out;
    }
    if ((np = cJSON_GetArraySize(a)) < 1 || np > DS_RUNS_CURVE_MAX) {
        dw_error_set(rc, "%s:%d: curve: %d points (1 to %d)", path, line, np, DS_RUNS_CURVE_MAX);
        goto out;
    }
    if (r->n - 1 + np > DS_TABLE_MAX_CELLS) {
        dw_error_set(rc, "%s:%d: curve: more than %d rows in all", path, line, DS_TABLE_MAX_CELLS);
        goto out;
    }
    if ((rc = reserve_(L, r->n - 1 + np))) goto out;
    rc = DW_EPARSE;
    double T0 = r->tokens[m], L0 = r->loss[m], prev = 0;
    int q = 0;
    for (const cJSON *p = a->child; p; p = p->next, q++) {
        const cJSON *tk = cJSON_GetObjectItemCaseSensitive(p, "tokens");
        const cJSON *ls = cJSON_GetObjectItemCaseSensitive(p, "loss");
        const char *bad = !cJSON_IsObject(p) ? "" : !cJSON_IsNumber(tk) ? "tokens" :
                          !cJSON_IsNumber(ls) ? "loss" : NULL;
        if (bad) {
            dw_error_set(rc, "%s:%d: curve[%d]%s%s: expected %s", path, line, q, *bad ? "." : "",
                         bad, *bad ? "a number" : "an object {\"tokens\": T, \"loss\": L}");
            goto out;
        }
        double T = tk->valuedouble, Lv = ls->valuedouble;
        if (!(T > prev) || !isfinite(T) || !(Lv > 0) || !isfinite(Lv)) {
            dw_error_set(rc, "%s:%d: curve[%d]: tokens %.17g, loss %.17g: %s", path, line, q, T,
                         Lv, !(Lv > 0) || !isfinite(Lv) ? "the loss must be a positive number"
                         : "tokens must be positive, finite and ascending");
            goto out;
        }
        prev = T;
        int i = q == 0 ? m : r->n + q - 1; /* the record's own slot takes the first point */
        if (q > 0) {
            r->depth[i] = r->depth[m], r->width[i] = r->width[m], r->params[i] = r->params[m];
            if (r->weight) r->weight[i] = r->weight[m];
            r->line[i] = line, L->src[i] = j, r->grad[i] = NULL, r->ngrad[i] = 0;
        }
        r->tokens[i] = T, r->loss[i] = Lv, r->flops[i] = NAN;
    }
    if ((!isnan(T0) && !near_(prev, T0, 1e-9)) ||
        (!isnan(L0) && !near_(r->loss[np == 1 ? m : r->n + np - 2], L0, 1e-6))) {
        dw_error_set(rc, "%s:%d: curve: its last point (tokens %.17g, loss %.9g) is not the "
                     "record's own (%s %.17g, %s %.9g)", path, line, prev,
                     r->loss[np == 1 ? m : r->n + np - 2], r->col[DS_RUNS_TOKENS], T0,
                     r->col[DS_RUNS_LOSS], L0);
        goto out;
    }
    free(r->grad[m]); /* a point carries no gradient norms */
    r->grad[m] = NULL, r->ngrad[m] = 0;
    r->n += np - 1;
    r->nexpanded++;
    rc = DW_OK;
out:
    cJSON_Delete(a);
    return rc;
}

/* A W&B history row (the table has _step) that logged no loss: not a measurement. */
static int no_loss_(const Load *L, int j) {
    int cl = L->col[DS_RUNS_LOSS];
    return cl >= 0 && ds_table_col(L->t, "_step") >= 0 && !ds_table_cell(L->t, j, cl);
}

/* Rules 3, 4 and the curves: the kept rows. */
static int rows_(Load *L, const DsRunsOptions *o) {
    DsRuns *r = L->r;
    const DsTable *t = L->t;
    int rc, cstat = ds_table_col(t, "status"), skip = o && o->skip_bad_rows;
    for (int j = 0; j < t->nrows; j++) {
        const char *st = cstat >= 0 ? ds_table_cell(t, j, cstat) : NULL;
        if (st && strcmp(st, "ok")) {
            r->nskipped_status++;
            continue;
        }
        if (no_loss_(L, j)) {
            r->nskipped_noloss++;
            continue;
        }
        int m = r->n;
        if ((rc = row_(L, j)) && (rc = bad_row_(r, t, j, rc, skip))) return rc;
        int curve = r->n > m && L->ccurve >= 0 && ds_table_cell(t, j, L->ccurve);
        if (!curve && r->n > m && L->ccurve >= 0 && isnan(r->tokens[m]) && isnan(r->flops[m]))
            rc = dw_error_set(DW_EPARSE, "%s:%d: curve: none, and no tokens or flops "
                              "either (--curves)", t->path, t->line[j]);
        else if (curve) rc = curve_(L, m);
        else rc = DW_OK;
        if (rc) {
            free(r->grad[m]); /* the record is not kept */
            r->grad[m] = NULL, r->ngrad[m] = 0;
            r->n = m;
            if ((rc = bad_row_(r, t, j, rc, skip))) return rc;
        }
    }
    return DW_OK;
}

/* The value column `names` (the first present) has on every row of t, else NaN. */
static double const_col_(const DsTable *t, const char *const *names) {
    int c = -1;
    for (; *names && c < 0; names++) c = ds_table_col(t, *names);
    if (c < 0 || t->nrows < 1) return NAN;
    double v = ds_table_num(t, 0, c);
    for (int j = 1; j < t->nrows && isfinite(v); j++)
        if (ds_table_num(t, j, c) != v) return NAN;
    return isfinite(v) ? v : NAN;
}

static void table_conv_(const DsTable *t, DsRunsConv *c) {
    static const char *const vocab[] = {"vocab", "vocab_size", NULL};
    static const char *const mlp[] = {"mlp_ratio", NULL};
    static const char *const seq[] = {"seq_len", "context", "max_position_embeddings", NULL};
    static const char *const biases[] = {"biases", NULL};
    static const char *const tied[] = {"tied", "tie_word_embeddings", NULL};
    static const char *const swiglu[] = {"swiglu", NULL};
    static const char *const rms[] = {"rmsnorm", NULL};
    c->vocab = const_col_(t, vocab);
    c->mlp_ratio = const_col_(t, mlp);
    c->seq_len = const_col_(t, seq);
    c->biases = const_col_(t, biases);
    c->tied = const_col_(t, tied);
    c->swiglu = const_col_(t, swiglu);
    c->rmsnorm = const_col_(t, rms);
    int cv = ds_table_col(t, "dwplan_version");
    c->probe = cv >= 0 && t->nrows > 0;
    for (int j = 0; c->probe && j < t->nrows; j++) c->probe = ds_table_cell(t, j, cv) != NULL;
}

int ds_runs_load_table(DsTable *t, const DsRunsOptions *o, DsRuns **out) {
    int rc;
    Load L = {.t = t};
    if (!t || !out) {
        ds_table_free(t);
        return dw_error_set(DW_EINVAL, "ds_runs_load_table: NULL argument");
    }
    *out = NULL;
    int skip = o && o->skip_bad_rows;
    if (t->ntorn && !skip) {
        rc = dw_error_set(DW_EPARSE, "%s (%d such line%s: a record cut short by a crash or a "
                          "full disk? --skip-bad-rows leaves them out, counting them)",
                          t->torn_first, t->ntorn, t->ntorn == 1 ? "" : "s");
        goto out;
    }
    int nread = t->nrows;
    for (int k = 0; o && k < o->nwhere; k++)
        if ((rc = ds_table_where(t, o->wheres[k]))) goto out;
    rc = dw_error_set(DW_ENOMEM, "out of memory");
    if (!(L.r = calloc(1, sizeof *L.r))) goto out;
    snprintf(L.r->path, sizeof L.r->path, "%s", t->path);
    if ((rc = columns_(&L, o)) || (rc = reserve_(&L, 1))) goto out;
    L.r->nrows_read = nread;
    /* torn JSONL lines left out (skip): counted with the rows --skip-bad-rows leaves out */
    for (int k = 0; k < t->ntorn; k++) {
        DsRuns *r = L.r;
        if (r->nskipped_bad == 0) snprintf(r->bad_first, sizeof r->bad_first, "%s", t->torn_first);
        if (r->nskipped_bad < DS_RUNS_BAD_LINES)
            r->bad_lines[r->nskipped_bad] = k < DS_TABLE_TORN_LINES ? t->torn_line[k] : 0;
        r->nskipped_bad++;
    }
    L.r->nrows_file = t->nrows;
    if ((rc = rows_(&L, o)) || (rc = groups_(&L))) goto out;
    table_conv_(t, &L.r->conv);
    dw_error_clear();
    *out = L.r;
    L.r = NULL;
out:
    ds_runs_free(L.r);
    free(L.src);
    ds_table_free(t);
    return rc;
}

int ds_runs_load(const char *path, const DsRunsOptions *o, DsRuns **out) {
    DsTable *t = NULL;
    int rc;
    if (!path || !out) return dw_error_set(DW_EINVAL, "ds_runs_load: NULL argument");
    *out = NULL;
    if ((rc = ds_table_read_ex(path, DS_TABLE_SKIP_TORN, &t))) return read_hint_(path, rc);
    if ((rc = ds_runs_load_table(t, o, out))) return rc;
    if (dw_sha256_file(path, (*out)->sha256) != DW_OK) (*out)->sha256[0] = '\0';
    dw_error_clear();
    return DW_OK;
}

int ds_runs_need(const DsRuns *r, unsigned all, unsigned any, int min_rows, const char *purpose) {
    for (int k = 0; k < DS_RUNS_NFIELDS; k++) {
        if (!(all >> k & 1) || (r->fields >> k & 1)) continue;
        char looked[256] = "";
        const char *const *al = aliases_((DsRunsField)k);
        for (int a = 0; al && al[a]; a++) {
            size_t L = strlen(looked);
            snprintf(looked + L, sizeof looked - L, "%s%s", a ? ", " : "", al[a]);
        }
        return dw_error_set(DW_EPARSE, "%s: %s needs a %s column (looked for %s; use --map %s=COLUMN)",
                            r->path, purpose, field_names_[k], looked, field_names_[k]);
    }
    if (any && !(r->fields & any)) {
        char names[160] = "";
        for (int k = 0, m = 0; k < DS_RUNS_NFIELDS; k++)
            if (any >> k & 1) {
                size_t L = strlen(names);
                snprintf(names + L, sizeof names - L, "%s%s", m++ ? " or a " : "", field_names_[k]);
            }
        return dw_error_set(DW_EPARSE, "%s: %s needs a %s column (use --map FIELD=COLUMN)",
                            r->path, purpose, names);
    }
    if (r->n < min_rows) {
        char why[160] = "";
        if (r->nskipped_status)
            snprintf(why, sizeof why, "; %d more left out because their status is not \"ok\"",
                     r->nskipped_status);
        if (r->nskipped_bad) {
            size_t L = strlen(why);
            snprintf(why + L, sizeof why - L, "; %d more left out by --skip-bad-rows",
                     r->nskipped_bad);
        }
        return dw_error_set(DW_EDATA, "%s: %s needs at least %d row%s, %d left%s%s", r->path,
                            purpose, min_rows, min_rows == 1 ? "" : "s", r->n,
                            r->nrows_read == r->nrows_file ? "" : " after --where", why);
    }
    return DW_OK;
}

static int cmp_double_(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int ds_runs_widths(const DsRuns *r, double *w) {
    if (!r->has_width || r->n == 0) return 0;
    memcpy(w, r->width, sizeof(double) * (size_t)r->n);
    qsort(w, (size_t)r->n, sizeof *w, cmp_double_);
    int m = 0;
    for (int i = 0; i < r->n; i++)
        if (m == 0 || w[i] != w[m - 1]) w[m++] = w[i];
    return m;
}

int ds_runs_skipped_text(const DsRuns *r, char *buf, size_t size) {
    if (size) buf[0] = '\0';
    if (!r || !r->nskipped_bad || !size) return 0;
    int n = r->nskipped_bad, shown = n < DS_RUNS_BAD_LINES ? n : DS_RUNS_BAD_LINES;
    size_t L = (size_t)snprintf(buf, size, "%d row%s with a missing or bad value left out "
                                "(--skip-bad-rows): line%s", n, n == 1 ? "" : "s",
                                n == 1 ? "" : "s");
    for (int k = 0; k < shown && L < size; k++)
        L += (size_t)snprintf(buf + L, size - L, "%s%d", k ? ", " : " ", r->bad_lines[k]);
    if (n > shown && L < size) L += (size_t)snprintf(buf + L, size - L, " and %d more", n - shown);
    if (L < size) snprintf(buf + L, size - L, "; %s%s", n > 1 ? "the first: " : "", r->bad_first);
    return n;
}
