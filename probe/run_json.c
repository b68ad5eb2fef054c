/* probe/run_json.c — a probe run as JSON: its settings and state in a checkpoint (so that
 * --resume continues the same trajectory) and its run record (DESIGN §3; the fields are
 * listed in docs/probe.md). The run state's numbers read back bit for bit: cJSON 1.7 prints
 * 15 significant digits whenever they read back within an ulp (its compare_double), so the
 * state prints its doubles with 17 itself (exact_num_); the settings' numbers are the
 * user's decimals, and the settings hold the seed as a string (exact beyond 2^53).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "common/dwjson.h"
#include "kernels/kern.h"
#include "probe/checkpoint.h"
#include "probe/run_impl.h"

// ----------------------------------------------------------------------------
// settings and state as JSON (checkpoints)

const char *probe_sched_name_(ProbeSchedule s) {
    return s == PROBE_SCHED_COSINE ? "cosine" : "constant";
}

char *probe_run_settings_json_(const ProbeRunConfig *c, const ProbeRunResult *p) {
    cJSON *j = cJSON_CreateObject();
    if (!j) return NULL;
    const ProbeModelConfig *m = &p->model;
    cJSON_AddNumberToObject(j, "depth", m->depth);
    cJSON_AddNumberToObject(j, "width", m->width);
    cJSON_AddNumberToObject(j, "heads", m->heads);
    cJSON_AddNumberToObject(j, "vocab", m->vocab);
    cJSON_AddNumberToObject(j, "seq_len", m->seq_len);
    cJSON_AddNumberToObject(j, "mlp_ratio", m->mlp_ratio);
    cJSON_AddBoolToObject(j, "biases", m->biases);
    cJSON_AddNumberToObject(j, "init_std", dw_float_decimal(m->init_std));
    cJSON_AddNumberToObject(j, "batch", c->batch);
    cJSON_AddNumberToObject(j, "seq", c->seq);
    cJSON_AddNumberToObject(j, "steps", (double)p->steps);
    cJSON_AddNumberToObject(j, "tokens", p->tokens);
    cJSON_AddNumberToObject(j, "lr", c->lr);
    cJSON_AddStringToObject(j, "schedule", probe_sched_name_(c->schedule));
    cJSON_AddNumberToObject(j, "warmup", (double)c->warmup);
    cJSON_AddNumberToObject(j, "min_lr_frac", c->min_lr_frac);
    cJSON_AddNumberToObject(j, "beta1", c->beta1);
    cJSON_AddNumberToObject(j, "beta2", c->beta2);
    cJSON_AddNumberToObject(j, "eps", c->eps);
    cJSON_AddNumberToObject(j, "weight_decay", c->weight_decay);
    cJSON_AddNumberToObject(j, "clip", c->clip);
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->seed);
    cJSON_AddStringToObject(j, "seed", seed); /* exact beyond 2^53 */
    cJSON_AddNumberToObject(j, "grad_step", (double)p->grad_step);
    cJSON_AddNumberToObject(j, "val_batches", c->val_batches);
    cJSON_AddNumberToObject(j, "eval_every", c->eval_every);
    cJSON_AddNumberToObject(j, "eval_points", c->eval_points);
    cJSON_AddStringToObject(j, "data", c->data ? c->data : "synthetic");
    cJSON_AddNumberToObject(j, "synth_tokens", (double)c->synth_tokens);
    cJSON_AddStringToObject(j, "dwplan_version", DWPLAN_VERSION);
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return s;
}

/* A number of a checkpoint's settings or state, checked before any cast: present, a JSON
 * number, in [lo, hi] (NUM_POS: > lo; NUM_BELOW: < hi) and integral for NUM_INT. `what`
 * names the object in the message ("run settings", "run state"); the caller prefixes the
 * file. */
enum { NUM_REAL, NUM_INT, NUM_POS, NUM_BELOW };
typedef struct {
    const char *key;
    int kind;
    double lo, hi;
} NumField;

