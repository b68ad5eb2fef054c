/* datasets/synth.c — the synthetic language (issue 4 item 1; grammar and entropy argument in
 * docs/synthetic-language.md): a seeded generator that writes byte-identical text on every
 * platform and accounts −ln P of every unit it writes, an analytic expected floor, and an
 * independent scorer that parses text of the language and recomputes −ln P(text).
 *
 * Design stance: fast where it matters (the hot loop copies precomputed 16-byte word forms
 * and draws ranks from one shared Zipf table per word class through a guide table; 150-300
 * MB/s at -O2 for the default language), plain everywhere else. Sampling is integer-only:
 * xoshiro256** outputs, tables whose weights sum to exactly 2^31 (a draw is the top 31
 * bits), Bernoulli thresholds out of 2^32, and exact bounded integers by Lemire's
 * multiply-shift with rejection.
 * Doubles are used only for the accounting, which never feeds back into sampling.
 */
#include "datasets/synth.h"

#include "common/dw.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ----------------------------------------------------------------------------
// limits and fixed parameters of the grammar

#define SY_VOCAB_MIN 16
#define SY_VOCAB_MAX (1 << 20)
#define SY_TOPICS_MAX 4096
#define SY_TABLE_MAX (1L << 24) /* vocab × topics */
#define SY_DEPTH_MAX 32
#define SY_SENT_MAX 4096

#define SY_NCLASS 4            /* selection classes of nouns; verbs are drawn per class */
#define SY_ZIPF_LOG2 31        /* every rank table sums to 2^31 */
#define SY_P_ADJ (1ULL << 30)  /* P(adjective before a noun) = 1/4, out of 2^32 */
#define SY_P_PL (3ULL << 29)   /* P(plural noun) = 3/8 */
#define SY_P_OBJ (1ULL << 31)  /* P(a verb takes an object) = 1/2 */
#define SY_FORM 16             /* bytes per precomputed word form: text, then length at [15] */
#define SY_NP_MAX (2 * 11)     /* adjective + noun, each <= 9 letters + separator */
#define SY_LEVEL_MAX (2 * SY_NP_MAX + 5 + 11) /* subject, "that ", verb, object */

static const char sy_cons_[] = "bcdfghjklmnprtvz"; /* no 's': an 's' suffix is never ambiguous */
static const char sy_vow_[] = "aeiou";

// ----------------------------------------------------------------------------
// random numbers: splitmix64 for seeding, xoshiro256** for the stream

typedef struct {
    uint64_t s[4];
} SyRng;

