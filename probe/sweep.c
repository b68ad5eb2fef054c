/* probe/sweep.c — sweeps: plan, resume, claims, local workers, Slurm arrays (protocol in
 * sweep.h). Design stance: the results file is the only truth about what is done; claims
 * only keep two live workers off one config, so losing a claim file never loses a result.
 */
#define _GNU_SOURCE /* flock, gethostname, prctl */
#include "probe/sweep.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "common/dw.h"
#include "common/dwfmt.h"
#include "kernels/kern.h"
#include "datasets/shards.h"
#include "planner/count.h"

#define MAX_LIST 4096
#define HEARTBEAT_S 60.0

void probe_sweep_config_default(ProbeSweepConfig *c) {
    memset(c, 0, sizeof *c);
    probe_run_config_default(&c->base);
    c->jobs = 1;
    c->array_index = -1;
}

static int online_cpus_(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

// ----------------------------------------------------------------------------
// lists

static int push_(int **v, int *n, long x) {
    if (x < 1 || x > 1000000) return dw_error_set(DW_ERANGE, "list value %ld is outside 1..10^6", x);
    for (int k = 0; k < *n; k++)
        if ((*v)[k] == x) return DW_OK;
    if (*n >= MAX_LIST) return dw_error_set(DW_ERANGE, "more than %d values in a list", MAX_LIST);
    (*v)[(*n)++] = (int)x;
    return DW_OK;
}

static int parse_long_(const char *s, const char *end, long *out) {
    char buf[32];
    size_t len = (size_t)(end - s);
    if (len == 0 || len >= sizeof buf) return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *e;
    errno = 0;
    long x = strtol(buf, &e, 10);
    if (*e || errno || buf[0] == '-' || buf[0] == '+') return -1;
    *out = x;
    return 0;
}

int probe_sweep_parse_list(const char *spec, int **vals, int *n) {
    *vals = NULL;
    *n = 0;
    if (!spec || !*spec) return dw_error_set(DW_EINVAL, "empty list");
    int *v = malloc(sizeof(int) * MAX_LIST), rc = DW_OK;
    if (!v) return dw_error_set(DW_ENOMEM, "out of memory");
    const char *p = spec;
    while (rc == DW_OK) {
        const char *end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        const char *dash = memchr(p, '-', (size_t)(end - p));
        long a, b, step = 1, factor = 0;
        if (!dash) {
            if (parse_long_(p, end, &a)) goto bad;
            rc = push_(&v, n, a);
        } else {
            const char *colon = memchr(dash, ':', (size_t)(end - dash));
            const char *x = memchr(dash, 'x', (size_t)(end - dash));
            const char *bend = colon ? colon : x ? x : end;
            if (parse_long_(p, dash, &a) || parse_long_(dash + 1, bend, &b)) goto bad;
            if (colon && (parse_long_(colon + 1, end, &step) || step < 1)) goto bad;
            if (x && (parse_long_(x + 1, end, &factor) || factor < 2)) goto bad;
            if (a < 1 || b < a || b > 1000000) {
                rc = dw_error_set(DW_ERANGE, "list item '%.*s': need 1 <= A <= B <= 10^6",
                                  (int)(end - p), p);
                break;
            }
            for (long k = a; k <= b && rc == DW_OK; k = factor ? k * factor : k + step)
                rc = push_(&v, n, k);
        }
        if (!*end) break;
        p = end + 1;
        continue;
    bad:
        rc = dw_error_set(DW_EINVAL, "list item '%.*s' is not N, A-B, A-B:STEP or A-BxFACTOR "
                          "(in '%s')", (int)(end - p), p, spec);
    }
    if (rc) {
        free(v);
        *n = 0;
        return rc;
    }
    *vals = v;
    return DW_OK;
}

// ----------------------------------------------------------------------------
// plan

static const char *dataset_(const ProbeSweepConfig *c) {
    return c->base.data ? c->base.data : "synthetic";
}

static int worker_threads_(const ProbeSweepConfig *c) {
    int total = c->threads > 0 ? c->threads : online_cpus_();
    int jobs = c->array_index >= 0 ? 1 : (c->jobs > 0 ? c->jobs : 1);
    return total / jobs > 1 ? total / jobs : 1;
}

/* A token budget (r->tokens, from --tokens or --iso-flops C at fpt FLOPs per token) smaller
 * than one step of batch × seq: say so with the budget that would buy one step, and --steps
 * as the other way out. DW_OK when the budget buys a step (or --steps sets the count). */
static int budget_check_(const ProbeSweepConfig *c, const ProbeRunConfig *r, double fpt) {
    double per_step = (double)r->batch * r->seq;
    char a[32], b[32];
    if (r->steps > 0 || !(per_step > 0) || !(r->tokens < per_step)) return DW_OK;
    if (c->iso_flops > 0) {
        /* one step's FLOPs, rounded up at three significant digits so the advice suffices */
        double need = fpt * per_step, sc = pow(10, floor(log10(need)) - 2);
        need = ceil(need * (1 + 1e-9) / sc) * sc;
        return dw_error_set(DW_EINVAL, "--iso-flops %s buys %.6g tokens, less than one step of "
                            "%d×%d = %.0f tokens: give --iso-flops %s or more, or --steps S "
                            "(tokens = S·%d·%d)", dw_fmt_sci_short(c->iso_flops, a, sizeof a),
                            r->tokens, r->batch, r->seq, per_step,
                            dw_fmt_sci_short(need, b, sizeof b), r->batch, r->seq);
    }
    return dw_error_set(DW_EINVAL, "a budget of %s tokens is less than one step of %d×%d = %.0f "
                        "tokens: give --tokens %.0f or more, or --steps S (tokens = S·%d·%d)",
                        dw_fmt_count(r->tokens, a, sizeof a), r->batch, r->seq, per_step,
                        per_step, r->batch, r->seq);
}

int probe_sweep_plan(const ProbeSweepConfig *c, int vocab, ProbeSweepItem **items, int *n) {
    int *dv = NULL, *wv = NULL, nd = 0, nw = 0, rc;
    ProbeSweepItem *it = NULL;
    *items = NULL;
    *n = 0;
    if (c->tokens > 0 && c->iso_flops > 0)
        return dw_error_set(DW_EINVAL, "give --tokens or --iso-flops, not both");
    if (!(c->tokens > 0) && !(c->iso_flops > 0) && !(c->base.steps > 0))
        return dw_error_set(DW_EINVAL, "give a budget per config: --tokens T or --iso-flops C");
    if ((rc = probe_sweep_parse_list(c->depths, &dv, &nd)) ||
        (rc = probe_sweep_parse_list(c->widths, &wv, &nw))) {
        dw_error_prefix(rc, "%s", dv ? "--widths" : "--depths");
        goto out;
    }
    if (!(it = calloc((size_t)nd * nw, sizeof *it))) {
        rc = dw_error_set(DW_ENOMEM, "out of memory");
        goto out;
    }
    int jobs = c->array_index >= 0 ? 1 : (c->jobs > 0 ? c->jobs : 1);
    size_t avail = c->base.mem_limit ? c->base.mem_limit : probe_mem_available();
    char hash[65];
    dw_sha256(dataset_(c), strlen(dataset_(c)), hash);
    for (int i = 0; i < nd; i++)
        for (int k = 0; k < nw; k++) {
            ProbeSweepItem *x = &it[i * nw + k];
            ProbeRunConfig r = c->base;
            ProbeRunResult p;
            r.model.depth = dv[i];
            r.model.width = wv[k];
            r.model.heads = c->heads;
            r.tokens = c->tokens;
            if (avail) r.mem_limit = avail / (size_t)jobs;
            double fpt = NAN;
            if (c->iso_flops > 0) {
                /* tokens = C / FLOPs per token; the FLOPs per token from a 1-token plan */
                r.tokens = 1e300;
                r.steps = 1;
                r.mem_limit = (size_t)-1;
                if ((rc = probe_run_plan(&r, vocab, &p))) goto bad;
                fpt = p.flops / p.tokens;
                r.tokens = c->iso_flops / fpt;
                r.steps = 0;
                r.mem_limit = avail ? avail / (size_t)jobs : 0;
            }
            if ((rc = budget_check_(c, &r, fpt)) || (rc = probe_run_plan(&r, vocab, &p))) goto bad;
            x->depth = dv[i];
            x->width = wv[k];
            x->heads = p.model.heads;
            x->steps = p.steps;
            x->tokens = p.tokens;
            x->flops = p.flops;
            x->memory_bytes = p.memory_bytes;
            snprintf(x->key, sizeof x->key, "d%d-w%d-h%d-t%.0f-s%llu-b%d-T%d-lr%g-%.6s",
                     x->depth, x->width, x->heads, x->tokens,
                     (unsigned long long)c->base.seed, c->base.batch, c->base.seq, c->base.lr,
                     hash);
            continue;
        bad:
            dw_error_prefix(rc, "config depth %d width %d%s", dv[i], wv[k],
                            jobs > 1 && rc == DW_ENOMEM ? " (memory for one of the --jobs)" : "");
            goto out;
        }
    *items = it;
    *n = nd * nw;
    it = NULL;
    rc = DW_OK;
out:
    free(it);
    free(dv);
    free(wv);
    return rc;
}

// ----------------------------------------------------------------------------
// the results file

static int jnum_eq_(const cJSON *r, const char *k, double want) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(r, k);
    return cJSON_IsNumber(x) && x->valuedouble == want;
}

