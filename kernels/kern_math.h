/* kernels/kern_math.h — the element-wise and row-wise mathematics of the probe model,
 * written once as static inline functions that compile for the host (C11) and, under nvcc,
 * for the device (KERN_HD = __host__ __device__), so the CPU tests exercise the code the
 * GPU backend (issue 7) runs.
 *
 * Every function exists twice: with suffix _f (float, the run) and _d (double, the
 * finite-difference tests). The bodies are written once below, in the template section that
 * this header includes into itself with KM_R set to float and then to double.
 *
 * Contents:
 *   GELU, exact erf form (PyTorch's default, HF GPT-NeoX "gelu"):
 *       gelu(x) = x·Φ(x),  Φ(x) = ½·erfc(−x/√2),  gelu'(x) = Φ(x) + x·φ(x),
 *       φ(x) = exp(−x²/2)/√(2π).
 *   LayerNorm row statistics (two-pass mean and biased variance, eps inside the root).
 *   RoPE, rotate-half (GPT-NeoX): for i < HS/2, with c = cos(t·f_i), s = sin(t·f_i),
 *       f_i = θ^(−2i/HS), θ = 10000:  (a, b) = (x_i, x_{i+HS/2}) → (a·c − b·s, b·c + a·s);
 *       the backward applies the transposed rotation.
 *   Softmax row helpers (max, exp-sum, normalise) and the AdamW element update
 *   (PyTorch's torch.optim.AdamW order of operations).
 *
 * Precision stance: the double instantiation calls libm (erfc, exp) and is exact to
 * rounding; the float instantiation uses branch-free approximations that vectorise and
 * run on a GPU unchanged: kern_exp_f (Cody–Waite reduction + degree-7 polynomial,
 * relative error < 1e-7) and kern_erfc_pos_f (erfc(z) = t·exp(−z² + P(t)), t = 2/(2+z), P a
 * degree-9 least-squares fit made for this file; relative error < 5e-7 for z <= 2 and
 * < 3e-6 for z <= 4, the range that matters for GELU). So gelu_f is within 3e-6 relative
 * of the exact GELU for x > −5.6 (1e-7 absolute everywhere); tests/test_kern_math.c
 * measures it against libm.
 */
#ifndef KERN_MATH_TEMPLATE

#ifndef KERN_MATH_H
#define KERN_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#ifdef __CUDACC__
#define KERN_HD __host__ __device__
#else
#define KERN_HD
#endif

#define KERN_ROPE_THETA 10000.0

/* A sum over a row that the host compiler may vectorise (reassociate): `omp simd` with a
 * reduction, honoured under -fopenmp or -fopenmp-simd and ignored elsewhere (nvcc). */
#define KERN_STR_(x) #x
#if defined(_OPENMP) && !defined(__CUDACC__)
#define KERN_SIMD_SUM(v) _Pragma(KERN_STR_(omp simd reduction(+ : v)))
#else
#define KERN_SIMD_SUM(v)
#endif

// ----------------------------------------------------------------------------
// float-only primitives (the _d twins below are libm)

/* e^x in float, branch-free: x = n·ln2 + r, |r| <= ln2/2, e^r by its Taylor polynomial to
 * degree 7 (truncation < 6e-9), 2^n built in the exponent bits. Below −87.3 the result is 0
 * (no subnormals), above 88.72 +inf, in (88, 88.72] e^88 (callers pass x <= 0); NaN gives
 * NaN. Every branch is a select, so loops over it vectorise. */
static inline KERN_HD float kern_exp_f(float x) {
    const float log2e = 1.44269504088896341f;
    const float ln2_hi = 0.693145751953125f;   /* few significant bits: n·ln2_hi is exact */
    const float ln2_lo = 1.42860682030941723e-6f;
    const float shifter = 12582912.0f;         /* 1.5·2^23: adding it rounds to an integer */
    float xc = x > -87.3f ? x : -87.3f;        /* NaN lands here too: the cast stays defined */
    xc = xc < 88.0f ? xc : 88.0f;
    float kf = xc * log2e + shifter;
    kf = kf - shifter;                         /* n = round(x·log2 e), in [-126, 127] */
    float r = xc - kf * ln2_hi;
    r = r - kf * ln2_lo;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t bits = ((int32_t)kf + 127) * (1 << 23); /* 2^n */
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    float y = p * scale;
    y = x < -87.3f ? 0.0f : y;
    y = x > 88.72f ? (float)INFINITY : y;
    return x == x ? y : x;
}

