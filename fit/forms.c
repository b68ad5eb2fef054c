/* fit/forms.c — the scaling-law forms of DESIGN §4.2: parsing of form names, parameter
 * names and default bounds, and evaluation with analytic gradients in the parameters and in
 * the inputs (D, W, N, T).
 *
 *   kaplan        L = A·N^-alpha + B·T^-delta                (Kaplan et al. 2020)
 *   chinchilla    L = E + A·N^-alpha + B·T^-delta            (Hoffmann et al. 2022)
 *   separable     L = exp(e) + Σ_i exp(c_i)·x_i^-a_i       (Gemstones, McLeish et al. 2025)
 *   logsq    F1   chinchilla + gamma·[ln(D/D0(W))]²
 *   shape    F2   E + A·Neff^-alpha + B·T^-delta, Neff = N·exp(-gamma·u²),
 *                 u = ln(D/Dc(W)) + 1/(2·gamma)
 *   benefit-harm F3  chinchilla + P·D^-a·[1 + (a/c)·(D/D0(W))^(a+c)]
 *   starvation   F4  chinchilla + P·D^-a + R·exp(D/tau(W)), tau = t0·W^beta
 * with the reference depth D0 (F1, F3) or critical depth Dc (F2) either s·W^beta ("power")
 * or s·ln W ("log").
 *
 * Design stance: reference code, written for accuracy rather than speed. Every power is
 * evaluated as exp(c - a·ln x) in double, and every form is differentiated with respect to
 * the logarithms of its inputs first (the natural variables of a power law), then converted
 * with dL/dx = (dL/d ln x) / x once, in law_form_eval. The shared Chinchilla part is one
 * helper (power_terms) used by every form but separable; the reference depth is another
 * (ref_depth_log). A new form is one entry in form_table: name, parameters with bounds and
 * an evaluation function that returns the value and the analytic gradient.
 */
#include "law.h"
#include "domain.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../common/dw.h"

// ----------------------------------------------------------------------------
// Shared pieces of the evaluation

/* A·N^-alpha + B·T^-delta with q = {A, alpha, B, delta}, the part every form but separable
 * shares. Writes d/dq into g[0..3], and d/d ln N, d/d ln T into *g_lnN, *g_lnT. */
static double power_terms(const double *q, double lnN, double lnT, double *g, double *g_lnN,
                          double *g_lnT) {
    double A = q[0], alpha = q[1], B = q[2], delta = q[3];
    double n = exp(-alpha * lnN); /* N^-alpha */
    double t = exp(-delta * lnT); /* T^-delta */
    double tn = A * n, tt = B * t;
    g[0] = n;
    g[1] = -lnN * tn;
    g[2] = t;
    g[3] = -lnT * tt;
    *g_lnN = -alpha * tn;
    *g_lnT = -delta * tt;
    return tn + tt;
}

/* ln of the reference depth: power: ln(s·W^beta) with r = {s, beta}; log: ln(s·ln W) with
 * r = {s}. Writes d/ds into g[0], d/dbeta into g[1] (power only), d/d ln W into *g_lnW.
 * NaN when undefined (s <= 0, or ln W <= 0 for the log kind). */
static double ref_depth_log(LawRefKind ref, const double *r, double lnW, double *g,
                            double *g_lnW) {
    double s = r[0];
    if (!(s > 0)) return NAN;
    g[0] = 1 / s;
    if (ref == LAW_REF_POWER) {
        g[1] = lnW;
        *g_lnW = r[1];
        return log(s) + r[1] * lnW;
    }
    if (!(lnW > 0)) return NAN;
    *g_lnW = 1 / lnW;
    return log(s) + log(lnW);
}

/* Logarithms of the inputs, indexed LAW_D, LAW_W, LAW_N, LAW_T. */
typedef struct {
    double ln[LAW_NX];
    double x[LAW_NX];
} Inputs;

/* Every evaluation function returns L and fills gp[np] with dL/dp and gl[LAW_NX] with
 * dL/d ln x_k (gl arrives zeroed; inputs the form does not read stay 0). It returns NaN
 * where the form is undefined for these parameters; inputs are already checked positive. */
