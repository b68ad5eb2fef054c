/* tests/test_forms.c — law forms (fit/forms.c): names and parsing, parameter names, bounds,
 * values against hand-computed numbers, analytic gradients (in the parameters and in the
 * inputs) against finite differences, and the minimum properties that define F1-F3:
 *   F1 logsq:        at fixed N, T, W the minimum over D is D0(W);
 *   F2 shape:        with N ∝ D at fixed W (N = 12·D·W²), the minimum over D is Dc(W);
 *   F3 benefit-harm: at fixed N, T, W the minimum over D is D0(W).
 *
 * Known limitations: none found.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../common/dw.h"
#include "../fit/law.h"
#include "check.h"

// ----------------------------------------------------------------------------
// Cases: a form, plausible parameters, and the parameter names it must have.

typedef struct {
    const char *form;
    const char *names; /* space-separated, in order */
    double p[LAW_MAXP];
} FormCase;

/* Hoffmann et al. (2022)'s fit and the Gemstones WDNT (delta 1e-4) fit for the separable
 * forms; the shape terms are of the size the paper's fits give. */
#define HOFF 1.69, 406.4, 0.34, 410.7, 0.28
static const FormCase cases[] = {
    {"kaplan", "A alpha B delta", {406.4, 0.34, 410.7, 0.28}},
    {"chinchilla", "E A alpha B delta", {HOFF}},
    {"separable:W,D,N,T", "e c_W a_W c_D a_D c_N a_N c_T a_T",
     {0.4282048563, 1.082043835, 0.2195783536, -0.2186969889, 0.4758917337, 6.0902355695,
      0.3636454068, 10.4720427681, 0.4935127042}},
    {"separable:N,T", "e c_N a_N c_T a_T", {0.66, 5.4, 0.2576, 13.1, 0.5909}},
    {"separable:D,T", "e c_D a_D c_T a_T", {0.5, 0.3, 0.45, 11.0, 0.5}},
    {"separable:T,W", "e c_T a_T c_W a_W", {0.5, 11.0, 0.5, 1.5, 0.25}},
    {"separable:D", "e c_D a_D", {0.9, 0.7, 0.6}},
    {"logsq:power", "E A alpha B delta gamma d0 beta", {HOFF, 0.05, 0.8, 0.44}},
    {"logsq:log", "E A alpha B delta gamma d0", {HOFF, 0.05, 2.43}},
    {"shape:power", "E A alpha B delta gamma c beta", {HOFF, 0.3, 1.2, 0.44}},
    {"shape:log", "E A alpha B delta gamma kappa", {HOFF, 0.3, 2.43}},
    {"benefit-harm:power", "E A alpha B delta P a c d0 beta", {HOFF, 0.5, 0.6, 0.4, 1.0, 0.44}},
    {"benefit-harm:log", "E A alpha B delta P a c d0", {HOFF, 0.5, 0.6, 0.4, 2.0}},
    {"starvation", "E A alpha B delta P a R t0 beta", {HOFF, 0.8, 0.5, 0.01, 2.0, 0.44}},
};
#define NCASES ((int)(sizeof cases / sizeof cases[0]))

/* Deterministic points: log-uniform D in [2, 80], W in [64, 8192], N in [1e6, 1e10],
 * T in [1e8, 1e12] from a fixed LCG. */
static unsigned long long rng_state = 20240520ULL;
static double rng_uniform(void) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}
static double log_uniform(double lo, double hi) {
    return exp(log(lo) + (log(hi) - log(lo)) * rng_uniform());
}
static LawX random_point(void) {
    LawX x = {0};
    x.depth = log_uniform(2, 80);
    x.width = log_uniform(64, 8192);
    x.params = log_uniform(1e6, 1e10);
    x.tokens = log_uniform(1e8, 1e12);
    return x;
}

static double *x_slot(LawX *x, int k) {
    switch (k) {
    case LAW_D: return &x->depth;
    case LAW_W: return &x->width;
    case LAW_N: return &x->params;
    default: return &x->tokens;
    }
}
static const char *x_name[LAW_NX] = {"D", "W", "N", "T"};

static int parse_ok(const char *name, LawForm *f) {
    int rc = law_form_parse(name, f);
    if (rc != DW_OK) fprintf(stderr, "law_form_parse(%s): %d %s\n", name, rc, dw_error_get());
    return rc == DW_OK;
}

// ----------------------------------------------------------------------------
// Parsing, names, inputs, bounds

