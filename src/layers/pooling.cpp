// MaxPooling2D, AveragePooling2D, SumPooling2D, GlobalAveragePooling2D and GlobalMaxPooling2D over NHWC.
#include <algorithm>
#include <cstring>

#include "core/check.h"
#include "kernels/pool.h"
#include "layers/layer.h"
#include "layers/layer_def.h"

namespace wasmcnn {
namespace {

enum class PoolKind { Max, Average, Sum };

class Pool2D final : public Layer {
 public:
  Pool2D(const LayerConfig& config, PoolKind kind) : Layer(config), kind_(kind) {
  }

  Shape build(const Shape& in) override {
    check(in.size() == 3, who(), ": expected an input of shape [height,width,channels], got ", shape_str(in));
    const LayerConfig& c = config_;
    int sh = c.stride_h ? c.stride_h : c.pool_h, sw = c.stride_w ? c.stride_w : c.pool_w;
    geo_ = kernels::conv_geometry(in[0], in[1], in[2], c.pool_h, c.pool_w, sh, sw, c.padding == "same");
    check(geo_.oh > 0 && geo_.ow > 0, who(), ": pool [", c.pool_h, ",", c.pool_w,
          "] with 'valid' padding does not fit the input ", shape_str(in));
    return {geo_.oh, geo_.ow, geo_.c};
  }

  // Max pooling records each output's argmax for backward() only when training; after an
  // inference forward, backward() recomputes it from x.
  void forward(const Tensor& x, Tensor& y, Context& ctx) override {
    const size_t n = size_t(x.dim(0));
    y.resize({int(n), geo_.oh, geo_.ow, geo_.c});
    have_argmax_ = kind_ == PoolKind::Max && ctx.training;
    if (have_argmax_) argmax_.resize(n * out_size());
    if (kind_ == PoolKind::Max)
      kernels::max_pool_forward(geo_, x.data(), y.data(), have_argmax_ ? argmax_.data() : nullptr, kernels::all(n));
    else
      kernels::avg_pool_forward(geo_, mode(), x.data(), y.data(), kernels::all(n));
  }

  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx, Context& ctx) override {
    if (!dx) return;
    const size_t n = size_t(x.dim(0)), in_size = size_t(geo_.h) * geo_.w * geo_.c;
    dx->resize(x.shape());
    dx->fill(0.f);
    if (kind_ == PoolKind::Max && !have_argmax_) {
      // One image at a time: the recomputed y is thrown away, so a scratch image holds it.
      argmax_.resize(n * out_size());
      float* y = ctx.scratch->floats(out_size());
      for (size_t i = 0; i < n; ++i)
        kernels::max_pool_forward(geo_, x.data() + i * in_size, y, argmax_.data() + i * out_size(), kernels::all(1));
      have_argmax_ = true;
    }
    if (kind_ == PoolKind::Max)
      kernels::max_pool_backward(geo_, dy.data(), argmax_.data(), dx->data(), kernels::all(n));
    else
      kernels::avg_pool_backward(geo_, mode(), dy.data(), dx->data(), kernels::all(n));
  }

 private:
  kernels::PoolMode mode() const { return kind_ == PoolKind::Sum ? kernels::PoolMode::Sum : kernels::PoolMode::Average; }
  size_t out_size() const { return size_t(geo_.oh) * geo_.ow * geo_.c; }

