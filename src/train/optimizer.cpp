#include "train/optimizer.h"

#include <cmath>

#include "core/check.h"
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
  for (size_t i = 0; i < slots.size(); ++i) {
    Param& p = *slots[i].param;
    if (!slots[i].layer->trainable() || !p.trainable) continue;
    const float lr = config_.learning_rate * slots[i].layer->lr_multiplier();
    if (config_.type == "rmsprop")
      kernels::rmsprop_update(p.w.size(), lr, config_.rho, config_.momentum, config_.epsilon, p.dw.data(), m_[i].data(),
                              v_[i].data(), p.w.data());
    else if (adam)
      kernels::adam_update(p.w.size(), lr * correction, b1, b2, config_.epsilon, p.dw.data(), m_[i].data(),
                           v_[i].data(), p.w.data());
    else
      kernels::sgd_update(p.w.size(), lr, config_.momentum, config_.nesterov, p.dw.data(), m_[i].data(), p.w.data());
  }
}

}  // namespace wasmcnn