typedef double (*EvalFn)(const LawForm *f, const double *p, const Inputs *in, double *gp,
                         double *gl);

// ----------------------------------------------------------------------------
// Forms

/* p = {A, alpha, B, delta} */
static double eval_kaplan(const LawForm *f, const double *p, const Inputs *in, double *gp,
                          double *gl) {
    (void)f;
    return power_terms(p, in->ln[LAW_N], in->ln[LAW_T], gp, &gl[LAW_N], &gl[LAW_T]);
}

/* p = {E, A, alpha, B, delta} */
static double eval_chinchilla(const LawForm *f, const double *p, const Inputs *in, double *gp,
                              double *gl) {
    (void)f;
    gp[0] = 1;
    return p[0] + power_terms(p + 1, in->ln[LAW_N], in->ln[LAW_T], gp + 1, &gl[LAW_N],
                              &gl[LAW_T]);
}

/* p = {e, c_1, a_1, c_2, a_2, ...}; each term exp(c_i - a_i·ln x_i) directly, so that the
 * published Gemstones objectives reproduce to full double precision. */
static double eval_separable(const LawForm *f, const double *p, const Inputs *in, double *gp,
                             double *gl) {
    double L = exp(p[0]);
    gp[0] = L;
    for (int i = 0; i < f->nvars; i++) {
        int k = f->vars[i];
        double c = p[1 + 2 * i], a = p[2 + 2 * i];
        double term = exp(c - a * in->ln[k]);
        gp[1 + 2 * i] = term;
        gp[2 + 2 * i] = -in->ln[k] * term;
        gl[k] = -a * term;
        L += term;
    }
    return L;
}

/* F1, p = {E, A, alpha, B, delta, gamma, d0[, beta]}: Φ = gamma·l², l = ln D - ln D0(W). */
static double eval_logsq(const LawForm *f, const double *p, const Inputs *in, double *gp,
                         double *gl) {
    double g_lnW = 0;
    double lnD0 = ref_depth_log(f->ref, p + 6, in->ln[LAW_W], gp + 6, &g_lnW);
    if (isnan(lnD0)) return NAN;
    double gamma = p[5], l = in->ln[LAW_D] - lnD0;
    double dphi_dl = 2 * gamma * l;
    double L = eval_chinchilla(f, p, in, gp, gl) + gamma * l * l;
    gp[5] = l * l;
    /* l = ln D - ln D0: d/d(ref params) = -dlnD0/d(ref params) */
    for (int i = 6; i < law_form_base_np(f); i++) gp[i] *= -dphi_dl;
    gl[LAW_D] = dphi_dl;
    gl[LAW_W] = -dphi_dl * g_lnW;
    return L;
}

/* F2, p = {E, A, alpha, B, delta, gamma, c|kappa[, beta]}:
 * ln Neff = ln N - gamma·u², u = ln D - ln Dc(W) + 1/(2·gamma). */
static double eval_shape(const LawForm *f, const double *p, const Inputs *in, double *gp,
                         double *gl) {
    double gamma = p[5], g_lnW = 0;
    if (gamma == 0) return NAN;
    double lnDc = ref_depth_log(f->ref, p + 6, in->ln[LAW_W], gp + 6, &g_lnW);
    if (isnan(lnDc)) return NAN;
    double u = in->ln[LAW_D] - lnDc + 1 / (2 * gamma);
    double lnNeff = in->ln[LAW_N] - gamma * u * u;
    double g_lnNeff = 0;
    gp[0] = 1;
    double L = p[0] + power_terms(p + 1, lnNeff, in->ln[LAW_T], gp + 1, &g_lnNeff, &gl[LAW_T]);
    /* d ln Neff/d gamma = -u² - 2·gamma·u·du/dgamma, du/dgamma = -1/(2·gamma²) */
    gp[5] = g_lnNeff * (-u * u + u / gamma);
    double g_u = g_lnNeff * (-2 * gamma * u); /* dL/du; du/d ln Dc = -1 */
    for (int i = 6; i < law_form_base_np(f); i++) gp[i] *= -g_u;
    gl[LAW_N] = g_lnNeff;
    gl[LAW_D] = g_u;
    gl[LAW_W] = -g_u * g_lnW;
    return L;
}