static int jnum_(const cJSON *j, const char *what, const NumField *f, double *v) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, f->key);
    if (!x) return dw_error_set(DW_EPARSE, "%s: no '%s'", what, f->key);
    if (!cJSON_IsNumber(x))
        return dw_error_set(DW_EPARSE, "%s: '%s' must be a number", what, f->key);
    double d = x->valuedouble;
    int ok = d >= f->lo && d <= f->hi && (f->kind != NUM_INT || d == floor(d)) &&
             (f->kind != NUM_POS || d > f->lo) && (f->kind != NUM_BELOW || d < f->hi);
    if (ok) {
        *v = d;
        return DW_OK;
    }
    if (f->kind == NUM_INT)
        return dw_error_set(DW_EPARSE, "%s: '%s' is %.17g, want an integer in %.0f..%.0f", what,
                            f->key, d, f->lo, f->hi);
    return dw_error_set(DW_EPARSE, "%s: '%s' is %.17g, want a number in %c%g, %g%c", what,
                        f->key, d, f->kind == NUM_POS ? '(' : '[', f->lo, f->hi,
                        f->kind == NUM_BELOW ? ')' : ']');
}

/* A field that checkpoints written before it lack: absent gives dflt, else as jnum_. */
static int jnum_opt_(const cJSON *j, const char *what, const NumField *f, double dflt,
                     double *v) {
    if (!cJSON_GetObjectItemCaseSensitive(j, f->key)) {
        *v = dflt;
        return DW_OK;
    }
    return jnum_(j, what, f, v);
}

/* Reads every field of the table into v[] (same order). */
static int jnums_(const cJSON *j, const char *what, const NumField *f, size_t n, double *v) {
    int rc;
    for (size_t k = 0; k < n; k++)
        if ((rc = jnum_(j, what, &f[k], &v[k]))) return rc;
    return DW_OK;
}

#define STEPS_ ((double)PROBE_STEPS_MAX)

/* The seed: a string of decimal digits (exact beyond 2^53) that fits in 64 bits. */
static int seed_parse_(const cJSON *sd, uint64_t *out) {
    const char *w = "run settings";
    if (!sd) return dw_error_set(DW_EPARSE, "%s: no 'seed'", w);
    if (!cJSON_IsString(sd))
        return dw_error_set(DW_EPARSE, "%s: 'seed' must be a string of digits", w);
    const char *t = sd->valuestring;
    size_t n = strspn(t, "0123456789");
    errno = 0;
    unsigned long long v = n && !t[n] ? strtoull(t, NULL, 10) : 0;
    if (!n || t[n] || errno == ERANGE)
        return dw_error_set(DW_EPARSE, "%s: 'seed' is \"%.40s\", want an integer in 0..2^64-1",
                            w, t);
    *out = (uint64_t)v;
    return DW_OK;
}