static void test_names(void) {
    for (int c = 0; c < NCASES; c++) {
        LawForm f, g;
        char text[64], want[256] = "";
        if (!parse_ok(cases[c].form, &f)) {
            CHECK(0);
            continue;
        }
        /* canonical text round-trips to the same form */
        law_form_text(&f, text, sizeof text);
        CHECK(!strcmp(text, cases[c].form));
        CHECK_STATUS(law_form_parse(text, &g));
        CHECK(!memcmp(&f, &g, sizeof f));
        /* parameter names, exactly and in order */
        for (int i = 0; i < f.np; i++) {
            strcat(want, i ? " " : "");
            strcat(want, f.names[i]);
            CHECK(law_form_param_index(&f, f.names[i]) == i);
        }
        if (strcmp(want, cases[c].names))
            fprintf(stderr, "%s: parameters '%s', want '%s'\n", cases[c].form, want,
                    cases[c].names);
        CHECK(!strcmp(want, cases[c].names));
        CHECK(law_form_param_index(&f, "nonesuch") == -1);
        /* bounds are ordered and admit the test parameters */
        double lo[LAW_MAXP], hi[LAW_MAXP];
        law_form_bounds(&f, lo, hi);
        for (int i = 0; i < f.np; i++) {
            int ok = lo[i] < hi[i] && cases[c].p[i] >= lo[i] && cases[c].p[i] <= hi[i];
            if (!ok)
                fprintf(stderr, "%s: bounds of %s [%g, %g] exclude %g\n", cases[c].form,
                        f.names[i], lo[i], hi[i], cases[c].p[i]);
            CHECK(ok);
        }
    }

    /* default reference kinds and their canonical names */
    static const struct {
        const char *in, *out;
    } defaults[] = {
        {"shape", "shape:log"},
        {"logsq", "logsq:power"},
        {"benefit-harm", "benefit-harm:power"},
        {"separable:w,d", "separable:W,D"},
        {"separable:T,N,D,W", "separable:T,N,D,W"},
    };
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
        LawForm f;
        char text[64] = "";
        if (parse_ok(defaults[i].in, &f)) law_form_text(&f, text, sizeof text);
        if (strcmp(text, defaults[i].out))
            fprintf(stderr, "%s -> '%s', want '%s'\n", defaults[i].in, text, defaults[i].out);
        CHECK(!strcmp(text, defaults[i].out));
    }
    LawForm f;
    CHECK(parse_ok("shape", &f) && f.id == LAW_SHAPE && f.ref == LAW_REF_LOG);
    CHECK(parse_ok("logsq", &f) && f.id == LAW_LOGSQ && f.ref == LAW_REF_POWER);
    CHECK(parse_ok("benefit-harm:log", &f) && f.id == LAW_BENEFIT_HARM && f.ref == LAW_REF_LOG);
    CHECK(parse_ok("separable:D,N", &f) && f.nvars == 2 && f.vars[0] == LAW_D &&
          f.vars[1] == LAW_N && f.np == 5);

    /* a short buffer is truncated, not overrun */
    char small[6] = "xxxxx";
    CHECK(parse_ok("chinchilla", &f));
    law_form_text(&f, small, sizeof small);
    CHECK(!strcmp(small, "chinc"));

    /* invalid names: an error code and a message */
    static const struct {
        const char *name;
        int rc;
    } bad[] = {
        {"foo", DW_ENOTFOUND},          {"", DW_ENOTFOUND},
        {"Chinchilla", DW_ENOTFOUND},   {"shape:cubic", DW_EINVAL},
        {"shape:", DW_EINVAL},          {"separable", DW_EINVAL},
        {"separable:", DW_EINVAL},      {"separable:W,W", DW_EINVAL},
        {"separable:X", DW_EINVAL},     {"separable:W,,D", DW_EINVAL},
        {"separable:W,D,", DW_EINVAL},  {"separable:WD", DW_EINVAL},
        {"kaplan:power", DW_EINVAL},    {"starvation:log", DW_EINVAL},
        {"logsq:power:log", DW_EINVAL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dw_error_clear();
        int rc = law_form_parse(bad[i].name, &f);
        if (rc != bad[i].rc)
            fprintf(stderr, "law_form_parse(\"%s\") = %d, want %d\n", bad[i].name, rc, bad[i].rc);
        CHECK(rc == bad[i].rc);
        CHECK(dw_error_get()[0] != '\0');
        CHECK(f.np == 0);
    }
    /* the message names the bad token and lists the valid forms */
    law_form_parse("separable:W,X", &f);
    CHECK(strstr(dw_error_get(), "'X'") != NULL);
    law_form_parse("foo", &f);
    CHECK(strstr(dw_error_get(), "chinchilla") && strstr(dw_error_get(), "separable") &&
          strstr(dw_error_get(), "starvation"));
    CHECK(law_form_parse(NULL, &f) == DW_EINVAL);
}

