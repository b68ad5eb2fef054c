/* tests/emu/test_cuda_emu.cpp — self-test of the CPU emulator of CUDA + cuBLAS
 * (kernels/cuda/emu/): kernels written as the CUDA backend writes them (launched through a
 * KLAUNCH macro, __shared__ + __syncthreads block reductions, warp shuffles, warps that
 * return early, partial warps), the runtime API (memory, errors, streams, events, the
 * no-device path) and the cuBLAS GEMMs against naive loops. Aborting paths (deadlock,
 * out-of-bounds writes, oversized blocks) run in forked children. Exit 0 when all pass.
 *
 * Build and run from the repository root:
 *   g++ -std=c++17 -O2 -Wall -Wextra -Werror tests/emu/test_cuda_emu.cpp \
 *       tests/emu/test_cuda_emu_blas.cpp kernels/cuda/emu/cuda_emu.cpp -lopenblas \
 *       -o test_cuda_emu && ./test_cuda_emu
 * (cuda_emu.h comes in through emu_test.h; `-include kernels/cuda/emu/cuda_emu.h`, as the .cu
 * gets it, works as well.)
 */
#include "emu_test.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

/* The backend's launch macro, as it expands under the emulator. The stream is evaluated and
 * dropped (everything is synchronous), which also keeps -Wunused-parameter quiet. */
