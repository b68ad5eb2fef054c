/* fit/law.h — scaling-law forms and the law file (DESIGN §3 "Law file", §4.2).
 *
 * A *form* is a parametric family L(D, W, N, T; θ) with an analytic gradient in θ (for
 * fitting) and in its inputs (for the planner). A *law* is a form with values for θ, the
 * uncertainty of those values, the counting conventions that say what N and C mean, and
 * the provenance of the fit. Every stage (planner, check, plots, fit --predict) reads laws
 * through this header.
 *
 * Forms (text names accepted by law_form_parse):
 *   kaplan            L = A·N^-alpha + B·T^-delta
 *   chinchilla        L = E + A·N^-alpha + B·T^-delta
 *   separable:VARS    L = exp(e) + Σ_i exp(c_i)·x_i^-a_i, VARS a subset of W,D,N,T in any
 *                     order (the Gemstones form; parameters e, c_W, a_W, c_D, a_D, ...)
 *   logsq[:power|:log]   F1: chinchilla + gamma·[ln(D/D0(W))]^2,
 *                     D0 = d0·W^beta (power, default) or d0·ln W (log)
 *   shape[:power|:log]   F2: E + A·Neff^-alpha + B·T^-delta, Neff = N·exp(-gamma·u^2),
 *                     u = ln(D/Dc(W)) + 1/(2·gamma), Dc = c·W^beta (power) or kappa·ln W
 *                     (log, default). This is DESIGN's F2 with D0 = Dc·exp(-1/(2·gamma)),
 *                     parameterised by its critical depth: when N ∝ D at fixed W, the
 *                     fixed-width loss minimum is exactly D = Dc(W) at every N and T, so
 *                     the paper's kappa can be fixed directly (--fix kappa=2.43).
 *   benefit-harm[:power|:log]  F3: chinchilla + P·D^-a·[1 + (a/c)·(D/D0(W))^(a+c)]
 *   starvation      F4: chinchilla + P·D^-a + R·exp(D/tau(W)), tau = t0·W^beta
 */
#ifndef FIT_LAW_H
#define FIT_LAW_H

#include <stddef.h>

#define LAW_MAXP 16 /* most parameters any form has */

/* Inputs of a law at one point. `params` is N in the law's convention (see LawConventions). */
typedef struct {
    double depth;  /* D, transformer blocks */
    double width;  /* W, model (residual) width */
    double params; /* N */
    double tokens; /* T, training tokens */
    /* Multi-source fits only (zero everywhere else): */
    int source;    /* 0: the reference source; k >= 1: the rows of source k get the form's
                      offset parameter dE<k> added (LawForm.nsrc) */
    int no_shape;  /* 1: the row has no depth and width: it is evaluated at the shape term's
                      neutral value (law_form_shape_neutral), so it informs only the floor,
                      N and T terms; NaN for forms without a neutral value */
} LawX;

/* Input indices for grad_x and bits for separable variable sets. */
enum { LAW_D = 0, LAW_W = 1, LAW_N = 2, LAW_T = 3, LAW_NX = 4 };
#define LAW_BIT(i) (1u << (i))

typedef enum {
    LAW_KAPLAN,
    LAW_CHINCHILLA,
    LAW_SEPARABLE,
    LAW_LOGSQ,        /* F1 */
    LAW_SHAPE,        /* F2 */
    LAW_BENEFIT_HARM, /* F3 */
    LAW_STARVATION,   /* F4 */
} LawFormId;

typedef enum { LAW_REF_POWER, LAW_REF_LOG } LawRefKind;

typedef struct {
    LawFormId id;
    LawRefKind ref;   /* reference depth D0(W) / Dc(W): power or log (F1-F3) */
    int nvars;        /* separable: number of variables */
    int vars[LAW_NX]; /* separable: LAW_D/W/N/T in the order given */
    int np;           /* number of parameters, the source offsets included */
    int nsrc;         /* multi-source fits: offsets dE1..dE<nsrc> appended after the form's own
                         parameters (law_form_add_sources); 0 for every law on disk */
    char names[LAW_MAXP][16];
} LawForm;

/* Most sources one fit can join (the reference and LAW_MAX_SOURCES - 1 offsets). */
#define LAW_MAX_SOURCES 8

/* Parses a form name ("chinchilla", "shape:log", "separable:W,D,N,T", ...) into *out,
 * filling the parameter names. DW_OK, or DW_ENOTFOUND / DW_EINVAL with the message set. */
int law_form_parse(const char *text, LawForm *out);

/* Canonical text of the form ("shape:log", "separable:W,D,N,T") into buf[n]. */
void law_form_text(const LawForm *f, char *buf, size_t n);

