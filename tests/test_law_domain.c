/* tests/test_law_domain.c — valid JSON, meaningless values (issue 14, finding 8): a law's
 * parameters and conventions and a config's sizes are checked against their domains when
 * read, with the file, the field and the allowed range in the message; and a point the
 * planner computes that still means nothing (C beyond PLAN_FLOPS_MAX, a negative loss) is
 * reported as such (planner/warn.h).
 *
 * Each case is a law or config text that differs from a valid one in one value. The valid
 * one must load (so a refusal is the value's, not the template's), every embedded preset and
 * model shape must still load, and a law written from a fit with a parameter held outside
 * its domain must be refused on writing, not written unreadable.
 */
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "common/dw.h"
#include "common/embedded.h"
#include "fit/domain.h"
#include "fit/law.h"
#include "planner/hfconfig.h"
#include "planner/warn.h"

// ----------------------------------------------------------------------------
// laws

typedef struct {
    const char *form;
    const char *params;      /* the "params" object */
    const char *conventions; /* the "conventions" object */
    const char *field;       /* NULL: must load; else the field the message must name */
    const char *range;       /* the allowed range the message must give */
} LawCase;

#define CHIN_OK "\"E\": 1.8, \"A\": 400, \"alpha\": 0.34, \"B\": 2000, \"delta\": 0.37"
#define CONV_OK "{\"vocab\": 32000, \"seq_len\": 2048, \"mlp_ratio\": 4}"
#define LOGSQ_OK CHIN_OK ", \"gamma\": 0.5, \"d0\": 3, \"beta\": 0.4"
#define SHAPE_OK CHIN_OK ", \"gamma\": 0.5, \"kappa\": 2.43"
#define BH_OK CHIN_OK ", \"P\": 1, \"a\": 0.5, \"c\": 0.5, \"d0\": 3"
#define STARV_OK CHIN_OK ", \"P\": 1, \"a\": 0.5, \"R\": 0.1, \"t0\": 10, \"beta\": 0.5"
#define SEP_OK "\"e\": 0.5, \"c_N\": 6, \"a_N\": 0.3, \"c_T\": 7, \"a_T\": 0.3"

