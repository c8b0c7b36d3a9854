// im2col / col2im with dilation (conv2d with dilationRate), over one NHWC image and an HWIO
// kernel seen as a [kh*kw*c, oc] matrix, as conv.h's im2col but with taps dh, dw pixels apart
// (WindowGeometry). Row p of col (output pixel p = oy * ow + ox) holds the receptive field in
// (ky, kx, c) order, zeros where it falls in the padding; y = col * w. col2im_dilated is its
// adjoint: dx += each col row at the pixels it was read from, in output pixel order.
//
// Thread-ready: output pixels [p0, p1) per call; col points at the row of pixel p0.
#pragma once

#include <cstddef>

#include "kernels/simd.h"
#include "kernels/window.h"

namespace wasmcnn::kernels {

inline size_t dilated_patch(const WindowGeometry& g) { return size_t(g.kh) * g.kw * g.c; }

// Copies (memcpy of c floats per tap, memset in the padding): no SIMD twin.
void im2col_dilated(const WindowGeometry& g, size_t p0, size_t p1, const float* x, float* col);
WASMCNN_KERNEL(void, col2im_dilated, (const WindowGeometry& g, size_t p0, size_t p1, const float* col, float* dx),
               (g, p0, p1, col, dx))

}  // namespace wasmcnn::kernels
