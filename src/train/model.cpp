#include "train/model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

#include "core/check.h"
#include "core/thread_pool.h"
#include "kernels/eltwise.h"
#include "layers/layer_def.h"
#include "layers/registry.h"
#include "train/shards.h"

namespace wasmcnn {

namespace {
constexpr int kPredictChunk = 256;  // samples per forward pass in predict(): bounds activation memory
constexpr int kThreadChunk = 16;    // samples per task of predict() on several threads, and of evaluate
}

std::string keras_class_name(const std::string& type) {
  const LayerDef* def = find_layer_def_or_null(type);
  return def ? def->keras : type;
}

Model::Model(Shape input_shape, uint64_t seed)
    : input_shape_(std::move(input_shape)),
      seed_(seed),
      init_rng_(seed),
      shuffle_rng_(stream_seed(seed, Stream::Shuffle)) {
  check(!input_shape_.empty() && input_shape_.size() <= 3, "model: inputShape must have 1 to 3 dimensions, got ",
        shape_str(input_shape_));
  for (int d : input_shape_)
    check(d > 0, "model: inputShape dimensions must be positive, got ", shape_str(input_shape_));
  check(shape_size(input_shape_) <= (size_t(1) << 24), "model: inputShape ", shape_str(input_shape_),
        " is too large (more than 2^24 values per sample)");
  acts_.resize(1);
  grads_.resize(1);
}

const Shape& Model::output_shape() const { return layers_.empty() ? input_shape_ : layers_.back()->output_shape(); }

Layer& Model::layer(size_t i) {
  check(i < layers_.size(), "model: layer index ", i, " out of range (", layers_.size(), " layers)");
  return *layers_[i];
}

Layer& Model::layer(const std::string& name) {
  for (auto& l : layers_)
    if (l->name() == name) return *l;
  fail("model: no layer named '", name, "'");
}

Layer& Model::add(const LayerConfig& config) {
  return add(config, {layers_.empty() ? std::string() : layers_.back()->name()});
}

Layer& Model::add(const LayerConfig& given, const std::vector<std::string>& input_names) {
  LayerConfig config = given;
  const LayerDef& def = find_layer_def(config.type, config.name);
  config.type = def.type;  // a Keras class name is accepted too
  if (config.name.empty()) {
    int count = 1;
    for (auto& l : layers_) count += l->config().type == config.type;
    do config.name = config.type + "_" + std::to_string(count++);
    while (std::any_of(layers_.begin(), layers_.end(), [&](auto& l) { return l->name() == config.name; }));
  } else {
    for (auto& l : layers_) check(l->name() != config.name, "model: duplicate layer name '", config.name, "'");
  }
  std::unique_ptr<Layer> layer = make_layer(config);
  std::vector<int> inputs;
  for (const std::string& name : input_names) {
    int k = -1;
    if (!name.empty()) {
      for (k = int(layers_.size()) - 1; k >= 0 && layers_[size_t(k)]->name() != name; --k) {
      }
      check(k >= 0, layer->who(), ": input '", name, "' is not an earlier layer of the model");
    }
    inputs.push_back(k);
  }
  const size_t arity = inputs.size();
  if (def.arity > 0)
    check(arity == size_t(def.arity), layer->who(), ": takes ", def.arity, " input", def.arity == 1 ? "" : "s", ", got ",
          arity);
  else
    check(arity >= 2, layer->who(), ": takes two or more inputs, got ", arity,
          arity == 1 ? " (a sequential model gives each layer one; build a graph with Model::add(config, inputs))" : "");
  std::vector<Shape> shapes;
  for (int k : inputs) shapes.push_back(shape_of(k));
  layer->input_shape_ = shapes[0];
  try {
    layer->output_shape_ = layer->build_n(shapes);
    // Activations are allocated per batch, later; refuse shapes whose single sample would
    // already take more than 64 MiB, before a predict tries to allocate gigabytes.
    check(shape_size(layer->output_shape_) <= (size_t(1) << 24), layer->who(), ": output shape ",
          shape_str(layer->output_shape_), " has more than 2^24 values per sample");
    layer->init(init_rng_);
  } catch (const Error& e) {
    // Errors from deeper down (a tensor too large to allocate) get the layer's name in front.
    const std::string prefix = layer->who();
    if (std::string(e.what()).rfind(prefix, 0) == 0) throw;
    fail(prefix, ": ", e.what(), " (input shape ", shape_str(layer->input_shape_), ")");
  }
  layers_.push_back(std::move(layer));
  inputs_.push_back(std::move(inputs));
  ++structure_;
  refresh_slots();
  acts_.resize(layers_.size() + 1);
  grads_.resize(layers_.size() + 1);
  if (optimizer_) optimizer_->reset();
  return *layers_.back();
}

void Model::pop() {
  check(!layers_.empty(), "model: pop() on a model with no layers");
  layers_.pop_back();
  inputs_.pop_back();
  ++structure_;
  refresh_slots();
  acts_.resize(layers_.size() + 1);
  grads_.resize(layers_.size() + 1);
  if (optimizer_) optimizer_->reset();
}

void Model::compile(const std::string& loss, const OptimizerConfig& optimizer) {
  check(!layers_.empty(), "model: compile() needs at least one layer");
  LossKind kind = parse_loss(loss);
  auto opt = std::make_unique<Optimizer>(optimizer);
  const Shape& out = output_shape();
  check(out.size() == 1, "model: the loss '", loss_name(kind), "' needs a flat output [classes], but the last layer '",
        layers_.back()->name(), "' outputs ", shape_str(out));
  if (kind != LossKind::MeanSquaredError)
    check(out[0] >= 2, "model: '", loss_name(kind), "' needs at least 2 output units, got ", out[0]);
  loss_ = kind;
  optimizer_ = std::move(opt);
}

Optimizer& Model::optimizer() {
  check(optimizer_ != nullptr, "model: not compiled; call compile() first");
  return *optimizer_;
}

int Model::target_cols() const { return loss_target_cols(loss_, output_shape().empty() ? 1 : output_shape()[0]); }

size_t Model::param_count(bool trainable_only) {
  size_t n = 0;
  for (auto& l : layers_)
    for (Param* p : l->params())
      if (!trainable_only || (l->trainable() && p->trainable)) n += p->w.size();
  return n;
}

size_t Layer::param_count() {
  size_t n = 0;
  for (Param* p : params()) n += p->w.size();
  return n;
}

std::string Model::summary() {
  std::ostringstream os;
  auto row = [&](const std::string& a, const std::string& b, const std::string& c) {
    os << a << std::string(a.size() < 32 ? 32 - a.size() : 1, ' ') << b
       << std::string(b.size() < 22 ? 22 - b.size() : 1, ' ') << c << "\n";
  };
  std::string rule(66, '_'), double_rule(66, '=');
  os << "Model: \"sequential\"\n" << rule << "\n";
  row("Layer (type)", "Output Shape", "Param #");
  os << double_rule << "\n";
  row("input", "[null," + shape_str(input_shape_).substr(1), "0");
  for (auto& l : layers_) {
    std::string name = l->name() + " (" + keras_class_name(l->config().type) + ")";
    if (!l->trainable()) name += " frozen";
    row(name, "[null," + shape_str(l->output_shape()).substr(1), std::to_string(l->param_count()));
  }
  size_t total = param_count(), trainable = param_count(true);
  os << double_rule << "\nTotal params: " << total << "\nTrainable params: " << trainable
     << "\nNon-trainable params: " << total - trainable << "\n"
     << rule << "\n";
  return os.str();
}

void Model::check_inputs(const float* x, int n, const char* what) const {
  check(n > 0, "model: ", what, " needs at least one sample, got ", n);
  check(!layers_.empty(), "model: ", what, " on a model with no layers");
  const size_t count = size_t(n) * sample_size();
  for (size_t i = 0; i < count; ++i)
    if (!std::isfinite(x[i]))
      fail("model: ", what, ": input value ", x[i], " at sample ", i / sample_size(), ", element ",
           i % sample_size(), " is not finite");
}

void Model::check_targets(const float* t, int n) const {
  const int cols = target_cols(), k = output_shape()[0];
  for (size_t i = 0; i < size_t(n) * cols; ++i) {
    const float v = t[i];
    if (!std::isfinite(v)) fail("model: label ", v, " of sample ", i / cols, " is not finite");
    if (loss_ == LossKind::SparseCategoricalCrossentropy &&
        (v < 0 || v >= float(k) || v != std::floor(v)))
      fail("model: label ", v, " of sample ", i, " is not a class index in [0, ", k - 1, "]");
  }
}

void Model::forward(int n, bool training, bool release, Scratch& scratch, uint64_t step, size_t first_sample) {
  Context ctx{training, &scratch, seed_, step, 0, first_sample};
  const size_t L = layers_.size();
  // The plan: node k's output lives until its last reader has run (the output node to the end).
  std::vector<size_t> last_use(L, L);
  if (release)
    for (size_t i = 0; i < L; ++i)
      for (int k : inputs_[i])
        if (k >= 0 && size_t(k) != L - 1) last_use[size_t(k)] = i;
  std::vector<const Tensor*> xs;
  for (size_t i = 0; i < L; ++i) {
    Tensor& y = acts_[i + 1];
    if (!y.data() && !pool_.empty()) {
      // Best fit: the smallest pooled buffer that holds the output, else the largest (it grows).
      const size_t need = size_t(n) * shape_size(layers_[i]->output_shape()) * sizeof(float);
      size_t best = 0;
      for (size_t b = 1; b < pool_.size(); ++b) {
        const size_t cb = pool_[b].capacity_bytes(), cbest = pool_[best].capacity_bytes();
        if (cbest < need ? cb > cbest : cb >= need && cb < cbest) best = b;
      }
      y = std::move(pool_[best]);
      pool_.erase(pool_.begin() + std::ptrdiff_t(best));
    }
    xs.clear();
    for (int k : inputs_[i]) xs.push_back(&act_of(k));
    ctx.node = i;
    layers_[i]->forward_n(xs, y, ctx);
    if (release)
      for (int k : inputs_[i])
        if (k >= 0 && last_use[size_t(k)] == i && acts_[size_t(k) + 1].data())
          pool_.push_back(std::move(acts_[size_t(k) + 1]));
  }
}

size_t Model::activation_bytes() const {
  size_t bytes = 0;
  for (const Tensor& t : acts_) bytes += t.capacity_bytes();
  for (const Tensor& t : pool_) bytes += t.capacity_bytes();
  return bytes;
}

void Model::predict_chunk(const float* x, int m, float* out) {
  stage_input(x, m);
  forward(m, false, !keep_activations_, scratch_, step_);
  const size_t out_size = shape_size(output_shape());
  // Finite weights can still overflow (after a divergence, or huge imported weights): say so
  // rather than hand back NaN as if it were a prediction.
  if (!kernels::all_finite(size_t(m) * out_size, acts_.back().data()))
    fail("model: predict: the output is not finite (the activations overflowed float32); the weights are too large, "
         "e.g. after the loss diverged");
  std::memcpy(out, acts_.back().data(), size_t(m) * out_size * sizeof(float));
}

const Tensor& Model::predict(const float* x, int n) {
  check_inputs(x, n, "predict");
  out_.resize(with_batch(n, output_shape()));
  const size_t in_size = sample_size(), out_size = shape_size(output_shape());
  // Each sample's output is computed alone, so any split gives the same bits. With keep_activations
  // the caller wants every activation of the last chunk: one thread.
  const int chunk = threads() > 1 && !keep_activations_ ? kThreadChunk : kPredictChunk;
  const int tasks = (n + chunk - 1) / chunk;
  const int workers = keep_activations_ ? 1 : std::min(threads(), tasks);
  if (workers > 1) prepare_replicas(workers);
  auto task = [&](size_t k, int worker) {
    const int i0 = int(k) * chunk, m = std::min(chunk, n - i0);
    worker_model(worker).predict_chunk(x + size_t(i0) * in_size, m, out_.data() + size_t(i0) * out_size);
  };
  parallel_for(size_t(tasks), task, workers);
  return out_;
}

const Tensor& Model::activation(size_t i) const {
  check(i < layers_.size(), "model: layer index ", i, " out of range (", layers_.size(), " layers)");
  check(!acts_[i + 1].shape().empty(), "model: no output of layer ", i,
        " to show: nothing ran yet, or predict released it (keep_activations(true) keeps every output)");
  return acts_[i + 1];
}

double Model::penalty() const {
  double total = 0;
  for (const Slot& slot : slots_) {
    const Param* p = slot.param;
    if (p->l1 == 0.f && p->l2 == 0.f) continue;
    double s1 = 0, s2 = 0;
    for (size_t i = 0; i < p->w.size(); ++i) {
      s1 += std::fabs(p->w[i]);
      s2 += double(p->w[i]) * p->w[i];
    }
    total += p->l1 * s1 + p->l2 * s2;
  }
  return total;
}

void Model::add_penalty_gradients() {
  for (const Slot& slot : slots_) {
    Param* p = slot.param;
    if ((p->l1 == 0.f && p->l2 == 0.f) || !slot.layer->trainable()) continue;
    for (size_t i = 0; i < p->w.size(); ++i) {
      const float w = p->w[i];
      p->dw[i] += p->l1 * float((w > 0) - (w < 0)) + 2.f * p->l2 * w;
    }
  }
}

void Model::refresh_slots() {
  slots_.clear();
  for (auto& l : layers_)
    for (Param* p : l->params()) slots_.push_back({p, l.get()});
}

void Model::stage_input(const float* x, int n) {
  batch_shape_.assign(1, n);
  batch_shape_.insert(batch_shape_.end(), input_shape_.begin(), input_shape_.end());
  acts_[0].resize(batch_shape_);
  if (x) std::memcpy(acts_[0].data(), x, size_t(n) * sample_size() * sizeof(float));
}

LossValue Model::inference_loss(const float* x, const float* t, int n) {
  // Fixed chunks whatever the thread count, their sums added in order: the same loss bits on any.
  const int tasks = (n + kThreadChunk - 1) / kThreadChunk, cols = target_cols();
  const int workers = std::min(threads(), tasks);
  if (workers > 1) prepare_replicas(workers);
  std::vector<LossValue> parts(static_cast<size_t>(tasks));
  auto task = [&](size_t k, int worker) {
    Model& m = worker_model(worker);
    const int i0 = int(k) * kThreadChunk, c = std::min(kThreadChunk, n - i0);
    m.stage_input(x + size_t(i0) * sample_size(), c);
    m.forward(c, false, false, m.scratch_, m.step_);
    const Tensor* logits = m.layers_.back()->logits(m.act_of(m.inputs_.back()[0]));
    parts[k] = compute_loss(loss_, m.acts_.back(), logits, t + size_t(i0) * cols, nullptr);
  };
  parallel_for(size_t(tasks), task, workers);
  LossValue lv;
  for (const LossValue& p : parts) {
    lv.total += p.total;
    lv.correct += p.correct;
  }
  lv.loss = lv.total / n;
  return lv;
}

BatchResult Model::evaluate_batch(const float* x, const float* t, int n) {
  optimizer();
  check_inputs(x, n, "evaluate");
  check_targets(t, n);
  LossValue lv = inference_loss(x, t, n);
  BatchResult r{lv.loss + penalty(), double(lv.correct) / n, true};
  r.finite = std::isfinite(r.loss);
  return r;
}

BatchResult Model::evaluate(const float* x, const float* t, int n, int batch_size) {
  optimizer();
  check(batch_size > 0, "evaluate: batchSize must be positive, got ", batch_size);
  check(n > 0, "evaluate: needs at least one sample");
  // Checked once for the whole set, so the batches below need no second pass.
  check_inputs(x, n, "evaluate");
  check_targets(t, n);
  double loss = 0, correct = 0;
  const int cols = target_cols();
  for (int i0 = 0; i0 < n; i0 += batch_size) {
    const int m = std::min(batch_size, n - i0);
    LossValue lv = inference_loss(x + size_t(i0) * sample_size(), t + size_t(i0) * cols, m);
    loss += lv.loss * m;
    correct += lv.correct;
  }
  BatchResult r{loss / n + penalty(), correct / n, true};
  r.finite = std::isfinite(r.loss);
  return r;
}

void Model::set_augment(const AugmentOptions& o) {
  check_augment(o, input_shape_);
  augment_ = o;
}

BatchResult Model::train_batch(const float* x, const float* t, int n) {
  return update(gradients(x, t, n), shard_count(n));
}

BatchResult Model::gradients(const float* x, const float* t, int n) {
  optimizer();
  check_inputs(x, n, "fit");
  check_targets(t, n);
  const uint64_t step = step_;
  const int shards = shard_count(n);
  if (shards == 1) {  // dw is the sum already
    const LossValue lv = shard_pass(x, t, n, n, 0, step);
    return reduce(nullptr, &lv.total, 1, n, lv.correct);
  }
  const size_t P = param_floats(), in_size = sample_size();
  const int cols = target_cols();
  shard_grads_.resize(size_t(shards) * P);
  std::vector<LossValue> parts(static_cast<size_t>(shards));
  const int workers = std::min(threads(), shards);
  if (workers > 1) prepare_replicas(workers);
  auto task = [&](size_t s, int worker) {
    Model& m = worker_model(worker);
    const int b = shard_begin(int(s)), e = shard_end(int(s), n);
    parts[s] = m.shard_pass(x + size_t(b) * in_size, t + size_t(b) * cols, e - b, n, size_t(b), step);
    m.copy_gradients(shard_grads_.data() + s * P);
  };
  parallel_for(size_t(shards), task, workers);
  std::vector<double> losses;
  double correct = 0;
  for (const LossValue& p : parts) {
    losses.push_back(p.total);
    correct += p.correct;
  }
  return reduce(shard_grads_.data(), losses.data(), shards, n, correct);
}

LossValue Model::shard_pass(const float* x, const float* t, int m, int n, size_t first, uint64_t step) {
  const size_t L = layers_.size();
  // Augmentation reads the caller's batch and writes acts_[0]: no scratch, no extra copy.
  const bool augment = augment_enabled(augment_);
  stage_input(augment ? nullptr : x, m);
  if (augment)
    augment_batch(augment_, m, input_shape_[0], input_shape_[1], input_shape_[2], x, acts_[0].data(), seed_, step,
                  first);
  forward(m, true, false, scratch_, step, first);

  Layer& last = *layers_.back();
  const Tensor* logits = loss_ == LossKind::MeanSquaredError ? nullptr : last.logits(act_of(inputs_[L - 1][0]));
  // Only the current output layer may take dL/dz: a layer that was the output before add()
  // must differentiate its activation again.
  for (auto& l : layers_) l->set_grad_is_logits(false);
  last.set_grad_is_logits(logits != nullptr);
  LossValue lv = compute_loss(loss_, acts_[L], logits, t, &grads_[L], n);
  if (!std::isfinite(lv.total)) return lv;
  Context ctx{true, &scratch_, seed_, step, 0, first};
  // Gradients flow only towards nodes with something to train upstream: behind a frozen base
  // (when fine-tuning) backward would compute nothing that is used.
  std::vector<char> wants(L, 0);
  for (size_t i = 0; i < L; ++i) {
    wants[i] = layers_[i]->trainable() && !layers_[i]->params().empty();
    for (int k : inputs_[i]) wants[i] |= k >= 0 && wants[size_t(k)];
  }
  // has_grad[k]: grads_[k + 1] holds dL/d(output of node k) so far. A node reading a tensor that
  // another node already sent a gradient to writes into the scratch gradient, which is then added.
  Tensor& grad_scratch = scratch_.grad();
  std::vector<char> has_grad(L, 0);
  has_grad[L - 1] = 1;
  std::vector<const Tensor*> xs;
  std::vector<Tensor*> dxs;
  std::vector<int> accumulate;
  for (size_t i = L; i-- > 0;) {
    if (!wants[i] || !has_grad[i]) continue;
    xs.clear();
    dxs.clear();
    accumulate.clear();
    for (int k : inputs_[i]) {
      xs.push_back(&act_of(k));
      Tensor* dx = nullptr;
      if (k >= 0 && wants[size_t(k)]) {
        if (has_grad[size_t(k)] || std::count(inputs_[i].begin(), inputs_[i].end(), k) > 1) {
          dx = &grad_scratch;
          accumulate.push_back(k);
        } else {
          dx = &grads_[size_t(k) + 1];
          has_grad[size_t(k)] = 1;
        }
      }
      dxs.push_back(dx);
    }
    ctx.node = i;
    if (accumulate.empty()) {
      layers_[i]->backward_n(xs, acts_[i + 1], grads_[i + 1], dxs, ctx);
      continue;
    }
    // Fan-out: one input at a time through the scratch tensor, each added into its running sum.
    for (size_t j = 0; j < dxs.size(); ++j) {
      if (dxs[j] != &grad_scratch) continue;
      std::vector<Tensor*> one(dxs.size(), nullptr);
      for (size_t m = 0; m < dxs.size(); ++m)
        if (dxs[m] != &grad_scratch) one[m] = dxs[m];
      one[j] = &grad_scratch;
      layers_[i]->backward_n(xs, acts_[i + 1], grads_[i + 1], one, ctx);
      Tensor& sum = grads_[size_t(inputs_[i][j]) + 1];
      if (!has_grad[size_t(inputs_[i][j])]) {
        sum = grad_scratch;
        has_grad[size_t(inputs_[i][j])] = 1;
      } else {
        for (size_t e = 0; e < sum.size(); ++e) sum[e] += grad_scratch[e];
      }
      dxs[j] = nullptr;
    }
  }
  return lv;
}

void Model::copy_gradients(float* out) const {
  for (const Slot& slot : slots_) {
    const Param* p = slot.param;
    std::memcpy(out, p->dw.data(), p->dw.size() * sizeof(float));
    out += p->dw.size();
  }
}

BatchResult Model::reduce(const float* grads, const double* losses, int shards, int n, double correct) {
  ++step_;
  double loss = 0;
  for (int s = 0; s < shards; ++s) loss += losses[s];
  BatchResult r{loss / n + penalty(), correct / n, true};
  if (!std::isfinite(r.loss)) {
    r.finite = false;
    return r;
  }
  if (grads) {
    // Pieces of at most kReduceChunk floats of trainable parameters, each summed over the shards in
    // shard order (so any thread may sum any piece).
    constexpr size_t kReduceChunk = 8192;
    struct Piece {
      float* dw;
      size_t offset, size;
    };
    std::vector<Piece> pieces;
    size_t offset = 0;
    for (const Slot& slot : slots_) {
      const size_t size = slot.param->w.size();
      if (slot.layer->trainable())
        for (size_t b = 0; b < size; b += kReduceChunk)
          pieces.push_back({slot.param->dw.data() + b, offset + b, std::min(kReduceChunk, size - b)});
      offset += size;
    }
    const size_t P = offset;
    auto sum = [&](size_t k, int) {
      const Piece& piece = pieces[k];
      std::memcpy(piece.dw, grads + piece.offset, piece.size * sizeof(float));
      for (int s = 1; s < shards; ++s) {
        const float* g = grads + size_t(s) * P + piece.offset;
        for (size_t i = 0; i < piece.size; ++i) piece.dw[i] += g[i];
      }
    };
    parallel_for(pieces.size(), sum);
  }
  add_penalty_gradients();
  return r;
}

BatchResult Model::update(BatchResult r, int shards) {
  if (!r.finite) return r;
  for (const Slot& slot : slots_)
    if (slot.layer->trainable() && !kernels::all_finite(slot.param->dw.size(), slot.param->dw.data())) {
      r.finite = false;
      return r;
    }
  optimizer_->step(slots_);
  for (auto& l : layers_)
    if (l->trainable()) l->apply_statistics(shards);
  return r;
}

size_t Model::param_floats() const {
  size_t n = 0;
  for (const Slot& slot : slots_) n += slot.param->w.size();
  return n;
}

void Model::get_params(float* out) const {
  for (const Slot& slot : slots_) {
    std::memcpy(out, slot.param->w.data(), slot.param->w.size() * sizeof(float));
    out += slot.param->w.size();
  }
}

void Model::set_params(const float* in) {
  for (const Slot& slot : slots_) {
    std::memcpy(slot.param->w.data(), in, slot.param->w.size() * sizeof(float));
    in += slot.param->w.size();
  }
}

BatchResult Model::shard_gradients(const float* x, const float* t, int n, int first, int last, uint64_t step,
                                   float* grads, double* losses) {
  optimizer();
  check(n > 0, "shardGradients: the batch size must be positive, got ", n);
  check(first >= 0 && first < last && last <= shard_count(n), "shardGradients: shards [", first, ", ", last,
        ") are not within the ", shard_count(n), " shards of a batch of ", n);
  const int b = shard_begin(first), count = shard_end(last - 1, n) - b;
  check_inputs(x, count, "fit");
  check_targets(t, count);
  const size_t P = param_floats(), in_size = sample_size();
  const int cols = target_cols();
  BatchResult r{0, 0, true};
  for (int s = first; s < last; ++s) {
    const int sb = shard_begin(s), m = shard_end(s, n) - sb;
    const LossValue lv = shard_pass(x + size_t(sb - b) * in_size, t + size_t(sb - b) * cols, m, n, size_t(sb), step);
    losses[s - first] = lv.total;
    r.accuracy += lv.correct;
    r.finite = r.finite && std::isfinite(lv.total);
    if (std::isfinite(lv.total)) copy_gradients(grads + size_t(s - first) * P);
  }
  return r;
}

BatchResult Model::apply_gradients(const float* grads, const double* losses, int shards, int n, double correct) {
  optimizer();
  check(n > 0 && shards == shard_count(n), "applyGradients: a batch of ", n, " samples has ", shard_count(std::max(n, 1)),
        " shards, got ", shards);
  return update(reduce(grads, losses, shards, n, correct), shards);
}

void Model::prepare_replicas(int workers) {
  if (replica_structure_ != structure_) {
    replicas_.clear();
    replica_structure_ = structure_;
  }
  while (replicas_.size() + 1 < size_t(workers)) {
    auto r = std::make_unique<Model>(input_shape_, seed_);
    for (size_t i = 0; i < layers_.size(); ++i) {
      std::vector<std::string> names;
      for (int k : inputs_[i]) names.push_back(k < 0 ? std::string() : layers_[size_t(k)]->name());
      r->add(layers_[i]->config(), names);
    }
    replicas_.push_back(std::move(r));
  }
  // Everything a shard or a chunk reads, as it is now.
  for (size_t w = 0; w + 1 < size_t(workers); ++w) {
    Model& r = *replicas_[w];
    r.loss_ = loss_;
    r.augment_ = augment_;
    r.step_ = step_;
    for (size_t i = 0; i < layers_.size(); ++i) r.layers_[i]->set_trainable(layers_[i]->trainable());
    for (size_t k = 0; k < slots_.size(); ++k) {
      const Param& a = *slots_[k].param;
      Param& b = *r.slots_[k].param;
      b.l1 = a.l1;
      b.l2 = a.l2;
      b.trainable = a.trainable;
    }
  }
  // The weights are copied by each pool thread into its own replica (worker_model), in parallel.
  replica_synced_.assign(replicas_.size(), 0);
}

Model& Model::worker_model(int worker) {
  if (worker == 0) return *this;
  Model& r = *replicas_[size_t(worker) - 1];
  // Only pool thread `worker` uses this replica and its flag during a parallel_for; this model's
  // weights are only read meanwhile.
  if (!replica_synced_[size_t(worker) - 1]) {
    for (size_t k = 0; k < slots_.size(); ++k)
      std::memcpy(r.slots_[k].param->w.data(), slots_[k].param->w.data(), slots_[k].param->w.size() * sizeof(float));
    replica_synced_[size_t(worker) - 1] = 1;
  }
  return r;
}

void Model::shuffled_indices(uint32_t* idx, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) idx[i] = i;
  shuffle_rng_.shuffle(idx, n);
}

