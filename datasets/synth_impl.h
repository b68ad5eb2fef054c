/* datasets/synth_impl.h — private to datasets/synth.c and datasets/synth_score.c (callers use
 * datasets/synth.h): the grammar's fixed parameters, the layout of the generator object, and
 * the few helpers the generator and its independent checks (the analytic floor and the
 * scorer) both need. Nothing here is API; names shared across the files end in '_'.
 */
#ifndef DS_SYNTH_IMPL_H
#define DS_SYNTH_IMPL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "datasets/synth.h"

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

/* xoshiro256** state (synth.c draws from it; the generator object holds one) */
typedef struct {
    uint64_t s[4];
} SyRng;

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
// helpers shared by the generator and the checks

/* Global index of the k-th word of a class: nouns are g ≡ 0, 1 (mod 4), verbs g ≡ 2,
 * adjectives g ≡ 3. */
static inline uint32_t ds_synth_noun_g_(uint32_t k) { return (k / 2) * 4 + (k % 2); }
static inline uint32_t ds_synth_verb_g_(uint32_t k) { return k * 4 + 2; }
static inline uint32_t ds_synth_adj_g_(uint32_t k) { return k * 4 + 3; }

/* ln(e^a + e^b), with -inf allowed in either. */
static inline double ds_synth_logaddexp_(double a, double b) {
    if (a < b) {
        double t = a;
        a = b;
        b = t;
    }
    if (b == -INFINITY) return a;
    return a + log1p(exp(b - a));
}

/* Stem of word g (global index: content words 0..vocab-1, then topic names) into out,
 * NUL-terminated; returns its length, at most 8 letters (synth.c, "tables"). */
int ds_synth_spell_(uint32_t g, char out[9]);

#endif
