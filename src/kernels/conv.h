// Convolution over NHWC images with an HWIO kernel w[kh][kw][c][oc], seen as a [kh*kw*c, oc] matrix.
//
// For one image x[h][w][c], im2col writes col[oh*ow][kh*kw*c]: row (oy, ox) holds the receptive
// field of output pixel (oy, ox) in (ky, kx, c) order, zeros where it overhangs the padding, and
// y = col * w. col2im is its adjoint: it adds each col row back into dx at the pixels it was read
// from. The conv2d_* kernels compute the same products without materialising col for the forward
// pass and the kernel gradient: they read each receptive field in place (an implicit im2col), from
// a zero-padded copy of the image when the geometry pads. Their SIMD twins (conv_simd.cpp) tile
// the products as gemm_tiles.h does, except conv2d_forward on one input channel with unit column
// stride, which puts 4 adjacent output pixels in the lanes: no lane idles whatever oc is.
#pragma once

#include <cstddef>

#include "kernels/range.h"
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
// dx += adjoint(col); each dx element receives its terms in order of output pixel.
WASMCNN_KERNEL(void, col2im, (const ConvGeometry& g, const float* col, float* dx), (g, col, dx))

// Floats of `work` the conv2d_* kernels need for geometry g and oc output channels.
size_t conv2d_workspace_floats(const ConvGeometry& g, size_t oc);

// Each kernel computes one Range of its output (range.h): images of the batch for the forward
// product and the input gradient, output channels for the kernel gradient (every image adds into
// each dw element, so splitting images would need a reduction; splitting channels does not). x,
// y, dz and dx are always the whole batch; the ranges index into it.

// y[i, oh, ow, oc] = act(b + col_i * w) for the images i in `images` of x[n, h, w, c]; b (oc
// floats) may be null, relu clamps at 0. Each output element is one float sum in the order gemm.h
// specifies: b, then the receptive field's products in (ky, kx, c) order, padding contributing 0 * w.
WASMCNN_KERNEL(void, conv2d_forward,
               (const ConvGeometry& g, size_t oc, const float* x, const float* w, const float* b, bool relu,
                float* y, Range images, float* work),
               (g, oc, x, w, b, relu, y, images, work))

// dw[kh*kw*c, o] = (col^T * dz)[:, o] summed over the n images, for the output channels o in
// `channels` (overwrites those columns of dw, leaves the others): the kernel gradient, each element
// summed from 0 over images and their output pixels in order.
WASMCNN_KERNEL(void, conv2d_backward_filter,
               (const ConvGeometry& g, size_t n, size_t oc, const float* x, const float* dz, float* dw,
                Range channels, float* work),
               (g, n, oc, x, dz, dw, channels, work))

// dx[i, h, w, c] = col2im(dz_i * w^T) for the images i in `images` (overwrites them): each dcol
// element is summed from 0 over oc in order, then added into the zeroed dx as col2im does.
WASMCNN_KERNEL(void, conv2d_backward_input,
               (const ConvGeometry& g, size_t oc, const float* dz, const float* w, float* dx, Range images,
                float* work),
               (g, oc, dz, w, dx, images, work))

}  // namespace wasmcnn::kernels
