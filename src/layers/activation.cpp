#include "layers/activation.h"

#include <cstring>

#include "core/check.h"
#include "kernels/eltwise.h"
#include "layers/layer.h"
#include "layers/registry.h"

namespace wasmcnn {

Activation parse_activation(const std::string& name, const std::string& who) {
  if (name == "linear" || name.empty()) return Activation::Linear;
  if (name == "relu") return Activation::Relu;
  if (name == "sigmoid") return Activation::Sigmoid;
  if (name == "tanh") return Activation::Tanh;
  if (name == "softmax") return Activation::Softmax;
  fail(who, ": unknown activation '", name, "' (expected linear, relu, sigmoid, tanh or softmax)");
}

static size_t last_dim(const Tensor& t) { return t.rank() ? size_t(t.shape().back()) : 1; }

void activation_forward(Activation act, const Tensor& z, Tensor& y) {
  if (&y != &z) y.resize(z.shape());
  const size_t n = z.size();
  switch (act) {
    case Activation::Linear:
      if (&y != &z) std::memcpy(y.data(), z.data(), n * sizeof(float));
      break;
    case Activation::Relu: kernels::relu_forward(n, z.data(), y.data()); break;
    case Activation::Sigmoid: kernels::sigmoid_forward(n, z.data(), y.data()); break;
    case Activation::Tanh: kernels::tanh_forward(n, z.data(), y.data()); break;
    case Activation::Softmax:
      WASMCNN_ASSERT(&y != &z);
      kernels::softmax_forward(n / last_dim(z), last_dim(z), z.data(), y.data());
      break;
  }
}

void activation_backward(Activation act, const Tensor& y, const Tensor& dy, Tensor& dz) {
  dz.resize(y.shape());
  const size_t n = y.size();
  switch (act) {
    case Activation::Linear: std::memcpy(dz.data(), dy.data(), n * sizeof(float)); break;
    case Activation::Relu: kernels::relu_backward(n, y.data(), dy.data(), dz.data()); break;
    case Activation::Sigmoid: kernels::sigmoid_backward(n, y.data(), dy.data(), dz.data()); break;
    case Activation::Tanh: kernels::tanh_backward(n, y.data(), dy.data(), dz.data()); break;
    case Activation::Softmax:
      kernels::softmax_backward(n / last_dim(y), last_dim(y), y.data(), dy.data(), dz.data());
      break;
  }
}

namespace {

class ActivationLayer final : public Layer {
 public:
  explicit ActivationLayer(const LayerConfig& config)
      : Layer(config), act_(parse_activation(config.activation, who())) {}

  Shape build(const Shape& input) override {
    check(!input.empty(), who(), ": needs an input with at least one dimension");
    return input;
  }
  void forward(const Tensor& x, Tensor& y, Context&) override { activation_forward(act_, x, y); }
  void backward(const Tensor&, const Tensor& y, const Tensor& dy, Tensor* dx, Context&) override {
    if (!dx) return;
    if (grad_is_logits_) {
      *dx = dy;
      return;
    }
    activation_backward(act_, y, dy, *dx);
  }
  const Tensor* logits(const Tensor& x) const override {
    return act_ == Activation::Softmax ? &x : nullptr;
  }

 private:
  Activation act_;
};

// Flatten: [h, w, c] -> [h*w*c]; the data is already contiguous, so this is a copy.
class Flatten final : public Layer {
 public:
  using Layer::Layer;
  Shape build(const Shape& input) override {
    check(!input.empty(), who(), ": needs an input with at least one dimension");
    return {int(shape_size(input))};
  }
  void forward(const Tensor& x, Tensor& y, Context&) override {
    y.resize({x.dim(0), int(x.size() / size_t(x.dim(0) ? x.dim(0) : 1))});
    std::memcpy(y.data(), x.data(), x.size() * sizeof(float));
  }
  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx, Context&) override {
    if (!dx) return;
    dx->resize(x.shape());
    std::memcpy(dx->data(), dy.data(), dy.size() * sizeof(float));
  }
};

}  // namespace

std::unique_ptr<Layer> make_activation(const LayerConfig& config) {
  return std::make_unique<ActivationLayer>(config);
}
std::unique_ptr<Layer> make_flatten(const LayerConfig& config) { return std::make_unique<Flatten>(config); }

}  // namespace wasmcnn
