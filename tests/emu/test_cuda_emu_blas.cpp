/* tests/emu/test_cuda_emu_blas.cpp — the CUDA emulator's cuBLAS (kernels/cuda/emu/): GEMMs
 * in every transpose combination, strided batches and padded leading dimensions against a
 * double-precision loop, the TF32/bf16 compute types against the same loop on rounded
 * inputs, argument errors, and the rounding functions themselves. Run by test_cuda_emu.cpp's
 * main (test_cuda_emu_blas).
 */
#include "emu_test.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

// ============================================================================================
// cuBLAS
// ============================================================================================

/* One column-major GEMM problem with padded leading dimensions, host and device copies. */
struct Gemm {
    bool ta, tb;
    int m, n, k, lda, ldb, ldc, batch;
    long long sa, sb, sc;
    std::vector<float> A, B, C0;
    float *dA = nullptr, *dB = nullptr, *dC = nullptr;

    Gemm(bool ta_, bool tb_, int m_, int n_, int k_, int batch_ = 1, bool shared_b = false)
        : ta(ta_), tb(tb_), m(m_), n(n_), k(k_), batch(batch_) {
        lda = a_rows() + 3, ldb = b_rows() + 2, ldc = m + 1;
        sa = (long long)lda * a_cols() + 5;
        sb = shared_b ? 0 : (long long)ldb * b_cols() + 1;
        sc = (long long)ldc * n + 7;
        A.resize(size(sa, lda, a_cols())), B.resize(size(sb, ldb, b_cols()));
        C0.resize(size(sc, ldc, n));
        for (float &v : A) v = rnd_unit();
        for (float &v : B) v = rnd_unit();
        for (float &v : C0) v = rnd_unit();
        dA = upload(A), dB = upload(B), dC = upload(C0);
    }
    ~Gemm() { cudaFree(dA), cudaFree(dB), cudaFree(dC); }
    int a_rows() const { return ta ? k : m; }
    int a_cols() const { return ta ? m : k; }
    int b_rows() const { return tb ? n : k; }
    int b_cols() const { return tb ? k : n; }
    size_t size(long long stride, int ld, int cols) const {
        return (size_t)((batch - 1) * stride + (long long)ld * cols);
    }
    cublasOperation_t opa() const { return ta ? CUBLAS_OP_T : CUBLAS_OP_N; }
    cublasOperation_t opb() const { return tb ? CUBLAS_OP_T : CUBLAS_OP_N; }

    /* Counts elements of the device result that differ from the double-precision product of
     * (rounded) inputs by more than tol relative to the sum of |terms|; also checks that the
     * padding rows of C and the gaps between batches are untouched (still C0, or the 0xFF
     * pattern when c_was_nan). */
    int mismatches(float alpha, float beta, float (*rnd)(float), double tol, bool c_was_nan,
                   double *max_rel = nullptr) const {
        std::vector<float> got = download(dC, C0.size());
        int bad = 0;
        std::vector<bool> inside(C0.size(), false);
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < n; j++)
                for (int i = 0; i < m; i++) {
                    double s = 0, mag = 0;
                    for (int p = 0; p < k; p++) {
                        const float *a0 = A.data() + b * sa, *b0 = B.data() + b * sb;
                        float a = ta ? a0[p + (size_t)i * lda] : a0[i + (size_t)p * lda];
                        float bb = tb ? b0[j + (size_t)p * ldb] : b0[p + (size_t)j * ldb];
                        if (rnd) a = rnd(a), bb = rnd(bb);
                        s += (double)a * bb, mag += fabs((double)a * bb);
                    }
                    size_t ci = b * sc + i + (size_t)j * ldc;
                    double c0 = beta == 0.0f ? 0.0 : C0[ci];
                    double want = alpha * s + beta * c0;
                    mag = fabs(alpha) * mag + fabs(beta * c0);
                    double rel = fabs(got[ci] - want) / (mag > 0 ? mag : 1e-30);
                    if (max_rel && rel > *max_rel) *max_rel = rel;
                    if (!(rel <= tol) && bad++ == 0)
                        fprintf(stderr,
                                "gemm %c%c m=%d n=%d k=%d batch=%d: C[%d](%d,%d) = %.9g, "
                                "want %.9g\n",
                                ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, batch, b, i, j,
                                (double)got[ci], want);
                    inside[ci] = true;
                }
        for (size_t i = 0; i < C0.size(); i++) {
            if (inside[i]) continue;
            bool same = c_was_nan ? isnan(got[i]) : got[i] == C0[i];
            if (!same && bad++ == 0) fprintf(stderr, "gemm: C padding element %zu changed\n", i);
        }
        return bad;
    }
};

