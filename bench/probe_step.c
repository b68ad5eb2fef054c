/* bench/probe_step.c — training-step throughput of the probe model on the CPU backend
 * (issue 5's benchmark; not a test). In one run it measures:
 *   1. the machine's SGEMM rate with `threads` threads: C = A·B^T on square float matrices
 *      (default n = 2048), best of several calls, once with the BLAS library's own threads
 *      and once split by rows over OpenMP threads each running a single-threaded GEMM (the
 *      way the kernels use it); the higher of the two is the MFU denominator;
 *   2. for each (W, D): full training steps — forward, backward, global-norm clipping and
 *      AdamW — at batch B, sequence T, vocab V, heads W/64 (at least 1): tokens/s, and
 *      MFU = probe_model_flops_per_token · tokens/s ÷ the SGEMM rate.
 * Output: a header (BLAS, core, threads, SGEMM rates) and one line per shape,
 *   `W D heads params step_ms tokens_per_s model_gflops mfu loss`, machine-readable.
 *
 * Each shape's tokens/s is that of its fastest window of >= 1 s (at least 2 steps) within
 * --min-time seconds of steps after one warm-up step (probe_bench_step, the timing that
 * `dwplan probe bench` uses): on a shared machine a burst of load from other processes slows
 * some windows, not the best one.
 *
 *   probe_step [--threads N] [--widths 64,128,256,512] [--depths 2,4,8] [--batch 8]
 *              [--seq 256] [--vocab 256] [--min-time SECONDS] [--sgemm-n N (0: skip)]
 *              [--sgemm-only]
 */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "../common/dw.h"
#include "../kernels/kern.h"
#include "../kernels/cpu/kern_cpu.h"
#include "../probe/bench.h"
#include "../probe/model.h"

extern void openblas_set_num_threads(int) __attribute__((weak));

static int parse_list(const char *s, int *out, int max) {
    int n = 0;
    while (*s && n < max) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 1) return -1;
        out[n++] = (int)v;
        s = *end == ',' ? end + 1 : end;
    }
    return n;
}

/* Best GFLOP/s of C (n,n) = A (n,n) · B^T over `reps` calls. split: rows over OpenMP
 * threads with a single-threaded BLAS; otherwise one call with the BLAS's own threads. */
static double sgemm_rate(int n, int threads, int split, int reps) {
    size_t nn = (size_t)n * n;
    float *a = malloc(sizeof(float) * nn), *b = malloc(sizeof(float) * nn);
    float *c = malloc(sizeof(float) * nn);
    if (!a || !b || !c) return NAN;
    for (size_t i = 0; i < nn; i++) {
        a[i] = (float)((i * 7919) % 1000) / 1000.0f;
        b[i] = (float)((i * 104729) % 1000) / 1000.0f;
    }
    if (openblas_set_num_threads) openblas_set_num_threads(split ? 1 : threads);
    double best = 1e30;
    for (int r = 0; r < reps + 1; r++) {
        double t0 = dw_now_s();
        if (split) {
#pragma omp parallel num_threads(threads)
            {
                int id = 0, nt = 1;
#ifdef _OPENMP
                id = omp_get_thread_num();
                nt = omp_get_num_threads();
#endif
                int m0 = (int)((long long)n * id / nt), m1 = (int)((long long)n * (id + 1) / nt);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m1 - m0, n, n, 1.0f,
                            a + (size_t)m0 * n, n, b, n, 0.0f, c + (size_t)m0 * n, n);
            }
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f, a, n, b, n,
                        0.0f, c, n);
        }
        double dt = dw_now_s() - t0;
        if (r > 0 && dt < best) best = dt; /* the first call warms up */
    }
    free(a);
    free(b);
    free(c);
    return 2.0 * n * (double)n * n / best / 1e9;
}

