/* datasets/synth.c — the synthetic language (issue 4 item 1; grammar and entropy argument in
 * docs/synthetic-language.md): a seeded generator that writes byte-identical text on every
 * platform and accounts −ln P of every unit it writes: the config, the random numbers, the
 * tables (spelling, Zipf ranks, per-topic permutations) and the generation loop. The analytic
 * expected floor and the independent scorer, which read the tables but never sample, are in
 * synth_score.c; the object layout and the grammar's constants they share are in
 * synth_impl.h.
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
#include "datasets/synth_impl.h"

#include "common/dw.h"
#include "common/dwfmt.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the spelling alphabet: consonant-vowel syllables */
static const char sy_cons_[] = "bcdfghjklmnprtvz"; /* no 's': an 's' suffix is never ambiguous */
static const char sy_vow_[] = "aeiou";

// ----------------------------------------------------------------------------
// random numbers: splitmix64 for seeding, xoshiro256** for the stream

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

int ds_synth_config_format(const DsSynthConfig *c, char *out, size_t size) {
    char pn[32], pr[32];
    dw_fmt_shortest(c->p_nest, pn, sizeof pn);
    dw_fmt_shortest(c->p_repeat, pr, sizeof pr);
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
int ds_synth_spell_(uint32_t g, char out[9]) {
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
    for (uint32_t i = 0; i < V + T; i++) g->stem_len[i] = (unsigned char)ds_synth_spell_(i, stem);
    for (uint32_t k = 0; k < g->nn; k++) {
        int len = ds_synth_spell_(ds_synth_noun_g_(k), stem);
        form_set_(g->form_n + (size_t)k * SY_FORM, stem, len, 0);
        form_set_(g->form_n + ((size_t)g->nn + k) * SY_FORM, stem, len, 1);
    }
    for (uint32_t k = 0; k < g->nv; k++) {
        int len = ds_synth_spell_(ds_synth_verb_g_(k), stem);
        form_set_(g->form_v + (size_t)k * SY_FORM, stem, len, 0);
        form_set_(g->form_v + ((size_t)g->nv + k) * SY_FORM, stem, len, 1);
    }
    for (uint32_t k = 0; k < g->na; k++) {
        int len = ds_synth_spell_(ds_synth_adj_g_(k), stem);
        form_set_(g->form_a + (size_t)k * SY_FORM, stem, len, 0);
    }
    for (uint32_t t = 0; t < T; t++) {
        ds_synth_spell_(V + t, stem);
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
        else lp = ds_synth_logaddexp_(g->lp_rep - log((double)before), g->lp_fresh + lpf);
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
