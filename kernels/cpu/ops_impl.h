/* kernels/cpu/ops_impl.h — the CPU operations of kernels/kern.h, written once and included
 * twice by kern_cpu.c: with R = float (the run; cblas_sgemm) and R = double (the
 * finite-difference tests; cblas_dgemm). Names come out of OP(): cpu_matmul_forward and
 * cpu_matmul_forward_d. Not a header to include anywhere else.
 *
 * Design stance: readable reference code that is also fast where it pays. Every matmul —
 * the linear layers and the attention products — is a BLAS GEMM; element-wise and row-wise
 * loops call kern_math.h (vectorised with `omp simd`). Threads: one OpenMP parallel region
 * per operation; each thread takes a static slice of rows (or columns, for the reductions
 * over rows) and calls a single-threaded GEMM on it. No atomics, no reduction whose order
 * depends on scheduling: every result depends only on the inputs and the thread count, and
 * most (all but the sums of squares) not even on the thread count.
 *
 * Expects from the includer: R, OP(name), KM(name) (kern_math.h suffix), GEMM (cblas_?gemm),
 * KERN_CLONES, and the helpers PAR_BEGIN/PAR_END, split_(), splitz_() of kern_cpu.c.
 */

// ----------------------------------------------------------------------------
// row and element kernels: plain loops over one thread's slice, vectorised with `omp simd`
// and compiled once per x86-64 level (KERN_CLONES: run-time dispatch to AVX-512, AVX2 or
// the SSE2 baseline). The parallel regions below call them.

/* rows [0, n) of out (n, N) = bias (N) */
static void OP(bias_fill_rows_)(R *out, const R *bias, int n, int N) {
    for (int m = 0; m < n; m++) memcpy(out + (size_t)m * N, bias, sizeof(R) * (size_t)N);
}

/* dbias[n0:n1) += column sums of dout (M, N) over all M rows, in row order */
static KERN_CLONES void OP(bias_grad_cols_)(R *dbias, const R *dout, int M, int N, int n0,
                                            int n1) {
    for (int m = 0; m < M; m++) {
        const R *d = dout + (size_t)m * N;
#pragma omp simd
        for (int j = n0; j < n1; j++) dbias[j] += d[j];
    }
}

static KERN_CLONES void OP(ln_fwd_rows_)(R *out, R *mean, R *rstd, const R *inp, const R *w,
                                         const R *b, int r0, int r1, int C, R eps) {
    for (int r = r0; r < r1; r++) {
        const R *x = inp + (size_t)r * C;
        R *o = out + (size_t)r * C;
        R mu, rs;
        KM(kern_ln_stats)(x, C, eps, &mu, &rs);
#pragma omp simd
        for (int i = 0; i < C; i++) o[i] = (x[i] - mu) * rs * w[i] + b[i];
        mean[r] = mu;
        rstd[r] = rs;
    }
}

/* dinp += rstd·(dnorm − mean(dnorm) − xhat·mean(dnorm·xhat)), dnorm = dout·w, rows r0..r1 */
static KERN_CLONES void OP(ln_bwd_rows_)(R *dinp, const R *dout, const R *inp, const R *w,
                                         const R *mean, const R *rstd, int r0, int r1, int C) {
    for (int r = r0; r < r1; r++) {
        const R *x = inp + (size_t)r * C, *d = dout + (size_t)r * C;
        R *dx = dinp + (size_t)r * C;
        R mu = mean[r], rs = rstd[r];
        R s1 = 0, s2 = 0;
#pragma omp simd reduction(+ : s1, s2)
        for (int i = 0; i < C; i++) {
            R dn = d[i] * w[i];
            s1 += dn;
            s2 += dn * (x[i] - mu) * rs;
        }
        s1 /= (R)C;
        s2 /= (R)C;
#pragma omp simd
        for (int i = 0; i < C; i++) {
            R xhat = (x[i] - mu) * rs;
            dx[i] += rs * (d[i] * w[i] - s1 - xhat * s2);
        }
    }
}