/* Appends nsources - 1 source offsets dE1..dE<nsources-1> to f's parameters: a row of
 * source k >= 1 (LawX.source) is predicted as the form's value + dE<k>, so each source has
 * its own loss floor (another tokenizer, another eval set) and shares everything else.
 * DW_OK; DW_EINVAL nsources outside 1..LAW_MAX_SOURCES, offsets already added, or too many
 * parameters for LAW_MAXP. */
int law_form_add_sources(LawForm *f, int nsources);

/* The form's own parameter count (np without the source offsets). */
int law_form_base_np(const LawForm *f);

/* 1 when the form has a shape-neutral value that rows without depth and width can be
 * evaluated at (LawX.no_shape): chinchilla and kaplan (no shape term), separable without
 * D and W, logsq (Φ = 0: the reference depth) and shape (Neff = N: the critical depth's
 * optimum). 0 for separable with D or W, benefit-harm and starvation, whose shape terms
 * have no neutral value. */
int law_form_shape_neutral(const LawForm *f);

/* Index of parameter `name` in the form, or -1. */
int law_form_param_index(const LawForm *f, const char *name);

/* Bit set (LAW_BIT(LAW_D) ...) of the inputs the form reads. */
unsigned law_form_inputs(const LawForm *f);

/* 1 when the form depends on depth or width beyond N (a shape term), else 0. */
int law_form_has_shape(const LawForm *f);

/* Lower/upper bounds that keep the form meaningful (exponents > 0, gamma > 0, ...); used by
 * fitters as defaults. lo/hi have f->np entries; -HUGE_VAL/HUGE_VAL for none. */
void law_form_bounds(const LawForm *f, double *lo, double *hi);

/* Evaluates L at x with parameters p[f->np].
 * Inputs:  grad_p  when non-NULL receives dL/dp[i], f->np entries
 *          grad_x  when non-NULL receives dL/dD, dL/dW, dL/dN, dL/dT (partial derivatives,
 *                  the other inputs held fixed; N is an input in its own right)
 * Return:  L (NaN where the form is undefined at x, e.g. non-positive inputs). */
double law_form_eval(const LawForm *f, const double *p, const LawX *x, double *grad_p,
                     double *grad_x);

// ----------------------------------------------------------------------------
// Conventions: what N and C mean for a law, and the block shape the planner counts with.

typedef enum {
    LAW_PARAMS_NONEMBED, /* D × per-block parameters (no embeddings, no final norm) */
    LAW_PARAMS_TOTAL,    /* every parameter, embeddings included */
    LAW_PARAMS_12DW2,    /* the textbook approximation 12·D·W² */
} LawParamsConv;

typedef enum {
    LAW_FLOPS_6NT,  /* C = 6·N·T with N in the law's convention */
    LAW_FLOPS_FULL, /* C = T·(6·N_nonembed + 6·V·W + 6·D·ctx·W) (DESIGN §4.1) */
} LawFlopsConv;

typedef struct {
    LawParamsConv params;
    LawFlopsConv flops;
    int vocab;        /* V */
    int seq_len;      /* context used in attention FLOPs */
    double mlp_ratio; /* MLP inner width / W (SwiGLU: the gated inner width / W) */
    int swiglu;       /* 1: three MLP matrices */
    int tied;         /* 1: input and output embeddings shared */
    int biases;       /* 1: linear layers have biases */
    int rmsnorm;      /* 1: RMSNorm (gain only), 0: LayerNorm (gain and bias) */
    char note[512];   /* free text: why these conventions */
} LawConventions;

/* The probe's / paper's architecture: GPT-NeoX block, V = 50257, ctx 1024, r = 4, GELU,
 * biases, LayerNorm, untied, N non-embedding, full FLOPs. */
void law_conventions_default(LawConventions *c);

// ----------------------------------------------------------------------------
// Laws

/* Summary of the fit that produced a law (all optional: n == 0 means unknown). */
typedef struct {
    int n;                 /* rows used */
    double objective;      /* value of the fitted objective */
    char objective_kind[48]; /* "lsq", "lsq-log", "huber-log:1e-3", ... */
    double r2, r2_log;     /* R² on L and on log L */
    double rmse, max_abs_err;
    double aic, bic;
    double cv_rmse;        /* leave-one-shape-out CV RMSE, NaN when not computed */
    char status[96];       /* optimiser stop reason */
    /* What the data could not tell (law file "degenerate"; all 0 when the fit was sound or
     * nothing is known). Bits are parameter indices of the form. */
    unsigned on_bound;     /* parameter ended on (within rounding of) a bound of its range */
    unsigned unidentified; /* Jacobian rank-deficient along these parameters */
    int nt_confounded;     /* tokens ∝ params in every row: N and T cannot be separated */
} LawFitInfo;

