// Merge layers: several inputs of one shape into one output. Add: y = x0 + x1 + ... (Keras' Add).
#include "core/check.h"
#include "layers/layer.h"
#include "layers/layer_def.h"

namespace wasmcnn {
namespace {

class Add final : public Layer {
 public:
  using Layer::Layer;

  Shape build_n(const std::vector<Shape>& in) override {
    for (size_t k = 1; k < in.size(); ++k)
      check(in[k] == in[0], who(), ": input ", k, " has shape ", shape_str(in[k]), ", input 0 has ",
            shape_str(in[0]), " (all inputs must have the same shape)");
    return in[0];
  }
  void forward_n(const std::vector<const Tensor*>& x, Tensor& y, Context&) override {
    y.resize(x[0]->shape());
    const size_t n = y.size();
    std::copy(x[0]->data(), x[0]->data() + n, y.data());
    for (size_t k = 1; k < x.size(); ++k) {
      const float* xk = x[k]->data();
      for (size_t i = 0; i < n; ++i) y[i] += xk[i];
    }
  }
  void backward_n(const std::vector<const Tensor*>&, const Tensor&, const Tensor& dy, const std::vector<Tensor*>& dx,
                  Context&) override {
    for (Tensor* d : dx)
      if (d) *d = dy;  // d(x0 + x1 + ...)/dxk = 1
  }

  // A merge layer is only ever called through the *_n forms.
  Shape build(const Shape& in) override { return build_n({in}); }
  void forward(const Tensor& x, Tensor& y, Context& ctx) override { forward_n({&x}, y, ctx); }
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx, Context& ctx) override {
    backward_n({&x}, y, dy, {dx}, ctx);
  }
};

}  // namespace

const LayerDef& add_def() {
  static const LayerDef def = [] {
    LayerDef d{"add", "Add", "add"};
    d.arity = 0;
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> { return std::make_unique<Add>(c); };
    return d;
  }();
  return def;
}

}  // namespace wasmcnn
