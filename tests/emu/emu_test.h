/* tests/emu/emu_test.h — what the emulator's test files share: test_cuda_emu.cpp (kernels,
 * runtime API, aborting paths; it has main) and test_cuda_emu_blas.cpp (cuBLAS GEMMs,
 * bf16/TF32 rounding). check.h's counters are per file: the cuBLAS file adds its own to
 * main's through test_cuda_emu_blas.
 */
#ifndef DW_EMU_TEST_H
#define DW_EMU_TEST_H

#include "../../kernels/cuda/emu/cuda_emu.h"

#include "../check.h"

#include <stdint.h>

#include <vector>

template <class T> static T *upload(const std::vector<T> &h) {
    T *d = nullptr;
    CHECK(cudaMalloc(&d, h.size() * sizeof(T)) == cudaSuccess);
    CHECK(cudaMemcpy(d, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice) == cudaSuccess);
    return d;
}

template <class T> static std::vector<T> download(const T *d, size_t n) {
    std::vector<T> h(n);
    CHECK(cudaMemcpy(h.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost) == cudaSuccess);
    return h;
}

/* Deterministic values in [-1, 1) with full 24-bit mantissas; one sequence for both files
 * (defined in test_cuda_emu.cpp). */
float rnd_unit();

/* Runs the cuBLAS and rounding tests (test_cuda_emu_blas.cpp) and adds their passed and
 * failed checks to *passed and *failed. */
void test_cuda_emu_blas(int *passed, int *failed);

#endif