/* F3, p = {E, A, alpha, B, delta, P, a, c, d0[, beta]}:
 * Φ = P·D^-a·(1 + (a/c)·q), q = exp((a+c)·r), r = ln D - ln D0(W). Minimum over D at D0. */
static double eval_benefit_harm(const LawForm *f, const double *p, const Inputs *in,
                                double *gp, double *gl) {
    double P = p[5], a = p[6], c = p[7], g_lnW = 0;
    if (c == 0) return NAN;
    double lnD0 = ref_depth_log(f->ref, p + 8, in->ln[LAW_W], gp + 8, &g_lnW);
    if (isnan(lnD0)) return NAN;
    double lnD = in->ln[LAW_D], r = lnD - lnD0;
    double base = exp(-a * lnD);      /* D^-a */
    double q = exp((a + c) * r);
    double t1 = P * base, t2 = t1 * (a / c) * q; /* Φ = t1 + t2 */
    double L = eval_chinchilla(f, p, in, gp, gl) + t1 + t2;
    gp[5] = base * (1 + (a / c) * q);
    gp[6] = -lnD * (t1 + t2) + t1 * q / c + t2 * r; /* d[(a/c)·q]/da = q/c + (a/c)·q·r */
    gp[7] = -t2 / c + t2 * r;                       /* d[(a/c)·q]/dc = -(a/c²)·q + (a/c)·q·r */
    double g_lnD0 = -(a + c) * t2;
    for (int i = 8; i < law_form_base_np(f); i++) gp[i] *= g_lnD0;
    gl[LAW_D] = -a * t1 + c * t2; /* d/d ln D at fixed D0: t1 ∝ D^-a, t2 ∝ D^c */
    gl[LAW_W] = g_lnD0 * g_lnW;
    return L;
}

/* F4, p = {E, A, alpha, B, delta, P, a, R, t0, beta}: Φ = P·D^-a + R·exp(D/tau),
 * tau = t0·W^beta. */
static double eval_starvation(const LawForm *f, const double *p, const Inputs *in, double *gp,
                              double *gl) {
    double P = p[5], a = p[6], R = p[7], t0 = p[8], beta = p[9];
    if (!(t0 > 0)) return NAN;
    double lnD = in->ln[LAW_D], lnW = in->ln[LAW_W];
    double z = exp(lnD - log(t0) - beta * lnW); /* D/tau */
    double base = exp(-a * lnD), t1 = P * base;
    double ez = exp(z), t2 = R * ez;
    double L = eval_chinchilla(f, p, in, gp, gl) + t1 + t2;
    gp[5] = base;
    gp[6] = -lnD * t1;
    gp[7] = ez;
    /* d z/d ln t0 = -z, dz/d beta = -z·ln W, dz/d ln D = z, dz/d ln W = -beta·z */
    gp[8] = -t2 * z / t0;
    gp[9] = -t2 * z * lnW;
    gl[LAW_D] = -a * t1 + t2 * z;
    gl[LAW_W] = -beta * t2 * z;
    return L;
}

// ----------------------------------------------------------------------------
// The table

/* The domain of a parameter (fit/domain.h): the values where the form means something. The
 * fitter's default bounds (lo, hi) lie inside it; a law file may hold any value inside it. */
typedef enum {
    DOM_EXPO,  /* (0, 10]: an exponent */
    DOM_AMP,   /* [0, inf): an amplitude */
    DOM_FREE,  /* any finite number: a floor, a log-amplitude, a source offset */
    DOM_SCALE, /* (0, inf): the scale of a depth */
    DOM_BETA,  /* [-2, 4]: the width exponent of a reference depth */
    DOM_GAMMA, /* (0, inf): the curvature of a depth penalty */
} ParamDomain;

static const struct {
    double lo, hi;
    int open_lo;
} domains_[] = {
    [DOM_EXPO] = {0, 10, 1},         [DOM_AMP] = {0, HUGE_VAL, 0},
    [DOM_FREE] = {-HUGE_VAL, HUGE_VAL, 0}, [DOM_SCALE] = {0, HUGE_VAL, 1},
    [DOM_BETA] = {-2, 4, 0},         [DOM_GAMMA] = {0, HUGE_VAL, 1},
};