static float no_round(float x) { return x; }

static void test_gemm(cublasHandle_t h) {
    const int sizes[][3] = {{7, 5, 9}, {1, 13, 3}, {16, 1, 17}, {33, 9, 1}, {65, 31, 47}};
    const float alpha = 1.25f, beta = -0.5f, zero = 0.0f;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (const auto &sz : sizes) {
                Gemm g(ta, tb, sz[0], sz[1], sz[2]);
                CHECK(cublasGemmEx(h, g.opa(), g.opb(), g.m, g.n, g.k, &alpha, g.dA, CUDA_R_32F,
                                   g.lda, g.dB, CUDA_R_32F, g.ldb, &beta, g.dC, CUDA_R_32F, g.ldc,
                                   CUBLAS_COMPUTE_32F,
                                   CUBLAS_GEMM_DEFAULT) == CUBLAS_STATUS_SUCCESS);
                CHECK(g.mismatches(alpha, beta, nullptr, 1e-5, false) == 0);

                /* Sgemm, same problem from the same C0. */
                cudaMemcpy(g.dC, g.C0.data(), g.C0.size() * 4, cudaMemcpyHostToDevice);
                CHECK(cublasSgemm(h, g.opa(), g.opb(), g.m, g.n, g.k, &alpha, g.dA, g.lda, g.dB,
                                  g.ldb, &beta, g.dC, g.ldc) == CUBLAS_STATUS_SUCCESS);
                CHECK(g.mismatches(alpha, beta, nullptr, 1e-5, false) == 0);

                /* beta = 0 on NaN garbage: C must not be read, and padding stays NaN. */
                cudaMemset(g.dC, 0xff, g.C0.size() * 4);
                CHECK(cublasGemmEx(h, g.opa(), g.opb(), g.m, g.n, g.k, &alpha, g.dA, CUDA_R_32F,
                                   g.lda, g.dB, CUDA_R_32F, g.ldb, &zero, g.dC, CUDA_R_32F, g.ldc,
                                   CUBLAS_COMPUTE_32F,
                                   CUBLAS_GEMM_DEFAULT) == CUBLAS_STATUS_SUCCESS);
                CHECK(g.mismatches(alpha, 0.0f, nullptr, 1e-5, true) == 0);

                /* Strided batches: separate B per batch, then one B shared (stride 0). */
                for (int shared_b = 0; shared_b < 2; shared_b++) {
                    Gemm s(ta, tb, sz[0], sz[1], sz[2], 3, shared_b);
                    CHECK(cublasGemmStridedBatchedEx(
                              h, s.opa(), s.opb(), s.m, s.n, s.k, &alpha, s.dA, CUDA_R_32F,
                              s.lda, s.sa, s.dB, CUDA_R_32F, s.ldb, s.sb, &beta, s.dC,
                              CUDA_R_32F, s.ldc, s.sc, s.batch, CUBLAS_COMPUTE_32F,
                              CUBLAS_GEMM_DEFAULT_TENSOR_OP) == CUBLAS_STATUS_SUCCESS);
                    CHECK(s.mismatches(alpha, beta, nullptr, 1e-5, false) == 0);
                }
            }
}

