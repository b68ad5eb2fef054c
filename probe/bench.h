/* probe/bench.h — training-step throughput of the probe model on a backend, and the
 * model-FLOPs utilisation against the same backend's GEMM rate measured in the same run
 * (`dwplan probe bench`; a benchmark, not a test).
 *
 * The floor of a training step is its model FLOPs (probe_model_flops_per_token × B·T) at the
 * GEMM rate: MFU = floor time ÷ step time.
 */
#ifndef PROBE_BENCH_H
#define PROBE_BENCH_H

#include <stddef.h>

#include "probe/model.h"

typedef struct {
    int width, depth, heads;
    size_t params;
    double step_ms;      /* fastest window's mean step time */
    double tokens_per_s;
    double model_gflops; /* model FLOPs per second achieved */
    double floor_ms;     /* the step's model FLOPs at the GEMM rate (probe_bench_set_rate;
                          * NaN until then) */
    double mfu;          /* floor_ms / step_ms */
    double loss;         /* of the last step, to show the steps did real work */
    int steps;           /* timed steps */
} ProbeBenchRow;

/* The device's GEMM rate in GFLOP/s: out (n×n) = A (n×n)·B^T through the backend's
 * kern_matmul_forward (on the CPU: rows split over the threads, each a single-threaded
 * SGEMM; on CUDA: one cuBLAS GEMM in the device's math mode), best of `reps` calls after one
 * warm-up. DW_OK, or the backend's error. */
int probe_bench_gemm(const ProbeDevice *d, int n, int reps, double *gflops);

/* Times full training steps (forward, backward, clipping, AdamW, synchronised) of a model
 * of shape c at batch B × T on synthetic tokens: one warm-up step, then windows of at least
 * min(1 s, min_time) and 2 steps until min_time has passed; the fastest window counts (a
 * burst of load from other processes slows some windows, not the best). floor_ms and mfu
 * are left NaN for probe_bench_set_rate. DW_OK or the allocation's / device's error. */
int probe_bench_step(const ProbeModelConfig *c, const ProbeDevice *d, int B, int T,
                     double min_time, ProbeBenchRow *row);

/* floor_ms and mfu of a measured row against a GEMM rate (GFLOP/s; NaN or <= 0: unknown,
 * both NaN). */
void probe_bench_set_rate(ProbeBenchRow *row, double gemm_gflops);

#endif