/* dw, db columns [c0, c1): sums over all N rows in row order */
static KERN_CLONES void OP(ln_bwd_cols_)(R *dw, R *db, const R *dout, const R *inp,
                                         const R *mean, const R *rstd, int N, int C, int c0,
                                         int c1) {
    for (int r = 0; r < N; r++) {
        const R *x = inp + (size_t)r * C, *d = dout + (size_t)r * C;
        R mu = mean[r], rs = rstd[r];
#pragma omp simd
        for (int i = c0; i < c1; i++) {
            dw[i] += d[i] * (x[i] - mu) * rs;
            db[i] += d[i];
        }
    }
}

/* Rows [r0, r1) of scores P (T, T): causal softmax over keys 0..t, zeros above. */
static KERN_CLONES void OP(softmax_causal_rows_)(R *P, int T, int r0, int r1) {
    for (int t = r0; t < r1; t++) {
        R *row = P + (size_t)t * T;
        R m = KM(kern_row_max)(row, t + 1);
        R sum = 0;
#pragma omp simd reduction(+ : sum)
        for (int j = 0; j <= t; j++) {
            R e = KM(kern_exp)(row[j] - m);
            row[j] = e;
            sum += e;
        }
        R inv = (R)1 / sum;
#pragma omp simd
        for (int j = 0; j <= t; j++) row[j] *= inv;
        for (int j = t + 1; j < T; j++) row[j] = 0;
    }
}

/* Rows [r0, r1) of dP (T, T), in place: dS = scale·P ⊙ (dP − Σ_j P·dP) on keys 0..t, and
 * zeros on keys t+1..r1-1 (the diagonal block's upper part, which the GEMMs read). */
static KERN_CLONES void OP(softmax_back_rows_)(R *dS, const R *P, int T, int r0, int r1,
                                               R scale) {
    for (int t = r0; t < r1; t++) {
        const R *pr = P + (size_t)t * T;
        R *dr = dS + (size_t)t * T;
        R dot = 0;
#pragma omp simd reduction(+ : dot)
        for (int j = 0; j <= t; j++) dot += pr[j] * dr[j];
#pragma omp simd
        for (int j = 0; j <= t; j++) dr[j] = scale * pr[j] * (dr[j] - dot);
        for (int j = t + 1; j < r1; j++) dr[j] = 0;
    }
}

static KERN_CLONES void OP(gelu_fwd_)(R *out, const R *inp, size_t n) {
#pragma omp simd
    for (size_t i = 0; i < n; i++) out[i] = KM(kern_gelu)(inp[i]);
}

static KERN_CLONES void OP(gelu_bwd_)(R *dinp, const R *inp, const R *dout, size_t n) {
#pragma omp simd
    for (size_t i = 0; i < n; i++) dinp[i] = KM(kern_gelu_grad)(inp[i]) * dout[i];
}

/* Rows [r0, r1) of the fused cross-entropy (see kern_crossentropy_forward). */
static KERN_CLONES void OP(ce_rows_)(R *losses, R *dlogits, const R *logits,
                                     const int32_t *targets, int r0, int r1, int V, R dscale) {
    for (int r = r0; r < r1; r++) {
        const R *l = logits + (size_t)r * V;
        int y = targets[r];
        R m = KM(kern_row_max)(l, V);
        R sum = 0;
        if (dlogits) {
            R *d = dlogits + (size_t)r * V;
#pragma omp simd reduction(+ : sum)
            for (int j = 0; j < V; j++) {
                R e = KM(kern_exp)(l[j] - m);
                d[j] = e;
                sum += e;
            }
            R s = dscale / sum;
#pragma omp simd
            for (int j = 0; j < V; j++) d[j] *= s;
            d[y] -= dscale;
        } else {
#pragma omp simd reduction(+ : sum)
            for (int j = 0; j < V; j++) sum += KM(kern_exp)(l[j] - m);
        }
        losses[r] = m + (R)log((double)sum) - l[y];
    }
}