static uint64_t splitmix64_(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_seed_(SyRng *r, uint64_t x) {
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64_(&x);
}

static inline uint64_t rotl_(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t rng_next_(SyRng *r) {
    uint64_t *s = r->s;
    uint64_t out = rotl_(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl_(s[3], 45);
    return out;
}

/* Exactly uniform on [0, n), n >= 1 (Lemire 2019, with the rejection step). */
static uint32_t rng_below_(SyRng *r, uint32_t n) {
    uint64_t m = (rng_next_(r) >> 32) * (uint64_t)n;
    uint32_t lo = (uint32_t)m;
    if (lo < n) {
        uint32_t t = (uint32_t)(0u - n) % n;
        while (lo < t) {
            m = (rng_next_(r) >> 32) * (uint64_t)n;
            lo = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

/* True with probability thr / 2^32 exactly (thr <= 2^32). */
static inline int rng_bern_(SyRng *r, uint64_t thr) { return (rng_next_(r) >> 32) < thr; }

// ----------------------------------------------------------------------------
// the generator object

/* A Zipf rank table shared by every topic of one word class: weights w_r ∝ 1/(r+1) scaled
 * to sum to exactly 2^31; cum is inclusive (cum[n-1] = 2^31); lp[r] = ln(w_r / 2^31). */
typedef struct {
    uint32_t n;
    uint32_t *cum;   /* (n) */
    double *lp;      /* (n) */
    double H;        /* entropy of the table, nats */
    int gbits;       /* guide table: 2^gbits entries */
    uint32_t *guide; /* (2^gbits) smallest rank r with cum[r] > j·2^(31 − gbits) */
} SyZipf;

/* One distinct sentence text of the current document (repeats choose among these). */
typedef struct {
    size_t off, len; /* text in the document buffer, without the line break */
    double lpf;      /* ln P_fresh(text) */
} SyDistinct;

struct DsSynth {
    DsSynthConfig cfg;
    int T, S, maxd;
    uint32_t nn, nv, na;                /* nouns, verbs, adjectives */
    uint64_t thr_nest, thr_rep;          /* Bernoulli thresholds out of 2^32 */
    double p_nest, p_rep;                /* the probabilities actually sampled: thr / 2^32 */
    double lp_adj[2], lp_pl[2], lp_obj[2], lp_nest[2]; /* ln P(no), ln P(yes) */
    double lp_rep, lp_fresh, lnT;
    SyZipf zn, zv, za;
    uint32_t *perm_n; /* (T, nn) rank -> noun id, per topic */
    uint32_t *perm_v; /* (T, SY_NCLASS, nv) rank -> verb id, per topic and subject class */
    uint32_t *perm_a; /* (T, na) rank -> adjective id */
    unsigned char *form_n; /* (2, nn, SY_FORM) "stem " / "stems " (singular, plural) */
    unsigned char *form_v; /* (2, nv, SY_FORM) "stem " / "stems " (plural, singular subject) */
    unsigned char *form_a; /* (na, SY_FORM) "stem " */
    char *head;            /* (T, 24) header line "= Name =\n", NUL-terminated */
    unsigned char *stem_len; /* (vocab + T) letters in each stem, for the expected floor */

    SyRng rng;
    unsigned char *doc; /* (doc_cap) current document */
    size_t doc_cap, doc_len, doc_pos;
    size_t *unit_start; /* (S + 1) */
    double *unit_nats;  /* (S + 1) */
    int nunits, next_unit;
    double doc_nats;
    SyDistinct *dist; /* (S) */

    double nats;
    size_t bytes;
    double st_n, st_b, st_nn, st_bb, st_nb; /* over complete documents: Σn, Σb, Σn², Σb², Σnb */
    long st_docs;
};

// ----------------------------------------------------------------------------
// config

void ds_synth_config_default(DsSynthConfig *c) {
    c->seed = 1;
    c->vocab = 2000;
    c->topics = 16;
    c->max_depth = 3;
    c->p_nest = 0.35;
    c->p_repeat = 0.1;
    c->doc_sentences = 12;
    c->stream = 0;
}

int ds_synth_config_check(const DsSynthConfig *c) {
    if (!c) return dw_error_set(DW_EINVAL, "synth: NULL config");
    if (c->vocab < SY_VOCAB_MIN || c->vocab > SY_VOCAB_MAX)
        return dw_error_set(DW_ERANGE, "synth: vocab %d is outside [%d, %d]", c->vocab,
                            SY_VOCAB_MIN, SY_VOCAB_MAX);
    if (c->topics < 1 || c->topics > SY_TOPICS_MAX)
        return dw_error_set(DW_ERANGE, "synth: topics %d is outside [1, %d]", c->topics,
                            SY_TOPICS_MAX);
    if ((long)c->vocab * c->topics > SY_TABLE_MAX)
        return dw_error_set(DW_ERANGE, "synth: vocab × topics = %ld exceeds %ld",
                            (long)c->vocab * c->topics, SY_TABLE_MAX);
    if (c->max_depth < 1 || c->max_depth > SY_DEPTH_MAX)
        return dw_error_set(DW_ERANGE, "synth: depth %d is outside [1, %d]", c->max_depth,
                            SY_DEPTH_MAX);
    if (!(c->p_nest >= 0 && c->p_nest <= 1))
        return dw_error_set(DW_ERANGE, "synth: nest %g is outside [0, 1]", c->p_nest);
    if (!(c->p_repeat >= 0 && c->p_repeat <= 1))
        return dw_error_set(DW_ERANGE, "synth: repeat %g is outside [0, 1]", c->p_repeat);
    if (c->doc_sentences < 1 || c->doc_sentences > SY_SENT_MAX)
        return dw_error_set(DW_ERANGE, "synth: sentences %d is outside [1, %d]",
                            c->doc_sentences, SY_SENT_MAX);
    return DW_OK;
}

static int parse_u64_(const char *s, const char *key, uint64_t *out) {
    char *end;
    if (!*s) return dw_error_set(DW_EINVAL, "synth: %s: empty value, expected an integer", key);
    if (*s < '0' || *s > '9')
        return dw_error_set(DW_EINVAL, "synth: %s: '%s' is not a non-negative integer", key, s);
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end) return dw_error_set(DW_EINVAL, "synth: %s: '%s' is not an integer", key, s);
    if (errno == ERANGE)
        return dw_error_set(DW_ERANGE, "synth: %s: %s does not fit in 64 bits", key, s);
    *out = (uint64_t)v;
    return DW_OK;
}

static int set_key_(DsSynthConfig *c, const char *key, const char *val) {
    char what[64];
    long v;
    double d;
    int rc;
    snprintf(what, sizeof what, "synth: %s", key);
    if (!strcmp(key, "seed")) return parse_u64_(val, key, &c->seed);
    if (!strcmp(key, "stream")) return parse_u64_(val, key, &c->stream);
    if (!strcmp(key, "vocab")) {
        if ((rc = dw_parse_int(val, what, SY_VOCAB_MIN, SY_VOCAB_MAX, &v))) return rc;
        c->vocab = (int)v;
    } else if (!strcmp(key, "topics")) {
        if ((rc = dw_parse_int(val, what, 1, SY_TOPICS_MAX, &v))) return rc;
        c->topics = (int)v;
    } else if (!strcmp(key, "depth") || !strcmp(key, "max_depth")) {
        if ((rc = dw_parse_int(val, what, 1, SY_DEPTH_MAX, &v))) return rc;
        c->max_depth = (int)v;
    } else if (!strcmp(key, "sentences") || !strcmp(key, "doc_sentences")) {
        if ((rc = dw_parse_int(val, what, 1, SY_SENT_MAX, &v))) return rc;
        c->doc_sentences = (int)v;
    } else if (!strcmp(key, "nest") || !strcmp(key, "p_nest") || !strcmp(key, "repeat") ||
               !strcmp(key, "p_repeat")) {
        if ((rc = dw_parse_double(val, what, 0, &d))) return rc;
        if (!(d >= 0 && d <= 1))
            return dw_error_set(DW_ERANGE, "synth: %s: %s is outside [0, 1]", key, val);
        if (strstr(key, "nest")) c->p_nest = d;
        else c->p_repeat = d;
    } else {
        return dw_error_set(DW_EINVAL,
                            "synth: unknown key '%s' (known: seed, vocab, topics, depth, nest, "
                            "repeat, sentences, stream)",
                            key);
    }
    return DW_OK;
}

static void trim_(char **a, char **z) {
    while (*a < *z && (**a == ' ' || **a == '\t')) (*a)++;
    while (*z > *a && ((*z)[-1] == ' ' || (*z)[-1] == '\t')) (*z)--;
}

int ds_synth_config_parse(DsSynthConfig *c, const char *spec) {
    if (!c) return dw_error_set(DW_EINVAL, "synth: NULL config");
    if (!spec || !*spec) return DW_OK;
    size_t n = strlen(spec);
    char *buf = malloc(n + 1);
    if (!buf) return dw_error_set(DW_ENOMEM, "synth: out of memory");
    memcpy(buf, spec, n + 1);
    int rc = DW_OK;
    char *p = buf;
    while (p && *p) {
        char *comma = strchr(p, ',');
        char *end = comma ? comma : p + strlen(p);
        char *next = comma ? comma + 1 : NULL;
        char *a = p, *z = end;
        trim_(&a, &z);
        p = next;
        if (a == z) continue; /* empty item: ",," or a trailing comma */
        *z = '\0';
        char *eq = strchr(a, '=');
        if (!eq) {
            rc = dw_error_set(DW_EINVAL, "synth: '%s' is not key=value", a);
            goto out;
        }
        char *ka = a, *kz = eq, *va = eq + 1, *vz = z;
        trim_(&ka, &kz);
        trim_(&va, &vz);
        *kz = '\0';
        *vz = '\0';
        if ((rc = set_key_(c, ka, va))) goto out;
    }
out:
    free(buf);
    return rc;
}

/* Shortest "%.{15,16,17}g" text that reads back to v. */
static void fmt_double_(double v, char out[32]) {
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, 32, "%.*g", prec, v);
        if (strtod(out, NULL) == v) return;
    }
}

int ds_synth_config_format(const DsSynthConfig *c, char *out, size_t size) {
    char pn[32], pr[32];
    fmt_double_(c->p_nest, pn);
    fmt_double_(c->p_repeat, pr);
    return snprintf(out, size,
                    "seed=%llu,vocab=%d,topics=%d,depth=%d,nest=%s,repeat=%s,sentences=%d,"
                    "stream=%llu",
                    (unsigned long long)c->seed, c->vocab, c->topics, c->max_depth, pn, pr,
                    c->doc_sentences, (unsigned long long)c->stream);
}

// ----------------------------------------------------------------------------
// tables: spelling, Zipf ranks, per-topic permutations

/* Stem of word g (global index: content words 0..vocab-1, then topic names): the g-th string
 * in bijective base 80 over consonant-vowel syllables (80 one-syllable stems, then 6400 of
 * two, ...), each position's syllable scrambled by a fixed bijection of [0, 80). No stem
 * contains 's', so stem + "s" is never another stem; stems are at most 8 letters. */
static int spell_(uint32_t g, char out[9]) {
    uint64_t n = g, block = 80;
    int k = 1;
    while (n >= block) {
        n -= block;
        block *= 80;
        k++;
    }
    for (int i = 0; i < k; i++) {
        uint32_t syl = (uint32_t)(n % 80);
        n /= 80;
        syl = (syl * 37 + 11u * (uint32_t)i + 3) % 80;
        out[2 * i] = sy_cons_[syl / 5];
        out[2 * i + 1] = sy_vow_[syl % 5];
    }
    out[2 * k] = '\0';
    return 2 * k;
}

static void form_set_(unsigned char *f, const char *stem, int len, int suffix_s) {
    memset(f, 0, SY_FORM);
    memcpy(f, stem, (size_t)len);
    if (suffix_s) f[len++] = 's';
    f[len++] = ' ';
    f[SY_FORM - 1] = (unsigned char)len;
}

static int zipf_init_(SyZipf *z, uint32_t n) {
    z->n = n;
    z->cum = malloc(n * sizeof *z->cum);
    z->lp = malloc(n * sizeof *z->lp);
    uint32_t *w = malloc(n * sizeof *w);
    if (!z->cum || !z->lp || !w) {
        free(w);
        return DW_ENOMEM;
    }
    uint64_t sum = 0, total = 0, target = 1ULL << SY_ZIPF_LOG2;
    for (uint32_t r = 0; r < n; r++) sum += (1u << 24) / (r + 1);
    for (uint32_t r = 0; r < n; r++) {
        w[r] = (uint32_t)((uint64_t)((1u << 24) / (r + 1)) * target / sum);
        total += w[r];
    }
    /* the rounding deficit (< n) goes one unit each to the most frequent ranks */
    for (uint32_t r = 0; total < target; r++, total++) w[r]++;
    uint64_t c = 0;
    z->H = 0;
    for (uint32_t r = 0; r < n; r++) {
        c += w[r];
        z->cum[r] = (uint32_t)c;
        z->lp[r] = log((double)w[r] / (double)target);
        z->H -= exp(z->lp[r]) * z->lp[r];
    }
    free(w);
    /* guide table (the cutpoint method): with >= 2n buckets the scan from the guide is a
     * step or two, and the result is still exactly the smallest r with cum[r] > x */
    z->gbits = 1;
    while ((1u << z->gbits) < 2 * n && z->gbits < 24) z->gbits++;
    z->guide = malloc(((size_t)1 << z->gbits) * sizeof *z->guide);
    if (!z->guide) return DW_ENOMEM;
    uint32_t r = 0;
    for (uint32_t j = 0; j < (1u << z->gbits); j++) {
        uint32_t x = j << (SY_ZIPF_LOG2 - z->gbits);
        while (z->cum[r] <= x) r++;
        z->guide[j] = r;
    }
    return DW_OK;
}

static void zipf_free_(SyZipf *z) {
    free(z->cum);
    free(z->lp);
    free(z->guide);
}

/* Smallest r with cum[r] > x, for x < 2^31. */
static inline uint32_t zipf_rank_(const SyZipf *z, uint32_t x) {
    const uint32_t *cum = z->cum;
    uint32_t r = z->guide[x >> (SY_ZIPF_LOG2 - z->gbits)];
    while (cum[r] <= x) r++;
    return r;
}

static inline uint32_t zipf_draw_(const SyZipf *z, SyRng *r) {
    return zipf_rank_(z, (uint32_t)(rng_next_(r) >> (64 - SY_ZIPF_LOG2)));
}

/* Uniformly random permutation (Fisher–Yates) of [0, n) into p. */
static void shuffle_(uint32_t *p, uint32_t n, SyRng *r) {
    for (uint32_t i = 0; i < n; i++) p[i] = i;
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = rng_below_(r, i + 1), t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
}

/* Global index of the k-th word of a class: nouns are g ≡ 0, 1 (mod 4), verbs g ≡ 2,
 * adjectives g ≡ 3. */
static uint32_t noun_g_(uint32_t k) { return (k / 2) * 4 + (k % 2); }
static uint32_t verb_g_(uint32_t k) { return k * 4 + 2; }
static uint32_t adj_g_(uint32_t k) { return k * 4 + 3; }

/* ln(p) for a Bernoulli threshold: out[0] = ln P(false), out[1] = ln P(true). */
static void bern_lp_(uint64_t thr, double out[2]) {
    double p = (double)thr / 4294967296.0;
    out[1] = log(p);
    out[0] = log1p(-p);
}

/* p rounded to the nearest multiple of 2^−32 (ties up), as a count out of 2^32. Every step
 * is exact in binary floating point, so no platform rounds differently. */
static uint64_t thr_of_(double p) {
    double x = ldexp(p, 32), f = floor(x);
    return (uint64_t)f + (x - f >= 0.5);
}

void ds_synth_free(DsSynth *g) {
    if (!g) return;
    zipf_free_(&g->zn);
    zipf_free_(&g->zv);
    zipf_free_(&g->za);
    free(g->perm_n);
    free(g->perm_v);
    free(g->perm_a);
    free(g->form_n);
    free(g->form_v);
    free(g->form_a);
    free(g->head);
    free(g->stem_len);
    free(g->doc);
    free(g->unit_start);
    free(g->unit_nats);
    free(g->dist);
    free(g);
}

DsSynth *ds_synth_alloc(const DsSynthConfig *c) {
    if (ds_synth_config_check(c)) return NULL;
    DsSynth *g = calloc(1, sizeof *g);
    if (!g) goto nomem;
    g->cfg = *c;
    g->T = c->topics;
    g->S = c->doc_sentences;
    g->maxd = c->max_depth;
    uint32_t V = (uint32_t)c->vocab, T = (uint32_t)c->topics;
    g->nn = (V / 4) * 2 + (V % 4 >= 1) + (V % 4 >= 2);
    g->nv = V / 4 + (V % 4 >= 3);
    g->na = V / 4;
    g->thr_nest = thr_of_(c->p_nest);
    g->thr_rep = thr_of_(c->p_repeat);
    g->p_nest = (double)g->thr_nest / 4294967296.0;
    g->p_rep = (double)g->thr_rep / 4294967296.0;
    bern_lp_(SY_P_ADJ, g->lp_adj);
    bern_lp_(SY_P_PL, g->lp_pl);
    bern_lp_(SY_P_OBJ, g->lp_obj);
    bern_lp_(g->thr_nest, g->lp_nest);
    double lpr[2];
    bern_lp_(g->thr_rep, lpr);
    g->lp_fresh = lpr[0];
    g->lp_rep = lpr[1];
    g->lnT = log((double)T);

    if (zipf_init_(&g->zn, g->nn) || zipf_init_(&g->zv, g->nv) || zipf_init_(&g->za, g->na))
        goto nomem;
    g->perm_n = malloc((size_t)T * g->nn * sizeof *g->perm_n);
    g->perm_v = malloc((size_t)T * SY_NCLASS * g->nv * sizeof *g->perm_v);
    g->perm_a = malloc((size_t)T * g->na * sizeof *g->perm_a);
    g->form_n = malloc((size_t)2 * g->nn * SY_FORM);
    g->form_v = malloc((size_t)2 * g->nv * SY_FORM);
    g->form_a = malloc((size_t)g->na * SY_FORM);
    g->head = malloc((size_t)T * 24);
    g->stem_len = malloc((size_t)V + T);
    if (!g->perm_n || !g->perm_v || !g->perm_a || !g->form_n || !g->form_v || !g->form_a ||
        !g->head || !g->stem_len)
        goto nomem;

    /* spelling: fixed by word index, the same for every seed */
    char stem[9];
    for (uint32_t i = 0; i < V + T; i++) g->stem_len[i] = (unsigned char)spell_(i, stem);
    for (uint32_t k = 0; k < g->nn; k++) {
        int len = spell_(noun_g_(k), stem);
        form_set_(g->form_n + (size_t)k * SY_FORM, stem, len, 0);
        form_set_(g->form_n + ((size_t)g->nn + k) * SY_FORM, stem, len, 1);
    }
    for (uint32_t k = 0; k < g->nv; k++) {
        int len = spell_(verb_g_(k), stem);
        form_set_(g->form_v + (size_t)k * SY_FORM, stem, len, 0);
        form_set_(g->form_v + ((size_t)g->nv + k) * SY_FORM, stem, len, 1);
    }
    for (uint32_t k = 0; k < g->na; k++) {
        int len = spell_(adj_g_(k), stem);
        form_set_(g->form_a + (size_t)k * SY_FORM, stem, len, 0);
    }
    for (uint32_t t = 0; t < T; t++) {
        spell_(V + t, stem);
        stem[0] = (char)(stem[0] - 'a' + 'A');
        snprintf(g->head + (size_t)t * 24, 24, "= %s =\n", stem);
    }

    /* the language: one permutation of ranks per topic (and per subject class for verbs) */
    SyRng tr;
    rng_seed_(&tr, c->seed ^ 0x6c616e6775616765ULL); /* "language" */
    for (uint32_t t = 0; t < T; t++) {
        shuffle_(g->perm_n + (size_t)t * g->nn, g->nn, &tr);
        for (int cl = 0; cl < SY_NCLASS; cl++)
            shuffle_(g->perm_v + ((size_t)t * SY_NCLASS + (size_t)cl) * g->nv, g->nv, &tr);
        shuffle_(g->perm_a + (size_t)t * g->na, g->na, &tr);
    }

    /* the text stream of this language */
    uint64_t x = c->seed ^ 0x73747265616d0000ULL; /* "stream" */
    rng_seed_(&g->rng, splitmix64_(&x) ^ (c->stream * 0xd1b54a32d192ed03ULL));

    g->doc_cap = 32 + (size_t)g->S * ((size_t)g->maxd * SY_LEVEL_MAX + 4) + SY_FORM;
    g->doc = malloc(g->doc_cap);
    g->unit_start = malloc(((size_t)g->S + 1) * sizeof *g->unit_start);
    g->unit_nats = malloc(((size_t)g->S + 1) * sizeof *g->unit_nats);
    g->dist = malloc((size_t)g->S * sizeof *g->dist);
    if (!g->doc || !g->unit_start || !g->unit_nats || !g->dist) goto nomem;
    return g;
nomem:
    ds_synth_free(g);
    dw_error_set(DW_ENOMEM, "synth: out of memory for vocab %d × topics %d", c->vocab,
                 c->topics);
    return NULL;
}

// ----------------------------------------------------------------------------
// generation

static inline unsigned char *put_form_(unsigned char *p, const unsigned char *f) {
    memcpy(p, f, SY_FORM); /* the buffer keeps SY_FORM bytes of slack */
    return p + f[SY_FORM - 1];
}

/* ln(e^a + e^b), with -inf allowed in either. */
static double logaddexp_(double a, double b) {
    if (a < b) {
        double t = a;
        a = b;
        b = t;
    }
    if (b == -INFINITY) return a;
    return a + log1p(exp(b - a));
}

/* Writes a noun phrase (optional adjective, noun in either number) for topic t at p.
 * Adds its log-probability to *lp; returns the new end; *cls and *pl get the noun's
 * selection class and number. */
static inline unsigned char *gen_np_(DsSynth *g, uint32_t t, unsigned char *p, double *lp,
                                     int *cls, int *pl) {
    SyRng *r = &g->rng;
    int adj = rng_bern_(r, SY_P_ADJ);
    *lp += g->lp_adj[adj];
    if (adj) {
        uint32_t k = zipf_draw_(&g->za, r);
        *lp += g->za.lp[k];
        p = put_form_(p, g->form_a + (size_t)g->perm_a[(size_t)t * g->na + k] * SY_FORM);
    }
    uint32_t k = zipf_draw_(&g->zn, r);
    uint32_t id = g->perm_n[(size_t)t * g->nn + k];
    int plural = rng_bern_(r, SY_P_PL);
    *lp += g->zn.lp[k] + g->lp_pl[plural];
    p = put_form_(p, g->form_n + ((size_t)plural * g->nn + id) * SY_FORM);
    *cls = (int)(id % SY_NCLASS);
    *pl = plural;
    return p;
}

/* A fresh sentence at p ("w w w." without the line break); *lpf gets ln P_fresh. */
static unsigned char *gen_sentence_(DsSynth *g, uint32_t t, unsigned char *p, double *lpf) {
    SyRng *r = &g->rng;
    int cls[SY_DEPTH_MAX], pl[SY_DEPTH_MAX], d = 0;
    double lp = 0;
    for (;;) { /* subjects, outermost first: a stack of (class, number) */
        p = gen_np_(g, t, p, &lp, &cls[d], &pl[d]);
        if (d + 1 >= g->maxd) break;
        int nest = rng_bern_(r, g->thr_nest);
        lp += g->lp_nest[nest];
        if (!nest) break;
        memcpy(p, "that ", 5);
        p += 5;
        d++;
    }
    for (; d >= 0; d--) { /* verbs close the clauses in stack order, each with its object */
        const SyZipf *zv = &g->zv;
        uint32_t k = zipf_draw_(zv, r);
        uint32_t id = g->perm_v[((size_t)t * SY_NCLASS + (size_t)cls[d]) * g->nv + k];
        lp += zv->lp[k];
        p = put_form_(p, g->form_v + ((size_t)(!pl[d]) * g->nv + id) * SY_FORM);
        int obj = rng_bern_(r, SY_P_OBJ);
        lp += g->lp_obj[obj];
        if (obj) {
            int c2, p2;
            p = gen_np_(g, t, p, &lp, &c2, &p2);
        }
    }
    p[-1] = '.';
    *lpf = lp;
    return p;
}

/* Generates the next document into g->doc with its units. */
static void gen_doc_(DsSynth *g) {
    SyRng *r = &g->rng;
    uint32_t t = rng_below_(r, (uint32_t)g->T);
    unsigned char *doc = g->doc, *p = doc;
    const char *h = g->head + (size_t)t * 24;
    size_t hl = strlen(h);
    memcpy(p, h, hl);
    p += hl;
    g->unit_start[0] = 0;
    g->unit_nats[0] = g->lnT;
    double dn = g->lnT;
    int nd = 0;
    for (int i = 0; i < g->S; i++) {
        unsigned char *s = p;
        double lpf, lp;
        int seen = 0;
        if (nd > 0 && rng_bern_(r, g->thr_rep)) {
            const SyDistinct *e = &g->dist[rng_below_(r, (uint32_t)nd)];
            memcpy(p, doc + e->off, e->len);
            p += e->len;
            lpf = e->lpf;
            seen = 1;
        } else {
            p = gen_sentence_(g, t, p, &lpf);
            size_t len = (size_t)(p - s);
            for (int j = 0; j < nd && !seen; j++)
                seen = g->dist[j].len == len && !memcmp(doc + g->dist[j].off, s, len);
            if (!seen) g->dist[nd++] = (SyDistinct){(size_t)(s - doc), len, lpf};
        }
        /* P(sentence | document so far) = p_rep·[seen]/nd + (1 − p_rep)·P_fresh, where nd
         * counts the distinct sentences before this one (none: the sentence is fresh) */
        int before = nd - (!seen);
        if (before == 0) lp = lpf;
        else if (!seen) lp = g->lp_fresh + lpf;
        else lp = logaddexp_(g->lp_rep - log((double)before), g->lp_fresh + lpf);
        *p++ = '\n';
        if (i == g->S - 1) *p++ = '\n';
        g->unit_start[i + 1] = (size_t)(s - doc);
        g->unit_nats[i + 1] = -lp;
        dn += -lp;
    }
    g->doc_len = (size_t)(p - doc);
    g->doc_pos = 0;
    g->nunits = g->S + 1;
    g->next_unit = 0;
    g->doc_nats = dn;
}

int ds_synth_generate(DsSynth *g, unsigned char *buf, size_t n) {
    if (!g || (!buf && n)) return dw_error_set(DW_EINVAL, "synth: NULL generator or buffer");
    while (n > 0) {
        if (g->doc_pos == g->doc_len) gen_doc_(g);
        size_t c = g->doc_len - g->doc_pos;
        if (c > n) c = n;
        size_t end = g->doc_pos + c;
        while (g->next_unit < g->nunits && g->unit_start[g->next_unit] < end)
            g->nats += g->unit_nats[g->next_unit++];
        memcpy(buf, g->doc + g->doc_pos, c);
        buf += c;
        n -= c;
        g->doc_pos = end;
        g->bytes += c;
        if (end == g->doc_len) {
            double dn = g->doc_nats, db = (double)g->doc_len;
            g->st_n += dn;
            g->st_b += db;
            g->st_nn += dn * dn;
            g->st_bb += db * db;
            g->st_nb += dn * db;
            g->st_docs++;
        }
    }
    return DW_OK;
}

double ds_synth_nats(const DsSynth *g) { return g->nats; }
size_t ds_synth_bytes(const DsSynth *g) { return g->bytes; }
double ds_synth_floor(const DsSynth *g) { return g->bytes ? g->nats / (double)g->bytes : NAN; }

double ds_synth_floor_se(const DsSynth *g) {
    double N = (double)g->st_docs;
    if (g->st_docs < 2) return NAN;
    double R = g->st_n / g->st_b, bbar = g->st_b / N;
    double ss = g->st_nn - 2 * R * g->st_nb + R * R * g->st_bb; /* Σ (n_i − R b_i)² */
    if (ss < 0) ss = 0;
    return sqrt(ss / (N - 1) / N) / bbar;
}

// ----------------------------------------------------------------------------
// expected floor (analytic)

/* Binary entropy from the two log-probabilities (0·ln 0 = 0). */
static double h2_(const double lp[2]) {
    double h = 0;
    for (int i = 0; i < 2; i++)
        if (lp[i] > -INFINITY) h -= exp(lp[i]) * lp[i];
    return h;
}

double ds_synth_expected_floor(const DsSynth *g) {
    uint32_t T = (uint32_t)g->T, V = (uint32_t)g->cfg.vocab;
    double pa = exp(g->lp_adj[1]), ppl = exp(g->lp_pl[1]), po = exp(g->lp_obj[1]);
    double pn = g->p_nest, pr = g->p_rep;
    /* nats of one fresh sentence: the same for every topic (tables are permutations) */
    double np_nats = h2_(g->lp_adj) + pa * g->za.H + g->zn.H + h2_(g->lp_pl);
    double vp_nats = g->zv.H + h2_(g->lp_obj) + po * np_nats;
    double c_nats = 0;
    for (int d = g->maxd - 1; d >= 0; d--)
        c_nats = np_nats + vp_nats + (d + 1 < g->maxd ? h2_(g->lp_nest) + pn * c_nats : 0);
    double hf = c_nats;
    /* E[ln D_i]: D_i = 1 + Binomial(i − 2, 1 − pr) distinct sentences before sentence i >= 2 */
    double *pmf = calloc((size_t)g->S + 1, sizeof *pmf);
    if (!pmf) return NAN;
    double doc_nats = g->lnT + hf;
    pmf[0] = 1;
    for (int i = 2; i <= g->S; i++) {
        double eln = 0;
        for (int m = 0; m <= i - 2; m++) eln += pmf[m] * log(1.0 + m);
        doc_nats += h2_((double[2]){g->lp_fresh, g->lp_rep}) + (1 - pr) * hf + pr * eln;
        for (int m = i - 1; m >= 0; m--) /* one more trial for the next sentence */
            pmf[m] = pmf[m] * pr + (m ? pmf[m - 1] * (1 - pr) : 0);
    }
    free(pmf);
    /* bytes: topic-dependent through the spelling lengths of each topic's frequent words */
    double doc_bytes = 0;
    for (uint32_t t = 0; t < T; t++) {
        double en = 0, ea = 0, q[SY_NCLASS] = {0}, ev = 0;
        for (uint32_t k = 0; k < g->nn; k++) {
            uint32_t id = g->perm_n[(size_t)t * g->nn + k];
            double p = exp(g->zn.lp[k]);
            en += p * g->stem_len[noun_g_(id)];
            q[id % SY_NCLASS] += p;
        }
        for (uint32_t k = 0; k < g->na; k++)
            ea += exp(g->za.lp[k]) * g->stem_len[adj_g_(g->perm_a[(size_t)t * g->na + k])];
        for (int cl = 0; cl < SY_NCLASS; cl++) {
            const uint32_t *pv = g->perm_v + ((size_t)t * SY_NCLASS + (size_t)cl) * g->nv;
            for (uint32_t k = 0; k < g->nv; k++)
                ev += q[cl] * exp(g->zv.lp[k]) * g->stem_len[verb_g_(pv[k])];
        }
        /* each word counts its letters, its suffix and the separator after it */
        double np_b = pa * (ea + 1) + en + ppl + 1;
        double vp_b = ev + (1 - ppl) + 1 + po * np_b;
        double c_b = 0;
        for (int d = g->maxd - 1; d >= 0; d--)
            c_b = np_b + vp_b + (d + 1 < g->maxd ? pn * (5 + c_b) : 0);
        double head = (double)g->stem_len[V + t] + 5;
        doc_bytes += (head + g->S * (c_b + 1) + 1) / T;
    }
    return doc_nats / doc_bytes;
}

// ----------------------------------------------------------------------------
// scorer: an independent parse of the text

/* Open-addressing map from a stem (<= 8 letters packed into a uint64) to its global index. */
typedef struct {
    uint64_t *key;
    uint32_t *val;
    size_t mask;
} SyMap;

static uint64_t pack_(const unsigned char *s, size_t n) {
    uint64_t k = 0;
    for (size_t i = 0; i < n; i++) k = (k << 8) | s[i];
    return k;
}

static size_t map_slot_(const SyMap *m, uint64_t key) {
    size_t i = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) & m->mask;
    while (m->key[i] && m->key[i] != key) i = (i + 1) & m->mask;
    return i;
}

/* Global index of the stem s[0..n), or -1. */
static long map_get_(const SyMap *m, const unsigned char *s, size_t n) {
    if (n == 0 || n > 8) return -1;
    size_t i = map_slot_(m, pack_(s, n));
    return m->key[i] ? (long)m->val[i] : -1;
}

typedef struct {
    const DsSynth *g;
    SyMap map;
    uint32_t *inv_n, *inv_v, *inv_a; /* rank of each word under the current topic */
    uint32_t topic;
    const unsigned char *w[SY_DEPTH_MAX * 8 + 8]; /* words of the current sentence */
    size_t wl[SY_DEPTH_MAX * 8 + 8];
    int nw;
} SyScore;

enum { SY_NOUN, SY_VERB, SY_ADJ, SY_THAT, SY_BAD };

/* Class of word i of the sentence, with its id within the class and its 's' suffix. */
static int word_kind_(const SyScore *sc, int i, uint32_t *id, int *suffix) {
    const unsigned char *w = sc->w[i];
    size_t n = sc->wl[i];
    if (n == 4 && !memcmp(w, "that", 4)) return SY_THAT;
    *suffix = n > 0 && w[n - 1] == 's';
    long gi = map_get_(&sc->map, w, n - (size_t)*suffix);
    if (gi < 0 || gi >= sc->g->cfg.vocab) return SY_BAD;
    switch (gi % 4) {
    case 0: case 1: *id = (uint32_t)((gi / 4) * 2 + gi % 4); return SY_NOUN;
    case 2: *id = (uint32_t)(gi / 4); return SY_VERB;
    default: *id = (uint32_t)(gi / 4); return *suffix ? SY_BAD : SY_ADJ;
    }
}

#define SY_FAIL(...) do { rc = dw_error_set(DW_EPARSE, __VA_ARGS__); goto out; } while (0)

/* Noun phrase at word *i: adds ln P to *lp; cls and pl get its noun's class and number. */
static int score_np_(SyScore *sc, int *i, double *lp, int *cls, int *pl, size_t off) {
    const DsSynth *g = sc->g;
    uint32_t id = 0;
    int suf = 0, rc = DW_OK;
    int kind = *i < sc->nw ? word_kind_(sc, *i, &id, &suf) : SY_BAD;
    *lp += g->lp_adj[kind == SY_ADJ];
    if (kind == SY_ADJ) {
        *lp += g->za.lp[sc->inv_a[id]];
        (*i)++;
        kind = *i < sc->nw ? word_kind_(sc, *i, &id, &suf) : SY_BAD;
    }
    if (kind != SY_NOUN) SY_FAIL("synth: byte %zu: expected a noun", off);
    *lp += g->zn.lp[sc->inv_n[id]] + g->lp_pl[suf];
    *cls = (int)(id % SY_NCLASS);
    *pl = suf;
    (*i)++;
out:
    return rc;
}

/* ln P_fresh of the sentence in sc->w (its byte offset `off` for messages). */
static int score_sentence_(SyScore *sc, size_t off, double *lpf) {
    const DsSynth *g = sc->g;
    int cls[SY_DEPTH_MAX], pl[SY_DEPTH_MAX], d = 0, i = 0, rc;
    uint32_t id = 0;
    int suf = 0;
    double lp = 0;
    for (;;) {
        if ((rc = score_np_(sc, &i, &lp, &cls[d], &pl[d], off))) return rc;
        if (d + 1 >= g->maxd) break;
        int nest = i < sc->nw && word_kind_(sc, i, &id, &suf) == SY_THAT;
        lp += g->lp_nest[nest];
        if (!nest) break;
        i++;
        d++;
    }
    for (; d >= 0; d--) {
        if (i >= sc->nw || word_kind_(sc, i, &id, &suf) != SY_VERB)
            return dw_error_set(DW_EPARSE, "synth: byte %zu: expected a verb at word %d", off,
                                i + 1);
        if (suf == pl[d])
            return dw_error_set(DW_EPARSE,
                                "synth: byte %zu: verb at word %d does not agree with its "
                                "subject (%s)",
                                off, i + 1, pl[d] ? "plural" : "singular");
        lp += g->zv.lp[sc->inv_v[(size_t)cls[d] * g->nv + id]];
        i++;
        uint32_t id2 = 0;
        int k = i < sc->nw ? word_kind_(sc, i, &id2, &suf) : SY_BAD;
        int obj = k == SY_NOUN || k == SY_ADJ;
        lp += g->lp_obj[obj];
        if (obj) {
            int c2, p2;
            if ((rc = score_np_(sc, &i, &lp, &c2, &p2, off))) return rc;
        }
    }
    if (i != sc->nw)
        return dw_error_set(DW_EPARSE, "synth: byte %zu: unexpected word %d after the sentence",
                            off, i + 1);
    if (!(lp > -INFINITY))
        return dw_error_set(DW_EPARSE, "synth: byte %zu: sentence has probability zero", off);
    *lpf = lp;
    return DW_OK;
}

static void score_topic_(SyScore *sc, uint32_t t) {
    const DsSynth *g = sc->g;
    sc->topic = t;
    for (uint32_t k = 0; k < g->nn; k++) sc->inv_n[g->perm_n[(size_t)t * g->nn + k]] = k;
    for (uint32_t k = 0; k < g->na; k++) sc->inv_a[g->perm_a[(size_t)t * g->na + k]] = k;
    for (size_t cl = 0; cl < SY_NCLASS; cl++)
        for (uint32_t k = 0; k < g->nv; k++)
            sc->inv_v[cl * g->nv + g->perm_v[((size_t)t * SY_NCLASS + (size_t)cl) * g->nv + k]] = k;
}

int ds_synth_score(const DsSynth *g, const unsigned char *text, size_t len, double *nats,
                   size_t *used) {
    if (!g || (!text && len) || !nats) return dw_error_set(DW_EINVAL, "synth: NULL argument");
    int rc = DW_OK;
    uint32_t V = (uint32_t)g->cfg.vocab, T = (uint32_t)g->T;
    SyScore sc = {.g = g, .topic = UINT32_MAX};
    size_t cap = 16;
    while (cap < 2 * ((size_t)V + T)) cap *= 2;
    sc.map.mask = cap - 1;
    sc.map.key = calloc(cap, sizeof *sc.map.key);
    sc.map.val = calloc(cap, sizeof *sc.map.val);
    sc.inv_n = malloc(g->nn * sizeof *sc.inv_n);
    sc.inv_v = malloc((size_t)SY_NCLASS * g->nv * sizeof *sc.inv_v);
    sc.inv_a = malloc(g->na * sizeof *sc.inv_a);
    SyDistinct *dist = malloc((size_t)g->S * sizeof *dist);
    if (!sc.map.key || !sc.map.val || !sc.inv_n || !sc.inv_v || !sc.inv_a || !dist) {
        rc = dw_error_set(DW_ENOMEM, "synth: out of memory");
        goto out;
    }
    char stem[9];
    for (uint32_t i = 0; i < V + T; i++) {
        int n = spell_(i, stem);
        uint64_t key = pack_((const unsigned char *)stem, (size_t)n);
        size_t s = map_slot_(&sc.map, key);
        sc.map.key[s] = key;
        sc.map.val[s] = i;
    }

    double total = 0;
    size_t pos = 0, done = 0;
    while (pos < len) {
        /* header line "= Name =" */
        const unsigned char *nl = memchr(text + pos, '\n', len - pos);
        if (!nl) break;
        size_t ll = (size_t)(nl - (text + pos));
        const unsigned char *l = text + pos;
        if (ll < 5 || memcmp(l, "= ", 2) || memcmp(l + ll - 2, " =", 2) || l[2] < 'A' ||
            l[2] > 'Z')
            SY_FAIL("synth: byte %zu: expected a document header '= Name ='", pos);
        unsigned char name[9];
        size_t nl_len = ll - 4;
        if (nl_len > 8) SY_FAIL("synth: byte %zu: unknown topic", pos);
        memcpy(name, l + 2, nl_len);
        name[0] = (unsigned char)(name[0] - 'A' + 'a');
        long gi = map_get_(&sc.map, name, nl_len);
        if (gi < (long)V) SY_FAIL("synth: byte %zu: unknown topic", pos);
        if ((uint32_t)(gi - V) != sc.topic) score_topic_(&sc, (uint32_t)(gi - V));
        total += g->lnT;
        pos += ll + 1;
        done = pos;
        int nd = 0;
        for (int i = 0; i < g->S; i++) {
            int last = i == g->S - 1;
            nl = memchr(text + pos, '\n', len - pos);
            if (!nl || (last && (size_t)(nl - text) + 1 >= len)) goto finish; /* partial */
            size_t sl = (size_t)(nl - (text + pos));
            const unsigned char *s = text + pos;
            if (sl < 2 || s[sl - 1] != '.')
                SY_FAIL("synth: byte %zu: expected a sentence ending in '.'", pos);
            /* split into words on single spaces */
            sc.nw = 0;
            size_t a = 0;
            for (size_t b = 0; b <= sl - 1; b++) {
                if (b < sl - 1 && s[b] != ' ') continue;
                if (b == a || sc.nw == (int)(sizeof sc.w / sizeof sc.w[0]))
                    SY_FAIL("synth: byte %zu: malformed sentence", pos + b);
                sc.w[sc.nw] = s + a;
                sc.wl[sc.nw++] = b - a;
                a = b + 1;
            }
            double lpf = 0, lp;
            if ((rc = score_sentence_(&sc, pos, &lpf))) goto out;
            size_t tl = sl; /* "w w w." without the line break, as the generator keeps it */
            int seen = 0;
            for (int j = 0; j < nd && !seen; j++)
                seen = dist[j].len == tl && !memcmp(text + dist[j].off, s, tl);
            if (nd == 0) lp = lpf;
            else if (!seen) lp = g->lp_fresh + lpf;
            else lp = logaddexp_(g->lp_rep - log((double)nd), g->lp_fresh + lpf);
            if (!(lp > -INFINITY))
                SY_FAIL("synth: byte %zu: sentence has probability zero here", pos);
            if (!seen) dist[nd++] = (SyDistinct){pos, tl, lpf};
            pos += sl + 1;
            if (last) {
                if (text[pos] != '\n')
                    SY_FAIL("synth: byte %zu: expected the blank line that ends a document",
                            pos);
                pos++;
            }
            total += -lp;
            done = pos;
        }
    }
finish:
    *nats = total;
    if (used) *used = done;
out:
    free(sc.map.key);
    free(sc.map.val);
    free(sc.inv_n);
    free(sc.inv_v);
    free(sc.inv_a);
    free(dist);
    return rc;
}