static void test_gemm_reduced_precision(cublasHandle_t h) {
    const float alpha = 1.0f, beta = 0.0f;
    struct {
        cublasComputeType_t type;
        float (*rnd)(float);
    } modes[] = {{CUBLAS_COMPUTE_32F_FAST_16BF, emu_round_bf16},
                 {CUBLAS_COMPUTE_32F_FAST_TF32, emu_round_tf32}};
    for (const auto &md : modes)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                Gemm g(ta, tb, 19, 11, 29, 2);
                CHECK(cublasGemmStridedBatchedEx(
                          h, g.opa(), g.opb(), g.m, g.n, g.k, &alpha, g.dA, CUDA_R_32F, g.lda,
                          g.sa, g.dB, CUDA_R_32F, g.ldb, g.sb, &beta, g.dC, CUDA_R_32F, g.ldc,
                          g.sc, g.batch, md.type, CUBLAS_GEMM_DEFAULT) == CUBLAS_STATUS_SUCCESS);
                /* Equals the product of the rounded inputs ... */
                CHECK(g.mismatches(alpha, beta, md.rnd, 1e-5, false) == 0);
                /* ... and is visibly not the fp32 product (the inputs were rounded). */
                double max_rel = 0;
                g.mismatches(alpha, beta, no_round, 1.0, false, &max_rel);
                CHECK(max_rel > 1e-4);
            }
}

