// Depthwise 2D convolution over NHWC images (Keras/TF.js DepthwiseConv2D).
//
// Input x[n][h][w][c]; kernel w[kh][kw][c][dm] (depthMultiplier dm), which is also
// w[kh*kw][oc] with oc = c * dm; output y[n][oh][ow][oc] where output channel o = ci * dm + m reads
// input channel ci = o / dm only:
//   y[i, oy, ox, o] = b[o] + sum over taps (ky, kx) inside the image of x[i, iy, ix, o / dm] * w[ky, kx, o]
// with (iy, ix) as WindowGeometry says (strides, dilation, padding). Every sum is one float sum in
// a fixed order, the same in both twins, so the twins are bit-identical: start from b[o] (0 without
// bias), add the in-image taps in (ky, kx) order; taps in the padding are skipped, not added as 0.
//
// The SIMD twins put 4 channels in a vector (NHWC: channels are contiguous) and stream the rows:
// for 3x3 kernels, the pixels whose window lies inside the image go through row kernels that keep
// the 9 weight vectors (forward; input gradient at stride 1) or the 9 kernel-gradient sums in
// registers while a row's pixels stream past; border pixels and other kernel sizes take a
// per-pixel path over 16-channel blocks. Explicit padding (pad_top/pad_left with any oh, ow) covers
// TF.js's ZeroPadding2D + 'valid' in one call: taps outside the image are skipped.
//
// Thread-ready: each call computes images [n0, n1) of the batch whose first image is at x (and y,
// dy, dx) — forward also only output rows [oy0, oy1) of those images — so disjoint ranges can run
// at once. Scratch memory comes from the caller (depthwise_workspace_floats); nothing allocates.
#pragma once

#include <cstddef>

#include "kernels/simd.h"
#include "kernels/window.h"

namespace wasmcnn::kernels {

// The floats of `work` the depthwise kernels need (0 for dm == 1, where work may be null).
size_t depthwise_workspace_floats(const WindowGeometry& g, int dm);

// y for images [n0, n1), output rows [oy0, oy1) (overwritten). b: oc floats or null.
WASMCNN_KERNEL(void, depthwise_forward,
               (const WindowGeometry& g, int dm, size_t n0, size_t n1, int oy0, int oy1, const float* x,
                const float* w, const float* b, float* y, float* work),
               (g, dm, n0, n1, oy0, oy1, x, w, b, y, work))

// The kernel and bias gradients of images [n0, n1), overwritten (a partial sum the caller reduces
// over ranges in a fixed order): dw[t, o] = sum over images, output pixels (in order) of
// x[.., o / dm] * dy[.., o], from 0; db[o] (db may be null) = sum of dy[.., o] likewise.
WASMCNN_KERNEL(void, depthwise_backward_filter,
               (const WindowGeometry& g, int dm, size_t n0, size_t n1, const float* x, const float* dy, float* dw,
                float* db, float* work),
               (g, dm, n0, n1, x, dy, dw, db, work))

// dx for images [n0, n1) (overwritten), gathered per input pixel: for output channel o, s_o = the
// sum from 0, over taps (ky, kx) in order whose output pixel exists, of w[ky, kx, o] * dy[oy, ox, o];
// then dx[ci] = s_{ci*dm} + s_{ci*dm+1} + ... (from the first term, in m order).
WASMCNN_KERNEL(void, depthwise_backward_input,
               (const WindowGeometry& g, int dm, size_t n0, size_t n1, const float* dy, const float* w, float* dx,
                float* work),
               (g, dm, n0, n1, dy, w, dx, work))

}  // namespace wasmcnn::kernels
