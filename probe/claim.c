/* probe/claim.c — claim files of probe sweeps (protocol in claim.h). Design stance: a claim
 * only ever appears whole and locked (written, then linked), so an empty or unparsable claim
 * has no live writer and is taken over at once; takeovers replace the file by rename while
 * holding its lock, so two takers never both win.
 */
#define _GNU_SOURCE /* flock, gethostname */
#include "probe/claim.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <signal.h>

#include "common/dw.h"

#define CLAIM_MAX 1024 /* bytes of a claim file that are read */

typedef struct {
    char host[256];
    long pid;
    unsigned long long start;
    char boot[64];
    char time[40];
    int has_start;
} ClaimText;

static void host_(char *host, size_t n) {
    host[0] = '\0';
    if (gethostname(host, n - 1)) host[0] = '\0';
    host[n - 1] = '\0';
}

/* This boot's id ("" without /proc). */
static void boot_id_(char *buf, size_t n) {
    buf[0] = '\0';
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    if (!f) return;
    if (!fgets(buf, (int)n, f)) buf[0] = '\0';
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
}

/* The start time of process pid in clock ticks after boot (/proc/PID/stat field 22): 0, or
 * -1 when it cannot be read. */
static int proc_start_(long pid, unsigned long long *start) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t k = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[k] = '\0';
    char *p = strrchr(buf, ')'); /* "pid (comm) S ..." — comm may hold spaces and ')' */
    if (!p) return -1;
    p++;
    for (int field = 3; field <= 22; field++) { /* p is before field `field` */
        while (*p == ' ') p++;
        if (!*p) return -1;
        if (field == 22) {
            char *e;
            errno = 0;
            *start = strtoull(p, &e, 10);
            return e == p || errno ? -1 : 0;
        }
        p += strcspn(p, " ");
    }
    return -1;
}

static int write_claim_(int fd, const char *key) {
    char buf[CLAIM_MAX], host[256], boot[64], now[32], start[48] = "";
    unsigned long long st;
    host_(host, sizeof host);
    boot_id_(boot, sizeof boot);
    dw_utc_now(now);
    if (!proc_start_((long)getpid(), &st)) snprintf(start, sizeof start, "start=%llu\n", st);
    int len = snprintf(buf, sizeof buf, "host=%s\npid=%ld\n%s%s%s%stime=%s\nconfig=%s\n", host,
                       (long)getpid(), start, boot[0] ? "boot=" : "", boot, boot[0] ? "\n" : "",
                       now, key);
    if (len < 0 || len >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)len, 0) != len || fsync(fd)) {
        if (!errno) errno = EIO;
        return -1;
    }
    return 0;
}

/* Reads the claim on fd: 0 parsed, 1 empty, 2 unparsable (no host= or no pid= line),
 * -1 unreadable. */
static int claim_read_(int fd, ClaimText *t) {
    char buf[CLAIM_MAX];
    memset(t, 0, sizeof *t);
    ssize_t k = pread(fd, buf, sizeof buf - 1, 0);
    if (k < 0) return -1;
    if (k == 0) return 1;
    buf[k] = '\0';
    int have = 0;
    for (char *p = buf, *nl; *p; p = nl + 1) {
        nl = p + strcspn(p, "\n");
        int last = !*nl;
        *nl = '\0';
        char *e;
        if (!strncmp(p, "host=", 5) && p[5] && strlen(p + 5) < sizeof t->host) {
            strcpy(t->host, p + 5);
            have |= 1;
        } else if (!strncmp(p, "pid=", 4)) {
            errno = 0;
            t->pid = strtol(p + 4, &e, 10);
            if (e != p + 4 && !*e && !errno && t->pid > 0) have |= 2;
        } else if (!strncmp(p, "start=", 6)) {
            errno = 0;
            t->start = strtoull(p + 6, &e, 10);
            t->has_start = e != p + 6 && !*e && !errno;
        } else if (!strncmp(p, "boot=", 5)) {
            snprintf(t->boot, sizeof t->boot, "%s", p + 5);
        } else if (!strncmp(p, "time=", 5)) {
            snprintf(t->time, sizeof t->time, "%s", p + 5);
        }
        if (last) break;
    }
    return have == 3 ? 0 : 2;
}

