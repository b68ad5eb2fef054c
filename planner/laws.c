/* planner/laws.c — one recommended shape judged under several laws (laws.h).
 *
 * Each row is plan_solve under that law with the recommendation's request (what it holds,
 * laws.h), and the recommended (D, W, head width) built with that law's conventions and
 * evaluated by plan_eval_shape, the path `check` uses. Stance: a handful of solves, no
 * draws: the table says what each law claims at its point estimate.
 */
#include "laws.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "common/dwfmt.h"

/* One law's row: its own optimum and the recommendation under it. */
static void row_(const Law *law, const PlanResult *res, const PlanShape *shape,
                 PlanLawRow *row) {
    const PlanPoint *r = &res->real;
    int fixN = res->fixed & PLAN_FIX_PARAMS, fixT = res->fixed & PLAN_FIX_TOKENS;
    PlanShape s;
    PlanRequest req = res->req;
    PlanResult own;
    snprintf(row->name, sizeof row->name, "%s", law->name);
    law_form_text(&law->form, row->form, sizeof row->form);
    row->has_shape = law_form_has_shape(&law->form);
    row->regret = NAN;
    if (shape) s = *shape; /* its own blocks; plan_eval_shape counts it the law's way */
    else plan_shape_at(law, r->depth, r->width, r->head_dim, &s);
    /* T from the budget under this law's FLOP formula, unless the plan fixed T */
    double T = fixT ? res->req.tokens : 0;
    int rc = plan_eval_shape(law, &s, res->req.compute, T, &row->rec);
    if (rc) {
        snprintf(row->why, sizeof row->why, "the recommended shape: %s", dw_error_get());
        return;
    }
    /* the same model size in this law's N: the fixed N scaled by how this law counts the
     * recommended shape against how the recommending law did (1 under that law itself) */
    req.params = fixN ? res->req.params * (row->rec.params_law / r->params_law) : 0;
    req.tokens = fixT ? res->req.tokens : 0;
    if (fixN && fixT) req.compute = 0;           /* compute follows the shape */
    if ((rc = plan_solve(law, &req, &own))) {
        snprintf(row->why, sizeof row->why, "no optimum: %s", dw_error_get());
        return;
    }
    row->own = own.real;
    row->regret = row->rec.loss - row->own.loss;
    row->ok = isfinite(row->regret);
    row->past_dcrit = row->rec.dcrit_kind == PLAN_DCRIT_INTERIOR && row->rec.depth > row->rec.dcrit;
    if (!row->ok) snprintf(row->why, sizeof row->why, "the law's loss is not finite here");
}

/* "non-embedding N within a factor 1.3 (9.1B–12.9B)" or "depth: 9–74 layers" into buf. */
static void item_(const char *what, double lo, double hi, int count, const char *unit,
                  int agree, char *buf, size_t n) {
    char a[32], b[32];
    if (count) dw_fmt_count(lo, a, sizeof a), dw_fmt_count(hi, b, sizeof b);
    else snprintf(a, sizeof a, "%.0f", lo), snprintf(b, sizeof b, "%.0f", hi);
    if (agree) snprintf(buf, n, "%s within a factor %.2f (%s–%s%s)", what, hi / lo, a, b, unit);
    else snprintf(buf, n, "%s (%s–%s%s)", what, a, b, unit);
}

/* Appends ", X" / " and X" style lists: items[k] joined. */
static void join_(char items[][96], int k, char *buf, size_t n) {
    size_t at = strlen(buf);
    for (int i = 0; i < k && at < n; i++)
        at += (size_t)snprintf(buf + at, n - at, "%s%s", i == 0 ? "" : i == k - 1 ? " and " : ", ",
                               items[i]);
}

