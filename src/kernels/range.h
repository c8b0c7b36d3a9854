// Range: the half-open interval [begin, end) of images, rows or channels a kernel call computes.
//
// The kernels a multi-threaded caller splits (conv2d_*, gemm_nn/gemm_tn, pooling) take one: a
// call computes exactly its range of the output and nothing else, reading the whole input it
// needs, so calls on disjoint ranges may run at once and together write what one call over the
// full range writes, bit for bit (each output element is summed in the same order whatever the
// split). Layers call them with the full range.
#pragma once

#include <cstddef>

namespace wasmcnn::kernels {

struct Range {
  size_t begin = 0, end = 0;
  size_t size() const { return end > begin ? end - begin : 0; }
  bool empty() const { return end <= begin; }
};

// [0, n): the whole of it.
inline Range all(size_t n) { return {0, n}; }

}  // namespace wasmcnn::kernels