static KERN_CLONES void OP(adamw_)(R *params, const R *grads, R *m, R *v, size_t n, R lr,
                                   R beta1, R beta2, R eps, R wd, R bc1, R sqrt_bc2) {
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        KM(kern_adamw_update)(&params[i], &m[i], &v[i], grads[i], lr, beta1, beta2, eps, wd,
                              bc1, sqrt_bc2);
}

// ----------------------------------------------------------------------------
// matmul

static int OP(cpu_matmul_forward)(KernCtx *ctx, R *out, const R *inp, const R *w,
                                  const R *bias, int M, int K, int N) {
    DW_ASSERT(out && inp && w && M >= 0 && K > 0 && N > 0);
    PAR_BEGIN(ctx)
    int m0, m1;
    split_(M, id_, nt_, &m0, &m1);
    if (m1 > m0) {
        /* out[m0:m1] = bias, then += inp[m0:m1] @ w^T: with beta = 1 the BLAS skips its own
         * pass that zeroes C, so the bias costs one write instead of two passes */
        R beta = 0;
        if (bias) {
            OP(bias_fill_rows_)(out + (size_t)m0 * N, bias, m1 - m0, N);
            beta = 1;
        }
        GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, m1 - m0, N, K, 1, inp + (size_t)m0 * K,
             K, w, K, beta, out + (size_t)m0 * N, N);
    }
    PAR_END
    return DW_OK;
}

static int OP(cpu_matmul_backward)(KernCtx *ctx, R *dinp, R *dw, R *dbias, const R *dout,
                                   const R *inp, const R *w, int M, int K, int N) {
    DW_ASSERT(dw && dout && inp && w && M >= 0 && K > 0 && N > 0);
    PAR_BEGIN(ctx)
    int m0, m1, n0, n1;
    split_(M, id_, nt_, &m0, &m1);
    split_(N, id_, nt_, &n0, &n1);
    /* dinp[m0:m1] = dout[m0:m1] @ w: rows are independent */
    if (dinp && m1 > m0)
        GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, m1 - m0, K, N, 1,
             dout + (size_t)m0 * N, N, w, K, 0, dinp + (size_t)m0 * K, K);
    /* dw[n0:n1] += dout[:, n0:n1]^T @ inp: each thread owns whole rows of dw, so the sum
     * over the M rows is one GEMM's, whatever the thread count */
    if (n1 > n0 && M > 0)
        GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, n1 - n0, K, M, 1, dout + n0, N, inp, K,
             1, dw + (size_t)n0 * K, K);
    if (dbias && n1 > n0) OP(bias_grad_cols_)(dbias, dout, M, N, n0, n1);
    PAR_END
    return DW_OK;
}

// ----------------------------------------------------------------------------
// layernorm

static int OP(cpu_layernorm_forward)(KernCtx *ctx, R *out, R *mean, R *rstd, const R *inp,
                                     const R *w, const R *b, int N, int C, R eps) {
    DW_ASSERT(out && mean && rstd && inp && w && b && N >= 0 && C > 0);
    PAR_BEGIN(ctx)
    int r0, r1;
    split_(N, id_, nt_, &r0, &r1);
    OP(ln_fwd_rows_)(out, mean, rstd, inp, w, b, r0, r1, C, eps);
    PAR_END
    return DW_OK;
}

static int OP(cpu_layernorm_backward)(KernCtx *ctx, R *dinp, R *dw, R *db, const R *dout,
                                      const R *inp, const R *w, const R *mean, const R *rstd,
                                      int N, int C) {
    DW_ASSERT(dinp && dw && db && dout && inp && w && mean && rstd && N >= 0 && C > 0);
    PAR_BEGIN(ctx)
    int r0, r1, c0, c1;
    split_(N, id_, nt_, &r0, &r1);
    split_(C, id_, nt_, &c0, &c1);
    OP(ln_bwd_rows_)(dinp, dout, inp, w, mean, rstd, r0, r1, C);
    /* dw, db: sums over rows; each thread owns a slice of columns */
    OP(ln_bwd_cols_)(dw, db, dout, inp, mean, rstd, N, C, c0, c1);
    PAR_END
    return DW_OK;
}

