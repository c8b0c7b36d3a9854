// The cures for overfitting do what they claim: dropout keeps the expected activation while zeroing
// about `rate` of it, Gaussian noise has the stated mean and spread, and L1/L2 penalties show in the
// reported loss and move the weights by exactly lr * (l1 sign(w) + 2 l2 w) more than a twin without
// them. Layer gradients are checked by finite differences in test_gradients.cpp, the penalty's
// gradient by central differences in test_losses.cpp, augmentation in test_augment.cpp.
//
// Statistical bounds: every check below is deterministic (a fixed seed), but its bound is argued as
// if the draws were random: a bound of 5 standard deviations fails with probability below 6e-7 for a
// fresh seed, so a failure means the distribution is wrong, not that the seed was unlucky.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "layers/layer.h"
#include "layers/registry.h"
#include "test_helpers.h"
#include "train/model.h"

using namespace wasmcnn;
using namespace wasmcnn::test;

namespace {

constexpr double kSigmas = 5;

// Runs one stochastic layer on x (one sample of shape [x.size()]) with a generator seeded by `seed`.
Tensor run_layer(const LayerConfig& config, const std::vector<float>& x, bool training, uint64_t seed) {
  std::unique_ptr<Layer> layer = make_layer(config);
  layer->build({int(x.size())});
  Tensor in(with_batch(1, {int(x.size())}));
  std::memcpy(in.data(), x.data(), x.size() * sizeof(float));
  Tensor y;
  Scratch scratch;
  Context ctx{training, &scratch, seed};
  layer->forward(in, y, ctx);
  return y;
}

bool same_bits(const Tensor& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), b.size() * sizeof(float)) == 0;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Dyadic values in [0.5, 1.5] (multiples of 2^-6): never 0, so every zero in a dropout output comes
// from the mask, and x * 2 or x * 4 is exact.
std::vector<float> positive_inputs(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x(n);
  for (float& v : x) v = float(32 + rng.below(65)) / 64.f;
  return x;
}

}  // namespace

TEST_CASE("dropout: keeps the mean, zeroes about `rate`, scales survivors by 1/(1-rate)") {
  const size_t n = 200000;
  const std::vector<float> x = positive_inputs(n, 31);
  for (float rate : {0.1f, 0.3f, 0.5f, 0.75f}) {
    INFO("rate ", rate);
    const Tensor y = run_layer(dropout(rate), x, true, 77);
    REQUIRE(y.size() == n);
    const double p = rate;
    const float keep_scale = 1.f / (1.f - rate);
    // The scale is 1/(1-rate) rounded once or twice to float: within 2u relative.
    CHECK(std::fabs(double(keep_scale) * (1 - p) - 1) <= 2 * kU);
    size_t zeros = 0;
    double sum_x = 0, sum_y = 0, sum_x2 = 0;
    for (size_t i = 0; i < n; ++i) {
      sum_x += x[i];
      sum_x2 += double(x[i]) * x[i];
      sum_y += y[i];
      if (y[i] == 0.f) {
        ++zeros;
        continue;
      }
      // A survivor is x times the scale and nothing else: one float product, bit for bit.
      if (y[i] != x[i] * keep_scale) FAIL("element ", i, ": y ", y[i], " is not x ", x[i], " * ", keep_scale);
      // For rate 0.5 and 0.75 the scale (2, 4) and the product are exact.
      if (rate == 0.5f || rate == 0.75f) CHECK(double(y[i]) == double(x[i]) / (1 - p));
    }
    // Zeros: Binomial(n, rate), standard deviation sqrt(n rate (1 - rate)).
    const double z_sd = std::sqrt(n * p * (1 - p));
    INFO("zeros ", zeros, " expected ", n * p, " +- ", kSigmas * z_sd);
    CHECK(std::fabs(double(zeros) - n * p) <= kSigmas * z_sd);
    // sum y = sum x_i m_i / (1 - rate) with m_i ~ Bernoulli(1 - rate): its mean is sum x and its
    // variance sum x_i^2 rate / (1 - rate). The float products add a relative 2u each, far below.
    const double y_sd = std::sqrt(sum_x2 * p / (1 - p));
    INFO("mean x ", sum_x / n, " mean y ", sum_y / n, " bound ", kSigmas * y_sd / n);
    CHECK(std::fabs(sum_y - sum_x) <= kSigmas * y_sd + 4 * kU * sum_x);
  }
}