#define KLAUNCH(kernel, grid, block, stream, ...)                                             \
    ((void)(stream), emu_launch(dim3(grid), dim3(block), [=]() { kernel(__VA_ARGS__); },       \
                                #kernel))

#define FULL 0xffffffffu

// ============================================================================================
// Helpers
// ============================================================================================

/* Deterministic values in [-1, 1) with full 24-bit mantissas. */
float rnd_unit() {
    static uint64_t s = 0x9e3779b97f4a7c15ull;
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(s >> 40) / (double)(1ull << 23) - 1.0);
}

/* Runs fn in a forked child with stderr captured. Returns true when the child died of
 * SIGABRT (want_abort) or exited 0 (!want_abort), and its stderr contains `want`. */
static bool child_run(void (*fn)(), bool want_abort, const char *want) {
    int pfd[2];
    if (pipe(pfd) != 0) return false;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        dup2(pfd[1], 2);
        close(pfd[0]);
        close(pfd[1]);
        fn();
        fflush(stderr);
        _exit(0);
    }
    close(pfd[1]);
    std::string err;
    char buf[4096];
    ssize_t r;
    while ((r = read(pfd[0], buf, sizeof buf)) > 0) err.append(buf, (size_t)r);
    close(pfd[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    bool status_ok = want_abort ? (WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT)
                                : (WIFEXITED(st) && WEXITSTATUS(st) == 0);
    bool ok = status_ok && err.find(want) != std::string::npos;
    if (!ok)
        fprintf(stderr, "child: wanted %s with \"%s\"; wait status %#x, stderr:\n%s\n",
                want_abort ? "an abort" : "success", want, st, err.c_str());
    return ok;
}

// ============================================================================================
// Kernels
// ============================================================================================

__device__ __forceinline__ float warp_sum(float v) {
    for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(FULL, v, off);
    return v;
}

/* partial[blockIdx.x] = sum of a grid-stride slice of x: warp sums by shuffles, then warp 0
 * adds the per-warp sums from shared memory (the other warps have returned by then). */
__global__ void block_sum(const float *__restrict__ x, float *__restrict__ partial, int n) {
    __shared__ float warp_sums[32];
    float v = 0.0f;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        v += x[i];
    v = warp_sum(v);
    int lane = threadIdx.x % warpSize, warp = threadIdx.x / warpSize;
    if (lane == 0) warp_sums[warp] = v;
    __syncthreads();
    if (warp != 0) return;
    int nwarps = blockDim.x / warpSize;
    v = lane < nwarps ? warp_sums[lane] : 0.0f;
    v = warp_sum(v);
    if (lane == 0) partial[blockIdx.x] = v;
}

/* One warp per row: row max (xor butterfly), sum of exp (shfl_down tree + broadcast). Warps
 * past the last row return at once while the others keep shuffling. */
__global__ void row_stats(const float *x, float *rowmax, float *rowsum, int rows, int cols) {
    int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x % 32;
    if (row >= rows) return;
    const float *r = x + (size_t)row * cols;
    float m = -INFINITY;
    for (int c = lane; c < cols; c += 32) m = fmaxf(m, r[c]);
    for (int off = 16; off > 0; off >>= 1) m = fmaxf(m, __shfl_xor_sync(FULL, m, off));
    float s = 0.0f;
    for (int c = lane; c < cols; c += 32) s += expf(r[c] - m);
    for (int off = 16; off > 0; off >>= 1) s += __shfl_down_sync(FULL, s, off);
    s = __shfl_sync(FULL, s, 0); /* broadcast lane 0's total */
    if (lane == 0) rowmax[row] = m;
    if (lane == 31) rowsum[row] = s;
}

/* Shuffle variants, widths and types. */
__global__ void shfl_patterns(int *bcast, int *seg, double *up, unsigned *down, int *xr,
                              long long *wide) {
    int t = threadIdx.x;
    bcast[t] = __shfl_sync(FULL, t * 3 + 1, 5);
    seg[t] = __shfl_sync(FULL, t * 3 + 1, 3 + 16 * 7, 16); /* srcLane mod 16 = 3 */
    up[t] = __shfl_up_sync(FULL, t + 0.5, 2, 8);
    down[t] = __shfl_down_sync(FULL, (unsigned)t * 7u, 3, 8);
    xr[t] = __shfl_xor_sync(FULL, t, 8, 8); /* later 8-segment: own value; earlier: allowed */
    wide[t] = __shfl_xor_sync(FULL, (long long)t << 33, 1);
}

/* A block of 40 threads: warp 1 has lanes 0..7 only. */
__global__ void partial_warp(int *next, int *xor4, int *sums) {
    int t = threadIdx.x, lane = t % 32;
    int active = (int)blockDim.x - (t / 32) * 32 < 32 ? (int)blockDim.x - (t / 32) * 32 : 32;
    next[t] = __shfl_sync(FULL, t * 10, (lane + 1) & 31);
    xor4[t] = __shfl_xor_sync(FULL, t, 4);
    int v = t;
    for (int off = 16; off > 0; off >>= 1) {
        int o = __shfl_down_sync(FULL, v, off);
        if (lane + off < active) v += o;
    }
    if (lane == 0) sums[t / 32] = v;
}

/* 3-D blocks and grids: built-in variables, warp formation, __syncwarp exchange. */
__global__ void index3d(unsigned *ids, unsigned *lane0, unsigned *neighbour) {
    __shared__ unsigned s[64];
    unsigned t = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
    unsigned nthr = blockDim.x * blockDim.y * blockDim.z;
    unsigned blk = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
    unsigned g = blk * nthr + t;
    ids[g] = blk * 1000 + t;
    lane0[g] = __shfl_sync(FULL, t, 0);
    s[t] = t * 2 + blk;
    __syncwarp();
    neighbour[g] = s[t ^ 1];
    __syncwarp();
}

/* Reverses each block's slice through shared memory (block of 100: a partial warp). */
__global__ void reverse_block(const int *in, int *out) {
    __shared__ int s[1024];
    int t = threadIdx.x, base = blockIdx.x * blockDim.x;
    s[t] = in[base + t];
    __syncthreads();
    out[base + t] = s[blockDim.x - 1 - t];
}

/* Threads 48..63 return before the barrier the others use (undefined in CUDA, released
 * under the emulator's default rule; DWPLAN_EMU_STRICT_SYNC aborts). */
__global__ void early_return_sync(int *out) {
    __shared__ int s[64];
    int t = threadIdx.x;
    if (t >= 48) return;
    s[t] = t * t;
    __syncthreads();
    out[t] = s[47 - t];
}

/* The same with the low threads returning, so they are gone before the others arrive. */
__global__ void early_return_sync_low(int *out) {
    __shared__ int s[64];
    int t = threadIdx.x;
    if (t < 16) return;
    s[t] = t * t;
    __syncthreads();
    out[t] = s[79 - t];
}

/* Lanes 16..31 return; lanes 0..15 reduce over a 16-lane segment with a 16-lane mask, which
 * is correct CUDA. The returned lanes must not hold up the warp barriers. */
__global__ void half_warp_reduce(int *out) {
    int lane = threadIdx.x % 32;
    if (lane >= 16) return;
    int v = lane + 1;
    for (int off = 8; off > 0; off >>= 1) v += __shfl_xor_sync(0x0000ffffu, v, off, 16);
    out[lane] = v;
}

__global__ void fill_kernel(float *p, int n, float v) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) p[i] = v;
}

