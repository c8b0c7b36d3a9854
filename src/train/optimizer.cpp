#include "train/optimizer.h"

#include <algorithm>
#include <cmath>

#include "core/check.h"
#include "core/thread_pool.h"
#include "kernels/update.h"

namespace wasmcnn {

Optimizer::Optimizer(const OptimizerConfig& config) : config_(config) {
  check(config.type == "sgd" || config.type == "adam" || config.type == "rmsprop", "unknown optimizer '", config.type,
        "' (expected sgd, adam or rmsprop)");
  check(config.rho >= 0.f && config.rho < 1.f, "rmsprop: rho must be in [0, 1), got ", config.rho);
  check(std::isfinite(config.learning_rate) && config.learning_rate >= 0.f,
        "optimizer: learningRate must be a finite non-negative number, got ", config.learning_rate);
  check(config.momentum >= 0.f && config.momentum < 1.f, "sgd: momentum must be in [0, 1), got ", config.momentum);
  check(config.beta1 >= 0.f && config.beta1 < 1.f && config.beta2 >= 0.f && config.beta2 < 1.f,
        "adam: beta1 and beta2 must be in [0, 1), got ", config.beta1, " and ", config.beta2);
  check(config.epsilon > 0.f, "adam: epsilon must be positive, got ", config.epsilon);
}

void Optimizer::reset() {
  m_.clear();
  v_.clear();
  t_ = 0;
}

void Optimizer::step(const std::vector<Slot>& slots) {
  if (m_.size() != slots.size()) {
    m_.clear();
    v_.clear();
    m_.resize(slots.size());
    v_.resize(slots.size());
    for (size_t i = 0; i < slots.size(); ++i) {
      m_[i] = Tensor(slots[i].param->w.shape());
      if (config_.type != "sgd") v_[i] = Tensor(slots[i].param->w.shape());
    }
  }
  ++t_;
  const bool adam = config_.type == "adam";
  const float b1 = config_.beta1, b2 = config_.beta2;
  const float correction = adam ? float(std::sqrt(1.0 - std::pow(double(b2), double(t_))) /
                                        (1.0 - std::pow(double(b1), double(t_))))
                                : 1.f;
  // Element-wise updates, so pieces of a parameter may be updated by different threads at once
  // with the same result (core/thread_pool.h).
  constexpr size_t kPiece = 8192;
  struct Piece {
    size_t slot, begin, size;
  };
  std::vector<Piece> pieces;
  for (size_t i = 0; i < slots.size(); ++i) {
    const Param& p = *slots[i].param;
    if (!slots[i].layer->trainable() || !p.trainable) continue;
    for (size_t b = 0; b < p.w.size(); b += kPiece) pieces.push_back({i, b, std::min(kPiece, p.w.size() - b)});
  }
  auto update = [&](size_t k, int) {
    const Piece& piece = pieces[k];
    Param& p = *slots[piece.slot].param;
    const size_t b = piece.begin, n = piece.size;
    float* m = m_[piece.slot].data() + b;
    const float lr = config_.learning_rate * slots[piece.slot].layer->lr_multiplier();
    if (config_.type == "rmsprop")
      kernels::rmsprop_update(n, lr, config_.rho, config_.momentum, config_.epsilon, p.dw.data() + b, m,
                              v_[piece.slot].data() + b, p.w.data() + b);
    else if (adam)
      kernels::adam_update(n, lr * correction, b1, b2, config_.epsilon, p.dw.data() + b, m, v_[piece.slot].data() + b,
                           p.w.data() + b);
    else
      kernels::sgd_update(n, lr, config_.momentum, config_.nesterov, p.dw.data() + b, m, p.w.data() + b);
  };
  parallel_for(pieces.size(), update);
}

}  // namespace wasmcnn