static int matches_(const cJSON *r, const ProbeSweepConfig *c, const ProbeSweepItem *it) {
    const cJSON *ds = cJSON_GetObjectItemCaseSensitive(r, "dataset");
    const cJSON *lr = cJSON_GetObjectItemCaseSensitive(r, "lr");
    return jnum_eq_(r, "depth", it->depth) && jnum_eq_(r, "width", it->width) &&
           jnum_eq_(r, "heads", it->heads) && jnum_eq_(r, "tokens", it->tokens) &&
           jnum_eq_(r, "seed", (double)c->base.seed) && jnum_eq_(r, "batch", c->base.batch) &&
           jnum_eq_(r, "seq_len", c->base.seq) && cJSON_IsString(ds) &&
           !strcmp(ds->valuestring, dataset_(c)) && cJSON_IsNumber(lr) &&
           fabs(lr->valuedouble - c->base.lr) <= 1e-9 * c->base.lr;
}

int probe_sweep_scan(const ProbeSweepConfig *c, const ProbeSweepItem *items, int n, int *line,
                     double *val_loss, char (*status)[16], int *bad_lines) {
    for (int i = 0; i < n; i++) {
        line[i] = -1;
        if (val_loss) val_loss[i] = NAN;
        if (status) status[i][0] = '\0';
    }
    if (bad_lines) *bad_lines = 0;
    if (access(c->out, F_OK)) return DW_OK;
    size_t len;
    char *text = dw_read_file(c->out, &len);
    if (!text) return DW_EIO;
    int ln = 0;
    char *p = text;
    (void)len;
    while (*p) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = '\0';
        const char *q = p;
        while (*q == ' ' || *q == '\t' || *q == '\r') q++;
        if (*q) {
            cJSON *r = cJSON_Parse(p);
            if (!cJSON_IsObject(r)) {
                if (bad_lines) (*bad_lines)++;
            } else {
                const cJSON *st = cJSON_GetObjectItemCaseSensitive(r, "status");
                const char *s = cJSON_IsString(st) ? st->valuestring : "";
                for (int i = 0; i < n; i++) {
                    if (!matches_(r, c, &items[i])) continue;
                    /* failed records do not count when retrying; the last match wins */
                    if (c->retry_failed && !strcmp(s, "failed")) continue;
                    line[i] = ln;
                    if (val_loss) {
                        const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, "val_loss");
                        val_loss[i] = cJSON_IsNumber(v) ? v->valuedouble : NAN;
                    }
                    if (status) snprintf(status[i], 16, "%s", s);
                }
            }
            cJSON_Delete(r);
        }
        ln++;
        if (!nl) break;
        p = nl + 1;
    }
    free(text);
    return DW_OK;
}

