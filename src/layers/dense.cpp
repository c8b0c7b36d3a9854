// Dense: y = act(x * kernel + bias), kernel [in, units] as in Keras.
//
// The forward product reads the kernel in place with the bias (and a ReLU) applied as the GEMM
// stores its tiles. backward() transposes the kernel once per call for dx = dz * kernel^T.
#include <algorithm>

#include "core/check.h"
#include "kernels/eltwise.h"
#include "kernels/gemm.h"
#include "layers/activation.h"
#include "layers/init.h"
#include "layers/layer.h"
#include "layers/layer_def.h"

namespace wasmcnn {
namespace {

class Dense final : public Layer {
 public:
  explicit Dense(const LayerConfig& config) : Layer(config), act_(parse_activation(config.activation, who())) {
    setup_kernel_and_bias(config, who(), kernel_, bias_);
  }

  Shape build(const Shape& in) override {
    check(in.size() == 1, who(), ": expected a flat input [features], got ", shape_str(in),
          "; add a flatten layer before it");
    in_ = in[0];
    check(in_ > 0, who(), ": input has no features");
    kernel_.w.resize({in_, config_.units});
    kernel_.dw.resize(kernel_.w.shape());
    if (config_.use_bias) {
      bias_.w.resize({config_.units});
      bias_.dw.resize({config_.units});
    }
    kernel_.w.fill(0.f);
    bias_.w.fill(0.f);
    return {config_.units};
  }

  void init(Rng& rng) override {
    initialize(config_.kernel_initializer, who(), in_, config_.units, rng, kernel_.w);
    if (config_.use_bias) initialize(config_.bias_initializer, who(), in_, config_.units, rng, bias_.w);
  }

  void forward(const Tensor& x, Tensor& y, Context& ctx) override {
    const int n = x.dim(0), u = config_.units;
    Tensor& z = act_.z_target(y, {n, u});
    kernels::gemm_nn(kernels::all(size_t(n)), u, in_, x.data(), in_, kernel_.w.data(), u,
                     config_.use_bias ? bias_.w.data() : nullptr, act_.fuse_relu(), false, z.data(), u,
                     work(ctx, false));
    act_.finish(y);
  }

  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx, Context& ctx) override {
    const int n = x.dim(0), u = config_.units;
    const Tensor& dz = act_.backward(y, dy, grad_is_logits_, size_t(u), config_.use_bias ? bias_.dw.data() : nullptr,
                                     *ctx.scratch);
    // dkernel[in, u] = x^T[in, n] * dz[n, u]
    kernels::gemm_tn(kernels::all(size_t(in_)), u, n, x.data(), in_, dz.data(), u, false, kernel_.dw.data(), u);
    if (dx) {
      dx->resize(x.shape());
      // dx[n, in] = dz[n, u] * kernel^T[u, in]
      float* kernel_t = work(ctx, true);
      kernels::transpose(in_, u, kernel_.w.data(), u, kernel_t, in_);
      kernels::gemm_nn(kernels::all(size_t(n)), in_, u, dz.data(), u, kernel_t, in_, nullptr, false, false,
                       dx->data(), in_, kernel_t + size_t(in_) * u);
    }
  }

  std::vector<Param*> params() override {
    if (config_.use_bias) return {&kernel_, &bias_};
    return {&kernel_};
  }
  const Tensor* logits(const Tensor&) const override { return act_.logits(); }

 private:
  // The forward GEMM's edge panel; for dx, kernel^T followed by that GEMM's edge panel.
  float* work(Context& ctx, bool for_dx) const {
    const size_t u = size_t(config_.units), in = size_t(in_);
    return ctx.scratch->floats(for_dx ? in * u + kernels::gemm_nn_workspace_floats(in, u)
                                      : kernels::gemm_nn_workspace_floats(u, in));
  }

  BiasActivation act_;
  int in_ = 0;
  Param kernel_, bias_;
};

}  // namespace

const LayerDef& dense_def() {
  static const LayerDef def = [] {
    LayerDef d{"dense", "Dense", "dense"};
    OptionDef units{"units", OptionType::Int, 1, 2147483647};
    units.required = true;
    units.i1 = &LayerConfig::units;
    d.options = {units};
    for (const OptionDef& o : weighted_options()) d.options.push_back(o);
    d.weights = [](const LayerConfig& c, const std::vector<Shape>& in) -> std::vector<WeightDef> {
      if (in[0].size() != 1) return {};
      std::vector<WeightDef> w{{"kernel", {in[0][0], c.units}}};
      if (c.use_bias) w.push_back({"bias", {c.units}});
      return w;
    };
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> { return std::make_unique<Dense>(c); };
    return d;
  }();
  return def;
}

}  // namespace wasmcnn