// ----------------------------------------------------------------------------
// RoPE

/* Rotates (fwd) or counter-rotates (bwd) the q and k vectors of every (b, t, head). */
static void OP(cpu_rope_apply_)(KernCtx *ctx, R *qkv, const R *cos_t, const R *sin_t, int B,
                                int T, int NH, int HS, int backward) {
    int half = HS / 2;
    PAR_BEGIN(ctx)
    int r0, r1;
    split_(B * T, id_, nt_, &r0, &r1);
    for (int r = r0; r < r1; r++) {
        int t = r % T;
        const R *c = cos_t + (size_t)t * half, *s = sin_t + (size_t)t * half;
        R *row = qkv + (size_t)r * 3 * NH * HS;
        for (int h = 0; h < NH; h++) {
            for (int part = 0; part < 2; part++) { /* q, then k */
                R *x = row + (size_t)h * 3 * HS + (size_t)part * HS;
                if (backward) {
#pragma omp simd
                    for (int i = 0; i < half; i++)
                        KM(kern_rope_rotate_back)(&x[i], &x[i + half], c[i], s[i]);
                } else {
#pragma omp simd
                    for (int i = 0; i < half; i++)
                        KM(kern_rope_rotate)(&x[i], &x[i + half], c[i], s[i]);
                }
            }
        }
    }
    PAR_END
}

static int OP(cpu_rope_forward)(KernCtx *ctx, R *qkv, const R *cos_t, const R *sin_t, int B,
                                int T, int NH, int HS) {
    DW_ASSERT(qkv && cos_t && sin_t && HS % 2 == 0);
    OP(cpu_rope_apply_)(ctx, qkv, cos_t, sin_t, B, T, NH, HS, 0);
    return DW_OK;
}

static int OP(cpu_rope_backward)(KernCtx *ctx, R *dqkv, const R *cos_t, const R *sin_t, int B,
                                 int T, int NH, int HS) {
    DW_ASSERT(dqkv && cos_t && sin_t && HS % 2 == 0);
    OP(cpu_rope_apply_)(ctx, dqkv, cos_t, sin_t, B, T, NH, HS, 1);
    return DW_OK;
}

// ----------------------------------------------------------------------------
// attention

/* Per (batch, head), query rows in blocks of ATT_BLOCK: row block [r0, r1) needs keys
 * [0, r1) only, so the GEMMs cover the causal part plus the upper half of the diagonal
 * blocks — (1 + 1/nblocks)/2 of the full T×T products. */
#ifndef ATT_BLOCK
#define ATT_BLOCK 32
#endif

static int OP(cpu_attention_forward)(KernCtx *ctx, R *out, R *att, const R *qkv, int B, int T,
                                     int C, int NH) {
    DW_ASSERT(out && att && qkv && NH > 0 && C % NH == 0 && T > 0);
    const int HS = C / NH, C3 = 3 * C;
    const R scale = (R)1 / (R)sqrt((double)HS);
    PAR_BEGIN(ctx)
    int p0, p1;
    split_(B * NH, id_, nt_, &p0, &p1);
    for (int pair = p0; pair < p1; pair++) {
        int b = pair / NH, h = pair % NH;
        const R *q = qkv + (size_t)b * T * C3 + (size_t)h * 3 * HS; /* (T, HS), stride 3C */
        const R *k = q + HS, *v = q + 2 * HS;
        R *P = att + (size_t)pair * T * T;                          /* (T, T) */
        R *o = out + (size_t)b * T * C + (size_t)h * HS;            /* (T, HS), stride C */
        for (int r0 = 0; r0 < T; r0 += ATT_BLOCK) {
            int r1 = r0 + ATT_BLOCK < T ? r0 + ATT_BLOCK : T;
            /* scores S[r0:r1, 0:r1] = scale · q k^T */
            GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, r1 - r0, r1, HS, scale,
                 q + (size_t)r0 * C3, C3, k, C3, 0, P + (size_t)r0 * T, T);
            /* causal softmax of each row over keys 0..t; zeros above the diagonal */
            OP(softmax_causal_rows_)(P, T, r0, r1);
            /* o[r0:r1] = P[r0:r1, 0:r1] @ v[0:r1] */
            GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, r1 - r0, HS, r1, 1,
                 P + (size_t)r0 * T, T, v, C3, 0, o + (size_t)r0 * C, C);
        }
    }
    PAR_END
    return DW_OK;
}

