/* planner/round.c — from the continuous optimum to a real shape (DESIGN §4.4).
 *
 * A real shape has an integer depth and a width that is a multiple of heads_multiple ×
 * head_dim, so that the head count divides by the tensor-parallel degree. The search keeps
 * what the request fixed: a fixed N within PLAN_ROUND_TOL (one width step can move N by
 * much more, so several depths are searched and the pair closest in loss wins), a fixed T
 * exactly, C exactly unless T is fixed (then T is exact and C, when the user fixed it too,
 * stays within PLAN_ROUND_TOL). Among the shapes that meet every constraint the lowest loss
 * wins; when none does, the shape that misses least is returned and said so. Stance:
 * enumeration, not cleverness — a few thousand law evaluations at most.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/dw.h"
#include "plan_impl.h"

/* The continuous width at depth d where g(W) = target, g rising in W (bisection in ln W);
 * `what` 0: N (law convention), 1: flops per token, 2: tokens per parameter (falling). */
static double width_for_(const Law *law, const PlanRoundSpec *sp, int d, int what,
                         double target) {
    double lo = log(1.0), hi = log(4 * sp->w_max);
    double t = what == 2 ? -target : target; /* tokens per parameter falls with W */
    for (int it = 0; it < 100 && hi - lo > 1e-10; it++) {
        double mid = 0.5 * (lo + hi), N, fpt, v;
        PlanShape s;
        PlanCount cnt;
        plan_shape_at(law, d, exp(mid), 0, &s);
        plan_law_counts(&law->conv, &s, &N, &fpt);
        if (what == 0) {
            v = N;
        } else if (what == 1) {
            v = fpt;
        } else {
            double T = sp->tokens > 0 ? sp->tokens : sp->compute / fpt;
            v = plan_count(&s, &cnt) == DW_OK ? -T / cnt.total : NAN;
        }
        if (v < t) lo = mid;
        else hi = mid;
    }
    return exp(0.5 * (lo + hi));
}

/* The width each constraint implies at depth d (or the best width at the compute). */
static double centre_width_(const Law *law, const PlanRoundSpec *sp, int d) {
    if (sp->n_target > 0) return width_for_(law, sp, d, 0, sp->n_target);
    if (sp->tpp_target > 0) return width_for_(law, sp, d, 2, sp->tpp_target);
    if (sp->tokens > 0) return width_for_(law, sp, d, 1, sp->compute / sp->tokens);
    PlanRequest r;
    PlanPoint pt;
    plan_request_default(&r);
    r.compute = sp->compute;
    r.w_min = fmax(1.0, fmin(sp->w_min, sp->step));
    r.w_max = sp->w_max;
    return plan_best_width(law, &r, d, &pt) == DW_OK ? pt.width : sp->w_hint;
}

/* Evaluates one candidate; 1 when it replaces the best so far. */
static int try_shape_(const Law *law, const PlanRoundSpec *sp, int d, double w,
                      PlanRoundOut *out) {
    PlanShape s;
    PlanCount cnt;
    double N, fpt;
    plan_shape_at(law, d, w, sp->head_dim, &s);
    if (plan_count(&s, &cnt) != DW_OK) return 0;
    plan_law_counts(&law->conv, &s, &N, &fpt);
    double T = sp->tokens > 0 ? sp->tokens : sp->compute / fpt;
    if (!(T > 0) || !isfinite(T)) return 0;
    if (sp->box) {
        const double v[4] = {d, w, N, T}, *b = sp->box;
        for (int k = 0; k < 4; k++)
            if (v[k] < b[2 * k] * (1 - 1e-12) || v[k] > b[2 * k + 1] * (1 + 1e-12)) return 0;
    }
    double viol = 0;
    if (sp->n_target > 0) viol = fmax(viol, fabs(N / sp->n_target - 1) - sp->tol);
    if (sp->tokens > 0 && sp->c_held) viol = fmax(viol, fabs(T * fpt / sp->compute - 1) - sp->tol);
    if (sp->tpp_target > 0) viol = fmax(viol, fabs(T / cnt.total / sp->tpp_target - 1) - sp->tol);
    LawX x = {.depth = d, .width = w, .params = N, .tokens = T};
    double L = law_eval(law, &x);
    if (!isfinite(L)) return 0;
    int better = !out->found || viol < out->viol - 1e-15 ||
                 (viol <= out->viol + 1e-15 && L < out->loss);
    if (!better) return 0;
    out->found = 1;
    out->shape = s;
    out->tokens = T;
    out->loss = L;
    out->viol = viol;
    return 1;
}

