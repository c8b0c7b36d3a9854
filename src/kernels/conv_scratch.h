// Scratch layouts the conv2d_* kernels share with conv2d_workspace_floats. Internal to the
// kernels: include only from kernel .cpp files.
#pragma once

#include <cstddef>

#include "kernels/conv.h"
#include "kernels/gemm.h"

namespace wasmcnn::kernels::conv_scratch {

// The extent of the (padded) input that the output pixels read (none when there is no output).
inline size_t padded_h(const ConvGeometry& g) { return g.oh > 0 ? size_t(g.oh - 1) * g.sh + g.kh : 0; }
inline size_t padded_w(const ConvGeometry& g) { return g.ow > 0 ? size_t(g.ow - 1) * g.sw + g.kw : 0; }
inline bool empty_output(const ConvGeometry& g) { return g.oh <= 0 || g.ow <= 0; }
inline bool needs_padding(const ConvGeometry& g) {
  return g.pad_top > 0 || g.pad_left > 0 || padded_h(g) > size_t(g.h) || padded_w(g) > size_t(g.w);
}
inline size_t padded_floats(const ConvGeometry& g) {
  return needs_padding(g) ? padded_h(g) * padded_w(g) * g.c : 0;
}

// The direct single-channel forward kernel reads 8 output pixels' worth of input per row step: its
// padded image is widened to whole groups of 8 (zeros), so the last group reads no garbage.
inline bool direct_c1(const ConvGeometry& g) { return g.c == 1 && g.sw == 1; }
inline size_t direct_c1_width(const ConvGeometry& g) { return (size_t(g.ow) + 7) / 8 * 8 + g.kw - 1; }

// conv2d_backward_input: output pixels per block, and the row length of its w^T and dcol
// buffers, padded to whole GEMM column panels.
constexpr size_t kInputBlock = 16;
inline size_t input_grad_ld(const ConvGeometry& g) { return (g.patch() + kGemmNR - 1) / kGemmNR * kGemmNR; }

}  // namespace wasmcnn::kernels::conv_scratch