/* "pid P on host H since T" */
static void owner_(const ClaimText *t, char *buf, size_t n) {
    snprintf(buf, n, "pid %ld on host %.100s%s%.39s", t->pid, t->host, t->time[0] ? " since " : "",
             t->time);
}

/* Whether the claim on fd belongs to nobody alive: 1 stale, 0 live; why (n bytes) says why
 * it is stale, or whose it is. */
static int claim_judge_(int fd, double timeout, char *why, size_t n) {
    ClaimText t;
    struct stat st;
    char host[256], boot[64], who[200];
    int r = claim_read_(fd, &t);
    if (r < 0 || fstat(fd, &st)) {
        snprintf(why, n, "a claim that cannot be read: %s", strerror(errno));
        return 0;
    }
    double age = difftime(time(NULL), st.st_mtime);
    if (r == 1) return snprintf(why, n, "empty (its writer died before writing it)"), 1;
    if (r == 2) return snprintf(why, n, "unparsable (no host= and pid= lines)"), 1;
    owner_(&t, who, sizeof who);
    if (timeout > 0 && age > timeout)
        return snprintf(why, n, "%s, untouched for %.0f s (--claim-timeout %g)", who, age,
                        timeout), 1;
    host_(host, sizeof host);
    if (strcmp(host, t.host))
        return snprintf(why, n, "a live claim by %s (another host: taken over only after "
                        "--claim-timeout seconds untouched)", who), 0;
    boot_id_(boot, sizeof boot);
    if (t.boot[0] && boot[0] && strcmp(t.boot, boot))
        return snprintf(why, n, "pid %ld on this host is from an earlier boot", t.pid), 1;
    if (t.pid == (long)getpid()) return snprintf(why, n, "a claim by this process (%s)", who), 0;
    int ps = dw_pid_state(t.pid);
    if (ps == 0) return snprintf(why, n, "pid %ld on host %.100s is gone", t.pid, t.host), 1;
    if (ps == 1) return snprintf(why, n, "pid %ld on host %.100s is a zombie", t.pid, t.host), 1;
    unsigned long long now_start;
    if (t.has_start && !proc_start_(t.pid, &now_start) && now_start != t.start)
        return snprintf(why, n, "pid %ld on host %.100s is another process now (its start "
                        "time is %llu, the claim's %llu)", t.pid, t.host, now_start, t.start), 1;
    return snprintf(why, n, "a live claim by %s", who), 0;
}

/* Whose is the locked claim on fd (for a busy answer). */
static void held_why_(int fd, char *why, size_t n) {
    ClaimText t;
    char who[200];
    if (claim_read_(fd, &t)) {
        snprintf(why, n, "a claim locked by a running process");
        return;
    }
    owner_(&t, who, sizeof who);
    snprintf(why, n, "a live claim by %s (running: it holds the lock)", who);
}

/* One look at the existing claim `path`: 1 taken over (tmp renamed over it), 0 busy,
 * 2 it changed meanwhile (look again), or a negative DW_EIO. */
static int take_over_(const char *path, const char *tmp, double timeout, char *why, size_t n) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return 2; /* released meanwhile */
        return dw_error_set(DW_EIO, "%s: cannot open: %s", path, strerror(errno));
    }
    if (flock(fd, LOCK_EX | LOCK_NB)) {
        int e = errno;
        if (e == EWOULDBLOCK) held_why_(fd, why, n);
        close(fd);
        if (e == EWOULDBLOCK) return 0;
        return dw_error_set(DW_EIO, "%s: cannot lock: %s", path, strerror(e));
    }
    /* under its lock nobody else replaces or removes it: is the name still this file? */
    struct stat a, b;
    if (fstat(fd, &a) || stat(path, &b) || a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
        close(fd);
        return 2;
    }
    if (!claim_judge_(fd, timeout, why, n)) {
        close(fd);
        return 0;
    }
    if (rename(tmp, path)) {
        int e = errno;
        close(fd);
        return dw_error_set(DW_EIO, "%s: cannot take over the stale claim: %s", path,
                            strerror(e));
    }
    close(fd);
    return 1;
}