typedef struct {
    const char *name;
    double lo, hi; /* the fitter's default bounds */
    ParamDomain dom;
} ParamSpec;

#define EXPO(n) {n, 1e-6, 10, DOM_EXPO}          /* exponent: positive, moderate */
#define POS(n) {n, 0, HUGE_VAL, DOM_AMP}         /* amplitude: non-negative */
#define FLOOR(n) {n, 0, HUGE_VAL, DOM_FREE}      /* loss floor: fitted non-negative */
#define SCALE(n) {n, 1e-9, HUGE_VAL, DOM_SCALE}  /* scale of a depth: strictly positive */
#define BETA {"beta", -2, 4, DOM_BETA}           /* width exponent of a reference depth */
#define GAMMA {"gamma", 1e-6, 1e3, DOM_GAMMA}
#define CHIN FLOOR("E"), POS("A"), EXPO("alpha"), POS("B"), EXPO("delta")

static const ParamSpec p_kaplan[] = {POS("A"), EXPO("alpha"), POS("B"), EXPO("delta")};
static const ParamSpec p_chinchilla[] = {CHIN};
static const ParamSpec p_logsq_pow[] = {CHIN, GAMMA, SCALE("d0"), BETA};
static const ParamSpec p_logsq_log[] = {CHIN, GAMMA, SCALE("d0")};
static const ParamSpec p_shape_pow[] = {CHIN, GAMMA, SCALE("c"), BETA};
static const ParamSpec p_shape_log[] = {CHIN, GAMMA, SCALE("kappa")};
static const ParamSpec p_bh_pow[] = {CHIN, POS("P"), EXPO("a"), EXPO("c"), SCALE("d0"), BETA};
static const ParamSpec p_bh_log[] = {CHIN, POS("P"), EXPO("a"), EXPO("c"), SCALE("d0")};
static const ParamSpec p_starv[] = {CHIN, POS("P"), EXPO("a"), POS("R"), SCALE("t0"), BETA};

#define NP(a) ((int)(sizeof(a) / sizeof((a)[0])))

typedef struct {
    const char *name;
    LawFormId id;
    int has_ref;          /* accepts ":power" / ":log" */
    LawRefKind def_ref;   /* when no suffix is given */
    const ParamSpec *pp;  /* parameters for the power kind (or the only kind) */
    int np_pow;
    const ParamSpec *pl;  /* parameters for the log kind, NULL without a ref kind */
    int np_log;
    EvalFn eval;
    const char *usage;    /* for the list of valid names */
} FormSpec;

static const FormSpec form_table[] = {
    {"kaplan", LAW_KAPLAN, 0, LAW_REF_POWER, p_kaplan, NP(p_kaplan), NULL, 0, eval_kaplan,
     "kaplan"},
    {"chinchilla", LAW_CHINCHILLA, 0, LAW_REF_POWER, p_chinchilla, NP(p_chinchilla), NULL, 0,
     eval_chinchilla, "chinchilla"},
    /* separable: parameters built from VARS at parse time */
    {"separable", LAW_SEPARABLE, 0, LAW_REF_POWER, NULL, 0, NULL, 0, eval_separable,
     "separable:VARS (VARS a comma-separated subset of W,D,N,T)"},
    {"logsq", LAW_LOGSQ, 1, LAW_REF_POWER, p_logsq_pow, NP(p_logsq_pow), p_logsq_log,
     NP(p_logsq_log), eval_logsq, "logsq[:power|:log]"},
    {"shape", LAW_SHAPE, 1, LAW_REF_LOG, p_shape_pow, NP(p_shape_pow), p_shape_log,
     NP(p_shape_log), eval_shape, "shape[:power|:log]"},
    {"benefit-harm", LAW_BENEFIT_HARM, 1, LAW_REF_POWER, p_bh_pow, NP(p_bh_pow), p_bh_log,
     NP(p_bh_log), eval_benefit_harm, "benefit-harm[:power|:log]"},
    {"starvation", LAW_STARVATION, 0, LAW_REF_POWER, p_starv, NP(p_starv), NULL, 0,
     eval_starvation, "starvation"},
};
#define NFORMS NP(form_table)

