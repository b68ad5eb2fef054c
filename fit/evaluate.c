/* fit/evaluate.c — a law judged on rows from sources with different loss floors: per-source
 * offsets, offset-removed RMSE, rank correlation and the ordering of same-size pairs of
 * different shape (see evaluate.h for the definitions).
 *
 * Reference, not fast: two passes over the rows for the error moments, two sorts for the
 * ranks, one sort by (source, tokens) and a scan of each row's token window for the pairs.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "evaluate.h"

void fit_eval_options_default(FitEvalOptions *o) {
    o->tokens_tol = 0.02;
    o->size_tol = 1.15;
    o->matched_tol = 1.05;
    o->tie_tol = 0.0;
}

/* One row in a sort: its source, its index in d and the key it is sorted by. */
typedef struct {
    int src;
    int idx;
    double key;
} EvalKey;

/* Orders by source, then key, then row index (a total order: the result does not depend on
 * qsort's instability). */
static int key_cmp_(const void *a, const void *b) {
    const EvalKey *p = a, *q = b;
    if (p->src != q->src) return p->src < q->src ? -1 : 1;
    if (p->key != q->key) return p->key < q->key ? -1 : 1;
    return (p->idx > q->idx) - (p->idx < q->idx);
}

static int check_args_(const Law *law, const FitData *d, const int *source, int nsources,
                       const FitEvalOptions *o, FitEval *out) {
    if (!law || !d || !out || (d->n > 0 && (!d->x || !d->loss)))
        return dw_error_set(DW_EINVAL, "fit_evaluate: NULL law, rows or result");
    if (nsources < 1 || nsources > FIT_EVAL_MAX_SOURCES)
        return dw_error_set(DW_EINVAL, "fit_evaluate: %d sources (1 to %d allowed)", nsources,
                            FIT_EVAL_MAX_SOURCES);
    if (d->n < 0 || d->n > FIT_EVAL_MAX_ROWS)
        return dw_error_set(DW_EINVAL, "fit_evaluate: %d rows (0 to %d allowed)", d->n,
                            FIT_EVAL_MAX_ROWS);
    for (int i = 0; source && i < d->n; i++)
        if (source[i] < 0 || source[i] >= nsources)
            return dw_error_set(DW_EINVAL, "fit_evaluate: row %d has source %d (0 to %d allowed)",
                                i, source[i], nsources - 1);
    if (!(isfinite(o->tokens_tol) && o->tokens_tol >= 0 && isfinite(o->size_tol) &&
          o->size_tol >= 1 && isfinite(o->matched_tol) && o->matched_tol >= 1 &&
          isfinite(o->tie_tol) && o->tie_tol >= 0))
        return dw_error_set(DW_EINVAL, "fit_evaluate: bad options (tokens_tol %g, size_tol %g, "
                            "matched_tol %g, tie_tol %g: tolerances >= 0, factors >= 1)",
                            o->tokens_tol, o->size_tol, o->matched_tol, o->tie_tol);
    return DW_OK;
}

static void stats_init_(FitEvalStats *s) {
    memset(s, 0, sizeof *s);
    s->mean_error = s->rmse = s->rmse_offset = s->spearman = NAN;
    s->accuracy = s->accuracy_matched = NAN;
}

// ----------------------------------------------------------------------------
// Errors: per-source offset, raw and offset-removed RMSE

/* pred[i] = L̂_i, or NaN for a row that is skipped (prediction or loss not finite). Fills
 * n, n_skipped, n_no_shape, mean_error, rmse, rmse_offset of every source and of `all`,
 * and out->rmse_pairdiff. */
