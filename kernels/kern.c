/* kernels/kern.c — opening a backend: the CPU backend is part of dwplan; the CUDA backend
 * is a shared library (libdwplan_cuda.so, kernels/cuda/) loaded with dlopen only when
 * `--backend cuda` asks for it, so dwplan itself never links CUDA: it starts as fast
 * without it and runs on machines that have no CUDA runtime.
 *
 * Where the library is looked for, first found wins:
 *   1. KernOptions.library, when set (a path: no search);
 *   2. $DWPLAN_CUDA_LIB (a path: no search);
 *   3. the directory of the running executable (the build tree: build/dwplan next to
 *      build/libdwplan_cuda.so);
 *   4. ../lib/dwplan/ relative to the executable (an installed layout);
 *   5. the dynamic linker's own search (LD_LIBRARY_PATH, ld.so.cache).
 * The library is never unloaded: a CUDA runtime tolerates dlclose badly, and a process
 * opens one backend.
 */
#define _DEFAULT_SOURCE /* readlink, strcasecmp */
#include "kern.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../common/dw.h"
#include "cpu/kern_cpu.h"

#define KERN_CUDA_LIB_NAME "libdwplan_cuda.so"

const char *kern_backend_name(int backend) {
    return backend == KERN_CPU ? "cpu" : backend == KERN_CUDA ? "cuda" : "?";
}

int kern_backend_parse(const char *name) {
    if (!name) return -1;
    if (!strcasecmp(name, "cpu")) return KERN_CPU;
    if (!strcasecmp(name, "cuda") || !strcasecmp(name, "gpu")) return KERN_CUDA;
    return -1;
}

const char *kern_math_name(int math) {
    return math == KERN_MATH_FP32   ? "fp32"
           : math == KERN_MATH_TF32 ? "tf32"
           : math == KERN_MATH_BF16 ? "bf16"
                                    : "?";
}

int kern_math_parse(const char *name) {
    if (!name) return -1;
    if (!strcasecmp(name, "fp32") || !strcasecmp(name, "f32")) return KERN_MATH_FP32;
    if (!strcasecmp(name, "tf32")) return KERN_MATH_TF32;
    if (!strcasecmp(name, "bf16")) return KERN_MATH_BF16;
    return -1;
}

/* dw_error_set has a format attribute and a fixed signature; this is the same function
 * seen through KernHost's plain pointer type. */
static int host_error_set_(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int host_error_set_(int code, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return dw_error_set(code, "%s", buf);
}

static const KernHost kern_host = {KERN_ABI_VERSION, host_error_set_};

/* Directory of the running executable into dir[size] (no trailing slash); 0 or -1. */
static int exe_dir_(char *dir, size_t size) {
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0) return -1;
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    if (!slash) return -1;
    *slash = '\0';
    if (strlen(path) + 1 > size) return -1;
    memcpy(dir, path, strlen(path) + 1);
    return 0;
}

/* Loads the CUDA library: the handle, or NULL with the message set (every place tried, and
 * what the dynamic linker said about the first library that exists but failed to load —
 * typically a missing libcublas). */
