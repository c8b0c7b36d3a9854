#include "kernels/gemm.h"

#include <cstring>

namespace wasmcnn::kernels {

namespace {

size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }

// Packs op(A) rows into panels of MR: panel[p * MR + r] = op(A)[i0 + r, p], zero-padded.
void pack_a(bool trans, size_t m, size_t k, const float* a, size_t lda, float* out) {
  for (size_t i0 = 0; i0 < m; i0 += kGemmMR) {
    size_t rows = m - i0 < kGemmMR ? m - i0 : kGemmMR;
    for (size_t p = 0; p < k; ++p) {
      for (size_t r = 0; r < kGemmMR; ++r)
        out[r] = r < rows ? (trans ? a[p * lda + i0 + r] : a[(i0 + r) * lda + p]) : 0.f;
      out += kGemmMR;
    }
  }
}

// Packs op(B) columns into panels of NR: panel[p * NR + c] = op(B)[p, j0 + c], zero-padded.
void pack_b(bool trans, size_t n, size_t k, const float* b, size_t ldb, float* out) {
  for (size_t j0 = 0; j0 < n; j0 += kGemmNR) {
    size_t cols = n - j0 < kGemmNR ? n - j0 : kGemmNR;
    for (size_t p = 0; p < k; ++p) {
      if (!trans && cols == kGemmNR) {
        std::memcpy(out, b + p * ldb + j0, kGemmNR * sizeof(float));
      } else {
        for (size_t c = 0; c < kGemmNR; ++c)
          out[c] = c < cols ? (trans ? b[(j0 + c) * ldb + p] : b[p * ldb + j0 + c]) : 0.f;
      }
      out += kGemmNR;
    }
  }
}

// Writes an MR x NR tile (row-major in `tile`) to C, clipped to rows x cols.
void store_tile(const float* tile, size_t rows, size_t cols, bool accumulate, float* c, size_t ldc) {
  for (size_t r = 0; r < rows; ++r)
    for (size_t j = 0; j < cols; ++j)
      c[r * ldc + j] = accumulate ? c[r * ldc + j] + tile[r * kGemmNR + j] : tile[r * kGemmNR + j];
}

template <class MicroKernel>
void gemm_packed(MicroKernel micro, bool trans_a, bool trans_b, size_t m, size_t n, size_t k,
                 const float* a, size_t lda, const float* b, size_t ldb, bool accumulate, float* c,
                 size_t ldc, float* work) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (!accumulate)
      for (size_t i = 0; i < m; ++i) std::memset(c + i * ldc, 0, n * sizeof(float));
    return;
  }
  float* pa = work;
  float* pb = work + round_up(m, kGemmMR) * k;
  pack_a(trans_a, m, k, a, lda, pa);
  pack_b(trans_b, n, k, b, ldb, pb);
  alignas(16) float tile[kGemmMR * kGemmNR];
  for (size_t j0 = 0; j0 < n; j0 += kGemmNR) {
    size_t cols = n - j0 < kGemmNR ? n - j0 : kGemmNR;
    const float* panel_b = pb + (j0 / kGemmNR) * kGemmNR * k;
    for (size_t i0 = 0; i0 < m; i0 += kGemmMR) {
      size_t rows = m - i0 < kGemmMR ? m - i0 : kGemmMR;
      const float* panel_a = pa + (i0 / kGemmMR) * kGemmMR * k;
      float* c_tile = c + i0 * ldc + j0;
      if (rows == kGemmMR && cols == kGemmNR) {
        micro(k, panel_a, panel_b, accumulate, c_tile, ldc);
      } else {
        micro(k, panel_a, panel_b, false, tile, kGemmNR);
        store_tile(tile, rows, cols, accumulate, c_tile, ldc);
      }
    }
  }
}

}  // namespace

size_t gemm_workspace_floats(size_t m, size_t n, size_t k) {
  return (round_up(m, kGemmMR) + round_up(n, kGemmNR)) * k;
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

namespace portable {

static void micro_4x8(size_t k, const float* pa, const float* pb, bool accumulate, float* c,
                      size_t ldc) {
  float acc[kGemmMR][kGemmNR] = {};
  for (size_t p = 0; p < k; ++p, pa += kGemmMR, pb += kGemmNR)
    for (size_t r = 0; r < kGemmMR; ++r)
      for (size_t j = 0; j < kGemmNR; ++j) acc[r][j] += pa[r] * pb[j];
  for (size_t r = 0; r < kGemmMR; ++r)
    for (size_t j = 0; j < kGemmNR; ++j)
      c[r * ldc + j] = accumulate ? c[r * ldc + j] + acc[r][j] : acc[r][j];
}

void gemm(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, const float* a, size_t lda,
          const float* b, size_t ldb, bool accumulate, float* c, size_t ldc, float* work) {
  gemm_packed(micro_4x8, trans_a, trans_b, m, n, k, a, lda, b, ldb, accumulate, c, ldc, work);
}

}  // namespace portable

#if WASMCNN_SIMD
namespace simd {

// 4 rows x 8 columns = 8 accumulators + 2 B vectors + 1 broadcast: 11 live vectors, within the
// ~12 that V8 keeps in registers.
static void micro_4x8(size_t k, const float* pa, const float* pb, bool accumulate, float* c,
                      size_t ldc) {
  v128_t c00 = wasm_f32x4_splat(0.f), c01 = c00, c10 = c00, c11 = c00;
  v128_t c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (size_t p = 0; p < k; ++p, pa += kGemmMR, pb += kGemmNR) {
    v128_t b0 = wasm_v128_load(pb);
    v128_t b1 = wasm_v128_load(pb + 4);
    v128_t a = wasm_f32x4_splat(pa[0]);
    c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a, b0));
    c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a, b1));
    a = wasm_f32x4_splat(pa[1]);
    c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a, b0));
    c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a, b1));
    a = wasm_f32x4_splat(pa[2]);
    c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(a, b0));
    c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(a, b1));
    a = wasm_f32x4_splat(pa[3]);
    c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(a, b0));
    c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(a, b1));
  }
  v128_t rows[kGemmMR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}};
  for (size_t r = 0; r < kGemmMR; ++r) {
    float* cr = c + r * ldc;
    if (accumulate) {
      rows[r][0] = wasm_f32x4_add(rows[r][0], wasm_v128_load(cr));
      rows[r][1] = wasm_f32x4_add(rows[r][1], wasm_v128_load(cr + 4));
    }
    wasm_v128_store(cr, rows[r][0]);
    wasm_v128_store(cr + 4, rows[r][1]);
  }
}

void gemm(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, const float* a, size_t lda,
          const float* b, size_t ldb, bool accumulate, float* c, size_t ldc, float* work) {
  gemm_packed(micro_4x8, trans_a, trans_b, m, n, k, a, lda, b, ldb, accumulate, c, ldc, work);
}

}  // namespace simd
#endif

}  // namespace wasmcnn::kernels