void plan_round_search_(const Law *law, const PlanRoundSpec *sp, PlanRoundOut *out) {
    memset(out, 0, sizeof *out);
    out->viol = HUGE_VAL;
    DW_ASSERT(sp->step >= 1 && sp->head_dim >= 1);
    long mlo = (long)ceil(sp->w_min / sp->step - 1e-9), mhi = (long)floor(sp->w_max / sp->step + 1e-9);
    if (mlo < 1) mlo = 1;
    for (int d = sp->d_lo; d <= sp->d_hi; d++) {
        double centres[2] = {centre_width_(law, sp, d), sp->w_hint};
        long done_lo = 1, done_hi = 0; /* multiples already tried at this depth */
        for (int c = 0; c < 2; c++) {
            if (!(centres[c] > 0) || !isfinite(centres[c])) continue;
            long m0 = (long)floor(centres[c] / sp->step);
            for (long m = m0 - 2; m <= m0 + 3; m++) {
                if (m < mlo || m > mhi || (m >= done_lo && m <= done_hi)) continue;
                try_shape_(law, sp, d, (double)m * sp->step, out);
            }
            if (c == 0) done_lo = m0 - 2, done_hi = m0 + 3;
        }
    }
    if (out->found) out->viol = fmax(out->viol, 0.0);
}

// ----------------------------------------------------------------------------
// the recommendation

void plan_round_step_(const PlanRequest *r, double width, int *head_dim, int *step) {
    /* the heads multiple that fits the width: halved (or 1) while one step exceeds it */
    int hd = r->head_dim > 0 ? r->head_dim : plan_default_head_dim(width);
    int k = r->heads_multiple > 0 ? r->heads_multiple : PLAN_HEADS_MULTIPLE;
    while (k > 1 && (double)k * hd > width) k = k % 2 == 0 ? k / 2 : 1;
    *head_dim = hd;
    *step = k * hd;
}

void plan_round_spec_(const Law *law, const PlanResult *res, PlanRoundSpec *sp) {
    const PlanRequest *r = &res->req;
    const PlanPoint *c = &res->cont;
    memset(sp, 0, sizeof *sp);
    plan_round_step_(r, c->width, &sp->head_dim, &sp->step);
    /* a shape law trades depth for width at fixed N: search a factor 2 either way; a
     * shape-free law is indifferent, so stay near the imposed aspect ratio */
    double f = law_form_has_shape(&law->form) ? 2.0 : 1.4;
    sp->d_lo = (int)fmax(ceil(r->d_min), floor(c->depth / f));
    sp->d_hi = (int)fmin(floor(r->d_max), ceil(c->depth * f) + 1);
    if (sp->d_lo < 1) sp->d_lo = 1;
    sp->w_min = r->w_min;
    sp->w_max = r->w_max;
    sp->tol = PLAN_ROUND_TOL;
    sp->w_hint = c->width;
    if (res->fixed & PLAN_FIX_PARAMS) sp->n_target = r->params;
    if (r->tokens > 0) {
        /* T exact; C held (within tol) unless N is what holds the model size */
        sp->tokens = r->tokens;
        sp->c_held = !(res->fixed & PLAN_FIX_PARAMS) && r->compute > 0;
    }
    sp->compute = r->compute > 0 ? r->compute : c->flops;
}

int plan_round_result_(const Law *law, PlanResult *res) {
    PlanRoundSpec sp;
    PlanRoundOut o;
    plan_round_spec_(law, res, &sp);
    res->width_step = sp.step;
    res->heads_multiple = sp.step / sp.head_dim;
    int want = res->req.heads_multiple > 0 ? res->req.heads_multiple : PLAN_HEADS_MULTIPLE;
    res->round_note[0] = '\0';
    if (res->heads_multiple != want)
        snprintf(res->round_note, sizeof res->round_note,
                 "heads are a multiple of %d, not %d: a width near %.0f holds fewer than %d "
                 "heads of %d", res->heads_multiple, want, res->cont.width, want, sp.head_dim);
    if (sp.d_lo > sp.d_hi)
        return dw_error_set(DW_EINFEASIBLE, "no integer depth in [%g, %g]", res->req.d_min,
                            res->req.d_max);
    plan_round_search_(law, &sp, &o);
    if (!o.found)
        return dw_error_set(DW_EINFEASIBLE, "no real shape (width a multiple of %d in [%g, %g]) "
                            "near D = %.3g, W = %.4g", sp.step, sp.w_min, sp.w_max,
                            res->cont.depth, res->cont.width);
    plan_fill_point_(law, &o.shape, o.tokens, &res->real);
    if (o.viol > 0) {
        size_t at = strlen(res->round_note);
        snprintf(res->round_note + at, sizeof res->round_note - at,
                 "%sno real shape at depths %d..%d with widths a multiple of %d meets the "
                 "fixed %s within %.0f%%: the nearest misses by %.1f%% more",
                 at ? "; " : "", sp.d_lo, sp.d_hi, sp.step,
                 sp.n_target > 0 ? "N" : sp.c_held ? "compute" : "quantities",
                 100 * sp.tol, 100 * o.viol);
    }
    res->round_viol = o.viol;
    plan_moved_(res);
    return DW_OK;
}

