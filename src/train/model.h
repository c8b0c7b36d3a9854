// Model: a graph of layers with a loss and an optimizer.
//
// The nodes are kept in topological order: node i is layer i, reading the outputs of earlier nodes
// (or the model's input); the last node is the output. A sequential model is the chain, where each
// node reads the one before. Where a tensor fans out to several nodes, backward adds up their
// gradients.
//
// The seed is split into separate streams (core/rng.h): initialisation draws from Rng(seed) as
// layers are added, shuffling from its own sequential stream, and dropout, noise and augmentation
// per sample from streams keyed by (training step, node, sample), so the same seed and data give
// the same weights bit for bit however the work of a batch is ordered or split. Batches enter as
// raw float pointers (NHWC samples, targets as described in loss.h) and are validated here, at the
// boundary: finite values, labels in range, sizes that fit.
//
// A model holds no global state: two models may run on two threads at once. One model is used by
// one caller at a time (it keeps its activations between forward and backward); the temporary
// memory of a call is the Scratch its caller passes down, here the model's own.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/scratch.h"
#include "core/tensor.h"
#include "layers/layer.h"
#include "train/augment.h"
#include "train/loss.h"
#include "train/optimizer.h"

namespace wasmcnn {

struct BatchResult {
  double loss = 0;        // mean loss including the regularisation penalty
  double accuracy = 0;    // fraction of the batch classified correctly
  bool finite = true;     // false: loss or gradients overflowed; the weights were left unchanged
};

struct FitOptions {
  int epochs = 1;
  int batch_size = 32;
  bool shuffle = true;
};

class Model {
 public:
  Model(Shape input_shape, uint64_t seed);

  // Appends a layer: validates it against the current output shape, names it if unnamed
  // ("conv2d_1"), and initialises its weights from the model's Init stream.
  Layer& add(const LayerConfig& config);
  // Appends a node reading the named earlier nodes ("" is the model's input), in that order.
  Layer& add(const LayerConfig& config, const std::vector<std::string>& inputs);
  // The nodes layer i reads: -1 is the model's input.
  const std::vector<int>& node_inputs(size_t i) const { return inputs_.at(i); }
  void pop();
  void compile(const std::string& loss, const OptimizerConfig& optimizer);
  bool compiled() const { return optimizer_ != nullptr; }

  size_t num_layers() const { return layers_.size(); }
  Layer& layer(size_t i);
  Layer& layer(const std::string& name);
  const Shape& input_shape() const { return input_shape_; }
  const Shape& output_shape() const;
  size_t sample_size() const { return shape_size(input_shape_); }
  size_t param_count(bool trainable_only = false);
  std::string summary();
  uint64_t seed() const { return seed_; }
  // Opaque text the JavaScript side keeps with the model (compile options, preprocessing, class
  // names) and model files carry along.
  const std::string& metadata() const { return metadata_; }
  void set_metadata(std::string text) { metadata_ = std::move(text); }
  // Training steps (gradients() calls) so far: the step key of the Noise and Augment streams.
  uint64_t step() const { return step_; }
  LossKind loss() const { return loss_; }
  Optimizer& optimizer();
  int target_cols() const;

  // Inference on n samples; returns [n, ...output shape], valid until the next call.
  const Tensor& predict(const float* x, int n);
  // The output of layer i from the last forward pass (train or evaluate, or predict while
  // keep_activations is on). predict() otherwise hands each activation buffer back to a pool once
  // its last reader has run (the memory plan), so a long graph holds a few activations, not all.
  const Tensor& activation(size_t i) const;
  void keep_activations(bool on) { keep_activations_ = on; }
  // Bytes held by activation buffers, in use or pooled.
  size_t activation_bytes() const;
  // Augmentation of every training batch (train_batch and fit; never evaluate or predict). Needs an
  // image input [height,width,channels] unless all options are off; checks the ranges.
  void set_augment(const AugmentOptions& options);
  const AugmentOptions& augment() const { return augment_; }
  // One optimisation step on a batch.
  BatchResult train_batch(const float* x, const float* t, int n);
  // The loss of a batch in training mode and every parameter's gradient (in Param::dw), without
  // updating anything: train_batch's first half.
  BatchResult gradients(const float* x, const float* t, int n);
  // Loss and accuracy on a batch without updating anything.
  BatchResult evaluate_batch(const float* x, const float* t, int n);
  BatchResult evaluate(const float* x, const float* t, int n, int batch_size);
  std::vector<BatchResult> fit(const float* x, const float* t, int n, const FitOptions& options);

  // Every parameter tensor (trainable or not), in layer order.
  std::vector<std::pair<Layer*, Param*>> weights();
  // Shuffled indices 0..n-1 from the model's Shuffle stream, as fit() uses them.
  void shuffled_indices(uint32_t* idx, uint32_t n);

  // Checks the batch at the boundary: n > 0, finite inputs, targets of the right kind and range.
  void check_inputs(const float* x, int n, const char* what) const;
  void check_targets(const float* t, int n) const;

 private:
  // Runs every node. With `release`, a node's inputs go back to pool_ after their last reader.
  // step keys the Noise stream of training forwards.
  void forward(int n, bool training, bool release, Scratch& scratch, uint64_t step);
  const Tensor& act_of(int node) const { return acts_[size_t(node + 1)]; }
  const Shape& shape_of(int node) const { return node < 0 ? input_shape_ : layers_[size_t(node)]->output_shape(); }
  LossValue inference_loss(const float* x, const float* t, int n);  // unchecked, no penalty
  double penalty() const;
  void add_penalty_gradients();
  void refresh_slots();
  void stage_input(const float* x, int n);  // acts_[0] = x (or left for the caller when x is null)

  Shape input_shape_;
  uint64_t seed_;
  Rng init_rng_;     // Stream::Init: Rng(seed), drawn by add()
  Rng shuffle_rng_;  // Stream::Shuffle, drawn by shuffled_indices()
  uint64_t step_ = 0;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<std::vector<int>> inputs_;  // per node: the nodes it reads, -1 the model's input
  Scratch scratch_;                      // the temporary memory of this model's calls
  std::vector<Tensor> pool_;             // activation buffers released by predict's memory plan
  bool keep_activations_ = false;
  std::vector<Tensor> acts_;  // acts_[0] the input batch, acts_[i + 1] the output of layer i
  std::vector<Tensor> grads_;
  Tensor out_;
  std::vector<Slot> slots_;  // every parameter with its layer, rebuilt by add() and pop()
  Shape batch_shape_;
  LossKind loss_ = LossKind::SparseCategoricalCrossentropy;
  std::unique_ptr<Optimizer> optimizer_;
  std::vector<float> xb_, tb_;  // fit()'s gathered batch
  AugmentOptions augment_;
  std::string metadata_;
};

std::string keras_class_name(const std::string& type);

}  // namespace wasmcnn
