// DepthwiseConv2D and SeparableConv2D (Keras/TF.js), over NHWC.
//
// DepthwiseConv2D: y = act(depthwise(x, w) + b), w = depthwise_kernel [kh, kw, c, dm] (output
// channel ci * dm + m reads input channel ci), b [c * dm].
// SeparableConv2D: y = act(depthwise(x, w_d) * w_p + b), the pointwise kernel w_p [1, 1, c * dm,
// filters] seen as a [c * dm, filters] matrix; the depthwise step has no bias. Weights in TF.js'
// order: depthwise_kernel, pointwise_kernel, bias.
//
// Both run kernels/depthwise.h (memory-bound: its SIMD twin streams rows with the taps in registers)
// and share Conv2D's fused bias + activation epilogue.
#include "core/check.h"
#include "kernels/depthwise.h"
#include "kernels/eltwise.h"
#include "kernels/gemm.h"
#include "layers/activation.h"
#include "layers/conv_window.h"
#include "layers/init.h"
#include "layers/layer.h"
#include "layers/layer_def.h"

namespace wasmcnn {

namespace {

class DepthwiseConv2D final : public Layer {
 public:
  // separable: followed by a pointwise convolution to config.filters channels.
  DepthwiseConv2D(const LayerConfig& config, bool separable)
      : Layer(config), separable_(separable), act_(parse_activation(config.activation, who())) {
    check_initializer(config.kernel_initializer, who());
    check_initializer(config.bias_initializer, who());
    depthwise_.name = "depthwise_kernel";
    depthwise_.l1 = config.kernel_l1;
    depthwise_.l2 = config.kernel_l2;
    pointwise_.name = "pointwise_kernel";
    pointwise_.l1 = config.pointwise_l1;
    pointwise_.l2 = config.pointwise_l2;
    bias_.name = "bias";
    bias_.l1 = config.bias_l1;
    bias_.l2 = config.bias_l2;
  }

  Shape build(const Shape& in) override {
    const LayerConfig& c = config_;
    geo_ = conv_window(c, in, who());
    mid_c_ = in[2] * c.depth_multiplier;
    out_c_ = separable_ ? c.filters : mid_c_;
    depthwise_.w.resize({c.kernel_h, c.kernel_w, in[2], c.depth_multiplier});
    depthwise_.dw.resize(depthwise_.w.shape());
    depthwise_.w.fill(0.f);
    if (separable_) {
      pointwise_.w.resize({1, 1, mid_c_, c.filters});
      pointwise_.dw.resize(pointwise_.w.shape());
      pointwise_.w.fill(0.f);
    }
    if (c.use_bias) {
      bias_.w.resize({out_c_});
      bias_.dw.resize({out_c_});
      bias_.w.fill(0.f);
    }
    return {geo_.oh, geo_.ow, out_c_};
  }

  // Keras' fans: a [kh, kw, ic, oc] kernel has fan_in kh*kw*ic and fan_out kh*kw*oc.
  void init(Rng& rng) override {
    const LayerConfig& c = config_;
    const int taps = c.kernel_h * c.kernel_w;
    initialize(c.kernel_initializer, who(), taps * geo_.c, taps * c.depth_multiplier, rng, depthwise_.w);
    if (separable_) initialize(c.pointwise_initializer, who(), mid_c_, c.filters, rng, pointwise_.w);
    if (c.use_bias) initialize(c.bias_initializer, who(), taps * geo_.c, taps * c.depth_multiplier, rng, bias_.w);
  }

  void forward(const Tensor& x, Tensor& y, Context& ctx) override {
    const int n = x.dim(0);
    Tensor& z = act_.z_target(y, {n, geo_.oh, geo_.ow, out_c_});
    const float* b = config_.use_bias ? bias_.w.data() : nullptr;
    if (separable_) {
      depthwise(x, mid_, ctx);
      const size_t pixels = size_t(n) * geo_.out_pixels();
      float* work = ctx.scratch->floats(kernels::gemm_nn_workspace_floats(size_t(out_c_), size_t(mid_c_)));
      kernels::gemm_nn(kernels::all(pixels), size_t(out_c_), size_t(mid_c_), mid_.data(), size_t(mid_c_), pointwise_.w.data(),
                       size_t(out_c_), b, act_.fuse_relu(), false, z.data(), size_t(out_c_), work);
    } else {
      float* work = ctx.scratch->floats(kernels::depthwise_workspace_floats(geo_, config_.depth_multiplier));
      kernels::depthwise_forward(geo_, config_.depth_multiplier, 0, size_t(n), 0, geo_.oh, x.data(),
                                 depthwise_.w.data(), b, z.data(), work);
      if (act_.fuse_relu()) kernels::relu_forward(z.size(), z.data(), z.data());
    }
    act_.finish(y);
  }

  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx, Context& ctx) override {
    const int n = x.dim(0), dm = config_.depth_multiplier;
    const Tensor& dz = act_.backward(y, dy, grad_is_logits_, size_t(out_c_),
                                     config_.use_bias ? bias_.dw.data() : nullptr, *ctx.scratch);
    const Tensor* dmid = &dz;
    if (separable_) {
      // The depthwise output again (forward may since have run on another batch), then
      // dw_p = mid^T dz and dmid = dz w_p^T.
      depthwise(x, mid_, ctx);
      const size_t pixels = size_t(n) * geo_.out_pixels();
      kernels::gemm_tn(kernels::all(size_t(mid_c_)), size_t(out_c_), pixels, mid_.data(), size_t(mid_c_), dz.data(),
                       size_t(out_c_), false, pointwise_.dw.data(), size_t(out_c_));
      dmid_.resize(mid_.shape());
      float* work = ctx.scratch->floats(kernels::gemm_workspace_floats(pixels, size_t(mid_c_), size_t(out_c_)));
      kernels::gemm(false, true, pixels, size_t(mid_c_), size_t(out_c_), dz.data(), size_t(out_c_),
                    pointwise_.w.data(), size_t(out_c_), false, dmid_.data(), size_t(mid_c_), work);
      dmid = &dmid_;
    }
    float* work = ctx.scratch->floats(kernels::depthwise_workspace_floats(geo_, dm));
    kernels::depthwise_backward_filter(geo_, dm, 0, size_t(n), x.data(), dmid->data(), depthwise_.dw.data(), nullptr,
                                       work);
    if (dx) {
      dx->resize(x.shape());
      kernels::depthwise_backward_input(geo_, dm, 0, size_t(n), dmid->data(), depthwise_.w.data(), dx->data(),
                                        work);
    }
  }