static void test_inputs(void) {
    static const struct {
        const char *form;
        unsigned inputs;
        int shape;
    } tab[] = {
        {"kaplan", LAW_BIT(LAW_N) | LAW_BIT(LAW_T), 0},
        {"chinchilla", LAW_BIT(LAW_N) | LAW_BIT(LAW_T), 0},
        {"separable:N,T", LAW_BIT(LAW_N) | LAW_BIT(LAW_T), 0},
        {"separable:T", LAW_BIT(LAW_T), 0},
        {"separable:W,D,N,T", 15, 1},
        {"separable:W,T", LAW_BIT(LAW_W) | LAW_BIT(LAW_T), 1},
        {"separable:D", LAW_BIT(LAW_D), 1},
        {"logsq:power", 15, 1},
        {"logsq:log", 15, 1},
        {"shape", 15, 1},
        {"shape:power", 15, 1},
        {"benefit-harm", 15, 1},
        {"starvation", 15, 1},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        LawForm f;
        if (!parse_ok(tab[i].form, &f)) {
            CHECK(0);
            continue;
        }
        if (law_form_inputs(&f) != tab[i].inputs || law_form_has_shape(&f) != tab[i].shape)
            fprintf(stderr, "%s: inputs %#x shape %d, want %#x %d\n", tab[i].form,
                    law_form_inputs(&f), law_form_has_shape(&f), tab[i].inputs, tab[i].shape);
        CHECK(law_form_inputs(&f) == tab[i].inputs);
        CHECK(law_form_has_shape(&f) == tab[i].shape);
    }
}

// ----------------------------------------------------------------------------
// Values

