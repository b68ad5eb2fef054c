/* tests/gpu_backend.c — the CUDA backend (kernels/cuda/) against the CPU backend.
 *
 *   1. every operation of kernels/kern.h on random inputs of odd sizes: the CUDA result
 *      against the CPU backend's, as the largest absolute difference over the largest
 *      reference magnitude (≤ 1e-5 with fp32 GEMMs; ≤ 2e-2 for the GEMM-based ops with
 *      bf16 GEMMs, whose inputs are rounded to 8 significant bits);
 *   2. one whole training step of the probe model (forward, backward, per-layer gradient
 *      norms, clipping, AdamW) on both backends from the same initialisation: loss,
 *      gradients and updated parameters to 1e-5; the same step with bf16 GEMMs to 2e-2;
 *   3. ten training steps: the losses agree to 1e-4 at every step.
 *
 * Run against the library in $DWPLAN_CUDA_LIB (CMake sets it): libdwplan_cuda.so on a GPU
 * machine — where there is no GPU, driver or library the test prints why and exits 77
 * (skipped) — or, with --emulator, libdwplan_cudaemu.so, the same kernel source compiled
 * for the CPU emulator of kernels/cuda/emu/, where failing to open is a failure. Pass
 * --big for larger shapes as well (a real GPU; slow on the emulator).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/dw.h"
#include "../kernels/kern.h"
#include "../kernels/kern_math.h"
#include "../probe/model.h"
#include "check.h"

static KernCtx cpu, gpu;

// ----------------------------------------------------------------------------
// helpers

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static float urand(void) { /* [-1, 1) */
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((double)(rng_state >> 11) / 4503599627370496.0 - 1.0);
}
static float *rvec(size_t n, float scale) {
    float *x = malloc(sizeof(float) * (n ? n : 1));
    DW_ASSERT(x);
    for (size_t i = 0; i < n; i++) x[i] = scale * urand();
    return x;
}
/* device copy of a host vector (of bytes) */
static void *up(KernCtx *g, const void *h, size_t bytes) {
    void *d = kern_alloc(g, bytes);
    DW_ASSERT(d);
    CHECK_STATUS(kern_upload(g, d, h, bytes));
    return d;
}

/* max |a − b| / max |b| over n host floats */
static double host_err(const float *a, const float *b, size_t n) {
    double dmax = 0, bmax = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= dmax)) dmax = d; /* NaN propagates */
        if (fabs(b[i]) > bmax) bmax = fabs(b[i]);
    }
    return dmax / (bmax > 0 ? bmax : 1);
}

/* host_err of a device vector against a host reference */
static double dev_err(KernCtx *g, const float *dev, const float *want, size_t n) {
    float *h = malloc(sizeof(float) * (n ? n : 1));
    DW_ASSERT(h);
    double e = INFINITY;
    if (kern_download(g, h, dev, sizeof(float) * n))
        fprintf(stderr, "download: %s\n", dw_error_get());
    else
        e = host_err(h, want, n);
    free(h);
    return e;
}

#define CMP(name, g, dev, want, n, tol)                                                       \
    do {                                                                                      \
        double e_ = dev_err((g), (dev), (want), (n));                                         \
        printf("  %-34s rel err %.2e (tol %.0e)\n", (name), e_, (double)(tol));              \
        CHECK(e_ <= (tol));                                                                   \
    } while (0)

// ----------------------------------------------------------------------------
// 1. operations

typedef struct {
    int B, T, C, NH, V, F;
} Shape;

