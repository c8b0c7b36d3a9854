// Scratch: the temporary memory of one call, owned by its caller.
//
// Kernels never allocate: they take a float* work area of the size their *_workspace_floats()
// says. A layer gets that area from the Scratch in its Context for the duration of one forward or
// backward call and keeps nothing in it between calls. A model owns one Scratch for its own calls;
// a thread that runs part of a batch (issue 15) owns its own, so no two threads ever share one.
// Buffers grow to the largest request and stay: a steady batch size allocates nothing.
#pragma once

#include <cstddef>
#include <vector>

#include "core/check.h"
#include "core/tensor.h"

namespace wasmcnn {

class Scratch {
 public:
  // At least n floats, 16-byte aligned, contents unspecified; valid until the next floats() call.
  float* floats(size_t n) {
    if (work_.size() < n) {
      check(n <= (size_t(1) << 28), "out of memory: a scratch area of ", n, " floats is more than 2^28");
      work_.resize({int(n)});
    }
    return work_.data();
  }
  // At least n doubles, zeroed: accumulators of a reduction (BatchNorm's per-channel sums).
  double* zeroed_doubles(size_t n) {
    sums_.assign(n, 0.0);
    return sums_.data();
  }
  // dL/dz of the layer being differentiated (its gradient before the activation).
  Tensor& dz() { return dz_; }
  // A gradient on its way to be added into a tensor that fans out to several readers.
  Tensor& grad() { return grad_; }

 private:
  Tensor work_, dz_, grad_;
  std::vector<double> sums_;
};

}  // namespace wasmcnn
