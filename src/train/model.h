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
//
// Threads (core/thread_pool.h): a training batch is split into fixed shards (train/shards.h) whose
// gradients are summed in shard order, and predict() and evaluate work in fixed chunks of samples.
// Pool thread w > 0 computes its shards and chunks on replicas_[w - 1], a copy of this model (same
// layers, its own activations and layer state) whose weights are set from this one before each
// call. The result is the same bits for every thread count.
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
  // One optimisation step on a batch: the shards' gradients (on the thread pool), then
  // apply_gradients.
  BatchResult train_batch(const float* x, const float* t, int n);
  // The loss of a batch in training mode and every parameter's gradient (in Param::dw, with the
  // L1/L2 penalty), without updating anything: train_batch's first half. Advances step().
  BatchResult gradients(const float* x, const float* t, int n);

  // The pieces of a training step, for a caller that shares shards out itself (the worker strategy
  // of web/lib/parallel.js). Parameters are flattened in weights() order, P = param_floats().
  size_t param_floats() const;
  void get_params(float* out) const;
  void set_params(const float* in);
  // The gradients of shards [first, last) of a batch of n samples at training step `step`: x and t
  // hold only those shards' samples. Writes (last - first) * P floats to `grads`, each shard's dw of
  // every parameter (BatchNorm's moving statistics: that shard's batch statistics), and each shard's
  // loss (the sum over its samples, without the penalty) to `losses`. accuracy is the count of
  // right arg-maxes.
  BatchResult shard_gradients(const float* x, const float* t, int n, int first, int last, uint64_t step, float* grads,
                              double* losses);
  // Sums `shards` blocks of P floats in shard order into the gradients and the shards' losses in
  // the same order, adds the penalty, advances step() and, when everything is finite, steps the
  // optimizer and moves BatchNorm's statistics. The result is what train_batch reports.
  BatchResult apply_gradients(const float* grads, const double* losses, int shards, int n, double correct);

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
  void forward(int n, bool training, bool release, Scratch& scratch, uint64_t step, size_t first_sample = 0);
  // Forward and backward of m samples that start at `first` of a batch of n at `step`: dw of every
  // trainable parameter, without the penalty (a shard, train/shards.h). Unchecked.
  LossValue shard_pass(const float* x, const float* t, int m, int n, size_t first, uint64_t step);
  void copy_gradients(float* out) const;
  // Sums the shards into dw (or, with grads null, takes dw as the sum of one shard), then the
  // penalty and the finite check: gradients()'s second half.
  BatchResult reduce(const float* grads, const double* losses, int shards, int n, double correct);
  // The optimizer step and the statistics after a finite reduce(); otherwise nothing.
  BatchResult update(BatchResult r, int shards);
  // The shards of a batch on up to `threads()` threads: dw holds their sum.
  BatchResult sharded_gradients(const float* x, const float* t, int n);
  // The model that pool thread `worker` computes on: this one, or its replica, given this model's
  // weights on its first use after prepare_replicas().
  Model& worker_model(int worker);
  void prepare_replicas(int workers);
  void predict_chunk(const float* x, int m, float* out);
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
  std::vector<float> shard_grads_;  // the shards' gradients of a step, P floats each
  std::vector<std::unique_ptr<Model>> replicas_;  // pool thread w's copy is replicas_[w - 1]
  uint64_t structure_ = 0;           // bumped by add() and pop(): replicas of another are rebuilt
  uint64_t replica_structure_ = 0;
  std::vector<char> replica_synced_;  // per replica: has this call's weights
  AugmentOptions augment_;
  std::string metadata_;
};

std::string keras_class_name(const std::string& type);

}  // namespace wasmcnn