// ----------------------------------------------------------------------------
// workers

typedef struct {
    ProbeClaim *claim;
    double last;
} Heartbeat;

static void heartbeat_(void *ctx, long step, long steps) {
    Heartbeat *h = ctx;
    (void)step, (void)steps;
    double t = dw_now_s();
    if (t - h->last >= HEARTBEAT_S) {
        probe_claim_touch(h->claim);
        h->last = t;
    }
}

/* A record for a config that could not even start (a refusal at run time). */
static int append_failed_(const ProbeSweepConfig *c, const ProbeSweepItem *it, int vocab,
                          const char *why) {
    cJSON *j = cJSON_CreateObject();
    char now[32];
    if (!j) return dw_error_set(DW_ENOMEM, "out of memory");
    cJSON_AddNumberToObject(j, "depth", it->depth);
    cJSON_AddNumberToObject(j, "width", it->width);
    cJSON_AddNumberToObject(j, "heads", it->heads);
    cJSON_AddNumberToObject(j, "mlp_ratio", c->base.model.mlp_ratio);
    cJSON_AddNumberToObject(j, "vocab", c->base.model.vocab ? c->base.model.vocab : vocab);
    cJSON_AddNumberToObject(j, "seq_len", c->base.seq);
    cJSON_AddNumberToObject(j, "tokens", it->tokens);
    cJSON_AddNumberToObject(j, "flops", it->flops);
    cJSON_AddNullToObject(j, "loss");
    cJSON_AddNullToObject(j, "val_loss");
    cJSON_AddNullToObject(j, "grad_norms");
    cJSON_AddNumberToObject(j, "seed", (double)c->base.seed);
    cJSON_AddStringToObject(j, "dataset", dataset_(c));
    cJSON_AddStringToObject(j, "backend", kern_backend_name(c->base.backend));
    cJSON_AddStringToObject(j, "status", "failed");
    cJSON_AddStringToObject(j, "dwplan_version", DWPLAN_VERSION);
    cJSON_AddNumberToObject(j, "lr", c->base.lr);
    cJSON_AddNumberToObject(j, "batch", c->base.batch);
    cJSON_AddNumberToObject(j, "steps", (double)it->steps);
    cJSON_AddStringToObject(j, "error", why);
    dw_utc_now(now);
    cJSON_AddStringToObject(j, "time", now);
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!s) return dw_error_set(DW_ENOMEM, "out of memory");
    int rc = dw_append_line(c->out, s);
    free(s);
    return rc;
}

