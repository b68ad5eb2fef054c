/* tests/test_probe_sweep.c — sweeps (probe/sweep.h): list syntax, grid and iso-FLOP plans,
 * refusal of impossible configs before any work, the results-file scan (resume), claim
 * files (O_EXCL, busy while the owner lives, stale after it dies, other hosts only after the
 * timeout), a sweep with two worker processes running every config exactly once and a
 * second sweep running none, and the Slurm script.
 */
#define _GNU_SOURCE /* mkdtemp, futimens times */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "common/dw.h"
#include "probe/sweep.h"

static char dir_[256];

static void test_lists_(void) {
    static const struct {
        const char *spec;
        int n;
        int first, last;
    } ok[] = {
        {"1-8", 8, 1, 8},         {"32,64,128", 3, 32, 128}, {"32-256x2", 4, 32, 256},
        {"2-10:4", 3, 2, 10},     {"4", 1, 4, 4},            {"1-3,2,8", 4, 1, 8},
        {"3-3", 1, 3, 3},         {"16-100x2", 3, 16, 64},
    };
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
        int *v = NULL, n = 0;
        int rc = probe_sweep_parse_list(ok[k].spec, &v, &n);
        int good = rc == DW_OK && n == ok[k].n && v[0] == ok[k].first && v[n - 1] == ok[k].last;
        if (!good) fprintf(stderr, "list '%s': rc %d n %d\n", ok[k].spec, rc, n);
        CHECK(good);
        free(v);
    }
    static const char *bad[] = {"", "a", "0", "5-3", "1-8x1", "1-8:0", "1,,2", "-3", "2-", "1.5",
                                "1-2000000"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        int *v = NULL, n = 0;
        int rc = probe_sweep_parse_list(bad[k], &v, &n);
        if (rc == DW_OK) fprintf(stderr, "list '%s' accepted\n", bad[k]);
        CHECK(rc != DW_OK && v == NULL && n == 0);
    }
}

static void base_(ProbeSweepConfig *c, const char *out) {
    probe_sweep_config_default(c);
    c->base.batch = 2;
    c->base.seq = 8;
    c->base.lr = 3e-3;
    c->base.val_batches = 1;
    c->base.synth_tokens = 1 << 16;
    c->depths = "1-2";
    c->widths = "16,32";
    c->tokens = 160;
    c->threads = 2;
    c->out = out;
    c->quiet = 1;
}

static void test_plan_(void) {
    ProbeSweepConfig c;
    ProbeSweepItem *it = NULL;
    int n = 0;
    base_(&c, "unused.jsonl");
    CHECK_STATUS(probe_sweep_plan(&c, 256, &it, &n));
    CHECK(n == 4 && it[0].depth == 1 && it[0].width == 16 && it[3].depth == 2 &&
          it[3].width == 32);
    CHECK(it[0].steps == 10 && it[0].tokens == 160);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < i; k++) CHECK(strcmp(it[i].key, it[k].key));
    free(it);
    /* iso-FLOP: every config gets C / (FLOPs per token) tokens, to within one step */
    c.tokens = 0;
    c.iso_flops = 3e9;
    CHECK_STATUS(probe_sweep_plan(&c, 256, &it, &n));
    for (int i = 0; i < n; i++) {
        double fpt = it[i].flops / it[i].tokens, step = 16 * fpt;
        CHECK(it[i].flops <= 3e9 && it[i].flops > 3e9 - step);
    }
    CHECK(it[0].tokens > it[3].tokens); /* the smallest model sees the most tokens */
    free(it);
    /* refusals name the config */
    c.iso_flops = 1e3;
    CHECK(probe_sweep_plan(&c, 256, &it, &n) == DW_EINVAL && it == NULL);
    CHECK(strstr(dw_error_get(), "depth 1 width 16") && strstr(dw_error_get(), "one step"));
    c.iso_flops = 0;
    c.tokens = 1e4;
    c.widths = "16,18";
    c.heads = 4;
    CHECK(probe_sweep_plan(&c, 256, &it, &n) == DW_EINVAL);
    CHECK(strstr(dw_error_get(), "width 18") != NULL);
    c.widths = "x";
    CHECK(probe_sweep_plan(&c, 256, &it, &n) == DW_EINVAL);
    CHECK(strstr(dw_error_get(), "--widths") != NULL);
}