static int OP(cpu_attention_backward)(KernCtx *ctx, R *dqkv, R *datt, const R *dout,
                                      const R *qkv, const R *att, int B, int T, int C, int NH) {
    DW_ASSERT(dqkv && datt && dout && qkv && att && NH > 0 && C % NH == 0 && T > 0);
    const int HS = C / NH, C3 = 3 * C;
    const R scale = (R)1 / (R)sqrt((double)HS);
    PAR_BEGIN(ctx)
    int p0, p1;
    split_(B * NH, id_, nt_, &p0, &p1);
    for (int pair = p0; pair < p1; pair++) {
        int b = pair / NH, h = pair % NH;
        const R *q = qkv + (size_t)b * T * C3 + (size_t)h * 3 * HS, *k = q + HS, *v = q + 2 * HS;
        R *dq = dqkv + (size_t)b * T * C3 + (size_t)h * 3 * HS, *dk = dq + HS, *dv = dq + 2 * HS;
        const R *P = att + (size_t)pair * T * T;
        R *dS = datt + (size_t)pair * T * T; /* dP, then dS in place */
        const R *dO = dout + (size_t)b * T * C + (size_t)h * HS;
        for (int r0 = 0; r0 < T; r0 += ATT_BLOCK) {
            int r1 = r0 + ATT_BLOCK < T ? r0 + ATT_BLOCK : T;
            /* dP[r0:r1, 0:r1] = dO[r0:r1] @ v[0:r1]^T */
            GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, r1 - r0, r1, HS, 1,
                 dO + (size_t)r0 * C, C, v, C3, 0, dS + (size_t)r0 * T, T);
            /* softmax backward (times the score scale), in place */
            OP(softmax_back_rows_)(dS, P, T, r0, r1, scale);
            /* dq[r0:r1] = dS[r0:r1, 0:r1] @ k[0:r1] */
            GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, r1 - r0, HS, r1, 1,
                 dS + (size_t)r0 * T, T, k, C3, 0, dq + (size_t)r0 * C3, C3);
        }
        /* key blocks [c0, c1) receive from query rows c0..T-1 only:
         * dk[c0:c1] = dS[c0:T, c0:c1]^T @ q[c0:T],  dv[c0:c1] = P[c0:T, c0:c1]^T @ dO[c0:T] */
        for (int c0 = 0; c0 < T; c0 += ATT_BLOCK) {
            int c1 = c0 + ATT_BLOCK < T ? c0 + ATT_BLOCK : T;
            GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, c1 - c0, HS, T - c0, 1,
                 dS + (size_t)c0 * T + c0, T, q + (size_t)c0 * C3, C3, 0, dk + (size_t)c0 * C3,
                 C3);
            GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, c1 - c0, HS, T - c0, 1,
                 P + (size_t)c0 * T + c0, T, dO + (size_t)c0 * C, C, 0, dv + (size_t)c0 * C3,
                 C3);
        }
    }
    PAR_END
    return DW_OK;
}

// ----------------------------------------------------------------------------
// element-wise: GELU, residual