static void test_matmul(KernCtx *g, int M, int K, int N, double tol) {
    float *inp = rvec((size_t)M * K, 1), *w = rvec((size_t)N * K, 0.5f), *bias = rvec(N, 1);
    float *out = rvec((size_t)M * N, 1);
    float *dout = rvec((size_t)M * N, 1), *dinp = rvec((size_t)M * K, 1);
    float *dw = rvec((size_t)N * K, 1), *dbias = rvec(N, 1); /* accumulate onto these */
    float *d_inp = up(g, inp, sizeof(float) * M * K), *d_w = up(g, w, sizeof(float) * N * K);
    float *d_bias = up(g, bias, sizeof(float) * N), *d_out = up(g, out, sizeof(float) * M * N);
    float *d_dout = up(g, dout, sizeof(float) * M * N), *d_dinp = up(g, dinp, sizeof(float) * M * K);
    float *d_dw = up(g, dw, sizeof(float) * N * K), *d_dbias = up(g, dbias, sizeof(float) * N);
    char name[64];

    CHECK_STATUS(kern_matmul_forward(&cpu, out, inp, w, bias, M, K, N));
    CHECK_STATUS(kern_matmul_forward(g, d_out, d_inp, d_w, d_bias, M, K, N));
    snprintf(name, sizeof name, "matmul_forward %dx%dx%d", M, K, N);
    CMP(name, g, d_out, out, (size_t)M * N, tol);
    CHECK_STATUS(kern_matmul_forward(&cpu, out, inp, w, NULL, M, K, N));
    CHECK_STATUS(kern_matmul_forward(g, d_out, d_inp, d_w, NULL, M, K, N));
    CMP("matmul_forward, no bias", g, d_out, out, (size_t)M * N, tol);

    CHECK_STATUS(kern_matmul_backward(&cpu, dinp, dw, dbias, dout, inp, w, M, K, N));
    CHECK_STATUS(kern_matmul_backward(g, d_dinp, d_dw, d_dbias, d_dout, d_inp, d_w, M, K, N));
    CMP("matmul_backward dinp", g, d_dinp, dinp, (size_t)M * K, tol);
    CMP("matmul_backward dw (accumulated)", g, d_dw, dw, (size_t)N * K, tol);
    CMP("matmul_backward dbias (accumulated)", g, d_dbias, dbias, N, tol);

    free(inp), free(w), free(bias), free(out), free(dout), free(dinp), free(dw), free(dbias);
    kern_release(g, d_inp), kern_release(g, d_w), kern_release(g, d_bias);
    kern_release(g, d_out), kern_release(g, d_dout), kern_release(g, d_dinp);
    kern_release(g, d_dw), kern_release(g, d_dbias);
}

static void test_layernorm(KernCtx *g, int N, int C) {
    size_t n = (size_t)N * C;
    float *inp = rvec(n, 2), *w = rvec(C, 1), *b = rvec(C, 1), *out = rvec(n, 1);
    float *mean = rvec(N, 1), *rstd = rvec(N, 1);
    for (size_t i = 0; i < n; i++) inp[i] += (float)(i % 7); /* rows with an offset */
    float *d_inp = up(g, inp, 4 * n), *d_w = up(g, w, 4 * C), *d_b = up(g, b, 4 * C);
    float *d_out = up(g, out, 4 * n), *d_mean = up(g, mean, 4 * N), *d_rstd = up(g, rstd, 4 * N);
    CHECK_STATUS(kern_layernorm_forward(&cpu, out, mean, rstd, inp, w, b, N, C, 1e-5f));
    CHECK_STATUS(kern_layernorm_forward(g, d_out, d_mean, d_rstd, d_inp, d_w, d_b, N, C, 1e-5f));
    CMP("layernorm_forward out", g, d_out, out, n, 1e-5);
    CMP("layernorm_forward mean", g, d_mean, mean, N, 1e-5);
    CMP("layernorm_forward rstd", g, d_rstd, rstd, N, 1e-5);

    float *dout = rvec(n, 1), *dinp = rvec(n, 1), *dw = rvec(C, 1), *db = rvec(C, 1);
    float *d_dout = up(g, dout, 4 * n), *d_dinp = up(g, dinp, 4 * n);
    float *d_dw = up(g, dw, 4 * C), *d_db = up(g, db, 4 * C);
    CHECK_STATUS(kern_layernorm_backward(&cpu, dinp, dw, db, dout, inp, w, mean, rstd, N, C));
    CHECK_STATUS(kern_layernorm_backward(g, d_dinp, d_dw, d_db, d_dout, d_inp, d_w, d_mean,
                                         d_rstd, N, C));
    CMP("layernorm_backward dinp (accum.)", g, d_dinp, dinp, n, 1e-5);
    CMP("layernorm_backward dw", g, d_dw, dw, C, 1e-5);
    CMP("layernorm_backward db", g, d_db, db, C, 1e-5);
    free(inp), free(w), free(b), free(out), free(mean), free(rstd);
    free(dout), free(dinp), free(dw), free(db);
    kern_release(g, d_inp), kern_release(g, d_w), kern_release(g, d_b), kern_release(g, d_out);
    kern_release(g, d_mean), kern_release(g, d_rstd), kern_release(g, d_dout);
    kern_release(g, d_dinp), kern_release(g, d_dw), kern_release(g, d_db);
}

