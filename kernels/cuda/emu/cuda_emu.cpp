/* kernels/cuda/emu/cuda_emu.cpp — the runtime of the CPU emulator declared in cuda_emu.h:
 * the coroutine scheduler that runs kernel launches, the device-memory table with its guard
 * zones, the runtime API subset (streams, events, errors) and the cuBLAS GEMMs over CBLAS.
 * Why and what is (not) modelled: see the header comment of cuda_emu.h.
 *
 * Scheduler. A launch runs its blocks in order. For a block of n threads, thread i (linear
 * id, x fastest) runs on fiber i: a ucontext with its own mmap'd stack (guard page below),
 * allocated the first time a block needs it and reused by every later block and launch.
 * The calling OS thread starts thread 0; from then on a thread that must wait (it reached a
 * barrier that has not released) or that returned hands the CPU directly to the next
 * runnable thread in round-robin order (one swapcontext per hand-over). When no thread can
 * run, control returns to the launching code: either all threads returned, or the block is
 * deadlocked and the program aborts with a description of who waits where.
 *
 * Barriers keep counts per block and per warp: `live` threads (not returned), threads
 * waiting at __syncthreads, threads waiting at a warp barrier. An arrival (or a return) that
 * makes "waiting == live" releases every waiter of that barrier. A warp barrier also records
 * what its waiters are doing (__syncwarp, or which half of a shuffle): lanes of one warp at
 * different warp-synchronous operations are a divergence bug and abort.
 *
 * Not thread-safe: one host thread uses the emulator at a time (as the backend does).
 */
#include "cuda_emu.h"

#include <cblas.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <map>
#include <new>
#include <set>
#include <vector>

// ============================================================================================
// Diagnostics and environment
// ============================================================================================