static const LawCase law_cases_[] = {
    /* the templates themselves */
    {"chinchilla", CHIN_OK, CONV_OK, NULL, NULL},
    {"logsq:power", LOGSQ_OK, CONV_OK, NULL, NULL},
    {"shape:log", SHAPE_OK, CONV_OK, NULL, NULL},
    {"benefit-harm:log", BH_OK, CONV_OK, NULL, NULL},
    {"starvation", STARV_OK, CONV_OK, NULL, NULL},
    {"separable:N,T", SEP_OK, CONV_OK, NULL, NULL},
    /* separable's e and c_X are log-amplitudes: any finite value; E is a floor: any finite */
    {"separable:N,T", "\"e\": -40, \"c_N\": -3, \"a_N\": 0.3, \"c_T\": 70, \"a_T\": 0.3",
     CONV_OK, NULL, NULL},
    {"chinchilla", "\"E\": -0.2, \"A\": 400, \"alpha\": 0.34, \"B\": 2000, \"delta\": 0.37",
     CONV_OK, NULL, NULL},
    /* the issue's case: alpha = -0.5 */
    {"chinchilla", "\"E\": 1.8, \"A\": 400, \"alpha\": -0.5, \"B\": 2000, \"delta\": 0.37",
     CONV_OK, "params.alpha", "(0, 10]"},
    {"chinchilla", "\"E\": 1.8, \"A\": 400, \"alpha\": 0, \"B\": 2000, \"delta\": 0.37",
     CONV_OK, "params.alpha", "(0, 10]"},
    {"chinchilla", "\"E\": 1.8, \"A\": 400, \"alpha\": 0.34, \"B\": 2000, \"delta\": 11",
     CONV_OK, "params.delta", "(0, 10]"},
    {"chinchilla", "\"E\": 1.8, \"A\": -1, \"alpha\": 0.34, \"B\": 2000, \"delta\": 0.37",
     CONV_OK, "params.A", "[0, "},
    {"kaplan", "\"A\": 4, \"alpha\": 0.3, \"B\": -2, \"delta\": 0.3", CONV_OK, "params.B",
     "[0, "},
    {"logsq:power", CHIN_OK ", \"gamma\": 0, \"d0\": 3, \"beta\": 0.4", CONV_OK,
     "params.gamma", "(0, "},
    {"logsq:power", CHIN_OK ", \"gamma\": 0.5, \"d0\": 0, \"beta\": 0.4", CONV_OK, "params.d0",
     "(0, "},
    {"logsq:power", CHIN_OK ", \"gamma\": 0.5, \"d0\": 3, \"beta\": 4.5", CONV_OK,
     "params.beta", "[-2, 4]"},
    {"shape:log", CHIN_OK ", \"gamma\": 0.5, \"kappa\": -2.43", CONV_OK, "params.kappa", "(0, "},
    {"shape:log", CHIN_OK ", \"gamma\": -0.5, \"kappa\": 2.43", CONV_OK, "params.gamma", "(0, "},
    {"benefit-harm:log", CHIN_OK ", \"P\": 1, \"a\": 0.5, \"c\": -0.5, \"d0\": 3", CONV_OK,
     "params.c", "(0, 10]"},
    {"benefit-harm:log", CHIN_OK ", \"P\": -1, \"a\": 0.5, \"c\": 0.5, \"d0\": 3", CONV_OK,
     "params.P", "[0, "},
    {"starvation", CHIN_OK ", \"P\": 1, \"a\": 0.5, \"R\": -0.1, \"t0\": 10, \"beta\": 0.5",
     CONV_OK, "params.R", "[0, "},
    {"starvation", CHIN_OK ", \"P\": 1, \"a\": 0.5, \"R\": 0.1, \"t0\": -10, \"beta\": 0.5",
     CONV_OK, "params.t0", "(0, "},
    {"starvation", CHIN_OK ", \"P\": 1, \"a\": 0.5, \"R\": 0.1, \"t0\": 10, \"beta\": -3",
     CONV_OK, "params.beta", "[-2, 4]"},
    {"separable:N,T", "\"e\": 0.5, \"c_N\": 6, \"a_N\": -0.3, \"c_T\": 7, \"a_T\": 0.3",
     CONV_OK, "params.a_N", "(0, 10]"},
    /* conventions: the issue's mlp_ratio 1e300, and the sizes */
    {"chinchilla", CHIN_OK, "{\"mlp_ratio\": 1e300}", "conventions.mlp_ratio", "(0, 64]"},
    {"chinchilla", CHIN_OK, "{\"mlp_ratio\": 64}", NULL, NULL},
    {"chinchilla", CHIN_OK, "{\"mlp_ratio\": -1}", "conventions.mlp_ratio", "(0, 64]"},
    {"chinchilla", CHIN_OK, "{\"vocab\": 200000000}", "conventions.vocab", "1 .. 100000000"},
    {"chinchilla", CHIN_OK, "{\"vocab\": 0}", "conventions.vocab", "1 .. 100000000"},
    {"chinchilla", CHIN_OK, "{\"seq_len\": 1e9}", "conventions.seq_len", "1 .. 100000000"},
    {"chinchilla", CHIN_OK, "{\"seq_len\": 100000000}", NULL, NULL},
};

static char *law_text_(const LawCase *c, const char *draws) {
    size_t n = strlen(c->params) + strlen(c->conventions) + (draws ? strlen(draws) : 0) + 256;
    char *t = malloc(n);
    snprintf(t, n, "{\"form\": \"%s\", \"params\": {%s}, \"conventions\": %s%s%s}", c->form,
             c->params, c->conventions, draws ? ", \"draws\": " : "", draws ? draws : "");
    return t;
}

/* rc must be DW_EPARSE and the message must hold every non-NULL string. */
static void check_refused_(int rc, const char *label, const char *a, const char *b,
                           const char *d) {
    const char *msg = dw_error_get();
    int ok = rc == DW_EPARSE && (!a || strstr(msg, a)) && (!b || strstr(msg, b)) &&
             (!d || strstr(msg, d));
    CHECK(ok);
    if (!ok)
        fprintf(stderr, "  %s: rc %d, message '%s' (want '%s', '%s', '%s')\n", label, rc, msg,
                a ? a : "", b ? b : "", d ? d : "");
}

