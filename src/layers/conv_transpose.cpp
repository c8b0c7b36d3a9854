// Conv2DTranspose (Keras/TF.js): the adjoint of a Conv2D, kernel [kh, kw, filters, ic] as TF.js
// lays it out. Output [oh, ow, filters] with TF.js' deconvLength: 'same' in * stride, 'valid'
// in * stride + max(k - stride, 0).
//
// A Conv2D from [oh, ow, filters] to [h, w, ic] with this kernel (HWIO, I = filters, O = ic) and the
// same strides and padding maps the output back onto the input, so the transpose runs its kernels
// the other way round: forward = its input gradient, input gradient = its forward, kernel gradient =
// its kernel gradient with the roles of x and dy swapped. No kernel of its own.
#include <algorithm>

#include "core/check.h"
#include "kernels/conv.h"
#include "kernels/eltwise.h"
#include "layers/activation.h"
#include "layers/init.h"
#include "layers/layer.h"
#include "layers/layer_def.h"

namespace wasmcnn {
namespace {

class Conv2DTranspose final : public Layer {
 public:
  explicit Conv2DTranspose(const LayerConfig& config)
      : Layer(config), act_(parse_activation(config.activation, who())) {
    setup_kernel_and_bias(config, who(), kernel_, bias_);
  }

  Shape build(const Shape& in) override {
    check(in.size() == 3, who(), ": expected an input of shape [height,width,channels], got ", shape_str(in));
    const LayerConfig& c = config_;
    const bool same = c.padding == "same";
    auto length = [&](int n, int k, int s) {
      return double(n) * s + (same ? 0 : std::max(k - s, 0));
    };
    const double oh = length(in[0], c.kernel_h, c.stride_h), ow = length(in[1], c.kernel_w, c.stride_w);
    check(oh <= 65536 && ow <= 65536, who(), ": strides [", c.stride_h, ",", c.stride_w, "] and kernel [", c.kernel_h,
          ",", c.kernel_w, "] make the input ", shape_str(in), " an image larger than 65536 pixels a side");
    geo_ = kernels::conv_geometry(int(oh), int(ow), c.filters, c.kernel_h, c.kernel_w, c.stride_h, c.stride_w, same);
    check(geo_.oh == in[0] && geo_.ow == in[1], "internal error: ", who(), " geometry ", geo_.oh, "x", geo_.ow);
    ic_ = in[2];
    kernel_.w.resize({c.kernel_h, c.kernel_w, c.filters, ic_});
    kernel_.dw.resize(kernel_.w.shape());
    kernel_.w.fill(0.f);
    if (c.use_bias) {
      bias_.w.resize({c.filters});
      bias_.dw.resize({c.filters});
      bias_.w.fill(0.f);
    }
    return {geo_.h, geo_.w, c.filters};
  }

  // Keras' fans for a kernel [kh, kw, filters, ic]: fan_in kh*kw*filters, fan_out kh*kw*ic.
  void init(Rng& rng) override {
    const int taps = config_.kernel_h * config_.kernel_w;
    initialize(config_.kernel_initializer, who(), taps * config_.filters, taps * ic_, rng, kernel_.w);
    if (config_.use_bias) initialize(config_.bias_initializer, who(), taps * config_.filters, taps * ic_, rng, bias_.w);
  }

  void forward(const Tensor& x, Tensor& y, Context& ctx) override {
    const int n = x.dim(0);
    Tensor& z = act_.z_target(y, {n, geo_.h, geo_.w, config_.filters});
    kernels::conv2d_backward_input(geo_, size_t(ic_), x.data(), kernel_.w.data(), z.data(), kernels::all(size_t(n)),
                                   work(ctx));
    if (config_.use_bias) kernels::bias_add(z.size() / size_t(config_.filters), size_t(config_.filters), bias_.w.data(), z.data());
    if (act_.fuse_relu()) kernels::relu_forward(z.size(), z.data(), z.data());
    act_.finish(y);
  }

  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx, Context& ctx) override {
    const int n = x.dim(0);
    const Tensor& dz = act_.backward(y, dy, grad_is_logits_, size_t(config_.filters),
                                     config_.use_bias ? bias_.dw.data() : nullptr, *ctx.scratch);
    float* scratch = work(ctx);
    kernels::conv2d_backward_filter(geo_, size_t(n), size_t(ic_), dz.data(), x.data(), kernel_.dw.data(),
                                    kernels::all(size_t(ic_)), scratch);
    if (dx) {
      dx->resize(x.shape());
      kernels::conv2d_forward(geo_, size_t(ic_), dz.data(), kernel_.w.data(), nullptr, false, dx->data(),
                              kernels::all(size_t(n)), scratch);
    }
  }

  std::vector<Param*> params() override {
    if (config_.use_bias) return {&kernel_, &bias_};
    return {&kernel_};
  }
  const Tensor* logits(const Tensor&) const override { return act_.logits(); }

 private:
  float* work(Context& ctx) const { return ctx.scratch->floats(kernels::conv2d_workspace_floats(geo_, size_t(ic_))); }

  BiasActivation act_;
  kernels::ConvGeometry geo_{};  // of the Conv2D from this layer's output to its input
  int ic_ = 0;
  Param kernel_, bias_;
};

}  // namespace

const LayerDef& conv2d_transpose_def() {
  static const LayerDef def = [] {
    LayerDef d{"conv2d_transpose", "Conv2DTranspose", "conv2dTranspose"};
    OptionDef filters{"filters", OptionType::Int, 1, 2147483647};
    filters.required = true;
    filters.i1 = &LayerConfig::filters;
    OptionDef strides = pair_option("strides", &LayerConfig::stride_h, &LayerConfig::stride_w, false);
    strides.hi = 1 << 16;
    d.options = {filters, pair_option("kernelSize", &LayerConfig::kernel_h, &LayerConfig::kernel_w, true), strides,
                 padding_option()};
    for (const OptionDef& o : weighted_options()) d.options.push_back(o);
    d.weights = [](const LayerConfig& c, const std::vector<Shape>& in) -> std::vector<WeightDef> {
      if (in[0].size() != 3) return {};
      std::vector<WeightDef> w{{"kernel", {c.kernel_h, c.kernel_w, c.filters, in[0][2]}}};
      if (c.use_bias) w.push_back({"bias", {c.filters}});
      return w;
    };
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> { return std::make_unique<Conv2DTranspose>(c); };
    return d;
  }();
  return def;
}

}  // namespace wasmcnn
