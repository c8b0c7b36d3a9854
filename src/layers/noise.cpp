// Training-only stochastic layers: Dropout, SpatialDropout2D, GaussianNoise and GaussianDropout.
// All are the identity at inference. Each sample draws from its own Noise stream
// (Context::sample_rng), in element order.
#include <cmath>
#include <cstring>

#include "core/check.h"
#include "layers/layer.h"
#include "layers/layer_def.h"

namespace wasmcnn {
namespace {

// The rate-based stochastic layers: in training, y = x * mask with a mask drawn from each sample's
// Noise stream (so a split batch draws the same masks), and dx = dy * the same mask; at inference,
// or at rate 0, the identity. A kind says how its mask is drawn and laid over the input.
class RandomMask : public Layer {
 public:
  using Layer::Layer;
  void forward(const Tensor& x, Tensor& y, Context& ctx) override {
    y.resize(x.shape());
    active_ = ctx.training && config_.rate != 0.f;
    if (!active_) {
      std::memcpy(y.data(), x.data(), x.size() * sizeof(float));
      return;
    }
    draw(x, ctx);
    apply(x, y);
  }
  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx, Context&) override {
    if (!dx) return;
    dx->resize(x.shape());
    if (!active_) {
      std::memcpy(dx->data(), dy.data(), dy.size() * sizeof(float));
      return;
    }
    apply(dy, *dx);
  }

 protected:
  virtual void draw(const Tensor& x, Context& ctx) = 0;            // fills mask_ for the batch x
  virtual void apply(const Tensor& in, Tensor& out) const = 0;  // out = in * mask_
  Tensor mask_;

 private:
  bool active_ = false;
};

// Dropout and GaussianDropout: one factor per element, drawn in element order.
class ElementMask : public RandomMask {
 public:
  using RandomMask::RandomMask;
  Shape build(const Shape& in) override { return in; }

 protected:
  virtual float factor_parameter() const = 0;         // computed once per batch from the rate
  virtual float factor(Rng& rng, float k) const = 0;  // one element's factor

 private:
  void draw(const Tensor& x, Context& ctx) override {
    mask_.resize(x.shape());
    const float k = factor_parameter();
    const size_t n = size_t(x.dim(0)), sample = n ? x.size() / n : 0;
    for (size_t s = 0; s < n; ++s) {
      Rng rng = ctx.sample_rng(Stream::Noise, s);
      for (size_t i = s * sample; i < (s + 1) * sample; ++i) mask_[i] = factor(rng, k);
    }
  }
  void apply(const Tensor& in, Tensor& out) const override {
    for (size_t i = 0; i < in.size(); ++i) out[i] = in[i] * mask_[i];
  }
};

// Inverted dropout (Srivastava et al. 2014): in training each element is zeroed with probability
// `rate` and the survivors scaled by 1/(1-rate), so the expected output equals the input.
class Dropout final : public ElementMask {
 public:
  using ElementMask::ElementMask;

 private:
  float factor_parameter() const override { return 1.f / (1.f - config_.rate); }
  float factor(Rng& rng, float keep_scale) const override { return rng.uniform() < config_.rate ? 0.f : keep_scale; }
};

// Keras' SpatialDropout2D (Tompson et al. 2015): Dropout on whole channels of an NHWC image, one
// draw per (sample, channel) in that order, survivors scaled by 1/(1-rate).
class SpatialDropout2D final : public RandomMask {
 public:
  using RandomMask::RandomMask;
  Shape build(const Shape& in) override {
    check(in.size() == 3, who(), ": needs an image input [height, width, channels], got ", shape_str(in));
    return in;
  }