static void test_law_cases(void) {
    for (size_t i = 0; i < sizeof law_cases_ / sizeof law_cases_[0]; i++) {
        const LawCase *c = &law_cases_[i];
        char *text = law_text_(c, NULL);
        char label[48];
        Law *law = NULL;
        snprintf(label, sizeof label, "law case %zu", i);
        int rc = law_parse(text, "hostile.json", &law);
        if (!c->field) {
            CHECK(rc == DW_OK);
            if (rc) fprintf(stderr, "  %s: refused: %s\n", label, dw_error_get());
        } else {
            check_refused_(rc, label, "hostile.json", c->field, c->range);
        }
        law_free(law);
        free(text);
    }
}

/* The spreads a law carries: a negative standard error or variance makes every interval
 * the planner draws from it NaN. Each text is a valid law plus one member. */
static void test_law_spreads(void) {
    static const struct {
        const char *extra, *field;
    } cases[] = {
        {"\"se\": {\"E\": 0.1, \"A\": 1, \"alpha\": 0.01, \"B\": 1, \"delta\": null}", NULL},
        {"\"se\": {\"E\": 0.1, \"A\": 1, \"alpha\": -0.01, \"B\": 1, \"delta\": 0}",
         "se.alpha"},
        {"\"cov\": [[1,0,0,0,0],[0,1,0,0,0],[0,0,-1,0,0],[0,0,0,1,0],[0,0,0,0,1]]",
         "cov[2][2] (alpha)"},
        {"\"fit\": {\"rmse\": -0.1}", "fit.rmse"},
        {"\"fit\": {\"cv_rmse\": -0.1}", "fit.cv_rmse"},
        {"\"fit\": {\"r2\": 1.5}", "fit.r2"},
        {"\"fit\": {\"r2\": -3, \"rmse\": null}", NULL}, /* R² below 0 is a bad fit, not nonsense */
        {"\"sources\": [{\"name\": \"a\", \"offset\": 0}, {\"name\": \"b\", \"offset\": 0.1, "
         "\"se\": -0.02}]", "sources[1].se"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[1024], label[32];
        snprintf(text, sizeof text, "{\"form\": \"chinchilla\", \"params\": {%s}, %s}", CHIN_OK,
                 cases[i].extra);
        snprintf(label, sizeof label, "spread case %zu", i);
        Law *law = NULL;
        int rc = law_parse(text, "spread.json", &law);
        if (!cases[i].field) {
            CHECK(rc == DW_OK);
            if (rc) fprintf(stderr, "  %s: refused: %s\n", label, dw_error_get());
        } else {
            check_refused_(rc, label, "spread.json", cases[i].field,
                           strstr(cases[i].field, "r2") ? "at most 1" : ">= 0");
        }
        law_free(law);
    }
}

/* A bootstrap draw is a parameter vector like the point: one outside the domain is refused,
 * naming the row and the parameter. */
static void test_law_draws(void) {
    const LawCase c = {"chinchilla", CHIN_OK, CONV_OK, NULL, NULL};
    char *ok = law_text_(&c, "[[1.8, 400, 0.34, 2000, 0.37], [1.7, 410, 0.33, 2100, 0.36]]");
    char *bad = law_text_(&c, "[[1.8, 400, 0.34, 2000, 0.37], [1.7, 410, -0.33, 2100, 0.36]]");
    Law *law = NULL;
    CHECK(law_parse(ok, "draws.json", &law) == DW_OK);
    law_free(law);
    check_refused_(law_parse(bad, "draws.json", &law), "draws", "draws.json", "draws",
                   "alpha");
    CHECK(strstr(dw_error_get(), "row 1") != NULL);
    law_free(law);
    free(ok);
    free(bad);
}

/* law_form_domain: the table itself, against the ranges the brief states. */
static void test_form_domain(void) {
    LawForm f;
    double lo, hi;
    CHECK_STATUS(law_form_parse("logsq:power", &f));
    int iE = law_form_param_index(&f, "E"), ia = law_form_param_index(&f, "alpha");
    int iA = law_form_param_index(&f, "A"), ig = law_form_param_index(&f, "gamma");
    int id = law_form_param_index(&f, "d0"), ib = law_form_param_index(&f, "beta");
    CHECK(law_form_domain(&f, iE, &lo, &hi) == 0 && lo == -HUGE_VAL && hi == HUGE_VAL);
    CHECK(law_form_domain(&f, ia, &lo, &hi) == 1 && lo == 0 && hi == 10);
    CHECK(law_form_domain(&f, iA, &lo, &hi) == 0 && lo == 0 && hi == HUGE_VAL);
    CHECK(law_form_domain(&f, ig, &lo, &hi) == 1 && lo == 0 && hi == HUGE_VAL);
    CHECK(law_form_domain(&f, id, &lo, &hi) == 1 && lo == 0 && hi == HUGE_VAL);
    CHECK(law_form_domain(&f, ib, &lo, &hi) == 0 && lo == -2 && hi == 4);
    /* the fitter's default bounds lie inside the domain for every form */
    static const char *forms[] = {"kaplan", "chinchilla", "separable:W,D,N,T", "logsq:log",
                                  "shape:power", "benefit-harm:power", "starvation"};
    for (size_t k = 0; k < sizeof forms / sizeof forms[0]; k++) {
        double blo[LAW_MAXP], bhi[LAW_MAXP];
        CHECK_STATUS(law_form_parse(forms[k], &f));
        law_form_bounds(&f, blo, bhi);
        for (int i = 0; i < f.np; i++) {
            int open = law_form_domain(&f, i, &lo, &hi);
            int inside = (open ? blo[i] > lo : blo[i] >= lo) && bhi[i] <= hi;
            CHECK(inside);
            if (!inside) fprintf(stderr, "  %s.%s: bounds outside the domain\n", forms[k],
                                 f.names[i]);
        }
    }
}

/* Every embedded preset still loads; a law with a parameter held outside its domain (fit
 * --fix alpha=-0.5 -o) is refused on writing, naming the path and the field. */
static void test_presets_and_write(void) {
    for (const char *const *p = law_preset_names(); *p; p++) {
        Law *law = NULL;
        int rc = law_load(*p, &law);
        CHECK(rc == DW_OK);
        if (rc) fprintf(stderr, "  preset %s: %s\n", *p, dw_error_get());
        law_free(law);
    }
    LawForm f;
    CHECK_STATUS(law_form_parse("chinchilla", &f));
    Law *law = law_alloc(&f);
    double p[] = {1.8, 400, -0.5, 2000, 0.37};
    memcpy(law->p, p, sizeof p);
    char path[64];
    snprintf(path, sizeof path, "/tmp/test_law_domain.%d.json", (int)getpid());
    int rc = law_write(law, path);
    CHECK(rc == DW_EDATA && strstr(dw_error_get(), path) && strstr(dw_error_get(), "alpha"));
    if (rc != DW_EDATA) fprintf(stderr, "  law_write: rc %d: %s\n", rc, dw_error_get());
    CHECK(access(path, F_OK) != 0); /* nothing written */
    unlink(path);
    law_free(law);
}

// ----------------------------------------------------------------------------
// configs

typedef struct {
    const char *extra; /* members that replace the template's */
    const char *field;
    const char *range;
} CfgCase;

static const CfgCase cfg_cases_[] = {
    {"", NULL, NULL},
    {"\"head_dim\": 1000000000", "head_dim", "1 .. 65536"},
    {"\"head_dim\": 65536", "num_attention_heads", "64"}, /* 32·65536 vs W 4096 */
    {"\"hidden_size\": 2000000", "hidden_size", "1 .. 1000000"},
    {"\"num_hidden_layers\": 200000", "num_hidden_layers", "1 .. 100000"},
    {"\"vocab_size\": 200000000", "vocab_size", "1 .. 100000000"},
    {"\"intermediate_size\": 1000000", "intermediate_size", "64"}, /* > 64·W */
    {"\"num_attention_heads\": 2000000, \"head_dim\": 2", "num_attention_heads",
     "1 .. 1000000"},
    {"\"head_dim\": 128", NULL, NULL}, /* 32·128 = W: fine */
    {"\"head_dim\": 256", NULL, NULL}, /* Gemma's 2·W: fine */
};

static void test_config_cases(void) {
    for (size_t i = 0; i < sizeof cfg_cases_ / sizeof cfg_cases_[0]; i++) {
        const CfgCase *c = &cfg_cases_[i];
        char text[1024], label[48], name[64];
        /* later duplicate keys: cJSON returns the first, so the case's members go first */
        snprintf(text, sizeof text,
                 "{%s%s\"model_type\": \"llama\", \"hidden_size\": 4096, "
                 "\"num_hidden_layers\": 32, \"num_attention_heads\": 32, "
                 "\"intermediate_size\": 11008, \"vocab_size\": 32000}",
                 c->extra, c->extra[0] ? ", " : "");
        snprintf(label, sizeof label, "config case %zu", i);
        PlanShape s;
        int rc = plan_hfconfig_parse(text, "hostile-config.json", &s, name, sizeof name);
        if (!c->field) {
            CHECK(rc == DW_OK);
            if (rc) fprintf(stderr, "  %s: refused: %s\n", label, dw_error_get());
        } else {
            check_refused_(rc, label, "hostile-config.json", c->field, c->range);
        }
    }
    for (const DwEmbedded *e = dw_model_shapes; e->name; e++) {
        PlanShape s;
        char name[64];
        int rc = plan_hfconfig_parse(e->text, e->name, &s, name, sizeof name);
        CHECK(rc == DW_OK);
        if (rc) fprintf(stderr, "  model %s: %s\n", e->name, dw_error_get());
    }
}

// ----------------------------------------------------------------------------
// the planner's results

static int has_code_(const PlanWarnings *ws, const char *code, PlanWarnLevel level) {
    for (int i = 0; i < ws->n; i++)
        if (!strcmp(ws->w[i].code, code) && ws->w[i].level == level) return 1;
    return 0;
}

static void test_point_meaningless(void) {
    Law *law = NULL;
    CHECK_STATUS(law_load(LAW_DEFAULT_PRESET, &law));
    PlanPoint pt;
    memset(&pt, 0, sizeof pt);
    pt.depth = 32, pt.width = 4096, pt.params_law = 7e9, pt.tokens = 1.4e11;
    pt.flops = 6 * pt.params_law * pt.tokens, pt.loss = 2.1, pt.tokens_per_param = 20;
    PlanWarnings ws = {0};
    plan_warn_point(law, &pt, "ok", &ws);
    CHECK(!has_code_(&ws, "compute-beyond-limit", PLAN_WARN_SEVERE));
    CHECK(!has_code_(&ws, "negative-loss", PLAN_WARN_SEVERE));
    CHECK(plan_point_meaningful(&pt, "ok", "law.json") == DW_OK);

    pt.flops = 3.4e34; /* the issue's head_dim 1e9 */
    memset(&ws, 0, sizeof ws);
    plan_warn_point(law, &pt, "big", &ws);
    CHECK(has_code_(&ws, "compute-beyond-limit", PLAN_WARN_SEVERE));
    int rc = plan_point_meaningful(&pt, "big", "law.json");
    CHECK(rc == DW_EDATA && strstr(dw_error_get(), "big") && strstr(dw_error_get(), "1e+32"));

    pt.flops = 1e22, pt.loss = -0.07;
    memset(&ws, 0, sizeof ws);
    plan_warn_point(law, &pt, "neg", &ws);
    CHECK(has_code_(&ws, "negative-loss", PLAN_WARN_SEVERE));
    rc = plan_point_meaningful(&pt, "neg", "law.json");
    CHECK(rc == DW_EDATA && strstr(dw_error_get(), "neg") && strstr(dw_error_get(), "law.json") &&
          strstr(dw_error_get(), "negative"));
    pt.loss = NAN;
    CHECK(plan_point_meaningful(&pt, "nan", "law.json") == DW_EDATA);
    law_free(law);
}

/* A full list of cautions does not swallow a severe warning. */
static void test_warn_full(void) {
    PlanWarnings ws = {0};
    for (int i = 0; i < PLAN_WARN_MAX + 3; i++)
        plan_warn_add(&ws, PLAN_WARN_CAUTION, "extrapolated", "caution %d", i);
    plan_warn_add(&ws, PLAN_WARN_SEVERE, "negative-loss", "severe");
    CHECK(ws.n == PLAN_WARN_MAX);
    CHECK(has_code_(&ws, "negative-loss", PLAN_WARN_SEVERE));
    CHECK(!strcmp(ws.w[0].text, "caution 0")); /* the earliest kept */
    for (int i = 0; i < PLAN_WARN_MAX; i++)
        plan_warn_add(&ws, PLAN_WARN_SEVERE, "degenerate", "severe %d", i);
    CHECK(ws.n == PLAN_WARN_MAX);
    CHECK(has_code_(&ws, "negative-loss", PLAN_WARN_SEVERE)); /* severe never replaced */
}

int main(void) {
    gsl_set_error_handler_off();
    test_law_cases();
    test_law_draws();
    test_law_spreads();
    test_form_domain();
    test_presets_and_write();
    test_config_cases();
    test_point_meaningless();
    test_warn_full();
    return check_done("test_law_domain");
}