std::vector<BatchResult> Model::fit(const float* x, const float* t, int n, const FitOptions& options) {
  check(options.epochs > 0, "fit: epochs must be positive, got ", options.epochs);
  check(options.batch_size > 0, "fit: batchSize must be positive, got ", options.batch_size);
  check(n > 0, "fit: needs at least one sample");
  // The whole data set first: an error names the caller's sample (not a shuffled batch's) and
  // comes before any weight has changed.
  check_inputs(x, n, "fit");
  check_targets(t, n);
  const size_t in_size = sample_size();
  const int cols = target_cols();
  std::vector<uint32_t> idx(n);
  std::vector<BatchResult> history;
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    if (options.shuffle)
      shuffled_indices(idx.data(), n);
    else
      for (int i = 0; i < n; ++i) idx[i] = i;
    double loss = 0, acc = 0;
    for (int i0 = 0; i0 < n; i0 += options.batch_size) {
      const int m = std::min(options.batch_size, n - i0);
      xb_.resize(size_t(m) * in_size);
      tb_.resize(size_t(m) * cols);
      for (int i = 0; i < m; ++i) {
        std::memcpy(&xb_[i * in_size], x + idx[i0 + i] * in_size, in_size * sizeof(float));
        std::memcpy(&tb_[i * cols], t + size_t(idx[i0 + i]) * cols, cols * sizeof(float));
      }
      BatchResult b = train_batch(xb_.data(), tb_.data(), m);
      check(b.finite, "fit: the loss diverged (", b.loss, ") at epoch ", epoch + 1,
            "; the weights of the last finite step were kept. Lower the learning rate.");
      loss += b.loss * m;
      acc += b.accuracy * m;
    }
    history.push_back({loss / n, acc / n, true});
  }
  return history;
}

std::vector<std::pair<Layer*, Param*>> Model::weights() {
  std::vector<std::pair<Layer*, Param*>> w;
  for (auto& l : layers_)
    for (Param* p : l->params()) w.emplace_back(l.get(), p);
  return w;
}

}  // namespace wasmcnn