static const char var_letters[LAW_NX] = {'D', 'W', 'N', 'T'}; /* by LAW_D, LAW_W, ... */

static const FormSpec *spec_of(const LawForm *f) {
    for (int i = 0; i < NFORMS; i++)
        if (form_table[i].id == f->id) return &form_table[i];
    DW_ASSERT(!"law form id out of range");
    return NULL;
}

/* The parameter table of a table-defined form (NULL for separable). */
static const ParamSpec *params_of(const FormSpec *s, LawRefKind ref, int *np) {
    if (s->has_ref && ref == LAW_REF_LOG) {
        *np = s->np_log;
        return s->pl;
    }
    *np = s->np_pow;
    return s->pp;
}

// ----------------------------------------------------------------------------
// Parsing and names

static int parse_vars(const char *vars, const char *text, LawForm *out) {
    const char *s = vars;
    unsigned seen = 0;
    if (!*s)
        return dw_error_set(DW_EINVAL,
                            "law form '%s': separable needs variables, e.g. separable:W,D,N,T",
                            text);
    for (;;) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        int k = -1;
        if (len == 1)
            for (int j = 0; j < LAW_NX; j++)
                if (s[0] == var_letters[j] || s[0] == var_letters[j] + ('a' - 'A')) k = j;
        if (len == 0)
            return dw_error_set(DW_EINVAL, "law form '%s': empty variable in the list", text);
        if (k < 0)
            return dw_error_set(DW_EINVAL,
                                "law form '%s': bad variable '%.*s' (want a comma-separated "
                                "subset of W,D,N,T)",
                                text, (int)len, s);
        if (seen & LAW_BIT(k))
            return dw_error_set(DW_EINVAL, "law form '%s': variable '%c' given twice", text,
                                var_letters[k]);
        seen |= LAW_BIT(k);
        out->vars[out->nvars++] = k;
        if (!e) break;
        s = e + 1;
    }
    out->np = 1 + 2 * out->nvars;
    snprintf(out->names[0], sizeof out->names[0], "e");
    for (int i = 0; i < out->nvars; i++) {
        snprintf(out->names[1 + 2 * i], sizeof out->names[0], "c_%c", var_letters[out->vars[i]]);
        snprintf(out->names[2 + 2 * i], sizeof out->names[0], "a_%c", var_letters[out->vars[i]]);
    }
    return DW_OK;
}

static int parse_form(const char *text, LawForm *out) {
    if (!text) return dw_error_set(DW_EINVAL, "law form: no name given");
    const char *colon = strchr(text, ':');
    size_t hlen = colon ? (size_t)(colon - text) : strlen(text);
    const FormSpec *s = NULL;
    for (int i = 0; i < NFORMS; i++)
        if (strlen(form_table[i].name) == hlen && !strncmp(form_table[i].name, text, hlen))
            s = &form_table[i];
    if (!s) {
        char list[512] = "";
        size_t used = 0;
        for (int i = 0; i < NFORMS && used < sizeof list; i++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                                     form_table[i].usage);
        return dw_error_set(DW_ENOTFOUND, "unknown law form '%s' (valid forms: %s)", text, list);
    }
    out->id = s->id;
    out->ref = s->def_ref;
    if (s->id == LAW_SEPARABLE) return parse_vars(colon ? colon + 1 : "", text, out);
    if (colon && !s->has_ref)
        return dw_error_set(DW_EINVAL, "law form '%s': '%s' takes no ':' suffix", text,
                            s->name);
    if (colon) {
        if (!strcmp(colon + 1, "power"))
            out->ref = LAW_REF_POWER;
        else if (!strcmp(colon + 1, "log"))
            out->ref = LAW_REF_LOG;
        else
            return dw_error_set(DW_EINVAL,
                                "law form '%s': unknown reference depth '%s' (want power or log)",
                                text, colon + 1);
    }
    int np;
    const ParamSpec *ps = params_of(s, out->ref, &np);
    DW_ASSERT(np <= LAW_MAXP);
    out->np = np;
    for (int i = 0; i < np; i++) snprintf(out->names[i], sizeof out->names[i], "%s", ps[i].name);
    return DW_OK;
}

