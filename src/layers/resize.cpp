// UpSampling2D: [h, w, c] -> [h * sh, w * sw, c], each pixel repeated ('nearest') or interpolated
// ('bilinear') with TF.js 4.22's sampling (kernels/resize.h: corners aligned at the top left, not
// Keras' half-pixel centers).
#include "core/check.h"
#include "kernels/resize.h"
#include "layers/layer.h"
#include "layers/layer_def.h"

namespace wasmcnn {
namespace {

class UpSampling2D final : public Layer {
 public:
  using Layer::Layer;

  Shape build(const Shape& in) override {
    check(in.size() == 3, who(), ": expected an input of shape [height,width,channels], got ", shape_str(in));
    const double oh = double(in[0]) * config_.size_h, ow = double(in[1]) * config_.size_w;
    check(oh <= 2147483647.0 && ow <= 2147483647.0, who(), ": size [", config_.size_h, ",", config_.size_w,
          "] makes the input ", shape_str(in), " too large");
    geo_ = {in[0], in[1], in[2], int(oh), int(ow)};
    bilinear_ = config_.interpolation == "bilinear";
    return {geo_.oh, geo_.ow, geo_.c};
  }

  void forward(const Tensor& x, Tensor& y, Context&) override {
    const size_t n = size_t(x.dim(0));
    y.resize({int(n), geo_.oh, geo_.ow, geo_.c});
    if (bilinear_)
      kernels::resize_bilinear_forward(geo_, 0, n, x.data(), y.data());
    else
      kernels::resize_nearest_forward(geo_, 0, n, x.data(), y.data());
  }

  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx, Context&) override {
    if (!dx) return;
    dx->resize(x.shape());
    const size_t n = size_t(x.dim(0));
    if (bilinear_)
      kernels::resize_bilinear_backward(geo_, 0, n, dy.data(), dx->data());
    else
      kernels::resize_nearest_backward(geo_, 0, n, dy.data(), dx->data());
  }

 private:
  kernels::ResizeGeometry geo_{};
  bool bilinear_ = false;
};

}  // namespace

const LayerDef& up_sampling2d_def() {
  static const LayerDef def = [] {
    LayerDef d{"up_sampling2d", "UpSampling2D", "upSampling2d"};
    OptionDef size = pair_option("size", &LayerConfig::size_h, &LayerConfig::size_w, false);
    size.hi = 1 << 16;
    OptionDef interpolation{"interpolation", OptionType::Choice};
    interpolation.choices = {"nearest", "bilinear"};
    interpolation.text = &LayerConfig::interpolation;
    d.options = {size, interpolation};
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> { return std::make_unique<UpSampling2D>(c); };
    return d;
  }();
  return def;
}

}  // namespace wasmcnn
