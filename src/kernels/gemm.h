// Single-precision matrix multiply, row-major.
//
//   C[m,n] = op(A)[m,k] * op(B)[k,n] + (accumulate ? C : 0)
//
// op(A) is A ([m,k], leading dimension lda) or, with trans_a, the transpose of A stored as [k,m].
// Likewise for B. The caller provides `work`, at least gemm_workspace_floats(m, n, k) floats,
// 16-byte aligned: A and B are packed there into panels the 4x8 micro-kernel streams through.
#pragma once

#include <cstddef>

#include "kernels/simd.h"

namespace wasmcnn::kernels {

constexpr size_t kGemmMR = 4;  // rows of the micro-kernel tile
constexpr size_t kGemmNR = 8;  // columns: two f32x4 vectors

size_t gemm_workspace_floats(size_t m, size_t n, size_t k);

WASMCNN_KERNEL(void, gemm,
               (bool trans_a, bool trans_b, size_t m, size_t n, size_t k, const float* a, size_t lda,
                const float* b, size_t ldb, bool accumulate, float* c, size_t ldc, float* work),
               (trans_a, trans_b, m, n, k, a, lda, b, ldb, accumulate, c, ldc, work))

// Triple loop, no packing: the reference the packed kernels are tested against.
void gemm_reference(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, const float* a,
                    size_t lda, const float* b, size_t ldb, bool accumulate, float* c, size_t ldc);

}  // namespace wasmcnn::kernels
