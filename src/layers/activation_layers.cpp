// Activation layers with options of their own (Keras/TF.js advanced activations): ReLU, LeakyReLU,
// ELU, PReLU and Softmax(axis). The element-wise formulas are kernels/activation_ext.h's; the plain
// Activation layer and the fused activations of Conv2D/Dense are in activation.cpp.
#include <limits>

#include "core/check.h"
#include "kernels/activation_ext.h"
#include "kernels/eltwise.h"
#include "layers/init.h"
#include "layers/layer.h"
#include "layers/layer_def.h"

namespace wasmcnn {
namespace {

constexpr float kNone = std::numeric_limits<float>::max();  // maxValue: none

// y = f(x) element by element, f a kernel activation with fixed parameters; backward from x.
class Elementwise final : public Layer {
 public:
  Elementwise(const LayerConfig& config, kernels::Activation act, kernels::ActivationParams p)
      : Layer(config), act_(act), p_(p) {}
  Shape build(const Shape& in) override {
    check(!in.empty(), who(), ": needs an input with at least one dimension");
    return in;
  }
  void forward(const Tensor& x, Tensor& y, Context&) override {
    y.resize(x.shape());
    kernels::activation_forward(act_, p_, x.size(), x.data(), y.data());
  }
  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx, Context&) override {
    if (!dx) return;
    dx->resize(x.shape());
    kernels::activation_backward(act_, p_, x.size(), x.data(), dy.data(), dx->data());
  }

 private:
  kernels::Activation act_;
  kernels::ActivationParams p_;
};

// PReLU: y = x < 0 ? alpha * x : x with one learned alpha per position of the per-sample shape,
// shared along `sharedAxes` (1 = the first per-sample axis, as Keras counts with the batch at 0).
// The kernel takes x as [outer, m, inner] with alpha over m: the per-sample shape is cut into a
// prefix, the last run of unshared axes (m) and the shared axes after it (inner); each prefix
// position reads the alpha block at its own offset (0 everywhere when the prefix is all shared).
Shape prelu_alpha_shape(const LayerConfig& c, const Shape& in) {
  Shape s = in;
  for (int a : c.shared_axes)
    if (a >= 1 && a <= int(in.size())) s[size_t(a - 1)] = 1;
  return s;
}

class PReLU final : public Layer {
 public:
  explicit PReLU(const LayerConfig& config) : Layer(config) {
    check_initializer(config.alpha_initializer, who());
    alpha_.name = "alpha";
  }
  Shape build(const Shape& in) override {
    check(!in.empty(), who(), ": needs an input with at least one dimension");
    for (int a : config_.shared_axes)
      check(a <= int(in.size()), who(), ": sharedAxes names axis ", a, ", but the input ", shape_str(in), " has ",
            in.size(), " (axes 1..", in.size(), ", the batch is axis 0)");
    const Shape as = prelu_alpha_shape(config_, in);
    alpha_.w.resize(as);
    alpha_.dw.resize(as);
    const int r = int(in.size());
    int last = r - 1;
    while (last >= 0 && as[size_t(last)] == 1 && in[size_t(last)] != 1) --last;  // skip the shared tail
    int first = last;
    while (first > 0 && (as[size_t(first - 1)] != 1 || in[size_t(first - 1)] == 1)) --first;
    if (last < 0) first = last = -1;  // all shared: one alpha
    m_ = inner_ = 1;
    for (int d = first; d >= 0 && d <= last; ++d) m_ *= size_t(in[size_t(d)]);
    for (int d = last + 1; d < r; ++d) inner_ *= size_t(in[size_t(d)]);
    // The alpha offset of every prefix position (axes before `first`), row-major over alpha's shape.
    const int prefix = first < 0 ? r : first;
    size_t count = 1;
    for (int d = 0; d < prefix; ++d) count *= size_t(in[size_t(d)]);
    offsets_.assign(count, 0);
    bool any = false;
    for (size_t p = 0; p < count; ++p) {
      size_t rest = p, off = 0, stride = m_;
      for (int d = prefix - 1; d >= 0; --d) {
        const size_t dim = size_t(in[size_t(d)]), i = rest % dim;
        rest /= dim;
        if (as[size_t(d)] != 1) off += i * stride;
        stride *= size_t(as[size_t(d)]);
      }
      offsets_[p] = off;
      any |= off != 0;
    }
    shared_prefix_ = !any;
    return in;
  }
  void init(Rng& rng) override {
    const Shape& s = alpha_.w.shape();
    // Keras' fans for a weight of this rank (compute_fans).
    int fan_in = s.size() == 1 ? s[0] : s[s.size() - 2], fan_out = s.back();
    for (size_t d = 0; d + 2 < s.size(); ++d) {
      fan_in *= s[d];
      fan_out *= s[d];
    }
    initialize(config_.alpha_initializer, who(), fan_in, fan_out, rng, alpha_.w);
  }
  std::vector<Param*> params() override { return {&alpha_}; }