static void *cuda_lib_load_(const char *explicit_path) {
    static char places[3][PATH_MAX + 64];
    char dir[PATH_MAX], tried[3 * (PATH_MAX + 64) + 8] = "", first_err[1024] = "";
    const char *env = getenv("DWPLAN_CUDA_LIB");
    const char *fixed = explicit_path ? explicit_path : (env && *env ? env : NULL);
    int np = 0;
    if (fixed) {
        snprintf(places[np++], sizeof places[0], "%s", fixed);
    } else {
        if (exe_dir_(dir, sizeof dir) == 0) {
            snprintf(places[np++], sizeof places[0], "%.*s/%s", PATH_MAX - 64, dir,
                     KERN_CUDA_LIB_NAME);
            snprintf(places[np++], sizeof places[0], "%.*s/../lib/dwplan/%s", PATH_MAX - 64,
                     dir, KERN_CUDA_LIB_NAME);
        }
        snprintf(places[np++], sizeof places[0], "%s", KERN_CUDA_LIB_NAME); /* ld.so's search */
    }
    for (int i = 0; i < np; i++) {
        void *h = dlopen(places[i], RTLD_NOW | RTLD_LOCAL);
        if (h) return h;
        const char *e = dlerror();
        /* a file that exists but does not load explains more than "not found" */
        int exists = strchr(places[i], '/') ? access(places[i], F_OK) == 0
                                            : e && !strstr(e, "No such file");
        if (!first_err[0] && exists)
            snprintf(first_err, sizeof first_err, "%s", e ? e : "unknown dlopen error");
        size_t used = strlen(tried);
        snprintf(tried + used, sizeof tried - used, "%s%s", used ? ", " : "", places[i]);
    }
    if (first_err[0])
        dw_error_set(DW_EDEVICE, "the CUDA backend library did not load: %s", first_err);
    else if (fixed)
        dw_error_set(DW_EDEVICE, "the CUDA backend library %s does not exist", fixed);
    else
        dw_error_set(DW_EDEVICE,
                     "the CUDA backend library %s was not found (looked in: %s); it is built "
                     "when CMake finds nvcc (on PATH or in /usr/local/cuda/bin), or set "
                     "DWPLAN_CUDA_LIB to its path",
                     KERN_CUDA_LIB_NAME, tried);
    return NULL;
}

static int cuda_open_(KernCtx *ctx, const KernOptions *o) {
    static void *lib; /* loaded once per process, never unloaded */
    if (!lib && !(lib = cuda_lib_load_(o->library))) return DW_EDEVICE;
    int (*abi)(void) = (int (*)(void))dlsym(lib, KERN_LIB_ABI_SYMBOL);
    KernLibOpen open_fn = (KernLibOpen)dlsym(lib, KERN_LIB_OPEN_SYMBOL);
    if (!abi || !open_fn)
        return dw_error_set(DW_EDEVICE, "the CUDA backend library lacks %s (not a dwplan "
                            "backend library?)", !abi ? KERN_LIB_ABI_SYMBOL : KERN_LIB_OPEN_SYMBOL);
    if (abi() != KERN_ABI_VERSION)
        return dw_error_set(DW_EDEVICE, "the CUDA backend library was built for interface "
                            "version %d, this dwplan has %d: rebuild both together", abi(),
                            KERN_ABI_VERSION);
    int rc = open_fn(ctx, o, &kern_host);
    if (rc) return rc;
    DW_ASSERT(ctx->mem && ctx->ops && ctx->backend == KERN_CUDA);
    return DW_OK;
}

int kern_ctx_open(KernCtx *ctx, const KernOptions *o) {
    DW_ASSERT(ctx && o);
    memset(ctx, 0, sizeof *ctx);
    if (o->math < KERN_MATH_FP32 || o->math > KERN_MATH_BF16)
        return dw_error_set(DW_EINVAL, "unknown math mode %d", o->math);
    switch (o->backend) {
    case KERN_CPU: return kern_cpu_open(ctx, o);
    case KERN_CUDA:
        if (o->device < 0)
            return dw_error_set(DW_EINVAL, "CUDA device must be >= 0 (got %d)", o->device);
        return cuda_open_(ctx, o);
    default: return dw_error_set(DW_EINVAL, "unknown kernel backend %d", o->backend);
    }
}

int kern_ctx_init(KernCtx *ctx, int backend, int threads) {
    KernOptions o = {backend, threads, KERN_MATH_FP32, 0, NULL};
    return kern_ctx_open(ctx, &o);
}

void kern_ctx_free(KernCtx *ctx) {
    if (!ctx) return;
    if (ctx->mem && ctx->mem->close) ctx->mem->close(ctx);
    memset(ctx, 0, sizeof *ctx);
}