static void test_attention_rope(KernCtx *g, Shape s, double tol) {
    int B = s.B, T = s.T, C = s.C, NH = s.NH, HS = C / NH;
    size_t nqkv = (size_t)B * T * 3 * C, natt = (size_t)B * NH * T * T, nout = (size_t)B * T * C;
    float *cos_t = malloc(sizeof(float) * T * (HS / 2)), *sin_t = malloc(sizeof(float) * T * (HS / 2));
    kern_rope_tables_f(cos_t, sin_t, T, HS);
    float *d_cos = up(g, cos_t, sizeof(float) * T * (HS / 2));
    float *d_sin = up(g, sin_t, sizeof(float) * T * (HS / 2));
    float *qkv = rvec(nqkv, 1), *d_qkv = up(g, qkv, 4 * nqkv);
    CHECK_STATUS(kern_rope_forward(&cpu, qkv, cos_t, sin_t, B, T, NH, HS));
    CHECK_STATUS(kern_rope_forward(g, d_qkv, d_cos, d_sin, B, T, NH, HS));
    CMP("rope_forward", g, d_qkv, qkv, nqkv, 1e-6);

    float *att = rvec(natt, 1), *out = rvec(nout, 1);
    float *d_att = up(g, att, 4 * natt), *d_out = up(g, out, 4 * nout);
    CHECK_STATUS(kern_attention_forward(&cpu, out, att, qkv, B, T, C, NH));
    CHECK_STATUS(kern_attention_forward(g, d_out, d_att, d_qkv, B, T, C, NH));
    CMP("attention_forward out", g, d_out, out, nout, tol);
    CMP("attention_forward att", g, d_att, att, natt, tol);

    float *dout = rvec(nout, 1), *dqkv = rvec(nqkv, 1), *datt = rvec(natt, 1);
    float *d_dout = up(g, dout, 4 * nout), *d_dqkv = up(g, dqkv, 4 * nqkv);
    float *d_datt = up(g, datt, 4 * natt);
    CHECK_STATUS(kern_attention_backward(&cpu, dqkv, datt, dout, qkv, att, B, T, C, NH));
    CHECK_STATUS(kern_attention_backward(g, d_dqkv, d_datt, d_dout, d_qkv, d_att, B, T, C, NH));
    CMP("attention_backward dqkv", g, d_dqkv, dqkv, nqkv, tol);
    CHECK_STATUS(kern_rope_backward(&cpu, dqkv, cos_t, sin_t, B, T, NH, HS));
    CHECK_STATUS(kern_rope_backward(g, d_dqkv, d_cos, d_sin, B, T, NH, HS));
    CMP("rope_backward", g, d_dqkv, dqkv, nqkv, tol);

    free(cos_t), free(sin_t), free(qkv), free(att), free(out), free(dout), free(dqkv), free(datt);
    kern_release(g, d_cos), kern_release(g, d_sin), kern_release(g, d_qkv);
    kern_release(g, d_att), kern_release(g, d_out), kern_release(g, d_dout);
    kern_release(g, d_dqkv), kern_release(g, d_datt);
}

