/* tests/test_kern.c — every operation of kernels/kern.h (CPU backend):
 *   1. backward against central finite differences, in the double instantiation: for an
 *      op y = f(x), the scalar Λ = Σ g·y with fixed random g; the analytic dΛ/dx from the
 *      backward with dout = g against (Λ(x+h) − Λ(x−h))/2h, h = 1e-5, for every input
 *      element (a fixed sample for the large ones). Each op prints its largest absolute
 *      and relative difference (llm.c's validate_result).
 *   2. the float instantiation against the double one on the same inputs (the float path
 *      runs kern_math.h's fast exp/erfc), relative to the output's scale.
 *   3. thread counts: 1 and 3 threads give bitwise-identical float results for every op
 *      that splits rows or columns (all but the sums of squares, which are compared to a
 *      relative 1e-15).
 * Shapes are small but cross the attention kernel's block size (T = 70 > 64) and give the
 * threads uneven slices.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/dw.h"
#include "../kernels/kern.h"
#include "../kernels/cpu/kern_cpu.h"
#include "../kernels/kern_math.h"
#include "check.h"

static KernCtx ctx1, ctx3; /* 1 and 3 threads */

// ----------------------------------------------------------------------------
// helpers

static uint64_t rng_state = 0x1234567ULL;
static double urand(void) { /* [-1, 1) */
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng_state >> 11) / 4503599627370496.0 - 1.0;
}
static double *drand_vec(size_t n, double scale) {
    double *x = malloc(sizeof(double) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) x[i] = scale * urand();
    return x;
}
static float *to_float(const double *x, size_t n) {
    float *y = malloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) y[i] = (float)x[i];
    return y;
}
static double dot(const double *a, const double *b, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* The scalar objective of one op at its current inputs. */
typedef double (*ObjFn)(void *arg);

typedef struct {
    double max_abs, max_rel;
    size_t checked;
} FdStat;

/* Central differences of obj with respect to x[i] for a sample of i (all when n <= limit),
 * compared with grad[i]. Relative error uses max(|analytic|, |numeric|, 1e-3) so entries
 * that are zero analytically are judged on their absolute error. The differences' own
 * rounding noise is about 1e-16·|Λ|/h ≈ 1e-9 absolute here, so a correct gradient shows
 * relative errors up to ~1e-6 on its smallest entries; a wrong one shows O(1). */
static void fd_compare(FdStat *st, double *x, size_t n, const double *grad, ObjFn obj,
                       void *arg, size_t limit) {
    const double h = 1e-5;
    size_t stride = n <= limit ? 1 : n / limit + 1;
    for (size_t i = 0; i < n; i += stride) {
        double save = x[i];
        x[i] = save + h;
        double lp = obj(arg);
        x[i] = save - h;
        double lm = obj(arg);
        x[i] = save;
        double num = (lp - lm) / (2 * h);
        double diff = fabs(num - grad[i]);
        double rel = diff / fmax(fmax(fabs(num), fabs(grad[i])), 1e-3);
        if (diff > st->max_abs) st->max_abs = diff;
        if (rel > st->max_rel) st->max_rel = rel;
        st->checked++;
    }
}

static void fd_report(const char *op, const FdStat *st, double tol) {
    printf("  %-22s %6zu grads checked, max |diff| %.3e, max rel %.3e\n", op, st->checked,
           st->max_abs, st->max_rel);
    CHECK(st->checked > 0);
    CHECK(st->max_rel < tol);
    if (st->max_rel >= tol) fprintf(stderr, "  %s: finite-difference mismatch\n", op);
}

/* max |a − b| / max|b| over n: float results against the double reference. */
static double cmp_fd(const float *a, const double *b, size_t n) {
    double md = 0, mb = 0;
    for (size_t i = 0; i < n; i++) {
        md = fmax(md, fabs((double)a[i] - b[i]));
        mb = fmax(mb, fabs(b[i]));
    }
    return md / fmax(mb, 1e-30);
}
static void float_report(const char *op, double rel, double tol) {
    printf("  %-22s float vs double: max rel %.3e\n", op, rel);
    CHECK(rel < tol);
}
static void same_bits(const char *op, const float *a, const float *b, size_t n) {
    int same = memcmp(a, b, sizeof(float) * n) == 0;
    if (!same) fprintf(stderr, "  %s: 1 and 3 threads differ\n", op);
    CHECK(same);
}

// ----------------------------------------------------------------------------
// matmul

typedef struct {
    int M, K, N;
    double *inp, *w, *bias, *g, *out;
} MatmulCase;

static double matmul_obj(void *a_) {
    MatmulCase *a = a_;
    kern_matmul_forward_d(&ctx3, a->out, a->inp, a->w, a->bias, a->M, a->K, a->N);
    return dot(a->out, a->g, (size_t)a->M * a->N);
}

static void test_matmul(void) {
    MatmulCase a = {13, 7, 9, NULL, NULL, NULL, NULL, NULL};
    size_t nI = (size_t)a.M * a.K, nW = (size_t)a.N * a.K, nO = (size_t)a.M * a.N;
    a.inp = drand_vec(nI, 1);
    a.w = drand_vec(nW, 1);
    a.bias = drand_vec(a.N, 1);
    a.g = drand_vec(nO, 1);
    a.out = drand_vec(nO, 0);
    double *dinp = drand_vec(nI, 0), *dw = drand_vec(nW, 0), *db = drand_vec(a.N, 0);
    /* parameter grads accumulate: start them at a known offset */
    double *dw0 = drand_vec(nW, 1), *db0 = drand_vec(a.N, 1);
    memcpy(dw, dw0, sizeof(double) * nW);
    memcpy(db, db0, sizeof(double) * a.N);
    kern_matmul_backward_d(&ctx3, dinp, dw, db, a.g, a.inp, a.w, a.M, a.K, a.N);
    for (size_t i = 0; i < nW; i++) dw[i] -= dw0[i];
    for (int i = 0; i < a.N; i++) db[i] -= db0[i];
    FdStat st = {0};
    fd_compare(&st, a.inp, nI, dinp, matmul_obj, &a, 10000);
    fd_compare(&st, a.w, nW, dw, matmul_obj, &a, 10000);
    fd_compare(&st, a.bias, a.N, db, matmul_obj, &a, 10000);
    fd_report("matmul", &st, 1e-5);

    /* float vs double, and threads */
    float *fi = to_float(a.inp, nI), *fw = to_float(a.w, nW), *fb = to_float(a.bias, a.N);
    float *fg = to_float(a.g, nO), *fo1 = to_float(a.out, nO), *fo3 = to_float(a.out, nO);
    matmul_obj(&a);
    kern_matmul_forward(&ctx1, fo1, fi, fw, fb, a.M, a.K, a.N);
    kern_matmul_forward(&ctx3, fo3, fi, fw, fb, a.M, a.K, a.N);
    float_report("matmul forward", cmp_fd(fo1, a.out, nO), 1e-5);
    same_bits("matmul forward", fo1, fo3, nO);
    float *fdi1 = calloc(nI, 4), *fdw1 = calloc(nW, 4), *fdb1 = calloc(a.N, 4);
    float *fdi3 = calloc(nI, 4), *fdw3 = calloc(nW, 4), *fdb3 = calloc(a.N, 4);
    kern_matmul_backward(&ctx1, fdi1, fdw1, fdb1, fg, fi, fw, a.M, a.K, a.N);
    kern_matmul_backward(&ctx3, fdi3, fdw3, fdb3, fg, fi, fw, a.M, a.K, a.N);
    float_report("matmul backward dinp", cmp_fd(fdi1, dinp, nI), 1e-5);
    float_report("matmul backward dw", cmp_fd(fdw1, dw, nW), 1e-5);
    float_report("matmul backward dbias", cmp_fd(fdb1, db, a.N), 1e-5);
    same_bits("matmul backward dinp", fdi1, fdi3, nI);
    same_bits("matmul backward dw", fdw1, fdw3, nW);
    same_bits("matmul backward dbias", fdb1, fdb3, a.N);

    /* no bias, no dinp */
    kern_matmul_forward_d(&ctx3, a.out, a.inp, a.w, NULL, a.M, a.K, a.N);
    double want = 0;
    for (int k = 0; k < a.K; k++) want += a.inp[2 * a.K + k] * a.w[3 * a.K + k];
    CHECK_REL(a.out[2 * a.N + 3], want, 1e-13);
    kern_matmul_backward_d(&ctx3, NULL, dw, NULL, a.g, a.inp, a.w, a.M, a.K, a.N);
    CHECK(1);

    free(a.inp), free(a.w), free(a.bias), free(a.g), free(a.out), free(dinp), free(dw);
    free(db), free(dw0), free(db0), free(fi), free(fw), free(fb), free(fg), free(fo1);
    free(fo3), free(fdi1), free(fdw1), free(fdb1), free(fdi3), free(fdw3), free(fdb3);
}

// ----------------------------------------------------------------------------
// layernorm

typedef struct {
    int N, C;
    double *inp, *w, *b, *g, *out, *mean, *rstd;
} LnCase;

static double ln_obj(void *a_) {
    LnCase *a = a_;
    kern_layernorm_forward_d(&ctx3, a->out, a->mean, a->rstd, a->inp, a->w, a->b, a->N, a->C,
                             1e-5);
    return dot(a->out, a->g, (size_t)a->N * a->C);
}

static void test_layernorm(void) {
    LnCase a = {11, 24, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    size_t n = (size_t)a.N * a.C;
    a.inp = drand_vec(n, 2);
    for (size_t i = 0; i < n; i++) a.inp[i] += 0.5; /* non-zero mean */
    a.w = drand_vec(a.C, 1);
    a.b = drand_vec(a.C, 1);
    a.g = drand_vec(n, 1);
    a.out = drand_vec(n, 0);
    a.mean = drand_vec(a.N, 0);
    a.rstd = drand_vec(a.N, 0);
    ln_obj(&a);
    /* dinp accumulates: start from a known offset */
    double *dinp0 = drand_vec(n, 1), *dinp = malloc(sizeof(double) * n);
    memcpy(dinp, dinp0, sizeof(double) * n);
    double *dw = drand_vec(a.C, 0), *db = drand_vec(a.C, 0);
    kern_layernorm_backward_d(&ctx3, dinp, dw, db, a.g, a.inp, a.w, a.mean, a.rstd, a.N, a.C);
    for (size_t i = 0; i < n; i++) dinp[i] -= dinp0[i];
    FdStat st = {0};
    fd_compare(&st, a.inp, n, dinp, ln_obj, &a, 10000);
    fd_compare(&st, a.w, a.C, dw, ln_obj, &a, 10000);
    fd_compare(&st, a.b, a.C, db, ln_obj, &a, 10000);
    fd_report("layernorm", &st, 1e-5);

    /* the statistics themselves */
    double mu = 0, var = 0;
    for (int i = 0; i < a.C; i++) mu += a.inp[3 * a.C + i];
    mu /= a.C;
    for (int i = 0; i < a.C; i++) var += (a.inp[3 * a.C + i] - mu) * (a.inp[3 * a.C + i] - mu);
    var /= a.C;
    ln_obj(&a);
    CHECK_REL(a.mean[3], mu, 1e-13);
    CHECK_REL(a.rstd[3], 1 / sqrt(var + 1e-5), 1e-13);

    float *fi = to_float(a.inp, n), *fw = to_float(a.w, a.C), *fb = to_float(a.b, a.C);
    float *fg = to_float(a.g, n), *fo1 = calloc(n, 4), *fo3 = calloc(n, 4);
    float *fm1 = calloc(a.N, 4), *fr1 = calloc(a.N, 4), *fm3 = calloc(a.N, 4);
    float *fr3 = calloc(a.N, 4);
    kern_layernorm_forward(&ctx1, fo1, fm1, fr1, fi, fw, fb, a.N, a.C, 1e-5f);
    kern_layernorm_forward(&ctx3, fo3, fm3, fr3, fi, fw, fb, a.N, a.C, 1e-5f);
    float_report("layernorm forward", cmp_fd(fo1, a.out, n), 1e-5);
    same_bits("layernorm forward", fo1, fo3, n);
    float *fdi1 = calloc(n, 4), *fdw1 = calloc(a.C, 4), *fdb1 = calloc(a.C, 4);
    float *fdi3 = calloc(n, 4), *fdw3 = calloc(a.C, 4), *fdb3 = calloc(a.C, 4);
    kern_layernorm_backward(&ctx1, fdi1, fdw1, fdb1, fg, fi, fw, fm1, fr1, a.N, a.C);
    kern_layernorm_backward(&ctx3, fdi3, fdw3, fdb3, fg, fi, fw, fm3, fr3, a.N, a.C);
    float_report("layernorm backward", cmp_fd(fdi1, dinp, n), 1e-5);
    float_report("layernorm backward dw", cmp_fd(fdw1, dw, a.C), 1e-5);
    same_bits("layernorm backward", fdi1, fdi3, n);
    same_bits("layernorm backward dw", fdw1, fdw3, a.C);
    same_bits("layernorm backward db", fdb1, fdb3, a.C);

    free(a.inp), free(a.w), free(a.b), free(a.g), free(a.out), free(a.mean), free(a.rstd);
    free(dinp0), free(dinp), free(dw), free(db), free(fi), free(fw), free(fb), free(fg);
    free(fo1), free(fo3), free(fm1), free(fr1), free(fm3), free(fr3), free(fdi1), free(fdw1);
    free(fdb1), free(fdi3), free(fdw3), free(fdb3);
}

// ----------------------------------------------------------------------------
// RoPE

typedef struct {
    int B, T, NH, HS;
    double *qkv, *work, *g, *cos_t, *sin_t;
} RopeCase;

static double rope_obj(void *a_) {
    RopeCase *a = a_;
    size_t n = (size_t)a->B * a->T * 3 * a->NH * a->HS;
    memcpy(a->work, a->qkv, sizeof(double) * n);
    kern_rope_forward_d(&ctx3, a->work, a->cos_t, a->sin_t, a->B, a->T, a->NH, a->HS);
    return dot(a->work, a->g, n);
}

static void test_rope(void) {
    RopeCase a = {2, 9, 3, 8, NULL, NULL, NULL, NULL, NULL};
    size_t n = (size_t)a.B * a.T * 3 * a.NH * a.HS, nt = (size_t)a.T * a.HS / 2;
    a.qkv = drand_vec(n, 1);
    a.work = drand_vec(n, 0);
    a.g = drand_vec(n, 1);
    a.cos_t = drand_vec(nt, 0);
    a.sin_t = drand_vec(nt, 0);
    kern_rope_tables_d(a.cos_t, a.sin_t, a.T, a.HS);
    /* tables: angle t·10000^(−2i/HS) */
    CHECK_REL(a.cos_t[5 * 4 + 1], cos(5 * pow(10000.0, -2.0 / 8)), 1e-15);
    CHECK_REL(a.sin_t[7 * 4 + 3], sin(7 * pow(10000.0, -6.0 / 8)), 1e-15);
    double *d = malloc(sizeof(double) * n);
    memcpy(d, a.g, sizeof(double) * n);
    kern_rope_backward_d(&ctx3, d, a.cos_t, a.sin_t, a.B, a.T, a.NH, a.HS);
    FdStat st = {0};
    fd_compare(&st, a.qkv, n, d, rope_obj, &a, 10000);
    fd_report("rope", &st, 1e-5);

    /* rotate-half by hand for one (b, t, h): q at h·3·HS, pairs (i, i + HS/2) */
    rope_obj(&a);
    int b = 1, t = 4, h = 2, i = 1, half = a.HS / 2;
    size_t row = ((size_t)b * a.T + t) * 3 * a.NH * a.HS + (size_t)h * 3 * a.HS;
    double c = a.cos_t[t * half + i], s = a.sin_t[t * half + i];
    double x1 = a.qkv[row + i], x2 = a.qkv[row + i + half];
    CHECK_REL(a.work[row + i], x1 * c - x2 * s, 1e-14);
    CHECK_REL(a.work[row + i + half], x2 * c + x1 * s, 1e-14);
    /* k rotated the same way, v untouched */
    double k1 = a.qkv[row + a.HS + i], k2 = a.qkv[row + a.HS + i + half];
    CHECK_REL(a.work[row + a.HS + i], k1 * c - k2 * s, 1e-14);
    CHECK(a.work[row + 2 * a.HS + i] == a.qkv[row + 2 * a.HS + i]);

    /* float tables follow Hugging Face's float32 arithmetic: within float rounding of exact */
    float *fc = calloc(nt, 4), *fs = calloc(nt, 4);
    kern_rope_tables_f(fc, fs, a.T, a.HS);
    double worst = 0;
    for (size_t k = 0; k < nt; k++)
        worst = fmax(worst, fmax(fabs(fc[k] - a.cos_t[k]), fabs(fs[k] - a.sin_t[k])));
    printf("  %-22s float tables vs exact: max |diff| %.3e\n", "rope", worst);
    CHECK(worst < 1e-6);
    float *fq1 = to_float(a.qkv, n), *fq3 = to_float(a.qkv, n);
    kern_rope_forward(&ctx1, fq1, fc, fs, a.B, a.T, a.NH, a.HS);
    kern_rope_forward(&ctx3, fq3, fc, fs, a.B, a.T, a.NH, a.HS);
    float_report("rope forward", cmp_fd(fq1, a.work, n), 1e-5);
    same_bits("rope forward", fq1, fq3, n);

    free(a.qkv), free(a.work), free(a.g), free(a.cos_t), free(a.sin_t), free(d), free(fc);
    free(fs), free(fq1), free(fq3);
}

// ----------------------------------------------------------------------------
// attention

typedef struct {
    int B, T, C, NH;
    double *qkv, *g, *out, *att;
} AttCase;

static double att_obj(void *a_) {
    AttCase *a = a_;
    kern_attention_forward_d(&ctx3, a->out, a->att, a->qkv, a->B, a->T, a->C, a->NH);
    return dot(a->out, a->g, (size_t)a->B * a->T * a->C);
}

/* Reference: the textbook triple loop, for one output element. */
static double att_naive(const AttCase *a, int b, int t, int h, int d) {
    int HS = a->C / a->NH, C3 = 3 * a->C;
    const double *base = a->qkv + (size_t)b * a->T * C3 + (size_t)h * 3 * HS;
    double m = -INFINITY, sc[256];
    for (int j = 0; j <= t; j++) {
        double s = 0;
        for (int k = 0; k < HS; k++) s += base[(size_t)t * C3 + k] * base[(size_t)j * C3 + HS + k];
        sc[j] = s / sqrt((double)HS);
        m = fmax(m, sc[j]);
    }
    double z = 0, o = 0;
    for (int j = 0; j <= t; j++) z += exp(sc[j] - m);
    for (int j = 0; j <= t; j++) o += exp(sc[j] - m) / z * base[(size_t)j * C3 + 2 * HS + d];
    return o;
}

static void test_attention(void) {
    AttCase a = {2, 70, 12, 3, NULL, NULL, NULL, NULL};
    size_t nq = (size_t)a.B * a.T * 3 * a.C, no = (size_t)a.B * a.T * a.C;
    size_t na = (size_t)a.B * a.NH * a.T * a.T;
    a.qkv = drand_vec(nq, 1.5);
    a.g = drand_vec(no, 1);
    a.out = drand_vec(no, 0);
    a.att = drand_vec(na, 0);
    att_obj(&a);
    int HS = a.C / a.NH;
    CHECK_REL(a.out[((size_t)1 * a.T + 69) * a.C + 2 * HS + 3], att_naive(&a, 1, 69, 2, 3),
              1e-12);
    CHECK_REL(a.out[((size_t)0 * a.T + 5) * a.C + 1 * HS + 0], att_naive(&a, 0, 5, 1, 0), 1e-12);
    CHECK_REL(a.out[((size_t)0 * a.T + 64) * a.C + 0 * HS + 2], att_naive(&a, 0, 64, 0, 2),
              1e-12);
    /* probabilities: rows sum to 1, zero above the diagonal */
    double rowsum = 0;
    const double *prow = a.att + (size_t)(1 * a.NH + 2) * a.T * a.T + 40 * a.T;
    for (int j = 0; j < a.T; j++) rowsum += prow[j];
    CHECK_REL(rowsum, 1.0, 1e-14);
    CHECK(prow[41] == 0);

    double *dqkv = drand_vec(nq, 0), *datt = drand_vec(na, 0);
    kern_attention_backward_d(&ctx3, dqkv, datt, a.g, a.qkv, a.att, a.B, a.T, a.C, a.NH);
    FdStat st = {0};
    fd_compare(&st, a.qkv, nq, dqkv, att_obj, &a, 1500);
    fd_report("attention", &st, 1e-5);

    float *fq = to_float(a.qkv, nq), *fg = to_float(a.g, no);
    float *fo1 = calloc(no, 4), *fo3 = calloc(no, 4), *fa1 = calloc(na, 4), *fa3 = calloc(na, 4);
    float *fd1 = calloc(nq, 4), *fd3 = calloc(nq, 4), *fs = calloc(na, 4);
    att_obj(&a);
    kern_attention_forward(&ctx1, fo1, fa1, fq, a.B, a.T, a.C, a.NH);
    kern_attention_forward(&ctx3, fo3, fa3, fq, a.B, a.T, a.C, a.NH);
    float_report("attention forward", cmp_fd(fo1, a.out, no), 1e-5);
    same_bits("attention forward", fo1, fo3, no);
    same_bits("attention probs", fa1, fa3, na);
    kern_attention_backward(&ctx1, fd1, fs, fg, fq, fa1, a.B, a.T, a.C, a.NH);
    kern_attention_backward(&ctx3, fd3, fs, fg, fq, fa3, a.B, a.T, a.C, a.NH);
    float_report("attention backward", cmp_fd(fd1, dqkv, nq), 1e-5);
    same_bits("attention backward", fd1, fd3, nq);

    free(a.qkv), free(a.g), free(a.out), free(a.att), free(dqkv), free(datt), free(fq);
    free(fg), free(fo1), free(fo3), free(fa1), free(fa3), free(fd1), free(fd3), free(fs);
}

// ----------------------------------------------------------------------------
// GELU, residual

typedef struct {
    size_t n;
    double *x, *y, *g, *x2;
} EwCase;

static double gelu_obj(void *a_) {
    EwCase *a = a_;
    kern_gelu_forward_d(&ctx3, a->y, a->x, a->n);
    return dot(a->y, a->g, a->n);
}
static double residual_obj(void *a_) {
    EwCase *a = a_;
    kern_residual_forward_d(&ctx3, a->y, a->x, a->x2, a->n);
    return dot(a->y, a->g, a->n);
}

static void test_elementwise(void) {
    EwCase a = {1001, NULL, NULL, NULL, NULL};
    a.x = drand_vec(a.n, 6); /* GELU across [-6, 6]: both tails and the bend */
    a.x2 = drand_vec(a.n, 1);
    a.y = drand_vec(a.n, 0);
    a.g = drand_vec(a.n, 1);
    double *d = drand_vec(a.n, 0);
    kern_gelu_backward_d(&ctx3, d, a.x, a.g, a.n);
    FdStat st = {0};
    fd_compare(&st, a.x, a.n, d, gelu_obj, &a, 10000);
    fd_report("gelu", &st, 1e-5);
    gelu_obj(&a);
    /* gelu(x) = x·Φ(x) with Φ from erf */
    CHECK_REL(a.y[17], a.x[17] * 0.5 * (1 + erf(a.x[17] / sqrt(2.0))), 1e-14);

    float *fx = to_float(a.x, a.n), *fg = to_float(a.g, a.n);
    float *fy1 = calloc(a.n, 4), *fy3 = calloc(a.n, 4);
    kern_gelu_forward(&ctx1, fy1, fx, a.n);
    kern_gelu_forward(&ctx3, fy3, fx, a.n);
    float_report("gelu forward", cmp_fd(fy1, a.y, a.n), 1e-6);
    same_bits("gelu forward", fy1, fy3, a.n);
    /* the in-place backward (dinp aliases dout) */
    memcpy(fy1, fg, 4 * a.n);
    kern_gelu_backward(&ctx3, fy1, fx, fy1, a.n);
    float_report("gelu backward", cmp_fd(fy1, d, a.n), 1e-6);

    double *da = drand_vec(a.n, 0), *db = drand_vec(a.n, 0);
    kern_residual_backward_d(&ctx3, da, db, a.g, a.n);
    FdStat s2 = {0}, s3 = {0};
    fd_compare(&s2, a.x, a.n, da, residual_obj, &a, 10000);
    fd_compare(&s3, a.x2, a.n, db, residual_obj, &a, 10000);
    s2.max_rel = fmax(s2.max_rel, s3.max_rel);
    s2.max_abs = fmax(s2.max_abs, s3.max_abs);
    s2.checked += s3.checked;
    fd_report("residual", &s2, 1e-5);

    free(a.x), free(a.x2), free(a.y), free(a.g), free(d), free(fx), free(fg), free(fy1);
    free(fy3), free(da), free(db);
}

// ----------------------------------------------------------------------------
// embedding, cross-entropy

typedef struct {
    int N, C, V;
    int32_t *tok;
    double *wte, *out, *g, *logits, *losses;
} EmbCase;

static double emb_obj(void *a_) {
    EmbCase *a = a_;
    kern_embedding_forward_d(&ctx3, a->out, a->tok, a->wte, a->N, a->C, a->V);
    return dot(a->out, a->g, (size_t)a->N * a->C);
}
static double ce_obj(void *a_) {
    EmbCase *a = a_;
    kern_crossentropy_forward_d(&ctx3, a->losses, NULL, a->logits, a->tok, a->N, a->V, 1.0);
    double s = 0;
    for (int i = 0; i < a->N; i++) s += a->losses[i];
    return s;
}

static void test_embedding_ce(void) {
    EmbCase a = {23, 10, 7, NULL, NULL, NULL, NULL, NULL, NULL};
    a.tok = malloc(sizeof(int32_t) * a.N);
    for (int i = 0; i < a.N; i++) a.tok[i] = (int32_t)((i * 5 + 3) % a.V); /* repeats */
    size_t nw = (size_t)a.V * a.C, no = (size_t)a.N * a.C, nl = (size_t)a.N * a.V;
    a.wte = drand_vec(nw, 1);
    a.out = drand_vec(no, 0);
    a.g = drand_vec(no, 1);
    a.logits = drand_vec(nl, 3);
    a.losses = drand_vec(a.N, 0);
    double *dw = drand_vec(nw, 0);
    kern_embedding_backward_d(&ctx3, dw, a.g, a.tok, a.N, a.C, a.V);
    FdStat st = {0};
    fd_compare(&st, a.wte, nw, dw, emb_obj, &a, 10000);
    fd_report("embedding", &st, 1e-5);

    double *dl = drand_vec(nl, 0);
    kern_crossentropy_forward_d(&ctx3, a.losses, dl, a.logits, a.tok, a.N, a.V, 1.0);
    FdStat s2 = {0};
    fd_compare(&s2, a.logits, nl, dl, ce_obj, &a, 10000);
    fd_report("crossentropy", &s2, 1e-5);
    /* the loss by hand for row 4 */
    double m = -INFINITY, z = 0;
    for (int j = 0; j < a.V; j++) m = fmax(m, a.logits[4 * a.V + j]);
    for (int j = 0; j < a.V; j++) z += exp(a.logits[4 * a.V + j] - m);
    CHECK_REL(a.losses[4], m + log(z) - a.logits[4 * a.V + a.tok[4]], 1e-14);

    float *fl = to_float(a.logits, nl), *fls1 = calloc(a.N, 4), *fls3 = calloc(a.N, 4);
    float *fd1 = calloc(nl, 4), *fd3 = calloc(nl, 4);
    kern_crossentropy_forward(&ctx1, fls1, fd1, fl, a.tok, a.N, a.V, 1.0f);
    kern_crossentropy_forward(&ctx3, fls3, fd3, fl, a.tok, a.N, a.V, 1.0f);
    float_report("crossentropy losses", cmp_fd(fls1, a.losses, a.N), 1e-6);
    float_report("crossentropy dlogits", cmp_fd(fd1, dl, nl), 1e-6);
    same_bits("crossentropy dlogits", fd1, fd3, nl);
    float *fw = to_float(a.wte, nw), *fg = to_float(a.g, no);
    float *fdw1 = calloc(nw, 4), *fdw3 = calloc(nw, 4);
    kern_embedding_backward(&ctx1, fdw1, fg, a.tok, a.N, a.C, a.V);
    kern_embedding_backward(&ctx3, fdw3, fg, a.tok, a.N, a.C, a.V);
    same_bits("embedding backward", fdw1, fdw3, nw);

    free(a.tok), free(a.wte), free(a.out), free(a.g), free(a.logits), free(a.losses), free(dw);
    free(dl), free(fl), free(fls1), free(fls3), free(fd1), free(fd3), free(fw), free(fg);
    free(fdw1), free(fdw3);
}

// ----------------------------------------------------------------------------
// AdamW, norms, scaling

static void test_optimizer(void) {
    const size_t n = 777;
    double *p = drand_vec(n, 1), *g = drand_vec(n, 1), *m = drand_vec(n, 0.1);
    double *v = drand_vec(n, 0);
    for (size_t i = 0; i < n; i++) v[i] = fabs(v[i]) + 0.01 * fabs(g[i]);
    double *p0 = malloc(sizeof(double) * n), *m0 = malloc(sizeof(double) * n);
    double *v0 = malloc(sizeof(double) * n);
    memcpy(p0, p, sizeof(double) * n), memcpy(m0, m, sizeof(double) * n);
    memcpy(v0, v, sizeof(double) * n);
    const double lr = 1e-3, b1 = 0.9, b2 = 0.95, eps = 1e-8, wd = 0.1;
    const int step = 3;
    kern_adamw_d(&ctx3, p, g, m, v, n, lr, b1, b2, eps, wd, step);
    double worst = 0;
    for (size_t i = 0; i < n; i++) { /* the paper's algorithm, written out */
        double mi = b1 * m0[i] + (1 - b1) * g[i], vi = b2 * v0[i] + (1 - b2) * g[i] * g[i];
        double mhat = mi / (1 - pow(b1, step)), vhat = vi / (1 - pow(b2, step));
        double pi = p0[i] * (1 - lr * wd) - lr * mhat / (sqrt(vhat) + eps);
        worst = fmax(worst, fabs(pi - p[i]) + fabs(mi - m[i]) + fabs(vi - v[i]));
    }
    printf("  %-22s max |diff| vs written-out AdamW %.3e\n", "adamw", worst);
    CHECK(worst < 1e-12);

    /* float AdamW, 1 vs 3 threads */
    float *fp1 = to_float(p0, n), *fp3 = to_float(p0, n), *fg = to_float(g, n);
    float *fm1 = to_float(m0, n), *fm3 = to_float(m0, n), *fv1 = to_float(v0, n);
    float *fv3 = to_float(v0, n);
    kern_adamw(&ctx1, fp1, fg, fm1, fv1, n, 1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, step);
    kern_adamw(&ctx3, fp3, fg, fm3, fv3, n, 1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, step);
    float_report("adamw params", cmp_fd(fp1, p, n), 1e-6);
    same_bits("adamw params", fp1, fp3, n);

    /* sums of squares: whole and in segments */
    double want = 0;
    for (size_t i = 0; i < n; i++) want += g[i] * g[i];
    double got1 = 0, got3 = 0;
    kern_sumsq(&ctx1, &got1, fg, n);
    kern_sumsq(&ctx3, &got3, fg, n);
    CHECK_REL(got1, want, 1e-6);
    CHECK_REL(got3, got1, 1e-14);
    size_t off[3] = {0, 100, 400}, len[3] = {100, 300, 377};
    double seg[3];
    kern_segment_sumsq_d(&ctx3, seg, g, off, len, 3);
    double s1 = 0;
    for (size_t i = 100; i < 400; i++) s1 += g[i] * g[i];
    CHECK_REL(seg[1], s1, 1e-13);
    CHECK_REL(seg[0] + seg[1] + seg[2], want, 1e-13);
    kern_scale(&ctx3, fg, n, 0.5f);
    CHECK(fg[5] == (float)g[5] * 0.5f);
    kern_zero(&ctx3, fg, n);
    CHECK(fg[0] == 0 && fg[n - 1] == 0);

    free(p), free(g), free(m), free(v), free(p0), free(m0), free(v0), free(fp1), free(fp3);
    free(fg), free(fm1), free(fm3), free(fv1), free(fv3);
}

int main(void) {
    CHECK_STATUS(kern_ctx_init(&ctx1, KERN_CPU, 1));
    CHECK_STATUS(kern_ctx_init(&ctx3, KERN_CPU, 3));
    KernCtx bad;
    CHECK(kern_ctx_init(&bad, KERN_CPU, 0) == DW_EINVAL);
    KernOptions o = {KERN_CPU, 1, KERN_MATH_BF16, 0, NULL};
    CHECK(kern_ctx_open(&bad, &o) == DW_EINVAL); /* the CPU computes in fp32 only */
    o.math = 7;
    CHECK(kern_ctx_open(&bad, &o) == DW_EINVAL);
    /* the CUDA library at a path that does not exist: a clean DW_EDEVICE that says so (a
     * library that exists but finds no GPU is tests/cli_cuda.sh's and gpu_backend's) */
    KernOptions oc = {KERN_CUDA, 1, KERN_MATH_FP32, 0, "/nonexistent/libdwplan_cuda.so"};
    CHECK(kern_ctx_open(&bad, &oc) == DW_EDEVICE && strstr(dw_error_get(), "does not exist"));
    oc.device = -1;
    CHECK(kern_ctx_open(&bad, &oc) == DW_EINVAL);
    CHECK(kern_backend_parse("cuda") == KERN_CUDA && kern_backend_parse("CPU") == KERN_CPU &&
          kern_backend_parse("tpu") == -1);
    CHECK(kern_math_parse("bf16") == KERN_MATH_BF16 && kern_math_parse("tf32") == KERN_MATH_TF32 &&
          kern_math_parse("fp16") == -1);
    CHECK(!strcmp(kern_math_name(KERN_MATH_FP32), "fp32"));
    printf("BLAS: %s\n", kern_cpu_blas_info());
    test_matmul();
    test_layernorm();
    test_rope();
    test_attention();
    test_elementwise();
    test_embedding_ce();
    test_optimizer();
    kern_ctx_free(&ctx1);
    kern_ctx_free(&ctx3);
    return check_done("test_kern");
}