  std::vector<Param*> params() override {
    std::vector<Param*> p{&depthwise_};
    if (separable_) p.push_back(&pointwise_);
    if (config_.use_bias) p.push_back(&bias_);
    return p;
  }
  const Tensor* logits(const Tensor&) const override { return act_.logits(); }

 private:
  // The depthwise step alone (no bias), into `out`.
  void depthwise(const Tensor& x, Tensor& out, Context& ctx) {
    const int n = x.dim(0);
    out.resize({n, geo_.oh, geo_.ow, mid_c_});
    float* work = ctx.scratch->floats(kernels::depthwise_workspace_floats(geo_, config_.depth_multiplier));
    kernels::depthwise_forward(geo_, config_.depth_multiplier, 0, size_t(n), 0, geo_.oh, x.data(),
                               depthwise_.w.data(), nullptr, out.data(), work);
  }

  bool separable_;
  BiasActivation act_;
  kernels::WindowGeometry geo_{};
  int mid_c_ = 0, out_c_ = 0;
  Param depthwise_, pointwise_, bias_;
  Tensor mid_, dmid_;  // the depthwise output of a separable layer and its gradient
};

// kernelSize, [filters,] depthMultiplier, strides, padding, dilationRate, then the weighted rows
// with the kernel's keys renamed as TF.js names them (depthwise..., pointwise...).
LayerDef depthwise_family(const char* type, const char* keras, const char* factory, bool separable) {
  LayerDef d{type, keras, factory};
  OptionDef dm{"depthMultiplier", OptionType::Int, 1, 1 << 16};
  dm.i1 = &LayerConfig::depth_multiplier;
  if (separable) {
    OptionDef filters{"filters", OptionType::Int, 1, 2147483647};
    filters.required = true;
    filters.i1 = &LayerConfig::filters;
    d.options.push_back(filters);
  }
  d.options.push_back(pair_option("kernelSize", &LayerConfig::kernel_h, &LayerConfig::kernel_w, true));
  d.options.push_back(dm);
  d.options.push_back(pair_option("strides", &LayerConfig::stride_h, &LayerConfig::stride_w, false));
  d.options.push_back(padding_option());
  d.options.push_back(pair_option("dilationRate", &LayerConfig::dilation_h, &LayerConfig::dilation_w, false));
  for (OptionDef o : weighted_options()) {
    const std::string key = o.key;
    if (key == "kernelInitializer" || key == "kernelRegularizer") {
      o.key = key == "kernelInitializer" ? "depthwiseInitializer" : "depthwiseRegularizer";
      d.options.push_back(o);
      if (!separable) continue;
      if (key == "kernelInitializer") {
        o.key = "pointwiseInitializer";
        o.text = &LayerConfig::pointwise_initializer;
      } else {
        o.key = "pointwiseRegularizer";
        o.f1 = &LayerConfig::pointwise_l1;
        o.f2 = &LayerConfig::pointwise_l2;
      }
    }
    d.options.push_back(o);
  }
  return d;
}

}  // namespace

const LayerDef& depthwise_conv2d_def() {
  static const LayerDef def = [] {
    LayerDef d = depthwise_family("depthwise_conv2d", "DepthwiseConv2D", "depthwiseConv2d", false);
    d.weights = [](const LayerConfig& c, const std::vector<Shape>& in) -> std::vector<WeightDef> {
      if (in[0].size() != 3) return {};
      std::vector<WeightDef> w{{"depthwise_kernel", {c.kernel_h, c.kernel_w, in[0][2], c.depth_multiplier}}};
      if (c.use_bias) w.push_back({"bias", {in[0][2] * c.depth_multiplier}});
      return w;
    };
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> { return std::make_unique<DepthwiseConv2D>(c, false); };
    return d;
  }();
  return def;
}

const LayerDef& separable_conv2d_def() {
  static const LayerDef def = [] {
    LayerDef d = depthwise_family("separable_conv2d", "SeparableConv2D", "separableConv2d", true);
    d.weights = [](const LayerConfig& c, const std::vector<Shape>& in) -> std::vector<WeightDef> {
      if (in[0].size() != 3) return {};
      const int mid = in[0][2] * c.depth_multiplier;
      std::vector<WeightDef> w{{"depthwise_kernel", {c.kernel_h, c.kernel_w, in[0][2], c.depth_multiplier}},
                               {"pointwise_kernel", {1, 1, mid, c.filters}}};
      if (c.use_bias) w.push_back({"bias", {c.filters}});
      return w;
    };
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> { return std::make_unique<DepthwiseConv2D>(c, true); };
    return d;
  }();
  return def;
}

}  // namespace wasmcnn