/* Writes one element past the end (an out-of-bounds bug). */
__global__ void write_past_end(float *p, int n) {
    if (threadIdx.x == 0) p[n] = 1.0f;
}

__global__ void deadlock_kernel(int *out) {
    if (threadIdx.x < 16) __syncthreads();
    else __syncwarp();
    out[threadIdx.x] = 1;
}

__global__ void divergent_shuffle(int *out) {
    int v = (int)threadIdx.x;
    if (threadIdx.x < 8) __syncwarp();
    else v = __shfl_xor_sync(FULL, v, 1);
    out[threadIdx.x] = v;
}

__global__ void big_stack_kernel(int *out) {
    volatile char big[600 * 1024];
    big[threadIdx.x * 1000] = (char)threadIdx.x;
    out[threadIdx.x] = big[threadIdx.x * 1000];
}

// ============================================================================================
// Kernel tests
// ============================================================================================

static void test_block_sum() {
    const int n = 1000;
    std::vector<float> x(n);
    double want = 0;
    for (int i = 0; i < n; i++) x[i] = (float)(i % 17 - 5), want += x[i];
    float *dx = upload(x);
    for (int grid : {1, 3, 4}) {
        float *dp;
        CHECK(cudaMalloc(&dp, grid * sizeof(float)) == cudaSuccess);
        cudaStream_t stream = 0;
        KLAUNCH(block_sum, grid, 256, stream, dx, dp, n);
        CHECK(cudaGetLastError() == cudaSuccess);
        std::vector<float> p = download(dp, grid);
        double got = 0;
        for (float v : p) got += v;
        CHECK_ABS(got, want, 0.0); /* integers: exact */
        cudaFree(dp);
    }
    cudaFree(dx);
}

static void test_row_stats() {
    const int rows = 5, cols = 37;
    std::vector<float> x(rows * cols);
    for (float &v : x) v = 3.0f * rnd_unit();
    float *dx = upload(x), *dmax, *dsum;
    CHECK(cudaMalloc(&dmax, rows * sizeof(float)) == cudaSuccess);
    CHECK(cudaMalloc(&dsum, rows * sizeof(float)) == cudaSuccess);
    /* 2 blocks x 4 warps = 8 warps for 5 rows: warps 5..7 return early. */
    KLAUNCH(row_stats, 2, 128, 0, dx, dmax, dsum, rows, cols);
    std::vector<float> gm = download(dmax, rows), gs = download(dsum, rows);
    for (int r = 0; r < rows; r++) {
        float m = -INFINITY;
        for (int c = 0; c < cols; c++) m = fmaxf(m, x[r * cols + c]);
        double s = 0;
        for (int c = 0; c < cols; c++) s += exp((double)x[r * cols + c] - m);
        CHECK(gm[r] == m);
        CHECK_REL(gs[r], s, 1e-5);
    }
    cudaFree(dx), cudaFree(dmax), cudaFree(dsum);
}

