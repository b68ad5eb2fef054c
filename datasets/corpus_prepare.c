/* datasets/corpus_prepare.c — `dwplan data prepare`: text to llm.c token shards (see
 * ds_data_prepare in corpus.h for the split rule, the chunking and the manifest), and
 * `dwplan data generate`: synthetic text to a file.
 *
 * The pipeline: sources (fetched corpora, files, or synthetic streams) are read in chunks of
 * a few MiB, cut where GPT-2's pre-tokenisation cannot straddle the cut, tokenised, and
 * gathered per split into shards of shard_tokens tokens; the output is built in
 * out_dir.tmp.<pid> and renamed into place at the end.
 * Design stance: streaming (files are memory-mapped, synthetic text is generated chunk by
 * chunk), so memory stays at a few chunks and one shard per split.
 */
#define _GNU_SOURCE
#include "datasets/corpus.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/dw.h"
#include "datasets/corpus_impl.h"
#include "datasets/shards.h"
#include "datasets/synth.h"
#include "datasets/tokenizer.h"

// ----------------------------------------------------------------------------
// prepare: text -> token shards

#define CHUNK_BYTES ((size_t)4 << 20)

/* One split's output: tokens gather in buf until a shard is full. */
typedef struct {
    const char *dir, *name, *split;
    size_t shard_tokens;
    uint16_t *buf; /* (cap,) */
    size_t n, cap;
    int index;
    size_t total;
    cJSON *files; /* names written */
} Sink_;

static int sink_flush_(Sink_ *s) {
    char name[512], path[PATH_N];
    ds_bfmt_(name, sizeof name, "%s_%s_%06d.bin", s->name, s->split, s->index);
    ds_bfmt_(path, sizeof path, "%s/%s", s->dir, name);
    int rc = ds_shard_write(path, s->buf, s->n);
    if (rc != DW_OK) return rc;
    cJSON_AddItemToArray(s->files, cJSON_CreateString(name));
    s->index++;
    s->n = 0;
    return DW_OK;
}

static int sink_add_(Sink_ *s, const uint16_t *ids, size_t n) {
    while (n > 0) {
        size_t room = s->shard_tokens - s->n, m = n < room ? n : room;
        if (s->n + m > s->cap) {
            size_t c = s->cap ? s->cap : 1 << 20;
            while (c < s->n + m) c *= 2;
            if (c > s->shard_tokens) c = s->shard_tokens;
            uint16_t *b = realloc(s->buf, c * sizeof *b);
            if (!b) return dw_error_set(DW_ENOMEM, "out of memory for a shard of %zu tokens", c);
            s->buf = b, s->cap = c;
        }
        memcpy(s->buf + s->n, ids, m * sizeof *ids);
        s->n += m, s->total += m, ids += m, n -= m;
        if (s->n == s->shard_tokens) {
            int rc = sink_flush_(s);
            if (rc != DW_OK) return rc;
        }
    }
    return DW_OK;
}

/* Progress accounting shared by all sources, reported to the caller's callback. */
typedef struct {
    DsProgressFn fn; /* may be NULL */
    void *ctx;
    double t0, last;
    size_t bytes_done, bytes_all, tokens;
} Progress_;

/* A status at most every 0.5 s; with `final`, always (the run's last one). */
static void progress_(Progress_ *p, int final) {
    if (!p->fn) return;
    double t = dw_now_s();
    if (!final && t - p->last < 0.5) return;
    p->last = t;
    double mb = (double)p->bytes_done / 1e6, rate = mb / fmax(t - p->t0, 1e-9);
    ds_progress_(p->fn, p->ctx, DS_PROGRESS_STATUS, "%.1f/%.1f MB, %zu tokens, %.1f MB/s", mb,
                 (double)p->bytes_all / 1e6, p->tokens, rate);
}

/* Encoder with GPT-2-safe chunking (see ds_data_prepare). */
typedef struct {
    DsTokenizer *tok;
    int bpe;
    DsIds ids;
    DsBuf carry; /* text held back until a safe cut */
} Enc_;