/* The agreement sentence from the ok rows. */
static void agree_(PlanLawTable *t, int fixed, const char *subject) {
    static const char *const what[4] = {"depth", "width", "non-embedding N", "T"};
    static const char *const unit[4] = {" layers", "", "", ""};
    char yes[4][96], no[4][96];
    int ny = 0, nn = 0, nshape = 0;
    double lo[4] = {INFINITY, INFINITY, INFINITY, INFINITY}, hi[4] = {0, 0, 0, 0};
    for (int i = 0; i < t->n; i++) {
        const PlanLawRow *r = &t->rows[i];
        if (!r->ok) continue;
        const double v[4] = {r->own.depth, r->own.width, r->own.params_nonembed, r->own.tokens};
        nshape += r->has_shape;
        for (int k = 0; k < 4; k++) {
            if (k < 2 && !r->has_shape) continue; /* an imposed aspect ratio is no claim */
            lo[k] = fmin(lo[k], v[k]), hi[k] = fmax(hi[k], v[k]);
        }
    }
    if (t->nok < 2) {
        snprintf(t->agree, sizeof t->agree, "%s", t->nok ? "only one law could be solved: "
                 "nothing to compare" : "no law could be solved");
        return;
    }
    for (int k = nshape >= 2 ? 0 : 2; k < 4; k++) {
        if ((k == 2 && (fixed & PLAN_FIX_PARAMS)) || (k == 3 && (fixed & PLAN_FIX_TOKENS)))
            continue; /* held by the request: no claim of the laws */
        int ok = hi[k] <= PLAN_LAWS_AGREE * lo[k];
        if (ok) item_(what[k], lo[k], hi[k], k >= 2, unit[k], 1, yes[ny++], sizeof yes[0]);
        else item_(what[k], lo[k], hi[k], k >= 2, unit[k], 0, no[nn++], sizeof no[0]);
    }
    char *s = t->agree;
    size_t n = sizeof t->agree;
    snprintf(s, n, "the %d laws ", t->nok);
    if (!ny && !nn) {
        strncat(s, "have nothing left to compare: the request fixes N and T", n - strlen(s) - 1);
    } else if (ny) {
        strncat(s, "agree on ", n - strlen(s) - 1);
        join_(yes, ny, s, n);
        if (nn) strncat(s, " but not on ", n - strlen(s) - 1);
    } else {
        strncat(s, "do not agree on ", n - strlen(s) - 1);
    }
    join_(no, nn, s, n);
    size_t at = strlen(s);
    if (nshape >= 2 && nshape < t->nok)
        at += (size_t)snprintf(s + at, n - at, " (depth and width: the %d laws with a shape "
                               "term)", nshape);
    else if (nshape < 2)
        at += (size_t)snprintf(s + at, n - at, " (%s law has a shape term: depth and width are "
                               "not compared)", nshape ? "only one" : "no");
    if (t->regret_argmax >= 0 && at < n)
        snprintf(s + at, n - at, "; %s costs at most %+.4f nats under any of "
                 "them (%s)", subject, fabs(t->regret_max) < 5e-5 ? 0.0 : t->regret_max,
                 t->rows[t->regret_argmax].name);
}

int plan_laws_compare(const Law *const *laws, int nlaws, const PlanResult *res,
                      PlanLawTable *out) {
    return plan_laws_compare_shape(laws, nlaws, res, NULL, out);
}

int plan_laws_compare_shape(const Law *const *laws, int nlaws, const PlanResult *res,
                            const PlanShape *shape, PlanLawTable *out) {
    DW_ASSERT(laws && res && out);
    memset(out, 0, sizeof *out);
    out->regret_max = NAN;
    out->regret_argmax = -1;
    if (nlaws < 1) return dw_error_set(DW_EINVAL, "no laws to compare");
    if (shape && (res->fixed & (PLAN_FIX_PARAMS | PLAN_FIX_TOKENS)))
        return dw_error_set(DW_EINVAL, "a given shape is compared at a fixed compute only");
    if (!(out->rows = calloc((size_t)nlaws, sizeof *out->rows)))
        return dw_error_set(DW_ENOMEM, "out of memory for the laws table");
    out->n = nlaws;
    for (int i = 0; i < nlaws; i++) {
        DW_ASSERT(laws[i]);
        row_(laws[i], res, shape, &out->rows[i]);
        if (!out->rows[i].ok) continue;
        out->nok++;
        if (out->regret_argmax < 0 || out->rows[i].regret > out->regret_max)
            out->regret_max = out->rows[i].regret, out->regret_argmax = i;
    }
    agree_(out, res->fixed, shape ? "the checked shape" : "the recommendation");
    return DW_OK;
}

void plan_laws_free(PlanLawTable *t) {
    if (!t) return;
    free(t->rows);
    t->rows = NULL;
    t->n = 0;
}
