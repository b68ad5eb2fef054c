/* planner/alternatives.c — the shapes plan lists beside its recommendation (method in
 * plan.h, plan_alternatives).
 *
 * Every row holds what the recommendation holds: the compute (exactly, or within
 * PLAN_ROUND_TOL when T is fixed too), a fixed N (within PLAN_ROUND_TOL) and a fixed T
 * (exactly); with N and T fixed those two, the compute following the shape. Rows are real
 * shapes from the same rounding search as the recommendation (round.c), so a row can only
 * beat it through a planner bug, which is then said and repaired. A named model is counted
 * with the law's accounting, so that its loss and the optimum's come from one formula.
 * Loss differences get paired intervals: each parameter draw evaluates both shapes.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "check.h"
#include "plan_impl.h"

#define CHINCHILLA_TPP 20.0

typedef struct {
    const Law *law;
    PlanResult *res;
    PlanRoundSpec base; /* the recommendation's rounding spec */
    int fix_n, fix_t;
    int from_planner[PLAN_MAX_ALTS]; /* row built by the rounding search (may be promoted) */
} AltCtx;

static void drop_(PlanResult *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void drop_(PlanResult *res, const char *fmt, ...) {
    if (res->ndropped >= PLAN_MAX_NOTES) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->dropped[res->ndropped++], sizeof res->dropped[0], fmt, ap);
    va_end(ap);
}

static PlanAlt *add_(AltCtx *a, const char *label, const PlanPoint *pt, int comparable,
                     int from_planner) {
    PlanResult *res = a->res;
    if (res->nalts >= PLAN_MAX_ALTS) {
        drop_(res, "%s: more than %d alternatives", label, PLAN_MAX_ALTS);
        return NULL;
    }
    a->from_planner[res->nalts] = from_planner;
    PlanAlt *alt = &res->alts[res->nalts++];
    memset(alt, 0, sizeof *alt);
    snprintf(alt->label, sizeof alt->label, "%s", label);
    alt->pt = *pt;
    alt->comparable = comparable;
    alt->dloss = comparable ? pt->loss - res->real.loss : NAN;
    alt->dloss_ci[0] = alt->dloss_ci[1] = NAN;
    return alt;
}

/* The rounding spec for a row: the recommendation's, N held at the fixed N (or at the
 * recommendation's for "same N" rows), a fixed T at the recommendation's T. */
static PlanRoundSpec row_spec_(const AltCtx *a) {
    PlanRoundSpec sp = a->base;
    const PlanPoint *o = &a->res->real;
    if (!a->fix_n && !a->fix_t) sp.compute = o->flops;
    return sp;
}

/* Round-trip one search; 0 with *pt filled, else the reason dropped. */
static int search_(AltCtx *a, const PlanRoundSpec *sp, const char *what, PlanPoint *pt) {
    PlanRoundOut o;
    plan_round_search_(a->law, sp, &o);
    if (!o.found) {
        drop_(a->res, "%s: no width a multiple of %d in [%g, %g] at depths %d..%d", what,
              sp->step, sp->w_min, sp->w_max, sp->d_lo, sp->d_hi);
        return -1;
    }
    if (o.viol > 0) {
        drop_(a->res, "%s: no real shape (widths a multiple of %d) at depths %d..%d holds "
              "%s within %.0f%%", what, sp->step, sp->d_lo, sp->d_hi,
              sp->tpp_target > 0 ? "20 tokens per parameter" : "N and the budget",
              100 * sp->tol);
        return -1;
    }
    plan_fill_point_(a->law, &o.shape, o.tokens, pt);
    return 0;
}

/* Same N (the fixed one, else the recommendation's) at another depth. */
static void same_n_(AltCtx *a, int depth, const char *what) {
    const PlanPoint *o = &a->res->real;
    const PlanRequest *r = &a->res->req;
    char label[96];
    PlanPoint pt;
    if (depth > r->d_max) {
        drop_(a->res, "same N, %s (%d layers): beyond the depth limit %g (--max-depth)", what,
              depth, r->d_max);
        return;
    }
    if (depth < 1 || depth < r->d_min || depth == (int)o->depth) {
        drop_(a->res, "same N, %s: the recommendation has %g layer%s", what, o->depth,
              o->depth == 1 ? "" : "s");
        return;
    }
    /* a few depths around the target: one width step moves N by far more than the
     * tolerance, and a neighbouring depth often hits it */
    PlanRoundSpec sp = row_spec_(a);
    int spread = depth >= 8 ? 2 : depth >= 4 ? 1 : 0;
    sp.d_lo = (int)fmax(fmax(1, ceil(r->d_min)), depth - spread);
    sp.d_hi = (int)fmin(floor(r->d_max), depth + spread);
    if (o->depth >= sp.d_lo && o->depth <= sp.d_hi) {
        /* never the recommendation's own depth */
        if (depth > o->depth) sp.d_lo = (int)o->depth + 1;
        else sp.d_hi = (int)o->depth - 1;
    }
    sp.n_target = a->fix_n ? r->params : o->params_law;
    sp.w_hint = o->width * sqrt(o->depth / depth);
    snprintf(label, sizeof label, "same N, %s", what);
    if (search_(a, &sp, label, &pt)) return;
    snprintf(label, sizeof label, "same N, %s%s (%gx%g)", pt.depth == depth ? "" : "~", what,
             pt.depth, pt.width);
    add_(a, label, &pt, 1, 1);
}