static void errors_(const Law *law, const FitData *d, const int *source, FitEval *out,
                    double *pred) {
    double sum[FIT_EVAL_MAX_SOURCES] = {0}, sq[FIT_EVAL_MAX_SOURCES] = {0};
    double dev[FIT_EVAL_MAX_SOURCES] = {0};
    double sum_all = 0, sq_all = 0, dev_all = 0, pair_ss = 0, npairs = 0;
    for (int i = 0; i < d->n; i++) {
        int s = source ? source[i] : 0;
        FitEvalStats *st = &out->src[s];
        pred[i] = law_eval(law, &d->x[i]);
        if (!isfinite(pred[i]) || !isfinite(d->loss[i])) {
            pred[i] = NAN;
            st->n_skipped++;
            continue;
        }
        double e = pred[i] - d->loss[i];
        st->n++;
        st->n_no_shape += d->x[i].no_shape != 0;
        sum[s] += e, sq[s] += e * e;
    }
    for (int s = 0; s < out->nsources; s++)
        if (out->src[s].n) out->src[s].mean_error = sum[s] / out->src[s].n;
    /* second pass: deviations from the source's own mean (no cancellation in Σe² − nē²) */
    for (int i = 0; i < d->n; i++) {
        if (isnan(pred[i])) continue;
        int s = source ? source[i] : 0;
        double r = pred[i] - d->loss[i] - out->src[s].mean_error;
        dev[s] += r * r;
    }
    FitEvalStats *all = &out->all;
    for (int s = 0; s < out->nsources; s++) {
        FitEvalStats *st = &out->src[s];
        all->n += st->n, all->n_skipped += st->n_skipped, all->n_no_shape += st->n_no_shape;
        if (!st->n) continue;
        st->rmse = sqrt(sq[s] / st->n);
        st->rmse_offset = sqrt(dev[s] / st->n);
        sum_all += sum[s], sq_all += sq[s], dev_all += dev[s];
        /* Σ_{i<j} (e_i − e_j)² = n·Σ_i (e_i − ē)² */
        pair_ss += st->n * dev[s];
        npairs += 0.5 * st->n * (st->n - 1.0);
    }
    if (all->n) {
        all->mean_error = sum_all / all->n;
        all->rmse = sqrt(sq_all / all->n);
        all->rmse_offset = sqrt(dev_all / all->n);
    }
    out->rmse_pairdiff = npairs > 0 ? sqrt(pair_ss / npairs) : NAN;
}

// ----------------------------------------------------------------------------
// Spearman rank correlation per source

/* Sorts k[0..m) and writes each row's average rank (1-based, ties share their mean rank,
 * counted within its source) to rank[idx]. */
static void ranks_(EvalKey *k, int m, double *rank) {
    qsort(k, (size_t)m, sizeof *k, key_cmp_);
    int first = 0; /* first entry of the current source */
    for (int a = 0; a < m;) {
        if (k[a].src != k[first].src) first = a;
        int b = a + 1;
        while (b < m && k[b].src == k[a].src && k[b].key == k[a].key) b++;
        double r = 0.5 * ((a - first + 1) + (b - first)); /* mean of ranks a+1..b in source */
        for (int c = a; c < b; c++) rank[k[c].idx] = r;
        a = b;
    }
}

/* Pearson correlation of the two rank vectors within each source. */
static void spearman_(const FitData *d, const int *source, const double *pred, EvalKey *k,
                      double *rp, double *rl, FitEval *out) {
    int m = 0;
    for (int i = 0; i < d->n; i++)
        if (!isnan(pred[i])) k[m++] = (EvalKey){source ? source[i] : 0, i, pred[i]};
    ranks_(k, m, rp);
    m = 0;
    for (int i = 0; i < d->n; i++)
        if (!isnan(pred[i])) k[m++] = (EvalKey){source ? source[i] : 0, i, d->loss[i]};
    ranks_(k, m, rl);
    for (int s = 0; s < out->nsources; s++) {
        int n = out->src[s].n;
        if (n < 2) continue;
        double mean = 0.5 * (n + 1), spp = 0, sll = 0, spl = 0;
        for (int i = 0; i < d->n; i++) {
            if (isnan(pred[i]) || (source ? source[i] : 0) != s) continue;
            double a = rp[i] - mean, b = rl[i] - mean;
            spp += a * a, sll += b * b, spl += a * b;
        }
        if (spp > 0 && sll > 0) out->src[s].spearman = spl / sqrt(spp * sll);
    }
}

// ----------------------------------------------------------------------------
// Pair ordering

/* Can row i take part in a shape pair? */
static int pair_row_(const LawX *x) {
    return !x->no_shape && x->depth > 0 && isfinite(x->depth) && x->width > 0 &&
           isfinite(x->width) && x->params > 0 && isfinite(x->params) && x->tokens > 0 &&
           isfinite(x->tokens);
}

