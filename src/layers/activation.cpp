#include "layers/activation.h"

#include <cstring>

#include "core/check.h"
#include "kernels/activation_ext.h"
#include "kernels/eltwise.h"
#include "layers/layer.h"
#include "layers/layer_def.h"

namespace wasmcnn {

const std::vector<std::string>& activation_names() {
  static const std::vector<std::string> names = {"linear", "relu", "sigmoid", "tanh", "softmax",
                                                 "relu6", "elu", "selu", "swish", "silu", "gelu",
                                                 "hardSigmoid", "softplus", "softsign", "mish"};
  return names;
}

Activation parse_activation(const std::string& name, const std::string& who) {
  if (name.empty()) return Activation::Linear;
  const auto& names = activation_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (name == names[i]) return Activation(i);
  std::string known;
  for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
  fail(who, ": unknown activation '", name, "' (known: ", known, ")");
}

namespace {
// The kernel behind each activation from Relu6 on, with its parameters (Keras' defaults).
kernels::Activation kernel_of(Activation act, kernels::ActivationParams& p) {
  using K = kernels::Activation;
  switch (act) {
    case Activation::Relu6: p.max_value = 6.f; return K::Relu;
    case Activation::Elu: return K::Elu;
    case Activation::Selu: return K::Selu;
    case Activation::Swish: case Activation::Silu: return K::Swish;
    case Activation::Gelu: return K::Gelu;
    case Activation::HardSigmoid: return K::HardSigmoid;
    case Activation::Softplus: return K::Softplus;
    case Activation::Softsign: return K::Softsign;
    case Activation::Mish: return K::Mish;
    default: WASMCNN_ASSERT(false); return K::Relu;
  }
}
}  // namespace

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
    default: {
      kernels::ActivationParams p;
      const kernels::Activation k = kernel_of(act, p);
      kernels::activation_forward(k, p, n, z.data(), y.data());
    }
  }
}

void activation_backward(Activation act, const Tensor& z, const Tensor& y, const Tensor& dy, Tensor& dz) {
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
    case Activation::Relu6:  // from y, as relu: 1 inside (0, 6), so 0 at x = 0 too
      for (size_t i = 0; i < n; ++i) dz[i] = y[i] > 0.f && y[i] < 6.f ? dy[i] : 0.f;
      break;
    default: {
      WASMCNN_ASSERT(z.size() == n);
      kernels::ActivationParams p;
      const kernels::Activation k = kernel_of(act, p);
      kernels::activation_backward(k, p, n, z.data(), dy.data(), dz.data());
    }
  }
}

Tensor& BiasActivation::z_target(Tensor& y, const Shape& shape) {
  Tensor& z = keeps_z() ? z_ : y;
  z.resize(shape);
  return z;
}

void BiasActivation::finish(Tensor& y) {
  if (!fuse_relu()) activation_forward(act_, keeps_z() ? z_ : y, y);
}

const Tensor& BiasActivation::backward(const Tensor& y, const Tensor& dy, bool grad_is_logits, size_t channels,
                                       float* db, Scratch& scratch) {
  const Tensor* dz = &dy;
  if (act_ != Activation::Linear && !grad_is_logits) {
    activation_backward(act_, z_, y, dy, scratch.dz());
    dz = &scratch.dz();
  }
  if (db) kernels::bias_grad(dz->size() / channels, channels, dz->data(), db);
  return *dz;
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
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx, Context&) override {
    if (!dx) return;
    if (grad_is_logits_) {
      *dx = dy;
      return;
    }
    activation_backward(act_, x, y, dy, *dx);
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

const LayerDef& activation_def() {
  static const LayerDef def = [] {
    LayerDef d{"activation", "Activation", "activation"};
    OptionDef act{"activation", OptionType::Choice};
    act.choices = activation_names();
    act.text = &LayerConfig::activation;
    act.required = true;
    d.options = {act};
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> { return std::make_unique<ActivationLayer>(c); };
    return d;
  }();
  return def;
}
const LayerDef& flatten_def() {
  static const LayerDef def = [] {
    LayerDef d{"flatten", "Flatten", "flatten"};
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> { return std::make_unique<Flatten>(c); };
    return d;
  }();
  return def;
}

}  // namespace wasmcnn