/* erfc(z) for z >= 0 in float: t = 2/(2+z), erfc(z) = t·exp(−z² + P(t)). P was fitted by
 * weighted least squares to log(erfc(z)/t) + z² over z in [0, 10] (fit error 4.6e-8) and is
 * evaluated in u = t − 1/2, which keeps its float Horner rounding near 1.4e-7; P(0) ≈
 * log(1/(2√π)) is the large-z asymptote. The float rounding of z² dominates for large z
 * (relative error ≈ 6e-8·z²: 1e-6 at z = 4). */
static inline KERN_HD float kern_erfc_pos_f(float z) {
    float t = 2.0f / (2.0f + z);
    float u = t - 0.5f;
    float p = 0.14221115375f;
    p = p * u - 0.026178287842f;
    p = p * u - 0.26212129796f;
    p = p * u + 0.10775340292f;
    p = p * u + 0.2794131845f;
    p = p * u - 0.15758669901f;
    p = p * u - 0.37506935624f;
    p = p * u + 0.18936470682f;
    p = p * u + 1.34528556f;
    p = p * u - 0.67179405619f;
    return t * kern_exp_f(p - z * z);
}

/* Φ(x), the standard normal CDF, in float: ½·erfc(|x|/√2) reflected, so the left tail keeps
 * its relative accuracy (gelu(−5) is not computed as a difference of two numbers near 1). */
static inline KERN_HD float kern_normcdf_f(float x) {
    float z = fabsf(x) * 0.70710678118654752f;
    float h = 0.5f * kern_erfc_pos_f(z);
    return x < 0.0f ? h : 1.0f - h;
}
static inline KERN_HD double kern_normcdf_d(double x) {
    return 0.5 * erfc(-x * 0.70710678118654752440);
}
static inline KERN_HD double kern_exp_d(double x) { return exp(x); }

/* RoPE frequency f_i = θ^(−2i/HS), computed as Hugging Face does in float32 (the exponent
 * 2i/HS and the power rounded to float, then 1/power in float), so a float run reproduces
 * its cos/sin tables; the double twin is exact. */
static inline float kern_rope_freq_f(int i, int HS) {
    float e = (float)(2 * i) / (float)HS;
    float p = (float)pow(KERN_ROPE_THETA, (double)e);
    return 1.0f / p;
}
static inline double kern_rope_freq_d(int i, int HS) {
    return 1.0 / pow(KERN_ROPE_THETA, (double)(2 * i) / (double)HS);
}

#define KERN_MATH_TEMPLATE
#define KM_R float
#define KM(name) name##_f
#define KM_SQRT sqrtf
#include "kern_math.h"
#undef KM_R
#undef KM
#undef KM_SQRT
#define KM_R double
#define KM(name) name##_d
#define KM_SQRT sqrt
#include "kern_math.h"
#undef KM_R
#undef KM
#undef KM_SQRT
#undef KERN_MATH_TEMPLATE

#endif /* KERN_MATH_H */

#else /* KERN_MATH_TEMPLATE: the bodies, once per precision */

// ----------------------------------------------------------------------------
// GELU (exact erf form)

/* gelu(x) = x·Φ(x). */
static inline KERN_HD KM_R KM(kern_gelu)(KM_R x) { return x * KM(kern_normcdf)(x); }

/* d gelu / dx = Φ(x) + x·φ(x). */
static inline KERN_HD KM_R KM(kern_gelu_grad)(KM_R x) {
    const KM_R inv_sqrt_2pi = (KM_R)0.39894228040143267794;
    KM_R pdf = inv_sqrt_2pi * KM(kern_exp)((KM_R)-0.5 * x * x);
    return KM(kern_normcdf)(x) + x * pdf;
}

// ----------------------------------------------------------------------------
// LayerNorm row statistics

/* 1/sqrt(biased variance + eps) from the sum of squared deviations from the mean over C
 * values (the CPU sums a row in one thread, the GPU across a warp; both finish here). */
static inline KERN_HD KM_R KM(kern_ln_rstd)(KM_R sq_dev_sum, int C, KM_R eps) {
    return (KM_R)1 / KM_SQRT(sq_dev_sum / (KM_R)C + eps);
}

/* Mean and 1/sqrt(biased variance + eps) of x[0..C): two passes (mean, then the squared
 * deviations), as PyTorch's LayerNorm computes them. */