static const char *claims_dir_(const ProbeSweepConfig *c, char *buf, size_t n) {
    if (c->claims) return c->claims;
    snprintf(buf, n, "%s.claims", c->out);
    return buf;
}

/* Runs the items of `order` that are neither done nor claimed. DW_OK, or a negative code
 * when the results file cannot be read or written (the sweep cannot go on). */
static int worker_(const ProbeSweepConfig *c, const ProbeSweepItem *items, int nitems,
                   const int *order, int n, int vocab) {
    char cdbuf[4200];
    const char *cdir = claims_dir_(c, cdbuf, sizeof cdbuf);
    int threads = worker_threads_(c), rc;
    for (int k = 0; k < n; k++) {
        int i = order[k], line;
        const ProbeSweepItem *it = &items[i];
        if ((rc = probe_sweep_scan(c, it, 1, &line, NULL, NULL, NULL))) return rc;
        if (line >= 0) continue;
        ProbeClaim cl;
        rc = probe_claim_acquire(cdir, it->key, c->claim_timeout, &cl);
        if (rc < 0) return rc;
        if (rc == PROBE_CLAIM_BUSY) continue; /* said at the end when it is still unrecorded */
        if (cl.taken_over) /* said even when quiet: a worker died here */
            probe_log_(c->log, c->log_ctx, "[%d/%d] depth %d width %d: took over a stale claim: %s",
                       i + 1, nitems, it->depth, it->width, cl.why);
        /* another worker may have finished it between our scan and our claim */
        if ((rc = probe_sweep_scan(c, it, 1, &line, NULL, NULL, NULL))) {
            probe_claim_release(&cl);
            return rc;
        }
        if (line >= 0) {
            probe_claim_release(&cl);
            continue;
        }
        ProbeRunConfig r = c->base;
        ProbeRunResult res;
        Heartbeat hb = {&cl, dw_now_s()};
        r.model.depth = it->depth;
        r.model.width = it->width;
        r.model.heads = it->heads;
        r.tokens = it->tokens;
        r.steps = it->steps;
        r.out = c->out;
        r.threads = threads;
        r.quiet = 1;
        r.on_step = heartbeat_;
        r.on_step_ctx = &hb;
        r.checkpoint = r.resume = NULL;
        r.stop_at = 0;
        char tok[32];
        if (!c->quiet)
            probe_log_(c->log, c->log_ctx, "[%d/%d] depth %d width %d: %s tokens, %ld step%s",
                       i + 1, nitems, it->depth, it->width,
                       dw_fmt_count(it->tokens, tok, sizeof tok), it->steps,
                       it->steps == 1 ? "" : "s");
        rc = probe_run(&r, &res);
        if (rc == DW_EDEVICE && !res.record) {
            /* no usable GPU is this machine's problem, not the config's: record nothing
             * (a failed record would be skipped by the next sweep) and stop */
            probe_run_result_free(&res);
            probe_claim_release(&cl);
            return rc;
        }
        if (rc && !res.record) {
            /* refused at run time (memory, data): record it so the sweep moves on */
            char why[512];
            snprintf(why, sizeof why, "%s", dw_error_get());
            if (!c->quiet)
                probe_log_(c->log, c->log_ctx, "[%d/%d] depth %d width %d: failed: %s", i + 1,
                           nitems, it->depth, it->width, why);
            rc = append_failed_(c, it, vocab, why);
        } else if (!rc && !c->quiet) {
            char curve[32] = "";
            if (res.evals) snprintf(curve, sizeof curve, "  curve %d/%d", res.curve_n, res.evals);
            probe_log_(c->log, c->log_ctx, "[%d/%d] depth %d width %d: %s  loss %.4f  val %.4f  "
                       "%.3gk tok/s  %.1fs%s%s%s", i + 1, nitems, it->depth, it->width,
                       res.status, res.loss, res.val_loss, res.tokens_per_s / 1e3, res.wall_s,
                       curve, res.error[0] ? "  " : "", res.error);
        }
        probe_run_result_free(&res);
        probe_claim_release(&cl);
        if (rc) return rc;
    }
    return DW_OK;
}

