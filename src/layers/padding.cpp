// ZeroPadding2D and Cropping2D, each other's adjoint: [h, w, c] framed by zeros, or with a frame
// cut off. Margins as Keras writes them: p, [h, w] (symmetric) or [[top, bottom], [left, right]].
#include "core/check.h"
#include "kernels/copy_ops.h"
#include "layers/layer.h"
#include "layers/layer_def.h"

namespace wasmcnn {
namespace {

// pad: the output is the input framed (ZeroPadding2D); else the input is the output framed (Cropping2D).
class Margins2D final : public Layer {
 public:
  Margins2D(const LayerConfig& config, bool pad) : Layer(config), pad_(pad) {}

  Shape build(const Shape& in) override {
    check(in.size() == 3, who(), ": expected an input of shape [height,width,channels], got ", shape_str(in));
    const std::vector<int>& m = config_.margins;
    if (pad_) {
      big_ = {in[0] + m[0] + m[1], in[1] + m[2] + m[3], in[2], m[0], m[1], m[2], m[3]};
      return {big_.h, big_.w, in[2]};
    }
    big_ = {in[0], in[1], in[2], m[0], m[1], m[2], m[3]};
    check(big_.small_h() > 0 && big_.small_w() > 0, who(), ": cropping [[", m[0], ",", m[1], "],[", m[2], ",", m[3],
          "]] leaves nothing of the input ", shape_str(in));
    return {big_.small_h(), big_.small_w(), in[2]};
  }

  void forward(const Tensor& x, Tensor& y, Context&) override {
    const size_t n = size_t(x.dim(0));
    if (pad_) {
      y.resize({int(n), big_.h, big_.w, big_.c});
      kernels::pad2d(big_, 0, n, x.data(), y.data());
    } else {
      y.resize({int(n), big_.small_h(), big_.small_w(), big_.c});
      kernels::crop2d(big_, 0, n, x.data(), y.data());
    }
  }

  // Padding's gradient drops the frame; cropping's puts zeros where the frame was.
  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx, Context&) override {
    if (!dx) return;
    dx->resize(x.shape());
    const size_t n = size_t(x.dim(0));
    if (pad_)
      kernels::crop2d(big_, 0, n, dy.data(), dx->data());
    else
      kernels::pad2d(big_, 0, n, dy.data(), dx->data());
  }

 private:
  bool pad_;
  kernels::Margins big_{};
};

}  // namespace

const LayerDef& zero_padding2d_def() {
  static const LayerDef def = [] {
    LayerDef d{"zero_padding2d", "ZeroPadding2D", "zeroPadding2d"};
    d.options = {margins_option("padding", false)};
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> { return std::make_unique<Margins2D>(c, true); };
    return d;
  }();
  return def;
}

const LayerDef& cropping2d_def() {
  static const LayerDef def = [] {
    LayerDef d{"cropping2d", "Cropping2D", "cropping2d"};
    d.options = {margins_option("cropping", true)};
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> { return std::make_unique<Margins2D>(c, false); };
    return d;
  }();
  return def;
}

}  // namespace wasmcnn