int law_form_parse(const char *text, LawForm *out) {
    memset(out, 0, sizeof *out);
    int rc = parse_form(text, out);
    if (rc != DW_OK) memset(out, 0, sizeof *out); /* no half-filled form on failure */
    return rc;
}

void law_form_text(const LawForm *f, char *buf, size_t n) {
    if (!n) return;
    const FormSpec *s = spec_of(f);
    if (f->id == LAW_SEPARABLE) {
        char vars[2 * LAW_NX] = "";
        DW_ASSERT(f->nvars >= 0 && f->nvars <= LAW_NX);
        for (int i = 0; i < f->nvars; i++) {
            vars[2 * i] = var_letters[f->vars[i]];
            vars[2 * i + 1] = i + 1 < f->nvars ? ',' : '\0';
        }
        snprintf(buf, n, "%s:%s", s->name, vars);
    } else if (s->has_ref) {
        snprintf(buf, n, "%s:%s", s->name, f->ref == LAW_REF_LOG ? "log" : "power");
    } else {
        snprintf(buf, n, "%s", s->name);
    }
}

int law_form_add_sources(LawForm *f, int nsources) {
    if (nsources < 1 || nsources > LAW_MAX_SOURCES)
        return dw_error_set(DW_EINVAL, "%d sources: a fit joins 1 to %d", nsources,
                            LAW_MAX_SOURCES);
    if (f->nsrc) return dw_error_set(DW_EINVAL, "the form already has source offsets");
    if (f->np + nsources - 1 > LAW_MAXP)
        return dw_error_set(DW_EINVAL, "%d sources: the form has %d parameters and at most %d "
                            "fit (offsets included)", nsources, f->np, LAW_MAXP);
    for (int k = 1; k < nsources; k++)
        snprintf(f->names[f->np++], sizeof f->names[0], "dE%d", k);
    f->nsrc = nsources - 1;
    return DW_OK;
}

int law_form_base_np(const LawForm *f) { return f->np - f->nsrc; }

int law_form_shape_neutral(const LawForm *f) {
    switch (f->id) {
    case LAW_KAPLAN:
    case LAW_CHINCHILLA:
    case LAW_LOGSQ:
    case LAW_SHAPE: return 1;
    case LAW_SEPARABLE: return !law_form_has_shape(f);
    case LAW_BENEFIT_HARM:
    case LAW_STARVATION: return 0;
    }
    return 0;
}

int law_form_param_index(const LawForm *f, const char *name) {
    if (!name) return -1;
    for (int i = 0; i < f->np; i++)
        if (!strcmp(f->names[i], name)) return i;
    return -1;
}

unsigned law_form_inputs(const LawForm *f) {
    unsigned bits = 0;
    switch (f->id) {
    case LAW_KAPLAN:
    case LAW_CHINCHILLA: return LAW_BIT(LAW_N) | LAW_BIT(LAW_T);
    case LAW_SEPARABLE:
        for (int i = 0; i < f->nvars; i++) bits |= LAW_BIT(f->vars[i]);
        return bits;
    case LAW_LOGSQ:
    case LAW_SHAPE:
    case LAW_BENEFIT_HARM:
    case LAW_STARVATION: return LAW_BIT(LAW_D) | LAW_BIT(LAW_W) | LAW_BIT(LAW_N) | LAW_BIT(LAW_T);
    }
    DW_ASSERT(!"law form id out of range");
    return 0;
}

int law_form_has_shape(const LawForm *f) {
    return (law_form_inputs(f) & (LAW_BIT(LAW_D) | LAW_BIT(LAW_W))) != 0;
}

void law_form_bounds(const LawForm *f, double *lo, double *hi) {
    if (f->id == LAW_SEPARABLE) {
        /* e and c_X are logs of amplitudes: free; a_X are exponents */
        for (int i = 0; i < law_form_base_np(f); i++) {
            int expo = i > 0 && i % 2 == 0;
            lo[i] = expo ? 1e-6 : -HUGE_VAL;
            hi[i] = expo ? 10 : HUGE_VAL;
        }
    } else {
        int np;
        const ParamSpec *ps = params_of(spec_of(f), f->ref, &np);
        DW_ASSERT(np == law_form_base_np(f));
        for (int i = 0; i < np; i++) {
            lo[i] = ps[i].lo;
            hi[i] = ps[i].hi;
        }
    }
    for (int i = law_form_base_np(f); i < f->np; i++) { /* source offsets: either sign */
        lo[i] = -HUGE_VAL;
        hi[i] = HUGE_VAL;
    }
}