static void test_shuffles() {
    const int n = 64;
    int *bcast, *seg, *xr;
    double *up;
    unsigned *down;
    long long *wide;
    cudaMalloc(&bcast, n * sizeof(int)), cudaMalloc(&seg, n * sizeof(int));
    cudaMalloc(&up, n * sizeof(double)), cudaMalloc(&down, n * sizeof(unsigned));
    cudaMalloc(&xr, n * sizeof(int)), cudaMalloc(&wide, n * sizeof(long long));
    KLAUNCH(shfl_patterns, 1, n, 0, bcast, seg, up, down, xr, wide);
    std::vector<int> hb = download(bcast, n), hs = download(seg, n), hx = download(xr, n);
    std::vector<double> hu = download(up, n);
    std::vector<unsigned> hd = download(down, n);
    std::vector<long long> hw = download(wide, n);
    int bad = 0;
    for (int t = 0; t < n; t++) {
        bad += hb[t] != ((t & ~31) + 5) * 3 + 1;
        bad += hs[t] != ((t & ~15) + 3) * 3 + 1;
        bad += hu[t] != ((t % 8) >= 2 ? t - 2 + 0.5 : t + 0.5);
        bad += hd[t] != (unsigned)((t % 8) + 3 < 8 ? t + 3 : t) * 7u;
        bad += hx[t] != ((t % 16) < 8 ? t : t - 8);
        bad += hw[t] != (long long)(t ^ 1) << 33;
    }
    CHECK(bad == 0);
    cudaFree(bcast), cudaFree(seg), cudaFree(up), cudaFree(down), cudaFree(xr), cudaFree(wide);
}

static void test_partial_warp() {
    const int n = 40;
    int *next, *xor4, *sums;
    cudaMalloc(&next, n * sizeof(int)), cudaMalloc(&xor4, n * sizeof(int));
    cudaMalloc(&sums, 2 * sizeof(int));
    KLAUNCH(partial_warp, 1, n, 0, next, xor4, sums);
    std::vector<int> hn = download(next, n), hx = download(xor4, n), hs = download(sums, 2);
    int bad = 0;
    for (int t = 0; t < n; t++) {
        int src = (t & ~31) + (((t % 32) + 1) & 31);
        int want_next = src < n ? src * 10 : t * 10; /* lane 40 does not exist: own value */
        bad += hn[t] != want_next;
        bad += hx[t] != (t ^ 4);
    }
    CHECK(bad == 0);
    CHECK(hn[39] == 390);
    CHECK(hs[0] == 31 * 32 / 2);
    CHECK(hs[1] == 32 + 33 + 34 + 35 + 36 + 37 + 38 + 39);
    cudaFree(next), cudaFree(xor4), cudaFree(sums);
}

static void test_index3d() {
    dim3 grid(2, 3, 2), block(8, 4, 2);
    const unsigned nthr = 64, nblk = 12, total = nthr * nblk;
    unsigned *ids, *lane0, *nb;
    cudaMalloc(&ids, total * sizeof(unsigned)), cudaMalloc(&lane0, total * sizeof(unsigned));
    cudaMalloc(&nb, total * sizeof(unsigned));
    unsigned long before = emu_launch_count();
    /* The brief's plain three-argument form, without a kernel name. */
    emu_launch(dim3(grid), dim3(block), [=]() { index3d(ids, lane0, nb); });
    CHECK(emu_launch_count() == before + 1);
    std::vector<unsigned> hi = download(ids, total), hl = download(lane0, total),
                          hn = download(nb, total);
    int bad = 0;
    for (unsigned b = 0; b < nblk; b++)
        for (unsigned t = 0; t < nthr; t++) {
            unsigned g = b * nthr + t;
            bad += hi[g] != b * 1000 + t;
            bad += hl[g] != (t & ~31u);
            bad += hn[g] != (t ^ 1) * 2 + b;
        }
    CHECK(bad == 0);
    cudaFree(ids), cudaFree(lane0), cudaFree(nb);
}

