/* fit/persist.h — gradient persistence and critical depth from run records (DESIGN §4.3
 * "Gradient persistence", "Critical depth"). Prefix fit_.
 *
 * The paper ("The Depth Delusion", arXiv 2601.20994, §4.7–4.8) models the gradient norm at
 * layer ℓ of a depth-D model as
 *
 *     ‖∇_ℓ L‖ ≈ ‖∇_D L‖ · exp(−(D − ℓ)/τ(W)),        τ(W) ∝ W^0.44  (R² 0.98; log form 0.60)
 *
 * so ln g_ℓ is linear in ℓ with slope s = 1/τ (gradients grow toward the output). Past a
 * critical depth D_crit ≈ κ·ln W (κ ≈ 2.43) extra layers raise the loss, so loss vs depth at
 * fixed width and tokens is U-shaped.
 *
 *   fit_tau_run     one run: least squares of ln g_ℓ on ℓ  →  s, τ = 1/s, SEs, R²
 *   fit_tau_width   across runs: τ = t0·W^β (least squares on ln τ vs ln W) and
 *                   τ = a + b·ln W (least squares on τ), each with SEs and R²
 *   fit_dcrit_one   one loss-vs-depth curve: vertex of the parabola in ln D through the
 *                   lowest point and its two neighbours, or "no interior minimum"
 *   fit_dcrit_all   the same for every width of a sweep, at the most common token count
 *   fit_noise_pooled  run-to-run noise: pooled SD of the loss over repeated configurations
 *   fit_dcrit_judge   an interior minimum against that noise: "beyond" only when the loss
 *                   rises by more than 2 SE toward both ends of the depths run
 *   fit_kappa       across widths: D_crit = κ·ln W (through the origin) and D_crit = c·W^β
 *
 * All regressions are ordinary least squares by GSL (gsl_fit_linear, gsl_fit_mul); standard
 * errors are the usual OLS ones (residual variance × (XᵀX)⁻¹), and derived quantities (τ = 1/s,
 * t0 = e^{ln t0}, c = e^{ln c}) get theirs by the delta method. The parabola vertex is an
 * interpolation through three points, so it has no standard error; the two neighbouring
 * depths bracket it.
 *
 * Errors: DW_EINVAL for NULL arguments, DW_EDATA for too few points (the message says how
 * many are needed and how many there are), DW_ERANGE for a value that cannot enter a logarithm (≤ 0,
 * NaN, infinite: the message names the element), DW_ENOCONV if a GSL regression fails,
 * DW_ENOMEM. Messages are recorded with dw_error_set(); nothing is printed.
 *
 * Design stance: reference code, not fast; a sweep has tens of runs.
 */
#ifndef FIT_PERSIST_H
#define FIT_PERSIST_H

#include <stddef.h>

// ----------------------------------------------------------------------------
// gradient persistence

/* One run's fit of ln g_ℓ = a + s·ℓ, layers ℓ = 0 (input side) .. L−1 (next to the output). */
typedef struct {
    double slope, slope_se;  /* s and its standard error (per layer) */
    double intercept;        /* a = ln g at layer 0 */
    double tau, tau_se;      /* τ = 1/s in layers, SE = slope_se/s² (delta method); NaN if !ok */
    double r2;               /* R² of ln g on ℓ; NaN when every ln g is equal */
    int nlayers;             /* L */
    int ok;                  /* 1 when τ is defined (the regression ran and s > 0) */
    char why[96];            /* when !ok: the reason ("no decay toward the input (slope -0.02
                                <= 0)", "needs >= 3 layers, have 2", ...); "" when ok */
} FitTauRun;

/* Fits the persistence length of one run from its per-layer gradient norms.
 * Inputs:  g    (L) gradient norms, input side first (a run record's grad_norms)
 *          L    number of layers, >= 3 (two parameters plus one residual degree of freedom)
 *          out  receives the fit; always filled, with ok = 0 and `why` set on failure
 * Return:  DW_OK when the regression ran — also when s <= 0, in which case out->ok = 0,
 *          τ = NaN and why = "no decay toward the input ...";
 *          DW_EINVAL  g or out NULL;
 *          DW_EDATA   L < 3;
 *          DW_ERANGE  some g[ℓ] <= 0, NaN or infinite (the message names ℓ and the value);
 *          DW_ENOCONV the GSL regression failed. */