static void test_elementwise(KernCtx *g, size_t n) {
    float *x = rvec(n, 4), *y = rvec(n, 1), *o = rvec(n, 1);
    float *d_x = up(g, x, 4 * n), *d_y = up(g, y, 4 * n), *d_o = up(g, o, 4 * n);
    CHECK_STATUS(kern_gelu_forward(&cpu, o, x, n));
    CHECK_STATUS(kern_gelu_forward(g, d_o, d_x, n));
    CMP("gelu_forward", g, d_o, o, n, 1e-6);
    CHECK_STATUS(kern_gelu_backward(&cpu, o, x, y, n));
    CHECK_STATUS(kern_gelu_backward(g, d_o, d_x, d_y, n));
    CMP("gelu_backward", g, d_o, o, n, 1e-6);
    CHECK_STATUS(kern_residual_forward(&cpu, o, x, y, n));
    CHECK_STATUS(kern_residual_forward(g, d_o, d_x, d_y, n));
    CMP("residual_forward", g, d_o, o, n, 0);
    CHECK_STATUS(kern_residual_backward(&cpu, x, y, o, n));
    CHECK_STATUS(kern_residual_backward(g, d_x, d_y, d_o, n));
    CMP("residual_backward da", g, d_x, x, n, 0);
    CMP("residual_backward db", g, d_y, y, n, 0);
    CHECK_STATUS(kern_scale(&cpu, x, n, 0.37f));
    CHECK_STATUS(kern_scale(g, d_x, n, 0.37f));
    CMP("scale", g, d_x, x, n, 0);

    double s_cpu = 0, s_gpu = 0;
    CHECK_STATUS(kern_sumsq(&cpu, &s_cpu, x, n));
    CHECK_STATUS(kern_sumsq(g, &s_gpu, d_x, n));
    printf("  %-34s %.12g vs %.12g\n", "sumsq", s_gpu, s_cpu);
    CHECK_REL(s_gpu, s_cpu, 1e-12);
    size_t off[3] = {0, n / 3, n / 2}, len[3] = {n / 3, 1, n - n / 2};
    double seg_cpu[3], seg_gpu[3];
    CHECK_STATUS(kern_segment_sumsq(&cpu, seg_cpu, x, off, len, 3));
    CHECK_STATUS(kern_segment_sumsq(g, seg_gpu, d_x, off, len, 3));
    for (int k = 0; k < 3; k++) CHECK_REL(seg_gpu[k], seg_cpu[k], 1e-12);

    /* AdamW, three steps with and without weight decay */
    float *p = rvec(n, 1), *m = rvec(n, 0.01f), *v = rvec(n, 0.01f);
    for (size_t i = 0; i < n; i++) v[i] = fabsf(v[i]);
    float *d_p = up(g, p, 4 * n), *d_m = up(g, m, 4 * n), *d_v = up(g, v, 4 * n);
    for (int step = 1; step <= 3; step++) {
        float wd = step == 2 ? 0.0f : 0.1f;
        CHECK_STATUS(kern_adamw(&cpu, p, y, m, v, n, 1e-2f, 0.9f, 0.95f, 1e-8f, wd, step));
        CHECK_STATUS(kern_adamw(g, d_p, d_y, d_m, d_v, n, 1e-2f, 0.9f, 0.95f, 1e-8f, wd, step));
    }
    CMP("adamw params", g, d_p, p, n, 1e-6);
    CMP("adamw m", g, d_m, m, n, 1e-6);
    CMP("adamw v", g, d_v, v, n, 1e-6);
    CHECK_STATUS(kern_zero(g, d_p, n));
    memset(p, 0, 4 * n);
    CMP("zero", g, d_p, p, n, 0);

    free(x), free(y), free(o), free(p), free(m), free(v);
    kern_release(g, d_x), kern_release(g, d_y), kern_release(g, d_o);
    kern_release(g, d_p), kern_release(g, d_m), kern_release(g, d_v);
}