static void test_values(void) {
    LawForm f;
    double g[LAW_MAXP], gx[LAW_NX];
    /* Hoffmann: 1.69 + 406.4·1e9^-0.34 + 410.7·2e10^-0.28 (40-digit decimal arithmetic) */
    CHECK(parse_ok("chinchilla", &f));
    double p[] = {1.69, 406.4, 0.34, 410.7, 0.28};
    LawX x = {.depth = 0, .width = 0, .params = 1e9, .tokens = 2e10};
    double L = law_form_eval(&f, p, &x, g, gx);
    CHECK_REL(L, 1.69 + 406.4 * pow(1e9, -0.34) + 410.7 * pow(2e10, -0.28), 1e-14);
    CHECK_REL(L, 2.5800478722379938, 1e-15);
    CHECK(gx[LAW_D] == 0 && gx[LAW_W] == 0); /* not read: D = W = 0 is fine */

    /* kaplan is chinchilla without E */
    CHECK(parse_ok("kaplan", &f));
    CHECK_REL(law_form_eval(&f, p + 1, &x, NULL, NULL), 2.5800478722379938 - 1.69, 1e-14);

    /* Gemstones WDNT (delta 1e-4) at W 1024, D 16, N = 12·D·W² + 2·50304·W, T 1e11 */
    CHECK(parse_ok("separable:W,D,N,T", &f));
    LawX xg = {.depth = 16, .width = 1024, .params = 304349184, .tokens = 1e11};
    CHECK_REL(law_form_eval(&f, cases[2].p, &xg, NULL, NULL), 2.8880509291877827, 1e-15);

    /* the shape forms reduce to chinchilla at their reference depth */
    CHECK(parse_ok("logsq:log", &f));
    double pl[] = {HOFF, 0.05, 2.43};
    LawX xl = {.depth = 2.43 * log(512), .width = 512, .params = 1e9, .tokens = 2e10};
    CHECK_REL(law_form_eval(&f, pl, &xl, NULL, NULL), 2.5800478722379938, 1e-14);
    /* F2 at D = Dc: u = 1/(2·gamma), Neff = N·exp(-1/(4·gamma)) */
    CHECK(parse_ok("shape:power", &f));
    double ps[] = {HOFF, 0.3, 1.2, 0.44};
    LawX xs = {.depth = 1.2 * pow(512, 0.44), .width = 512, .params = 1e9, .tokens = 2e10};
    CHECK_REL(law_form_eval(&f, ps, &xs, NULL, NULL),
              1.69 + 406.4 * pow(1e9 * exp(-1 / (4 * 0.3)), -0.34) + 410.7 * pow(2e10, -0.28),
              1e-14);
    /* F3 at D = D0: Φ = P·D0^-a·(1 + a/c) */
    CHECK(parse_ok("benefit-harm:power", &f));
    double pb[] = {HOFF, 0.5, 0.6, 0.4, 1.0, 0.44};
    LawX xb = {.depth = pow(512, 0.44), .width = 512, .params = 1e9, .tokens = 2e10};
    CHECK_REL(law_form_eval(&f, pb, &xb, NULL, NULL),
              2.5800478722379938 + 0.5 * pow(xb.depth, -0.6) * (1 + 0.6 / 0.4), 1e-14);
    /* F4 by hand */
    CHECK(parse_ok("starvation", &f));
    double pv[] = {HOFF, 0.8, 0.5, 0.01, 2.0, 0.44};
    LawX xv = {.depth = 40, .width = 256, .params = 1e9, .tokens = 2e10};
    CHECK_REL(law_form_eval(&f, pv, &xv, NULL, NULL),
              2.5800478722379938 + 0.8 * pow(40, -0.5) + 0.01 * exp(40 / (2.0 * pow(256, 0.44))),
              1e-14);

    /* undefined points: NaN value and gradients */
    static const struct {
        const char *form;
        int pcase;
        LawX x;
    } nans[] = {
        {"chinchilla", 1, {16, 512, 0, 1e10, 0, 0}},
        {"chinchilla", 1, {16, 512, 1e9, -1, 0, 0}},
        {"kaplan", 0, {16, 512, NAN, 1e10, 0, 0}},
        {"separable:W,D,N,T", 2, {16, 0, 1e9, 1e10, 0, 0}},
        {"separable:D,T", 4, {-3, 512, 1e9, 1e10, 0, 0}},
        {"shape:log", 10, {16, 1, 1e9, 1e10, 0, 0}},     /* ln W = 0 */
        {"shape:log", 10, {16, 0.5, 1e9, 1e10, 0, 0}},   /* ln W < 0 */
        {"logsq:log", 8, {16, 1, 1e9, 1e10, 0, 0}},
        {"benefit-harm:log", 12, {16, 0.9, 1e9, 1e10, 0, 0}},
        {"shape:power", 9, {0, 512, 1e9, 1e10, 0, 0}},
        {"starvation", 13, {16, -512, 1e9, 1e10, 0, 0}},
        {"logsq:power", 7, {16, 512, 1e9, INFINITY, 0, 0}},
    };
    for (size_t i = 0; i < sizeof nans / sizeof nans[0]; i++) {
        if (!parse_ok(nans[i].form, &f)) {
            CHECK(0);
            continue;
        }
        double v = law_form_eval(&f, cases[nans[i].pcase].p, &nans[i].x, g, gx);
        int ok = isnan(v) && isnan(g[0]) && isnan(g[f.np - 1]);
        unsigned reads = law_form_inputs(&f);
        for (int k = 0; k < LAW_NX; k++)
            ok = ok && ((reads & LAW_BIT(k)) ? isnan(gx[k]) : gx[k] == 0);
        if (!ok) fprintf(stderr, "%s: expected NaN at case %zu, got %g\n", nans[i].form, i, v);
        CHECK(ok);
    }
    /* inputs a form does not read may be anything */
    CHECK(parse_ok("separable:N,T", &f));
    LawX xo = {.depth = -1, .width = NAN, .params = 1e9, .tokens = 1e10};
    CHECK(isfinite(law_form_eval(&f, cases[3].p, &xo, g, gx)));
    CHECK(gx[LAW_D] == 0 && gx[LAW_W] == 0 && gx[LAW_N] < 0 && gx[LAW_T] < 0);
    /* undefined parameters: a non-positive reference depth scale */
    CHECK(parse_ok("shape:log", &f));
    double pk[] = {HOFF, 0.3, -2.43};
    CHECK(isnan(law_form_eval(&f, pk, &xl, g, gx)) && isnan(gx[LAW_D]));
}

// ----------------------------------------------------------------------------
// Gradients against finite differences