/* The domain kind of parameter i. */
static ParamDomain domain_of_(const LawForm *f, int i) {
    DW_ASSERT(i >= 0 && i < f->np);
    if (i >= law_form_base_np(f)) return DOM_FREE; /* source offsets: either sign */
    if (f->id == LAW_SEPARABLE) return i > 0 && i % 2 == 0 ? DOM_EXPO : DOM_FREE; /* a_X; e, c_X */
    int np;
    const ParamSpec *ps = params_of(spec_of(f), f->ref, &np);
    DW_ASSERT(np == law_form_base_np(f));
    return ps[i].dom;
}

int law_form_domain(const LawForm *f, int i, double *lo, double *hi) {
    ParamDomain d = domain_of_(f, i);
    *lo = domains_[d].lo;
    *hi = domains_[d].hi;
    return domains_[d].open_lo;
}

int law_form_in_domain(const LawForm *f, int i, double v, char *range, size_t n) {
    double lo, hi;
    int open = law_form_domain(f, i, &lo, &hi);
    if (range && n) {
        if (lo == -HUGE_VAL && hi == HUGE_VAL) snprintf(range, n, "any finite number");
        else if (hi == HUGE_VAL) snprintf(range, n, "%s%g, inf)", open ? "(" : "[", lo);
        else snprintf(range, n, "%s%g, %g]", open ? "(" : "[", lo, hi);
    }
    return isfinite(v) && (open ? v > lo : v >= lo) && v <= hi;
}

// ----------------------------------------------------------------------------
// Evaluation

double law_form_eval(const LawForm *f, const double *p, const LawX *x, double *grad_p,
                     double *grad_x) {
    double gp[LAW_MAXP] = {0}, gl[LAW_NX] = {0};
    Inputs in;
    unsigned reads = law_form_inputs(f);
    double L = NAN;
    int nbase = f->np - f->nsrc;
    DW_ASSERT(f->np >= 0 && f->np <= LAW_MAXP && f->nsrc >= 0 && f->nsrc < f->np);
    if (x->no_shape) { /* a row without depth and width: the shape term at its neutral value */
        if (!law_form_shape_neutral(f)) goto out;
        reads &= ~(LAW_BIT(LAW_D) | LAW_BIT(LAW_W));
    }
    in.x[LAW_D] = x->depth;
    in.x[LAW_W] = x->width;
    in.x[LAW_N] = x->params;
    in.x[LAW_T] = x->tokens;
    for (int k = 0; k < LAW_NX; k++) {
        in.ln[k] = NAN;
        if (!(reads & LAW_BIT(k))) continue;
        if (!(in.x[k] > 0 && isfinite(in.x[k]))) goto out; /* undefined: NaN */
        in.ln[k] = log(in.x[k]);
    }
    if (x->no_shape && (f->id == LAW_LOGSQ || f->id == LAW_SHAPE))
        L = eval_chinchilla(f, p, &in, gp, gl); /* E, A, alpha, B, delta lead both forms */
    else
        L = spec_of(f)->eval(f, p, &in, gp, gl);
    if (f->nsrc && x->source) { /* this source's own floor */
        if (x->source < 0 || x->source > f->nsrc) L = NAN;
        else L += p[nbase + x->source - 1], gp[nbase + x->source - 1] = 1;
    }
out:
    if (isnan(L)) {
        for (int i = 0; i < f->np; i++) gp[i] = NAN;
        for (int k = 0; k < LAW_NX; k++) gl[k] = NAN;
    }
    if (grad_p)
        for (int i = 0; i < f->np; i++) grad_p[i] = gp[i];
    if (grad_x)
        for (int k = 0; k < LAW_NX; k++)
            grad_x[k] = !(reads & LAW_BIT(k)) ? 0 : isnan(L) ? NAN : gl[k] / in.x[k];
    return L;
}