int probe_run_settings_parse_(const char *json, ProbeRunConfig *c, char *data_buf, size_t n) {
    static const NumField f[] = {
        {"batch", NUM_INT, 1, 1e6},         {"seq", NUM_INT, 1, 1 << 20},
        {"steps", NUM_INT, 1, STEPS_},      {"lr", NUM_POS, 0, DBL_MAX},
        {"warmup", NUM_INT, 0, STEPS_},     {"min_lr_frac", NUM_REAL, 0, 1},
        {"beta1", NUM_BELOW, 0, 1},         {"beta2", NUM_BELOW, 0, 1},
        {"eps", NUM_REAL, 0, 1},            {"weight_decay", NUM_REAL, 0, DBL_MAX},
        {"clip", NUM_REAL, -DBL_MAX, DBL_MAX}, {"grad_step", NUM_INT, 0, STEPS_},
        {"val_batches", NUM_INT, 1, 1e6},   {"synth_tokens", NUM_INT, 0, 1099511627776.0}};
    /* the loss curve's settings: absent in checkpoints from before it (no curve) */
    static const NumField fe[] = {{"eval_every", NUM_REAL, 0, PROBE_EVAL_EVERY_MAX},
                                  {"eval_points", NUM_INT, 0, PROBE_CURVE_MAX}};
    const char *w = "run settings";
    cJSON *j = cJSON_Parse(json);
    double v[sizeof f / sizeof f[0]], ve[2];
    uint64_t seed = 0;
    int rc = DW_EPARSE;
    if (!cJSON_IsObject(j)) {
        dw_error_set(DW_EPARSE, "%s are not a JSON object", w);
        goto out;
    }
    if ((rc = jnums_(j, w, f, sizeof f / sizeof f[0], v)) ||
        (rc = jnum_opt_(j, w, &fe[0], 0, &ve[0])) || (rc = jnum_opt_(j, w, &fe[1], 0, &ve[1])) ||
        (rc = seed_parse_(cJSON_GetObjectItemCaseSensitive(j, "seed"), &seed)))
        goto out;
    rc = DW_EPARSE;
    if (v[11] > v[2]) {
        dw_error_set(rc, "%s: 'grad_step' %.0f is after the last step ('steps' %.0f)", w, v[11],
                     v[2]);
        goto out;
    }
    if (v[0] * v[1] > (double)PROBE_TOKENS_PER_STEP_MAX) {
        dw_error_set(rc, "%s: 'batch' × 'seq' = %.0f × %.0f is more than %ld tokens a step", w,
                     v[0], v[1], PROBE_TOKENS_PER_STEP_MAX);
        goto out;
    }
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(j, "schedule");
    const cJSON *da = cJSON_GetObjectItemCaseSensitive(j, "data");
    if (!cJSON_IsString(sc) ||
        (strcmp(sc->valuestring, "cosine") && strcmp(sc->valuestring, "constant"))) {
        dw_error_set(rc, "%s: 'schedule' must be \"constant\" or \"cosine\"", w);
        goto out;
    }
    if (!cJSON_IsString(da) || !da->valuestring[0] || strlen(da->valuestring) >= n) {
        dw_error_set(rc, "%s: 'data' must be a string of 1 to %zu bytes", w, n - 1);
        goto out;
    }
    c->batch = (int)v[0];
    c->seq = (int)v[1];
    c->steps = (long)v[2];
    c->tokens = 0;
    c->lr = v[3];
    c->warmup = (long)v[4];
    c->min_lr_frac = v[5];
    c->beta1 = v[6];
    c->beta2 = v[7];
    c->eps = v[8];
    c->weight_decay = v[9];
    c->clip = v[10];
    c->grad_step = (long)v[11];
    c->val_batches = (int)v[12];
    c->synth_tokens = (size_t)v[13];
    c->eval_every = ve[0];
    c->eval_points = (int)ve[1];
    c->seed = seed;
    c->schedule = !strcmp(sc->valuestring, "cosine") ? PROBE_SCHED_COSINE : PROBE_SCHED_CONSTANT;
    snprintf(data_buf, n, "%s", da->valuestring);
    c->data = data_buf;
    rc = DW_OK;
out:
    cJSON_Delete(j);
    return rc;
}

int probe_run_checkpoint_read(const char *dir, ProbeRunConfig *c, char *data_buf, size_t n,
                              int *have_settings, char **state_json) {
    char *run_json = NULL;
    int rc;
    *have_settings = 0;
    if (state_json) *state_json = NULL;
    if ((rc = probe_checkpoint_config(dir, &c->model, &run_json))) return rc;
    if (run_json) {
        rc = probe_run_settings_parse_(run_json, c, data_buf, n);
        free(run_json);
        if (!rc && c->seq > c->model.seq_len)
            rc = dw_error_set(DW_EPARSE, "run settings: 'seq' %d is longer than the model's "
                              "max_position_embeddings %d", c->seq, c->model.seq_len);
        if (rc) return dw_error_prefix(rc, "%s/%s", dir, PROBE_CKPT_CONFIG);
        *have_settings = 1;
    }
    return probe_checkpoint_check(dir, &c->model, state_json);
}

/* A number of the run state, printed so that it reads back bit for bit (17 significant
 * digits); null when not finite (the parser refuses it). */
static cJSON *exact_num_(double v) {
    char b[40];
    if (!isfinite(v)) return cJSON_CreateNull();
    snprintf(b, sizeof b, "%.17g", v);
    return cJSON_CreateRaw(b);
}

static void add_exact_(cJSON *j, const char *k, double v) {
    cJSON_AddItemToObject(j, k, exact_num_(v));
}