void plan_moved_(PlanResult *res) {
    const PlanPoint *c = &res->cont, *p = &res->real;
    res->moved[0] = p->params_law / c->params_law - 1;
    res->moved[1] = p->tokens / c->tokens - 1;
    res->moved[2] = p->flops / c->flops - 1;
}

void plan_set_real_(const Law *law, PlanResult *res, const PlanShape *s, double tokens) {
    plan_fill_point_(law, s, tokens, &res->real);
    plan_moved_(res);
    plan_loss_interval_(law, res);
}

// ----------------------------------------------------------------------------
// the real shape against the intervals of the optimum

void plan_round_interval_notes_(const Law *law, PlanResult *res, int may_move) {
    const PlanPoint *p = &res->real;
    const double *ci[4] = {res->depth_ci, res->width_ci, res->params_ci, res->tokens_ci};
    const double v[4] = {p->depth, p->width, p->params_law, p->tokens};
    static const char *const what[4] = {"depth", "width", "N", "T"};
    const int skip[4] = {0, 0, res->fixed & PLAN_FIX_PARAMS, res->fixed & PLAN_FIX_TOKENS};
    double box[8];
    int outside = 0;
    res->nnotes = 0;
    for (int k = 0; k < 4; k++) {
        int have = !skip[k] && isfinite(ci[k][0]) && isfinite(ci[k][1]);
        box[2 * k] = have ? ci[k][0] : 0;
        box[2 * k + 1] = have ? ci[k][1] : HUGE_VAL;
        if (have && (v[k] < ci[k][0] * (1 - 1e-9) || v[k] > ci[k][1] * (1 + 1e-9))) outside |= 1 << k;
    }
    if (!outside) return;
    /* evidence: the best real shape inside every interval under the same constraints */
    PlanRoundSpec sp;
    PlanRoundOut o;
    plan_round_spec_(law, res, &sp);
    sp.box = box;
    plan_round_search_(law, &sp, &o);
    char why[200], list[200] = "";
    size_t at = 0;
    for (int k = 0; k < 4 && at < sizeof list; k++)
        if (outside >> k & 1)
            at += snprintf(list + at, sizeof list - at, "%s%s %.4g outside [%.4g, %.4g]",
                           at ? ", " : "", what[k], v[k], ci[k][0], ci[k][1]);
    if (may_move && o.found && o.viol <= res->round_viol + 1e-12) {
        double gain = fmax(0.0, o.loss - p->loss);
        double d0 = p->depth, w0 = p->width, half = 0.5 * (res->loss_hi - res->loss_lo);
        plan_set_real_(law, res, &o.shape, o.tokens);
        char scale[96] = "";
        if (isfinite(half) && half > 0)
            snprintf(scale, sizeof scale, " (the loss interval's half-width is %.4f)", half);
        snprintf(res->interval_notes[res->nnotes++], sizeof res->interval_notes[0],
                 "the lowest point-estimate real shape, %.0fx%.0f, has %s; this shape is the "
                 "best inside every interval and predicts %+.4f nats more%s", d0, w0, list,
                 gain, scale);
        return;
    }
    if (o.found && o.viol == 0)
        snprintf(why, sizeof why, "the best real shape inside every interval, %.0fx%.0f, "
                 "predicts %+.4f nats more", o.shape.depth, o.shape.width,
                 fmax(0.0, o.loss - p->loss));
    else
        snprintf(why, sizeof why, "no real shape (integer depth, width a multiple of %d) "
                 "inside every interval meets the request", sp.step);
    snprintf(res->interval_notes[res->nnotes++], sizeof res->interval_notes[0], "%s: %s", list,
             why);
}
