// BatchNormalization (Ioffe & Szegedy 2015) with Keras semantics: normalises over the last axis,
// so per channel after a convolution ([h,w,c]: statistics over n*h*w values) and per unit after a
// dense layer ([units]: statistics over n values).
//
//   training:  y = gamma * (x - mean_B) / sqrt(var_B + epsilon) + beta, with the batch mean and the
//              biased batch variance var_B = mean((x - mean_B)^2); then
//              moving = momentum * moving + (1 - momentum) * batch, for mean and variance alike.
//   inference: the same with moving_mean and moving_variance in place of the batch statistics.
//
// The moving variance is updated with the *biased* batch variance. This follows Keras 3
// (keras/src/layers/normalization/batch_normalization.py: `ops.moments`, then
// `moving_variance * momentum + variance * (1 - momentum)`) and TensorFlow.js layers
// (normalization.ts: `tfc.moments`). Bessel's n/(n-1) correction was applied only by multi-backend
// Keras 2.1.3+ (keras-team/keras#9028) and tf.keras 2.x's fused kernel (tensorflow/tensorflow#55545,
// which reports the fused and non-fused paths disagreeing).
//
// In training a batch is normalised shard by shard (train/shards.h: ghost batch normalisation, as
// Keras' `virtual_batch_size` does), and the moving statistics move once per step, towards the mean
// of the shards' statistics (apply_statistics); a batch of one shard is exactly the formula above.
//
// A frozen layer (trainable() false) runs in inference mode even while the model trains and leaves
// its moving statistics alone, as Keras does (`if training and self.trainable:` in the same file,
// and the class docstring "About setting `layer.trainable = False`"). TensorFlow.js layers does not
// do this; we follow Keras.
//
// Weights, in Keras order: gamma (if scale), beta (if center), moving_mean, moving_variance; the
// last two are Params with trainable = false, so the optimizer skips them and model files carry
// them like any other weight.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/check.h"
#include "layers/layer.h"
#include "layers/layer_def.h"

namespace wasmcnn {
namespace {

class BatchNorm final : public Layer {
 public:
  explicit BatchNorm(const LayerConfig& config) : Layer(config) {
    gamma_.name = "gamma";
    beta_.name = "beta";
    moving_mean_.name = "moving_mean";
    moving_variance_.name = "moving_variance";
    moving_mean_.trainable = false;
    moving_variance_.trainable = false;
  }

  Shape build(const Shape& in) override {
    check(!in.empty(), who(), ": needs an input with at least one dimension");
    c_ = in.back();
    check(c_ > 0, who(), ": the last axis of the input ", shape_str(in), " is empty");
    for (Param* p : params()) {
      p->w.resize({c_});
      p->dw.resize({c_});
      p->dw.fill(0.f);
    }
    mean_.resize({c_});
    inv_std_.resize({c_});
    init_weights();
    return in;
  }

  void init(Rng&) override { init_weights(); }

  void forward(const Tensor& x, Tensor& y, Context& ctx) override {
    y.resize(x.shape());
    const size_t rows = x.size() / size_t(c_), c = size_t(c_);
    const float eps = config_.epsilon;
    batch_stats_ = ctx.training && trainable();
    if (batch_stats_) {
      // Two passes in double: the mean, then the centred sum of squares (no cancellation).
      double* sum = ctx.scratch->zeroed_doubles(2 * c);
      double* sum2 = sum + c;
      const float* xr = x.data();
      for (size_t r = 0; r < rows; ++r, xr += c)
        for (size_t j = 0; j < c; ++j) sum[j] += xr[j];
      for (size_t j = 0; j < c; ++j) sum[j] /= double(rows);
      xr = x.data();
      for (size_t r = 0; r < rows; ++r, xr += c)
        for (size_t j = 0; j < c; ++j) {
          const double d = xr[j] - sum[j];
          sum2[j] += d * d;
        }
      // The batch statistics go where the moving ones collect theirs (apply_statistics).
      for (size_t j = 0; j < c; ++j) {
        const double var = sum2[j] / double(rows);
        mean_[j] = float(sum[j]);
        inv_std_[j] = float(1.0 / std::sqrt(var + double(eps)));
        moving_mean_.dw[j] = float(sum[j]);
        moving_variance_.dw[j] = float(var);
      }
    } else {
      // A negative moving variance can only come from outside (setWeights, an edited file); read as
      // 0 it keeps the output finite instead of NaN. Valid statistics are untouched.
      for (size_t j = 0; j < c; ++j) {
        mean_[j] = moving_mean_.w[j];
        inv_std_[j] = float(1.0 / std::sqrt(std::max(0.0, double(moving_variance_.w[j])) + double(eps)));
      }
    }
    // y = (x - mean) * (gamma * inv_std) + beta
    const float* xr = x.data();
    float* yr = y.data();
    for (size_t r = 0; r < rows; ++r, xr += c, yr += c)
      for (size_t j = 0; j < c; ++j) yr[j] = (xr[j] - mean_[j]) * (gamma(j) * inv_std_[j]) + beta(j);
  }