static int OP(cpu_gelu_forward)(KernCtx *ctx, R *out, const R *inp, size_t n) {
    DW_ASSERT(out && inp);
    PAR_BEGIN(ctx)
    size_t i0, i1;
    splitz_(n, id_, nt_, &i0, &i1);
    OP(gelu_fwd_)(out + i0, inp + i0, i1 - i0);
    PAR_END
    return DW_OK;
}

static int OP(cpu_gelu_backward)(KernCtx *ctx, R *dinp, const R *inp, const R *dout, size_t n) {
    DW_ASSERT(dinp && inp && dout);
    PAR_BEGIN(ctx)
    size_t i0, i1;
    splitz_(n, id_, nt_, &i0, &i1);
    OP(gelu_bwd_)(dinp + i0, inp + i0, dout + i0, i1 - i0);
    PAR_END
    return DW_OK;
}

static int OP(cpu_residual_forward)(KernCtx *ctx, R *out, const R *a, const R *b, size_t n) {
    DW_ASSERT(out && a && b);
    PAR_BEGIN(ctx)
    size_t i0, i1;
    splitz_(n, id_, nt_, &i0, &i1);
#pragma omp simd
    for (size_t i = i0; i < i1; i++) out[i] = a[i] + b[i];
    PAR_END
    return DW_OK;
}

static int OP(cpu_residual_backward)(KernCtx *ctx, R *da, R *db, const R *dout, size_t n) {
    DW_ASSERT(da && db && dout && da != db);
    PAR_BEGIN(ctx)
    size_t i0, i1;
    splitz_(n, id_, nt_, &i0, &i1);
#pragma omp simd
    for (size_t i = i0; i < i1; i++) {
        da[i] += dout[i];
        db[i] += dout[i];
    }
    PAR_END
    return DW_OK;
}

// ----------------------------------------------------------------------------
// embedding

static int OP(cpu_embedding_forward)(KernCtx *ctx, R *out, const int32_t *tokens, const R *wte,
                                     int N, int C, int V) {
    DW_ASSERT(out && tokens && wte);
    for (int i = 0; i < N; i++) DW_ASSERT(tokens[i] >= 0 && tokens[i] < V);
    PAR_BEGIN(ctx)
    int r0, r1;
    split_(N, id_, nt_, &r0, &r1);
    for (int r = r0; r < r1; r++)
        memcpy(out + (size_t)r * C, wte + (size_t)tokens[r] * C, sizeof(R) * (size_t)C);
    PAR_END
    return DW_OK;
}

static int OP(cpu_embedding_backward)(KernCtx *ctx, R *dwte, const R *dout,
                                      const int32_t *tokens, int N, int C, int V) {
    DW_ASSERT(dwte && dout && tokens);
    (void)V;
    /* a token repeats across positions: threads own columns, rows go in order */
    PAR_BEGIN(ctx)
    int c0, c1;
    split_(C, id_, nt_, &c0, &c1);
    for (int r = 0; r < N; r++) {
        R *dst = dwte + (size_t)tokens[r] * C;
        const R *src = dout + (size_t)r * C;
#pragma omp simd
        for (int i = c0; i < c1; i++) dst[i] += src[i];
    }
    PAR_END
    return DW_OK;
}

// ----------------------------------------------------------------------------
// cross-entropy (fused softmax + loss + dlogits)

static int OP(cpu_crossentropy_forward)(KernCtx *ctx, R *losses, R *dlogits, const R *logits,
                                        const int32_t *targets, int N, int V, R dscale) {
    DW_ASSERT(losses && logits && targets && dlogits != logits);
    for (int i = 0; i < N; i++) DW_ASSERT(targets[i] >= 0 && targets[i] < V);
    PAR_BEGIN(ctx)
    int r0, r1;
    split_(N, id_, nt_, &r0, &r1);
    OP(ce_rows_)(losses, dlogits, logits, targets, r0, r1, V, dscale);
    PAR_END
    return DW_OK;
}

// ----------------------------------------------------------------------------
// AdamW, norms, scaling