static cJSON *darray_(const double *x, int n) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && x && i < n; i++) cJSON_AddItemToArray(a, exact_num_(x[i]));
    return a;
}

/* [{"tokens": T, "loss": L}, ...]: the curve in the run state (exact: its numbers bit for
 * bit) and in the record (cJSON's printing, as the record's val_loss, so that the last
 * point and val_loss are the same text). */
static cJSON *curve_json_(const ProbeCurvePoint *p, int n, int exact) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o) {
            cJSON_Delete(a);
            return NULL;
        }
        cJSON_AddNumberToObject(o, "tokens", p[i].tokens);
        if (exact) add_exact_(o, "loss", p[i].loss);
        else cJSON_AddNumberToObject(o, "loss", p[i].loss);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

char *probe_run_state_json_(const RunState *s, const ProbeRunResult *r, int L) {
    cJSON *j = cJSON_CreateObject();
    if (!j) return NULL;
    cJSON_AddNumberToObject(j, "step", (double)s->step);
    cJSON_AddNumberToObject(j, "data_step", (double)s->step); /* next batch: (seed, step) */
    add_exact_(j, "loss_initial", s->loss_initial);
    add_exact_(j, "loss_last", s->loss_last);
    add_exact_(j, "loss_tail_sum", s->tail_sum);
    cJSON_AddNumberToObject(j, "loss_tail_n", (double)s->tail_n);
    cJSON_AddBoolToObject(j, "have_grad", s->have_grad);
    add_exact_(j, "grad_norm_global", s->have_grad ? s->grad_global : 0);
    cJSON_AddItemToObject(j, "grad_norms", darray_(s->have_grad ? r->grad_norms : NULL, L));
    cJSON_AddItemToObject(j, "grad_norms_attn",
                          darray_(s->have_grad ? r->grad_norms_attn : NULL, L));
    cJSON_AddItemToObject(j, "grad_norms_mlp", darray_(s->have_grad ? r->grad_norms_mlp : NULL, L));
    add_exact_(j, "train_s", s->train_s);
    cJSON_AddNumberToObject(j, "threads", s->threads);
    cJSON_AddItemToObject(j, "curve", curve_json_(r->curve, r->curve_n, 1));
    char *t = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return t;
}

/* An array of L finite non-negative numbers (out NULL: only checked). */
static int darray_parse_(const cJSON *j, const char *k, double *out, int L) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, k);
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != L)
        return dw_error_set(DW_EPARSE, "run state: '%s' is not an array of %d numbers", k, L);
    int i = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, a) {
        if (!cJSON_IsNumber(x) || !(x->valuedouble >= 0 && x->valuedouble <= DBL_MAX))
            return dw_error_set(DW_EPARSE, "run state: '%s'[%d] is not a number >= 0", k, i);
        if (out) out[i] = x->valuedouble;
        i++;
    }
    return DW_OK;
}

/* The state's curve: exactly the points of the schedule es[ne] up to `step` (bt tokens a
 * step), each {"tokens": es[i]·bt, "loss": finite >= 0}, into out (NULL: only checked).
 * A state without "curve" (written before curves) stands for an empty one. */