static inline KERN_HD void KM(kern_ln_stats)(const KM_R *x, int C, KM_R eps, KM_R *mean,
                                             KM_R *rstd) {
    KM_R m = 0;
    KERN_SIMD_SUM(m)
    for (int i = 0; i < C; i++) m += x[i];
    m = m / (KM_R)C;
    KM_R v = 0;
    KERN_SIMD_SUM(v)
    for (int i = 0; i < C; i++) {
        KM_R d = x[i] - m;
        v += d * d;
    }
    *mean = m;
    *rstd = KM(kern_ln_rstd)(v, C, eps);
}

// ----------------------------------------------------------------------------
// RoPE (rotate-half)

/* Forward rotation of one pair (a, b) = (x_i, x_{i+HS/2}) by the angle with cosine c and
 * sine s: a' = a·c − b·s, b' = b·c + a·s. */
static inline KERN_HD void KM(kern_rope_rotate)(KM_R *a, KM_R *b, KM_R c, KM_R s) {
    KM_R x1 = *a, x2 = *b;
    *a = x1 * c - x2 * s;
    *b = x2 * c + x1 * s;
}

/* Backward: the gradient goes through the transposed rotation, da = da'·c + db'·s,
 * db = db'·c − da'·s. */
static inline KERN_HD void KM(kern_rope_rotate_back)(KM_R *da, KM_R *db, KM_R c, KM_R s) {
    KM_R g1 = *da, g2 = *db;
    *da = g1 * c + g2 * s;
    *db = g2 * c - g1 * s;
}

/* cos and sin tables (T, HS/2): angle t·f_i. The float twin forms the angle as a float
 * product (as Hugging Face does) before taking cos/sin in double and rounding. */
static inline void KM(kern_rope_tables)(KM_R *cos_t, KM_R *sin_t, int T, int HS) {
    int half = HS / 2;
    for (int t = 0; t < T; t++) {
        for (int i = 0; i < half; i++) {
            KM_R ang = (KM_R)t * KM(kern_rope_freq)(i, HS);
            cos_t[t * half + i] = (KM_R)cos((double)ang);
            sin_t[t * half + i] = (KM_R)sin((double)ang);
        }
    }
}

// ----------------------------------------------------------------------------
// softmax rows

static inline KERN_HD KM_R KM(kern_row_max)(const KM_R *x, int n) {
    KM_R m = x[0];
    for (int i = 1; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}

/* y[i] = exp(x[i] − shift) for i < n (y may alias x); returns Σ y. */
static inline KERN_HD KM_R KM(kern_row_exp_sum)(KM_R *y, const KM_R *x, int n, KM_R shift) {
    KM_R sum = 0;
    for (int i = 0; i < n; i++) {
        KM_R e = KM(kern_exp)(x[i] - shift);
        y[i] = e;
        sum += e;
    }
    return sum;
}

/* In-place softmax of x[0..n): returns log Σ exp(x) (the log-partition), which the fused
 * cross-entropy needs. */
static inline KERN_HD KM_R KM(kern_softmax_row)(KM_R *x, int n) {
    KM_R m = KM(kern_row_max)(x, n);
    KM_R sum = KM(kern_row_exp_sum)(x, x, n, m);
    KM_R inv = (KM_R)1 / sum;
    for (int i = 0; i < n; i++) x[i] *= inv;
    return m + (KM_R)log((double)sum);
}

// ----------------------------------------------------------------------------
// AdamW

/* One AdamW element update in torch.optim.AdamW's order: decoupled decay p ← p·(1 − lr·wd),
 * m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², p ← p − (lr/bc1)·m / (√v/√bc2 + eps), where
 * bc1 = 1 − β1^step and sqrt_bc2 = √(1 − β2^step). */
static inline KERN_HD void KM(kern_adamw_update)(KM_R *p, KM_R *m, KM_R *v, KM_R g, KM_R lr,
                                                 KM_R beta1, KM_R beta2, KM_R eps, KM_R wd,
                                                 KM_R bc1, KM_R sqrt_bc2) {
    KM_R pv = *p * ((KM_R)1 - lr * wd);
    KM_R mv = beta1 * *m + ((KM_R)1 - beta1) * g;
    KM_R vv = beta2 * *v + ((KM_R)1 - beta2) * g * g;
    KM_R denom = KM_SQRT(vv) / sqrt_bc2 + eps;
    *p = pv - (lr / bc1) * mv / denom;
    *m = mv;
    *v = vv;
}

#endif /* KERN_MATH_TEMPLATE */
