// Convolution as im2col + GEMM, NHWC.
//
// For one image x[h][w][c], im2col writes col[oh*ow][kh*kw*c]: row (oy, ox) holds the receptive
// field of output pixel (oy, ox) in (ky, kx, c) order, zeros where it overhangs the padding. With
// an HWIO kernel w[kh][kw][c][oc] seen as a [kh*kw*c, oc] matrix, y = col * w.
// col2im is its adjoint: it adds each col row back into dx at the pixels it was read from.
#pragma once

#include <cstddef>

#include "kernels/simd.h"

namespace wasmcnn::kernels {

struct ConvGeometry {
  int h, w, c;            // input
  int kh, kw;             // kernel
  int sh, sw;             // strides
  int pad_top, pad_left;  // zero padding before the first row / column
  int oh, ow;             // output
  size_t patch() const { return size_t(kh) * kw * c; }
};

// 'valid' (no padding) or 'same' (TensorFlow's: out = ceil(in / stride), extra padding at the end).
ConvGeometry conv_geometry(int h, int w, int c, int kh, int kw, int sh, int sw, bool same);

void im2col(const ConvGeometry& g, const float* x, float* col);
void col2im(const ConvGeometry& g, const float* col, float* dx);  // dx += adjoint(col)

}  // namespace wasmcnn::kernels