/* Credit for one pair: 1 when the law orders it as observed, 1/2 for a predicted tie, else 0. */
static double pair_credit_(double dpred, double dloss) {
    if (fabs(dpred) < FIT_EVAL_TIE_PRED) return 0.5;
    return (dpred > 0) == (dloss > 0) ? 1.0 : 0.0;
}

static void pairs_(const FitData *d, const int *source, const double *pred,
                   const FitEvalOptions *o, EvalKey *k, FitEval *out) {
    int m = 0;
    for (int i = 0; i < d->n; i++)
        if (!isnan(pred[i]) && pair_row_(&d->x[i]))
            k[m++] = (EvalKey){source ? source[i] : 0, i, d->x[i].tokens};
    qsort(k, (size_t)m, sizeof *k, key_cmp_);
    for (int a = 0; a < m; a++) {
        const LawX *xa = &d->x[k[a].idx];
        FitEvalStats *st = &out->src[k[a].src];
        double tmax = k[a].key * (1 + o->tokens_tol);
        for (int b = a + 1; b < m && k[b].src == k[a].src && k[b].key <= tmax; b++) {
            const LawX *xb = &d->x[k[b].idx];
            double ratio = fmax(xa->params, xb->params) / fmin(xa->params, xb->params);
            if (ratio > o->size_tol) continue;
            if (xa->depth == xb->depth && xa->width == xb->width) continue; /* same shape */
            double dloss = d->loss[k[a].idx] - d->loss[k[b].idx];
            if (fabs(dloss) <= o->tie_tol) {
                st->n_obs_ties++;
                continue;
            }
            double c = pair_credit_(pred[k[a].idx] - pred[k[b].idx], dloss);
            st->n_pairs++, st->n_correct += c;
            if (ratio <= o->matched_tol) st->n_pairs_matched++, st->n_correct_matched += c;
        }
    }
    FitEvalStats *all = &out->all;
    for (int s = 0; s < out->nsources; s++) {
        FitEvalStats *st = &out->src[s];
        all->n_pairs += st->n_pairs, all->n_correct += st->n_correct;
        all->n_pairs_matched += st->n_pairs_matched;
        all->n_correct_matched += st->n_correct_matched;
        all->n_obs_ties += st->n_obs_ties;
    }
    for (int s = 0; s <= out->nsources; s++) {
        FitEvalStats *st = s < out->nsources ? &out->src[s] : all;
        if (st->n_pairs) st->accuracy = st->n_correct / (double)st->n_pairs;
        if (st->n_pairs_matched)
            st->accuracy_matched = st->n_correct_matched / (double)st->n_pairs_matched;
    }
}

// ----------------------------------------------------------------------------

int fit_evaluate(const Law *law, const FitData *d, const int *source, int nsources,
                 const FitEvalOptions *o, FitEval *out) {
    FitEvalOptions def;
    if (!o) fit_eval_options_default(&def), o = &def;
    int rc = check_args_(law, d, source, nsources, o, out);
    if (rc != DW_OK) return rc;
    memset(out, 0, sizeof *out);
    out->nsources = nsources;
    for (int s = 0; s < nsources; s++) stats_init_(&out->src[s]);
    stats_init_(&out->all);
    out->rmse_pairdiff = NAN;
    size_t n = d->n > 0 ? (size_t)d->n : 1;
    double *pred = malloc(n * sizeof *pred), *rp = malloc(n * sizeof *rp);
    double *rl = malloc(n * sizeof *rl);
    EvalKey *k = malloc(n * sizeof *k);
    if (!pred || !rp || !rl || !k) {
        rc = dw_error_set(DW_ENOMEM, "fit_evaluate: out of memory for %d rows", d->n);
        goto out;
    }
    errors_(law, d, source, out, pred);
    spearman_(d, source, pred, k, rp, rl, out);
    pairs_(d, source, pred, o, k, out);
    rc = DW_OK;
    if (!out->all.n)
        rc = dw_error_set(DW_EDATA, "no row could be predicted by the law (%d of %d skipped: "
                          "prediction or loss not finite)", out->all.n_skipped, d->n);
out:
    free(pred), free(rp), free(rl), free(k);
    return rc;
}