  void forward(const Tensor& x, Tensor& y, Context&) override {
    y.resize(x.shape());
    each_block(x.dim(0), [&](size_t at, size_t outer, size_t off) {
      kernels::prelu_forward(outer, m_, inner_, alpha_.w.data() + off, x.data() + at, y.data() + at);
    });
  }
  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx, Context&) override {
    Tensor& d = dx ? *dx : scratch_;
    d.resize(x.shape());
    alpha_.dw.fill(0.f);
    each_block(x.dim(0), [&](size_t at, size_t outer, size_t off) {
      kernels::prelu_backward(outer, m_, inner_, alpha_.w.data() + off, x.data() + at, dy.data() + at, d.data() + at,
                              alpha_.dw.data() + off);
    });
  }

 private:
  // f(element offset, outer, alpha offset) over the batch of n samples, in memory order.
  template <class F>
  void each_block(int n, F f) {
    const size_t block = m_ * inner_;
    if (shared_prefix_) return f(0, size_t(n) * offsets_.size(), 0);
    size_t at = 0;
    for (int s = 0; s < n; ++s)
      for (size_t off : offsets_) {
        f(at, 1, off);
        at += block;
      }
  }

  Param alpha_;
  size_t m_ = 1, inner_ = 1;
  std::vector<size_t> offsets_;
  bool shared_prefix_ = true;
  Tensor scratch_;
};

// Softmax over one axis (Keras' Softmax layer; default the last). The row kernel runs on the last
// axis directly; any other axis is moved last in a scratch copy and back.
class Softmax final : public Layer {
 public:
  using Layer::Layer;
  Shape build(const Shape& in) override {
    const int r = int(in.size());
    const int a = config_.axis < 0 ? config_.axis + r + 1 : config_.axis;  // counting the batch as axis 0
    check(r >= 1 && a >= 1 && a <= r, who(), ": axis ", config_.axis, " is not a per-sample axis of the input ",
          shape_str(in), " (expected 1..", r, " or -", r, "..-1; the batch is axis 0)");
    outer_ = len_ = inner_ = 1;
    for (int d = 0; d < r; ++d) (d < a - 1 ? outer_ : d == a - 1 ? len_ : inner_) *= size_t(in[size_t(d)]);
    return in;
  }
  void forward(const Tensor& x, Tensor& y, Context&) override {
    y.resize(x.shape());
    const size_t rows = size_t(x.dim(0)) * outer_;
    if (inner_ == 1) return kernels::softmax_forward(rows, len_, x.data(), y.data());
    move_axis(x.data(), a_, rows, false);
    b_.resize(a_.shape());
    kernels::softmax_forward(rows * inner_, len_, a_.data(), b_.data());
    move_axis(b_.data(), y, rows, true);
  }
  void backward(const Tensor&, const Tensor& y, const Tensor& dy, Tensor* dx, Context&) override {
    if (!dx) return;
    if (grad_is_logits_) {
      *dx = dy;
      return;
    }
    dx->resize(y.shape());
    const size_t rows = size_t(y.dim(0)) * outer_;
    if (inner_ == 1) return kernels::softmax_backward(rows, len_, y.data(), dy.data(), dx->data());
    move_axis(y.data(), a_, rows, false);
    move_axis(dy.data(), b_, rows, false);
    Tensor& d = c_;
    d.resize(a_.shape());
    kernels::softmax_backward(rows * inner_, len_, a_.data(), b_.data(), d.data());
    move_axis(d.data(), *dx, rows, true);
  }
  // On the last axis the output is softmax(x), so a cross-entropy can be fused with it.
  const Tensor* logits(const Tensor& x) const override { return inner_ == 1 ? &x : nullptr; }