/* The range of the data a law was fitted to (law file "range"): the planner and check warn
 * when asked outside it. known == 0 for laws without rows (most presets). Each quantity is
 * [lo, hi]; a quantity the data did not have is NaN. */
enum {
    LAW_RANGE_PARAMS,  /* N in the law's convention */
    LAW_RANGE_TOKENS,  /* T */
    LAW_RANGE_FLOPS,   /* C under the law's FLOP convention */
    LAW_RANGE_DEPTH,   /* D */
    LAW_RANGE_WIDTH,   /* W */
    LAW_RANGE_TPP,     /* T / N */
    LAW_RANGE_COUNT
};
typedef struct {
    int known;
    double lo[LAW_RANGE_COUNT], hi[LAW_RANGE_COUNT];
} LawRange;

/* JSON key of range quantity i ("params", "tokens", "flops", "depth", "width",
 * "tokens_per_param"). */
const char *law_range_key(int i);

/* One source of a multi-source fit (law file "sources"): the law's parameters are the
 * reference source's (sources[0], offset 0); another source's rows are predicted as the law
 * + its offset (its own loss floor: another tokenizer, another eval set). */
typedef struct {
    char name[64];
    int rows;
    int shape;              /* 1: its rows gave depth and width; 0: they entered only the
                               floor, N and T terms (law_form_shape_neutral) */
    double offset;          /* nats added to the law for this source (0 for the reference) */
    double se, lo, hi;      /* its standard error and 95% interval (NaN when unknown) */
    double loso_rmse;       /* left out of the fit, predicted from the others up to its own
                               offset: RMSE on differences between its runs (NaN: not run) */
    char note[400];         /* its conventions: what its params column means, its block */
} LawSource;

typedef struct {
    char name[64];          /* preset name or file stem */
    char description[512];
    LawForm form;
    double p[LAW_MAXP];
    unsigned fixed;         /* bit i: parameter i was held fixed in the fit */
    int has_ci[LAW_MAXP];
    double ci[LAW_MAXP][2]; /* 95% interval */
    int has_se;
    double se[LAW_MAXP];    /* asymptotic standard errors (0 for fixed parameters) */
    int has_cov;
    double cov[LAW_MAXP * LAW_MAXP]; /* asymptotic covariance, row-major np × np */
    int ndraws;
    double *draws;          /* ndraws × np parameter vectors (bootstrap), owned */
    LawConventions conv;
    LawFitInfo fit;
    LawRange range;
    int nsources;           /* 0: one source (the usual law); else 2..LAW_MAX_SOURCES */
    LawSource sources[LAW_MAX_SOURCES];
    char *provenance_json;  /* the "provenance" object as JSON text, owned, may be NULL */
} Law;

/* Allocates an empty law for `form` with default conventions. NULL on out-of-memory. */
Law *law_alloc(const LawForm *form);
void law_free(Law *law);

/* L of the law at x (law_form_eval with the law's parameters). */
double law_eval(const Law *law, const LawX *x);

/* Parses law JSON. `origin` names the source in messages ("law.json", "preset gemstones").
 * *out owned by the caller (law_free). DW_EPARSE with a message naming origin and field. */
int law_parse(const char *text, const char *origin, Law **out);

/* How a law named on the command line is called in messages: "preset NAME" or the path
 * (the origin law_load gives law_parse). Returns buf. */
const char *law_origin_text(const char *name_or_path, char *buf, size_t n);

/* Loads a law from a preset name (see law_preset_names) or a file path. */
int law_load(const char *name_or_path, Law **out);

/* Serialises to pretty JSON (caller frees *text). */
int law_to_json(const Law *law, char **text);

/* Writes law JSON atomically to path. */
int law_write(const Law *law, const char *path);

/* What the law cannot tell, as one line into buf[n] ("" when nothing): the parameters on
 * a bound ("E -> 0 (on bound)"), the unidentified ones, and "tokens ∝ params in every row:
 * N and T cannot be separated". Returns 1 when anything was written. */
int law_degenerate_text(const Law *law, char *buf, size_t n);

/* Which of the quantities at a point lie outside the law's data range by more than a
 * factor `slack` (>= 1; 1 = exactly the range): bit i set for LAW_RANGE_i. Quantities
 * passed as NaN and unknown ranges are not checked. `v` has LAW_RANGE_COUNT entries. */
unsigned law_range_outside(const Law *law, const double *v, double slack);

/* Embedded presets: NULL-terminated list of names, and a preset's JSON text (NULL if
 * unknown). Both borrowed, static. */
const char *const *law_preset_names(void);
const char *law_preset_text(const char *name);
#define LAW_DEFAULT_PRESET "gemstones-epoch-logsq"

#endif
