/* fuzz/fuzz_runs.c — run tables (datasets/runs.h), built twice: fuzz_runs_csv
 * (FUZZ_RUNS_CSV: the input is runs.csv) and fuzz_runs_jsonl (FUZZ_RUNS_JSONL: runs.jsonl).
 * ds_runs_load takes a path, so the input is written to a file of that name first, then
 * loaded as `dwplan fit` does (every field, any bad row fails the load), with
 * skip_bad_rows, with --curves (when the text has "curve"), and (when the text has
 * "weight") with a --where filter and --weight.
 * Whatever loads goes through ds_runs_need, ds_runs_skipped_text and ds_runs_widths.
 * Seeds: fuzz/corpus/runs_csv/, fuzz/corpus/runs_jsonl/ (datasets/public, examples/runs,
 * tests/data/table). */
#include "fuzz/fuzz.h"

#include "common/dw.h"
#include "datasets/runs.h"

#if defined(FUZZ_RUNS_CSV)
#define RUNS_NAME "runs.csv"
#elif defined(FUZZ_RUNS_JSONL)
#define RUNS_NAME "runs.jsonl"
#else
#error "build fuzz_runs.c with FUZZ_RUNS_CSV or FUZZ_RUNS_JSONL"
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}

static void use_(const DsRuns *r) {
    char buf[512];
    double *w = malloc(((size_t)r->n + 1) * sizeof *w);
    if (!w) abort();
    int nw = ds_runs_widths(r, w);
    for (int i = 1; i < nw; i++)
        if (!(w[i - 1] < w[i])) abort(); /* distinct and ascending */
    free(w);
    (void)ds_runs_skipped_text(r, buf, sizeof buf);
    (void)ds_runs_need(r, DS_RUNS_BIT(DS_RUNS_LOSS),
                       DS_RUNS_BIT(DS_RUNS_PARAMS) | DS_RUNS_BIT(DS_RUNS_DEPTH), 3, "fitting");
    for (int i = 0; i < r->n; i++)
        if (r->group[i] < 0 || r->group[i] >= r->ngroups) abort();
    /* runs: ids in range, a run never spans two shapes, curves only with several rows */
    for (int i = 0; i < r->n; i++) {
        if (r->run[i] < 0 || r->run[i] >= r->nruns) abort();
        if (i > 0 && r->run[i] == r->run[i - 1] && r->group[i] != r->group[i - 1]) abort();
    }
    if (r->curves && (!r->run_explicit || r->nruns >= r->n)) abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t n) {
    char path[600];
    fuzz_path(RUNS_NAME, path, sizeof path);
    fuzz_write(path, data, n);

    DsRuns *r = NULL;
    if (ds_runs_load(path, NULL, &r) == DW_OK) use_(r);
    ds_runs_free(r);

    DsRunsOptions o = {0};
    o.skip_bad_rows = 1;
    r = NULL;
    if (ds_runs_load(path, &o, &r) == DW_OK) use_(r);
    ds_runs_free(r);

    /* run records' loss curves (--curves), when the text may hold one */
    if (memmem(data, n, "curve", 5)) {
        DsRunsOptions c = {.curves = 1};
        r = NULL;
        if (ds_runs_load(path, &c, &r) == DW_OK) {
            use_(r);
            /* a table with a tokens or flops column (or records a curve gave them) has one
             * on every row; a table with neither keeps its rows without (the callers say
             * what they need: ds_runs_need) */
            for (int i = 0; (r->has_tokens || r->has_flops || r->nexpanded) && i < r->n; i++)
                if (!(r->tokens[i] > 0) && !(r->flops[i] > 0)) abort();
        }
        ds_runs_free(r);
    }

    /* a --where filter and a --weight column, when the table may have one */
    static const char *const wheres[] = {"depth>1"};
    if (memmem(data, n, "weight", 6)) {
        o.wheres = wheres;
        o.nwhere = 1;
        o.weight = "weight";
        r = NULL;
        if (ds_runs_load(path, &o, &r) == DW_OK) use_(r);
        ds_runs_free(r);
    }
    return 0;
}