static void test_block_barriers() {
    const int bs = 100, grid = 3, n = bs * grid;
    std::vector<int> in(n);
    for (int i = 0; i < n; i++) in[i] = i * 7 - 3;
    int *din = upload(in), *dout;
    cudaMalloc(&dout, n * sizeof(int));
    KLAUNCH(reverse_block, grid, bs, 0, din, dout);
    std::vector<int> out = download(dout, n);
    int bad = 0;
    for (int b = 0; b < grid; b++)
        for (int t = 0; t < bs; t++) bad += out[b * bs + t] != in[b * bs + bs - 1 - t];
    CHECK(bad == 0);

    /* Threads that returned do not hold up __syncthreads (default rule). */
    KLAUNCH(early_return_sync, 1, 64, 0, dout);
    out = download(dout, 48);
    bad = 0;
    for (int t = 0; t < 48; t++) bad += out[t] != (47 - t) * (47 - t);
    CHECK(bad == 0);
    KLAUNCH(early_return_sync_low, 1, 64, 0, dout);
    out = download(dout, 64);
    bad = 0;
    for (int t = 16; t < 64; t++) bad += out[t] != (79 - t) * (79 - t);
    CHECK(bad == 0);
    /* Likewise at warp barriers: two blocks of one warp, each half returning. */
    KLAUNCH(half_warp_reduce, 2, 32, 0, dout);
    out = download(dout, 16);
    bad = 0;
    for (int t = 0; t < 16; t++) bad += out[t] != 16 * 17 / 2;
    CHECK(bad == 0);
    cudaFree(din), cudaFree(dout);
}

static void test_launch_config() {
    float *p;
    cudaMalloc(&p, 4 * sizeof(float));
    cudaMemset(p, 0, 4 * sizeof(float));
    CHECK(cudaGetLastError() == cudaSuccess);
    KLAUNCH(fill_kernel, 0, 32, 0, p, 4, 1.0f);
    CHECK(cudaPeekAtLastError() == cudaErrorInvalidConfiguration);
    CHECK(cudaPeekAtLastError() == cudaErrorInvalidConfiguration); /* peek does not reset */
    CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration);
    CHECK(cudaGetLastError() == cudaSuccess);
    KLAUNCH(fill_kernel, 1, 0, 0, p, 4, 1.0f);
    CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration);
    KLAUNCH(fill_kernel, dim3(1, 0), 32, 0, p, 4, 1.0f);
    CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration);
    KLAUNCH(fill_kernel, 1, dim3(1, 1, 65), 0, p, 4, 1.0f);
    CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration);
    std::vector<float> h = download(p, 4);
    CHECK(h[0] == 0.0f && h[3] == 0.0f); /* none of those launches ran */
    /* A good launch after a failed one does not clear the error; reading it does. */
    KLAUNCH(fill_kernel, 0, 32, 0, p, 4, 1.0f);
    KLAUNCH(fill_kernel, 1, 32, 0, p, 4, 2.0f);
    CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration);
    h = download(p, 4);
    CHECK(h[0] == 2.0f && h[3] == 2.0f);
    cudaFree(p);
}

// ============================================================================================
// Aborting paths (each in a forked child)
// ============================================================================================

static void child_bad_stack_env() {
    setenv("DWPLAN_EMU_STACK", "12", 1);
    KLAUNCH(fill_kernel, 1, 1, 0, (float *)nullptr, 0, 0.0f);
}

static void child_big_stack() {
    setenv("DWPLAN_EMU_STACK", "1m", 1);
    int *out;
    cudaMalloc(&out, 4 * sizeof(int));
    KLAUNCH(big_stack_kernel, 1, 4, 0, out);
    std::vector<int> h(4);
    cudaMemcpy(h.data(), out, sizeof(int) * 4, cudaMemcpyDeviceToHost);
    if (h[3] == 3) fputs("big stack ok\n", stderr);
}

static void child_deadlock() {
    int *out;
    cudaMalloc(&out, 32 * sizeof(int));
    KLAUNCH(deadlock_kernel, 1, 32, 0, out);
}

static void child_divergent_shuffle() {
    int *out;
    cudaMalloc(&out, 32 * sizeof(int));
    KLAUNCH(divergent_shuffle, 1, 32, 0, out);
}