static void test_embedding_ce(KernCtx *g, int N, int C, int V) {
    int32_t *tok = malloc(sizeof(int32_t) * N);
    for (int i = 0; i < N; i++) tok[i] = (int32_t)((unsigned)(i * 7 + i / 3) % (unsigned)(V / 2));
    float *wte = rvec((size_t)V * C, 1), *out = rvec((size_t)N * C, 1);
    int32_t *d_tok = up(g, tok, sizeof(int32_t) * N);
    float *d_wte = up(g, wte, 4 * (size_t)V * C), *d_out = up(g, out, 4 * (size_t)N * C);
    CHECK_STATUS(kern_embedding_forward(&cpu, out, tok, wte, N, C, V));
    CHECK_STATUS(kern_embedding_forward(g, d_out, d_tok, d_wte, N, C, V));
    CMP("embedding_forward", g, d_out, out, (size_t)N * C, 0);
    CHECK_STATUS(kern_embedding_backward(&cpu, wte, out, tok, N, C, V));
    CHECK_STATUS(kern_embedding_backward(g, d_wte, d_out, d_tok, N, C, V));
    /* the same additions in the same order as the CPU: bit for bit */
    CMP("embedding_backward (repeated ids)", g, d_wte, wte, (size_t)V * C, 0);

    float *logits = rvec((size_t)N * V, 6), *losses = rvec(N, 1), *dl = rvec((size_t)N * V, 1);
    float *d_logits = up(g, logits, 4 * (size_t)N * V), *d_losses = up(g, losses, 4 * N);
    float *d_dl = up(g, dl, 4 * (size_t)N * V);
    CHECK_STATUS(kern_crossentropy_forward(&cpu, losses, dl, logits, tok, N, V, 1.0f / N));
    CHECK_STATUS(kern_crossentropy_forward(g, d_losses, d_dl, d_logits, d_tok, N, V, 1.0f / N));
    CMP("crossentropy losses", g, d_losses, losses, N, 1e-6);
    CMP("crossentropy dlogits", g, d_dl, dl, (size_t)N * V, 1e-6);
    CHECK_STATUS(kern_crossentropy_forward(g, d_losses, NULL, d_logits, d_tok, N, V, 1.0f));
    CMP("crossentropy losses, no dlogits", g, d_losses, losses, N, 1e-6);

    free(tok), free(wte), free(out), free(logits), free(losses), free(dl);
    kern_release(g, d_tok), kern_release(g, d_wte), kern_release(g, d_out);
    kern_release(g, d_logits), kern_release(g, d_losses), kern_release(g, d_dl);
}

static void test_ops(KernCtx *g, Shape s, double gemm_tol) {
    int BT = s.B * s.T;
    test_matmul(g, BT, s.C, 3 * s.C, gemm_tol);
    test_matmul(g, BT, s.F, s.C, gemm_tol);
    if (g->math != KERN_MATH_FP32) return; /* the rest has no GEMM but attention */
    test_layernorm(g, BT, s.C);
    test_attention_rope(g, s, gemm_tol);
    test_elementwise(g, (size_t)BT * s.F + 3);
    test_embedding_ce(g, BT, s.C, s.V);
}

// ----------------------------------------------------------------------------
// 2, 3. the model

static ProbeModel *model_on(const ProbeModelConfig *c, int B, int T, int backend, int math) {
    ProbeDevice d;
    probe_device_default(&d);
    d.backend = backend;
    d.math = math;
    ProbeModel *m = probe_model_alloc_dev(c, B, T, &d, PROBE_F32);
    if (!m) fprintf(stderr, "model on %s: %s\n", kern_backend_name(backend), dw_error_get());
    return m;
}

static void batch_(int32_t *in, int32_t *tg, int n, int V, int step) {
    for (int i = 0; i < n; i++) {
        in[i] = (int32_t)((unsigned)(i * 31 + step * 17 + (i * i) % 13) % (unsigned)V);
        tg[i] = (int32_t)((unsigned)(in[i] * 3 + 1 + (i % 5)) % (unsigned)V);
    }
}

/* The same model on the CPU (*a) and on the GPU with GEMMs in `math` (*g); 0, or -1 with
 * neither allocated. */
static int model_pair(const ProbeModelConfig *c, int B, int T, int math, ProbeModel **a,
                      ProbeModel **g) {
    *a = model_on(c, B, T, KERN_CPU, KERN_MATH_FP32);
    *g = model_on(c, B, T, KERN_CUDA, math);
    CHECK(*a && *g);
    if (*a && *g) return 0;
    probe_model_free(*a);
    probe_model_free(*g);
    return -1;
}

