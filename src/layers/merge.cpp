// Merge layers (Keras/TF.js): several inputs into one output.
//   Add, Subtract, Multiply, Average, Maximum, Minimum: inputs of one shape, element by element
//   (kernels/copy_ops.h merge_forward has the exact order of operations; Subtract takes exactly
//   two inputs; Maximum/Minimum send the gradient to the first input on ties).
//   Concatenate: inputs that match on every axis but `axis`, joined along it.
#include <string>

#include "core/check.h"
#include "kernels/copy_ops.h"
#include "layers/layer.h"
#include "layers/layer_def.h"

namespace wasmcnn {
namespace {

// The single-input forms of a layer only ever called through the *_n forms, and the pointer lists
// the kernels take (kept as members: a steady batch allocates nothing).
class MergeBase : public Layer {
 public:
  using Layer::Layer;
  Shape build(const Shape& in) override { return build_n({in}); }
  void forward(const Tensor& x, Tensor& y, Context& ctx) override { forward_n({&x}, y, ctx); }
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx, Context& ctx) override {
    backward_n({&x}, y, dy, {dx}, ctx);
  }

 protected:
  // The inputs' data.
  const float* const* sources(const std::vector<const Tensor*>& x) {
    xs_.clear();
    for (const Tensor* t : x) xs_.push_back(t->data());
    return xs_.data();
  }
  // Where the gradient for input k goes: dx[k], or scratch when nobody needs it; null when no
  // input needs one.
  float* const* targets(const std::vector<Tensor*>& dx, const std::vector<const Tensor*>& x) {
    bool any = false;
    for (Tensor* d : dx) any |= d != nullptr;
    if (!any) return nullptr;
    scratch_.resize(x.size());
    dxs_.resize(x.size());
    for (size_t k = 0; k < x.size(); ++k) {
      Tensor& d = dx[k] ? *dx[k] : scratch_[k];
      d.resize(x[k]->shape());
      dxs_[k] = d.data();
    }
    return dxs_.data();
  }

 private:
  std::vector<Tensor> scratch_;
  std::vector<const float*> xs_;
  std::vector<float*> dxs_;
};

class Merge final : public MergeBase {
 public:
  Merge(const LayerConfig& config, kernels::MergeOp op) : MergeBase(config), op_(op) {}

  Shape build_n(const std::vector<Shape>& in) override {
    if (op_ == kernels::MergeOp::Subtract)
      check(in.size() == 2, who(), ": takes exactly 2 inputs (x0 - x1), got ", in.size());
    for (size_t k = 1; k < in.size(); ++k)
      check(in[k] == in[0], who(), ": input ", k, " has shape ", shape_str(in[k]), ", input 0 has ",
            shape_str(in[0]), " (all inputs must have the same shape)");
    return in[0];
  }
  void forward_n(const std::vector<const Tensor*>& x, Tensor& y, Context&) override {
    y.resize(x[0]->shape());
    kernels::merge_forward(op_, x.size(), sources(x), 0, y.size(), y.data());
  }
  void backward_n(const std::vector<const Tensor*>& x, const Tensor&, const Tensor& dy, const std::vector<Tensor*>& dx,
                  Context&) override {
    if (op_ == kernels::MergeOp::Add) {  // d(x0 + x1 + ...)/dxk = 1: no arithmetic
      for (Tensor* d : dx)
        if (d) *d = dy;
      return;
    }
    if (float* const* dxs = targets(dx, x)) kernels::merge_backward(op_, x.size(), sources(x), dy.data(), 0, dy.size(), dxs);
  }

 private:
  kernels::MergeOp op_;
};

class Concatenate final : public MergeBase {
 public:
  using MergeBase::MergeBase;