static void child_strict_sync() {
    setenv("DWPLAN_EMU_STRICT_SYNC", "1", 1);
    int *out;
    cudaMalloc(&out, 64 * sizeof(int));
    KLAUNCH(early_return_sync, 1, 64, 0, out);
}

static void child_out_of_bounds() {
    float *p;
    cudaMalloc(&p, 10 * sizeof(float));
    KLAUNCH(write_past_end, 1, 32, 0, p, 10);
}

static void child_too_many_threads() {
    KLAUNCH(fill_kernel, 1, dim3(32, 33), 0, (float *)nullptr, 0, 0.0f);
}

static void child_sync_on_host() { __syncthreads(); }

static void test_aborts() {
    /* Before any launch in this process, so the children read DWPLAN_EMU_STACK afresh. */
    CHECK(child_run(child_bad_stack_env, true, "DWPLAN_EMU_STACK='12'"));
    CHECK(child_run(child_big_stack, false, "big stack ok"));
    CHECK(child_run(child_deadlock, true, "deadlock in kernel launch #1 (deadlock_kernel)"));
    CHECK(child_run(child_divergent_shuffle, true, "different warp-synchronous operations"));
    CHECK(child_run(child_strict_sync, true, "DWPLAN_EMU_STRICT_SYNC"));
    CHECK(child_run(child_out_of_bounds, true,
                    "after kernel launch #1 (write_past_end): out-of-bounds write"));
    CHECK(child_run(child_too_many_threads, true, "1056 threads, more than the 1024"));
    CHECK(child_run(child_sync_on_host, true, "__syncthreads called outside a kernel"));
}

// ============================================================================================
// Runtime API
// ============================================================================================

static void test_memory() {
    float *d = nullptr;
    CHECK(cudaMalloc(&d, 1000 * sizeof(float)) == cudaSuccess);
    CHECK(d && (uintptr_t)d % 64 == 0);
    std::vector<float> h = download(d, 1000);
    CHECK(isnan(h[0]) && isnan(h[999]));
    unsigned char byte;
    cudaMemcpy(&byte, (char *)d + 17, 1, cudaMemcpyDeviceToHost);
    CHECK(byte == 0xff);

    std::vector<float> src(1000);
    for (int i = 0; i < 1000; i++) src[i] = (float)i * 0.25f;
    size_t free0 = 0, total = 0, free1 = 0;
    CHECK(cudaMemGetInfo(&free0, &total) == cudaSuccess && free0 <= total && total > 0);
    float *d2;
    cudaMalloc(&d2, 1000 * sizeof(float));
    CHECK(cudaMemGetInfo(&free1, &total) == cudaSuccess && free1 == free0 - 4000);
    CHECK(cudaMemcpy(d, src.data(), 4000, cudaMemcpyHostToDevice) == cudaSuccess);
    CHECK(cudaMemcpy(d2, d, 4000, cudaMemcpyDeviceToDevice) == cudaSuccess);
    std::vector<float> back(1000);
    CHECK(cudaMemcpy(back.data(), d2, 4000, cudaMemcpyDeviceToHost) == cudaSuccess);
    CHECK(back == src);
    CHECK(cudaMemcpy(back.data(), d2 + 10, 40, cudaMemcpyDefault) == cudaSuccess);
    CHECK(back[0] == src[10] && back[9] == src[19]);
    std::vector<float> hh(4);
    CHECK(cudaMemcpy(hh.data(), src.data(), 16, cudaMemcpyHostToHost) == cudaSuccess);
    CHECK(hh[3] == src[3]);
    CHECK(cudaMemset(d2, 0, 4000) == cudaSuccess);
    CHECK(download(d2, 1000)[999] == 0.0f);
    CHECK(cudaMemcpy(d2, d, 0, cudaMemcpyDeviceToDevice) == cudaSuccess);

    fputs("(expected emulator diagnostics follow)\n", stderr);
    CHECK(cudaMemcpy(d, src.data(), 4004, cudaMemcpyHostToDevice) == cudaErrorInvalidValue);
    CHECK(cudaGetLastError() == cudaErrorInvalidValue);
    CHECK(cudaGetLastError() == cudaSuccess);
    CHECK(cudaMemcpy(d, src.data(), 4000, cudaMemcpyDeviceToHost) == cudaErrorInvalidValue);
    CHECK(cudaMemcpy(src.data(), d, 4, cudaMemcpyHostToDevice) == cudaErrorInvalidValue);
    CHECK(cudaMemset(src.data(), 0, 4) == cudaErrorInvalidValue);
    CHECK(cudaMemcpy(d, src.data(), 4, (cudaMemcpyKind)7) == cudaErrorInvalidMemcpyDirection);
    CHECK(cudaMemcpy(nullptr, src.data(), 4, cudaMemcpyHostToDevice) == cudaErrorInvalidValue);
    int local;
    CHECK(cudaFree(&local) == cudaErrorInvalidValue);
    CHECK(cudaFree(d + 1) == cudaErrorInvalidValue);
    CHECK(cudaFree(nullptr) == cudaSuccess);
    void *z = &local;
    CHECK(cudaMalloc(&z, 0) == cudaSuccess && z == nullptr);
    CHECK(cudaMalloc((void **)nullptr, 16) == cudaErrorInvalidValue);
    CHECK(cudaMalloc(&z, (size_t)1 << 62) == cudaErrorMemoryAllocation);
    cudaGetLastError();
    CHECK(cudaFree(d) == cudaSuccess);
    CHECK(cudaFree(d2) == cudaSuccess);
    CHECK(cudaFree(d2) == cudaErrorInvalidValue); /* double free */
    fputs("(end of expected diagnostics)\n", stderr);
    cudaGetLastError();
}