static int OP(cpu_adamw)(KernCtx *ctx, R *params, const R *grads, R *m, R *v, size_t n, R lr,
                         R beta1, R beta2, R eps, R wd, int step) {
    DW_ASSERT(params && grads && m && v && step >= 1);
    const R bc1 = (R)(1.0 - pow((double)beta1, step));
    const R sqrt_bc2 = (R)sqrt(1.0 - pow((double)beta2, step));
    PAR_BEGIN(ctx)
    size_t i0, i1;
    splitz_(n, id_, nt_, &i0, &i1);
    OP(adamw_)(params + i0, grads + i0, m + i0, v + i0, i1 - i0, lr, beta1, beta2, eps, wd, bc1,
               sqrt_bc2);
    PAR_END
    return DW_OK;
}

static int OP(cpu_sumsq)(KernCtx *ctx, double *out, const R *x, size_t n) {
    DW_ASSERT(out && x);
    double part[KERN_CPU_MAX_THREADS] = {0};
    PAR_BEGIN(ctx)
    size_t i0, i1;
    splitz_(n, id_, nt_, &i0, &i1);
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (size_t i = i0; i < i1; i++) s += (double)x[i] * (double)x[i];
    part[id_] = s;
    PAR_END
    double s = 0;
    for (int t = 0; t < ctx->threads; t++) s += part[t]; /* fixed order */
    *out = s;
    return DW_OK;
}

static int OP(cpu_segment_sumsq)(KernCtx *ctx, double *out, const R *base, const size_t *off,
                                 const size_t *len, int nseg) {
    DW_ASSERT(out && base && off && len && nseg >= 0);
    for (int s = 0; s < nseg; s++) {
        int rc = OP(cpu_sumsq)(ctx, &out[s], base + off[s], len[s]);
        if (rc) return rc;
    }
    return DW_OK;
}

static int OP(cpu_scale)(KernCtx *ctx, R *x, size_t n, R s) {
    DW_ASSERT(x);
    PAR_BEGIN(ctx)
    size_t i0, i1;
    splitz_(n, id_, nt_, &i0, &i1);
#pragma omp simd
    for (size_t i = i0; i < i1; i++) x[i] *= s;
    PAR_END
    return DW_OK;
}

static int OP(cpu_zero)(KernCtx *ctx, R *x, size_t n) {
    DW_ASSERT(x || n == 0);
    PAR_BEGIN(ctx)
    size_t i0, i1;
    splitz_(n, id_, nt_, &i0, &i1);
    if (i1 > i0) memset(x + i0, 0, sizeof(R) * (i1 - i0));
    PAR_END
    return DW_OK;
}

// ----------------------------------------------------------------------------
// the table

static const struct OP(KernOps) OP(kern_cpu_ops) = {
    .matmul_forward = OP(cpu_matmul_forward),
    .matmul_backward = OP(cpu_matmul_backward),
    .layernorm_forward = OP(cpu_layernorm_forward),
    .layernorm_backward = OP(cpu_layernorm_backward),
    .rope_forward = OP(cpu_rope_forward),
    .rope_backward = OP(cpu_rope_backward),
    .attention_forward = OP(cpu_attention_forward),
    .attention_backward = OP(cpu_attention_backward),
    .gelu_forward = OP(cpu_gelu_forward),
    .gelu_backward = OP(cpu_gelu_backward),
    .residual_forward = OP(cpu_residual_forward),
    .residual_backward = OP(cpu_residual_backward),
    .embedding_forward = OP(cpu_embedding_forward),
    .embedding_backward = OP(cpu_embedding_backward),
    .crossentropy_forward = OP(cpu_crossentropy_forward),
    .adamw = OP(cpu_adamw),
    .sumsq = OP(cpu_sumsq),
    .segment_sumsq = OP(cpu_segment_sumsq),
    .scale = OP(cpu_scale),
    .zero = OP(cpu_zero),
};
