// Tensor: a shape plus one contiguous, 16-byte aligned float buffer.
//
// Images are NHWC (batch, height, width, channels), the layout of TensorFlow.js, so data and
// weights cross to and from it without transposes. A tensor owns its buffer; resize() keeps the
// allocation when the new size fits, so buffers planned once per batch size are reused by every
// step without allocating.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace wasmcnn {

using Shape = std::vector<int>;

size_t shape_size(const Shape& shape);
std::string shape_str(const Shape& shape);  // "[28,28,1]"
Shape with_batch(int n, const Shape& sample_shape);

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(Shape shape);  // zero-filled
  Tensor(const Tensor& other);
  Tensor& operator=(const Tensor& other);
  // A moved-from tensor is empty (no shape, no buffer), ready to be resized.
  Tensor(Tensor&& other) noexcept { *this = std::move(other); }
  Tensor& operator=(Tensor&& other) noexcept {
    shape_ = std::move(other.shape_);
    data_ = std::move(other.data_);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    other.shape_.clear();
    return *this;
  }

  const Shape& shape() const { return shape_; }
  int dim(size_t i) const { return shape_[i]; }
  size_t rank() const { return shape_.size(); }
  size_t size() const { return size_; }
  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  float& operator[](size_t i) { return data_.get()[i]; }
  float operator[](size_t i) const { return data_.get()[i]; }

  // Sets the shape; reallocates only when the capacity is too small. Contents are unspecified
  // after a reallocation.
  void resize(const Shape& shape);
  void resize(std::initializer_list<int> dims) { resize_dims(dims.begin(), dims.size()); }
  void fill(float value);
  size_t capacity_bytes() const { return capacity_ * sizeof(float); }

 private:
  void resize_dims(const int* dims, size_t rank);
  struct Free {
    void operator()(float* p) const;
  };
  Shape shape_;
  std::unique_ptr<float[], Free> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace wasmcnn