int fit_tau_run(const double *g, int L, FitTauRun *out);

/* τ(W) across runs: the power law and the log form, each by least squares. */
typedef struct {
    double t0, t0_se;        /* τ = t0·W^β; t0_se by the delta method from SE(ln t0) */
    double beta, beta_se;
    double r2_power;         /* R² of the power law on ln τ (the space it is fitted in) */
    double r2_power_tau;     /* the same fit's R² measured on τ, to compare with r2_log */
    double a, a_se, b, b_se; /* τ = a + b·ln W */
    double r2_log;           /* R² of the log form on τ (the space it is fitted in) */
    int n;                   /* points used */
    int nskipped;            /* entries skipped because τ was NaN, infinite or <= 0 */
    int nwidths;             /* distinct widths among the points used */
} FitTauWidth;

/* Fits τ(W) both ways on the (width[i], tau[i]) pairs with a valid τ (finite and > 0);
 * the others are skipped and counted (pass NaN for runs whose fit_tau_run was not ok).
 * Several runs at one width are all used.
 * Inputs:  width  (n) model widths, each > 0 and finite
 *          tau    (n) persistence lengths (NaN/<= 0 = no valid τ)
 *          n      number of entries
 *          out    receives the fits; out->n and out->nskipped are set on every return
 * Return:  DW_OK;
 *          DW_EINVAL  NULL argument;
 *          DW_EDATA   fewer than 3 valid points, or fewer than 2 distinct widths among them;
 *          DW_ERANGE  a width <= 0, NaN or infinite (the message names the index);
 *          DW_ENOCONV a GSL regression failed. */
int fit_tau_width(const double *width, const double *tau, int n, FitTauWidth *out);

// ----------------------------------------------------------------------------
// critical depth

/* How an interior minimum compares with the run-to-run noise (fit_dcrit_judge). */
typedef enum {
    FIT_UCURVE_NONE = 0,      /* no interior minimum: nothing to judge */
    FIT_UCURVE_NOISE_UNKNOWN, /* interior, but no configuration was run twice: no noise
                                 estimate, so the rises are not compared with anything */
    FIT_UCURVE_BEYOND_NOISE,  /* both rises exceed FIT_UCURVE_SE_MULT standard errors */
    FIT_UCURVE_WITHIN_NOISE,  /* at least one rise does not */
} FitUcurveVerdict;

/* "Beyond the run-to-run noise" means a rise larger than this many standard errors. */
#define FIT_UCURVE_SE_MULT 2.0

typedef enum {
    FIT_DCRIT_INTERIOR = 0, /* the lowest loss has a shallower and a deeper neighbour */
    FIT_DCRIT_AT_SMALLEST,  /* lowest loss at the smallest depth: no interior minimum */
    FIT_DCRIT_AT_LARGEST,   /* lowest loss at the largest depth: no interior minimum */
    FIT_DCRIT_TOO_FEW,      /* fewer than 3 distinct depths */
} FitDcritKind;