static void test_model_step(const ProbeModelConfig *c, int B, int T, int math, double tol) {
    ProbeModel *a, *g;
    if (model_pair(c, B, T, math, &a, &g)) return;
    int32_t *in = malloc(sizeof(int32_t) * B * T), *tg = malloc(sizeof(int32_t) * B * T);
    batch_(in, tg, B * T, c->vocab, 0);
    probe_model_init(a, 5);
    probe_model_init(g, 5);
    size_t n;
    const float *pa = probe_model_block(a, 0, &n), *pg = probe_model_block(g, 0, NULL);
    CHECK(pg && host_err(pg, pa, n) == 0); /* initialised on the host, uploaded */

    float la = probe_model_forward(a, in, tg, B, T), lg = probe_model_forward(g, in, tg, B, T);
    printf("  step 1 (%s GEMMs): loss %.7f vs CPU %.7f\n", kern_math_name(math), lg, la);
    CHECK_REL(lg, la, tol);
    const float *xa = probe_model_logits(a), *xg = probe_model_logits(g);
    CHECK(xg && host_err(xg, xa, (size_t)B * T * c->vocab) <= tol);
    probe_model_zero_grad(a), probe_model_zero_grad(g);
    probe_model_backward(a), probe_model_backward(g);
    const float *ga = probe_model_block(a, 1, NULL), *gg = probe_model_block(g, 1, NULL);
    double eg = gg ? host_err(gg, ga, n) : INFINITY;
    printf("  gradients: rel err %.2e (tol %.0e)\n", eg, tol);
    CHECK(eg <= tol);
    int L = c->depth;
    double na[64], ng[64], aa[64], ag[64];
    probe_model_grad_norms(a, na, aa, NULL);
    probe_model_grad_norms(g, ng, ag, NULL);
    for (int l = 0; l < L && l < 64; l++) {
        CHECK_REL(ng[l], na[l], tol);
        CHECK_REL(ag[l], aa[l], tol);
    }
    double ca = probe_model_clip_grad(a, 0.5), cg = probe_model_clip_grad(g, 0.5);
    CHECK_REL(cg, ca, tol);
    probe_model_adamw(a, 1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 1);
    probe_model_adamw(g, 1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 1);
    pa = probe_model_block(a, 0, NULL);
    pg = probe_model_block(g, 0, NULL);
    double ep = pg ? host_err(pg, pa, n) : INFINITY;
    printf("  parameters after AdamW: rel err %.2e\n", ep);
    CHECK(ep <= tol);
    const float *va = probe_model_block(a, 3, NULL), *vg = probe_model_block(g, 3, NULL);
    CHECK(vg && host_err(vg, va, n) <= 2 * tol); /* squares of the gradients */
    CHECK(probe_model_status(g) == DW_OK);

    /* a host write reaches the device with probe_model_commit */
    float *pw = probe_model_block(g, 0, NULL);
    if (pw) {
        float *pca = probe_model_block(a, 0, NULL);
        memcpy(pw, pca, sizeof(float) * n);
        CHECK_STATUS(probe_model_commit(g, 0));
        la = probe_model_forward(a, in, tg, B, T);
        lg = probe_model_forward(g, in, tg, B, T);
        CHECK_REL(lg, la, tol);
    }
    free(in), free(tg);
    probe_model_free(a);
    probe_model_free(g);
}

static void test_model_ten_steps(const ProbeModelConfig *c, int B, int T) {
    ProbeModel *a, *g;
    if (model_pair(c, B, T, KERN_MATH_FP32, &a, &g)) return;
    int32_t *in = malloc(sizeof(int32_t) * B * T), *tg = malloc(sizeof(int32_t) * B * T);
    probe_model_init(a, 11);
    probe_model_init(g, 11);
    double worst = 0;
    for (int s = 1; s <= 10; s++) {
        batch_(in, tg, B * T, c->vocab, s);
        float la = probe_model_forward(a, in, tg, B, T), lg = probe_model_forward(g, in, tg, B, T);
        double d = fabs((double)lg - (double)la);
        if (!(d <= worst)) worst = d;
        CHECK_ABS(lg, la, 1e-4);
        ProbeModel *ms[2] = {a, g};
        for (int k = 0; k < 2; k++) {
            probe_model_zero_grad(ms[k]);
            probe_model_backward(ms[k]);
            probe_model_clip_grad(ms[k], 1.0);
            probe_model_adamw(ms[k], 3e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, s);
        }
        if (s == 1 || s == 10) printf("  step %2d: loss %.6f vs CPU %.6f\n", s, lg, la);
    }
    printf("  ten steps: largest loss difference %.2e (tol 1e-4)\n", worst);
    CHECK(probe_model_status(g) == DW_OK);
    free(in), free(tg);
    probe_model_free(a);
    probe_model_free(g);
}