TEST_CASE("dropout: identity at inference and at rate 0, deterministic under the seed") {
  const std::vector<float> x = positive_inputs(4096, 32);
  CHECK(same_bits(run_layer(dropout(0.5f), x, false, 1), x));
  CHECK(same_bits(run_layer(dropout(0.9f), x, false, 1), x));
  CHECK(same_bits(run_layer(dropout(0.f), x, true, 1), x));
  const Tensor a = run_layer(dropout(0.4f), x, true, 5), b = run_layer(dropout(0.4f), x, true, 5);
  const Tensor c = run_layer(dropout(0.4f), x, true, 6);
  CHECK(same_bits(a, b));
  CHECK_FALSE(same_bits(a, c));
}

TEST_CASE("gaussian noise: zero mean and the stated standard deviation in training") {
  const size_t n = 200000;
  Rng data(33);
  const std::vector<float> x = random_vector(data, n);
  for (float stddev : {0.1f, 0.5f, 2.f}) {
    INFO("stddev ", stddev);
    const Tensor y = run_layer(gaussian_noise(stddev), x, true, 78);
    REQUIRE(y.size() == n);
    // e = y - x in double is stddev * z up to y's rounding, at most u (1 + 6 stddev) here (|x| <= 1,
    // |z| < 6): below 3e-7 per value, negligible against the bounds below.
    double sum = 0, sum2 = 0;
    size_t within_one = 0;
    for (size_t i = 0; i < n; ++i) {
      const double e = double(y[i]) - x[i];
      sum += e;
      sum2 += e * e;
      within_one += std::fabs(e) <= stddev;
    }
    const double s = stddev;
    const double mean = sum / n;
    const double var = sum2 / n - mean * mean;
    // The sample mean of n N(0, s^2) draws has standard deviation s / sqrt(n).
    INFO("mean ", mean, " bound ", kSigmas * s / std::sqrt(n));
    CHECK(std::fabs(mean) <= kSigmas * s / std::sqrt(n));
    // The sample variance of normal draws has standard deviation s^2 sqrt(2 / (n - 1)).
    INFO("stddev measured ", std::sqrt(var));
    CHECK(std::fabs(var - s * s) <= kSigmas * s * s * std::sqrt(2.0 / (n - 1)));
    // Normal, not just any zero-mean spread of that size: P(|z| <= 1) = erf(1/sqrt 2) = 0.682689,
    // a binomial proportion with standard deviation sqrt(q (1 - q) / n).
    const double q = std::erf(1 / std::sqrt(2.0));
    CHECK(std::fabs(double(within_one) / n - q) <= kSigmas * std::sqrt(q * (1 - q) / n));
  }
}

TEST_CASE("gaussian noise: identity at inference and at stddev 0, deterministic under the seed") {
  Rng data(34);
  const std::vector<float> x = random_vector(data, 4096);
  CHECK(same_bits(run_layer(gaussian_noise(0.5f), x, false, 1), x));
  CHECK(same_bits(run_layer(gaussian_noise(0.f), x, true, 1), x));
  const Tensor a = run_layer(gaussian_noise(0.3f), x, true, 9), b = run_layer(gaussian_noise(0.3f), x, true, 9);
  CHECK(same_bits(a, b));
  CHECK_FALSE(same_bits(a, run_layer(gaussian_noise(0.3f), x, true, 10)));
}

namespace {

constexpr float kLr = 1.f / 16, kL1 = 1.f / 64, kL2 = 1.f / 128;

// [6,6,1] -> conv 2@3x3 -> flatten -> dense 3 softmax, trained by plain SGD (no momentum). With
// `regularised`, every kernel and bias has its own l1 and l2 (some zero) so each combination runs.
// Weights are set to dyadic values with |w| in [0.1, 1] (away from the L1 kink at 0): the same in
// both twins.
Model twin(bool regularised) {
  Model m({6, 6, 1}, 3);
  LayerConfig c = conv(2, 3);
  LayerConfig d = dense(3, "softmax");
  if (regularised) {
    c.kernel_l1 = kL1;
    c.kernel_l2 = kL2;
    c.bias_l2 = 2 * kL2;
    d.kernel_l1 = 2 * kL1;
    d.kernel_l2 = kL2;
    d.bias_l1 = kL1;
  }
  m.add(c);
  m.add(simple("flatten"));
  m.add(d);
  OptimizerConfig sgd;
  sgd.type = "sgd";
  sgd.learning_rate = kLr;
  m.compile("sparse_categorical_crossentropy", sgd);
  Rng rng(35);
  for (auto& lp : m.weights())
    for (size_t i = 0; i < lp.second->w.size(); ++i) {
      const float v = std::round(rng.uniform(0.1f, 1.f) * 1024.f) / 1024.f;
      lp.second->w[i] = rng.uniform() < 0.5f ? -v : v;
    }
  return m;
}

double penalty_of(Model& m) {
  double total = 0;
  for (auto& lp : m.weights())
    for (size_t i = 0; i < lp.second->w.size(); ++i) {
      const double w = lp.second->w[i];
      total += double(lp.second->l1) * std::fabs(w) + double(lp.second->l2) * w * w;
    }
  return total;
}

}  // namespace