/* Central difference, fourth order: (8·[f(v+h) - f(v-h)] - [f(v+2h) - f(v-2h)]) / (12·h),
 * h = 1e-5·|v|. Truncation is O(h⁴), so the remaining error is rounding, about
 * eps·|L|/h; the check passes when the relative error is <= 1e-6 or the difference scaled
 * by |v|/|L| (a change of L per relative change of v) is <= 1e-9. */
static int grad_ok(double an, double fd, double v, double L) {
    double diff = fabs(an - fd);
    if (diff <= 1e-6 * fabs(fd)) return 1;
    return diff * fmax(fabs(v), 1e-3) <= 1e-9 * fmax(fabs(L), 1);
}

static double fd_param(const LawForm *f, const double *p, const LawX *x, int i) {
    double q[LAW_MAXP];
    double h = 1e-5 * fmax(fabs(p[i]), 1e-3), fv[4];
    static const double off[4] = {1, -1, 2, -2};
    for (int s = 0; s < 4; s++) {
        memcpy(q, p, sizeof q);
        q[i] = p[i] + off[s] * h;
        fv[s] = law_form_eval(f, q, x, NULL, NULL);
    }
    return (8 * (fv[0] - fv[1]) - (fv[2] - fv[3])) / (12 * h);
}

static double fd_input(const LawForm *f, const double *p, const LawX *x, int k) {
    LawX y = *x;
    double v = *x_slot(&y, k), h = 1e-5 * fabs(v), fv[4];
    static const double off[4] = {1, -1, 2, -2};
    for (int s = 0; s < 4; s++) {
        *x_slot(&y, k) = v + off[s] * h;
        fv[s] = law_form_eval(f, p, &y, NULL, NULL);
    }
    return (8 * (fv[0] - fv[1]) - (fv[2] - fv[3])) / (12 * h);
}

static void test_gradients(void) {
    for (int c = 0; c < NCASES; c++) {
        LawForm f;
        if (!parse_ok(cases[c].form, &f)) {
            CHECK(0);
            continue;
        }
        const double *p = cases[c].p;
        unsigned reads = law_form_inputs(&f);
        for (int pt = 0; pt < 4; pt++) {
            LawX x = random_point();
            double gp[LAW_MAXP], gx[LAW_NX];
            double L = law_form_eval(&f, p, &x, gp, gx);
            CHECK(isfinite(L) && L > 0);
            /* the NULL-gradient path gives the same value */
            CHECK(law_form_eval(&f, p, &x, NULL, NULL) == L);
            for (int i = 0; i < f.np; i++) {
                double fd = fd_param(&f, p, &x, i);
                int ok = grad_ok(gp[i], fd, p[i], L);
                if (!ok)
                    fprintf(stderr,
                            "%s: dL/d%s = %.15g, finite difference %.15g at D %g W %g N %g T %g\n",
                            cases[c].form, f.names[i], gp[i], fd, x.depth, x.width, x.params,
                            x.tokens);
                CHECK(ok);
            }
            for (int k = 0; k < LAW_NX; k++) {
                if (!(reads & LAW_BIT(k))) {
                    CHECK(gx[k] == 0);
                    continue;
                }
                double fd = fd_input(&f, p, &x, k), v = *x_slot(&x, k);
                int ok = grad_ok(gx[k], fd, v, L);
                if (!ok)
                    fprintf(stderr,
                            "%s: dL/d%s = %.15g, finite difference %.15g at D %g W %g N %g T %g\n",
                            cases[c].form, x_name[k], gx[k], fd, x.depth, x.width, x.params,
                            x.tokens);
                CHECK(ok);
            }
        }
    }
}

// ----------------------------------------------------------------------------
// Minimum over depth

/* L along a depth curve at fixed W, T: N = n_coef·D·W² when n_coef > 0 (N ∝ D), else
 * N fixed at -n_coef. `slope` (optional) receives dL/d ln D along the curve. */
typedef struct {
    const LawForm *f;
    const double *p;
    double width, tokens, n_coef;
} DepthCurve;

static double curve_eval(const DepthCurve *c, double lnD, double *slope) {
    double D = exp(lnD), gx[LAW_NX];
    LawX x = {.depth = D, .width = c->width, .tokens = c->tokens};
    x.params = c->n_coef > 0 ? c->n_coef * D * c->width * c->width : -c->n_coef;
    double L = law_form_eval(c->f, c->p, &x, NULL, gx);
    if (slope) *slope = D * gx[LAW_D] + (c->n_coef > 0 ? x.params * gx[LAW_N] : 0);
    return L;
}

