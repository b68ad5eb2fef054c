/* datasets/shards.c — llm.c token shards: atomic writer, validating reader, and the
 * memory-mapped window loader (see shards.h for the format and the sampling rule).
 *
 * Sampling: window b of step `step` starts at index u of the split's W = Σ_i (n_i - T) valid
 * starts, u uniform on [0, W) by rejection from a splitmix64 stream seeded with
 * hash(seed, step, b). No state is carried between calls, so batches are reproducible in any
 * order. Design stance: reference, not fast; a batch is B linear scans over the shard list
 * (tens of shards) plus B·T copies.
 */
#define _GNU_SOURCE
#include "datasets/shards.h"

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
#include "common/dwfmt.h"
#include "datasets/synth.h"

static int host_le_(void) {
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

static void put_le32_(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16), p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_le32_(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int read_all_(int fd, void *buf, size_t n) {
    char *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n > (1u << 30) ? (1u << 30) : n);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) return -1;
        p += r, n -= (size_t)r;
    }
    return 0;
}

// ----------------------------------------------------------------------------
// writer

int ds_shard_write(const char *path, const uint16_t *ids, size_t n) {
    if (n > (size_t)INT32_MAX)
        return dw_error_set(DW_EINVAL, "%s: %zu tokens do not fit one shard (at most %d)", path,
                            n, INT32_MAX);
    unsigned char *buf = malloc(1 << 17); /* header, then 64Ki tokens at a time */
    if (!buf) return dw_error_set(DW_ENOMEM, "%s: out of memory", path);
    DwOutFile *f;
    int rc = dw_out_open(path, &f);
    if (rc != DW_OK) {
        free(buf);
        return rc;
    }
    memset(buf, 0, DS_SHARD_HEADER_BYTES);
    put_le32_(buf, DS_SHARD_MAGIC);
    put_le32_(buf + 4, DS_SHARD_VERSION);
    put_le32_(buf + 8, (uint32_t)n);
    rc = dw_out_write(f, buf, DS_SHARD_HEADER_BYTES);
    for (size_t i = 0; rc == DW_OK && i < n;) {
        size_t m = n - i < (1u << 16) ? n - i : (1u << 16);
        for (size_t k = 0; k < m; k++) {
            buf[2 * k] = (unsigned char)ids[i + k];
            buf[2 * k + 1] = (unsigned char)(ids[i + k] >> 8);
        }
        rc = dw_out_write(f, buf, 2 * m);
        i += m;
    }
    free(buf);
    if (rc != DW_OK) {
        dw_out_abort(f);
        return rc;
    }
    return dw_out_commit(f);
}

// ----------------------------------------------------------------------------
// reader

/* Validates a header against the file size; *ntok gets the count. */
static int check_header_(const char *path, const unsigned char *hdr, uint64_t file_bytes,
                         size_t *ntok) {
    if (file_bytes < DS_SHARD_HEADER_BYTES)
        return dw_error_set(DW_EPARSE,
                            "%s: file is %llu bytes, shorter than the %d-byte header of an "
                            "llm.c token shard",
                            path, (unsigned long long)file_bytes, DS_SHARD_HEADER_BYTES);
    int32_t magic = (int32_t)get_le32_(hdr), version = (int32_t)get_le32_(hdr + 4);
    int32_t count = (int32_t)get_le32_(hdr + 8);
    if (magic != DS_SHARD_MAGIC)
        return dw_error_set(DW_EPARSE,
                            "%s: header field [0] magic is %d, want %d (not an llm.c token "
                            "shard)",
                            path, magic, DS_SHARD_MAGIC);
    if (version != DS_SHARD_VERSION)
        return dw_error_set(DW_EPARSE,
                            "%s: header field [1] version is %d, want %d (uint16 tokens)", path,
                            version, DS_SHARD_VERSION);
    uint64_t payload = file_bytes - DS_SHARD_HEADER_BYTES;
    if (count < 0 || payload != 2 * (uint64_t)count)
        return dw_error_set(DW_EPARSE,
                            "%s: header field [2] token count is %d, but the file holds %llu "
                            "bytes after the %d-byte header (%s%llu tokens)",
                            path, count, (unsigned long long)payload, DS_SHARD_HEADER_BYTES,
                            payload % 2 ? "an odd byte count, " : "",
                            (unsigned long long)(payload / 2));
    *ntok = (size_t)count;
    return DW_OK;
}