/* Largest planned FLOPs first (longest-processing-time order); ties in plan order. */
static const ProbeSweepItem *sort_items_;
static int cmp_cost_(const void *a, const void *b) {
    int i = *(const int *)a, k = *(const int *)b;
    double fi = sort_items_[i].flops, fk = sort_items_[k].flops;
    return fi > fk ? -1 : fi < fk ? 1 : i - k;
}

static int data_vocab_(const ProbeSweepConfig *c, int *vocab) {
    DsLoader *l = NULL;
    int rc = probe_run_open_data(c->base.data, "train", (size_t)1 << 16, &l);
    if (rc) return rc;
    *vocab = ds_loader_vocab(l);
    ds_loader_free(l);
    DsLoader *v = NULL;
    if ((rc = probe_run_open_data(c->base.data, "val", 0, &v))) return rc;
    if (ds_loader_vocab(v) > *vocab) *vocab = ds_loader_vocab(v);
    ds_loader_free(v);
    return DW_OK;
}

/* The workers over order: this process when jobs is 1, else jobs forked processes. DW_OK, or
 * a negative code when a worker could not go on (each says why through the log). */
static int run_workers_(const ProbeSweepConfig *c, const ProbeSweepItem *items, int n,
                        const int *order, int norder, int vocab, int jobs) {
    if (jobs == 1) return worker_(c, items, n, order, norder, vocab);
    pid_t parent = getpid(), pids[256];
    int nk = 0, rc = DW_OK, bad = 0;
    if (jobs > 256) jobs = 256;
    fflush(NULL);
    for (int w = 0; w < jobs; w++) {
        pid_t pid = fork();
        if (pid < 0) {
            rc = dw_error_set(DW_EIO, "fork: %s", strerror(errno));
            break;
        }
        if (pid == 0) {
#ifdef __linux__
            prctl(PR_SET_PDEATHSIG, SIGKILL); /* a killed sweep takes its workers along */
#endif
            if (getppid() != parent) _exit(1);
            int wr = worker_(c, items, n, order, norder, vocab);
            /* said even when quiet: the parent sees only the exit status */
            if (wr) probe_log_(c->log, c->log_ctx, "worker %d: %s", w, dw_error_get());
            fflush(NULL);
            _exit(wr ? 1 : 0);
        }
        pids[nk++] = pid;
    }
    for (int k = 0; k < nk; k++) {
        int ws = 0;
        pid_t r;
        while ((r = waitpid(pids[k], &ws, 0)) < 0 && errno == EINTR) {}
        if (r < 0 || (WIFEXITED(ws) && WEXITSTATUS(ws))) {
            bad++;
        } else if (WIFSIGNALED(ws)) { /* it could not say so itself */
            probe_log_(c->log, c->log_ctx, "worker %d was killed by signal %d (%s)", k,
                       WTERMSIG(ws), strsignal(WTERMSIG(ws)));
            bad++;
        }
    }
    if (!rc && bad) rc = dw_error_set(DW_EIO, "%d worker%s failed (see above)", bad,
                                      bad > 1 ? "s" : "");
    return rc;
}

