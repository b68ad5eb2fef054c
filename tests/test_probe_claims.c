/* tests/test_probe_claims.c — sweep claims under damage and races (probe/claim.h): stale
 * claims (empty, unparsable, a dead pid, a reused pid) are taken over at once and say why;
 * live ones are busy and say whose; eight processes racing for one stale claim, released
 * at once, get it exactly once; probe_claim_inspect tells none / held / live / stale; a
 * released claim leaves no file behind, and temp files of dead processes are cleaned.
 */
#define _GNU_SOURCE /* mkdtemp, gethostname */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "common/dw.h"
#include "probe/claim.h"

static char dir_[256];
static char host_[256];

static void plant_(const char *key, const char *text) {
    char path[400];
    snprintf(path, sizeof path, "%s/%s.claim", dir_, key);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

/* Files in dir_ (the claims directory). */
static int nfiles_(void) {
    DIR *d = opendir(dir_);
    int n = 0;
    if (!d) return -1;
    for (struct dirent *e; (e = readdir(d));) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static long dead_pid_(void) {
    pid_t p = fork();
    if (p == 0) _exit(0);
    int ws;
    waitpid(p, &ws, 0);
    return (long)p;
}

static void test_stale_(void) {
    char text[512];
    long dead = dead_pid_();
    static const struct {
        const char *raw;   /* the whole text, or NULL: host=, pid= (who), then rest */
        int who;           /* 0: no pid line, 1: a dead pid, 2: the parent (alive) */
        const char *rest;
        const char *why;
    } stale[] = {
        {"", 0, "", "empty"},
        {"garbage\n", 0, "", "unparsable"},
        {NULL, 0, "", "unparsable"},
        {NULL, 1, "config=k\n", "is gone"},
        {NULL, 2, "start=1\nconfig=k\n", "another process now"},
        {NULL, 2, "boot=not-this-boot\n", "earlier boot"},
    };
    for (size_t k = 0; k < sizeof stale / sizeof stale[0]; k++) {
        ProbeClaim cl;
        char pid[64] = "";
        if (stale[k].who)
            snprintf(pid, sizeof pid, "pid=%ld\n", stale[k].who == 1 ? dead : (long)getppid());
        if (stale[k].raw) snprintf(text, sizeof text, "%s", stale[k].raw);
        else snprintf(text, sizeof text, "host=%s\n%s%s", host_, pid, stale[k].rest);
        plant_("s", text);
        CHECK(probe_claim_inspect(dir_, "s", 0, NULL, 0) == PROBE_CLAIM_STALE);
        int rc = probe_claim_acquire(dir_, "s", 0, &cl);
        int good = rc == PROBE_CLAIM_OK && cl.taken_over && strstr(cl.why, stale[k].why);
        if (!good) fprintf(stderr, "stale %zu: rc %d taken_over %d why '%s'\n", k, rc,
                           cl.taken_over, cl.why);
        CHECK(good);
        /* the claim is ours now: busy for anyone else, and it says this pid */
        ProbeClaim other;
        char want[64];
        snprintf(want, sizeof want, "pid %ld", (long)getpid());
        CHECK(probe_claim_acquire(dir_, "s", 0, &other) == PROBE_CLAIM_BUSY &&
              strstr(other.why, want));
        CHECK(probe_claim_inspect(dir_, "s", 0, NULL, 0) == PROBE_CLAIM_HELD);
        probe_claim_release(&cl);
        CHECK(nfiles_() == 0); /* no claim, no temp */
    }
}

static void test_live_(void) {
    char text[512], why[384];
    ProbeClaim cl;
    /* the parent (alive, unlocked, no start time: the pid decides) */
    snprintf(text, sizeof text, "host=%s\npid=%ld\ntime=2020-01-01T00:00:00Z\n", host_,
             (long)getppid());
    plant_("l", text);
    CHECK(probe_claim_acquire(dir_, "l", 0, &cl) == PROBE_CLAIM_BUSY);
    snprintf(text, sizeof text, "pid %ld on host %s since 2020-01-01T00:00:00Z",
             (long)getppid(), host_);
    CHECK(strstr(cl.why, text) != NULL);
    CHECK(probe_claim_inspect(dir_, "l", 0, why, sizeof why) == PROBE_CLAIM_LIVE &&
          strstr(why, text));
    CHECK(probe_claim_inspect(dir_, "none", 0, why, sizeof why) == PROBE_CLAIM_NONE);
    /* another host: live without a timeout, stale with one when untouched */
    plant_("l", "host=other.invalid\npid=1\n");
    CHECK(probe_claim_acquire(dir_, "l", 0, &cl) == PROBE_CLAIM_BUSY &&
          strstr(cl.why, "pid 1 on host other.invalid"));
    CHECK(probe_claim_acquire(dir_, "l", 1e6, &cl) == PROBE_CLAIM_BUSY);
    char path[400];
    snprintf(path, sizeof path, "%s/l.claim", dir_);
    unlink(path);
    CHECK(nfiles_() == 0);
}

/* Eight processes race for one stale claim: exactly one gets it. */
static void test_race_(const char *text) {
    enum { NW = 8 };
    int go[2], res[2], hold[2];
    pid_t pids[NW];
    plant_("r", text);
    CHECK(pipe(go) == 0 && pipe(res) == 0 && pipe(hold) == 0);
    for (int w = 0; w < NW; w++) {
        if ((pids[w] = fork()) == 0) {
            char c;
            close(go[1]);
            close(hold[1]);
            if (read(go[0], &c, 1) != 1) _exit(2);
            ProbeClaim cl;
            int rc = probe_claim_acquire(dir_, "r", 0, &cl);
            c = rc == PROBE_CLAIM_OK ? 'O' : rc == PROBE_CLAIM_BUSY ? 'B' : 'E';
            if (write(res[1], &c, 1) != 1) _exit(2);
            (void)!read(hold[0], &c, 1); /* keep it until every racer has tried */
            probe_claim_release(&cl);
            _exit(0);
        }
    }
    close(go[0]);
    close(hold[0]);
    close(res[1]);
    char all[NW] = {0};
    memset(all, 'x', NW);
    if (write(go[1], all, NW) != NW) CHECK(0); /* start them together */
    int got = 0, ok = 0, busy = 0;
    for (char c; got < NW && read(res[0], &c, 1) == 1; got++) {
        ok += c == 'O';
        busy += c == 'B';
    }
    close(hold[1]);
    for (int w = 0; w < NW; w++) waitpid(pids[w], NULL, 0);
    close(go[1]);
    close(res[0]);
    if (ok != 1) fprintf(stderr, "race on '%.20s': %d of %d got the claim\n", text, ok, NW);
    CHECK(got == NW && ok == 1 && busy == NW - 1);
    CHECK(nfiles_() == 0);
}

static void test_clean_(void) {
    char path[600];
    long dead = dead_pid_();
    snprintf(path, sizeof path, "%s/k.claim.tmp.%s.%ld", dir_, host_, dead);
    FILE *f = fopen(path, "w");
    if (f) fclose(f);
    snprintf(path, sizeof path, "%s/k.claim.tmp.%s.%ld", dir_, host_, (long)getpid());
    if ((f = fopen(path, "w"))) fclose(f);
    snprintf(path, sizeof path, "%s/k.claim.tmp.other.invalid.%ld", dir_, dead);
    if ((f = fopen(path, "w"))) fclose(f);
    CHECK(nfiles_() == 3);
    probe_claim_clean(dir_);
    CHECK(nfiles_() == 2); /* the dead one of this host only */
    CHECK(access(path, F_OK) == 0);
    unlink(path);
    snprintf(path, sizeof path, "%s/k.claim.tmp.%s.%ld", dir_, host_, (long)getpid());
    CHECK(access(path, F_OK) == 0);
    unlink(path);
}

int main(void) {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir_, sizeof dir_, "%s/dwplan_claims_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir_)) {
        perror("mkdtemp");
        return 1;
    }
    if (gethostname(host_, sizeof host_ - 1)) return 77;
    if (access("/proc/self/stat", R_OK)) {
        fprintf(stderr, "test_probe_claims: no /proc\n");
        return 77;
    }
    test_stale_();
    test_live_();
    char text[512];
    for (int round = 0; round < 10; round++) {
        test_race_("");
        snprintf(text, sizeof text, "host=%s\npid=%ld\n", host_, dead_pid_());
        test_race_(text);
    }
    test_clean_();
    rmdir(dir_);
    return check_done("test_probe_claims");
}
