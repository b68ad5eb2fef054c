/* tests/test_runs_skip.c — datasets/runs.c's row checks under skip_bad_rows (issue 12, case
 * 14): a row with a missing, NaN, non-numeric or non-positive value in a used column, a row
 * with neither tokens nor FLOPs, or bad gradient norms is an error naming file, line and
 * column without the option, and is left out and counted (first lines kept) with it; a
 * value in a column the caller does not use never counts; --map fields must be known; a
 * ';'-delimited file gets a hint.
 *
 * | case                                  | without skip_bad_rows      | with it               |
 * |---------------------------------------|----------------------------|-----------------------|
 * | loss "nan", width empty, tokens "abc" | DW_EPARSE, file:line:col   | left out, counted     |
 * | neither tokens nor flops              | DW_EPARSE                  | left out              |
 * | grad_norms [0.1, -1] (JSONL)          | DW_EPARSE                  | left out, no leak     |
 * | bad params, params not used (fields)  | kept                       | kept, not counted     |
 * | duplicate rows                        | DW_EPARSE                  | still DW_EPARSE       |
 * | a JSONL line torn mid-record (crash)  | DW_EPARSE, file:line, hint | left out, counted     |
 */
#define _GNU_SOURCE /* mkdtemp */
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "common/dw.h"
#include "datasets/runs.h"

static char dir_[64];

static const char *write_(const char *name, const char *text, char *path, size_t n) {
    snprintf(path, n, "%s/%s", dir_, name);
    FILE *f = fopen(path, "w");
    if (!f) return path;
    fputs(text, f);
    fclose(f);
    return path;
}

static int has_(const char *s, const char *sub) { return s && strstr(s, sub) != NULL; }

static void test_csv(void) {
    char p[128], text[128];
    DsRuns *r = NULL;
    write_("bad.csv",
           "depth,width,params,tokens,flops,loss\n"
           "2,64,1e6,1e8,,3.1\n"     /* line 2: ok */
           "4,64,2e6,1e8,,nan\n"     /* 3: NaN loss */
           "2,,4e6,1e8,,2.7\n"       /* 4: empty width */
           "4,128,8e6,abc,,2.5\n"    /* 5: tokens not a number */
           "8,128,1.6e7,,,2.3\n"     /* 6: neither tokens nor flops */
           "8,64,-4,1e8,,2.8\n"      /* 7: params negative */
           "2,128,4e6,1e8,,2.6\n"    /* 8: ok */
           "4,128,8e6,1e8,,0\n",     /* 9: loss 0 (enters a logarithm) */
           p, sizeof p);
    CHECK(ds_runs_load(p, NULL, &r) == DW_EPARSE && !r);
    CHECK(has_(dw_error_get(), "bad.csv:3: column 'loss'"));
    CHECK(has_(dw_error_get(), "--skip-bad-rows"));

    DsRunsOptions o = {.skip_bad_rows = 1};
    CHECK_STATUS(ds_runs_load(p, &o, &r));
    if (r) {
        CHECK(r->n == 2 && r->nskipped_bad == 6);
        CHECK(r->line[0] == 2 && r->line[1] == 8);
        const int want[6] = {3, 4, 5, 6, 7, 9};
        for (int k = 0; k < 6; k++) CHECK(r->bad_lines[k] == want[k]);
        CHECK(has_(r->bad_first, "bad.csv:3: column 'loss'"));
        CHECK(ds_runs_skipped_text(r, text, sizeof text) == 6);
        CHECK(has_(text, "6 rows") && has_(text, "lines 3, 4, 5, 6, 7, 9"));
        CHECK(strlen(text) < sizeof text); /* truncated, terminated */
        /* too few rows: the message counts the rows left out */
        CHECK(ds_runs_need(r, 0, 0, 5, "fitting") == DW_EDATA);
        CHECK(has_(dw_error_get(), "6 more left out by --skip-bad-rows"));
        ds_runs_free(r);
        r = NULL;
    }
    /* params not used: line 7 is kept and nothing about params is counted */
    DsRunsOptions np = {.skip_bad_rows = 1, .fields = ~DS_RUNS_BIT(DS_RUNS_PARAMS)};
    CHECK_STATUS(ds_runs_load(p, &np, &r));
    if (r) {
        CHECK(r->n == 3 && r->nskipped_bad == 5 && r->line[1] == 7);
        ds_runs_free(r);
        r = NULL;
    }
    /* more than DS_RUNS_BAD_LINES: the first ones and "and N more" */
    char big[2048] = "depth,width,tokens,loss\n";
    for (int k = 0; k < 12; k++) strcat(big, "2,64,1e8,nan\n");
    strcat(big, "2,64,1e8,3\n");
    CHECK_STATUS(ds_runs_load(write_("many.csv", big, p, sizeof p), &o, &r));
    if (r) {
        char t[400];
        CHECK(r->n == 1 && r->nskipped_bad == 12);
        CHECK(ds_runs_skipped_text(r, t, sizeof t) == 12);
        CHECK(has_(t, "lines 2, 3, 4, 5, 6, 7, 8, 9 and 4 more"));
        ds_runs_free(r);
        r = NULL;
    }
    /* duplicates are not bad cells: still refused */
    write_("dup.csv", "depth,width,tokens,loss\n2,64,1e8,3\n2,64,1e8,3\n", p, sizeof p);
    CHECK(ds_runs_load(p, &o, &r) == DW_EPARSE && !r);
    CHECK(has_(dw_error_get(), "duplicate"));
}