/* Opens `path`, reads and checks the header; on DW_OK *fd_out is open (caller closes). */
static int open_shard_(const char *path, int *fd_out, DsShardInfo *info) {
    unsigned char hdr[DS_SHARD_HEADER_BYTES];
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    *fd_out = -1;
    if (fd < 0) return dw_error_set(DW_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0) {
        close(fd);
        return dw_error_set(DW_EIO, "%s: cannot stat: %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return dw_error_set(DW_EIO, "%s: not a regular file", path);
    }
    memset(hdr, 0, sizeof hdr);
    uint64_t size = (uint64_t)st.st_size;
    if (size >= DS_SHARD_HEADER_BYTES && read_all_(fd, hdr, sizeof hdr) != 0) {
        close(fd);
        return dw_error_set(DW_EIO, "%s: cannot read the header: %s", path, strerror(errno));
    }
    size_t n = 0;
    int rc = check_header_(path, hdr, size, &n);
    if (rc != DW_OK) {
        close(fd);
        return rc;
    }
    info->magic = (int32_t)get_le32_(hdr);
    info->version = (int32_t)get_le32_(hdr + 4);
    info->ntokens = n;
    info->file_bytes = size;
    *fd_out = fd;
    return DW_OK;
}

int ds_shard_info(const char *path, DsShardInfo *info) {
    int fd;
    int rc = open_shard_(path, &fd, info);
    if (rc == DW_OK) close(fd);
    return rc;
}

int ds_shard_read(const char *path, uint16_t **ids, size_t *n) {
    DsShardInfo info;
    int fd;
    *ids = NULL;
    *n = 0;
    int rc = open_shard_(path, &fd, &info);
    if (rc != DW_OK) return rc;
    uint16_t *p = NULL;
    if (info.ntokens > 0) {
        if (!(p = malloc(info.ntokens * sizeof *p))) {
            close(fd);
            return dw_error_set(DW_ENOMEM, "%s: out of memory for %zu tokens", path,
                                info.ntokens);
        }
        if (read_all_(fd, p, info.ntokens * sizeof *p) != 0) {
            free(p);
            close(fd);
            return dw_error_set(DW_EIO, "%s: cannot read the tokens: %s", path,
                                errno ? strerror(errno) : "short read");
        }
        if (!host_le_())
            for (size_t i = 0; i < info.ntokens; i++) p[i] = (uint16_t)(p[i] >> 8 | p[i] << 8);
    }
    close(fd);
    *ids = p;
    *n = info.ntokens;
    return DW_OK;
}

// ----------------------------------------------------------------------------
// listing

/* 1 when `name` is <anything>_<split>_<anything>.bin or <anything>_<split>.bin. */
static int split_match_(const char *name, const char *split) {
    size_t len = strlen(name), sl = strlen(split);
    if (len < 4 || strcmp(name + len - 4, ".bin") != 0) return 0;
    for (const char *p = strchr(name, '_'); p; p = strchr(p + 1, '_')) {
        if (strncmp(p + 1, split, sl) != 0) continue;
        const char *q = p + 1 + sl;
        if (*q == '_' || (q == name + len - 4)) return 1;
    }
    return 0;
}

static int cmp_str_(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void ds_shard_list_free(char **paths, size_t n) {
    if (!paths) return;
    for (size_t i = 0; i < n; i++) free(paths[i]);
    free(paths);
}

int ds_shard_list(const char *dir, const char *split, char ***paths, size_t *n) {
    *paths = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return dw_error_set(DW_EIO, "%s: cannot open directory: %s", dir, strerror(errno));
    char **v = NULL;
    size_t nv = 0, cap = 0;
    struct dirent *e;
    int rc = DW_OK;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !split_match_(e->d_name, split)) continue;
        if (strstr(e->d_name, ".tmp.")) continue; /* a writer's temporary */
        if (nv == cap) {
            size_t c = cap ? 2 * cap : 16;
            char **t = realloc(v, c * sizeof *t);
            if (!t) {
                rc = DW_ENOMEM;
                break;
            }
            v = t, cap = c;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        if (!(v[nv] = malloc(len))) {
            rc = DW_ENOMEM;
            break;
        }
        snprintf(v[nv++], len, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (rc != DW_OK) {
        ds_shard_list_free(v, nv);
        return dw_error_set(rc, "%s: out of memory listing shards", dir);
    }
    if (nv > 1) qsort(v, nv, sizeof *v, cmp_str_);
    *paths = v;
    *n = nv;
    return DW_OK;
}

// ----------------------------------------------------------------------------
// loader

typedef struct {
    const uint16_t *tok; /* (n,) tokens of this segment */
    size_t n;
    void *map;           /* mmapped file (NULL for heap segments) */
    size_t map_bytes;
    uint16_t *heap;      /* owned copy (synthetic data, big-endian hosts) */
} Seg_;

struct DsLoader {
    Seg_ *segs;
    size_t nseg;
    size_t ntokens;
    int vocab;
    double floor;
    char desc[512];
};

static int check_split_(const char *split) {
    if (!split || (strcmp(split, "train") != 0 && strcmp(split, "val") != 0))
        return dw_error_set(DW_EINVAL, "split must be \"train\" or \"val\" (got \"%s\")",
                            split ? split : "(null)");
    return DW_OK;
}

void ds_loader_free(DsLoader *l) {
    if (!l) return;
    for (size_t i = 0; i < l->nseg; i++) {
        if (l->segs[i].map) munmap(l->segs[i].map, l->segs[i].map_bytes);
        free(l->segs[i].heap);
    }
    free(l->segs);
    free(l);
}

/* Maps one validated shard into *s. */
static int map_shard_(const char *path, Seg_ *s) {
    DsShardInfo info;
    int fd;
    int rc = open_shard_(path, &fd, &info);
    if (rc != DW_OK) return rc;
    memset(s, 0, sizeof *s);
    s->n = info.ntokens;
    if (s->n == 0) {
        close(fd);
        return DW_OK;
    }
    if (!host_le_()) {
        close(fd);
        if ((rc = ds_shard_read(path, &s->heap, &s->n)) != DW_OK) return rc;
        s->tok = s->heap;
        return DW_OK;
    }
    void *m = mmap(NULL, (size_t)info.file_bytes, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED) return dw_error_set(DW_EIO, "%s: mmap failed: %s", path, strerror(errno));
    s->map = m;
    s->map_bytes = (size_t)info.file_bytes;
    s->tok = (const uint16_t *)((const char *)m + DS_SHARD_HEADER_BYTES);
    return DW_OK;
}

/* Reads vocab, tokenizer and the split's floor from dir/manifest.json when it exists.
 * *vocab stays 0 and tokenizer "" when there is no manifest. */
static int read_manifest_(const char *dir, const char *split, int *vocab, char *tokenizer,
                          size_t tn, double *floor_out) {
    char path[4096];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    if (access(path, F_OK) != 0) return DW_OK;
    char *text = dw_read_file(path, NULL);
    if (!text) return DW_EIO;
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return dw_error_set(DW_EPARSE, "%s: not a JSON object", path);
    }
    int rc = DW_OK;
    cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "vocab");
    if (v) {
        if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 65536 ||
            v->valuedouble != floor(v->valuedouble)) {
            rc = dw_error_set(DW_EPARSE, "%s: \"vocab\" must be an integer in [1, 65536]", path);
            goto out;
        }
        *vocab = (int)v->valuedouble;
    }
    cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "tokenizer");
    if (cJSON_IsString(t)) snprintf(tokenizer, tn, "%s", t->valuestring);
    cJSON *s = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "splits"),
                                                split);
    cJSON *f = cJSON_GetObjectItemCaseSensitive(s, "floor_nats_per_token");
    if (cJSON_IsNumber(f)) *floor_out = f->valuedouble;