/* Lines in the results file (0 when missing): records at this index or later were written
 * after this call. */
static int count_lines_(const char *path, int *nlines) {
    *nlines = 0;
    if (access(path, F_OK)) return DW_OK;
    size_t len;
    char *text = dw_read_file(path, &len);
    if (!text) return DW_EIO;
    for (size_t k = 0; k < len; k++) *nlines += text[k] == '\n';
    if (len && text[len - 1] != '\n') (*nlines)++;
    free(text);
    return DW_OK;
}

/* The configs of order without a record for this sweep (pend[*np], in order): any record
 * counts, except that with retry_failed a failed one from before the sweep (line <
 * start_lines) does not. line/status get the last record of each config, of any status. */
static int pending_(const ProbeSweepConfig *c, const ProbeSweepItem *items, int n,
                    const int *order, int norder, int start_lines, int *line,
                    char (*status)[16], int *pend, int *np) {
    ProbeSweepConfig any = *c;
    any.retry_failed = 0;
    int rc = probe_sweep_scan(&any, items, n, line, NULL, status, NULL);
    *np = 0;
    if (rc) return rc;
    for (int k = 0; k < norder; k++) {
        int i = order[k];
        int old_failure = c->retry_failed && line[i] >= 0 && line[i] < start_lines &&
                          !strcmp(status[i], "failed");
        if (line[i] < 0 || old_failure) pend[(*np)++] = i;
    }
    return DW_OK;
}

/* After the workers: waits for the configs whose claims are held by running processes
 * (another sweep on the same file), and runs those whose claims went away or went stale
 * meanwhile, until only live claims that nobody runs here are left. */
static int finish_(const ProbeSweepConfig *c, const ProbeSweepItem *items, int n,
                   const int *order, int norder, int vocab, int start_lines, int *line,
                   char (*status)[16], int *pend) {
    char cdbuf[4200];
    const char *cdir = claims_dir_(c, cdbuf, sizeof cdbuf);
    int rc, np, said = 0, last_pass = -1;
    for (;;) {
        if ((rc = pending_(c, items, n, order, norder, start_lines, line, status, pend, &np)) ||
            !np)
            return rc;
        int held = 0, runnable = 0;
        for (int k = 0; k < np; k++) {
            int st = probe_claim_inspect(cdir, items[pend[k]].key, c->claim_timeout, NULL, 0);
            if (st < 0) return st;
            held += st == PROBE_CLAIM_HELD;
            runnable += st == PROBE_CLAIM_NONE || st == PROBE_CLAIM_STALE;
        }
        /* a pass runs only when the last one left more behind (a run may fail again) */
        if (runnable && np != last_pass) {
            last_pass = np;
            if ((rc = worker_(c, items, n, pend, np, vocab))) return rc;
            continue;
        }
        if (!held) return DW_OK;
        if (!said && !c->quiet)
            probe_log_(c->log, c->log_ctx, "waiting for %d config%s held by other processes' "
                       "claims", held, held > 1 ? "s" : "");
        said = 1;
        struct timespec ts = {0, 500000000};
        nanosleep(&ts, NULL);
    }
}

/* The summary from the results file; each config left without a record is said (even when
 * quiet) with why. */