/* Minimiser of L over ln D in [a, b] from values only: golden section, then a few
 * parabola steps through x ± h to get below the flatness of L near its minimum. */
static double argmin_by_value(const DepthCurve *c, double a, double b) {
    const double r = (sqrt(5.0) - 1) / 2;
    double x1 = b - r * (b - a), x2 = a + r * (b - a);
    double f1 = curve_eval(c, x1, NULL), f2 = curve_eval(c, x2, NULL);
    while (b - a > 1e-6) {
        if (f1 < f2) {
            b = x2, x2 = x1, f2 = f1;
            x1 = b - r * (b - a), f1 = curve_eval(c, x1, NULL);
        } else {
            a = x1, x1 = x2, f1 = f2;
            x2 = a + r * (b - a), f2 = curve_eval(c, x2, NULL);
        }
    }
    double x = (a + b) / 2, h = 1e-4;
    for (int it = 0; it < 3; it++) {
        double fm = curve_eval(c, x - h, NULL), f0 = curve_eval(c, x, NULL);
        double fp = curve_eval(c, x + h, NULL);
        x -= h * (fp - fm) / (2 * (fp - 2 * f0 + fm));
    }
    return x;
}

/* Zero of the analytic slope dL/d ln D in [a, b] by bisection. */
static double argmin_by_slope(const DepthCurve *c, double a, double b) {
    double sa;
    curve_eval(c, a, &sa);
    for (int it = 0; it < 200 && b - a > 1e-14; it++) {
        double m = (a + b) / 2, sm;
        curve_eval(c, m, &sm);
        if ((sm < 0) == (sa < 0)) a = m, sa = sm;
        else b = m;
    }
    return (a + b) / 2;
}

static void test_minimum(void) {
    static const struct {
        const char *form;
        double p[LAW_MAXP];
        double n_coef; /* > 0: N = n_coef·D·W²; < 0: N fixed at -n_coef */
    } tab[] = {
        {"shape:log", {HOFF, 0.3, 2.43}, 12},
        {"shape:log", {1.8, 480, 0.076, 2085, 0.095, 0.08, 2.43}, 12},
        {"shape:log", {HOFF, 0.3, 2.43}, 3.7},
        {"shape:power", {HOFF, 0.3, 1.2, 0.44}, 12},
        {"shape:power", {1.8, 480, 0.076, 2085, 0.095, 1.5, 0.9, 0.3}, 12},
        {"logsq:power", {HOFF, 0.05, 0.8, 0.44}, -3e8},
        {"logsq:log", {HOFF, 0.05, 2.43}, -3e9},
        {"benefit-harm:power", {HOFF, 0.5, 0.6, 0.4, 1.0, 0.44}, -3e8},
        {"benefit-harm:log", {HOFF, 0.5, 0.6, 0.4, 2.0}, -3e8},
    };
    static const double widths[] = {256, 1024, 4096}, tokens[] = {1e9, 1e11};
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        LawForm f;
        if (!parse_ok(tab[i].form, &f)) {
            CHECK(0);
            continue;
        }
        int scale = f.np - (f.ref == LAW_REF_POWER ? 2 : 1); /* c, kappa or d0 */
        for (int w = 0; w < 3; w++)
            for (int t = 0; t < 2; t++) {
                double W = widths[w];
                double Dref = f.ref == LAW_REF_POWER
                                  ? tab[i].p[scale] * pow(W, tab[i].p[scale + 1])
                                  : tab[i].p[scale] * log(W);
                DepthCurve c = {&f, tab[i].p, W, tokens[t], tab[i].n_coef};
                double a = log(Dref) - 2.5, b = log(Dref) + 2;
                double Dv = exp(argmin_by_value(&c, a, b));
                double Ds = exp(argmin_by_slope(&c, a, b));
                if (fabs(Dv / Dref - 1) > 1e-8 || fabs(Ds / Dref - 1) > 1e-12)
                    fprintf(stderr, "%s (case %zu) W %g T %g: minimum at D %.12g / %.12g, "
                            "want %.12g\n", tab[i].form, i, W, tokens[t], Dv, Ds, Dref);
                CHECK_REL(Dv, Dref, 1e-8);
                CHECK_REL(Ds, Dref, 1e-12);
            }
    }
}

int main(void) {
    test_names();
    test_inputs();
    test_values();
    test_gradients();
    test_minimum();
    return check_done("test_forms");
}
