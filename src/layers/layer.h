// The layer interface: output shape, forward, backward, parameters, config.
//
// Most layers take one input and implement build/forward/backward; a layer with several inputs
// (a merge such as Add) overrides the *_n forms, which the model calls for every layer.
//
// Shapes passed to build() are per sample (no batch dimension); tensors passed to forward() and
// backward() carry the batch as dimension 0. backward() receives the x and y of the matching
// forward() call, writes dx (when `dx` is non-null) and overwrites the parameter gradients.
// Layers keep whatever they need between forward and backward (argmax, masks) as members sized on
// first use, so a steady batch size allocates nothing; a thread that runs part of a batch runs it on
// its own copy of the model (Model's replicas), so no layer object is ever used by two threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/scratch.h"
#include "core/tensor.h"
#include "layers/layer_config.h"

namespace wasmcnn {

// A trainable tensor with its gradient and regularisation penalty (loss += l1*|w| + l2*w^2).
struct Param {
  std::string name;  // Keras weight name: "kernel", "bias", "gamma", "beta", ...
  Tensor w, dw;
  float l1 = 0.f, l2 = 0.f;
  bool trainable = true;  // false for statistics such as BatchNorm's moving mean
};

// What one forward or backward call needs besides its tensors, owned by the caller: its scratch
// memory and the key of its random draws. A stochastic layer draws for sample i of x from
// sample_rng(Stream::Noise, i), a stream keyed by (seed, step, node, first_sample + i) (rng.h), so
// a sample's draws do not depend on which call, thread or order computes it.
struct Context {
  bool training = false;
  Scratch* scratch = nullptr;  // the caller's (one per thread); layers with kernels need it
  uint64_t seed = 0;           // the model's seed
  uint64_t step = 0;           // the training step (batch) counter
  size_t node = 0;             // the index of the layer in the model
  size_t first_sample = 0;     // the batch index of x's first sample (a thread's part of a batch)

  Rng sample_rng(Stream stream, size_t i) const {
    return Rng(stream_seed(seed, stream, step, node, first_sample + i));
  }
};

class Layer {
 public:
  explicit Layer(LayerConfig config) : config_(std::move(config)) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  // Validates the input shape against the layer's options, creates parameters, returns the
  // output shape. Errors name the layer and the shapes.
  virtual Shape build(const Shape& input) = 0;
  virtual void init(Rng& rng) { (void)rng; }
  virtual void forward(const Tensor& x, Tensor& y, Context& ctx) = 0;
  virtual void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx, Context& ctx) = 0;
  virtual std::vector<Param*> params() { return {}; }
  // After a training step of `shards` shards (train/shards.h) whose statistics were summed into
  // the dw of non-trainable parameters: moves those statistics (BatchNorm's moving mean and
  // variance). Called only for trainable layers, once per step.
  virtual void apply_statistics(int shards) { (void)shards; }

  // Any number of inputs, as the model calls them. dx[k] may be null: input k needs no gradient.
  virtual Shape build_n(const std::vector<Shape>& inputs) { return build(inputs.at(0)); }
  virtual void forward_n(const std::vector<const Tensor*>& x, Tensor& y, Context& ctx) { forward(*x[0], y, ctx); }
  virtual void backward_n(const std::vector<const Tensor*>& x, const Tensor& y, const Tensor& dy,
                          const std::vector<Tensor*>& dx, Context& ctx) {
    backward(*x[0], y, dy, dx[0], ctx);
  }

  // For a layer whose output is softmax(z): z of the last forward() call on input x, so a
  // cross-entropy loss can be computed from logits and its gradient taken with respect to z.
  virtual const Tensor* logits(const Tensor& x) const {
    (void)x;
    return nullptr;
  }
  // Set when the loss hands this layer dL/dz instead of dL/dy (fused softmax + cross-entropy).
  void set_grad_is_logits(bool on) { grad_is_logits_ = on; }

  const LayerConfig& config() const { return config_; }
  const std::string& name() const { return config_.name; }
  bool trainable() const { return config_.trainable; }
  void set_trainable(bool on) { config_.trainable = on; }
  float lr_multiplier() const { return config_.lr_multiplier; }
  void set_lr_multiplier(float m) { config_.lr_multiplier = m; }
  const Shape& input_shape() const { return input_shape_; }
  const Shape& output_shape() const { return output_shape_; }
  size_t param_count();

 protected:
  // Error prefix: "conv2d 'conv2d_1'"
  std::string who() const { return config_.type + " '" + config_.name + "'"; }

  LayerConfig config_;
  Shape input_shape_, output_shape_;
  bool grad_is_logits_ = false;

  friend class Model;
};

}  // namespace wasmcnn