static int ascii_blank_(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* 1 when no GPT-2 pre-token can span the boundary before p[i] (0 < i < n). */
static int safe_cut_(const unsigned char *p, size_t i, size_t n) {
    if (p[i - 1] == '\n' && p[i] < 0x80 && !ascii_blank_(p[i])) return 1;
    return p[i] == ' ' && i + 1 < n && p[i - 1] < 0x80 && !ascii_blank_(p[i - 1]) &&
           p[i + 1] < 0x80 && !ascii_blank_(p[i + 1]);
}

static int enc_emit_(Enc_ *e, Sink_ *s, Progress_ *pr, const unsigned char *p, size_t n) {
    e->ids.n = 0;
    int rc = ds_tok_encode(e->tok, p, n, &e->ids);
    if (rc == DW_OK) rc = sink_add_(s, e->ids.ids, e->ids.n);
    pr->tokens += e->ids.n;
    return rc;
}

/* Feeds n bytes; with `final` the text ends here and everything held back is encoded. */
static int enc_feed_(Enc_ *e, Sink_ *s, Progress_ *pr, const unsigned char *p, size_t n,
                     int final) {
    int rc = DW_OK;
    while (n > 0 && rc == DW_OK) {
        size_t m = n < CHUNK_BYTES ? n : CHUNK_BYTES, cut = m;
        if (e->bpe && !(final && m == n)) {
            /* more text follows: cut before a byte p[cut] that exists, at a safe place */
            for (cut = m < n ? m : n - 1; cut > 0 && !safe_cut_(p, cut, n); cut--) {}
        }
        if (cut == 0) { /* no safe place in this chunk: hold all of it back */
            rc = ds_buf_append(&e->carry, p, m);
            cut = m;
        } else if (e->carry.len > 0) {
            rc = ds_buf_append(&e->carry, p, cut);
            if (rc == DW_OK)
                rc = enc_emit_(e, s, pr, (const unsigned char *)e->carry.data, e->carry.len);
            e->carry.len = 0;
        } else {
            rc = enc_emit_(e, s, pr, p, cut);
        }
        p += cut, n -= cut;
        pr->bytes_done += cut;
        progress_(pr, 0);
    }
    if (rc == DW_OK && final && e->carry.len > 0) {
        rc = enc_emit_(e, s, pr, (const unsigned char *)e->carry.data, e->carry.len);
        e->carry.len = 0;
    }
    return rc;
}

/* A source after resolution. */
typedef struct {
    const char *arg;
    int synthetic;
    const char *spec; /* after "synthetic:" */
    char path[PATH_N];
    const DsCorpusInfo *corpus;
} Src_;

static int resolve_source_(const char *arg, const char *data_dir, Src_ *s) {
    memset(s, 0, sizeof *s);
    s->arg = arg;
    if (!strcmp(arg, "synthetic") || !strncmp(arg, "synthetic:", 10)) {
        s->synthetic = 1;
        s->spec = arg[9] == ':' ? arg + 10 : NULL;
        return DW_OK;
    }
    if (!strchr(arg, '/') && (s->corpus = ds_corpus_find(arg))) {
        if (!s->corpus->file)
            return dw_error_set(DW_EINVAL, "%s is a tokenizer file, not a text corpus", arg);
        int rc = ds_corpus_path(data_dir, arg, s->path, sizeof s->path);
        return rc == DW_OK ? rc : DW_EPARSE; /* a missing input: the message stands */
    }
    ds_bfmt_(s->path, sizeof s->path, "%s", arg);
    struct stat st;
    if (stat(arg, &st) != 0) {
        char known[128] = "";
        int nt;
        const DsCorpusInfo *tab = ds_corpus_table(&nt);
        for (int i = 0; i < nt; i++)
            if (tab[i].file)
                ds_bfmt_(known + strlen(known), sizeof known - strlen(known), "%s%s",
                         known[0] ? ", " : "", tab[i].name);
        return dw_error_set(DW_EPARSE, "%s: %s%s%s%s", arg, strerror(errno),
                            strchr(arg, '/') ? "" : " (and not a known corpus: ",
                            strchr(arg, '/') ? "" : known, strchr(arg, '/') ? "" : ", synthetic)");
    }
    if (!S_ISREG(st.st_mode)) return dw_error_set(DW_EPARSE, "%s: not a regular file", arg);
    if (st.st_size == 0) return dw_error_set(DW_EPARSE, "%s: empty file", arg);
    return DW_OK;
}

/* The origin and licence of a fetched corpus, from its manifest (borrowed into j). */
static void add_corpus_origin_(cJSON *j, const char *data_dir, const char *name) {
    char p[PATH_N];
    ds_bfmt_(p, sizeof p, "%s/%s/manifest.json", data_dir, name);
    char *t = dw_read_file(p, NULL);
    cJSON *m = t ? cJSON_Parse(t) : NULL;
    free(t);
    const char *keys[] = {"source", "licence"};
    for (int k = 0; k < 2; k++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(m, keys[k]);
        if (cJSON_IsString(v)) cJSON_AddStringToObject(j, keys[k], v->valuestring);
    }
    cJSON_Delete(m);
    dw_error_clear();
}

static int dir_state_(const char *p) { /* -1 absent, 0 empty dir, 1 non-empty dir, 2 other */
    struct stat st;
    if (stat(p, &st) != 0) return -1;
    if (!S_ISDIR(st.st_mode)) return 2;
    DIR *d = opendir(p);
    if (!d) return 1;
    struct dirent *e;
    int any = 0;
    while (!any && (e = readdir(d))) any = strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return any;
}

/* The state of one ds_data_prepare call; its steps below fill it in order. */
typedef struct {
    const DsPrepareOptions *o;
    Enc_ enc;
    Sink_ sink[2];          /* train, val */
    Progress_ pr;
    Src_ *src;              /* (o->nsources) */
    cJSON *jsrc;            /* the manifest's "sources", until the manifest takes it */
    double split_nats[2];   /* synthetic sources: −ln P of the text of each split */
    int all_synthetic;
    char out[PATH_N];       /* out_dir without trailing slashes */
    char tmp[PATH_N];       /* out.tmp.<pid>: everything is built here */
    int made_tmp;
} Prep_;

static const char *const splits_[2] = {"train", "val"};

static int prep_file_(Prep_ *P, const Src_ *s, cJSON *js) {
    const DsPrepareOptions *o = P->o;
    int fd = open(s->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return dw_error_set(DW_EPARSE, "%s: cannot open: %s", s->path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size == 0) {
        close(fd);
        return dw_error_set(DW_EPARSE, "%s: empty file", s->path);
    }
    size_t n = (size_t)st.st_size;
    unsigned char *p = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return dw_error_set(DW_EPARSE, "%s: cannot map: %s", s->path, strerror(errno));
    size_t bad = 0;
    int utf8 = ds_utf8_valid((const char *)p, n, &bad);
    if (!utf8)
        ds_progress_(o->progress, o->progress_ctx, DS_PROGRESS_LINE,
                     "warning: %s is not valid UTF-8 (first bad byte at offset %zu); its bytes "
                     "are used as they are",
                     s->path, bad);
    /* val: the last val_frac of the bytes, from the next line start (else a char boundary) */
    size_t cut = n - (size_t)llround((double)n * o->val_frac);
    if (cut < n && cut > 0) {
        const unsigned char *nl = memchr(p + cut - 1, '\n', n - cut + 1);
        if (nl) cut = (size_t)(nl - p) + 1;
        else
            while (cut < n && (p[cut] & 0xC0) == 0x80) cut++;
    }
    char sha[65];
    dw_sha256(p, n, sha);
    int rc = enc_feed_(&P->enc, &P->sink[0], &P->pr, p, cut, 1);
    if (rc == DW_OK) rc = enc_feed_(&P->enc, &P->sink[1], &P->pr, p + cut, n - cut, 1);
    munmap(p, n);
    cJSON_AddStringToObject(js, "kind", s->corpus ? "corpus" : "file");
    cJSON_AddNumberToObject(js, "bytes", (double)n);
    cJSON_AddStringToObject(js, "sha256", sha);
    cJSON_AddNumberToObject(js, "train_bytes", (double)cut);
    cJSON_AddNumberToObject(js, "val_bytes", (double)(n - cut));
    cJSON_AddBoolToObject(js, "utf8", utf8);
    if (!utf8) cJSON_AddNumberToObject(js, "first_bad_utf8_offset", (double)bad);
    if (s->corpus) add_corpus_origin_(js, o->data_dir, s->corpus->name);
    return rc;
}

static int prep_synth_(Prep_ *P, const Src_ *s, cJSON *js, double split_nats[2]) {
    const DsPrepareOptions *o = P->o;
    DsSynthConfig c;
    ds_synth_config_default(&c);
    int rc = ds_synth_config_parse(&c, s->spec);
    if (rc != DW_OK) return dw_error_prefix(rc, "%s", s->arg);
    size_t nval = (size_t)llround((double)o->synth_bytes * o->val_frac);
    size_t want[2] = {o->synth_bytes - nval, nval};
    unsigned char *buf = malloc(CHUNK_BYTES);
    if (!buf) return dw_error_set(DW_ENOMEM, "out of memory");
    double expected = NAN;
    for (int k = 0; k < 2 && rc == DW_OK; k++) {
        if (want[k] == 0) continue;
        DsSynthConfig ck = c;
        ck.stream = ds_loader_synth_stream(c.stream, splits_[k]);
        DsSynth *g = ds_synth_alloc(&ck);
        if (!g) {
            rc = dw_error_prefix(DW_EINVAL, "%s", s->arg);
            break;
        }
        for (size_t done = 0; done < want[k] && rc == DW_OK;) {
            size_t m = want[k] - done < CHUNK_BYTES ? want[k] - done : CHUNK_BYTES;
            rc = ds_synth_generate(g, buf, m);
            if (rc == DW_OK) rc = enc_feed_(&P->enc, &P->sink[k], &P->pr, buf, m, 0);
            done += m;
        }
        if (rc == DW_OK) rc = enc_feed_(&P->enc, &P->sink[k], &P->pr, NULL, 0, 1);
        split_nats[k] += ds_synth_nats(g);
        expected = ds_synth_expected_floor(g);
        ds_synth_free(g);
    }
    free(buf);
    char spec[256];
    ds_synth_config_format(&c, spec, sizeof spec);
    cJSON_AddStringToObject(js, "kind", "synthetic");
    cJSON_AddStringToObject(js, "spec", spec);
    cJSON_AddNumberToObject(js, "bytes", (double)o->synth_bytes);
    cJSON_AddNumberToObject(js, "train_bytes", (double)want[0]);
    cJSON_AddNumberToObject(js, "val_bytes", (double)want[1]);
    if (isfinite(expected)) cJSON_AddNumberToObject(js, "expected_floor_nats_per_byte", expected);
    cJSON_AddStringToObject(js, "licence", "generated by dwplan (no third-party text)");
    return rc;
}

static void strip_slashes_(char *p) {
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/') p[--n] = '\0';
}

/* Step 1: the options, and out_dir (without trailing slashes) as P->out, which must be
 * absent or an empty directory unless force. */
static int prep_check_(Prep_ *P) {
    const DsPrepareOptions *o = P->o;
    if (o->nsources < 1) return dw_error_set(DW_EINVAL, "no sources (--corpus NAME|FILE...)");
    if (!(o->val_frac >= 0 && o->val_frac < 1))
        return dw_error_set(DW_EINVAL, "val fraction must be in [0, 1) (got %g)", o->val_frac);
    if (o->shard_tokens < 1 || o->shard_tokens > (size_t)INT32_MAX)
        return dw_error_set(DW_EINVAL, "shard size must be 1..%d tokens (got %zu)", INT32_MAX,
                            o->shard_tokens);
    if (!o->out_dir || !*o->out_dir) return dw_error_set(DW_EINVAL, "no output directory");
    if (strlen(o->out_dir) > DATA_DIR_MAX || (o->data_dir && strlen(o->data_dir) > DATA_DIR_MAX))
        return dw_error_set(DW_EINVAL, "path longer than %d bytes", DATA_DIR_MAX);
    ds_bfmt_(P->out, sizeof P->out, "%s", o->out_dir);
    strip_slashes_(P->out);
    int st = dir_state_(P->out);
    if (st == 2) return dw_error_set(DW_EINVAL, "%s exists and is not a directory", P->out);
    if (st == 1 && !o->force)
        return dw_error_set(DW_EINVAL, "%s exists and is not empty (--force replaces it)",
                            P->out);
    return DW_OK;
}

/* Step 2: every source resolved into P->src; the bytes to read, for the progress line. */
static int prep_resolve_(Prep_ *P) {
    const DsPrepareOptions *o = P->o;
    if (!(P->src = calloc((size_t)o->nsources, sizeof *P->src)))
        return dw_error_set(DW_ENOMEM, "out of memory");
    P->all_synthetic = 1;
    for (int i = 0; i < o->nsources; i++) {
        Src_ *s = &P->src[i];
        int rc = resolve_source_(o->sources[i], o->data_dir ? o->data_dir : ".", s);
        if (rc == DW_OK && s->synthetic && o->synth_bytes == 0)
            rc = dw_error_set(DW_EINVAL, "%s needs a length (--tokens N)", o->sources[i]);
        if (rc != DW_OK) return rc;
        P->all_synthetic &= s->synthetic;
        if (s->synthetic) P->pr.bytes_all += o->synth_bytes;
        else {
            struct stat sb;
            if (stat(s->path, &sb) == 0) P->pr.bytes_all += (size_t)sb.st_size;
        }
    }
    return DW_OK;
}

/* Step 3: the tokenizer; gpt2 reads o->rank_file, else the data directory's rank file. */
static int prep_tokenizer_(Prep_ *P) {
    const DsPrepareOptions *o = P->o;
    const char *tname = o->tokenizer ? o->tokenizer : "byte";
    char ranks[PATH_N] = "";
    P->enc.bpe = !strcmp(tname, "gpt2");
    if (P->enc.bpe) {
        if (o->rank_file) ds_bfmt_(ranks, sizeof ranks, "%s", o->rank_file);
        else if (!ds_data_gpt2_ranks(o->data_dir ? o->data_dir : ".", ranks, sizeof ranks))
            return dw_error_set(DW_EPARSE, "the GPT-2 rank file is not in %s (run: dwplan data "
                                           "fetch gpt2-bpe%s%s)",
                                ranks, o->data_dir ? " --data-dir " : "",
                                o->data_dir ? o->data_dir : "");
    }
    return ds_tok_open(tname, P->enc.bpe ? ranks : NULL, &P->enc.tok);
}

/* Step 4: the output, built beside its final place: out's parent made when missing, what
 * interrupted runs left there removed, P->tmp created, and one sink per split into it. */
static int prep_open_output_(Prep_ *P) {
    char parent[PATH_N], pdir[PATH_N], pre[PATH_N];
    ds_bfmt_(parent, sizeof parent, "%s", P->out);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        int rc = ds_mkdir_p_(parent);
        if (rc != DW_OK) return rc;
    }
    ds_bfmt_(pdir, sizeof pdir, "%s", slash ? (slash == parent ? "/" : parent) : ".");
    ds_bfmt_(pre, sizeof pre, "%s.tmp.", ds_base_name_(P->out));
    dw_stale_clean_prefix(pdir, pre, 1, NULL);
    ds_bfmt_(pre, sizeof pre, "%s.old.", ds_base_name_(P->out));
    dw_stale_clean_prefix(pdir, pre, 1, NULL);
    ds_bfmt_(P->tmp, sizeof P->tmp, "%s.tmp.%ld", P->out, (long)getpid());
    ds_rm_tree_(P->tmp);
    if (mkdir(P->tmp, 0755) != 0)
        return dw_error_set(DW_EIO, "%s: cannot create: %s", P->tmp, strerror(errno));
    P->made_tmp = 1;
    const char *name = ds_base_name_(P->out);
    for (int k = 0; k < 2; k++) {
        P->sink[k] = (Sink_){.dir = P->tmp, .name = *name ? name : "data", .split = splits_[k],
                             .shard_tokens = P->o->shard_tokens, .files = cJSON_CreateArray()};
        if (!P->sink[k].files) return dw_error_set(DW_ENOMEM, "out of memory");
    }
    return DW_OK;
}

/* Step 5: every source tokenised into the sinks, each with its entry in P->jsrc, then the
 * last partial shard of each split. */
static int prep_sources_(Prep_ *P) {
    const DsPrepareOptions *o = P->o;
    if (!(P->jsrc = cJSON_CreateArray())) return dw_error_set(DW_ENOMEM, "out of memory");
    int rc = DW_OK;
    for (int i = 0; i < o->nsources && rc == DW_OK; i++) {
        const Src_ *s = &P->src[i];
        cJSON *js = cJSON_CreateObject();
        cJSON_AddItemToArray(P->jsrc, js);
        cJSON_AddStringToObject(js, "name", s->corpus ? s->corpus->name : s->arg);
        if (!s->synthetic) cJSON_AddStringToObject(js, "path", s->path);
        size_t t0[2] = {P->sink[0].total, P->sink[1].total};
        rc = s->synthetic ? prep_synth_(P, s, js, P->split_nats) : prep_file_(P, s, js);
        cJSON_AddNumberToObject(js, "train_tokens", (double)(P->sink[0].total - t0[0]));
        cJSON_AddNumberToObject(js, "val_tokens", (double)(P->sink[1].total - t0[1]));
    }
    for (int k = 0; k < 2 && rc == DW_OK; k++)
        if (P->sink[k].n > 0) rc = sink_flush_(&P->sink[k]);
    return rc;
}

/* Step 6: P->tmp/manifest.json (it takes P->jsrc and the sinks' file lists); the counts and
 * the floor into r. */
static int prep_manifest_(Prep_ *P, DsPrepareResult *r) {
    const DsPrepareOptions *o = P->o;
    cJSON *man = cJSON_CreateObject();
    if (!man) return dw_error_set(DW_ENOMEM, "out of memory");
    char date[32];
    dw_utc_now(date);
    size_t total = P->sink[0].total + P->sink[1].total;
    cJSON_AddStringToObject(man, "name", P->sink[0].name);
    cJSON_AddStringToObject(man, "format", "llm.c token shards: 256 x int32 header (magic "
                                           "20240520, version 1, token count), uint16 tokens");
    cJSON_AddStringToObject(man, "tokenizer", ds_tok_name(P->enc.tok));
    cJSON_AddNumberToObject(man, "vocab", r->vocab);
    cJSON_AddNumberToObject(man, "tokens", (double)total);
    cJSON_AddNumberToObject(man, "val_frac", o->val_frac);
    cJSON_AddStringToObject(man, "split_rule",
                            P->all_synthetic ? "synthetic: independent streams of one language "
                                               "(train stream 2s, val stream 2s+1)"
                                             : "per source: the last val_frac of its bytes, from "
                                               "the next line start, is val");
    cJSON_AddNumberToObject(man, "shard_tokens", (double)o->shard_tokens);
    if (P->all_synthetic && total > 0) {
        r->floor = (P->split_nats[0] + P->split_nats[1]) / (double)total;
        cJSON_AddNumberToObject(man, "floor_nats_per_token", r->floor);
    }
    cJSON *js = cJSON_AddObjectToObject(man, "splits");
    for (int k = 0; k < 2; k++) {
        cJSON *s = cJSON_AddObjectToObject(js, splits_[k]);
        cJSON_AddNumberToObject(s, "tokens", (double)P->sink[k].total);
        cJSON_AddItemToObject(s, "shards", P->sink[k].files);
        P->sink[k].files = NULL;
        if (P->all_synthetic && P->sink[k].total > 0)
            cJSON_AddNumberToObject(s, "floor_nats_per_token",
                                    P->split_nats[k] / (double)P->sink[k].total);
        r->tokens[k] = P->sink[k].total;
        r->shards[k] = P->sink[k].index;
    }
    cJSON_AddItemToObject(man, "sources", P->jsrc);
    P->jsrc = NULL;
    cJSON_AddStringToObject(man, "date", date);
    cJSON_AddStringToObject(man, "dwplan_version", DWPLAN_VERSION);
    char *text = cJSON_Print(man), mpath[PATH_N];
    cJSON_Delete(man);
    if (!text) return dw_error_set(DW_ENOMEM, "out of memory");
    size_t tl = strlen(text);
    text[tl] = '\n'; /* in place of the NUL: the file ends with a newline */
    ds_bfmt_(mpath, sizeof mpath, "%s/manifest.json", P->tmp);
    int rc = dw_write_file_atomic(mpath, text, tl + 1);
    free(text);
    return rc;
}

/* Step 7: P->tmp renamed to P->out; an earlier output (force) moves aside first and goes
 * once the new one is in. */
static int prep_into_place_(Prep_ *P) {
    char old[PATH_N];
    ds_bfmt_(old, sizeof old, "%s.old.%ld", P->out, (long)getpid());
    int st = dir_state_(P->out);
    if (st == 0 && rmdir(P->out) != 0) st = 1;
    if (st == 1 && (!P->o->force || rename(P->out, old) != 0))
        return dw_error_set(DW_EIO, "%s: cannot replace: %s", P->out,
                            P->o->force ? strerror(errno) : "it appeared while preparing");
    if (rename(P->tmp, P->out) != 0) {
        int rc = dw_error_set(DW_EIO, "%s: cannot rename into place: %s", P->out,
                              strerror(errno));
        if (st == 1) rename(old, P->out);
        return rc;
    }
    P->made_tmp = 0;
    if (st == 1) ds_rm_tree_(old);
    return DW_OK;
}

int ds_data_prepare(const DsPrepareOptions *o, DsPrepareResult *r) {
    Prep_ P;
    memset(&P, 0, sizeof P);
    memset(r, 0, sizeof *r);
    r->floor = NAN;
    P.o = o;
    int rc = prep_check_(&P);
    if (rc == DW_OK) rc = prep_resolve_(&P);
    if (rc == DW_OK) rc = prep_tokenizer_(&P);
    if (rc == DW_OK) {
        r->vocab = ds_tok_vocab(P.enc.tok);
        rc = prep_open_output_(&P);
    }
    if (rc == DW_OK) {
        P.pr.fn = o->progress;
        P.pr.ctx = o->progress_ctx;
        P.pr.t0 = P.pr.last = dw_now_s();
        rc = prep_sources_(&P);
    }
    if (rc == DW_OK) {
        progress_(&P.pr, 1);
        if (P.sink[1].total == 0 && o->val_frac > 0)
            ds_progress_(o->progress, o->progress_ctx, DS_PROGRESS_LINE,
                         "warning: the val split is empty (the sources are too short for "
                         "--val-frac %g)",
                         o->val_frac);
        rc = prep_manifest_(&P, r);
    }
    if (rc == DW_OK) rc = prep_into_place_(&P);
    if (rc == DW_OK) {
        r->bytes = P.pr.bytes_done;
        r->seconds = dw_now_s() - P.pr.t0;
    }
    if (P.made_tmp) ds_rm_tree_(P.tmp);
    for (int k = 0; k < 2; k++) {
        free(P.sink[k].buf);
        cJSON_Delete(P.sink[k].files);
    }
    ds_ids_free(&P.enc.ids);
    ds_buf_free(&P.enc.carry);
    ds_tok_free(P.enc.tok);
    cJSON_Delete(P.jsrc);
    free(P.src);
    return rc;
}

int ds_data_generate(const char *path, const char *spec, size_t nbytes, double *nats,
                     double *floor_out, double *expected) {
    DsSynthConfig c;
    ds_synth_config_default(&c);
    int rc = ds_synth_config_parse(&c, spec);
    if (rc != DW_OK) return rc;
    if (nbytes == 0) return dw_error_set(DW_EINVAL, "nothing to generate (0 bytes)");
    DsSynth *g = ds_synth_alloc(&c);
    if (!g) return DW_EINVAL;
    unsigned char *buf = malloc(CHUNK_BYTES);
    DwOutFile *f = NULL;
    if (!buf) {
        rc = dw_error_set(DW_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = dw_out_open(path, &f)) != DW_OK) goto out;
    for (size_t done = 0; done < nbytes;) {
        size_t m = nbytes - done < CHUNK_BYTES ? nbytes - done : CHUNK_BYTES;
        if ((rc = ds_synth_generate(g, buf, m)) != DW_OK) goto out;
        if ((rc = dw_out_write(f, buf, m)) != DW_OK) goto out;
        done += m;
    }
    rc = dw_out_commit(f);
    f = NULL;
    if (rc != DW_OK) goto out;
    if (nats) *nats = ds_synth_nats(g);
    if (floor_out) *floor_out = ds_synth_floor(g);
    if (expected) *expected = ds_synth_expected_floor(g);
out:
    if (f) dw_out_abort(f);
    free(buf);
    ds_synth_free(g);
    return rc;
}
