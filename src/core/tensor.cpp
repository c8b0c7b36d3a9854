#include "core/tensor.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "core/check.h"

namespace wasmcnn {

// The largest tensor we agree to allocate: 2^28 floats (1 GiB). Bigger requests come from
// absurd shapes and would only exhaust wasm memory.
static constexpr size_t kMaxElements = size_t(1) << 28;

size_t shape_size(const Shape& shape) {
  size_t n = 1;
  for (int d : shape) {
    if (d < 0) fail("negative dimension in shape ", shape_str(shape));
    if (d != 0 && n > kMaxElements / size_t(d))
      fail("shape ", shape_str(shape), " has more than 2^28 elements");
    n *= size_t(d);
  }
  return n;
}

std::string shape_str(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

Shape with_batch(int n, const Shape& sample_shape) {
  Shape s{n};
  s.insert(s.end(), sample_shape.begin(), sample_shape.end());
  return s;
}

void Tensor::Free::operator()(float* p) const { std::free(p); }

Tensor::Tensor(Shape shape) {
  resize(shape);
  fill(0.f);
}

Tensor::Tensor(const Tensor& other) { *this = other; }

Tensor& Tensor::operator=(const Tensor& other) {
  if (this == &other) return *this;
  if (!other.data_) {  // a default-constructed tensor: nothing to copy
    shape_ = other.shape_;
    size_ = 0;
    return *this;
  }
  resize(other.shape_);
  if (size_) std::memcpy(data_.get(), other.data_.get(), size_ * sizeof(float));
  return *this;
}

void Tensor::resize(const Shape& shape) { resize_dims(shape.data(), shape.size()); }

// Assigns into shape_ in place, so a steady shape costs no allocation.
void Tensor::resize_dims(const int* dims, size_t rank) {
  size_t n = 1;
  for (size_t i = 0; i < rank; ++i) {
    if (dims[i] < 0) fail("negative dimension in shape ", shape_str(Shape(dims, dims + rank)));
    if (dims[i] != 0 && n > kMaxElements / size_t(dims[i]))
      fail("shape ", shape_str(Shape(dims, dims + rank)), " has more than 2^28 elements");
    n *= size_t(dims[i]);
  }
  if (n > capacity_) {
    size_t bytes = ((n * sizeof(float)) + 15) & ~size_t(15);
    void* p = std::aligned_alloc(16, bytes);
    if (!p) fail("out of memory allocating a tensor of shape ", shape_str(Shape(dims, dims + rank)), " (", bytes, " bytes)");
    data_.reset(static_cast<float*>(p));
    capacity_ = n;
  }
  shape_.assign(dims, dims + rank);
  size_ = n;
}

void Tensor::fill(float value) { std::fill(data_.get(), data_.get() + size_, value); }

}  // namespace wasmcnn