 private:
  // [rows, len, inner] <-> [rows, inner, len]: `back` goes from the second layout to the first.
  void move_axis(const float* src, Tensor& dst, size_t rows, bool back) {
    if (!back) dst.resize({int(rows * inner_), int(len_)});
    float* out = dst.data();
    for (size_t r = 0; r < rows; ++r)
      for (size_t j = 0; j < len_; ++j)
        for (size_t k = 0; k < inner_; ++k) {
          const size_t a = (r * len_ + j) * inner_ + k, b = (r * inner_ + k) * len_ + j;
          out[back ? a : b] = src[back ? b : a];
        }
  }

  size_t outer_ = 1, len_ = 1, inner_ = 1;
  Tensor a_, b_, c_;
};

OptionDef real_option(const char* key, float LayerConfig::*field, double lo, double hi) {
  OptionDef o{key, OptionType::Real, lo, hi};
  o.f1 = field;
  return o;
}

OptionDef axis_option() {
  OptionDef o{"axis", OptionType::Int, -4, 3};  // per-sample shapes have at most 3 axes, plus the batch
  o.i1 = &LayerConfig::axis;
  return o;
}

}  // namespace

const LayerDef& re_lu_def() {
  static const LayerDef def = [] {
    LayerDef d{"re_lu", "ReLU", "reLU"};
    OptionDef max_value = real_option("maxValue", &LayerConfig::max_value, 0, kNone);
    max_value.nullable = true;
    d.options = {max_value, real_option("negativeSlope", &LayerConfig::negative_slope, 0, 1e6),
                 real_option("threshold", &LayerConfig::threshold, 0, 1e6)};
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> {
      kernels::ActivationParams p;
      p.max_value = c.max_value;
      p.negative_slope = c.negative_slope;
      p.threshold = c.threshold;
      return std::make_unique<Elementwise>(c, kernels::Activation::Relu, p);
    };
    return d;
  }();
  return def;
}

const LayerDef& leaky_re_lu_def() {
  static const LayerDef def = [] {
    LayerDef d{"leaky_re_lu", "LeakyReLU", "leakyReLU"};
    d.options = {real_option("alpha", &LayerConfig::leaky_alpha, 0, 1e6)};
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> {
      kernels::ActivationParams p;
      p.alpha = c.leaky_alpha;
      return std::make_unique<Elementwise>(c, kernels::Activation::LeakyRelu, p);
    };
    return d;
  }();
  return def;
}

const LayerDef& elu_def() {
  static const LayerDef def = [] {
    LayerDef d{"elu", "ELU", "elu"};
    d.options = {real_option("alpha", &LayerConfig::alpha, 0, 1e6)};
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> {
      kernels::ActivationParams p;
      p.alpha = c.alpha;
      return std::make_unique<Elementwise>(c, kernels::Activation::Elu, p);
    };
    return d;
  }();
  return def;
}

const LayerDef& p_re_lu_def() {
  static const LayerDef def = [] {
    LayerDef d{"p_re_lu", "PReLU", "prelu"};
    OptionDef init{"alphaInitializer", OptionType::Choice};
    for (const InitializerName& n : initializer_names()) init.choices.push_back(n.keras);
    init.text = &LayerConfig::alpha_initializer;
    OptionDef shared{"sharedAxes", OptionType::Shape, 1, 3};
    shared.dims = &LayerConfig::shared_axes;
    shared.nullable = true;
    d.options = {init, shared};
    d.weights = [](const LayerConfig& c, const std::vector<Shape>& in) -> std::vector<WeightDef> {
      return {{"alpha", prelu_alpha_shape(c, in.at(0))}};
    };
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> { return std::make_unique<PReLU>(c); };
    return d;
  }();
  return def;
}

const LayerDef& softmax_def() {
  static const LayerDef def = [] {
    LayerDef d{"softmax", "Softmax", "softmax"};
    d.options = {axis_option()};
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> { return std::make_unique<Softmax>(c); };
    return d;
  }();
  return def;
}

}  // namespace wasmcnn
