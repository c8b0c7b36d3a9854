// Reshape: the same values in a new per-sample shape (Keras' Reshape, targetShape of 1 to 3 dims).
// Both tensors are contiguous NHWC, so forward and backward are copies.
#include <cstring>

#include "core/check.h"
#include "layers/layer.h"
#include "layers/layer_def.h"

namespace wasmcnn {
namespace {

class Reshape final : public Layer {
 public:
  using Layer::Layer;

  Shape build(const Shape& in) override {
    const Shape& target = config_.target_shape;
    check(shape_size(target) == shape_size(in), who(), ": targetShape ", shape_str(target), " holds ",
          shape_size(target), " values per sample, the input ", shape_str(in), " has ", shape_size(in));
    return target;
  }
  void forward(const Tensor& x, Tensor& y, Context&) override {
    y.resize(with_batch(x.dim(0), config_.target_shape));
    std::memcpy(y.data(), x.data(), x.size() * sizeof(float));
  }
  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx, Context&) override {
    if (!dx) return;
    dx->resize(x.shape());
    std::memcpy(dx->data(), dy.data(), dy.size() * sizeof(float));
  }
};

}  // namespace

const LayerDef& reshape_def() {
  static const LayerDef def = [] {
    LayerDef d{"reshape", "Reshape", "reshape"};
    OptionDef target{"targetShape", OptionType::Shape, 1, 2147483647};
    target.required = true;
    target.dims = &LayerConfig::target_shape;
    d.options = {target};
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> { return std::make_unique<Reshape>(c); };
    return d;
  }();
  return def;
}

}  // namespace wasmcnn
