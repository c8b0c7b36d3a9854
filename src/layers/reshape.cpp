// Reshape: the same values in a new per-sample shape (Keras' Reshape, targetShape of 1 to 3 dims,
// one of which may be -1: what the input leaves). Both tensors are contiguous NHWC, so forward and
// backward are copies. Permute: the per-sample axes reordered (Keras' Permute, dims 1-based).
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
    out_ = target;
    size_t known = 1;
    for (int d : target) known *= d == -1 ? 1 : size_t(d);
    for (int& d : out_)
      if (d == -1) {
        check(shape_size(in) % known == 0, who(), ": targetShape ", shape_str(target), " cannot hold the ",
              shape_size(in), " values per sample of the input ", shape_str(in), " (not a multiple of ", known, ")");
        d = int(shape_size(in) / known);
      }
    check(shape_size(out_) == shape_size(in), who(), ": targetShape ", shape_str(target), " holds ",
          shape_size(out_), " values per sample, the input ", shape_str(in), " has ", shape_size(in));
    return out_;
  }
  void forward(const Tensor& x, Tensor& y, Context&) override {
    y.resize(with_batch(x.dim(0), out_));
    std::memcpy(y.data(), x.data(), x.size() * sizeof(float));
  }
  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx, Context&) override {
    if (!dx) return;
    dx->resize(x.shape());
    std::memcpy(dx->data(), dy.data(), dy.size() * sizeof(float));
  }

 private:
  Shape out_;
};

// y[..., i_dims[0]-1, ...] = x: output axis a is input axis dims[a] - 1. Forward and backward are
// the same gather with the index maps swapped.
class Permute final : public Layer {
 public:
  using Layer::Layer;

  Shape build(const Shape& in) override {
    const std::vector<int>& dims = config_.dims;
    // Each axis once (the option's range already keeps every entry in 1..3).
    bool ok = dims.size() == in.size();
    std::vector<bool> seen(in.size());
    for (int d : dims) {
      ok = ok && d <= int(in.size()) && !seen[d - 1];
      if (ok) seen[d - 1] = true;
    }
    check(ok, who(), ": dims ", shape_str(dims), " is not an order of the axes 1..", in.size(), " of the input ",
          shape_str(in));
    in_ = in;
    out_.clear();
    for (int d : dims) out_.push_back(in[d - 1]);
    return out_;
  }
  void forward(const Tensor& x, Tensor& y, Context&) override {
    y.resize(with_batch(x.dim(0), out_));
    move(x, y, false);
  }
  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx, Context&) override {
    if (!dx) return;
    dx->resize(x.shape());
    move(dy, *dx, true);
  }

 private:
  // Walks the output in order; `back` scatters instead of gathering (dx[in index] = dy[out index]).
  void move(const Tensor& from, Tensor& to, bool back) const {
    const size_t rank = in_.size(), sample = shape_size(in_);
    size_t in_stride[3] = {0, 0, 0}, out_dims[3] = {1, 1, 1}, step[3] = {0, 0, 0};
    for (size_t a = rank, s = 1; a-- > 0; s *= size_t(in_[a])) in_stride[a] = s;
    for (size_t a = 0; a < rank; ++a) {
      out_dims[3 - rank + a] = size_t(out_[a]);
      step[3 - rank + a] = in_stride[config_.dims[a] - 1];
    }
    const size_t n = from.size() / (sample ? sample : 1);
    for (size_t i = 0; i < n; ++i) {
      const size_t base = i * sample;
      size_t o = base;
      for (size_t a = 0; a < out_dims[0]; ++a)
        for (size_t b = 0; b < out_dims[1]; ++b)
          for (size_t c = 0; c < out_dims[2]; ++c, ++o) {
            const size_t src = base + a * step[0] + b * step[1] + c * step[2];
            if (back) to[src] = from[o];
            else to[o] = from[src];
          }
    }
  }

  Shape in_, out_;
};

}  // namespace

const LayerDef& permute_def() {
  static const LayerDef def = [] {
    LayerDef d{"permute", "Permute", "permute"};
    OptionDef dims{"dims", OptionType::Shape, 1, 3};
    dims.required = true;
    dims.dims = &LayerConfig::dims;
    d.options = {dims};
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> { return std::make_unique<Permute>(c); };
    return d;
  }();
  return def;
}

const LayerDef& reshape_def() {
  static const LayerDef def = [] {
    LayerDef d{"reshape", "Reshape", "reshape"};
    OptionDef target{"targetShape", OptionType::Shape, 1, 2147483647};
    target.required = true;
    target.dims = &LayerConfig::target_shape;
    target.wildcard = true;
    d.options = {target};
    d.make = [](const LayerConfig& c) -> std::unique_ptr<Layer> { return std::make_unique<Reshape>(c); };
    return d;
  }();
  return def;
}

}  // namespace wasmcnn