TEST_CASE("L1/L2: the penalty is in the reported loss of train_batch, evaluate_batch and evaluate") {
  const int n = 10;
  Rng rng(36);
  const std::vector<float> x = random_vector(rng, size_t(n) * 36, 0.f, 1.f);
  std::vector<float> t(n);
  for (int i = 0; i < n; ++i) t[i] = float(i % 3);
  Model reg = twin(true), plain = twin(false);
  const double penalty = penalty_of(reg);
  REQUIRE(penalty > 0.1);
  CHECK(penalty_of(plain) == 0);

  // Same weights, same batch: the data losses are bit-identical, so the difference is the penalty up
  // to the double sums' rounding (relative 1e-15 here, checked at 1e-12).
  const double eval_gap = reg.evaluate_batch(x.data(), t.data(), n).loss - plain.evaluate_batch(x.data(), t.data(), n).loss;
  CHECK(eval_gap == doctest::Approx(penalty).epsilon(1e-12));
  // evaluate() over several batches counts the penalty once, not once per batch.
  const double multi_gap = reg.evaluate(x.data(), t.data(), n, 3).loss - plain.evaluate(x.data(), t.data(), n, 3).loss;
  CHECK(multi_gap == doctest::Approx(penalty).epsilon(1e-12));
  // train_batch reports the loss of the weights it was given (before its update).
  const double train_gap = reg.train_batch(x.data(), t.data(), n).loss - plain.train_batch(x.data(), t.data(), n).loss;
  CHECK(train_gap == doctest::Approx(penalty).epsilon(1e-12));
}

TEST_CASE("L1/L2: an SGD step moves each weight by lr * (l1 sign(w) + 2 l2 w) more than its twin") {
  const int n = 10;
  Rng rng(37);
  const std::vector<float> x = random_vector(rng, size_t(n) * 36, 0.f, 1.f);
  std::vector<float> t(n);
  for (int i = 0; i < n; ++i) t[i] = float((i * 7) % 3);
  Model reg = twin(true), plain = twin(false);
  std::vector<Tensor> w0;
  for (auto& lp : reg.weights()) w0.push_back(lp.second->w);
  REQUIRE(reg.train_batch(x.data(), t.data(), n).finite);
  REQUIRE(plain.train_batch(x.data(), t.data(), n).finite);

  const auto rw = reg.weights(), pw = plain.weights();
  bool any_l1 = false, any_l2 = false;
  for (size_t k = 0; k < rw.size(); ++k) {
    const Param& r = *rw[k].second;
    const Param& p = *pw[k].second;
    any_l1 |= r.l1 > 0;
    any_l2 |= r.l2 > 0;
    for (size_t i = 0; i < r.w.size(); ++i) {
      const double w = w0[k][i];
      // The penalty's gradient is exact in float here: l1, 2 l2 are powers of two and w has at most
      // 11 significant bits.
      const double extra = double(r.l1) * (w > 0 ? 1 : -1) + 2.0 * r.l2 * w;
      INFO(rw[k].first->name(), "/", r.name, "[", i, "] w ", w, " l1 ", r.l1, " l2 ", r.l2);
      // Both twins computed the same data gradient g (bit for bit: same weights, same batch); the
      // regularised one stored fl(g + extra), one rounding of at most u |dw|.
      CHECK(std::fabs((double(r.dw[i]) - p.dw[i]) - extra) <= kU * std::fabs(r.dw[i]));
      // Then w1 = fl(w - fl(lr dw)); lr is a power of two, so only the subtraction rounds, by at
      // most u |w1| in each twin; the difference of the steps carries the dw rounding times lr.
      const double step_reg = w - r.w[i], step_plain = w - p.w[i];
      const double tol = kU * (std::fabs(r.w[i]) + std::fabs(p.w[i]) + kLr * std::fabs(r.dw[i]));
      CHECK(std::fabs((step_reg - step_plain) - double(kLr) * extra) <= tol);
    }
  }
  CHECK(any_l1);
  CHECK(any_l2);
}