// ----------------------------------------------------------------------------

int main(int argc, char **argv) {
    int emulator = 0, big = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--emulator")) emulator = 1;
        else if (!strcmp(argv[i], "--big")) big = 1;
        else {
            fprintf(stderr, "usage: gpu_backend [--emulator] [--big]\n");
            return 2;
        }
    }
    KernOptions o = {KERN_CUDA, 1, KERN_MATH_FP32, 0, NULL};
    if (kern_ctx_open(&gpu, &o)) {
        printf("gpu_backend: %s\n", dw_error_get());
        if (emulator) {
            fprintf(stderr, "gpu_backend: the emulator library must open\n");
            return 1;
        }
        printf("gpu_backend: skipped (no usable CUDA device)\n");
        return 77;
    }
    CHECK_STATUS(kern_ctx_init(&cpu, KERN_CPU, 1));
    printf("gpu_backend: %s\n", gpu.device);
    CHECK(gpu.backend == KERN_CUDA && !gpu.host_memory && gpu.ops_d == NULL);

    /* odd sizes: rows not a multiple of a warp, heads of 6, T not a power of two */
    Shape small = {2, 13, 24, 4, 37, 96};
    printf("operations, fp32 GEMMs (B %d, T %d, C %d, heads %d, V %d):\n", small.B, small.T,
           small.C, small.NH, small.V);
    test_ops(&gpu, small, 1e-5);
    if (big) {
        Shape s = {4, 256, 512, 8, 1000, 2048};
        printf("operations, fp32, larger (B %d, T %d, C %d):\n", s.B, s.T, s.C);
        test_ops(&gpu, s, 1e-5);
    }

    KernCtx tf;
    KernOptions ot = o;
    ot.math = KERN_MATH_TF32;
    if (kern_ctx_open(&tf, &ot) == DW_OK) {
        /* TF32 keeps 11 significant bits: 2^-11 ≈ 5e-4 per input, a few of them per sum */
        printf("operations, tf32 GEMMs:\n");
        test_ops(&tf, small, 5e-3);
        test_attention_rope(&tf, small, 5e-3);
        kern_ctx_free(&tf);
    } else {
        printf("tf32 GEMMs not available here: %s\n", dw_error_get());
    }

    KernCtx bf;
    KernOptions ob = o;
    ob.math = KERN_MATH_BF16;
    int have_bf16 = kern_ctx_open(&bf, &ob) == DW_OK;
    if (have_bf16) {
        printf("operations, bf16 GEMMs:\n");
        test_ops(&bf, small, 2e-2);
        Shape sa = small;
        test_attention_rope(&bf, sa, 2e-2);
        kern_ctx_free(&bf);
    } else {
        printf("bf16 GEMMs not available here: %s\n", dw_error_get());
    }

    ProbeModelConfig c;
    probe_model_config_default(&c);
    c.depth = 2, c.width = 32, c.heads = 2, c.vocab = 61, c.seq_len = 16;
    printf("model: depth %d, width %d, heads %d, vocab %d, batch 2 x 16:\n", c.depth, c.width,
           c.heads, c.vocab);
    test_model_step(&c, 2, 16, KERN_MATH_FP32, 1e-5);
    if (have_bf16) test_model_step(&c, 2, 16, KERN_MATH_BF16, 2e-2);
    test_model_ten_steps(&c, 2, 16);
    if (big) {
        ProbeModelConfig cb = c;
        cb.depth = 4, cb.width = 256, cb.heads = 4, cb.vocab = 256, cb.seq_len = 128;
        printf("model, larger: depth 4, width 256, 8 x 128:\n");
        test_model_step(&cb, 8, 128, KERN_MATH_FP32, 1e-4);
        test_model_ten_steps(&cb, 8, 128);
    }

    /* a bad argument is an error, not a crash */
    CHECK(kern_layernorm_forward(&gpu, NULL, NULL, NULL, NULL, NULL, NULL, 4, 4, 1e-5f) ==
          DW_EINVAL);
    printf("  bad argument: %s\n", dw_error_get());

    kern_ctx_free(&gpu);
    kern_ctx_free(&cpu);
    return check_done(emulator ? "gpu_backend (emulator)" : "gpu_backend");
}