static int report_(const ProbeSweepConfig *c, const ProbeSweepItem *items, int n,
                   const int *order, int norder, int start_lines, int *line, char (*status)[16],
                   int *pend, ProbeSweepSummary *sum) {
    char cdbuf[4200], why[384];
    const char *cdir = claims_dir_(c, cdbuf, sizeof cdbuf);
    int np, rc = pending_(c, items, n, order, norder, start_lines, line, status, pend, &np);
    if (rc) return rc;
    for (int k = 0, p = 0; k < norder; k++) {
        int i = order[k];
        const ProbeSweepItem *it = &items[i];
        if (p < np && pend[p] == i) {
            p++;
            int st = probe_claim_inspect(cdir, it->key, c->claim_timeout, why, sizeof why);
            if (st == PROBE_CLAIM_HELD || st == PROBE_CLAIM_LIVE) {
                sum->busy++;
                probe_log_(c->log, c->log_ctx, "depth %d width %d: no record (skipped: %s; "
                           "claim %s/%s.claim)", it->depth, it->width, why, cdir, it->key);
                continue;
            }
            sum->missing++;
            if (st == PROBE_CLAIM_STALE)
                probe_log_(c->log, c->log_ctx, "depth %d width %d: no record (its claim is "
                           "stale, %s, but was not taken over: run the sweep again)",
                           it->depth, it->width, why);
            else
                probe_log_(c->log, c->log_ctx, "depth %d width %d: no record (%s)", it->depth,
                           it->width, st < 0 ? dw_error_get()
                                             : "not run: the sweep stopped on an error, or its "
                                               "run ended without a record; see above");
            continue;
        }
        sum->ok += !strcmp(status[i], "ok");
        sum->diverged += !strcmp(status[i], "diverged");
        sum->failed += !strcmp(status[i], "failed");
    }
    sum->ran = sum->planned - sum->done - sum->busy - sum->missing;
    return DW_OK;
}

/* Removes stale claims of configs that have a record (line[i] >= 0): their owners died
 * between appending the record and removing the claim. */
static void clean_done_claims_(const ProbeSweepConfig *c, const ProbeSweepItem *items,
                               const int *order, int norder, const int *line) {
    char cdbuf[4200];
    const char *cdir = claims_dir_(c, cdbuf, sizeof cdbuf);
    for (int k = 0; k < norder; k++) {
        const ProbeSweepItem *it = &items[order[k]];
        ProbeClaim cl;
        if (line[order[k]] < 0 ||
            probe_claim_inspect(cdir, it->key, c->claim_timeout, NULL, 0) != PROBE_CLAIM_STALE)
            continue;
        if (probe_claim_acquire(cdir, it->key, c->claim_timeout, &cl) == PROBE_CLAIM_OK)
            probe_claim_release(&cl);
    }
}

int probe_sweep_run(const ProbeSweepConfig *c, ProbeSweepSummary *sum) {
    ProbeSweepItem *items = NULL;
    int n = 0, vocab = 0, rc, *line = NULL, *order = NULL, *pend = NULL, start_lines = 0;
    char (*status)[16] = NULL, cdbuf[4200];
    memset(sum, 0, sizeof *sum);
    if (!c->out) return dw_error_set(DW_EINVAL, "a sweep needs a results file (-o)");
    if ((rc = data_vocab_(c, &vocab))) return rc;
    if ((rc = probe_sweep_plan(c, vocab, &items, &n))) return rc;
    rc = DW_ENOMEM;
    if (!(line = malloc(sizeof(int) * (size_t)n)) || !(order = malloc(sizeof(int) * (size_t)n)) ||
        !(pend = malloc(sizeof(int) * (size_t)n)) || !(status = malloc(16 * (size_t)n))) {
        dw_error_set(rc, "out of memory");
        goto out;
    }
    if ((rc = count_lines_(c->out, &start_lines)) ||
        (rc = probe_sweep_scan(c, items, n, line, NULL, NULL, &sum->bad_lines)))
        goto out;
    int norder = 0;
    if (c->array_index >= 0) {
        if (c->array_index >= n) {
            rc = dw_error_set(DW_ERANGE, "--array-index %ld: the plan has %d configs (0..%d)",
                              c->array_index, n, n - 1);
            goto out;
        }
        order[norder++] = (int)c->array_index;
        sum->planned = 1;
        sum->done = line[c->array_index] >= 0;
    } else {
        for (int i = 0; i < n; i++) order[norder++] = i;
        sort_items_ = items;
        qsort(order, (size_t)norder, sizeof *order, cmp_cost_);
        sum->planned = n;
        for (int i = 0; i < n; i++) sum->done += line[i] >= 0;
    }
    int todo = sum->planned - sum->done;
    int jobs = c->array_index >= 0 ? 1 : (c->jobs > 0 ? c->jobs : 1);
    if (jobs > todo) jobs = todo > 0 ? todo : 1;
    if (!c->quiet)
        probe_log_(c->log, c->log_ctx, "%d configs, %d already in %s, %d to run%s (%d worker%s "
                   "× %d thread%s)", sum->planned, sum->done, c->out, todo,
                   sum->bad_lines ? " (skipped unreadable lines)" : "", jobs,
                   jobs > 1 ? "s" : "", worker_threads_(c), worker_threads_(c) > 1 ? "s" : "");
    rc = DW_OK;
    if (todo > 0) {
        probe_claim_clean(claims_dir_(c, cdbuf, sizeof cdbuf));
        rc = run_workers_(c, items, n, order, norder, vocab, jobs);
        if (!rc) rc = finish_(c, items, n, order, norder, vocab, start_lines, line, status, pend);
        /* again: the killed workers of an earlier sweep may have still been dying at the start */
        probe_claim_clean(claims_dir_(c, cdbuf, sizeof cdbuf));
    }
    /* the results file says what happened */
    int rep = report_(c, items, n, order, norder, start_lines, line, status, pend, sum);
    if (rep && !rc) rc = rep;
    if (!rep && access(claims_dir_(c, cdbuf, sizeof cdbuf), F_OK) == 0)
        clean_done_claims_(c, items, order, norder, line);
out:
    free(items);
    free(line);
    free(order);
    free(pend);
    free(status);
    return rc;
}

