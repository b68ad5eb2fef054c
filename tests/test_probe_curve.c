/* tests/test_probe_curve.c — a run's loss curve (probe/run.h: eval_every, eval_points; issue
 * 15): the evaluation schedule against hand-computed step lists and its refusals; a run
 * recording the expected points at the expected token counts, its last point the record's
 * val_loss exactly, losses finite and mostly falling; the curve leaving the trajectory
 * untouched; a run stopped and resumed giving the uninterrupted curve bit for bit (stopped
 * between points, on a point, and resumed from its final checkpoint); a diverged run keeping
 * only finite points; the run state's curve refused when it is not the schedule's (too
 * many points, null or infinite losses, tokens out of order or of the wrong type).
 * Tiny models on a small synthetic corpus, one thread.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "common/dw.h"
#include "probe/run.h"
#include "probe/run_impl.h"

static char dir_[256];

static void tiny_(ProbeRunConfig *c) {
    probe_run_config_default(c);
    c->model.depth = 2;
    c->model.width = 16;
    c->batch = 2;
    c->seq = 16;
    c->steps = 40;
    c->lr = 3e-3;
    c->val_batches = 2;
    c->synth_tokens = 1 << 16;
    c->threads = 1;
    c->quiet = 1;
}

// ----------------------------------------------------------------------------
// the schedule

static void test_schedule_(void) {
    /* steps worked out by hand: every k = max(1, round(E / (B·T))) steps; K log points at
     * round(S^(i/(K-1))); S always */
    static const struct {
        const char *name;
        double every;
        int points, batch, seq;
        long S;
        int n;
        long want[12];
    } cases[] = {
        {"every 320 tokens = 10 steps", 320, 0, 2, 16, 40, 4, {10, 20, 30, 40}},
        {"every 300 tokens rounds to 9 steps", 300, 0, 2, 16, 40, 5, {9, 18, 27, 36, 40}},
        {"every 0.4 steps is every step", 13, 0, 2, 16, 5, 5, {1, 2, 3, 4, 5}},
        {"every beyond the budget: the final point", 1e9, 0, 2, 16, 40, 1, {40}},
        /* 40^(i/5) = 1, 2.09, 4.37, 9.15, 19.1, 40 */
        {"6 log points in 40 steps", 0, 6, 2, 16, 40, 6, {1, 2, 4, 9, 19, 40}},
        {"1 log point: the final one", 0, 1, 2, 16, 40, 1, {40}},
        /* 3^(i/4) = 1, 1.32, 1.73, 2.28, 3: merged */
        {"5 log points in 3 steps merge", 0, 5, 2, 16, 3, 3, {1, 2, 3}},
        /* 1000^(i/3) = 1, 10, 100, 1000 with every 8000 tokens = 250 steps */
        {"both sets", 8000, 4, 2, 16, 1000, 7, {1, 10, 100, 250, 500, 750, 1000}},
        /* 1e6^(i/2) = 1, 1000, 1e6 at 8 × 256 tokens a step */
        {"log points in a long run", 0, 3, 8, 256, 1000000, 3, {1, 1000, 1000000}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ProbeRunConfig c;
        long *v = NULL;
        int n = -1;
        tiny_(&c);
        c.eval_every = cases[k].every;
        c.eval_points = cases[k].points;
        c.batch = cases[k].batch;
        c.seq = cases[k].seq;
        int rc = probe_run_eval_steps(&c, cases[k].S, &v, &n);
        int ok = rc == DW_OK && n == cases[k].n;
        for (int i = 0; ok && i < n; i++) ok = v[i] == cases[k].want[i];
        if (!ok) {
            fprintf(stderr, "schedule '%s': rc %d, %d steps:", cases[k].name, rc, n);
            for (int i = 0; v && i < n; i++) fprintf(stderr, " %ld", v[i]);
            fprintf(stderr, "\n");
        }
        CHECK(ok);
        free(v);
    }
    /* no curve asked: nothing, no array */
    ProbeRunConfig c;
    long *v = (long *)&c;
    int n = -1;
    tiny_(&c);
    CHECK(probe_run_eval_steps(&c, 40, &v, &n) == DW_OK && n == 0 && v == NULL);

    /* refusals, each with a message naming the option */
    static const struct {
        const char *name;
        double every;
        int points;
        long S;
        const char *msg;
    } bad[] = {
        {"5000 evaluations", 32, 0, 5000, "more than 1000; give --eval-every 192 or more"},
        {"points above the cap", 0, PROBE_CURVE_MAX + 1, 40, "--eval-points"},
        {"negative every", -1, 0, 40, "--eval-every"},
        {"every NaN", NAN, 0, 40, "--eval-every"},
        /* 100000 / 101 = 990 points, 999 log points: more than 1000 together */
        {"both together above the cap", 3232, 999, 100000, "together give"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        tiny_(&c);
        c.eval_every = bad[k].every;
        c.eval_points = bad[k].points;
        v = NULL;
        int rc = probe_run_eval_steps(&c, bad[k].S, &v, &n);
        int ok = rc == DW_EINVAL && v == NULL && strstr(dw_error_get(), bad[k].msg);
        if (!ok)
            fprintf(stderr, "refusal '%s': rc %d, message '%s'\n", bad[k].name, rc,
                    dw_error_get());
        CHECK(ok);
        free(v);
    }
    /* the plan refuses such a run before any work, and counts the points of a good one */
    ProbeRunResult p;
    tiny_(&c);
    c.steps = 5000;
    c.eval_every = 32;
    CHECK(probe_run_plan(&c, 256, &p) == DW_EINVAL);
    c.eval_every = 320;
    CHECK(probe_run_plan(&c, 256, &p) == DW_OK && p.evals == 500);
}

// ----------------------------------------------------------------------------
// runs

/* The record without the fields that measure time (and without "curve" when drop_curve). */
static cJSON *stable_(const char *record, int drop_curve) {
    cJSON *j = cJSON_Parse(record);
    static const char *drop[] = {"wall_s", "tokens_per_s", "time", "curve"};
    for (int k = 0; j && k < 3 + drop_curve; k++)
        cJSON_DeleteItemFromObjectCaseSensitive(j, drop[k]);
    return j;
}

static int same_record_(const char *a, const char *b, int drop_curve) {
    cJSON *x = stable_(a, drop_curve), *y = stable_(b, drop_curve);
    int same = x && y && cJSON_Compare(x, y, 1);
    if (!same) fprintf(stderr, "records differ:\n%s\n%s\n", a, b);
    cJSON_Delete(x);
    cJSON_Delete(y);
    return same;
}

static int same_curve_(const ProbeRunResult *a, const ProbeRunResult *b) {
    int same = a->curve_n == b->curve_n;
    for (int i = 0; same && i < a->curve_n; i++)
        same = a->curve[i].tokens == b->curve[i].tokens && a->curve[i].loss == b->curve[i].loss;
    if (!same)
        for (int i = 0; i < a->curve_n || i < b->curve_n; i++)
            fprintf(stderr, "curve[%d]: %.17g %.17g | %.17g %.17g\n", i,
                    i < a->curve_n ? a->curve[i].tokens : NAN,
                    i < a->curve_n ? a->curve[i].loss : NAN,
                    i < b->curve_n ? b->curve[i].tokens : NAN,
                    i < b->curve_n ? b->curve[i].loss : NAN);
    return same;
}

static void test_run_curve_(void) {
    ProbeRunConfig c;
    ProbeRunResult plain, r;
    tiny_(&c);
    CHECK_STATUS(probe_run(&c, &plain));
    CHECK(plain.evals == 0 && plain.curve_n == 0 && !strstr(plain.record, "\"curve\""));
    c.eval_every = 320; /* 10 steps of 2×16 */
    CHECK_STATUS(probe_run(&c, &r));
    CHECK(!strcmp(r.status, "ok") && r.evals == 4 && r.curve_n == 4);
    for (int i = 0; i < r.curve_n && i < 4; i++) {
        CHECK(r.curve[i].tokens == 320.0 * (i + 1));
        CHECK(isfinite(r.curve[i].loss) && r.curve[i].loss > 0);
    }
    /* the last point is the record's own: same tokens, the very same val_loss */
    CHECK(r.curve[r.curve_n - 1].tokens == r.tokens_trained && r.tokens_trained == r.tokens);
    CHECK(r.curve[r.curve_n - 1].loss == r.val_loss);
    /* the synthetic language is learnt: the validation loss falls at every point here */
    int falls = 0;
    for (int i = 1; i < r.curve_n; i++) falls += r.curve[i].loss < r.curve[i - 1].loss;
    CHECK(falls >= r.curve_n - 2 && r.curve[r.curve_n - 1].loss < r.curve[0].loss - 0.5);
    /* the record carries the curve as numbers that read back exactly */
    cJSON *j = cJSON_Parse(r.record);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "curve"), *x;
    const cJSON *vl = cJSON_GetObjectItemCaseSensitive(j, "val_loss");
    const cJSON *tk = cJSON_GetObjectItemCaseSensitive(j, "tokens");
    CHECK(cJSON_IsArray(a) && cJSON_GetArraySize(a) == 4);
    int i = 0;
    cJSON_ArrayForEach(x, a) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(x, "tokens");
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(x, "loss");
        CHECK(cJSON_IsNumber(t) && cJSON_IsNumber(l) && cJSON_GetArraySize(x) == 2);
        if (i < r.curve_n && t && l)
            CHECK(t->valuedouble == r.curve[i].tokens && l->valuedouble == r.curve[i].loss);
        if (i == 3 && t && l && vl && tk)
            CHECK(l->valuedouble == vl->valuedouble && t->valuedouble == tk->valuedouble);
        i++;
    }
    cJSON_Delete(j);
    /* measuring the curve changes nothing else: the record is the plain run's */
    CHECK(same_record_(plain.record, r.record, 1));
    probe_run_result_free(&plain);
    probe_run_result_free(&r);
}