namespace {

/* "dwplan CUDA emulator: <message>" on stderr. */
static void emu_say(const char *fmt, va_list ap) {
    fputs("dwplan CUDA emulator: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    fflush(stderr);
}

[[noreturn]] __attribute__((format(printf, 1, 2))) void emu_fatal(const char *fmt, ...) {
    fflush(stdout);
    va_list ap;
    va_start(ap, fmt);
    emu_say(fmt, ap);
    va_end(ap);
    abort();
}

/* A diagnostic for a call that fails only because the emulator checks more than CUDA. */
__attribute__((format(printf, 1, 2))) void emu_warn(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    emu_say(fmt, ap);
    va_end(ap);
}

/* An environment flag is on when set to anything but "" or "0". */
bool env_flag(const char *name) {
    const char *v = getenv(name);
    return v && v[0] && strcmp(v, "0") != 0;
}

bool no_device() { return env_flag("DWPLAN_EMU_NO_DEVICE"); }

// ============================================================================================
// Last error
// ============================================================================================

cudaError_t g_last_error = cudaSuccess;

/* Records a failure as the last error and returns it (cudaSuccess passes through). */
cudaError_t rec(cudaError_t e) {
    if (e != cudaSuccess) g_last_error = e;
    return e;
}

// ============================================================================================
// Device memory: a table of live allocations, each with guard zones
// ============================================================================================

/* Layout of one allocation: [front guard kGuard][user bytes, rounded up to kGuard][back guard
 * kGuard]. Both guards and the rounding tail hold kGuardByte; the user bytes start as 0xFF. */
constexpr size_t kGuard = 64;
constexpr unsigned char kGuardByte = 0xA5;

struct Alloc {
    size_t size;     /* bytes requested */
    size_t padded;   /* size rounded up to kGuard */
    unsigned char *raw;
};
std::map<uintptr_t, Alloc> g_allocs; /* keyed by the user pointer */
size_t g_alloc_bytes = 0;            /* sum of their sizes */

/* The allocation that contains address p, or NULL. */
const std::pair<const uintptr_t, Alloc> *alloc_containing(const void *p) {
    uintptr_t a = (uintptr_t)p;
    auto it = g_allocs.upper_bound(a);
    if (it == g_allocs.begin()) return nullptr;
    --it;
    if (a >= it->first && a - it->first < it->second.size) return &*it;
    return nullptr;
}

/* Is [p, p + bytes) inside one allocation? (bytes > 0) */
bool range_in_device(const void *p, size_t bytes) {
    const auto *e = alloc_containing(p);
    return e && bytes <= e->second.size - ((uintptr_t)p - e->first);
}

/* Has a guard byte of `a` been overwritten? *off gets the first such byte's offset from the
 * user pointer (negative: before the block). */
bool guard_damaged(uintptr_t user, const Alloc &a, long long *off) {
    const unsigned char *u = (const unsigned char *)user;
    for (size_t i = 0; i < kGuard; i++)
        if (a.raw[i] != kGuardByte) return *off = (long long)i - (long long)kGuard, true;
    for (size_t i = a.size; i < a.padded + kGuard; i++)
        if (u[i] != kGuardByte) return *off = (long long)i, true;
    return false;
}

/* Aborts if any allocation's guard zone was written; `when` says where we looked. */
void check_guards(const char *when) {
    for (const auto &e : g_allocs) {
        long long off;
        if (guard_damaged(e.first, e.second, &off))
            emu_fatal("%s: out-of-bounds write into the guard zone of the %zu-byte cudaMalloc "
                      "block at %p (byte offset %lld from its start)",
                      when, e.second.size, (void *)e.first, off);
    }
}

// ============================================================================================
// Scheduler
// ============================================================================================

enum ThreadState : unsigned char { T_RUN, T_WAIT_BLOCK, T_WAIT_WARP, T_DONE };

/* What the waiters of a warp barrier are doing (they must all do the same). */
enum WarpOp : unsigned char { W_SYNCWARP = 1, W_SHFL_PUBLISH, W_SHFL_READ };

const char *warp_op_name(unsigned char op) {
    switch (op) {
    case W_SYNCWARP: return "__syncwarp";
    case W_SHFL_PUBLISH: return "a __shfl_*_sync (first half)";
    case W_SHFL_READ: return "a __shfl_*_sync (second half)";
    }
    return "?";
}

/* One emulated thread: its fiber (context + stack) and its scheduling state. Allocated one
 * by one so the ucontext never moves (glibc keeps a pointer into it). */
struct Fiber {
    ucontext_t ctx;
    unsigned char *map; /* mmap'd region: guard page + stack */
    size_t map_len;
    uint3 idx;          /* threadIdx */
    unsigned lin;       /* linear id in the block */
    ThreadState state;
    uint64_t slot;      /* shuffle value published by this lane */
};

std::vector<Fiber *> g_fibers;
size_t g_stack_size = 0; /* decided at the first launch */

/* Per-block barrier counts. */
struct BlockState {
    unsigned n = 0;             /* threads in the block */
    unsigned live = 0;          /* threads that have not returned */
    unsigned done = 0;          /* threads that have returned */
    unsigned block_waiting = 0; /* threads at __syncthreads */
    std::vector<unsigned> warp_live, warp_waiting;
    std::vector<unsigned char> warp_op;
} g_blk;

ucontext_t g_sched_ctx;             /* the launching code, resumed when no thread can run */
Fiber *g_cur = nullptr;             /* running emulated thread, NULL on the host */
const std::function<void()> *g_body = nullptr;
unsigned long g_launch_no = 0;
const char *g_kernel_name = nullptr;
bool g_strict_sync = false;

uint3 g_thread_idx{0, 0, 0}, g_block_idx{0, 0, 0};
dim3 g_block_dim, g_grid_dim;

/* "kernel launch #N (name)" for messages. */
const char *launch_desc() {
    static char buf[320];
    snprintf(buf, sizeof buf, "kernel launch #%lu (%s), block (%u,%u,%u)", g_launch_no,
             g_kernel_name ? g_kernel_name : "unnamed kernel", g_block_idx.x, g_block_idx.y,
             g_block_idx.z);
    return buf;
}

size_t page_size() { return (size_t)sysconf(_SC_PAGESIZE); }

/* DWPLAN_EMU_STACK: bytes, with an optional k/K or m/M suffix; at least 16 KiB. */
size_t stack_size_from_env() {
    const char *v = getenv("DWPLAN_EMU_STACK");
    size_t bytes = 64 * 1024;
    if (v && v[0]) {
        char *end;
        errno = 0;
        unsigned long long x = strtoull(v, &end, 10);
        if (*end == 'k' || *end == 'K') x <<= 10, end++;
        else if (*end == 'm' || *end == 'M') x <<= 20, end++;
        if (errno || end == v || *end || x < 16 * 1024 || x > (1ull << 30))
            emu_fatal("DWPLAN_EMU_STACK='%s': want a stack size between 16k and 1024m bytes", v);
        bytes = (size_t)x;
    }
    size_t pg = page_size();
    return (bytes + pg - 1) / pg * pg;
}

/* Makes sure fibers 0..n-1 exist. */
void ensure_fibers(unsigned n) {
    if (!g_stack_size) g_stack_size = stack_size_from_env();
    while (g_fibers.size() < n) {
        Fiber *f = new Fiber();
        size_t pg = page_size();
        f->map_len = pg + g_stack_size;
        void *m = mmap(nullptr, f->map_len, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (m == MAP_FAILED) emu_fatal("cannot map a %zu-byte thread stack", f->map_len);
        if (mprotect(m, pg, PROT_NONE) != 0) emu_fatal("cannot protect a stack guard page");
        f->map = (unsigned char *)m;
        if (getcontext(&f->ctx) != 0) emu_fatal("getcontext failed");
        g_fibers.push_back(f);
    }
}

/* Makes f the running thread (its built-in variables included). */
inline void activate(Fiber *f) {
    g_cur = f;
    g_thread_idx = f->idx;
}

/* The next runnable thread after `self` in round-robin order, or NULL. */
Fiber *pick_next(const Fiber *self) {
    unsigned n = g_blk.n;
    for (unsigned k = 1; k <= n; k++) {
        Fiber *f = g_fibers[(self->lin + k) % n];
        if (f->state == T_RUN) return f;
    }
    return nullptr;
}

/* The calling thread waits: run another thread; returns when this one is resumed. */
void wait_here(Fiber *self) {
    Fiber *next = pick_next(self);
    if (!next) {
        swapcontext(&self->ctx, &g_sched_ctx); /* nothing can run: the block is stuck */
    } else {
        activate(next);
        swapcontext(&self->ctx, &next->ctx);
    }
}

void release_block() {
    for (unsigned i = 0; i < g_blk.n; i++)
        if (g_fibers[i]->state == T_WAIT_BLOCK) g_fibers[i]->state = T_RUN;
    g_blk.block_waiting = 0;
}

void release_warp(unsigned w) {
    unsigned end = w * 32 + 32 < g_blk.n ? w * 32 + 32 : g_blk.n;
    for (unsigned i = w * 32; i < end; i++)
        if (g_fibers[i]->state == T_WAIT_WARP) g_fibers[i]->state = T_RUN;
    g_blk.warp_waiting[w] = 0;
}

Fiber *current(const char *fn) {
    if (!g_cur) emu_fatal("%s called outside a kernel", fn);
    return g_cur;
}

/* The calling thread arrives at its warp's barrier, doing `op`. */
void warp_barrier(Fiber *self, unsigned char op) {
    unsigned w = self->lin / 32;
    if (g_blk.warp_waiting[w] == 0) g_blk.warp_op[w] = op;
    else if (g_blk.warp_op[w] != op)
        emu_fatal("%s: lanes of warp %u are at different warp-synchronous operations (%s and "
                  "%s, thread (%u,%u,%u)): divergent warp synchronisation is undefined in CUDA",
                  launch_desc(), w, warp_op_name(g_blk.warp_op[w]), warp_op_name(op),
                  self->idx.x, self->idx.y, self->idx.z);
    self->state = T_WAIT_WARP;
    if (++g_blk.warp_waiting[w] == g_blk.warp_live[w]) release_warp(w);
    if (self->state != T_RUN) wait_here(self);
}

/* DWPLAN_EMU_STRICT_SYNC: a __syncthreads() that returned threads miss is an error. */
[[noreturn]] void strict_sync_fail() {
    emu_fatal("%s: __syncthreads() while %u thread(s) of the block have already returned "
              "(DWPLAN_EMU_STRICT_SYNC: a barrier not reached by every thread is undefined in "
              "CUDA)",
              launch_desc(), g_blk.done);
}

/* Bottom of every fiber: run the kernel body, then retire and hand over for good. */
void thread_main() {
    try {
        (*g_body)();
    } catch (...) {
        emu_fatal("%s: an exception escaped the kernel", launch_desc());
    }
    Fiber *self = g_cur;
    unsigned w = self->lin / 32;
    self->state = T_DONE;
    g_blk.live--;
    g_blk.done++;
    g_blk.warp_live[w]--;
    if (g_strict_sync && g_blk.block_waiting > 0) strict_sync_fail();
    if (g_blk.warp_waiting[w] > 0 && g_blk.warp_waiting[w] == g_blk.warp_live[w]) release_warp(w);
    if (g_blk.block_waiting > 0 && g_blk.block_waiting == g_blk.live) release_block();
    Fiber *next = pick_next(self);
    if (next) {
        activate(next);
        setcontext(&next->ctx);
    }
    setcontext(&g_sched_ctx);
    emu_fatal("setcontext failed");
}

/* Describes a stuck block and aborts. */
[[noreturn]] void report_deadlock() {
    unsigned at_block = 0, at_warp = 0;
    for (unsigned i = 0; i < g_blk.n; i++) {
        at_block += g_fibers[i]->state == T_WAIT_BLOCK;
        at_warp += g_fibers[i]->state == T_WAIT_WARP;
    }
    fflush(stdout);
    fprintf(stderr,
            "dwplan CUDA emulator: deadlock in %s of grid (%u,%u,%u), blockDim (%u,%u,%u): "
            "%u thread(s) wait at __syncthreads(), %u at a warp barrier (__syncwarp or "
            "__shfl_*_sync), %u returned; no barrier can ever release.\n",
            launch_desc(), g_grid_dim.x, g_grid_dim.y, g_grid_dim.z, g_block_dim.x,
            g_block_dim.y, g_block_dim.z, at_block, at_warp, g_blk.done);
    unsigned shown = 0;
    for (unsigned w = 0; w * 32 < g_blk.n && shown < 4; w++) {
        unsigned end = w * 32 + 32 < g_blk.n ? w * 32 + 32 : g_blk.n, nb = 0, nw = 0, nd = 0;
        for (unsigned i = w * 32; i < end; i++) {
            nb += g_fibers[i]->state == T_WAIT_BLOCK;
            nw += g_fibers[i]->state == T_WAIT_WARP;
            nd += g_fibers[i]->state == T_DONE;
        }
        if (nw == 0) continue;
        fprintf(stderr, "  warp %u: %u lane(s) at %s, %u at __syncthreads(), %u returned\n", w,
                nw, warp_op_name(g_blk.warp_op[w]), nb, nd);
        shown++;
    }
    fflush(stderr);
    abort();
}

/* Runs every thread of the current block (g_block_idx) to completion. */
void run_block() {
    unsigned n = g_blk.n, bx = g_block_dim.x, bxy = g_block_dim.x * g_block_dim.y;
    unsigned nwarps = (n + 31) / 32;
    g_blk.live = n;
    g_blk.done = 0;
    g_blk.block_waiting = 0;
    g_blk.warp_live.assign(nwarps, 32);
    if (n % 32) g_blk.warp_live[nwarps - 1] = n % 32;
    g_blk.warp_waiting.assign(nwarps, 0);
    g_blk.warp_op.assign(nwarps, 0);
    size_t pg = page_size();
    for (unsigned i = 0; i < n; i++) {
        Fiber *f = g_fibers[i];
        f->lin = i;
        f->idx = uint3{i % bx, (i / bx) % g_block_dim.y, i / bxy};
        f->state = T_RUN;
        f->ctx.uc_stack.ss_sp = f->map + pg;
        f->ctx.uc_stack.ss_size = g_stack_size;
        f->ctx.uc_link = &g_sched_ctx;
        makecontext(&f->ctx, thread_main, 0);
    }
    activate(g_fibers[0]);
    if (swapcontext(&g_sched_ctx, &g_fibers[0]->ctx) != 0) emu_fatal("swapcontext failed");
    g_cur = nullptr;
    if (g_blk.live != 0) report_deadlock();
}

}  // namespace

const uint3 &threadIdx = g_thread_idx;
const uint3 &blockIdx = g_block_idx;
const dim3 &blockDim = g_block_dim;
const dim3 &gridDim = g_grid_dim;

void emu_launch(dim3 grid, dim3 block, const std::function<void()> &body,
                const char *kernel_name) {
    ++g_launch_no;
    if (g_cur) emu_fatal("kernel launch #%lu from inside a kernel (not emulated)", g_launch_no);
    g_kernel_name = kernel_name;
    if (!body) emu_fatal("kernel launch #%lu without a kernel body", g_launch_no);
    if (no_device()) {
        rec(cudaErrorNoDevice);
        return;
    }
    const char *fail_at = getenv("DWPLAN_EMU_FAIL_LAUNCH"); /* fault injection, see the header */
    if (fail_at && strtoul(fail_at, nullptr, 10) == g_launch_no) {
        rec(cudaErrorLaunchFailure);
        return;
    }
    unsigned long long nthreads = (unsigned long long)block.x * block.y * block.z;
    if (grid.x == 0 || grid.y == 0 || grid.z == 0 || nthreads == 0 || block.z > 64 ||
        grid.x > 0x7fffffffu || grid.y > 65535 || grid.z > 65535) {
        rec(cudaErrorInvalidConfiguration);
        return;
    }
    if (nthreads > 1024)
        emu_fatal("kernel launch #%lu (%s): blockDim (%u,%u,%u) has %llu threads, more than the "
                  "1024 a block may have",
                  g_launch_no, kernel_name ? kernel_name : "unnamed kernel", block.x, block.y,
                  block.z, nthreads);
    g_strict_sync = env_flag("DWPLAN_EMU_STRICT_SYNC");
    ensure_fibers((unsigned)nthreads);
    g_body = &body;
    g_grid_dim = grid;
    g_block_dim = block;
    g_blk.n = (unsigned)nthreads;
    for (unsigned z = 0; z < grid.z; z++)
        for (unsigned y = 0; y < grid.y; y++)
            for (unsigned x = 0; x < grid.x; x++) {
                g_block_idx = uint3{x, y, z};
                run_block();
            }
    g_body = nullptr;
    char when[360];
    snprintf(when, sizeof when, "after kernel launch #%lu (%s)", g_launch_no,
             kernel_name ? kernel_name : "unnamed kernel");
    check_guards(when);
}

unsigned long emu_launch_count() { return g_launch_no; }

void __syncthreads() {
    Fiber *self = current("__syncthreads");
    if (g_strict_sync && g_blk.done > 0) strict_sync_fail();
    self->state = T_WAIT_BLOCK;
    if (++g_blk.block_waiting == g_blk.live) release_block();
    if (self->state != T_RUN) wait_here(self);
}

void __syncwarp(unsigned mask) {
    (void)mask;
    warp_barrier(current("__syncwarp"), W_SYNCWARP);
}

namespace emu_detail {

unsigned lane_id(const char *fn) { return current(fn)->lin & 31u; }

int check_width(int width, const char *fn) {
    current(fn);
    if (width < 1 || width > 32 || (width & (width - 1)))
        emu_fatal("%s: %s: width %d is not a power of two in [1, 32]", launch_desc(), fn, width);
    return width;
}

uint64_t shfl_exchange(uint64_t bits, int src_lane, const char *fn) {
    Fiber *self = current(fn);
    self->slot = bits;
    warp_barrier(self, W_SHFL_PUBLISH);
    /* Every live lane has published; none can publish again before the second barrier. */
    unsigned src = (self->lin & ~31u) + (unsigned)src_lane;
    uint64_t got = bits;
    if (src_lane >= 0 && src_lane < 32 && src < g_blk.n && g_fibers[src]->state != T_DONE)
        got = g_fibers[src]->slot;
    warp_barrier(self, W_SHFL_READ);
    return got;
}

}  // namespace emu_detail

// ============================================================================================
// Runtime API
// ============================================================================================

namespace {

struct ErrInfo {
    cudaError_t code;
    const char *name, *text;
};
const ErrInfo kErrors[] = {
    {cudaSuccess, "cudaSuccess", "no error"},
    {cudaErrorInvalidValue, "cudaErrorInvalidValue", "invalid argument"},
    {cudaErrorMemoryAllocation, "cudaErrorMemoryAllocation", "out of memory"},
    {cudaErrorInvalidConfiguration, "cudaErrorInvalidConfiguration",
     "invalid configuration argument"},
    {cudaErrorInvalidMemcpyDirection, "cudaErrorInvalidMemcpyDirection",
     "invalid copy direction for memcpy"},
    {cudaErrorNoDevice, "cudaErrorNoDevice", "no CUDA-capable device is detected"},
    {cudaErrorInvalidDevice, "cudaErrorInvalidDevice", "invalid device ordinal"},
    {cudaErrorInvalidResourceHandle, "cudaErrorInvalidResourceHandle", "invalid resource handle"},
    {cudaErrorLaunchFailure, "cudaErrorLaunchFailure", "unspecified launch failure"},
};

const ErrInfo *err_info(cudaError_t e) {
    for (const ErrInfo &i : kErrors)
        if (i.code == e) return &i;
    return nullptr;
}

struct StreamObj {};
struct EventObj {
    bool recorded = false;
    double t_ms = 0;
};
std::set<const void *> g_streams;
std::map<const void *, EventObj> g_events;

bool stream_ok(cudaStream_t s) { return s == nullptr || g_streams.count(s); }

double now_ms() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

size_t physical_ram() {
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    return pages > 0 && psz > 0 ? (size_t)pages * (size_t)psz : (size_t)16 << 30;
}

const char *kind_name(int kind) {
    switch (kind) {
    case cudaMemcpyHostToHost: return "cudaMemcpyHostToHost";
    case cudaMemcpyHostToDevice: return "cudaMemcpyHostToDevice";
    case cudaMemcpyDeviceToHost: return "cudaMemcpyDeviceToHost";
    case cudaMemcpyDeviceToDevice: return "cudaMemcpyDeviceToDevice";
    case cudaMemcpyDefault: return "cudaMemcpyDefault";
    }
    return "?";
}

/* Checks one side of a copy (kind -1: of a memset): a device side must be a range inside one
 * allocation, a host side must not point into device memory. */
bool side_ok(const char *fn, const char *which, const void *p, size_t n, bool want_device,
             int kind) {
    bool in_dev = alloc_containing(p) != nullptr;
    if (want_device && !range_in_device(p, n)) {
        if (in_dev)
            emu_warn("%s: %s range [%p, +%zu bytes) runs past the end of its cudaMalloc block",
                     fn, which, p, n);
        else
            emu_warn("%s%s%s: %s %p is not device memory from cudaMalloc", fn,
                     kind < 0 ? "" : "/", kind < 0 ? "" : kind_name(kind), which, p);
        return false;
    }
    if (!want_device && in_dev) {
        emu_warn("%s/%s: %s %p is device memory, not host memory", fn, kind_name(kind), which,
                 p);
        return false;
    }
    return true;
}

cudaError_t memcpy_impl(const char *fn, void *dst, const void *src, size_t count, int kind) {
    if (no_device()) return rec(cudaErrorNoDevice);
    if (kind < cudaMemcpyHostToHost || kind > cudaMemcpyDefault)
        return rec(cudaErrorInvalidMemcpyDirection);
    if (count == 0) return cudaSuccess;
    if (!dst || !src) return rec(cudaErrorInvalidValue);
    bool ok = true;
    if (kind == cudaMemcpyDefault) {
        /* Unified addressing: each side is whatever it points to; device sides must fit. */
        if (alloc_containing(dst)) ok = side_ok(fn, "destination", dst, count, true, kind);
        if (ok && alloc_containing(src)) ok = side_ok(fn, "source", src, count, true, kind);
    } else {
        bool dst_dev = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
        bool src_dev = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
        ok = side_ok(fn, "destination", dst, count, dst_dev, kind) &&
             side_ok(fn, "source", src, count, src_dev, kind);
    }
    if (!ok) return rec(cudaErrorInvalidValue);
    memmove(dst, src, count);
    return cudaSuccess;
}

cudaError_t memset_impl(const char *fn, void *p, int value, size_t count) {
    if (no_device()) return rec(cudaErrorNoDevice);
    if (count == 0) return cudaSuccess;
    if (!p) return rec(cudaErrorInvalidValue);
    if (!side_ok(fn, "destination", p, count, true, -1))
        return rec(cudaErrorInvalidValue);
    memset(p, value & 0xff, count);
    return cudaSuccess;
}

}  // namespace

const char *cudaGetErrorString(cudaError_t error) {
    const ErrInfo *i = err_info(error);
    return i ? i->text : "unrecognized error code";
}

const char *cudaGetErrorName(cudaError_t error) {
    const ErrInfo *i = err_info(error);
    return i ? i->name : "cudaErrorUnknown";
}

cudaError_t cudaGetLastError(void) {
    cudaError_t e = g_last_error;
    g_last_error = cudaSuccess;
    return e;
}

cudaError_t cudaPeekAtLastError(void) { return g_last_error; }

cudaError_t cudaGetDeviceCount(int *count) {
    if (!count) return rec(cudaErrorInvalidValue);
    *count = no_device() ? 0 : 1;
    return no_device() ? rec(cudaErrorNoDevice) : cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
    if (no_device()) return rec(cudaErrorNoDevice);
    return device == 0 ? cudaSuccess : rec(cudaErrorInvalidDevice);
}

cudaError_t cudaGetDevice(int *device) {
    if (no_device()) return rec(cudaErrorNoDevice);
    if (!device) return rec(cudaErrorInvalidValue);
    *device = 0;
    return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(struct cudaDeviceProp *prop, int device) {
    if (!prop) return rec(cudaErrorInvalidValue);
    if (no_device()) return rec(cudaErrorNoDevice);
    if (device != 0) return rec(cudaErrorInvalidDevice);
    memset(prop, 0, sizeof *prop);
    snprintf(prop->name, sizeof prop->name, "dwplan CPU emulator");
    prop->totalGlobalMem = physical_ram();
    prop->sharedMemPerBlock = 48 * 1024;
    prop->sharedMemPerBlockOptin = 48 * 1024;
    prop->sharedMemPerMultiprocessor = 48 * 1024;
    prop->totalConstMem = 64 * 1024;
    prop->regsPerBlock = 65536;
    prop->warpSize = 32;
    prop->maxThreadsPerBlock = 1024;
    prop->maxThreadsDim[0] = 1024;
    prop->maxThreadsDim[1] = 1024;
    prop->maxThreadsDim[2] = 64;
    prop->maxGridSize[0] = 0x7fffffff;
    prop->maxGridSize[1] = 65535;
    prop->maxGridSize[2] = 65535;
    prop->maxThreadsPerMultiProcessor = 1024;
    prop->major = 9;
    prop->minor = 0;
    prop->multiProcessorCount = 1;
    prop->l2CacheSize = 0;
    prop->unifiedAddressing = 1;
    return cudaSuccess;
}

cudaError_t cudaRuntimeGetVersion(int *version) {
    if (!version) return rec(cudaErrorInvalidValue);
    *version = 13000;
    return cudaSuccess;
}

cudaError_t cudaDriverGetVersion(int *version) {
    if (!version) return rec(cudaErrorInvalidValue);
    *version = 13000;
    return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize(void) {
    if (no_device()) return rec(cudaErrorNoDevice);
    check_guards("at cudaDeviceSynchronize");
    return cudaSuccess;
}

cudaError_t cudaMalloc(void **devPtr, size_t size) {
    if (!devPtr) return rec(cudaErrorInvalidValue);
    if (no_device()) return rec(cudaErrorNoDevice);
    *devPtr = nullptr;
    if (size == 0) return cudaSuccess;
    if (size > physical_ram()) return rec(cudaErrorMemoryAllocation);
    Alloc a;
    a.size = size;
    a.padded = (size + kGuard - 1) / kGuard * kGuard;
    a.raw = (unsigned char *)aligned_alloc(kGuard, a.padded + 2 * kGuard);
    if (!a.raw) return rec(cudaErrorMemoryAllocation);
    memset(a.raw, kGuardByte, a.padded + 2 * kGuard);
    memset(a.raw + kGuard, 0xff, size); /* NaN in float and double: uninitialised reads show */
    try {
        g_allocs.emplace((uintptr_t)(a.raw + kGuard), a);
    } catch (const std::bad_alloc &) {
        free(a.raw);
        return rec(cudaErrorMemoryAllocation);
    }
    g_alloc_bytes += size;
    *devPtr = a.raw + kGuard;
    return cudaSuccess;
}

cudaError_t cudaFree(void *devPtr) {
    if (no_device()) return rec(cudaErrorNoDevice);
    if (!devPtr) return cudaSuccess;
    auto it = g_allocs.find((uintptr_t)devPtr);
    if (it == g_allocs.end()) {
        emu_warn("cudaFree(%p): not a pointer returned by cudaMalloc (or already freed)", devPtr);
        return rec(cudaErrorInvalidValue);
    }
    long long off;
    if (guard_damaged(it->first, it->second, &off))
        emu_fatal("cudaFree(%p): out-of-bounds write into the guard zone of this %zu-byte block "
                  "(byte offset %lld from its start)",
                  devPtr, it->second.size, off);
    free(it->second.raw);
    g_alloc_bytes -= it->second.size;
    g_allocs.erase(it);
    return cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total_bytes) {
    if (!free_bytes || !total_bytes) return rec(cudaErrorInvalidValue);
    if (no_device()) return rec(cudaErrorNoDevice);
    *total_bytes = physical_ram();
    *free_bytes = g_alloc_bytes < *total_bytes ? *total_bytes - g_alloc_bytes : 0;
    return cudaSuccess;
}

cudaError_t cudaMemcpy(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind) {
    return memcpy_impl("cudaMemcpy", dst, src, count, kind);
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind,
                            cudaStream_t stream) {
    if (!no_device() && !stream_ok(stream)) return rec(cudaErrorInvalidResourceHandle);
    return memcpy_impl("cudaMemcpyAsync", dst, src, count, kind);
}

cudaError_t cudaMemset(void *devPtr, int value, size_t count) {
    return memset_impl("cudaMemset", devPtr, value, count);
}

cudaError_t cudaMemsetAsync(void *devPtr, int value, size_t count, cudaStream_t stream) {
    if (!no_device() && !stream_ok(stream)) return rec(cudaErrorInvalidResourceHandle);
    return memset_impl("cudaMemsetAsync", devPtr, value, count);
}

cudaError_t cudaStreamCreate(cudaStream_t *stream) {
    if (!stream) return rec(cudaErrorInvalidValue);
    if (no_device()) return rec(cudaErrorNoDevice);
    /* A stream is just a distinct address; StreamObj has no state. */
    cudaStream_t s = (cudaStream_t)(void *)new (std::nothrow) StreamObj();
    if (!s) return rec(cudaErrorMemoryAllocation);
    g_streams.insert(s);
    *stream = s;
    return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
    if (no_device()) return rec(cudaErrorNoDevice);
    if (!stream || !g_streams.count(stream)) return rec(cudaErrorInvalidResourceHandle);
    g_streams.erase(stream);
    delete (StreamObj *)(void *)stream;
    return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
    if (no_device()) return rec(cudaErrorNoDevice);
    return stream_ok(stream) ? cudaSuccess : rec(cudaErrorInvalidResourceHandle);
}

/* An event handle is a distinct address (a heap byte); its state lives in g_events. */
cudaError_t cudaEventCreate(cudaEvent_t *event) {
    if (!event) return rec(cudaErrorInvalidValue);
    if (no_device()) return rec(cudaErrorNoDevice);
    cudaEvent_t e = (cudaEvent_t)(void *)new (std::nothrow) char;
    if (!e) return rec(cudaErrorMemoryAllocation);
    g_events[e] = EventObj();
    *event = e;
    return cudaSuccess;
}

cudaError_t cudaEventDestroy(cudaEvent_t event) {
    if (no_device()) return rec(cudaErrorNoDevice);
    if (!g_events.erase(event)) return rec(cudaErrorInvalidResourceHandle);
    delete (char *)(void *)event;
    return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
    if (no_device()) return rec(cudaErrorNoDevice);
    auto it = g_events.find(event);
    if (it == g_events.end() || !stream_ok(stream)) return rec(cudaErrorInvalidResourceHandle);
    it->second.recorded = true;
    it->second.t_ms = now_ms();
    return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
    if (no_device()) return rec(cudaErrorNoDevice);
    return g_events.count(event) ? cudaSuccess : rec(cudaErrorInvalidResourceHandle);
}

cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t start, cudaEvent_t end) {
    if (!ms) return rec(cudaErrorInvalidValue);
    if (no_device()) return rec(cudaErrorNoDevice);
    auto a = g_events.find(start), b = g_events.find(end);
    if (a == g_events.end() || b == g_events.end() || !a->second.recorded ||
        !b->second.recorded)
        return rec(cudaErrorInvalidResourceHandle);
    *ms = (float)(b->second.t_ms - a->second.t_ms);
    return cudaSuccess;
}

// ============================================================================================
// cuBLAS
// ============================================================================================

struct cublasContext {
    cudaStream_t stream = nullptr;
    cublasMath_t math = CUBLAS_DEFAULT_MATH;
};

namespace {

std::set<const cublasContext *> g_handles;

bool handle_ok(cublasHandle_t h) { return h && g_handles.count(h); }

/* Does the strided batch of (rows x cols, ld) matrices starting at p lie in one allocation?
 * rows, cols >= 1. */
bool operand_in_device(const void *p, long long rows, long long cols, long long ld,
                       long long stride, long long batch) {
    if (!p) return false;
    long long extent = (cols - 1) * ld + rows; /* elements of one matrix */
    long long span = (batch - 1) * stride;
    long long lo = span < 0 ? span : 0, hi = (span > 0 ? span : 0) + extent;
    return range_in_device((const float *)p + lo, (size_t)(hi - lo) * sizeof(float));
}

/* A compact (rows x cols, ld = rows) copy of a matrix with every element rounded. */
std::vector<float> rounded_copy(const float *a, int rows, int cols, int ld, float (*rnd)(float)) {
    std::vector<float> t((size_t)rows * cols);
    for (int j = 0; j < cols; j++)
        for (int i = 0; i < rows; i++) t[(size_t)j * rows + i] = rnd(a[(size_t)j * ld + i]);
    return t;
}

/* The one GEMM behind cublasSgemm, cublasGemmEx and cublasGemmStridedBatchedEx. */
cublasStatus_t gemm(const char *fn, cublasHandle_t handle, cublasOperation_t transa,
                    cublasOperation_t transb, int m, int n, int k, const void *alpha,
                    const void *A, cudaDataType_t Atype, int lda, long long strideA,
                    const void *B, cudaDataType_t Btype, int ldb, long long strideB,
                    const void *beta, void *C, cudaDataType_t Ctype, int ldc, long long strideC,
                    int batchCount, cublasComputeType_t computeType, cublasGemmAlgo_t algo) {
    if (!handle_ok(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
    auto op_ok = [](cublasOperation_t op) {
        return op == CUBLAS_OP_N || op == CUBLAS_OP_T || op == CUBLAS_OP_C;
    };
    if (!op_ok(transa) || !op_ok(transb)) return CUBLAS_STATUS_INVALID_VALUE;
    if (m < 0 || n < 0 || k < 0 || batchCount < 0) return CUBLAS_STATUS_INVALID_VALUE;
    bool ta = transa != CUBLAS_OP_N, tb = transb != CUBLAS_OP_N; /* real: C == T */
    int a_rows = ta ? k : m, a_cols = ta ? m : k;
    int b_rows = tb ? n : k, b_cols = tb ? k : n;
    auto max1 = [](int v) { return v > 1 ? v : 1; };
    if (lda < max1(a_rows) || ldb < max1(b_rows) || ldc < max1(m))
        return CUBLAS_STATUS_INVALID_VALUE;
    if (!alpha || !beta) return CUBLAS_STATUS_INVALID_VALUE;
    bool algo_ok = (algo >= -1 && algo <= 23) || (algo >= 99 && algo <= 115);
    if (!algo_ok) return CUBLAS_STATUS_INVALID_VALUE;
    if (Atype != CUDA_R_32F || Btype != CUDA_R_32F || Ctype != CUDA_R_32F)
        return CUBLAS_STATUS_NOT_SUPPORTED;
    float (*rnd)(float) = nullptr; /* input rounding of the compute type */
    switch (computeType) {
    case CUBLAS_COMPUTE_32F:
    case CUBLAS_COMPUTE_32F_PEDANTIC: break;
    case CUBLAS_COMPUTE_32F_FAST_16BF: rnd = emu_round_bf16; break;
    case CUBLAS_COMPUTE_32F_FAST_TF32: rnd = emu_round_tf32; break;
    default: return CUBLAS_STATUS_NOT_SUPPORTED;
    }
    if (m == 0 || n == 0 || batchCount == 0) return CUBLAS_STATUS_SUCCESS;

    float al = *(const float *)alpha, be = *(const float *)beta;
    bool use_ab = k > 0 && al != 0.0f; /* as reference BLAS: else A and B are not read */
    if (use_ab && !operand_in_device(A, a_rows, a_cols, lda, strideA, batchCount)) {
        emu_warn("%s: A (%d x %d, lda %d, stride %lld, batch %d) is not inside one cudaMalloc "
                 "block",
                 fn, a_rows, a_cols, lda, strideA, batchCount);
        return CUBLAS_STATUS_EXECUTION_FAILED;
    }
    if (use_ab && !operand_in_device(B, b_rows, b_cols, ldb, strideB, batchCount)) {
        emu_warn("%s: B (%d x %d, ldb %d, stride %lld, batch %d) is not inside one cudaMalloc "
                 "block",
                 fn, b_rows, b_cols, ldb, strideB, batchCount);
        return CUBLAS_STATUS_EXECUTION_FAILED;
    }
    if (!operand_in_device(C, m, n, ldc, strideC, batchCount)) {
        emu_warn("%s: C (%d x %d, ldc %d, stride %lld, batch %d) is not inside one cudaMalloc "
                 "block",
                 fn, m, n, ldc, strideC, batchCount);
        return CUBLAS_STATUS_EXECUTION_FAILED;
    }

    try {
        for (int b = 0; b < batchCount; b++) {
            const float *a = (const float *)A + b * strideA;
            const float *bm = (const float *)B + b * strideB;
            float *c = (float *)C + b * strideC;
            /* C = beta·C first, never reading C when beta == 0 (it may hold NaN garbage). */
            for (int j = 0; j < n; j++) {
                float *col = c + (size_t)j * ldc;
                if (be == 0.0f) memset(col, 0, sizeof(float) * (size_t)m);
                else if (be != 1.0f && !use_ab)
                    for (int i = 0; i < m; i++) col[i] *= be;
            }
            if (!use_ab) continue;
            std::vector<float> ra, rb;
            int la = lda, lb = ldb;
            if (rnd) {
                ra = rounded_copy(a, a_rows, a_cols, lda, rnd);
                rb = rounded_copy(bm, b_rows, b_cols, ldb, rnd);
                a = ra.data(), bm = rb.data(), la = a_rows, lb = b_rows;
            }
            /* beta == 0: C is already zero, so beta 0 adds nothing and reads nothing bad. */
            cblas_sgemm(CblasColMajor, ta ? CblasTrans : CblasNoTrans,
                        tb ? CblasTrans : CblasNoTrans, m, n, k, al, a, la, bm, lb, be, c, ldc);
        }
    } catch (const std::bad_alloc &) {
        return CUBLAS_STATUS_ALLOC_FAILED;
    }
    return CUBLAS_STATUS_SUCCESS;
}

}  // namespace

const char *cublasGetStatusString(cublasStatus_t status) {
    switch (status) {
    case CUBLAS_STATUS_SUCCESS: return "the operation completed successfully";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "the library was not initialized";
    case CUBLAS_STATUS_ALLOC_FAILED: return "the resource allocation failed";
    case CUBLAS_STATUS_INVALID_VALUE: return "an invalid numeric value was used as an argument";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "the GPU program failed to execute";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "the functionality requested is not supported";
    }
    return "unknown error";
}

const char *cublasGetStatusName(cublasStatus_t status) {
    switch (status) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    }
    return "CUBLAS_STATUS_UNKNOWN";
}

cublasStatus_t cublasCreate(cublasHandle_t *handle) {
    if (!handle) return CUBLAS_STATUS_INVALID_VALUE;
    if (no_device()) return CUBLAS_STATUS_NOT_INITIALIZED;
    cublasHandle_t h = new (std::nothrow) cublasContext();
    if (!h) return CUBLAS_STATUS_ALLOC_FAILED;
    try {
        g_handles.insert(h);
    } catch (const std::bad_alloc &) {
        delete h;
        return CUBLAS_STATUS_ALLOC_FAILED;
    }
    *handle = h;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy(cublasHandle_t handle) {
    if (!handle_ok(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
    g_handles.erase(handle);
    delete handle;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t stream) {
    if (!handle_ok(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (!stream_ok(stream)) return CUBLAS_STATUS_INVALID_VALUE;
    handle->stream = stream;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
    if (!handle_ok(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
    /* Bit 16 is CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION, combinable with a mode. */
    int base = (int)mode & ~16;
    if (base < CUBLAS_DEFAULT_MATH || base > CUBLAS_TF32_TENSOR_OP_MATH)
        return CUBLAS_STATUS_INVALID_VALUE;
    handle->math = mode;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetMathMode(cublasHandle_t handle, cublasMath_t *mode) {
    if (!handle_ok(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (!mode) return CUBLAS_STATUS_INVALID_VALUE;
    *mode = handle->math;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSgemm(cublasHandle_t handle, cublasOperation_t transa,
                           cublasOperation_t transb, int m, int n, int k, const float *alpha,
                           const float *A, int lda, const float *B, int ldb, const float *beta,
                           float *C, int ldc) {
    return gemm("cublasSgemm", handle, transa, transb, m, n, k, alpha, A, CUDA_R_32F, lda, 0, B,
                CUDA_R_32F, ldb, 0, beta, C, CUDA_R_32F, ldc, 0, 1, CUBLAS_COMPUTE_32F,
                CUBLAS_GEMM_DEFAULT);
}

cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa,
                            cublasOperation_t transb, int m, int n, int k, const void *alpha,
                            const void *A, cudaDataType_t Atype, int lda, const void *B,
                            cudaDataType_t Btype, int ldb, const void *beta, void *C,
                            cudaDataType_t Ctype, int ldc, cublasComputeType_t computeType,
                            cublasGemmAlgo_t algo) {
    return gemm("cublasGemmEx", handle, transa, transb, m, n, k, alpha, A, Atype, lda, 0, B,
                Btype, ldb, 0, beta, C, Ctype, ldc, 0, 1, computeType, algo);
}

cublasStatus_t cublasGemmStridedBatchedEx(
    cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
    int k, const void *alpha, const void *A, cudaDataType_t Atype, int lda, long long strideA,
    const void *B, cudaDataType_t Btype, int ldb, long long strideB, const void *beta, void *C,
    cudaDataType_t Ctype, int ldc, long long strideC, int batchCount,
    cublasComputeType_t computeType, cublasGemmAlgo_t algo) {
    return gemm("cublasGemmStridedBatchedEx", handle, transa, transb, m, n, k, alpha, A, Atype,
                lda, strideA, B, Btype, ldb, strideB, beta, C, Ctype, ldc, strideC, batchCount,
                computeType, algo);
}