/* Chinchilla's rule, T = 20·N_total, at the recommendation's compute (N and T free only). */
static void chinchilla_(AltCtx *a) {
    PlanResult *res = a->res;
    const PlanPoint *o = &res->real;
    if (a->fix_n || a->fix_t) {
        drop_(res, "Chinchilla 20 tokens/param: with %s and the budget held, tokens per "
              "parameter is not free (here %.1f)",
              a->fix_n && a->fix_t ? "N and T" : a->fix_n ? "N" : "T", o->tokens_per_param);
        return;
    }
    /* the continuous shape at 20 tokens per parameter: bisection on N at the compute */
    double lo = log(1e3), hi = log(1e16), D = 0, W = 0;
    int ok = 0;
    for (int it = 0; it < 100 && hi - lo > 1e-9; it++) {
        PlanRequest q = res->req;
        double mid = 0.5 * (lo + hi), d, w, t;
        q.compute = o->flops;
        q.params = exp(mid);
        q.tokens = 0;
        if (plan_solve_cont_(a->law, &q, &d, &w, &t) != DW_OK) {
            hi = mid; /* no shape in the box holds this N at this compute */
            continue;
        }
        PlanShape s;
        PlanCount cnt;
        plan_shape_at(a->law, d, w, 0, &s);
        if (plan_count(&s, &cnt) != DW_OK) break;
        ok = 1, D = d, W = w;
        if (t / cnt.total > CHINCHILLA_TPP) lo = mid;
        else hi = mid;
    }
    if (!ok) {
        drop_(res, "Chinchilla 20 tokens/param: no shape in the search box holds it at this "
              "compute");
        return;
    }
    PlanRoundSpec sp = row_spec_(a);
    double f = 2.0; /* the row is about the N/T split: a wider depth window, any law */
    sp.d_lo = (int)fmax(fmax(1, ceil(res->req.d_min)), floor(D / f));
    sp.d_hi = (int)fmin(floor(res->req.d_max), ceil(D * f) + 1);
    plan_round_step_(&res->req, W, &sp.head_dim, &sp.step); /* its own width's heads */
    sp.tpp_target = CHINCHILLA_TPP;
    sp.tol = 2 * PLAN_ROUND_TOL; /* T/N ∝ 1/N² at fixed C: N itself within PLAN_ROUND_TOL */
    sp.w_hint = W;
    PlanPoint pt;
    char label[96];
    if (sp.d_lo > sp.d_hi || search_(a, &sp, "Chinchilla 20 tokens/param", &pt)) return;
    snprintf(label, sizeof label, "Chinchilla 20 tokens/param (%gx%g)", pt.depth, pt.width);
    add_(a, label, &pt, 1, 1);
}

/* "V=128256, tied" — what the model's own accounting has that the law's does not. */
static int accounting_diff_(const PlanAccounting *acc, char *buf, size_t n) {
    size_t at = 0;
    buf[0] = '\0';
    if (acc->differs & PLAN_ACC_VOCAB) at += snprintf(buf, n, "V=%d", acc->vocab_own);
    if (at < n && (acc->differs & PLAN_ACC_TIED))
        at += snprintf(buf + at, n - at, "%s%s", at ? ", " : "", acc->tied_own ? "tied" : "untied");
    if (at < n && (acc->differs & PLAN_ACC_POS))
        at += snprintf(buf + at, n - at, "%slearned positions", at ? ", " : "");
    if (at < n && (acc->differs & PLAN_ACC_CTX))
        at += snprintf(buf + at, n - at, "%spositions only up to %d", at ? ", " : "",
                       acc->max_pos_own);
    return at > 0;
}

/* A named model, counted with the law's accounting (check.h: plan_shape_law_accounting). */
static void vs_(AltCtx *a, const PlanShape *vs, const char *name) {
    PlanResult *res = a->res;
    const PlanPoint *o = &res->real;
    const Law *law = a->law;
    PlanShape s;
    PlanAccounting acc;
    PlanPoint pt;
    char label[96], diff[120];
    if (plan_check_accounting(law, vs, 0, &acc) != DW_OK) {
        drop_(res, "%s: its shape cannot be counted (%s)", name, dw_error_get());
        return;
    }
    plan_shape_law_accounting(law, vs, 0, &s);
    double T = a->fix_t ? o->tokens : o->flops / acc.flops_per_token_law;
    if (plan_eval_shape(law, &s, 0, T, &pt) != DW_OK) {
        drop_(res, "%s: its shape cannot be counted (%s)", name, dw_error_get());
        return;
    }
    int comparable = 1;
    char why[96] = "";
    if (a->fix_n && fabs(pt.params_law / res->req.params - 1) > PLAN_ROUND_TOL) {
        comparable = 0;
        snprintf(why, sizeof why, "; not ranked: its N is not the fixed N");
    } else if (a->fix_t && !a->fix_n && res->req.compute > 0 &&
               fabs(pt.flops / res->req.compute - 1) > PLAN_ROUND_TOL) {
        comparable = 0;
        snprintf(why, sizeof why, "; not ranked: at the fixed T it spends another budget");
    }
    snprintf(label, sizeof label, "%s shape (%gx%g)", name, pt.depth, pt.width);
    PlanAlt *alt = add_(a, label, &pt, comparable, 0);
    if (!alt) return;
    int differs = accounting_diff_(&acc, diff, sizeof diff);
    snprintf(alt->note, sizeof alt->note, "counted with the law's V=%d, ctx=%d, %s%s%s%s",
             acc.vocab_law, acc.ctx, law->conv.flops == LAW_FLOPS_6NT ? "C = 6NT" : "full FLOPs",
             differs ? "; its own " : "", differs ? diff : "", why);
}

