// Conv2D: y = act(im2col(x) * kernel + bias), kernel HWIO [kh, kw, ic, oc] as in Keras.
//
// The conv2d_* kernels read receptive fields in place (no im2col matrix), apply the bias and a
// ReLU as they store, and take their scratch from the caller's Scratch, sized for one image
// whatever the batch.

#include "core/check.h"
#include "kernels/conv.h"
#include "kernels/eltwise.h"
#include "layers/activation.h"
#include "layers/init.h"
#include "layers/layer.h"
#include "layers/layer_def.h"

namespace wasmcnn {
namespace {

class Conv2D final : public Layer {
 public:
  explicit Conv2D(const LayerConfig& config)
      : Layer(config), act_(parse_activation(config.activation, who())) {
    setup_kernel_and_bias(config, who(), kernel_, bias_);
  }

  Shape build(const Shape& in) override {
    check(in.size() == 3, who(), ": expected an input of shape [height,width,channels], got ", shape_str(in));
    const LayerConfig& c = config_;
    geo_ = kernels::conv_geometry(in[0], in[1], in[2], c.kernel_h, c.kernel_w, c.stride_h, c.stride_w,
                                  c.padding == "same");
    check(geo_.oh > 0 && geo_.ow > 0, who(), ": kernel [", c.kernel_h, ",", c.kernel_w,
          "] with 'valid' padding does not fit the input ", shape_str(in));
    kernel_.w.resize({c.kernel_h, c.kernel_w, in[2], c.filters});
    kernel_.dw.resize(kernel_.w.shape());
    if (c.use_bias) {
      bias_.w.resize({c.filters});
      bias_.dw.resize({c.filters});
    }
    kernel_.w.fill(0.f);
    bias_.w.fill(0.f);
    return {geo_.oh, geo_.ow, c.filters};
  }

  void init(Rng& rng) override {
    int fan_in = int(geo_.patch()), fan_out = config_.kernel_h * config_.kernel_w * config_.filters;
    initialize(config_.kernel_initializer, who(), fan_in, fan_out, rng, kernel_.w);
    if (config_.use_bias) initialize(config_.bias_initializer, who(), fan_in, fan_out, rng, bias_.w);
  }

  void forward(const Tensor& x, Tensor& y, Context& ctx) override {
    const int n = x.dim(0), oc = config_.filters;
    Tensor& z = act_.z_target(y, {n, geo_.oh, geo_.ow, oc});
    kernels::conv2d_forward(geo_, oc, x.data(), kernel_.w.data(), config_.use_bias ? bias_.w.data() : nullptr,
                            act_.fuse_relu(), z.data(), kernels::all(size_t(n)), work(ctx));
    act_.finish(y);
  }

  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx, Context& ctx) override {
    const int n = x.dim(0), oc = config_.filters;
    const Tensor& dz = act_.backward(y, dy, grad_is_logits_, size_t(oc), config_.use_bias ? bias_.dw.data() : nullptr,
                                     *ctx.scratch);
    float* scratch = work(ctx);
    kernels::conv2d_backward_filter(geo_, n, oc, x.data(), dz.data(), kernel_.dw.data(), kernels::all(size_t(oc)),
                                    scratch);
    if (dx) {
      dx->resize(x.shape());
      kernels::conv2d_backward_input(geo_, oc, dz.data(), kernel_.w.data(), dx->data(), kernels::all(size_t(n)),
                                     scratch);
    }
  }

  std::vector<Param*> params() override {
    if (config_.use_bias) return {&kernel_, &bias_};
    return {&kernel_};
  }
  const Tensor* logits(const Tensor&) const override { return act_.logits(); }

 private:
  float* work(Context& ctx) const {
    return ctx.scratch->floats(kernels::conv2d_workspace_floats(geo_, size_t(config_.filters)));
  }

  BiasActivation act_;
  kernels::ConvGeometry geo_{};
  Param kernel_, bias_;
};

}  // namespace

const LayerDef& conv2d_def() {
  static const LayerDef def = [] {
    LayerDef d{"conv2d", "Conv2D", "conv2d"};
    OptionDef filters{"filters", OptionType::Int, 1, 2147483647};
    filters.required = true;
    filters.i1 = &LayerConfig::filters;
    d.options = {filters, pair_option("kernelSize", &LayerConfig::kernel_h, &LayerConfig::kernel_w, true),
                 pair_option("strides", &LayerConfig::stride_h, &LayerConfig::stride_w, false), padding_option()};
    for (const OptionDef& o : weighted_options()) d.options.push_back(o);
    d.weights = [](const LayerConfig& c, const std::vector<Shape>& in) -> std::vector<WeightDef> {
      if (in[0].size() != 3) return {};
      std::vector<WeightDef> w{{"kernel", {c.kernel_h, c.kernel_w, in[0][2], c.filters}}};
      if (c.use_bias) w.push_back({"bias", {c.filters}});
      return w;
    };
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> { return std::make_unique<Conv2D>(c); };
    return d;
  }();
  return def;
}

}  // namespace wasmcnn