static void test_gemm_arguments(cublasHandle_t h) {
    const float one = 1.0f, two = 2.0f;
    Gemm g(false, false, 6, 4, 5); /* A 6x5 lda 9, B 5x4 ldb 7, C 6x4 ldc 7 */
    auto ex = [&](cublasHandle_t hh, cublasOperation_t oa, cublasOperation_t ob, int m, int n,
                  int k, const void *al, const void *A, cudaDataType_t at, int lda, int ldb,
                  int ldc, cublasComputeType_t ct) {
        return cublasGemmEx(hh, oa, ob, m, n, k, al, A, at, lda, g.dB, CUDA_R_32F, ldb, &one,
                            g.dC, CUDA_R_32F, ldc, ct, CUBLAS_GEMM_DEFAULT);
    };
    const auto N = CUBLAS_OP_N, T = CUBLAS_OP_T;
    const auto F = CUDA_R_32F;
    const auto C32 = CUBLAS_COMPUTE_32F;
    CHECK(ex(h, N, N, 6, 4, 5, &one, g.dA, F, 9, 7, 7, C32) == CUBLAS_STATUS_SUCCESS);
    CHECK(ex(h, N, N, -1, 4, 5, &one, g.dA, F, 9, 7, 7, C32) == CUBLAS_STATUS_INVALID_VALUE);
    CHECK(ex(h, N, N, 6, -4, 5, &one, g.dA, F, 9, 7, 7, C32) == CUBLAS_STATUS_INVALID_VALUE);
    CHECK(ex(h, N, N, 6, 4, -5, &one, g.dA, F, 9, 7, 7, C32) == CUBLAS_STATUS_INVALID_VALUE);
    CHECK(ex(h, N, N, 6, 4, 5, &one, g.dA, F, 5, 7, 7, C32) == CUBLAS_STATUS_INVALID_VALUE);
    CHECK(ex(h, N, N, 6, 4, 5, &one, g.dA, F, 9, 4, 7, C32) == CUBLAS_STATUS_INVALID_VALUE);
    CHECK(ex(h, N, N, 6, 4, 5, &one, g.dA, F, 9, 7, 5, C32) == CUBLAS_STATUS_INVALID_VALUE);
    /* op(A) = A^T: A is stored k x m, so lda >= k (5) suffices although m = 6. */
    CHECK(ex(h, T, N, 6, 4, 5, &one, g.dA, F, 5, 7, 7, C32) == CUBLAS_STATUS_SUCCESS);
    CHECK(ex(h, T, N, 6, 4, 5, &one, g.dA, F, 4, 7, 7, C32) == CUBLAS_STATUS_INVALID_VALUE);
    /* op(B) = B^T: B is stored n x k, ldb >= n (4). */
    CHECK(ex(h, N, T, 6, 4, 5, &one, g.dA, F, 9, 4, 7, C32) == CUBLAS_STATUS_SUCCESS);
    CHECK(ex(h, N, T, 6, 4, 5, &one, g.dA, F, 9, 3, 7, C32) == CUBLAS_STATUS_INVALID_VALUE);
    /* lda >= max(1, ...) even when the dimension is 0. */
    CHECK(ex(h, N, N, 0, 4, 5, &one, g.dA, F, 0, 7, 7, C32) == CUBLAS_STATUS_INVALID_VALUE);
    CHECK(ex(h, N, N, 0, 4, 5, &one, g.dA, F, 1, 7, 1, C32) == CUBLAS_STATUS_SUCCESS);
    CHECK(ex(h, (cublasOperation_t)5, N, 6, 4, 5, &one, g.dA, F, 9, 7, 7, C32) ==
          CUBLAS_STATUS_INVALID_VALUE);
    CHECK(ex(h, N, N, 6, 4, 5, nullptr, g.dA, F, 9, 7, 7, C32) == CUBLAS_STATUS_INVALID_VALUE);
    CHECK(ex(h, N, N, 6, 4, 5, &one, g.dA, CUDA_R_16BF, 9, 7, 7, C32) ==
          CUBLAS_STATUS_NOT_SUPPORTED);
    CHECK(ex(h, N, N, 6, 4, 5, &one, g.dA, F, 9, 7, 7, (cublasComputeType_t)64) ==
          CUBLAS_STATUS_NOT_SUPPORTED);
    CHECK(ex(nullptr, N, N, 6, 4, 5, &one, g.dA, F, 9, 7, 7, C32) ==
          CUBLAS_STATUS_NOT_INITIALIZED);
    CHECK(cublasGemmEx(h, N, N, 6, 4, 5, &one, g.dA, F, 9, g.dB, F, 7, &one, g.dC, F, 7, C32,
                       (cublasGemmAlgo_t)1000) == CUBLAS_STATUS_INVALID_VALUE);
    CHECK(cublasGemmStridedBatchedEx(h, N, N, 6, 4, 5, &one, g.dA, F, 9, 0, g.dB, F, 7, 0, &one,
                                     g.dC, F, 7, 0, -1, C32, CUBLAS_GEMM_DEFAULT) ==
          CUBLAS_STATUS_INVALID_VALUE);
    CHECK(cublasGemmStridedBatchedEx(h, N, N, 6, 4, 5, &one, g.dA, F, 9, 0, g.dB, F, 7, 0, &one,
                                     g.dC, F, 7, 0, 0, C32, CUBLAS_GEMM_DEFAULT) ==
          CUBLAS_STATUS_SUCCESS);

    /* k = 0: C = beta·C, A and B not read (NULL is fine). */
    cudaMemcpy(g.dC, g.C0.data(), g.C0.size() * 4, cudaMemcpyHostToDevice);
    CHECK(cublasGemmEx(h, N, N, 6, 4, 0, &one, nullptr, F, 6, nullptr, F, 1, &two, g.dC, F, 7,
                       C32, CUBLAS_GEMM_DEFAULT) == CUBLAS_STATUS_SUCCESS);
    std::vector<float> c = download(g.dC, g.C0.size());
    CHECK(c[0] == 2 * g.C0[0] && c[3 * 7 + 5] == 2 * g.C0[3 * 7 + 5]);
    CHECK(c[6] == g.C0[6]); /* padding row untouched */
    /* alpha = 0 with NaN in A: A is not read, C = beta·C. */
    float *nanA;
    cudaMalloc(&nanA, 9 * 5 * sizeof(float)); /* 0xFF bytes = NaN */
    const float zero = 0.0f;
    CHECK(cublasGemmEx(h, N, N, 6, 4, 5, &zero, nanA, F, 9, g.dB, F, 7, &one, g.dC, F, 7, C32,
                       CUBLAS_GEMM_DEFAULT) == CUBLAS_STATUS_SUCCESS);
    CHECK(download(g.dC, 1)[0] == 2 * g.C0[0]);
    cudaFree(nanA);

    /* Operands that do not fit their allocation (a wrong ld or stride) are caught. */
    fputs("(expected emulator diagnostics follow)\n", stderr);
    CHECK(ex(h, N, N, 6, 4, 5, &one, g.dA, F, 40, 7, 7, C32) == CUBLAS_STATUS_EXECUTION_FAILED);
    CHECK(cublasGemmStridedBatchedEx(h, N, N, 6, 4, 5, &one, g.dA, F, 9, 0, g.dB, F, 7, 0, &one,
                                     g.dC, F, 7, 28, 2, C32, CUBLAS_GEMM_DEFAULT) ==
          CUBLAS_STATUS_EXECUTION_FAILED);
    float hostC[64];
    CHECK(cublasSgemm(h, N, N, 6, 4, 5, &one, g.dA, 9, g.dB, 7, &one, hostC, 7) ==
          CUBLAS_STATUS_EXECUTION_FAILED);
    fputs("(end of expected diagnostics)\n", stderr);

    cublasMath_t mode;
    CHECK(cublasSetMathMode(h, CUBLAS_TF32_TENSOR_OP_MATH) == CUBLAS_STATUS_SUCCESS);
    CHECK(cublasGetMathMode(h, &mode) == CUBLAS_STATUS_SUCCESS &&
          mode == CUBLAS_TF32_TENSOR_OP_MATH);
    CHECK(cublasSetMathMode(h, (cublasMath_t)7) == CUBLAS_STATUS_INVALID_VALUE);
    CHECK(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH) == CUBLAS_STATUS_SUCCESS);
    cudaStream_t s;
    cudaStreamCreate(&s);
    CHECK(cublasSetStream(h, s) == CUBLAS_STATUS_SUCCESS);
    CHECK(cublasSetStream(h, nullptr) == CUBLAS_STATUS_SUCCESS);
    cudaStreamDestroy(s);
    CHECK(strcmp(cublasGetStatusName(CUBLAS_STATUS_INVALID_VALUE),
                 "CUBLAS_STATUS_INVALID_VALUE") == 0);
    CHECK(cublasGetStatusString(CUBLAS_STATUS_NOT_SUPPORTED) != nullptr);
}

