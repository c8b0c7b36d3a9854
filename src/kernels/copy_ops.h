// Copies and merges: zero padding / cropping, concatenation / split, and the k-input merge layers
// (Keras/TF.js add, subtract, multiply, average, maximum, minimum).
//
// Padding and cropping are each other's adjoint, so ZeroPadding2D's backward is crop2d and
// Cropping2D's backward is pad2d. Concatenation along any axis of a row-major tensor is a
// concatenation of rows: with outer = the product of the dims before the axis, input j is
// [outer, width_j] (width_j = its dims from the axis on, multiplied) and the output
// [outer, sum of widths]; on NHWC channels outer = n*h*w, width_j = c_j. Its backward is split_rows.
// The pure copies are memcpy/memset, which Emscripten's libc already vectorises (and hands large
// blocks to the engine's own copy): they have no SIMD twin. The merges, which compute, do.
//
// Thread-ready: images [n0, n1), rows [r0, r1) or elements [i0, i1) per call.
#pragma once

#include <cstddef>

#include "kernels/simd.h"

namespace wasmcnn::kernels {

// A big image [h][w][c] and margins: the small image is rows [top, h - bottom) and columns
// [left, w - right) of it.
struct Margins {
  int h, w, c;
  int top, bottom, left, right;
  int small_h() const { return h - top - bottom; }
  int small_w() const { return w - left - right; }
};

// big[i] = small[i] inside the margins, 0 in them, for images [n0, n1) (ZeroPadding2D forward,
// Cropping2D backward).
void pad2d(const Margins& m, size_t n0, size_t n1, const float* small, float* big);
// small[i] = the inside of big[i] (Cropping2D forward, ZeroPadding2D backward).
void crop2d(const Margins& m, size_t n0, size_t n1, const float* big, float* small);

// y[r] = x_0[r] | x_1[r] | ... for rows [r0, r1); widths[j] floats per row of xs[j].
void concat_rows(size_t k, const float* const* xs, const size_t* widths, size_t r0, size_t r1, float* y);
// The adjoint: xs[j][r] = the j-th piece of y[r].
void split_rows(size_t k, const float* y, const size_t* widths, size_t r0, size_t r1, float* const* xs);

// y = op(x_0, ..., x_{k-1}) element-wise over [i0, i1), in input order:
//   Add       ((x0 + x1) + x2) + ...
//   Subtract  x0 - x1 (k == 2, as Keras)
//   Multiply  ((x0 * x1) * x2) * ...
//   Average   (1/k) * (the Add sum), TF.js's order (a multiply by float(1/k), not a divide)
//   Maximum   the first input's value, replaced by each later one that is strictly greater
//   Minimum   likewise, strictly smaller
// No broadcasting: every input has the output's shape.
enum class MergeOp { Add, Subtract, Multiply, Average, Maximum, Minimum };
WASMCNN_KERNEL(void, merge_forward, (MergeOp op, size_t k, const float* const* xs, size_t i0, size_t i1, float* y),
               (op, k, xs, i0, i1, y))

// dxs[j] over [i0, i1) (overwritten):
//   Add dy; Subtract dy and -dy; Average dy * float(1/k);
//   Multiply dy * (1 * the other inputs in order);
//   Maximum / Minimum: dy to the input that gave y (on ties the first one, as forward keeps the
//   first), 0 to the others.
WASMCNN_KERNEL(void, merge_backward,
               (MergeOp op, size_t k, const float* const* xs, const float* dy, size_t i0, size_t i1, float* const* dxs),
               (op, k, xs, dy, i0, i1, dxs))

}  // namespace wasmcnn::kernels