// ----------------------------------------------------------------------------
// paired intervals and the bug check

static int paired_intervals_(const Law *law, PlanResult *res) {
    double *draws, *v;
    int n, owned;
    char why[128];
    int rc = plan_draws_(law, res->draws_requested, &draws, &n, &owned, why, sizeof why);
    if (rc || n == 0) return rc;
    if (!(v = malloc(sizeof(double) * n))) {
        if (owned) free(draws);
        return dw_error_set(DW_ENOMEM, "out of memory for %d draws", n);
    }
    const LawForm *f = &law->form;
    const PlanPoint *o = &res->real;
    LawX xr = {.depth = o->depth, .width = o->width, .params = o->params_law, .tokens = o->tokens};
    for (int i = 0; i < res->nalts; i++) {
        PlanAlt *alt = &res->alts[i];
        const PlanPoint *p = &alt->pt;
        LawX xa = {.depth = p->depth, .width = p->width, .params = p->params_law, .tokens = p->tokens};
        int m = 0;
        if (!alt->comparable) continue;
        for (int d = 0; d < n; d++) {
            const double *th = draws + (size_t)d * f->np;
            double dl = law_form_eval(f, th, &xa, NULL, NULL) - law_form_eval(f, th, &xr, NULL, NULL);
            if (isfinite(dl)) v[m++] = dl;
        }
        if (m >= 20) {
            alt->dloss_ci[0] = plan_percentile_(v, m, 0.025);
            alt->dloss_ci[1] = plan_percentile_(v, m, 0.975);
        }
    }
    free(v);
    if (owned) free(draws);
    return DW_OK;
}

/* A comparable row below the recommendation: promote it when the planner built it (same
 * constraints), else say so. */
static void bug_check_(AltCtx *a) {
    PlanResult *res = a->res;
    int best = -1;
    for (int i = 0; i < res->nalts; i++)
        if (res->alts[i].comparable && res->alts[i].dloss < -PLAN_COST_NEGATIVE_TOL &&
            (best < 0 || res->alts[i].dloss < res->alts[best].dloss))
            best = i;
    if (best < 0) return;
    PlanAlt *b = &res->alts[best];
    if (!a->from_planner[best]) {
        snprintf(res->alt_warning, sizeof res->alt_warning,
                 "%s beats the recommendation by %.4f nats under this law: its block or head "
                 "count lies outside the planner's search (heads a multiple of %d)",
                 b->label, -b->dloss, res->heads_multiple);
        return;
    }
    PlanPoint old = res->real;
    snprintf(res->alt_warning, sizeof res->alt_warning,
             "planner bug: '%s' beat the rounded optimum %gx%g by %.4f nats; it is now the "
             "recommendation (please report this)", b->label, old.depth, old.width, -b->dloss);
    res->real = b->pt;
    snprintf(b->label, sizeof b->label, "the first rounding (%gx%g)", old.depth, old.width);
    b->pt = old;
    for (int i = 0; i < res->nalts; i++)
        if (res->alts[i].comparable) res->alts[i].dloss = res->alts[i].pt.loss - res->real.loss;
    plan_moved_(res);
    plan_loss_interval_(a->law, res);
    plan_round_interval_notes_(a->law, res, 0);
}

int plan_alternatives(const Law *law, PlanResult *res, const PlanShape *vs, const char *vs_name) {
    AltCtx a = {.law = law, .res = res};
    const PlanPoint *o = &res->real;
    res->nalts = res->ndropped = 0;
    res->alt_warning[0] = '\0';
    a.fix_n = (res->fixed & PLAN_FIX_PARAMS) != 0;
    a.fix_t = (res->fixed & PLAN_FIX_TOKENS) != 0;
    plan_round_spec_(law, res, &a.base);
    same_n_(&a, 2 * (int)o->depth, "2x depth");
    same_n_(&a, (int)fmax(1.0, round(o->depth / 2)), "1/2 depth");
    chinchilla_(&a);
    if (vs) vs_(&a, vs, vs_name && vs_name[0] ? vs_name : "given");
    bug_check_(&a);
    return paired_intervals_(law, res);
}