/* The critical depth of one width (one loss-vs-depth curve). */
typedef struct {
    double width;            /* the width (NaN from fit_dcrit_one, which does not know it) */
    double tokens;           /* the token count of the rows used (NaN when not given) */
    int ndepths;             /* distinct depths on the curve */
    int nruns;               /* rows used (several seeds at one depth are averaged) */
    int ndropped;            /* rows at this width left out for a different token count */
    FitDcritKind kind;
    double dcrit;            /* D_crit (interior only; NaN otherwise) */
    double loss_at_min;      /* the parabola's value at D_crit (interior), else the lowest
                                mean loss */
    double depth_at_min;     /* the depth with the lowest mean loss */
    double lo, hi;           /* the neighbouring depths that bracket D_crit (interior);
                                NaN otherwise */
    char why[96];            /* a sentence for every kind, e.g. "no interior minimum: lowest
                                loss at the smallest depth (2)" */
    /* The rises that make the minimum interior (interior only; NaN / 0 otherwise): the mean
     * loss at the shallowest and at the deepest depth run minus the mean loss at
     * depth_at_min, the run counts at those three depths, and (fit_dcrit_judge) each rise's
     * standard error s·sqrt(1/n_end + 1/n_min) from the pooled run-to-run SD s. */
    double rise_shallow, rise_deep;
    double rise_shallow_se, rise_deep_se; /* NaN until judged, and when the noise is unknown */
    int n_min, n_shallow, n_deep;
    FitUcurveVerdict verdict; /* FIT_UCURVE_NONE unless interior; fit_dcrit_one sets
                                 NOISE_UNKNOWN for an interior minimum, fit_dcrit_judge decides */
} FitDcrit;

/* Critical depth of one curve: rows (depth[i], loss[i]) at one width and one token count.
 * Losses at equal depths are averaged. The curve is taken in x = ln D; if the lowest mean
 * loss (the shallowest one on a tie) is at the smallest or the largest depth there is no
 * interior minimum (kind says which end; DW_OK). Otherwise the parabola through the lowest
 * point and its two neighbours (in depth order) gives D_crit = exp(vertex), which lies
 * between the neighbours (on a tie with the deeper neighbour, half-way between them in ln D).
 * Inputs:  depth  (n) depths, > 0 and finite
 *          loss   (n) losses, finite
 *          n      number of rows
 *          out    receives the result (width and tokens are set to NaN, ndropped to 0)
 * Return:  DW_OK (any kind but FIT_DCRIT_TOO_FEW);
 *          DW_EINVAL  NULL argument;
 *          DW_EDATA   fewer than 3 distinct depths (kind FIT_DCRIT_TOO_FEW);
 *          DW_ERANGE  a depth <= 0 or a non-finite depth or loss;
 *          DW_ENOMEM. */
int fit_dcrit_one(const double *depth, const double *loss, int n, FitDcrit *out);

/* The one rule for "trained on the same number of tokens": t and u within 1% of the larger.
 * Runs are comparable across depth only at equal tokens; every analysis and figure that
 * groups runs by token count uses this. */
#define FIT_SAME_TOKENS_REL 0.01
int fit_same_tokens(double t, double u);

/* Critical depth for every width of a sweep. Rows are grouped by width (exact equality).
 * Only rows trained on the same number of tokens are comparable: within a width, the
 * reference count is the one with the most rows within 1% of it (ties: more rows exactly
 * equal, then the larger count); rows within 1% of it are used, the others are dropped and
 * counted in ndropped, and `tokens` is the reference count.
 * Inputs:  depth, width, loss  (n) per row; depths and widths > 0, all finite
 *          tokens              (n) per row (> 0), or NULL when every row saw the same data
 *          n                   number of rows
 *          out                 caller-provided array with room for n results (one per
 *                              distinct width at most), filled in increasing width order
 *          nout                receives the number of widths
 * A width with fewer than 3 distinct depths is reported with kind FIT_DCRIT_TOO_FEW, not
 * as an error.
 * Return:  DW_OK; DW_EINVAL for NULL arguments or n < 1; DW_ERANGE for a bad value (the
 *          message names the row index); DW_ENOMEM. */
int fit_dcrit_all(const double *depth, const double *width, const double *tokens,
                  const double *loss, int n, FitDcrit *out, int *nout);

// ----------------------------------------------------------------------------
// run-to-run noise

/* The run-to-run noise of the final loss, from repeated runs of one configuration. */
typedef struct {
    double sd;         /* pooled within-configuration SD: sqrt(Σ_g Σ_i (L_gi − L̄_g)² / df);
                          NaN when df = 0 */
    int df;            /* Σ_g (n_g − 1): degrees of freedom of sd */
    int nconfigs;      /* configurations (rows grouped as below) */
    int nrepeated;     /* configurations run more than once */
    int nruns_repeated;/* runs in them */
} FitNoise;