out:
    cJSON_Delete(root);
    return rc;
}

int ds_loader_open(const char *dir, const char *split, DsLoader **out) {
    char **paths = NULL;
    size_t np = 0;
    DsLoader *l = NULL;
    char tokenizer[64] = "";
    int rc;
    *out = NULL;
    if ((rc = check_split_(split)) != DW_OK) return rc;
    if ((rc = ds_shard_list(dir, split, &paths, &np)) != DW_OK) return rc;
    if (np == 0) {
        rc = dw_error_set(DW_EPARSE, "%s: no %s shards (files named *_%s_*.bin or *_%s.bin)",
                          dir, split, split, split);
        goto out;
    }
    rc = DW_ENOMEM;
    if (!(l = calloc(1, sizeof *l)) || !(l->segs = calloc(np, sizeof *l->segs))) {
        dw_error_set(rc, "out of memory");
        goto out;
    }
    l->floor = NAN;
    for (size_t i = 0; i < np; i++) {
        if ((rc = map_shard_(paths[i], &l->segs[i])) != DW_OK) goto out;
        l->nseg++;
        l->ntokens += l->segs[i].n;
    }
    if ((rc = read_manifest_(dir, split, &l->vocab, tokenizer, sizeof tokenizer, &l->floor)))
        goto out;
    /* every token must index the embedding table */
    unsigned maxtok = 0;
    size_t where_seg = 0, where_pos = 0;
    for (size_t i = 0; i < l->nseg; i++)
        for (size_t k = 0; k < l->segs[i].n; k++)
            if (l->segs[i].tok[k] > maxtok)
                maxtok = l->segs[i].tok[k], where_seg = i, where_pos = k;
    if (l->vocab == 0) {
        l->vocab = maxtok < 256 ? 256 : 50257;
        if ((int)maxtok >= l->vocab) l->vocab = (int)maxtok + 1;
    } else if ((int)maxtok >= l->vocab) {
        rc = dw_error_set(DW_EPARSE,
                          "%s: token %zu is %u, outside the vocabulary (%d, from "
                          "%s/manifest.json)",
                          paths[where_seg], where_pos, maxtok, l->vocab, dir);
        goto out;
    }
    char cnt[32];
    dw_fmt_count((double)l->ntokens, cnt, sizeof cnt);
    if (tokenizer[0])
        snprintf(l->desc, sizeof l->desc, "%s (%s, %s tokens, %s)", dir, split, cnt, tokenizer);
    else
        snprintf(l->desc, sizeof l->desc, "%s (%s, %s tokens, vocab %d)", dir, split, cnt,
                 l->vocab);
    rc = DW_OK;
out:
    ds_shard_list_free(paths, np);
    if (rc != DW_OK) ds_loader_free(l);
    else *out = l;
    return rc;
}