 private:
  void draw(const Tensor& x, Context& ctx) override {
    const size_t n = size_t(x.dim(0)), c = size_t(x.dim(3));
    mask_.resize({int(n), int(c)});
    const float rate = config_.rate, keep_scale = 1.f / (1.f - rate);
    for (size_t s = 0; s < n; ++s) {
      Rng rng = ctx.sample_rng(Stream::Noise, s);
      for (size_t k = 0; k < c; ++k) mask_[s * c + k] = rng.uniform() < rate ? 0.f : keep_scale;
    }
  }
  // out[n, p, c] = in[n, p, c] * mask[n, c]
  void apply(const Tensor& in, Tensor& out) const override {
    const size_t n = size_t(in.dim(0)), c = size_t(in.dim(3)), hw = in.size() / (n * c);
    const float* src = in.data();
    float* dst = out.data();
    for (size_t s = 0; s < n; ++s)
      for (size_t p = 0; p < hw; ++p, src += c, dst += c)
        for (size_t k = 0; k < c; ++k) dst[k] = src[k] * mask_[s * c + k];
  }
};

// Keras' GaussianDropout: multiplicative noise y = x * m, m ~ N(1, rate / (1 - rate)), in
// training only.
class GaussianDropout final : public ElementMask {
 public:
  using ElementMask::ElementMask;

 private:
  float factor_parameter() const override {
    return float(std::sqrt(double(config_.rate) / (1.0 - double(config_.rate))));
  }
  float factor(Rng& rng, float stddev) const override { return 1.f + stddev * rng.normal(); }
};

// Additive zero-mean Gaussian noise with standard deviation `stddev`, in training only.
class GaussianNoise final : public Layer {
 public:
  explicit GaussianNoise(const LayerConfig& config) : Layer(config) {
  }
  Shape build(const Shape& in) override { return in; }
  void forward(const Tensor& x, Tensor& y, Context& ctx) override {
    y.resize(x.shape());
    if (!ctx.training || config_.stddev == 0.f) {
      std::memcpy(y.data(), x.data(), x.size() * sizeof(float));
      return;
    }
    const size_t n = size_t(x.dim(0)), sample = n ? x.size() / n : 0;
    for (size_t s = 0; s < n; ++s) {
      Rng rng = ctx.sample_rng(Stream::Noise, s);
      for (size_t i = s * sample; i < (s + 1) * sample; ++i) y[i] = x[i] + config_.stddev * rng.normal();
    }
  }
  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx, Context&) override {
    if (!dx) return;
    dx->resize(x.shape());
    std::memcpy(dx->data(), dy.data(), dy.size() * sizeof(float));
  }
};

// The rate option of the dropout kinds: required, in [0, 1).
OptionDef rate_option() {
  OptionDef rate{"rate", OptionType::Real, 0, 0.999999};
  rate.required = true;
  rate.f1 = &LayerConfig::rate;
  return rate;
}

// The definition of a training-only layer whose one option is its rate.
template <class L>
LayerDef rate_layer(const char* type, const char* keras, const char* factory) {
  LayerDef d{type, keras, factory};
  d.training_only = true;
  d.options = {rate_option()};
  d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> { return std::make_unique<L>(c); };
  return d;
}

}  // namespace

const LayerDef& dropout_def() {
  static const LayerDef def = rate_layer<Dropout>("dropout", "Dropout", "dropout");
  return def;
}

const LayerDef& spatial_dropout2d_def() {
  static const LayerDef def = rate_layer<SpatialDropout2D>("spatial_dropout2d", "SpatialDropout2D", "spatialDropout2d");
  return def;
}

const LayerDef& gaussian_dropout_def() {
  static const LayerDef def = rate_layer<GaussianDropout>("gaussian_dropout", "GaussianDropout", "gaussianDropout");
  return def;
}

const LayerDef& gaussian_noise_def() {
  static const LayerDef def = [] {
    LayerDef d{"gaussian_noise", "GaussianNoise", "gaussianNoise"};
    d.training_only = true;
    OptionDef stddev{"stddev", OptionType::Real, 0, 1e6};
    stddev.required = true;
    stddev.f1 = &LayerConfig::stddev;
    d.options = {stddev};
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> { return std::make_unique<GaussianNoise>(c); };
    return d;
  }();
  return def;
}

}  // namespace wasmcnn
