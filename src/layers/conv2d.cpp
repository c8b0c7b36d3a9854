// Conv2D: y = act(im2col(x) * kernel + bias), kernel HWIO [kh, kw, ic, oc] as in Keras.
//
// The conv2d_* kernels read receptive fields in place (no im2col matrix), apply the bias and a
// ReLU as they store, and take their scratch from the caller's Scratch, sized for one image
// whatever the batch. With a dilationRate above 1 the layer takes another path (the dense one stays
// as it was, bit for bit): per block of output pixels, im2col_dilated into the scratch and a GEMM;
// backward, the GEMMs and col2im_dilated.

#include <algorithm>
#include <string>

#include "core/check.h"
#include "kernels/conv.h"
#include "kernels/eltwise.h"
#include "kernels/gemm.h"
#include "kernels/im2col_dilated.h"
#include "layers/activation.h"
#include "layers/conv_window.h"
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
    const LayerConfig& c = config_;
    window_ = conv_window(c, in, who());
    dilated_ = c.dilation_h > 1 || c.dilation_w > 1;
    geo_ = kernels::conv_geometry(in[0], in[1], in[2], c.kernel_h, c.kernel_w, c.stride_h, c.stride_w,
                                  c.padding == "same");
    if (dilated_) geo_ = {in[0], in[1], in[2], c.kernel_h, c.kernel_w, c.stride_h, c.stride_w,
                          window_.pad_top, window_.pad_left, window_.oh, window_.ow};
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
    if (dilated_) {
      dilated_forward(x, z, work(ctx));
    } else {
      kernels::conv2d_forward(geo_, oc, x.data(), kernel_.w.data(), config_.use_bias ? bias_.w.data() : nullptr,
                              act_.fuse_relu(), z.data(), kernels::all(size_t(n)), work(ctx));
    }
    act_.finish(y);
  }

  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx, Context& ctx) override {
    const int n = x.dim(0), oc = config_.filters;
    const Tensor& dz = act_.backward(y, dy, grad_is_logits_, size_t(oc), config_.use_bias ? bias_.dw.data() : nullptr,
                                     *ctx.scratch);
    float* scratch = work(ctx);
    if (dilated_) {
      dilated_backward(x, dz, dx, scratch);
      return;
    }
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
    return ctx.scratch->floats(dilated_ ? col_floats() + dilated_gemm_floats()
                                        : kernels::conv2d_workspace_floats(geo_, size_t(config_.filters)));
  }

  // Dilated path: the scratch holds the col rows of a block of kDilatedBlock output pixels (or their
  // gradient), then GEMM scratch. Blocks keep col in cache and bound the scratch whatever the image
  // size; every sum runs in the same order as over the whole image at once.
  static constexpr size_t kDilatedBlock = 256;
  size_t block_pixels() const { return std::min(kDilatedBlock, window_.out_pixels()); }
  size_t col_floats() const { return block_pixels() * kernels::dilated_patch(window_); }
  size_t dilated_gemm_floats() const {
    const size_t oc = size_t(config_.filters), patch = kernels::dilated_patch(window_);
    return std::max(kernels::gemm_nn_workspace_floats(oc, patch), kernels::gemm_workspace_floats(block_pixels(), patch, oc));
  }

  void dilated_forward(const Tensor& x, Tensor& z, float* col) {
    const size_t n = size_t(x.dim(0)), oc = size_t(config_.filters), pixels = window_.out_pixels();
    const size_t patch = kernels::dilated_patch(window_), in_size = window_.in_pixels() * window_.c;
    for (size_t i = 0; i < n; ++i)
      for (size_t p0 = 0; p0 < pixels; p0 += kDilatedBlock) {
        const size_t p1 = std::min(pixels, p0 + kDilatedBlock);
        kernels::im2col_dilated(window_, p0, p1, x.data() + i * in_size, col);
        kernels::gemm_nn(kernels::all(p1 - p0), oc, patch, col, patch, kernel_.w.data(), oc, config_.use_bias ? bias_.w.data() : nullptr,
                         act_.fuse_relu(), false, z.data() + (i * pixels + p0) * oc, oc, col + col_floats());
      }
  }

  // dw = sum over images and pixel blocks of col^T dz; dx = col2im(dz w^T) per block.
  void dilated_backward(const Tensor& x, const Tensor& dz, Tensor* dx, float* col) {
    const size_t n = size_t(x.dim(0)), oc = size_t(config_.filters), pixels = window_.out_pixels();
    const size_t patch = kernels::dilated_patch(window_), in_size = window_.in_pixels() * window_.c;
    bool first = true;
    for (size_t i = 0; i < n; ++i)
      for (size_t p0 = 0; p0 < pixels; p0 += kDilatedBlock, first = false) {
        const size_t p1 = std::min(pixels, p0 + kDilatedBlock);
        kernels::im2col_dilated(window_, p0, p1, x.data() + i * in_size, col);
        kernels::gemm_tn(kernels::all(patch), oc, p1 - p0, col, patch, dz.data() + (i * pixels + p0) * oc, oc, !first,
                         kernel_.dw.data(), oc);
      }
    if (!dx) return;
    dx->resize(x.shape());
    dx->fill(0.f);
    for (size_t i = 0; i < n; ++i)
      for (size_t p0 = 0; p0 < pixels; p0 += kDilatedBlock) {
        const size_t p1 = std::min(pixels, p0 + kDilatedBlock);
        kernels::gemm(false, true, p1 - p0, patch, oc, dz.data() + (i * pixels + p0) * oc, oc, kernel_.w.data(), oc,
                      false, col, patch, col + col_floats());
        kernels::col2im_dilated(window_, p0, p1, col, dx->data() + i * in_size);
      }
  }

  BiasActivation act_;
  kernels::WindowGeometry window_{};
  bool dilated_ = false;
  kernels::ConvGeometry geo_{};
  Param kernel_, bias_;
};

}  // namespace