  Shape build_n(const std::vector<Shape>& in) override {
    const int r = int(in[0].size());
    const int a = config_.axis < 0 ? config_.axis + r + 1 : config_.axis;  // counting the batch as axis 0
    check(r >= 1 && a >= 1 && a <= r, who(), ": axis ", config_.axis, " is not a per-sample axis of input 0 ",
          shape_str(in[0]), " (expected 1..", r, " or -", r, "..-1; the batch is axis 0)");
    Shape out = in[0];
    for (size_t k = 1; k < in.size(); ++k) {
      bool ok = int(in[k].size()) == r;
      for (int d = 0; ok && d < r; ++d) ok = d == a - 1 || in[k][size_t(d)] == in[0][size_t(d)];
      check(ok, who(), ": input ", k, " has shape ", shape_str(in[k]), ", input 0 has ", shape_str(in[0]),
            " (they must match on every axis but the concatenation axis ", a, ")");
      out[size_t(a - 1)] += in[k][size_t(a - 1)];
    }
    outer_ = 1;
    for (int d = 0; d < a - 1; ++d) outer_ *= size_t(in[0][size_t(d)]);
    widths_.clear();
    for (const Shape& s : in) widths_.push_back(shape_size(s) / outer_);
    out_ = out;
    return out;
  }
  void forward_n(const std::vector<const Tensor*>& x, Tensor& y, Context&) override {
    y.resize(with_batch(x[0]->dim(0), out_));
    kernels::concat_rows(x.size(), sources(x), widths_.data(), 0, size_t(y.dim(0)) * outer_, y.data());
  }
  void backward_n(const std::vector<const Tensor*>& x, const Tensor&, const Tensor& dy, const std::vector<Tensor*>& dx,
                  Context&) override {
    if (float* const* dxs = targets(dx, x))
      kernels::split_rows(x.size(), dy.data(), widths_.data(), 0, size_t(dy.dim(0)) * outer_, dxs);
  }

 private:
  size_t outer_ = 1;
  std::vector<size_t> widths_;
  Shape out_;
};

template <kernels::MergeOp Op>
std::unique_ptr<Layer> make_merge(const LayerConfig& c) {
  return std::make_unique<Merge>(c, Op);
}

LayerDef merge_def(const char* type, const char* keras, const char* factory,
                   std::unique_ptr<Layer> (*make)(const LayerConfig&)) {
  LayerDef d{type, keras, factory};
  d.arity = 0;
  d.make = make;
  return d;
}

}  // namespace

const LayerDef& add_def() {
  static const LayerDef def = merge_def("add", "Add", "add", make_merge<kernels::MergeOp::Add>);
  return def;
}
const LayerDef& subtract_def() {
  static const LayerDef def = merge_def("subtract", "Subtract", "subtract", make_merge<kernels::MergeOp::Subtract>);
  return def;
}
const LayerDef& multiply_def() {
  static const LayerDef def = merge_def("multiply", "Multiply", "multiply", make_merge<kernels::MergeOp::Multiply>);
  return def;
}
const LayerDef& average_def() {
  static const LayerDef def = merge_def("average", "Average", "average", make_merge<kernels::MergeOp::Average>);
  return def;
}
const LayerDef& maximum_def() {
  static const LayerDef def = merge_def("maximum", "Maximum", "maximum", make_merge<kernels::MergeOp::Maximum>);
  return def;
}
const LayerDef& minimum_def() {
  static const LayerDef def = merge_def("minimum", "Minimum", "minimum", make_merge<kernels::MergeOp::Minimum>);
  return def;
}
const LayerDef& concatenate_def() {
  static const LayerDef def = [] {
    LayerDef d = merge_def("concatenate", "Concatenate", "concatenate",
                           [](const LayerConfig& c) -> std::unique_ptr<Layer> { return std::make_unique<Concatenate>(c); });
    OptionDef axis{"axis", OptionType::Int, -4, 3};
    axis.i1 = &LayerConfig::axis;
    d.options = {axis};
    return d;
  }();
  return def;
}

}  // namespace wasmcnn