static void test_rounding() {
    const float ulp_bf16 = 1.0f / 128, ulp_tf32 = 1.0f / 1024;
    CHECK(emu_round_bf16(1.0f + ulp_bf16 / 2) == 1.0f);                   /* tie to even */
    CHECK(emu_round_bf16(1.0f + 1.5f * ulp_bf16) == 1.0f + 2 * ulp_bf16); /* tie to even */
    CHECK(emu_round_bf16(1.0f + 0.51f * ulp_bf16) == 1.0f + ulp_bf16);
    CHECK(emu_round_bf16(-3.0f) == -3.0f);
    CHECK(isnan(emu_round_bf16(NAN)) && isinf(emu_round_bf16(INFINITY)));
    CHECK(isinf(emu_round_bf16(3.4028235e38f))); /* FLT_MAX rounds up past bf16's max */
    uint32_t snan_bits = 0x7f800001u; /* a NaN whose payload sits only in the dropped bits */
    float snan;
    memcpy(&snan, &snan_bits, 4);
    CHECK(isnan(emu_round_bf16(snan)) && isnan(emu_round_tf32(snan)));
    CHECK(emu_round_tf32(1.0f + ulp_tf32 / 2) == 1.0f);
    CHECK(emu_round_tf32(1.0f + 1.5f * ulp_tf32) == 1.0f + 2 * ulp_tf32);
    CHECK(emu_round_tf32(1.0f + 0.51f * ulp_tf32) == 1.0f + ulp_tf32);
    CHECK(emu_round_tf32(1e-40f) == emu_round_tf32(1e-40f)); /* subnormals pass */
    CHECK(emu_round_tf32(0.1f) != 0.1f && fabsf(emu_round_tf32(0.1f) - 0.1f) < 1e-4f);
}

void test_cuda_emu_blas(int *passed, int *failed) {
    test_rounding();
    cublasHandle_t h;
    CHECK(cublasCreate(&h) == CUBLAS_STATUS_SUCCESS);
    test_gemm(h);
    test_gemm_reduced_precision(h);
    test_gemm_arguments(h);
    CHECK(cublasDestroy(h) == CUBLAS_STATUS_SUCCESS);
    CHECK(cublasDestroy(h) == CUBLAS_STATUS_NOT_INITIALIZED);
    *passed += check_pass_;
    *failed += check_fail_;
}