  PoolKind kind_;
  kernels::ConvGeometry geo_{};
  std::vector<int32_t> argmax_;
  bool have_argmax_ = false;
};

// [h, w, c] -> [c], the mean (or the maximum) over all pixels of each channel. Max: the gradient
// goes to the first pixel holding the maximum, found again from x in backward.
class GlobalPool2D final : public Layer {
 public:
  GlobalPool2D(const LayerConfig& config, bool max) : Layer(config), max_(max) {}
  Shape build(const Shape& in) override {
    check(in.size() == 3, who(), ": expected an input of shape [height,width,channels], got ", shape_str(in));
    check(in[0] > 0 && in[1] > 0, who(), ": input ", shape_str(in), " has no pixels");
    pixels_ = in[0] * in[1];
    c_ = in[2];
    return {c_};
  }
  void forward(const Tensor& x, Tensor& y, Context&) override {
    const int n = x.dim(0);
    y.resize({n, c_});
    const float s = 1.f / float(pixels_);
    for (int i = 0; i < n; ++i) {
      float* yi = y.data() + size_t(i) * c_;
      const float* xi = x.data() + size_t(i) * pixels_ * c_;
      if (max_) {
        std::memcpy(yi, xi, size_t(c_) * sizeof(float));
        for (int p = 1; p < pixels_; ++p)
          for (int ch = 0; ch < c_; ++ch) yi[ch] = std::max(yi[ch], xi[size_t(p) * c_ + ch]);
        continue;
      }
      std::memset(yi, 0, size_t(c_) * sizeof(float));
      for (int p = 0; p < pixels_; ++p)
        for (int ch = 0; ch < c_; ++ch) yi[ch] += xi[size_t(p) * c_ + ch];
      for (int ch = 0; ch < c_; ++ch) yi[ch] *= s;
    }
  }
  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx, Context&) override {
    if (!dx) return;
    const int n = x.dim(0);
    dx->resize(x.shape());
    const float s = 1.f / float(pixels_);
    if (!max_) {
      for (int i = 0; i < n; ++i)
        for (int p = 0; p < pixels_; ++p)
          for (int ch = 0; ch < c_; ++ch)
            (*dx)[(size_t(i) * pixels_ + p) * c_ + ch] = s * dy[size_t(i) * c_ + ch];
      return;
    }
    dx->fill(0.f);
    argmax_.resize(size_t(c_));
    for (int i = 0; i < n; ++i) {
      const float* xi = x.data() + size_t(i) * pixels_ * c_;
      std::fill(argmax_.begin(), argmax_.end(), 0);
      for (int p = 1; p < pixels_; ++p)
        for (int ch = 0; ch < c_; ++ch)
          if (xi[size_t(p) * c_ + ch] > xi[size_t(argmax_[ch]) * c_ + ch]) argmax_[ch] = p;
      for (int ch = 0; ch < c_; ++ch)
        (*dx)[(size_t(i) * pixels_ + argmax_[ch]) * c_ + ch] = dy[size_t(i) * c_ + ch];
    }
  }

 private:
  bool max_;
  int pixels_ = 0, c_ = 0;
  std::vector<int> argmax_;
};

}  // namespace

namespace {
// Pooling: poolSize, strides (default: the pool size, stored as 0), padding.
LayerDef pool_def(const char* type, const char* keras, const char* factory) {
  LayerDef d{type, keras, factory};
  OptionDef strides = pair_option("strides", &LayerConfig::stride_h, &LayerConfig::stride_w, false);
  strides.defaults_to = "poolSize";
  d.options = {pair_option("poolSize", &LayerConfig::pool_h, &LayerConfig::pool_w, false), strides, padding_option()};
  return d;
}
}  // namespace

const LayerDef& max_pooling2d_def() {
  static const LayerDef def = [] {
    LayerDef d = pool_def("max_pooling2d", "MaxPooling2D", "maxPooling2d");
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> { return std::make_unique<Pool2D>(c, PoolKind::Max); };
    return d;
  }();
  return def;
}
const LayerDef& average_pooling2d_def() {
  static const LayerDef def = [] {
    LayerDef d = pool_def("average_pooling2d", "AveragePooling2D", "averagePooling2d");
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> {
      return std::make_unique<Pool2D>(c, PoolKind::Average);
    };
    return d;
  }();
  return def;
}
const LayerDef& sum_pooling2d_def() {
  static const LayerDef def = [] {
    LayerDef d = pool_def("sum_pooling2d", "SumPooling2D", "sumPooling2d");
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> { return std::make_unique<Pool2D>(c, PoolKind::Sum); };
    return d;
  }();
  return def;
}
const LayerDef& global_average_pooling2d_def() {
  static const LayerDef def = [] {
    LayerDef d{"global_average_pooling2d", "GlobalAveragePooling2D", "globalAveragePooling2d"};
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> { return std::make_unique<GlobalPool2D>(c, false); };
    return d;
  }();
  return def;
}
const LayerDef& global_max_pooling2d_def() {
  static const LayerDef def = [] {
    LayerDef d{"global_max_pooling2d", "GlobalMaxPooling2D", "globalMaxPooling2d"};
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> { return std::make_unique<GlobalPool2D>(c, true); };
    return d;
  }();
  return def;
}

}  // namespace wasmcnn
