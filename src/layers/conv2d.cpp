// Conv2D: y = act(im2col(x) * kernel + bias), kernel HWIO [kh, kw, ic, oc] as in Keras.
//
// The batch is processed in chunks of images whose im2col matrix fits kColBudget floats, so the
// scratch memory stays bounded whatever the batch size. backward() rebuilds the im2col matrix
// instead of keeping it from forward(): the copy is cheap next to the GEMMs and saves memory.
#include <algorithm>
#include <cstring>

#include "core/check.h"
#include "kernels/conv.h"
#include "kernels/eltwise.h"
#include "kernels/gemm.h"
#include "layers/activation.h"
#include "layers/init.h"
#include "layers/layer.h"
#include "layers/registry.h"

namespace wasmcnn {
namespace {

constexpr size_t kColBudget = size_t(1) << 18;  // floats (1 MiB)

class Conv2D final : public Layer {
 public:
  explicit Conv2D(const LayerConfig& config) : Layer(config), act_(parse_activation(config.activation, who())) {
    check(config.filters > 0, who(), ": filters must be positive, got ", config.filters);
    check(config.kernel_h > 0 && config.kernel_w > 0, who(), ": kernel size must be positive, got [",
          config.kernel_h, ",", config.kernel_w, "]");
    check(config.stride_h > 0 && config.stride_w > 0, who(), ": strides must be positive, got [",
          config.stride_h, ",", config.stride_w, "]");
    check(config.padding == "valid" || config.padding == "same", who(), ": padding must be 'valid' or 'same', got '",
          config.padding, "'");
    check_initializer(config.kernel_initializer, who());
    check_initializer(config.bias_initializer, who());
    kernel_.name = "kernel";
    bias_.name = "bias";
    kernel_.l1 = config.kernel_l1;
    kernel_.l2 = config.kernel_l2;
    bias_.l1 = config.bias_l1;
    bias_.l2 = config.bias_l2;
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

  void forward(const Tensor& x, Tensor& y, Context&) override {
    const int n = x.dim(0), oc = config_.filters;
    Tensor& z = act_ == Activation::Softmax ? z_ : y;
    z.resize({n, geo_.oh, geo_.ow, oc});
    const size_t pixels = size_t(geo_.oh) * geo_.ow, k = geo_.patch();
    const int chunk = images_per_chunk();
    reserve_scratch(chunk, false);
    for (int i0 = 0; i0 < n; i0 += chunk) {
      const int m = std::min(chunk, n - i0);
      for (int i = 0; i < m; ++i) kernels::im2col(geo_, image(x, i0 + i), col_.data() + i * pixels * k);
      float* out = z.data() + size_t(i0) * pixels * oc;
      kernels::gemm(false, false, m * pixels, oc, k, col_.data(), k, kernel_.w.data(), oc, false, out, oc,
                    work_.data());
    }
    if (config_.use_bias) kernels::bias_add(size_t(n) * pixels, oc, bias_.w.data(), z.data());
    activation_forward(act_, z, y);
  }

  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx, Context&) override {
    const int n = x.dim(0), oc = config_.filters;
    const Tensor* dz = &dy;
    if (act_ != Activation::Linear && !grad_is_logits_) {
      activation_backward(act_, y, dy, dz_);
      dz = &dz_;
    }
    const size_t pixels = size_t(geo_.oh) * geo_.ow, k = geo_.patch();
    const size_t in_size = size_t(geo_.h) * geo_.w * geo_.c;
    const int chunk = images_per_chunk();
    reserve_scratch(chunk, dx != nullptr);
    if (dx) {
      dx->resize(x.shape());
      dx->fill(0.f);
    }
    for (int i0 = 0; i0 < n; i0 += chunk) {
      const int m = std::min(chunk, n - i0);
      const size_t rows = m * pixels;
      const float* dz_chunk = dz->data() + size_t(i0) * pixels * oc;
      for (int i = 0; i < m; ++i) kernels::im2col(geo_, image(x, i0 + i), col_.data() + i * pixels * k);
      // dkernel[k, oc] (+)= col^T[k, rows] * dz[rows, oc]
      kernels::gemm(true, false, k, oc, rows, col_.data(), k, dz_chunk, oc, i0 > 0, kernel_.dw.data(), oc,
                    work_.data());
      if (dx) {
        // dcol[rows, k] = dz[rows, oc] * kernel^T[oc, k]
        kernels::gemm(false, true, rows, k, oc, dz_chunk, oc, kernel_.w.data(), oc, false, col_.data(), k,
                      work_.data());
        for (int i = 0; i < m; ++i)
          kernels::col2im(geo_, col_.data() + i * pixels * k, dx->data() + size_t(i0 + i) * in_size);
      }
    }
    if (config_.use_bias) kernels::bias_grad(size_t(n) * pixels, oc, dz->data(), bias_.dw.data());
  }

  std::vector<Param*> params() override {
    if (config_.use_bias) return {&kernel_, &bias_};
    return {&kernel_};
  }
  const Tensor* logits(const Tensor&) const override { return act_ == Activation::Softmax ? &z_ : nullptr; }

 private:
  const float* image(const Tensor& x, int i) const {
    return x.data() + size_t(i) * geo_.h * geo_.w * geo_.c;
  }
  int images_per_chunk() const {
    size_t per_image = size_t(geo_.oh) * geo_.ow * geo_.patch();
    return int(std::max<size_t>(1, kColBudget / std::max<size_t>(per_image, 1)));
  }
  void reserve_scratch(int chunk, bool need_dx) {
    const size_t rows = size_t(chunk) * geo_.oh * geo_.ow, k = geo_.patch(), oc = size_t(config_.filters);
    col_.resize({int(rows * k)});
    size_t work = kernels::gemm_workspace_floats(rows, oc, k);
    work = std::max(work, kernels::gemm_workspace_floats(k, oc, rows));
    if (need_dx) work = std::max(work, kernels::gemm_workspace_floats(rows, k, oc));
    if (work_.size() < work) work_.resize({int(work)});
  }

  Activation act_;
  kernels::ConvGeometry geo_{};
  Param kernel_, bias_;
  Tensor z_, dz_, col_, work_;
};

}  // namespace

std::unique_ptr<Layer> make_conv2d(const LayerConfig& config) { return std::make_unique<Conv2D>(config); }

}  // namespace wasmcnn