kernels::WindowGeometry conv_window(const LayerConfig& c, const Shape& in, const std::string& who) {
  check(in.size() == 3, who, ": expected an input of shape [height,width,channels], got ", shape_str(in));
  check((c.stride_h == 1 && c.stride_w == 1) || (c.dilation_h == 1 && c.dilation_w == 1), who, ": strides [",
        c.stride_h, ",", c.stride_w, "] and dilationRate [", c.dilation_h, ",", c.dilation_w,
        "] cannot both be above 1 (as in Keras and TF.js)");
  const kernels::WindowGeometry g = kernels::window_geometry(in[0], in[1], in[2], c.kernel_h, c.kernel_w, c.stride_h,
                                                             c.stride_w, c.dilation_h, c.dilation_w, c.padding == "same");
  check(g.oh > 0 && g.ow > 0, who, ": kernel [", c.kernel_h, ",", c.kernel_w, "]",
        g.span_h() > c.kernel_h || g.span_w() > c.kernel_w
            ? " dilated by [" + std::to_string(c.dilation_h) + "," + std::to_string(c.dilation_w) + "]" : std::string(),
        " with 'valid' padding does not fit the input ", shape_str(in));
  return g;
}

const LayerDef& conv2d_def() {
  static const LayerDef def = [] {
    LayerDef d{"conv2d", "Conv2D", "conv2d"};
    OptionDef filters{"filters", OptionType::Int, 1, 2147483647};
    filters.required = true;
    filters.i1 = &LayerConfig::filters;
    d.options = {filters, pair_option("kernelSize", &LayerConfig::kernel_h, &LayerConfig::kernel_w, true),
                 pair_option("strides", &LayerConfig::stride_h, &LayerConfig::stride_w, false), padding_option(),
                 pair_option("dilationRate", &LayerConfig::dilation_h, &LayerConfig::dilation_w, false)};
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