// ----------------------------------------------------------------------------
// Slurm

static void sh_quote_(FILE *f, const char *s) {
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'') fputs("'\\''", f);
        else fputc(*s, f);
    }
    fputc('\'', f);
}

int probe_sweep_emit_slurm(const ProbeSweepConfig *c, int vocab, const char *path,
                           const char *exe, char *const *args, int nargs) {
    ProbeSweepItem *items = NULL;
    int n = 0, rc;
    char *text = NULL;
    size_t len = 0;
    ProbeSweepConfig one = *c;
    one.array_index = 0; /* each task: one job, all of its threads */
    if (!vocab && (rc = data_vocab_(c, &vocab))) return rc;
    if ((rc = probe_sweep_plan(&one, vocab, &items, &n))) return rc;
    size_t mem = 0;
    for (int i = 0; i < n; i++)
        if (items[i].memory_bytes > mem) mem = items[i].memory_bytes;
    int threads = c->threads > 0 ? c->threads : online_cpus_();
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) {
        free(items);
        return dw_error_set(DW_EIO, "getcwd: %s", strerror(errno));
    }
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        free(items);
        return dw_error_set(DW_ENOMEM, "out of memory");
    }
    fprintf(f, "#!/bin/bash\n"
               "# Slurm job array written by dwplan %s: one probe config per array task.\n"
               "# Submit with: sbatch %s\n"
               "# Tasks share %s (results) and its claims directory, so re-submitting the\n"
               "# array, or running `dwplan probe sweep` with the same arguments anywhere on\n"
               "# this file system, runs only what is missing.\n",
            DWPLAN_VERSION, path, c->out);
    fprintf(f, "#SBATCH --job-name=dwplan-probe\n");
    fprintf(f, "#SBATCH --array=0-%d\n", n - 1);
    fprintf(f, "#SBATCH --ntasks=1\n");
    fprintf(f, "#SBATCH --cpus-per-task=%d\n", threads);
    if (c->base.backend == KERN_CUDA) {
        /* one GPU per task; host memory holds copies of the parameter-sized blocks only */
        fprintf(f, "#SBATCH --gres=gpu:1\n");
    }
    fprintf(f, "#SBATCH --mem=%zuM\n", (mem + mem / 4) / (1024 * 1024) + 256);
    if (c->out[0] == '/') fprintf(f, "#SBATCH --output=%s.slurm-%%A_%%a.log\n", c->out);
    else fprintf(f, "#SBATCH --output=%s/%s.slurm-%%A_%%a.log\n", cwd, c->out);
    fprintf(f, "set -eu\ncd ");
    sh_quote_(f, cwd);
    fprintf(f, "\nexec ");
    sh_quote_(f, exe);
    fprintf(f, " probe sweep");
    for (int k = 0; k < nargs; k++) {
        fputc(' ', f);
        sh_quote_(f, args[k]);
    }
    fprintf(f, " --threads \"${SLURM_CPUS_PER_TASK:-%d}\" --array-index \"$SLURM_ARRAY_TASK_ID\"\n",
            threads);
    free(items);
    if (fclose(f)) return dw_error_set(DW_ENOMEM, "out of memory");
    rc = dw_write_file_atomic(path, text, len);
    if (!rc && chmod(path, 0755)) rc = dw_error_set(DW_EIO, "%s: chmod: %s", path, strerror(errno));
    free(text);
    return rc;
}
