// Single-precision matrix multiply, row-major, operands read in place (no packing of A).
//
// Summation order, the contract that keeps the twins bit-identical: every kernel here computes each
// element of C as one float sum that starts at C (when accumulating, else at 0), adds the bias
// (when given), then adds the products a_p * b_p for p = 0, 1, ..., k-1 in that order, and applies
// ReLU last. The SIMD twins keep that order lane by lane (wasm has no fused multiply-add), so the
// portable loops below are an exact specification, not an approximation.
//
// The SIMD twins tile C in kGemmMR x kGemmNR blocks held in registers (8 f32x4 accumulators, two
// B vectors and a broadcast: 11 live vectors, within the ~12 V8 keeps in registers).
#pragma once

#include <cstddef>

#include "kernels/range.h"
#include "kernels/simd.h"

namespace wasmcnn::kernels {

constexpr size_t kGemmMR = 4;  // rows of a register tile
constexpr size_t kGemmNR = 8;  // columns: two f32x4 vectors

// Floats of `work` gemm_nn needs: a zero-padded copy of B's last column panel (and of the bias)
// when n is not a multiple of kGemmNR, so no load reads past the end of B; 0 otherwise.
size_t gemm_nn_workspace_floats(size_t n, size_t k);

// C[i,:] = act((accumulate ? C : 0) + bias + A[i,:] B[k,n]) for the rows i in `rows` of C[m,n]
// (range.h; all(m) for the whole product). A (lda), B (ldb) and C (ldc) row-major, a and c the
// whole matrices. bias (n floats) may be null; relu clamps at 0. Used for every forward product
// (activations x weights): B is read in place, so a layer never repacks its weights.
WASMCNN_KERNEL(void, gemm_nn,
               (Range rows, size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
                const float* bias, bool relu, bool accumulate, float* c, size_t ldc, float* work),
               (rows, n, k, a, lda, b, ldb, bias, relu, accumulate, c, ldc, work))

// C[i,:] = (accumulate ? C : 0) + (A^T B)[i,:] for the rows i in `rows` of C[m,n], with A stored
// [k,m] (lda) and B stored [k,n] (ldb). A reduction over k rows streamed once each, for weight
// gradients (dw = x^T dz) where k is the batch (times the pixels) and m, n are small; a range of
// rows of dw needs no reduction across calls. No workspace.
WASMCNN_KERNEL(void, gemm_tn,
               (Range rows, size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
                bool accumulate, float* c, size_t ldc),
               (rows, n, k, a, lda, b, ldb, accumulate, c, ldc))

// out[j, i] = a[i, j]: a is [rows, cols] (lda), out is [cols, rows] (ldo).
WASMCNN_KERNEL(void, transpose, (size_t rows, size_t cols, const float* a, size_t lda, float* out, size_t ldo),
               (rows, cols, a, lda, out, ldo))

// The general entry point: C[m,n] = op(A)[m,k] op(B)[k,n] + (accumulate ? C : 0), where op(A) is
// A ([m,k], lda) or, with trans_a, the transpose of A stored [k,m]; likewise B. It runs gemm_nn or
// gemm_tn, after transposing B into `work` when trans_b. `work` holds at least
// gemm_workspace_floats(m, n, k) floats.
size_t gemm_workspace_floats(size_t m, size_t n, size_t k);
WASMCNN_KERNEL(void, gemm,
               (bool trans_a, bool trans_b, size_t m, size_t n, size_t k, const float* a, size_t lda,
                const float* b, size_t ldb, bool accumulate, float* c, size_t ldc, float* work),
               (trans_a, trans_b, m, n, k, a, lda, b, ldb, accumulate, c, ldc, work))

// Triple loop accumulating in double: the reference the float kernels are tested against.
void gemm_reference(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, const float* a,
                    size_t lda, const float* b, size_t ldb, bool accumulate, float* c, size_t ldc);

}  // namespace wasmcnn::kernels