static void test_scan_(void) {
    ProbeSweepConfig c;
    ProbeSweepItem *it = NULL;
    int n = 0, line[4], bad;
    double vl[4];
    char st[4][16], out[300];
    snprintf(out, sizeof out, "%s/scan.jsonl", dir_);
    base_(&c, out);
    CHECK_STATUS(probe_sweep_plan(&c, 256, &it, &n));
    CHECK_STATUS(probe_sweep_scan(&c, it, n, line, vl, st, &bad)); /* no file yet */
    CHECK(line[0] == -1 && line[3] == -1 && bad == 0);
    char rec[512];
    FILE *f = fopen(out, "w");
    /* config 1 done; config 2 in another dataset; a torn line; config 3 failed */
    snprintf(rec, sizeof rec, "{\"depth\":1,\"width\":32,\"heads\":%d,\"tokens\":160,\"seed\":1,"
             "\"batch\":2,\"seq_len\":8,\"dataset\":\"synthetic\",\"lr\":0.003,\"status\":\"ok\","
             "\"val_loss\":4.5}\n", it[1].heads);
    fputs(rec, f);
    fputs("{\"depth\":2,\"width\":16,\"heads\":1,\"tokens\":160,\"seed\":1,\"batch\":2,"
          "\"seq_len\":8,\"dataset\":\"shards/x\",\"lr\":0.003,\"status\":\"ok\"}\n", f);
    fputs("{\"depth\":2,\"width\":32,\"hea\n", f);
    fputs("{\"depth\":2,\"width\":32,\"heads\":1,\"tokens\":160,\"seed\":1,\"batch\":2,"
          "\"seq_len\":8,\"dataset\":\"synthetic\",\"lr\":0.003,\"status\":\"failed\"}\n", f);
    fclose(f);
    CHECK_STATUS(probe_sweep_scan(&c, it, n, line, vl, st, &bad));
    CHECK(line[0] == -1 && line[1] == 0 && line[2] == -1 && line[3] == 3 && bad == 1);
    CHECK(vl[1] == 4.5 && !strcmp(st[1], "ok") && !strcmp(st[3], "failed") && isnan(vl[3]));
    c.retry_failed = 1;
    CHECK_STATUS(probe_sweep_scan(&c, it, n, line, NULL, NULL, NULL));
    CHECK(line[3] == -1);
    c.retry_failed = 0;
    c.base.lr = 1e-3; /* another lr: nothing matches */
    CHECK_STATUS(probe_sweep_scan(&c, it, n, line, NULL, NULL, NULL));
    CHECK(line[1] == -1);
    free(it);
}

static void test_claims_(void) {
    char cd[300], path[400];
    ProbeClaim a, b;
    snprintf(cd, sizeof cd, "%s/claims", dir_);
    CHECK(probe_claim_acquire(cd, "k1", 0, &a) == PROBE_CLAIM_OK && !a.taken_over);
    CHECK(probe_claim_acquire(cd, "k1", 0, &b) == PROBE_CLAIM_BUSY); /* held (flock) */
    char *text = dw_read_file(a.path, NULL);
    char want[64];
    snprintf(want, sizeof want, "pid=%ld\n", (long)getpid());
    CHECK(text && strstr(text, "host=") && strstr(text, want) && strstr(text, "config=k1"));
    free(text);
    probe_claim_release(&a);
    CHECK(access(a.path, F_OK) != 0);
    probe_claim_release(&a); /* idempotent */
    /* a claim left by a dead process on this host is taken over */
    pid_t pid = fork();
    if (pid == 0) {
        ProbeClaim x;
        _exit(probe_claim_acquire(cd, "k2", 0, &x) == PROBE_CLAIM_OK ? 0 : 1); /* no release */
    }
    int ws;
    waitpid(pid, &ws, 0);
    CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    CHECK(probe_claim_acquire(cd, "k2", 0, &b) == PROBE_CLAIM_OK && b.taken_over);
    probe_claim_release(&b);
    /* another host's claim: busy, until it is older than the timeout */
    snprintf(path, sizeof path, "%s/k3.claim", cd);
    const char *other = "host=some-other-node\npid=1\ntime=2020-01-01T00:00:00Z\nconfig=k3\n";
    CHECK_STATUS(dw_write_file_atomic(path, other, strlen(other)));
    CHECK(probe_claim_acquire(cd, "k3", 0, &b) == PROBE_CLAIM_BUSY);
    CHECK(probe_claim_acquire(cd, "k3", 3600, &b) == PROBE_CLAIM_BUSY);
    struct timespec old[2] = {{time(NULL) - 7200, 0}, {time(NULL) - 7200, 0}};
    CHECK(utimensat(AT_FDCWD, path, old, 0) == 0);
    CHECK(probe_claim_acquire(cd, "k3", 0, &b) == PROBE_CLAIM_BUSY);
    CHECK(probe_claim_acquire(cd, "k3", 3600, &b) == PROBE_CLAIM_OK && b.taken_over);
    probe_claim_release(&b);
}

