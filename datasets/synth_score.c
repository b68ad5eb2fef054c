/* datasets/synth_score.c — the two checks of the synthetic language's accounting that do not
 * run the generator (see datasets/synth.c for the generator, docs/synthetic-language.md for
 * the grammar and the entropy argument):
 *   - ds_synth_expected_floor: the language's floor E[nats per document] / E[bytes per
 *     document], computed analytically from the tables by the recursion over clause depth;
 *   - ds_synth_score: an independent parser that reads text of the language back, checks its
 *     grammar, spelling, agreement and layout, and recomputes −ln P(text) unit by unit.
 * Design stance: plain reference code; both read the generator's tables, neither samples.
 */
#include "datasets/synth.h"
#include "datasets/synth_impl.h"

#include "common/dw.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
            en += p * g->stem_len[ds_synth_noun_g_(id)];
            q[id % SY_NCLASS] += p;
        }
        for (uint32_t k = 0; k < g->na; k++)
            ea += exp(g->za.lp[k]) * g->stem_len[ds_synth_adj_g_(g->perm_a[(size_t)t * g->na + k])];
        for (int cl = 0; cl < SY_NCLASS; cl++) {
            const uint32_t *pv = g->perm_v + ((size_t)t * SY_NCLASS + (size_t)cl) * g->nv;
            for (uint32_t k = 0; k < g->nv; k++)
                ev += q[cl] * exp(g->zv.lp[k]) * g->stem_len[ds_synth_verb_g_(pv[k])];
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
        int n = ds_synth_spell_(i, stem);
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
            else lp = ds_synth_logaddexp_(g->lp_rep - log((double)nd), g->lp_fresh + lpf);
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