static uint64_t splitmix64_(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t ds_loader_synth_stream(uint64_t stream, const char *split) {
    return 2 * stream + (split && strcmp(split, "val") == 0);
}

int ds_loader_open_synthetic(const char *spec, size_t ntokens, const char *split,
                             DsLoader **out) {
    DsSynthConfig c;
    DsSynth *g = NULL;
    DsLoader *l = NULL;
    unsigned char *text = NULL;
    int rc;
    *out = NULL;
    if ((rc = check_split_(split)) != DW_OK) return rc;
    if (ntokens < 2)
        return dw_error_set(DW_EINVAL, "synthetic data needs at least 2 tokens (got %zu)",
                            ntokens);
    ds_synth_config_default(&c);
    if (spec && *spec && (rc = ds_synth_config_parse(&c, spec)) != DW_OK) return rc;
    c.stream = ds_loader_synth_stream(c.stream, split);
    rc = DW_ENOMEM;
    if (!(l = calloc(1, sizeof *l)) || !(l->segs = calloc(1, sizeof *l->segs)) ||
        !(text = malloc(ntokens)) || !(l->segs[0].heap = malloc(ntokens * sizeof(uint16_t)))) {
        dw_error_set(rc, "out of memory for %zu synthetic tokens", ntokens);
        goto out;
    }
    l->nseg = 1;
    if (!(g = ds_synth_alloc(&c))) { /* message set: a bad config or memory */
        rc = DW_EINVAL;
        goto out;
    }
    if ((rc = ds_synth_generate(g, text, ntokens)) != DW_OK) goto out;
    for (size_t i = 0; i < ntokens; i++) l->segs[0].heap[i] = text[i];
    l->segs[0].tok = l->segs[0].heap;
    l->segs[0].n = l->ntokens = ntokens;
    l->vocab = 256;
    l->floor = ds_synth_floor(g);
    char cnt[32];
    dw_fmt_count((double)ntokens, cnt, sizeof cnt);
    snprintf(l->desc, sizeof l->desc, "synthetic%s%s (%s, %s tokens, byte, floor %.4f nats/token)",
             spec && *spec ? ":" : "", spec && *spec ? spec : "", split, cnt, l->floor);
    rc = DW_OK;
out:
    ds_synth_free(g);
    free(text);
    if (rc != DW_OK) ds_loader_free(l);
    else *out = l;
    return rc;
}

size_t ds_loader_tokens(const DsLoader *l) { return l->ntokens; }
int ds_loader_vocab(const DsLoader *l) { return l->vocab; }
double ds_loader_floor(const DsLoader *l) { return l->floor; }
const char *ds_loader_describe(const DsLoader *l) { return l->desc; }

int ds_loader_batch(DsLoader *l, uint64_t seed, uint64_t step, int B, int T, int32_t *inputs,
                    int32_t *targets) {
    if (B < 1 || T < 1 || !inputs || !targets)
        return dw_error_set(DW_EINVAL, "batch needs B >= 1, T >= 1 and buffers (B=%d, T=%d)", B,
                            T);
    uint64_t W = 0; /* number of valid window starts over the split */
    size_t biggest = 0;
    for (size_t i = 0; i < l->nseg; i++) {
        if (l->segs[i].n > (size_t)T) W += l->segs[i].n - (size_t)T;
        if (l->segs[i].n > biggest) biggest = l->segs[i].n;
    }
    if (W == 0)
        return dw_error_set(DW_EINVAL,
                            "%s: a window needs T+1 = %d tokens in one shard, but the largest "
                            "of %zu shard%s holds %zu (%zu tokens in all)",
                            l->desc, T + 1, l->nseg, l->nseg == 1 ? "" : "s", biggest,
                            l->ntokens);
    for (int b = 0; b < B; b++) {
        /* the stream for (seed, step, b): three rounds so nearby triples are unrelated */
        uint64_t x = seed;
        x = splitmix64_(&x) ^ step;
        x = splitmix64_(&x) ^ (uint64_t)b;
        x = splitmix64_(&x);
        uint64_t lim = UINT64_MAX - UINT64_MAX % W, r;
        do r = splitmix64_(&x);
        while (r >= lim);
        uint64_t u = r % W;
        size_t i = 0;
        for (;; i++) {
            uint64_t w = l->segs[i].n > (size_t)T ? l->segs[i].n - (size_t)T : 0;
            if (u < w) break;
            u -= w;
        }
        const uint16_t *tok = l->segs[i].tok + u; /* (T+1,) */
        int32_t *in = inputs + (size_t)b * T, *tg = targets + (size_t)b * T;
        for (int t = 0; t < T; t++) {
            in[t] = tok[t];
            tg[t] = tok[t + 1];
        }
    }
    return DW_OK;
}