static void test_jsonl_grad(void) {
    char p[128];
    DsRuns *r = NULL;
    write_("g.jsonl",
           "{\"depth\":2,\"width\":64,\"tokens\":1e8,\"loss\":3,\"grad_norms\":[0.1,0.2]}\n"
           "{\"depth\":3,\"width\":64,\"tokens\":1e8,\"loss\":3,\"grad_norms\":[0.1,-1,0.3]}\n"
           "{\"depth\":4,\"width\":64,\"tokens\":1e8,\"loss\":3,\"grad_norms\":\"x\"}\n"
           "{\"depth\":5,\"width\":64,\"tokens\":1e8,\"loss\":2.9,"
           "\"grad_norms\":[0.1,0.2,0.3,0.4,0.5]}\n",
           p, sizeof p);
    CHECK(ds_runs_load(p, NULL, &r) == DW_EPARSE && !r);
    CHECK(has_(dw_error_get(), "g.jsonl:2: column 'grad_norms'"));
    DsRunsOptions o = {.skip_bad_rows = 1};
    CHECK_STATUS(ds_runs_load(p, &o, &r));
    if (r) {
        CHECK(r->n == 2 && r->nskipped_bad == 2 && r->bad_lines[0] == 2 && r->bad_lines[1] == 3);
        CHECK(r->ngrad[0] == 2 && r->ngrad[1] == 5 && r->grad[1] && r->grad[1][4] == 0.5);
        ds_runs_free(r);
    }
}

/* A record cut short mid-file (a crash of an older writer, then appends after it): the file
 * still reads with skip_bad_rows, the torn line counted with the bad rows; without it the
 * error names the line and the option (issue 14: the whole file no longer read). */
static void test_jsonl_torn(void) {
    char p[128];
    DsRuns *r = NULL;
    write_("torn.jsonl",
           "{\"depth\":2,\"width\":64,\"tokens\":1e8,\"loss\":3}\n"
           "{\"depth\":3,\"width\":64,\"tok\n"
           "{\"depth\":4,\"width\":64,\"tokens\":1e8,\"loss\":2.9}\n"
           "{\"depth\":5,\"wi\n"
           "{\"depth\":6,\"width\":64,\"tokens\":1e8,\"loss\":2.8}\n",
           p, sizeof p);
    CHECK(ds_runs_load(p, NULL, &r) == DW_EPARSE && !r);
    CHECK(has_(dw_error_get(), "torn.jsonl:2: invalid JSON") &&
          has_(dw_error_get(), "2 such lines") && has_(dw_error_get(), "--skip-bad-rows"));
    DsRunsOptions o = {.skip_bad_rows = 1};
    CHECK_STATUS(ds_runs_load(p, &o, &r));
    if (r) {
        CHECK(r->n == 3 && r->nskipped_bad == 2 && r->bad_lines[0] == 2 && r->bad_lines[1] == 4);
        CHECK(r->depth[0] == 2 && r->depth[1] == 4 && r->depth[2] == 6);
        CHECK(has_(r->bad_first, "torn.jsonl:2: invalid JSON"));
        ds_runs_free(r);
    }
}

static void test_map_and_dialect(void) {
    char p[128];
    DsRuns *r = NULL;
    write_("a.csv", "depth,width,tokens,loss\n2,64,1e8,3\n4,64,1e8,2.9\n", p, sizeof p);
    DsRunsOptions m = {.maps = "los=loss"};
    CHECK(ds_runs_load(p, &m, &r) == DW_EINVAL && !r);
    CHECK(has_(dw_error_get(), "unknown field 'los'") && has_(dw_error_get(), "grad_norms"));
    DsRunsOptions ok = {.maps = " loss = loss ,, width=width"};
    CHECK_STATUS(ds_runs_load(p, &ok, &r));
    ds_runs_free(r);
    r = NULL;
    write_("semi.csv", "depth;width;tokens;loss\n2;64;1e8;3,1\n4;64;1e8;2,9\n", p, sizeof p);
    CHECK(ds_runs_load(p, NULL, &r) == DW_EPARSE && !r);
    CHECK(has_(dw_error_get(), "semi.csv: looks like ';'-delimited"));
    write_("plain.csv", "depth;width;tokens;loss\n2;64;1e8;3\n4;64;1e8;2.9\n", p, sizeof p);
    CHECK(ds_runs_load(p, NULL, &r) == DW_EPARSE && !r);
    CHECK(has_(dw_error_get(), "plain.csv: looks like ';'-delimited: column 1"));
    write_("tabs.csv", "depth\twidth\ttokens\tloss\n2\t64\t1e8\t3\n", p, sizeof p);
    CHECK(ds_runs_load(p, NULL, &r) == DW_EPARSE && !r);
    CHECK(has_(dw_error_get(), "looks like tab-delimited"));
}

int main(void) {
    gsl_set_error_handler_off();
    snprintf(dir_, sizeof dir_, "/tmp/test_runs_skip_XXXXXX");
    if (!mkdtemp(dir_)) {
        perror("mkdtemp");
        return 1;
    }
    test_csv();
    test_jsonl_grad();
    test_jsonl_torn();
    test_map_and_dialect();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir_);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir_);
    return check_done("test_runs_skip");
}