static int curve_parse_(const cJSON *j, long step, const long *es, int ne, double bt,
                        ProbeCurvePoint *out, int *nout) {
    const char *w = "run state";
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "curve"), *x;
    int want = 0, i = 0;
    while (want < ne && es[want] <= step) want++;
    if (!a && want == 0) return DW_OK;
    if (!cJSON_IsArray(a))
        return dw_error_set(DW_EPARSE, "%s: 'curve' must be an array of {\"tokens\": T, "
                            "\"loss\": L}", w);
    int n = cJSON_GetArraySize(a);
    if (n != want)
        return dw_error_set(DW_EPARSE, "%s: 'curve' has %d point%s; the run's evaluation "
                            "schedule has %d up to step %ld", w, n, n == 1 ? "" : "s", want, step);
    double prev = 0;
    cJSON_ArrayForEach(x, a) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(x, "tokens");
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(x, "loss");
        if (!cJSON_IsObject(x))
            return dw_error_set(DW_EPARSE, "%s: 'curve'[%d] must be an object {\"tokens\": T, "
                                "\"loss\": L}", w, i);
        if (!cJSON_IsNumber(t))
            return dw_error_set(DW_EPARSE, "%s: 'curve'[%d].tokens must be a number", w, i);
        if (i > 0 && !(t->valuedouble > prev))
            return dw_error_set(DW_EPARSE, "%s: 'curve'[%d].tokens %.17g is not above the "
                                "point before (%.17g)", w, i, t->valuedouble, prev);
        if (t->valuedouble != (double)es[i] * bt)
            return dw_error_set(DW_EPARSE, "%s: 'curve'[%d].tokens is %.17g, want %.0f (step "
                                "%ld of the evaluation schedule)", w, i, t->valuedouble,
                                (double)es[i] * bt, es[i]);
        if (!cJSON_IsNumber(l))
            return dw_error_set(DW_EPARSE, "%s: 'curve'[%d].loss must be a number", w, i);
        if (!(l->valuedouble >= 0 && l->valuedouble <= DBL_MAX))
            return dw_error_set(DW_EPARSE, "%s: 'curve'[%d].loss is %.17g, want a finite number "
                                ">= 0", w, i, l->valuedouble);
        if (out) out[i] = (ProbeCurvePoint){t->valuedouble, l->valuedouble};
        prev = t->valuedouble;
        i++;
    }
    *nout = n;
    return DW_OK;
}

int probe_run_state_parse_(const char *json, RunState *s, ProbeRunResult *r, int L,
                           const long *eval_steps, int eval_n, double bt) {
    static const NumField f[] = {{"step", NUM_INT, 0, STEPS_},
                                 {"loss_initial", NUM_REAL, -DBL_MAX, DBL_MAX},
                                 {"loss_last", NUM_REAL, -DBL_MAX, DBL_MAX},
                                 {"loss_tail_sum", NUM_REAL, -DBL_MAX, DBL_MAX},
                                 {"loss_tail_n", NUM_INT, 0, STEPS_},
                                 {"grad_norm_global", NUM_REAL, 0, DBL_MAX},
                                 {"train_s", NUM_REAL, 0, DBL_MAX},
                                 {"threads", NUM_INT, 1, 4096}};
    const char *w = "run state";
    cJSON *j = cJSON_Parse(json);
    double v[sizeof f / sizeof f[0]];
    int rc = DW_EPARSE;
    if (!cJSON_IsObject(j)) {
        dw_error_set(DW_EPARSE, "%s is not a JSON object", w);
        goto out;
    }
    if ((rc = jnums_(j, w, f, sizeof f / sizeof f[0], v))) goto out;
    rc = DW_EPARSE;
    if (v[4] > v[0]) {
        dw_error_set(rc, "%s: 'loss_tail_n' %.0f is more than the %.0f steps done", w, v[4], v[0]);
        goto out;
    }
    const cJSON *hg = cJSON_GetObjectItemCaseSensitive(j, "have_grad");
    if (!cJSON_IsBool(hg)) {
        dw_error_set(rc, "%s: 'have_grad' must be true or false", w);
        goto out;
    }
    s->step = (long)v[0];
    s->loss_initial = v[1];
    s->loss_last = v[2];
    s->tail_sum = v[3];
    s->tail_n = (long)v[4];
    s->grad_global = v[5];
    s->train_s = v[6];
    s->threads = (int)v[7];
    s->have_grad = cJSON_IsTrue(hg);
    rc = DW_OK;
    if (s->have_grad &&
        ((rc = darray_parse_(j, "grad_norms", r ? r->grad_norms : NULL, L)) ||
         (rc = darray_parse_(j, "grad_norms_attn", r ? r->grad_norms_attn : NULL, L)) ||
         (rc = darray_parse_(j, "grad_norms_mlp", r ? r->grad_norms_mlp : NULL, L))))
        goto out;
    int n = 0;
    if ((rc = curve_parse_(j, s->step, eval_steps, eval_n, bt, r ? r->curve : NULL, &n)))
        goto out;
    if (r) r->curve_n = n;
out:
    cJSON_Delete(j);
    return rc;
}

// ----------------------------------------------------------------------------
// the record

