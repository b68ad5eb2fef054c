/* kernels/cpu/kern_cpu.h — what only the CPU backend (kernels/cpu/kern_cpu.c) provides,
 * besides the operation tables of kernels/kern.h that every backend fills. Callers outside
 * kernels/ use it for reporting (which BLAS the run uses); the backend-neutral interface
 * stays in kern.h, so a GPU backend never sees these declarations.
 */
#ifndef KERN_CPU_H
#define KERN_CPU_H

#include "../kern.h"

/* The CPU backend's own opening, called by kern_ctx_open (kernels/kern.c) for KERN_CPU.
 * Return: DW_OK; DW_EINVAL for threads outside [1, 256] or a math mode other than fp32. */
int kern_cpu_open(KernCtx *ctx, const KernOptions *o);

/* The BLAS library the CPU backend runs on, e.g. "OpenBLAS 0.3.21 ... (core Haswell)", or
 * "CBLAS (unknown implementation)". Static storage. */
const char *kern_cpu_blas_info(void);

#endif
