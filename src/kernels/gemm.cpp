#include "kernels/gemm.h"

#include <algorithm>

#include "kernels/gemm_tiles.h"

namespace wasmcnn::kernels {

size_t gemm_nn_workspace_floats(size_t n, size_t k) { return n % kGemmNR ? kGemmNR * (k + 1) : 0; }

size_t gemm_workspace_floats(size_t m, size_t n, size_t k) {
  (void)m;
  return k * n + gemm_nn_workspace_floats(n, k);
}

void gemm_reference(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, const float* a,
                    size_t lda, const float* b, size_t ldb, bool accumulate, float* c, size_t ldc) {
  for (size_t i = 0; i < m; ++i)
    for (size_t j = 0; j < n; ++j) {
      double s = 0;
      for (size_t p = 0; p < k; ++p) {
        float av = trans_a ? a[p * lda + i] : a[i * lda + p];
        float bv = trans_b ? b[j * ldb + p] : b[p * ldb + j];
        s += double(av) * double(bv);
      }
      c[i * ldc + j] = float(accumulate ? c[i * ldc + j] + s : s);
    }
}

namespace {

// gemm() on top of a twin's gemm_nn, gemm_tn and transpose: op(B) = B^T is materialised in work.
template <class Nn, class Tn, class Transpose>
void gemm_general(Nn nn, Tn tn, Transpose transpose, bool trans_a, bool trans_b, size_t m, size_t n, size_t k,
                  const float* a, size_t lda, const float* b, size_t ldb, bool accumulate, float* c, size_t ldc,
                  float* work) {
  if (m == 0 || n == 0) return;
  if (trans_b) {
    transpose(n, k, b, ldb, work, n);  // B stored [n,k] -> [k,n]
    b = work;
    ldb = n;
    work += k * n;
  }
  if (trans_a)
    tn(all(m), n, k, a, lda, b, ldb, accumulate, c, ldc);
  else
    nn(all(m), n, k, a, lda, b, ldb, nullptr, false, accumulate, c, ldc, work);
}

}  // namespace

namespace portable {

// Loops ordered for cache-friendly native runs; each element of C still sees exactly the sequence
// of operations gemm.h specifies.
void gemm_nn(Range rows, size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
             const float* bias, bool relu, bool accumulate, float* c, size_t ldc, float*) {
  for (size_t i = rows.begin; i < rows.end; ++i) {
    float* ci = c + i * ldc;
    for (size_t j = 0; j < n; ++j) {
      if (!accumulate) ci[j] = 0.f;
      if (bias) ci[j] += bias[j];
    }
    for (size_t p = 0; p < k; ++p) {
      const float av = a[i * lda + p];
      const float* bp = b + p * ldb;
      for (size_t j = 0; j < n; ++j) ci[j] += av * bp[j];
    }
    if (relu)
      for (size_t j = 0; j < n; ++j) ci[j] = ci[j] > 0.f ? ci[j] : 0.f;
  }
}

void gemm_tn(Range rows, size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
             bool accumulate, float* c, size_t ldc) {
  if (!accumulate)
    for (size_t i = rows.begin; i < rows.end; ++i)
      for (size_t j = 0; j < n; ++j) c[i * ldc + j] = 0.f;
  for (size_t p = 0; p < k; ++p)
    for (size_t i = rows.begin; i < rows.end; ++i) {
      const float av = a[p * lda + i];
      const float* bp = b + p * ldb;
      float* ci = c + i * ldc;
      for (size_t j = 0; j < n; ++j) ci[j] += av * bp[j];
    }
}

void transpose(size_t rows, size_t cols, const float* a, size_t lda, float* out, size_t ldo) {
  for (size_t i = 0; i < rows; ++i)
    for (size_t j = 0; j < cols; ++j) out[j * ldo + i] = a[i * lda + j];
}

void gemm(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, const float* a, size_t lda,
          const float* b, size_t ldb, bool accumulate, float* c, size_t ldc, float* work) {
  gemm_general(gemm_nn, gemm_tn, transpose, trans_a, trans_b, m, n, k, a, lda, b, ldb, accumulate, c, ldc, work);
}

}  // namespace portable

#if WASMCNN_SIMD
namespace simd {

void gemm_nn(Range rows, size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
             const float* bias, bool relu, bool accumulate, float* c, size_t ldc, float* work) {
  if (rows.empty() || n == 0) return;
  a += rows.begin * lda;
  tiles::nn(rows.size(), n, tiles::plain_runs(k), [=](size_t i) { return a + i * lda; }, b, ldb, bias, relu,
            accumulate, c + rows.begin * ldc, ldc, work);
}

// Rows i of C are columns i of A: a range starts A's rows at column rows.begin.
void gemm_tn(Range rows, size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
             bool accumulate, float* c, size_t ldc) {
  a += rows.begin;
  tiles::tn(rows.size(), n, k, tiles::plain_runs(rows.size()), [=](size_t p) { return a + p * lda; }, b, ldb,
            accumulate, c + rows.begin * ldc, ldc);
}

// 4x4 blocks transposed in registers; the ragged right and bottom edges element by element.
void transpose(size_t rows, size_t cols, const float* a, size_t lda, float* out, size_t ldo) {
  const size_t rows4 = rows / 4 * 4, cols4 = cols / 4 * 4;
  for (size_t i = 0; i < rows4; i += 4) {
    for (size_t j = 0; j < cols4; j += 4) {
      const float* s = a + i * lda + j;
      v128_t r0 = wasm_v128_load(s), r1 = wasm_v128_load(s + lda);
      v128_t r2 = wasm_v128_load(s + 2 * lda), r3 = wasm_v128_load(s + 3 * lda);
      v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
      v128_t t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
      float* d = out + j * ldo + i;
      wasm_v128_store(d, wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5));
      wasm_v128_store(d + ldo, wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7));
      wasm_v128_store(d + 2 * ldo, wasm_i32x4_shuffle(t2, t3, 0, 1, 4, 5));
      wasm_v128_store(d + 3 * ldo, wasm_i32x4_shuffle(t2, t3, 2, 3, 6, 7));
    }
    for (size_t r = i; r < i + 4; ++r)
      for (size_t j = cols4; j < cols; ++j) out[j * ldo + r] = a[r * lda + j];
  }
  for (size_t i = rows4; i < rows; ++i)
    for (size_t j = 0; j < cols; ++j) out[j * ldo + i] = a[i * lda + j];
}

void gemm(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, const float* a, size_t lda,
          const float* b, size_t ldb, bool accumulate, float* c, size_t ldc, float* work) {
  gemm_general(gemm_nn, gemm_tn, transpose, trans_a, trans_b, m, n, k, a, lda, b, ldb, accumulate, c, ldc, work);
}

}  // namespace simd
#endif

}  // namespace wasmcnn::kernels