static void test_device_queries() {
    int count = -1, dev = -1, v = 0;
    CHECK(cudaGetDeviceCount(&count) == cudaSuccess && count == 1);
    CHECK(cudaSetDevice(0) == cudaSuccess);
    CHECK(cudaSetDevice(1) == cudaErrorInvalidDevice);
    CHECK(cudaGetLastError() == cudaErrorInvalidDevice);
    CHECK(cudaGetDevice(&dev) == cudaSuccess && dev == 0);
    cudaDeviceProp prop;
    CHECK(cudaGetDeviceProperties(&prop, 0) == cudaSuccess);
    CHECK(strcmp(prop.name, "dwplan CPU emulator") == 0);
    CHECK(prop.major == 9 && prop.minor == 0 && prop.warpSize == 32 && warpSize == 32);
    CHECK(prop.multiProcessorCount == 1 && prop.maxThreadsPerBlock == 1024);
    CHECK(prop.totalGlobalMem > ((size_t)64 << 20));
    CHECK(cudaGetDeviceProperties(&prop, 3) == cudaErrorInvalidDevice);
    CHECK(cudaRuntimeGetVersion(&v) == cudaSuccess && v == 13000);
    CHECK(cudaDriverGetVersion(&v) == cudaSuccess && v == 13000);
    CHECK(cudaDeviceSynchronize() == cudaSuccess);
    CHECK(strcmp(cudaGetErrorString(cudaSuccess), "no error") == 0);
    CHECK(strcmp(cudaGetErrorString(cudaErrorInvalidConfiguration),
                 "invalid configuration argument") == 0);
    CHECK(strcmp(cudaGetErrorName(cudaErrorNoDevice), "cudaErrorNoDevice") == 0);
    CHECK(strcmp(cudaGetErrorString((cudaError_t)12345), "unrecognized error code") == 0);
    cudaGetLastError();
}

