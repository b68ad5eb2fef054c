/* probe/run_impl.h — what probe/run.c and probe/run_json.c share, and nothing else: the
 * state a checkpoint carries besides the model, and the JSON of a run (its settings and
 * state in a checkpoint's config.json, its record). Not part of the module's API.
 */
#ifndef PROBE_RUN_IMPL_H
#define PROBE_RUN_IMPL_H

#include <stddef.h>

#include "probe/run.h"

/* What a resumed run needs besides the model and moments. */
typedef struct {
    long step;                /* steps done */
    double loss_initial, loss_last, tail_sum;
    long tail_n;
    int have_grad;
    double grad_global;
    double train_s;
    int threads;
} RunState;

/* "constant", "cosine". */
const char *probe_sched_name_(ProbeSchedule s);

/* The run's settings (c, with the resolved shape, steps and grad_step of p) as one JSON
 * object for a checkpoint: everything probe_run needs to resume. A new string (caller
 * frees), NULL when out of memory. */
char *probe_run_settings_json_(const ProbeRunConfig *c, const ProbeRunResult *p);

/* Settings from a checkpoint's "dwplan" member into *c (shape already in c->model).
 * data_buf (n bytes) receives the data string; c->data points into it. Every setting is
 * checked for its type, integrality and range before it is converted; on failure *c is
 * unchanged.
 * Return: DW_OK; DW_EPARSE when a setting is missing, of the wrong type or out of range, or
 * the text is not JSON (message names the field: the caller prefixes the file). */
int probe_run_settings_parse_(const char *json, ProbeRunConfig *c, char *data_buf, size_t n);

/* The state s (with r's gradient norms at grad_step when s->have_grad, L layers, and r's
 * curve so far) as JSON.
 * A new string, NULL when out of memory. */
char *probe_run_state_json_(const RunState *s, const ProbeRunResult *r, int L);

/* The inverse: fills *s and, when the state has them, r's grad_norms, _attn and _mlp (L
 * each, already allocated) and its curve (r->curve holds eval_n points; r NULL: only
 * checked). Every number is checked for type and range before it is converted (step and
 * loss_tail_n integers in 0..PROBE_STEPS_MAX, threads in 1..4096, ...); the curve must be
 * the points of the run's evaluation schedule eval_steps[eval_n] (probe_run_eval_steps) up
 * to the state's step, at steps·bt tokens, with finite losses >= 0.
 * Return: DW_OK; DW_EPARSE naming the field (the caller prefixes the file). */
int probe_run_state_parse_(const char *json, RunState *s, ProbeRunResult *r, int L,
                           const long *eval_steps, int eval_n, double bt);

/* The run record (DESIGN §3, docs/probe.md) of result r under settings c: one line of JSON,
 * a new string (NULL when out of memory). have_grad and have_end say whether grad_norms and
 * grad_norms_end were measured (null otherwise); threads is the run's thread count. */
char *probe_run_record_json_(const ProbeRunConfig *c, const ProbeRunResult *r, int have_grad,
                             int have_end, int threads);

#endif