/* Pools the within-configuration variance of the loss. A configuration is equal depth,
 * equal width and, when tokens is given, a token count within FIT_SAME_TOKENS_REL of the
 * first row of the configuration (in row order); a seed column is not needed — what counts
 * is that the same configuration was run again. Configurations run once add nothing (their
 * n_g − 1 is 0). Pooling over widths and depths assumes the noise is the same everywhere.
 * Inputs:  depth, width, loss  (n) per row, finite (depth, width > 0)
 *          tokens              (n) per row, or NULL (every row saw the same data)
 *          n                   rows (>= 0)
 *          out                 receives the estimate (sd NaN when no configuration repeats)
 * Return:  DW_OK; DW_EINVAL NULL argument; DW_ERANGE a non-finite value (named);
 *          DW_ENOMEM. */
int fit_noise_pooled(const double *depth, const double *width, const double *tokens,
                     const double *loss, int n, FitNoise *out);

/* Judges an interior minimum against the noise: each rise gets its standard error
 * sqrt(s²/n_end + s²/n_min) (two independent means of n_end and n_min runs), and the minimum
 * is beyond the noise when BOTH rises exceed FIT_UCURVE_SE_MULT standard errors — a U needs
 * the loss to rise on both sides. With no noise estimate (noise NULL or df = 0) the verdict
 * is FIT_UCURVE_NOISE_UNKNOWN; a curve without an interior minimum stays FIT_UCURVE_NONE.
 * The minimum is the lowest of several noisy means, so its rises are biased upward: this is
 * a screen against calling noise a U-curve, not a test at a stated level. */
void fit_dcrit_judge(FitDcrit *dc, const FitNoise *noise);

/* One sentence on the verdict into buf (always terminated), e.g. "beyond the run-to-run
 * noise: the loss rises 0.500 ± 0.041 toward the shallowest depth and 0.480 ± 0.041 toward
 * the deepest (> 2 SE each; noise SD 0.050, 12 df)"; "" for FIT_UCURVE_NONE. Every place
 * that says whether a U-curve was found prints this. */
const char *fit_ucurve_text(const FitDcrit *dc, const FitNoise *noise, char *buf, size_t size);

/* Short names for --json: "none", "noise_unknown", "beyond_noise", "within_noise". */
const char *fit_ucurve_name(FitUcurveVerdict v);

/* D_crit across widths. */
typedef struct {
    double kappa, kappa_se;  /* D_crit = κ·ln W, least squares through the origin */
    double r2_kappa;         /* 1 − SSR/Σ(D − mean D)²: the centred R², so that it can be
                                compared with r2_power (it can be < 0 for a poor fit) */
    int has_power;           /* 1 when the power fit ran (>= 3 distinct widths) */
    double c, c_se;          /* D_crit = c·W^β, least squares on ln D_crit vs ln W; c_se by
                                the delta method; NaN when !has_power */
    double beta, beta_se;
    double r2_power;         /* on ln D_crit */
    int n;                   /* points used */
    int nwidths;             /* distinct widths among them */
    char why[96];            /* why has_power = 0, else "" */
} FitKappa;

/* Fits D_crit = κ·ln W and D_crit = c·W^β to the pairs (width[i], dcrit[i]) with a finite
 * dcrit > 0 (NaN entries — widths without an interior minimum — are skipped).
 * Inputs:  width  (n) widths > 1 (ln W must be positive); one entry per width is usual,
 *                 but repeated widths are all used
 *          dcrit  (n) critical depths, NaN when there is none
 *          n      number of entries
 *          out    receives the fits; with 2 widths the power fit is not run (has_power = 0,
 *                 why = "power fit needs >= 3 widths with an interior minimum, have 2")
 * Return:  DW_OK;
 *          DW_EINVAL  NULL argument;
 *          DW_EDATA   fewer than 2 distinct widths with a usable D_crit;
 *          DW_ERANGE  a width <= 1, NaN or infinite;
 *          DW_ENOCONV a GSL regression failed. */
int fit_kappa(const double *width, const double *dcrit, int n, FitKappa *out);

#endif
