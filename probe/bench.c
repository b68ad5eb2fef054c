/* probe/bench.c — see bench.h. */
#include "probe/bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "kernels/kern.h"

int probe_bench_gemm(const ProbeDevice *d, int n, int reps, double *gflops) {
    DW_ASSERT(d && gflops && n >= 1 && reps >= 1);
    KernCtx ctx;
    KernOptions o = {d->backend, d->threads, d->math, d->device, d->library};
    int rc = kern_ctx_open(&ctx, &o);
    if (rc) return rc;
    size_t nn = (size_t)n * n, bytes = sizeof(float) * nn;
    float *h = malloc(bytes);
    void *a = kern_alloc(&ctx, bytes), *b = kern_alloc(&ctx, bytes), *c = kern_alloc(&ctx, bytes);
    if (!h || !a || !b || !c) {
        rc = h ? DW_ENOMEM : dw_error_set(DW_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nn; i++) h[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
    if ((rc = kern_upload(&ctx, a, h, bytes)) || (rc = kern_upload(&ctx, b, h, bytes))) goto out;
    double best = INFINITY;
    for (int r = 0; r <= reps; r++) {
        if ((rc = kern_sync(&ctx))) goto out;
        double t0 = dw_now_s();
        if ((rc = kern_matmul_forward(&ctx, c, a, b, NULL, n, n, n)) || (rc = kern_sync(&ctx)))
            goto out;
        double dt = dw_now_s() - t0;
        if (r > 0 && dt < best) best = dt; /* the first call warms up */
    }
    *gflops = 2.0 * (double)n * n * n / best / 1e9;
out:
    if (ctx.mem) {
        kern_release(&ctx, a);
        kern_release(&ctx, b);
        kern_release(&ctx, c);
    }
    free(h);
    kern_ctx_free(&ctx);
    return rc;
}

void probe_bench_set_rate(ProbeBenchRow *row, double gemm_gflops) {
    DW_ASSERT(row);
    /* the step's model FLOPs (model_gflops · step time) at the GEMM rate */
    row->mfu = gemm_gflops > 0 ? row->model_gflops / gemm_gflops : NAN;
    row->floor_ms = row->step_ms * row->mfu;
}

int probe_bench_step(const ProbeModelConfig *c, const ProbeDevice *d, int B, int T,
                     double min_time, ProbeBenchRow *row) {
    DW_ASSERT(c && d && row && B >= 1 && T >= 1);
    memset(row, 0, sizeof *row);
    row->width = c->width, row->depth = c->depth, row->heads = c->heads;
    row->params = probe_model_num_params(c);
    ProbeModel *m = probe_model_alloc_dev(c, B, T, d, PROBE_F32);
    if (!m) return dw_error_code() ? dw_error_code() : DW_ENOMEM;
    int32_t *tok = malloc(sizeof(int32_t) * ((size_t)B * T + 1));
    if (!tok) {
        probe_model_free(m);
        return dw_error_set(DW_ENOMEM, "out of memory");
    }
    uint64_t s = 42;
    for (size_t i = 0; i < (size_t)B * T + 1; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        tok[i] = (int32_t)((s >> 33) % (uint64_t)c->vocab);
    }
    probe_model_init(m, 1);
    double window = min_time < 1 ? min_time : 1, total = 0, w_time = 0, best = INFINITY;
    int w_steps = 0, rc = DW_OK;
    float loss = NAN;
    for (int it = 0;; it++) {
        double t0 = dw_now_s();
        loss = probe_model_forward(m, tok, tok + 1, B, T);
        probe_model_zero_grad(m);
        probe_model_backward(m);
        probe_model_clip_grad(m, 1.0);
        probe_model_adamw(m, 3e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, it + 1);
        if ((rc = probe_model_sync(m))) break;
        double dt = dw_now_s() - t0;
        if (it < 1) continue; /* warm-up: first touch of the activation block, GEMM plans */
        total += dt;
        w_time += dt;
        w_steps++;
        row->steps++;
        if (w_steps >= 2 && w_time >= window) {
            if (w_time / w_steps < best) best = w_time / w_steps;
            w_time = 0;
            w_steps = 0;
            if (total >= min_time) break;
        }
    }
    if (!rc) {
        row->step_ms = 1e3 * best;
        row->tokens_per_s = (double)B * T / best;
        row->model_gflops = probe_model_flops_per_token(c, T) * row->tokens_per_s / 1e9;
        probe_bench_set_rate(row, NAN);
        row->loss = loss;
    }
    free(tok);
    probe_model_free(m);
    return rc;
}
