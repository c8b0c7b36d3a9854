// The register-tiled GEMM drivers behind the SIMD twins of gemm.cpp and conv.cpp. Internal to the
// kernels: include only from kernel .cpp files.
//
// Operand A is never packed. A driver asks a row function for the address of each row it needs,
// and a KRuns describes where the k values of a row lie: a plain matrix row is one run of k floats,
// a convolution's receptive field is kh runs of kw*c floats, one per kernel row, so the same
// drivers multiply an image by a kernel in place (an implicit im2col).
//
// Summation order is the one gemm.h promises: C0, then bias, then the products in order of k; a
// SIMD lane is one element of C, so the twins agree bit for bit.
#pragma once

#include <algorithm>
#include <cstddef>

#include "kernels/gemm.h"
#include "kernels/simd.h"

#if WASMCNN_SIMD
namespace wasmcnn::kernels::tiles {

constexpr size_t MR = kGemmMR;
constexpr size_t NR = kGemmNR;

// Where the k values of an A row lie: `runs` runs of `run_len` floats, run s starting at the row
// address + s * run_stride.
struct KRuns {
  size_t runs, run_len, run_stride;
  size_t k() const { return runs * run_len; }
  size_t offset(size_t t) const { return t / run_len * run_stride + t % run_len; }
};

inline KRuns plain_runs(size_t k) { return {1, k, 0}; }

// Starts a tile's accumulators: zeros, or (accumulate) rows x (4*NV) of C with lanes outside the
// tile zero-filled. A full tile loads in place; a partial one goes through a stack copy so no load
// leaves C.
template <int NV>
inline void start_tile(v128_t (&acc)[MR][NV], bool accumulate, const float* c, size_t ldc, size_t rows, size_t cols) {
  if (!accumulate) {
    for (size_t r = 0; r < MR; ++r)
      for (int v = 0; v < NV; ++v) acc[r][v] = wasm_f32x4_splat(0.f);
    return;
  }
  if (rows == MR && cols == 4 * NV) {
    for (size_t r = 0; r < MR; ++r)
      for (int v = 0; v < NV; ++v) acc[r][v] = wasm_v128_load(c + r * ldc + 4 * v);
    return;
  }
  alignas(16) float t[MR][4 * NV] = {};
  for (size_t r = 0; r < rows; ++r)
    for (size_t j = 0; j < cols; ++j) t[r][j] = c[r * ldc + j];
  for (size_t r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = wasm_v128_load(&t[r][4 * v]);
}

// Stores rows x cols of acc to C (ReLU first when asked).
template <int NV>
inline void store_tile(v128_t (&acc)[MR][NV], bool relu, float* c, size_t ldc, size_t rows, size_t cols) {
  if (relu) {
    const v128_t zero = wasm_f32x4_splat(0.f);
    for (size_t r = 0; r < MR; ++r)
      for (int v = 0; v < NV; ++v) acc[r][v] = wasm_f32x4_pmax(zero, acc[r][v]);  // 0 < s ? s : 0
  }
  if (rows == MR && cols == 4 * NV) {
    for (size_t r = 0; r < MR; ++r)
      for (int v = 0; v < NV; ++v) wasm_v128_store(c + r * ldc + 4 * v, acc[r][v]);
    return;
  }
  alignas(16) float t[MR][4 * NV];
  for (size_t r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) wasm_v128_store(&t[r][4 * v], acc[r][v]);
  for (size_t r = 0; r < rows; ++r)
    for (size_t j = 0; j < cols; ++j) c[r * ldc + j] = t[r][j];
}

// acc[r] += A[r] * B-row for the tile's four rows: one step of every micro-kernel here, the four
// A scalars at a0..a3 and 4*NV floats of B at b.
template <int NV>
__attribute__((always_inline)) inline void rank1_update(v128_t (&acc)[MR][NV], const float* a0, const float* a1,
                                                       const float* a2, const float* a3, const float* b) {
  v128_t bv[NV];
  for (int v = 0; v < NV; ++v) bv[v] = wasm_v128_load(b + 4 * v);
  const float* a[MR] = {a0, a1, a2, a3};
  for (size_t r = 0; r < MR; ++r) {
    const v128_t x = wasm_v128_load32_splat(a[r]);
    for (int v = 0; v < NV; ++v) acc[r][v] = wasm_f32x4_add(acc[r][v], wasm_f32x4_mul(x, bv[v]));
  }
}

// acc[r][v] += A_r[t] * B[t, 4v..4v+3] for every t of the runs: the inner loop of a forward
// product. a[r] are the MR row addresses; b points at the tile's first column, rows ldb apart,
// 4*NV floats readable in each.
template <int NV>
inline void nn_kernel(v128_t (&acc)[MR][NV], const float* const (&a)[MR], const KRuns& kr, const float* b,
                      size_t ldb) {
  for (size_t s = 0; s < kr.runs; ++s) {
    const size_t o = s * kr.run_stride;
    const float *a0 = a[0] + o, *a1 = a[1] + o, *a2 = a[2] + o, *a3 = a[3] + o;
    for (size_t t = 0; t < kr.run_len; ++t, b += ldb) {
      rank1_update(acc, a0 + t, a1 + t, a2 + t, a3 + t, b);
    }
  }
}

// One tile of C = act(C0 + bias + A B); bias has 4*NV readable floats when not null.
template <int NV>
inline void nn_tile(const float* const (&a)[MR], const KRuns& kr, const float* b, size_t ldb, const float* bias,
                    bool relu, bool accumulate, float* c, size_t ldc, size_t rows, size_t cols) {
  v128_t acc[MR][NV];
  start_tile(acc, accumulate, c, ldc, rows, cols);
  if (bias)
    for (size_t r = 0; r < MR; ++r)
      for (int v = 0; v < NV; ++v) acc[r][v] = wasm_f32x4_add(acc[r][v], wasm_v128_load(bias + 4 * v));
  nn_kernel(acc, a, kr, b, ldb);
  store_tile(acc, relu, c, ldc, rows, cols);
}

// One row of C over 4*NV columns (NV <= 8): the product for a lone row (m = 1, a batch of one
// image through a dense layer), where an MR-row tile would spend 3/4 of its work on copies of the
// row. Same order of operations per element as nn_tile.
template <int NV>
inline void nn_row(const float* a, const KRuns& kr, const float* b, size_t ldb, const float* bias, bool relu,
                   bool accumulate, float* c, size_t cols) {
  const v128_t zero = wasm_f32x4_splat(0.f);
  alignas(16) float t[4 * NV] = {};
  v128_t acc[NV];
  if (accumulate)
    for (size_t j = 0; j < cols; ++j) t[j] = c[j];
  for (int v = 0; v < NV; ++v) {
    acc[v] = accumulate ? wasm_v128_load(t + 4 * v) : zero;
    if (bias) acc[v] = wasm_f32x4_add(acc[v], wasm_v128_load(bias + 4 * v));
  }
  for (size_t s = 0; s < kr.runs; ++s) {
    const float* as = a + s * kr.run_stride;
    for (size_t p = 0; p < kr.run_len; ++p, b += ldb) {
      const v128_t x = wasm_v128_load32_splat(as + p);
      for (int v = 0; v < NV; ++v) acc[v] = wasm_f32x4_add(acc[v], wasm_f32x4_mul(x, wasm_v128_load(b + 4 * v)));
    }
  }
  for (int v = 0; v < NV; ++v) wasm_v128_store(t + 4 * v, relu ? wasm_f32x4_pmax(zero, acc[v]) : acc[v]);
  for (size_t j = 0; j < cols; ++j) c[j] = t[j];
}

// C[0, :] for m = 1: columns in blocks of 32 read in place, the last partial block of full
// vectors in place too, and the final partial vector through the zero-padded edge panel.
inline void nn_single_row(size_t n, const KRuns& kr, const float* a, const float* b, size_t ldb, const float* bias,
                          bool relu, bool accumulate, float* c, const float* edge_b, size_t edge_ld,
                          const float* edge_bias) {
  const size_t full_n = n / NR * NR;
  size_t j0 = 0;
  for (; j0 + 32 <= full_n; j0 += 32)
    nn_row<8>(a, kr, b + j0, ldb, bias ? bias + j0 : nullptr, relu, accumulate, c + j0, 32);
  for (; j0 < full_n; j0 += NR) nn_row<2>(a, kr, b + j0, ldb, bias ? bias + j0 : nullptr, relu, accumulate, c + j0, NR);
  if (full_n < n) {
    if (edge_ld == 4)
      nn_row<1>(a, kr, edge_b, 4, edge_bias, relu, accumulate, c + full_n, n - full_n);
    else
      nn_row<2>(a, kr, edge_b, NR, edge_bias, relu, accumulate, c + full_n, n - full_n);
  }
}

// C[i, :] = act(C0 + bias + A_i B) for i < m, where A_i = row(i) laid out by kr and B is
// [kr.k(), n] (ldb). Full column panels read B in place; the last, partial panel is first copied
// zero-padded into `work` (gemm_nn_workspace_floats(n, k) floats) together with its bias.
template <class RowFn>
void nn(size_t m, size_t n, const KRuns& kr, RowFn&& row, const float* b, size_t ldb, const float* bias, bool relu,
        bool accumulate, float* c, size_t ldc, float* work) {
  const size_t k = kr.k(), full_n = n / NR * NR, edge = n - full_n;
  const size_t edge_ld = edge <= 4 ? 4 : NR;
  const float *edge_b = nullptr, *edge_bias = nullptr;
  if (edge) {
    for (size_t t = 0; t < k; ++t)
      for (size_t j = 0; j < edge_ld; ++j) work[t * edge_ld + j] = j < edge ? b[t * ldb + full_n + j] : 0.f;
    edge_b = work;
    if (bias) {
      float* eb = work + k * edge_ld;
      for (size_t j = 0; j < edge_ld; ++j) eb[j] = j < edge ? bias[full_n + j] : 0.f;
      edge_bias = eb;
    }
  }
  if (m == 1) return nn_single_row(n, kr, row(0), b, ldb, bias, relu, accumulate, c, edge_b, edge_ld, edge_bias);
  // Column panels are swept in groups whose B columns fit ~16 KiB, so that every row tile finds
  // them in L1; A's row tile is reused across the group's panels.
  const size_t group = std::max<size_t>(1, 4096 / std::max<size_t>(k * NR, 1)) * NR;
  for (size_t g0 = 0; g0 < n; g0 += group) {
    const size_t g1 = std::min(n, g0 + group);
    for (size_t i0 = 0; i0 < m; i0 += MR) {
      const size_t rows = std::min(MR, m - i0);
      const float* a[MR];
      for (size_t r = 0; r < MR; ++r) a[r] = row(i0 + std::min(r, rows - 1));
      float* ci = c + i0 * ldc;
      for (size_t j0 = g0; j0 < std::min(g1, full_n); j0 += NR)
        nn_tile<2>(a, kr, b + j0, ldb, bias ? bias + j0 : nullptr, relu, accumulate, ci + j0, ldc, rows, NR);
      if (edge && g1 == n) {
        if (edge_ld == 4)
          nn_tile<1>(a, kr, edge_b, 4, edge_bias, relu, accumulate, ci + full_n, ldc, rows, edge);
        else
          nn_tile<2>(a, kr, edge_b, NR, edge_bias, relu, accumulate, ci + full_n, ldc, rows, edge);
      }
    }
  }
}

// acc[r][v] += A_p[off[r]] * B[p, 4v..4v+3] for the `count` rows p whose addresses are rp[0..count)
// and whose B rows start at b, ldb apart (4*NV floats readable in each): the inner loop of a
// weight gradient, streaming rows.
template <int NV>
inline void tn_kernel(v128_t (&acc)[MR][NV], const float* const* rp, const size_t (&off)[MR], const float* b,
                      size_t ldb, size_t count) {
  const size_t o0 = off[0], o1 = off[1], o2 = off[2], o3 = off[3];
  for (size_t p = 0; p < count; ++p, b += ldb) {
    const float* ap = rp[p];
    rank1_update(acc, ap + o0, ap + o1, ap + o2, ap + o3, b);
  }
}

// One tile of C (+)= sum over the chunk's rows. `safe` of the `count` rows can be read with full
// vectors; the rest (only ever the last few rows of B, in the last partial column panel) are read
// through a zero-padded stack copy.
template <int NV>
inline void tn_tile(const float* const* rp, const size_t (&off)[MR], const float* b, size_t ldb, size_t count,
                    size_t safe, bool accumulate, float* c, size_t ldc, size_t rows, size_t cols) {
  v128_t acc[MR][NV];
  start_tile(acc, accumulate, c, ldc, rows, cols);
  tn_kernel(acc, rp, off, b, ldb, safe);
  for (size_t p = safe; p < count; ++p) {
    alignas(16) float row[4 * NV] = {};
    for (size_t j = 0; j < cols; ++j) row[j] = b[p * ldb + j];
    tn_kernel(acc, rp + p, off, row, 0, 1);
  }
  store_tile(acc, false, c, ldc, rows, cols);
}

// C[m,n] = (accumulate ? C : 0) + sum over p < k of A_p^T B[p, :], where A_p = row(p) holds the m
// values at offsets kr.offset(0..m-1) and B is [k, n] (ldb). Rows are streamed in chunks whose
// addresses are looked up once; each chunk updates every tile of C, which stays in L1.
template <class RowFn>
void tn(size_t m, size_t n, size_t k, const KRuns& kr, RowFn&& row, const float* b, size_t ldb, bool accumulate,
        float* c, size_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (!accumulate)
      for (size_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, 0.f);
    return;
  }
  constexpr size_t kChunk = 256;
  const float* rp[kChunk];
  const size_t b_end = (k - 1) * ldb + n;  // one past B's last element
  for (size_t p0 = 0; p0 < k; p0 += kChunk) {
    const size_t count = std::min(kChunk, k - p0);
    for (size_t i = 0; i < count; ++i) rp[i] = row(p0 + i);
    const float* bc = b + p0 * ldb;
    for (size_t t0 = 0; t0 < m; t0 += MR) {
      const size_t rows = std::min(MR, m - t0);
      size_t off[MR];
      for (size_t r = 0; r < MR; ++r) off[r] = kr.offset(t0 + std::min(r, rows - 1));
      float* ct = c + t0 * ldc;
      for (size_t j0 = 0; j0 < n; j0 += NR) {
        const size_t cols = std::min(NR, n - j0), width = cols <= 4 ? 4 : NR;
        // Rows p whose `width`-float read at column j0 stays inside B: p * ldb + j0 + width <= b_end.
        size_t safe = count;
        if (cols < width) {
          const size_t limit = b_end >= j0 + width ? (b_end - j0 - width) / ldb + 1 : 0;  // global rows
          safe = limit > p0 ? std::min(count, limit - p0) : 0;
        }
        const bool acc_in = accumulate || p0 > 0;
        if (width == 4)
          tn_tile<1>(rp, off, bc + j0, ldb, count, safe, acc_in, ct + j0, ldc, rows, cols);
        else
          tn_tile<2>(rp, off, bc + j0, ldb, count, safe, acc_in, ct + j0, ldc, rows, cols);
      }
    }
  }
}

}  // namespace wasmcnn::kernels::tiles
#endif