  // With batch statistics the mean and variance depend on every x of the channel, which gives the
  // full formula (m values per channel, xhat = (x - mean) * inv_std):
  //   dbeta = sum dy,  dgamma = sum dy * xhat,
  //   dx = gamma * inv_std * (dy - dbeta / m - xhat * dgamma / m).
  // With moving statistics they are constants and dx = gamma * inv_std * dy.
  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx, Context& ctx) override {
    const size_t rows = x.size() / size_t(c_), c = size_t(c_);
    double* sum = ctx.scratch->zeroed_doubles(2 * c);  // sum dy
    double* sum2 = sum + c;                            // sum dy * xhat
    const float* xr = x.data();
    const float* dyr = dy.data();
    for (size_t r = 0; r < rows; ++r, xr += c, dyr += c)
      for (size_t j = 0; j < c; ++j) {
        sum[j] += dyr[j];
        sum2[j] += double(dyr[j]) * ((xr[j] - mean_[j]) * inv_std_[j]);
      }
    if (config_.center)
      for (size_t j = 0; j < c; ++j) beta_.dw[j] = float(sum[j]);
    if (config_.scale)
      for (size_t j = 0; j < c; ++j) gamma_.dw[j] = float(sum2[j]);
    if (!dx) return;
    dx->resize(x.shape());
    xr = x.data();
    dyr = dy.data();
    float* dxr = dx->data();
    if (!batch_stats_) {
      for (size_t r = 0; r < rows; ++r, dyr += c, dxr += c)
        for (size_t j = 0; j < c; ++j) dxr[j] = dyr[j] * (gamma(j) * inv_std_[j]);
      return;
    }
    const double inv_m = 1.0 / double(rows);
    for (size_t j = 0; j < c; ++j) {
      sum[j] *= inv_m;
      sum2[j] *= inv_m;
    }
    for (size_t r = 0; r < rows; ++r, xr += c, dyr += c, dxr += c)
      for (size_t j = 0; j < c; ++j) {
        const float xhat = (xr[j] - mean_[j]) * inv_std_[j];
        dxr[j] = (gamma(j) * inv_std_[j]) * (dyr[j] - float(sum[j]) - xhat * float(sum2[j]));
      }
  }

  // The slots of moving_mean and moving_variance in dw hold the sum of the shards' batch means
  // and variances: the moving statistics move once towards their mean.
  void apply_statistics(int shards) override {
    const float m = config_.momentum, k = float(shards);
    for (int j = 0; j < c_; ++j) {
      moving_mean_.w[j] = m * moving_mean_.w[j] + (1.f - m) * (moving_mean_.dw[j] / k);
      moving_variance_.w[j] = m * moving_variance_.w[j] + (1.f - m) * (moving_variance_.dw[j] / k);
    }
  }

  std::vector<Param*> params() override {
    std::vector<Param*> p;
    if (config_.scale) p.push_back(&gamma_);
    if (config_.center) p.push_back(&beta_);
    p.push_back(&moving_mean_);
    p.push_back(&moving_variance_);
    return p;
  }

 private:
  float gamma(size_t j) const { return config_.scale ? gamma_.w[j] : 1.f; }
  float beta(size_t j) const { return config_.center ? beta_.w[j] : 0.f; }

  // Keras' default initialisers: gamma ones, beta zeros, moving mean zeros, moving variance ones.
  void init_weights() {
    gamma_.w.fill(1.f);
    beta_.w.fill(0.f);
    moving_mean_.w.fill(0.f);
    moving_variance_.w.fill(1.f);
  }

  int c_ = 0;
  Param gamma_, beta_, moving_mean_, moving_variance_;
  Tensor mean_, inv_std_;         // statistics used by the last forward(), per channel
  bool batch_stats_ = false;      // the last forward() normalised with batch statistics
};

}  // namespace

const LayerDef& batch_normalization_def() {
  static const LayerDef def = [] {
    LayerDef d{"batch_normalization", "BatchNormalization", "batchNormalization"};
    d.training_only = true;
    OptionDef momentum{"momentum", OptionType::Real, 0, 1};
    momentum.f1 = &LayerConfig::momentum;
    OptionDef epsilon{"epsilon", OptionType::Real, 1e-12, 1};
    epsilon.f1 = &LayerConfig::epsilon;
    OptionDef center{"center", OptionType::Bool};
    center.flag = &LayerConfig::center;
    OptionDef scale{"scale", OptionType::Bool};
    scale.flag = &LayerConfig::scale;
    d.options = {momentum, epsilon, center, scale};
    d.weights = [](const LayerConfig& c, const std::vector<Shape>& in) -> std::vector<WeightDef> {
      if (in[0].empty()) return {};
      const int ch = in[0].back();
      std::vector<WeightDef> w;
      if (c.scale) w.push_back({"gamma", {ch}});
      if (c.center) w.push_back({"beta", {ch}});
      w.push_back({"moving_mean", {ch}});
      w.push_back({"moving_variance", {ch}});
      return w;
    };
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> { return std::make_unique<BatchNorm>(c); };
    return d;
  }();
  return def;
}

}  // namespace wasmcnn