/* Stopped at stop_at (with a checkpoint), resumed, and resumed once more from the final
 * checkpoint: each resumed record (curve included) is the uninterrupted one. */
static void resume_case_(const ProbeRunConfig *base, long stop_at, const char *tag) {
    ProbeRunConfig c = *base;
    ProbeRunResult full, stop, res, again;
    char ck[300];
    CHECK_STATUS(probe_run(&c, &full));
    snprintf(ck, sizeof ck, "%s/ck-%s", dir_, tag);
    c.checkpoint = ck;
    c.stop_at = stop_at;
    CHECK_STATUS(probe_run(&c, &stop));
    CHECK(!strcmp(stop.status, "stopped") && stop.steps_done == stop_at);
    ProbeRunConfig r;
    probe_run_config_default(&r);
    r.resume = ck; /* and the final checkpoint goes there too */
    r.threads = 1;
    r.quiet = 1;
    CHECK_STATUS(probe_run(&r, &res));
    int same = same_curve_(&full, &res) && same_record_(full.record, res.record, 0);
    if (!same) fprintf(stderr, "resume case %s\n", tag);
    CHECK(same);
    CHECK_STATUS(probe_run(&r, &again));
    CHECK(same_curve_(&full, &again));
    probe_run_result_free(&full);
    probe_run_result_free(&stop);
    probe_run_result_free(&res);
    probe_run_result_free(&again);
}

