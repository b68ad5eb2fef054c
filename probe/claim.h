/* probe/claim.h — claim files of probe sweeps (probe/sweep.h): keep two live workers, on one
 * host or on several sharing a file system, off one config.
 *
 * A claim is CLAIMS/KEY.claim holding "host=H\npid=P\nstart=S\nboot=B\ntime=T\nconfig=KEY\n"
 * (start: the owner's start time in clock ticks after boot, /proc/PID/stat field 22; boot:
 * /proc/sys/kernel/random/boot_id; both left out where there is no /proc). The owner writes it
 * into KEY.claim.tmp.HOST.PID, takes an exclusive flock on it and only then links it to
 * KEY.claim (link fails when the name exists), so no process ever sees a claim that is empty,
 * half written or unlocked while its owner lives; the owner holds the lock until it removes
 * the claim.
 *
 * Stale claims are taken over at once: one that is empty or unparsable (a writer killed
 * before this protocol, or a damaged file), or whose owner is on this host and gone (kill(pid,
 * 0) says ESRCH, a zombie, another boot, or a pid now used by a process with another start
 * time). A claim from another host is stale only when --claim-timeout is set and its file has
 * not been touched for that long (owners touch theirs every 60 s). A taker first locks the
 * stale file and checks that the name still points to it, then renames its own written,
 * locked temp file over it: of two workers racing for one stale claim only one gets the lock,
 * and the other finds the name replaced, so a config never runs twice.
 */
#ifndef PROBE_CLAIM_H
#define PROBE_CLAIM_H

#include <stddef.h>

typedef struct {
    int fd;               /* open, flocked claim file; -1 when not held */
    int taken_over;       /* 1: the claim was stale and is now ours */
    char why[384];        /* taken over: why it was stale ("empty ..."); busy: whose it is
                             ("a live claim by pid 12 on host n1 since 2024-...") */
    char path[4200];
} ProbeClaim;

enum { PROBE_CLAIM_OK = 0, PROBE_CLAIM_BUSY = 1 };

/* Tries to claim `key` in directory `dir` (created when missing); timeout as claim_timeout
 * (0: claims of other hosts never go stale).
 * Return: PROBE_CLAIM_OK (*cl holds it; cl->taken_over and cl->why say whether it replaced a
 * stale one), PROBE_CLAIM_BUSY (a live owner holds it: cl->why says whose), or a negative
 * DW_EIO when the directory or file cannot be used, or the file system has no hard links or
 * no flock (message names the path). */
int probe_claim_acquire(const char *dir, const char *key, double timeout, ProbeClaim *cl);
/* Touches the claim (heartbeat for claim_timeout). */
void probe_claim_touch(ProbeClaim *cl);
/* Removes the claim file (when the name is still ours) and drops the lock; NULL-safe,
 * idempotent. */
void probe_claim_release(ProbeClaim *cl);

enum {
    PROBE_CLAIM_NONE = 0, /* no claim file */
    PROBE_CLAIM_HELD,     /* locked by a running owner (on this host, or where locks are shared) */
    PROBE_CLAIM_LIVE,     /* not locked, but its owner is judged alive (another host, a live pid) */
    PROBE_CLAIM_STALE     /* the next probe_claim_acquire takes it over */
};

/* What the claim of `key` is, without taking it (it is locked shared for a moment: an
 * acquire racing with this call may find it busy). why (n bytes, may be NULL) gets whose it
 * is or why it is stale.
 * Return: one of PROBE_CLAIM_NONE..STALE, or a negative DW_EIO (message names the path). */
int probe_claim_inspect(const char *dir, const char *key, double timeout, char *why, size_t n);

/* Removes the temp files KEY.claim.tmp.HOST.PID of this host's processes that are gone
 * (killed between writing their claim and linking it). Errors are ignored. */
void probe_claim_clean(const char *dir);

#endif