/* Every planned config has exactly one record in out. */
static int each_once_(const ProbeSweepConfig *c, int *nlines) {
    ProbeSweepItem *it = NULL;
    int n = 0, ok = 1;
    if (probe_sweep_plan(c, 256, &it, &n)) return 0;
    char *text = dw_read_file(c->out, NULL);
    if (!text) return 0;
    *nlines = 0;
    for (char *p = strtok(text, "\n"); p; p = strtok(NULL, "\n")) (*nlines)++;
    free(text);
    ProbeSweepConfig one = *c;
    for (int i = 0; i < n; i++) {
        /* n lines, each config matched by one: since a line matches at most one config,
           that is every config exactly once */
        int line;
        one.retry_failed = 0;
        ok &= probe_sweep_scan(&one, &it[i], 1, &line, NULL, NULL, NULL) == DW_OK && line >= 0;
    }
    free(it);
    return ok && *nlines == n;
}

static void test_sweep_run_(void) {
    ProbeSweepConfig c;
    ProbeSweepSummary s;
    char out[300], cd[400];
    int nl = 0;
    snprintf(out, sizeof out, "%s/sweep.jsonl", dir_);
    base_(&c, out);
    c.jobs = 2;
    CHECK_STATUS(probe_sweep_run(&c, &s));
    CHECK(s.planned == 4 && s.done == 0 && s.ran == 4 && s.ok == 4 && s.busy == 0);
    CHECK(each_once_(&c, &nl) && nl == 4);
    snprintf(cd, sizeof cd, "%s.claims", out);
    struct stat st;
    CHECK(stat(cd, &st) == 0 && S_ISDIR(st.st_mode));
    CHECK(rmdir(cd) == 0); /* empty: every claim was released */
    /* again: nothing to do */
    c.jobs = 1;
    CHECK_STATUS(probe_sweep_run(&c, &s));
    CHECK(s.planned == 4 && s.done == 4 && s.ran == 0);
    CHECK(each_once_(&c, &nl) && nl == 4);
    /* one more width: only its two configs run */
    c.widths = "16,32,24";
    CHECK_STATUS(probe_sweep_run(&c, &s));
    CHECK(s.planned == 6 && s.done == 4 && s.ran == 2);
    CHECK(each_once_(&c, &nl) && nl == 6);
    /* an array task runs its config only */
    c.depths = "3";
    c.widths = "16";
    c.array_index = 0;
    CHECK_STATUS(probe_sweep_run(&c, &s));
    CHECK(s.planned == 1 && s.ran == 1);
    c.array_index = 1;
    CHECK(probe_sweep_run(&c, &s) == DW_ERANGE);
}

static void test_slurm_(void) {
    ProbeSweepConfig c;
    char out[300], path[300];
    snprintf(out, sizeof out, "%s/sl.jsonl", dir_);
    snprintf(path, sizeof path, "%s/sweep.sbatch", dir_);
    base_(&c, out);
    char *args[] = {"--depths", "1-2", "--widths", "16,32", "--tokens", "160", "-o", out,
                    "--data", "it's"};
    c.base.data = NULL;
    CHECK_STATUS(probe_sweep_emit_slurm(&c, 256, path, "/opt/dwplan", args, 10));
    char *s = dw_read_file(path, NULL);
    CHECK(s && !strncmp(s, "#!/bin/bash\n", 12));
    CHECK(s && strstr(s, "#SBATCH --array=0-3\n") && strstr(s, "#SBATCH --cpus-per-task=2\n"));
    CHECK(s && strstr(s, "exec '/opt/dwplan' probe sweep '--depths' '1-2'"));
    CHECK(s && strstr(s, "'it'\\''s'"));
    CHECK(s && strstr(s, "--array-index \"$SLURM_ARRAY_TASK_ID\""));
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0111));
    free(s);
}

int main(void) {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir_, sizeof dir_, "%s/dwplan_probe_sweep_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir_)) {
        perror("mkdtemp");
        return 1;
    }
    test_lists_();
    test_plan_();
    test_scan_();
    test_claims_();
    test_sweep_run_();
    test_slurm_();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir_);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", dir_);
    return check_done("test_probe_sweep");
}