static void add_arr_(cJSON *j, const char *k, const double *x, int n, int have) {
    if (!have || !x) {
        cJSON_AddNullToObject(j, k);
        return;
    }
    cJSON *a = cJSON_AddArrayToObject(j, k);
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(a, isfinite(x[i]) ? cJSON_CreateNumber(x[i]) : cJSON_CreateNull());
}

char *probe_run_record_json_(const ProbeRunConfig *c, const ProbeRunResult *r, int have_grad,
                          int have_end, int threads) {
    cJSON *j = cJSON_CreateObject();
    char now[32];
    if (!j) return NULL;
    const ProbeModelConfig *m = &r->model;
    int L = m->depth;
    cJSON_AddNumberToObject(j, "depth", L);
    cJSON_AddNumberToObject(j, "width", m->width);
    cJSON_AddNumberToObject(j, "heads", m->heads);
    cJSON_AddNumberToObject(j, "mlp_ratio", m->mlp_ratio);
    cJSON_AddNumberToObject(j, "vocab", m->vocab);
    cJSON_AddNumberToObject(j, "seq_len", c->seq);
    cJSON_AddNumberToObject(j, "params", (double)r->params);
    cJSON_AddNumberToObject(j, "params_nonembed", (double)r->params_nonembed);
    cJSON_AddNumberToObject(j, "tokens", r->tokens);
    dw_json_add_num(j, "flops", r->flops);
    dw_json_add_num(j, "loss", r->loss);
    dw_json_add_num(j, "val_loss", r->val_loss);
    if (r->evals > 0) cJSON_AddItemToObject(j, "curve", curve_json_(r->curve, r->curve_n, 0));
    add_arr_(j, "grad_norms", r->grad_norms, L, have_grad);
    add_arr_(j, "grad_norms_attn", r->grad_norms_attn, L, have_grad);
    add_arr_(j, "grad_norms_mlp", r->grad_norms_mlp, L, have_grad);
    add_arr_(j, "grad_norms_end", r->grad_norms_end, L, have_end);
    cJSON_AddNumberToObject(j, "grad_step", (double)r->grad_step);
    cJSON_AddNumberToObject(j, "seed", (double)c->seed);
    cJSON_AddStringToObject(j, "dataset", r->dataset);
    cJSON_AddStringToObject(j, "backend", kern_backend_name(c->backend));
    if (c->backend != KERN_CPU) cJSON_AddStringToObject(j, "math", kern_math_name(c->math));
    if (r->device[0]) cJSON_AddStringToObject(j, "device", r->device);
    dw_json_add_num(j, "tokens_per_s", r->tokens_per_s);
    cJSON_AddStringToObject(j, "status", r->status);
    cJSON_AddStringToObject(j, "dwplan_version", DWPLAN_VERSION);
    cJSON_AddNumberToObject(j, "lr", c->lr);
    cJSON_AddStringToObject(j, "schedule", probe_sched_name_(c->schedule));
    cJSON_AddNumberToObject(j, "warmup", (double)c->warmup);
    cJSON_AddNumberToObject(j, "batch", c->batch);
    cJSON_AddNumberToObject(j, "steps", (double)r->steps);
    cJSON_AddNumberToObject(j, "steps_done", (double)r->steps_done);
    cJSON_AddNumberToObject(j, "tokens_trained", r->tokens_trained);
    dw_json_add_num(j, "wall_s", r->wall_s);
    dw_json_add_num(j, "loss_floor", r->loss_floor);
    dw_json_add_num(j, "loss_initial", r->loss_initial);
    dw_json_add_num(j, "loss_last", r->loss_last);
    dw_json_add_num(j, "grad_norm_global", have_grad ? r->grad_norm_global : NAN);
    dw_json_add_num(j, "flops_6n", r->flops_6n);
    dw_json_add_num(j, "flops_model", r->flops_model);
    cJSON_AddBoolToObject(j, "biases", m->biases);
    cJSON_AddNumberToObject(j, "threads", threads);
    cJSON_AddStringToObject(j, "dataset_desc", r->dataset_desc);
    if (r->error[0]) cJSON_AddStringToObject(j, "error", r->error);
    dw_utc_now(now);
    cJSON_AddStringToObject(j, "time", now);
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return s;
}