int main(int argc, char **argv) {
    int threads = 2, B = 8, T = 256, V = 256, sgemm_n = 2048;
    int widths[16] = {64, 128, 256, 512}, nw = 4, depths[16] = {2, 4, 8}, nd = 3;
    double min_time = 3.0;
    int sgemm_only = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--sgemm-only")) {
            sgemm_only = 1;
            continue;
        }
        if (!v) goto usage;
        if (!strcmp(a, "--threads")) threads = atoi(v);
        else if (!strcmp(a, "--batch")) B = atoi(v);
        else if (!strcmp(a, "--seq")) T = atoi(v);
        else if (!strcmp(a, "--vocab")) V = atoi(v);
        else if (!strcmp(a, "--sgemm-n")) sgemm_n = atoi(v);
        else if (!strcmp(a, "--min-time")) min_time = atof(v);
        else if (!strcmp(a, "--widths")) nw = parse_list(v, widths, 16);
        else if (!strcmp(a, "--depths")) nd = parse_list(v, depths, 16);
        else goto usage;
        i++;
    }
    if (threads < 1 || B < 1 || T < 1 || V < 2 || nw < 1 || nd < 1 || sgemm_n < 0) goto usage;

    const char *ct = getenv("OPENBLAS_CORETYPE");
    double native0 = sgemm_n ? sgemm_rate(sgemm_n, threads, 0, 5) : NAN;
    double split0 = sgemm_n ? sgemm_rate(sgemm_n, threads, 1, 5) : NAN;
    fprintf(stderr, "probe_step: sgemm native %.1f, split %.1f GFLOP/s\n", native0, split0);
    KernCtx probe_ctx; /* for the BLAS description; sets the BLAS to one thread */
    if (kern_ctx_init(&probe_ctx, KERN_CPU, threads)) {
        fprintf(stderr, "probe_step: %s\n", dw_error_get());
        return 1;
    }

    ProbeBenchRow *res = malloc(sizeof *res * (size_t)(nw * nd));
    if (!res) return 1;
    int nres = 0;
    for (int iw = 0; iw < nw && !sgemm_only; iw++) {
        for (int id = 0; id < nd; id++) {
            ProbeModelConfig c;
            probe_model_config_default(&c);
            c.depth = depths[id];
            c.width = widths[iw];
            c.heads = widths[iw] >= 64 ? widths[iw] / 64 : 1;
            c.vocab = V;
            c.seq_len = T;
            ProbeDevice dev;
            probe_device_default(&dev);
            dev.threads = threads;
            /* probe/bench.c: fastest >= 1 s window within min_time */
            if (probe_bench_step(&c, &dev, B, T, min_time, &res[nres])) {
                fprintf(stderr, "probe_step: W=%d D=%d: %s\n", c.width, c.depth,
                        dw_error_get());
                continue;
            }
            fprintf(stderr, "probe_step: W=%d D=%d: %.0f tokens/s\n", c.width, c.depth,
                    res[nres++].tokens_per_s);
        }
    }

    double native1 = sgemm_n ? sgemm_rate(sgemm_n, threads, 0, 5) : NAN;
    double split1 = sgemm_n ? sgemm_rate(sgemm_n, threads, 1, 5) : NAN;
    double peak = fmax(fmax(native0, split0), fmax(native1, split1)); /* NaN: not measured */
    printf("# blas: %s\n", kern_cpu_blas_info());
    printf("# OPENBLAS_CORETYPE=%s threads=%d batch=%d seq=%d vocab=%d\n", ct ? ct : "(unset)",
           threads, B, T, V);
    printf("# sgemm %dx%d GFLOP/s: native %.1f/%.1f, split %.1f/%.1f (before/after); "
           "peak used %.1f\n",
           sgemm_n, sgemm_n, native0, native1, split0, split1, peak);
    printf("# %5s %3s %5s %10s %9s %11s %11s %6s %8s\n", "W", "D", "heads", "params",
           "step_ms", "tokens_s", "model_GF_s", "mfu", "loss");
    for (int i = 0; i < nres; i++) {
        const ProbeBenchRow *r = &res[i];
        printf("  %5d %3d %5d %10zu %9.1f %11.0f %11.1f %5.1f%% %8.4f\n", r->width, r->depth,
               r->heads, r->params, r->step_ms, r->tokens_per_s, r->model_gflops,
               100 * r->model_gflops / peak, r->loss);
    }
    free(res);
    kern_ctx_free(&probe_ctx);
    return 0;
usage:
    fprintf(stderr, "usage: probe_step [--threads N] [--widths 64,128,...] [--depths 2,4,...] "
                    "[--batch B] [--seq T] [--vocab V] [--min-time S] [--sgemm-n N] "
                    "[--sgemm-only]\n");
    return 2;
}