static void test_no_device() {
    setenv("DWPLAN_EMU_NO_DEVICE", "1", 1);
    int count = -1;
    CHECK(cudaGetDeviceCount(&count) == cudaErrorNoDevice && count == 0);
    CHECK(cudaGetLastError() == cudaErrorNoDevice);
    void *p = nullptr;
    CHECK(cudaMalloc(&p, 16) == cudaErrorNoDevice);
    CHECK(cudaSetDevice(0) == cudaErrorNoDevice);
    cublasHandle_t h = nullptr;
    CHECK(cublasCreate(&h) == CUBLAS_STATUS_NOT_INITIALIZED);
    cudaGetLastError();
    KLAUNCH(fill_kernel, 1, 32, 0, (float *)nullptr, 0, 0.0f);
    CHECK(cudaGetLastError() == cudaErrorNoDevice);
    unsetenv("DWPLAN_EMU_NO_DEVICE");
    CHECK(cudaGetDeviceCount(&count) == cudaSuccess && count == 1);
    setenv("DWPLAN_EMU_NO_DEVICE", "0", 1); /* "0" means off */
    CHECK(cudaGetDeviceCount(&count) == cudaSuccess && count == 1);
    unsetenv("DWPLAN_EMU_NO_DEVICE");
}

static void test_streams_events() {
    cudaStream_t s;
    CHECK(cudaStreamCreate(&s) == cudaSuccess && s != nullptr);
    float *d;
    cudaMalloc(&d, 16);
    float h[4] = {1, 2, 3, 4}, g[4];
    CHECK(cudaMemcpyAsync(d, h, 16, cudaMemcpyHostToDevice, s) == cudaSuccess);
    CHECK(cudaMemsetAsync(d, 0, 4, s) == cudaSuccess);
    CHECK(cudaMemcpyAsync(g, d, 16, cudaMemcpyDeviceToHost) == cudaSuccess);
    CHECK(cudaStreamSynchronize(s) == cudaSuccess);
    CHECK(g[0] == 0.0f && g[3] == 4.0f);
    cudaEvent_t a = nullptr, b = nullptr, never = nullptr;
    CHECK(cudaEventCreate(&a) == cudaSuccess);
    CHECK(cudaEventCreate(&b) == cudaSuccess);
    CHECK(cudaEventCreate(&never) == cudaSuccess);
    CHECK(cudaEventRecord(a, s) == cudaSuccess);
    usleep(2000);
    CHECK(cudaEventRecord(b) == cudaSuccess);
    CHECK(cudaEventSynchronize(b) == cudaSuccess);
    float ms = -1;
    CHECK(cudaEventElapsedTime(&ms, a, b) == cudaSuccess);
    CHECK(ms >= 1.5f && ms < 5000.0f);
    CHECK(cudaEventElapsedTime(&ms, a, never) == cudaErrorInvalidResourceHandle);
    CHECK(cudaEventElapsedTime(nullptr, a, b) == cudaErrorInvalidValue);
    CHECK(cudaEventDestroy(a) == cudaSuccess);
    CHECK(cudaEventDestroy(b) == cudaSuccess);
    CHECK(cudaEventDestroy(never) == cudaSuccess);
    CHECK(cudaEventRecord(a) == cudaErrorInvalidResourceHandle);
    CHECK(cudaStreamDestroy(s) == cudaSuccess);
    CHECK(cudaStreamDestroy(s) == cudaErrorInvalidResourceHandle);
    CHECK(cudaStreamSynchronize(s) == cudaErrorInvalidResourceHandle);
    cudaGetLastError();
    cudaFree(d);
}

int main() {
    /* The emulator's switches must not leak in from the environment. */
    unsetenv("DWPLAN_EMU_NO_DEVICE");
    unsetenv("DWPLAN_EMU_STRICT_SYNC");
    unsetenv("DWPLAN_EMU_STACK");
    test_aborts(); /* first: before this process launches anything */
    test_block_sum();
    test_row_stats();
    test_shuffles();
    test_partial_warp();
    test_index3d();
    test_block_barriers();
    test_launch_config();
    test_memory();
    test_device_queries();
    test_no_device();
    test_streams_events();

    test_cuda_emu_blas(&check_pass_, &check_fail_); /* test_cuda_emu_blas.cpp */
    CHECK(cudaDeviceSynchronize() == cudaSuccess);
    return check_done("test_cuda_emu");
}