static void test_resume_(void) {
    ProbeRunConfig c;
    tiny_(&c);
    c.schedule = PROBE_SCHED_COSINE;
    c.warmup = 3;
    c.eval_every = 300;  /* steps 9, 18, 27, 36 ... */
    c.eval_points = 5;   /* ... and 1, 3, 6, 16, 40 (40^(i/4) = 1, 2.51, 6.32, 15.9, 40) */
    resume_case_(&c, 17, "between");
    resume_case_(&c, 18, "on-a-point");
    resume_case_(&c, 1, "first-step");
}

static void test_diverged_(void) {
    ProbeRunConfig c;
    ProbeRunResult r;
    tiny_(&c);
    c.lr = 30;
    c.steps = 10;
    c.eval_every = 32; /* every step */
    CHECK_STATUS(probe_run(&c, &r));
    CHECK(!strcmp(r.status, "diverged") && r.evals == 10);
    CHECK(r.curve_n < r.evals && r.record && strstr(r.record, "\"curve\":["));
    for (int i = 0; i < r.curve_n; i++) CHECK(isfinite(r.curve[i].loss));
    probe_run_result_free(&r);
}

// ----------------------------------------------------------------------------
// the run state's curve, as a resume reads it

static void test_state_curve_(void) {
    static const long es[] = {10, 20, 30, 40}; /* a schedule of 4 points, 32 tokens a step */
    const char *head = "{\"step\":25,\"data_step\":25,\"loss_initial\":5.5,\"loss_last\":4,"
                       "\"loss_tail_sum\":0,\"loss_tail_n\":0,\"have_grad\":false,"
                       "\"grad_norm_global\":0,\"grad_norms\":[],\"grad_norms_attn\":[],"
                       "\"grad_norms_mlp\":[],\"train_s\":1,\"threads\":1";
    static const struct {
        const char *name, *curve; /* text after "curve": (NULL: no curve member) */
        const char *msg;          /* NULL: accepted */
    } cases[] = {
        {"the schedule's points", "[{\"tokens\":320,\"loss\":4.9},{\"tokens\":640,\"loss\":4.3}]",
         NULL},
        {"too many points", "[{\"tokens\":320,\"loss\":4.9},{\"tokens\":640,\"loss\":4.3},"
                            "{\"tokens\":960,\"loss\":4.1}]", "'curve' has 3 points"},
        {"too few points", "[{\"tokens\":320,\"loss\":4.9}]", "'curve' has 1 point;"},
        {"no curve where the schedule has points", NULL, "'curve' must be an array"},
        {"not an array", "{\"tokens\":320}", "'curve' must be an array"},
        {"an element not an object", "[[320,4.9],{\"tokens\":640,\"loss\":4.3}]",
         "'curve'[0] must be an object"},
        {"tokens a string", "[{\"tokens\":\"320\",\"loss\":4.9},{\"tokens\":640,\"loss\":4.3}]",
         "'curve'[0].tokens must be a number"},
        {"tokens descending", "[{\"tokens\":640,\"loss\":4.9},{\"tokens\":320,\"loss\":4.3}]",
         "'curve'[0].tokens is 640, want 320"},
        {"tokens repeated", "[{\"tokens\":320,\"loss\":4.9},{\"tokens\":320,\"loss\":4.3}]",
         "'curve'[1].tokens 320 is not above"},
        {"tokens off the schedule", "[{\"tokens\":320,\"loss\":4.9},{\"tokens\":641,\"loss\":4.3}]",
         "'curve'[1].tokens is 641, want 640"},
        {"loss null (NaN written)", "[{\"tokens\":320,\"loss\":null},{\"tokens\":640,\"loss\":4}]",
         "'curve'[0].loss must be a number"},
        {"loss infinite", "[{\"tokens\":320,\"loss\":4.9},{\"tokens\":640,\"loss\":1e999}]",
         "'curve'[1].loss is inf"},
        {"loss negative", "[{\"tokens\":320,\"loss\":-1},{\"tokens\":640,\"loss\":4.3}]",
         "'curve'[0].loss is -1"},
        {"loss missing", "[{\"tokens\":320},{\"tokens\":640,\"loss\":4.3}]",
         "'curve'[0].loss must be a number"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char json[1024];
        if (cases[k].curve) snprintf(json, sizeof json, "%s,\"curve\":%s}", head, cases[k].curve);
        else snprintf(json, sizeof json, "%s}", head);
        RunState s = {0};
        ProbeRunResult r;
        ProbeCurvePoint pts[4] = {{0, 0}};
        memset(&r, 0, sizeof r);
        r.curve = pts;
        int rc = probe_run_state_parse_(json, &s, &r, 0, es, 4, 32);
        int ok = cases[k].msg ? rc == DW_EPARSE && strstr(dw_error_get(), cases[k].msg)
                              : rc == DW_OK && r.curve_n == 2 && pts[1].tokens == 640 &&
                                    pts[1].loss == 4.3;
        if (!ok)
            fprintf(stderr, "state curve '%s': rc %d, message '%s'\n", cases[k].name, rc,
                    dw_error_get());
        CHECK(ok);
    }
    /* a state from before curves, of a run without one, still reads */
    char json[1024];
    RunState s = {0};
    snprintf(json, sizeof json, "%s}", head);
    CHECK(probe_run_state_parse_(json, &s, NULL, 0, NULL, 0, 32) == DW_OK && s.step == 25);
}

int main(void) {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir_, sizeof dir_, "%s/dwplan_probe_curve_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir_)) {
        perror("mkdtemp");
        return 1;
    }
    test_schedule_();
    test_run_curve_();
    test_resume_();
    test_diverged_();
    test_state_curve_();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir_);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", dir_);
    return check_done("test_probe_curve");
}
