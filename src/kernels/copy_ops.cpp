#include "kernels/copy_ops.h"

#include <algorithm>
#include <cstring>

#include "core/check.h"

namespace wasmcnn::kernels {

void pad2d(const Margins& m, size_t n0, size_t n1, const float* small, float* big) {
  WASMCNN_ASSERT(m.top >= 0 && m.bottom >= 0 && m.left >= 0 && m.right >= 0 && m.small_h() >= 0 &&
                 m.small_w() >= 0 && n0 <= n1);
  const size_t c = m.c, row = size_t(m.w) * c, srow = size_t(m.small_w()) * c;
  const size_t big_size = size_t(m.h) * row, small_size = size_t(m.small_h()) * srow;
  for (size_t i = n0; i < n1; ++i) {
    float* b = big + i * big_size;
    const float* s = small + i * small_size;
    std::fill(b, b + size_t(m.top) * row, 0.f);
    for (int y = 0; y < m.small_h(); ++y, s += srow) {
      float* r = b + (size_t(m.top) + y) * row;
      std::fill(r, r + size_t(m.left) * c, 0.f);
      std::memcpy(r + size_t(m.left) * c, s, srow * sizeof(float));
      std::fill(r + size_t(m.left) * c + srow, r + row, 0.f);
    }
    std::fill(b + (size_t(m.h) - m.bottom) * row, b + big_size, 0.f);
  }
}

void crop2d(const Margins& m, size_t n0, size_t n1, const float* big, float* small) {
  WASMCNN_ASSERT(m.top >= 0 && m.bottom >= 0 && m.left >= 0 && m.right >= 0 && m.small_h() >= 0 &&
                 m.small_w() >= 0 && n0 <= n1);
  const size_t c = m.c, row = size_t(m.w) * c, srow = size_t(m.small_w()) * c;
  const size_t big_size = size_t(m.h) * row, small_size = size_t(m.small_h()) * srow;
  for (size_t i = n0; i < n1; ++i) {
    const float* b = big + i * big_size + size_t(m.top) * row + size_t(m.left) * c;
    float* s = small + i * small_size;
    for (int y = 0; y < m.small_h(); ++y, s += srow, b += row) std::memcpy(s, b, srow * sizeof(float));
  }
}

void concat_rows(size_t k, const float* const* xs, const size_t* widths, size_t r0, size_t r1, float* y) {
  size_t total = 0;
  for (size_t j = 0; j < k; ++j) total += widths[j];
  for (size_t r = r0; r < r1; ++r) {
    float* out = y + r * total;
    for (size_t j = 0; j < k; ++j) {
      std::memcpy(out, xs[j] + r * widths[j], widths[j] * sizeof(float));
      out += widths[j];
    }
  }
}

void split_rows(size_t k, const float* y, const size_t* widths, size_t r0, size_t r1, float* const* xs) {
  size_t total = 0;
  for (size_t j = 0; j < k; ++j) total += widths[j];
  for (size_t r = r0; r < r1; ++r) {
    const float* in = y + r * total;
    for (size_t j = 0; j < k; ++j) {
      std::memcpy(xs[j] + r * widths[j], in, widths[j] * sizeof(float));
      in += widths[j];
    }
  }
}

namespace portable {

void merge_forward(MergeOp op, size_t k, const float* const* xs, size_t i0, size_t i1, float* y) {
  WASMCNN_ASSERT(k >= 1 && (op != MergeOp::Subtract || k == 2));
  const float inv_k = 1.f / float(k);
  for (size_t i = i0; i < i1; ++i) {
    float v = xs[0][i];
    for (size_t j = 1; j < k; ++j) {
      const float x = xs[j][i];
      switch (op) {
        case MergeOp::Add: case MergeOp::Average: v = v + x; break;
        case MergeOp::Subtract: v = v - x; break;
        case MergeOp::Multiply: v = v * x; break;
        case MergeOp::Maximum: v = x > v ? x : v; break;
        case MergeOp::Minimum: v = x < v ? x : v; break;
      }
    }
    y[i] = op == MergeOp::Average ? inv_k * v : v;
  }
}

void merge_backward(MergeOp op, size_t k, const float* const* xs, const float* dy, size_t i0, size_t i1,
                    float* const* dxs) {
  WASMCNN_ASSERT(k >= 1 && (op != MergeOp::Subtract || k == 2));
  const float inv_k = 1.f / float(k);
  for (size_t i = i0; i < i1; ++i) {
    const float d = dy[i];
    switch (op) {
      case MergeOp::Add:
        for (size_t j = 0; j < k; ++j) dxs[j][i] = d;
        break;
      case MergeOp::Subtract:
        dxs[0][i] = d;
        dxs[1][i] = -d;
        break;
      case MergeOp::Average:
        for (size_t j = 0; j < k; ++j) dxs[j][i] = d * inv_k;
        break;
      case MergeOp::Multiply:
        for (size_t j = 0; j < k; ++j) {
          float p = 1.f;
          for (size_t q = 0; q < k; ++q)
            if (q != j) p = p * xs[q][i];
          dxs[j][i] = d * p;
        }
        break;
      case MergeOp::Maximum: case MergeOp::Minimum: {
        size_t win = 0;
        float v = xs[0][i];
        for (size_t j = 1; j < k; ++j) {
          const float x = xs[j][i];
          if (op == MergeOp::Maximum ? x > v : x < v) v = x, win = j;
        }
        for (size_t j = 0; j < k; ++j) dxs[j][i] = j == win ? d : 0.f;
        break;
      }
    }
  }
}

}  // namespace portable

#if WASMCNN_SIMD
namespace simd {

void merge_forward(MergeOp op, size_t k, const float* const* xs, size_t i0, size_t i1, float* y) {
  WASMCNN_ASSERT(k >= 1 && (op != MergeOp::Subtract || k == 2));
  const v128_t inv_k = wasm_f32x4_splat(1.f / float(k));
  size_t i = i0;
  for (; i + 4 <= i1; i += 4) {
    v128_t v = wasm_v128_load(xs[0] + i);
    for (size_t j = 1; j < k; ++j) {
      const v128_t x = wasm_v128_load(xs[j] + i);
      switch (op) {
        case MergeOp::Add: case MergeOp::Average: v = wasm_f32x4_add(v, x); break;
        case MergeOp::Subtract: v = wasm_f32x4_sub(v, x); break;
        case MergeOp::Multiply: v = wasm_f32x4_mul(v, x); break;
        case MergeOp::Maximum: v = wasm_v128_bitselect(x, v, wasm_f32x4_gt(x, v)); break;
        case MergeOp::Minimum: v = wasm_v128_bitselect(x, v, wasm_f32x4_lt(x, v)); break;
      }
    }
    wasm_v128_store(y + i, op == MergeOp::Average ? wasm_f32x4_mul(inv_k, v) : v);
  }
  portable::merge_forward(op, k, xs, i, i1, y);  // the scalar tail (< 4 elements)
}

void merge_backward(MergeOp op, size_t k, const float* const* xs, const float* dy, size_t i0, size_t i1,
                    float* const* dxs) {
  WASMCNN_ASSERT(k >= 1 && (op != MergeOp::Subtract || k == 2));
  const v128_t inv_k = wasm_f32x4_splat(1.f / float(k)), zero = wasm_f32x4_splat(0.f);
  size_t i = i0;
  for (; i + 4 <= i1; i += 4) {
    const v128_t d = wasm_v128_load(dy + i);
    switch (op) {
      case MergeOp::Add:
        for (size_t j = 0; j < k; ++j) wasm_v128_store(dxs[j] + i, d);
        break;
      case MergeOp::Subtract:
        wasm_v128_store(dxs[0] + i, d);
        wasm_v128_store(dxs[1] + i, wasm_f32x4_neg(d));
        break;
      case MergeOp::Average:
        for (size_t j = 0; j < k; ++j) wasm_v128_store(dxs[j] + i, wasm_f32x4_mul(d, inv_k));
        break;
      case MergeOp::Multiply:
        for (size_t j = 0; j < k; ++j) {
          v128_t p = wasm_f32x4_splat(1.f);
          for (size_t q = 0; q < k; ++q)
            if (q != j) p = wasm_f32x4_mul(p, wasm_v128_load(xs[q] + i));
          wasm_v128_store(dxs[j] + i, wasm_f32x4_mul(d, p));
        }
        break;
      case MergeOp::Maximum: case MergeOp::Minimum: {
        // The winner's index per lane, then dy where the index matches.
        v128_t v = wasm_v128_load(xs[0] + i), win = wasm_i32x4_splat(0);
        for (size_t j = 1; j < k; ++j) {
          const v128_t x = wasm_v128_load(xs[j] + i);
          const v128_t better = op == MergeOp::Maximum ? wasm_f32x4_gt(x, v) : wasm_f32x4_lt(x, v);
          v = wasm_v128_bitselect(x, v, better);
          win = wasm_v128_bitselect(wasm_i32x4_splat(int32_t(j)), win, better);
        }
        for (size_t j = 0; j < k; ++j)
          wasm_v128_store(dxs[j] + i, wasm_v128_bitselect(d, zero, wasm_i32x4_eq(win, wasm_i32x4_splat(int32_t(j)))));
        break;
      }
    }
  }
  portable::merge_backward(op, k, xs, dy, i, i1, dxs);  // the scalar tail (< 4 elements)
}

}  // namespace simd
#endif

}  // namespace wasmcnn::kernels
