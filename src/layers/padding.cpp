// ZeroPadding2D: [h, w, c] -> [h + 2 ph, w + 2 pw, c], the image framed by zeros (Keras' symmetric
// form, padding = p or [ph, pw]).
#include <cstring>

#include "core/check.h"
#include "layers/layer.h"
#include "layers/layer_def.h"

namespace wasmcnn {
namespace {

class ZeroPadding2D final : public Layer {
 public:
  using Layer::Layer;

  Shape build(const Shape& in) override {
    check(in.size() == 3, who(), ": expected an input of shape [height,width,channels], got ", shape_str(in));
    h_ = in[0];
    w_ = in[1];
    c_ = in[2];
    oh_ = h_ + 2 * config_.pad_h;
    ow_ = w_ + 2 * config_.pad_w;
    return {oh_, ow_, c_};
  }

  void forward(const Tensor& x, Tensor& y, Context&) override {
    const int n = x.dim(0);
    y.resize({n, oh_, ow_, c_});
    y.fill(0.f);
    for (int i = 0; i < n; ++i)
      for (int r = 0; r < h_; ++r) std::memcpy(y.data() + outer(i, r), x.data() + inner(i, r), row_bytes());
  }

  // The frame's gradient is dropped: dx is dy without it.
  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx, Context&) override {
    if (!dx) return;
    dx->resize(x.shape());
    for (int i = 0; i < x.dim(0); ++i)
      for (int r = 0; r < h_; ++r) std::memcpy(dx->data() + inner(i, r), dy.data() + outer(i, r), row_bytes());
  }

 private:
  // Where row r of image i starts in the unpadded tensor and in the padded one.
  size_t inner(int i, int r) const { return (size_t(i) * h_ + r) * w_ * c_; }
  size_t outer(int i, int r) const {
    return ((size_t(i) * oh_ + r + config_.pad_h) * ow_ + config_.pad_w) * c_;
  }
  size_t row_bytes() const { return size_t(w_) * c_ * sizeof(float); }

  int h_ = 0, w_ = 0, c_ = 0, oh_ = 0, ow_ = 0;
};

}  // namespace

const LayerDef& zero_padding2d_def() {
  static const LayerDef def = [] {
    LayerDef d{"zero_padding2d", "ZeroPadding2D", "zeroPadding2d"};
    OptionDef padding = pair_option("padding", &LayerConfig::pad_h, &LayerConfig::pad_w, false);
    padding.lo = 0;
    padding.hi = 1 << 20;
    d.options = {padding};
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> { return std::make_unique<ZeroPadding2D>(c); };
    return d;
  }();
  return def;
}

}  // namespace wasmcnn