int probe_claim_acquire(const char *dir, const char *key, double timeout, ProbeClaim *cl) {
    char tmp[4600], host[256];
    int rc = PROBE_CLAIM_BUSY;
    cl->fd = -1;
    cl->taken_over = 0;
    cl->why[0] = '\0';
    if (mkdir(dir, 0755) && errno != EEXIST)
        return dw_error_set(DW_EIO, "%s: cannot create the claims directory: %s", dir,
                            strerror(errno));
    host_(host, sizeof host);
    snprintf(cl->path, sizeof cl->path, "%s/%s.claim", dir, key);
    snprintf(tmp, sizeof tmp, "%s.tmp.%s.%ld", cl->path, host, (long)getpid());
    /* our claim, written and locked before anyone can see it */
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return dw_error_set(DW_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB)) {
        rc = dw_error_set(DW_EIO, "%s: cannot lock (claims need flock on --claims): %s", tmp,
                          strerror(errno));
        goto fail;
    }
    if (write_claim_(fd, key)) {
        rc = dw_error_set(DW_EIO, "%s: cannot write: %s", tmp, strerror(errno));
        goto fail;
    }
    for (int attempt = 0; attempt < 8; attempt++) {
        if (!link(tmp, cl->path)) {
            unlink(tmp);
            cl->fd = fd;
            return PROBE_CLAIM_OK;
        }
        if (errno != EEXIST) {
            rc = dw_error_set(DW_EIO, "%s: cannot link %s to it (claims need hard links on "
                              "--claims): %s", cl->path, tmp, strerror(errno));
            goto fail;
        }
        int r = take_over_(cl->path, tmp, timeout, cl->why, sizeof cl->why);
        if (r == 2) continue;
        if (r == 1) {
            cl->fd = fd;
            cl->taken_over = 1;
            return PROBE_CLAIM_OK;
        }
        rc = r ? r : PROBE_CLAIM_BUSY;
        goto fail;
    }
    snprintf(cl->why, sizeof cl->why, "a claim that kept changing while it was looked at");
fail:
    unlink(tmp);
    close(fd);
    return rc;
}

void probe_claim_touch(ProbeClaim *cl) {
    if (cl && cl->fd >= 0) futimens(cl->fd, NULL);
}

void probe_claim_release(ProbeClaim *cl) {
    if (!cl || cl->fd < 0) return;
    /* before the lock drops, so nobody takes over a claim being removed; and only when the
       name is still ours (not removed by hand and claimed again by someone else) */
    struct stat a, b;
    if (!fstat(cl->fd, &a) && !stat(cl->path, &b) && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
        unlink(cl->path);
    close(cl->fd);
    cl->fd = -1;
}

int probe_claim_inspect(const char *dir, const char *key, double timeout, char *why, size_t n) {
    char path[4200], buf[256];
    if (!why) why = buf, n = sizeof buf;
    why[0] = '\0';
    snprintf(path, sizeof path, "%s/%s.claim", dir, key);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return PROBE_CLAIM_NONE;
        return dw_error_set(DW_EIO, "%s: cannot open: %s", path, strerror(errno));
    }
    int st;
    if (flock(fd, LOCK_SH | LOCK_NB)) {
        int e = errno;
        if (e == EWOULDBLOCK) held_why_(fd, why, n);
        close(fd);
        if (e == EWOULDBLOCK) return PROBE_CLAIM_HELD;
        return dw_error_set(DW_EIO, "%s: cannot lock: %s", path, strerror(e));
    }
    st = claim_judge_(fd, timeout, why, n) ? PROBE_CLAIM_STALE : PROBE_CLAIM_LIVE;
    close(fd);
    return st;
}

void probe_claim_clean(const char *dir) {
    char host[256], path[4400];
    DIR *d = opendir(dir);
    if (!d) return;
    host_(host, sizeof host);
    size_t hl = strlen(host);
    for (struct dirent *e; (e = readdir(d));) {
        const char *t = strstr(e->d_name, ".claim.tmp.");
        if (!t) continue;
        t += strlen(".claim.tmp.");
        const char *dot = strrchr(t, '.');
        if (!dot || (size_t)(dot - t) != hl || strncmp(t, host, hl)) continue;
        char *end;
        errno = 0;
        long pid = strtol(dot + 1, &end, 10);
        if (end == dot + 1 || *end || errno || pid <= 0 || dw_pid_state(pid) == 2) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}
