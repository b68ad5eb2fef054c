/* kernels/cuda/emu/kern_cuda_emu.cpp — the CUDA backend (kernels/cuda/kern_cuda.cu) built
 * for the CPU emulator: the shim first, then the very same source. CMake builds this into
 * libdwplan_cudaemu.so (a separate file, because one source file cannot be CUDA in one
 * target and C++ in another). */
#include "cuda_emu.h"

#include "../kern_cuda.cu"
