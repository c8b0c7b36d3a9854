// Losses and regularisation penalties: values by hand, gradients by central differences.
//
// Probe points are multiples of 2^-10 and steps powers of two, so every v +- h is exact and the
// losses below are computed in double from exact floats: their rounding (~2^-50 of the value) is
// far below the tolerances, which bound the truncation of the central difference and the float
// rounding of the analytic gradient.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "layers/activation.h"
#include "test_helpers.h"
#include "train/loss.h"
#include "train/model.h"

using namespace wasmcnn;
using namespace wasmcnn::test;

namespace {

float dyadic(Rng& rng, float lo, float hi) { return std::round(rng.uniform(lo, hi) * 1024.f) / 1024.f; }

// Row-wise softmax of z into y, as a softmax output layer computes it.
Tensor softmax_of(const Tensor& z) {
  Tensor y;
  activation_forward(Activation::Softmax, z, y);
  return y;
}

// Targets for sample i: sparse class index, or a one-hot row of k.
std::vector<float> targets(LossKind kind, int n, int k) {
  std::vector<float> t;
  for (int i = 0; i < n; ++i) {
    const int cls = (3 * i + 1) % k;
    if (kind == LossKind::SparseCategoricalCrossentropy) {
      t.push_back(float(cls));
    } else {
      for (int c = 0; c < k; ++c) t.push_back(c == cls ? 1.f : 0.f);
    }
  }
  return t;
}

}  // namespace

TEST_CASE("loss values by hand") {
  // Equal logits: p = 1/k, loss = log k; from probabilities the same.
  Tensor z({2, 4});
  Tensor y = softmax_of(z);
  const float sparse[] = {1, 3}, onehot[] = {0, 1, 0, 0, 0, 0, 0, 1};
  LossValue l = compute_loss(LossKind::SparseCategoricalCrossentropy, y, &z, sparse, nullptr);
  CHECK(l.loss == doctest::Approx(std::log(4.0)).epsilon(1e-12));
  l = compute_loss(LossKind::CategoricalCrossentropy, y, nullptr, onehot, nullptr);
  CHECK(l.loss == doctest::Approx(std::log(4.0)).epsilon(1e-12));  // y = 0.25 exactly
  // Logits of +-1000: finite, loss = 2000 for the wrong class, 0 for the right one.
  Tensor big({2, 2});
  big[0] = 1000, big[1] = -1000, big[2] = 1000, big[3] = -1000;
  Tensor p = softmax_of(big), grad;
  const float labels[] = {1, 0};
  l = compute_loss(LossKind::SparseCategoricalCrossentropy, p, &big, labels, &grad);
  CHECK(l.loss == doctest::Approx(1000.0));  // (2000 + 0) / 2
  CHECK(l.correct == 1);
  for (size_t i = 0; i < 4; ++i) CHECK(std::isfinite(grad[i]));
  CHECK(grad[0] == 0.5f);   // (p - t) / n = (1 - 0) / 2
  CHECK(grad[1] == -0.5f);  // (0 - 1) / 2
  // Without logits the probabilities are clipped to [1e-7, 1 - 1e-7]: -log(1e-7) / 2.
  l = compute_loss(LossKind::SparseCategoricalCrossentropy, p, nullptr, labels, nullptr);
  CHECK(l.loss == doctest::Approx(-std::log(double(1e-7f)) / 2).epsilon(1e-6));
  // MSE: mean over the batch of the mean over units of (y - t)^2.
  Tensor out({2, 2});
  out[0] = 1, out[1] = 2, out[2] = -1, out[3] = 0.5f;
  const float t[] = {0, 0, 1, 0.5f};
  l = compute_loss(LossKind::MeanSquaredError, out, nullptr, t, nullptr);
  CHECK(l.loss == doctest::Approx(((1 + 4) / 2.0 + (4 + 0) / 2.0) / 2));
}

TEST_CASE("cross-entropy from logits: the gradient with respect to z") {
  // f(z) = loss(softmax(z)) is computed from z in double; d^3 f / dz_i^3 = tsum p(1-p)(1-2p) / n,
  // at most 0.0963 tsum / n. The analytic (y tsum - t) / n uses the float softmax (each y within
  // gamma(k + 4) relatively) and four more roundings.
  const double h = 1.0 / 1024;
  Rng rng(21);
  for (LossKind kind : {LossKind::SparseCategoricalCrossentropy, LossKind::CategoricalCrossentropy})
    for (int k : {2, 3, 10}) {
      const int n = 3;
      INFO(loss_name(kind), " k=", k);
      Tensor z({n, k});
      for (size_t i = 0; i < z.size(); ++i) z[i] = dyadic(rng, -3, 3);
      const std::vector<float> t = targets(kind, n, k);
      Tensor grad;
      compute_loss(kind, softmax_of(z), &z, t.data(), &grad);
      const Tensor y = softmax_of(z);
      for (size_t i = 0; i < z.size(); ++i) {
        const float v0 = z[i];
        z[i] = float(v0 + h);
        const double fp = compute_loss(kind, softmax_of(z), &z, t.data(), nullptr).loss;
        z[i] = float(v0 - h);
        const double fm = compute_loss(kind, softmax_of(z), &z, t.data(), nullptr).loss;
        z[i] = v0;
        const double numeric = (fp - fm) / (2 * h);
        const double ti = kind == LossKind::SparseCategoricalCrossentropy ? (int(t[i / k]) == int(i % k)) : t[i];
        const double tol = h * h / 6 * 0.0963 / n + gamma_n(k + 8) * (y[i] + ti) / n + 1e-12 / h;
        INFO("z[", i, "]");
        CHECK(std::fabs(numeric - grad[i]) <= tol);
      }
    }
}

TEST_CASE("cross-entropy from probabilities and MSE: the gradient with respect to y") {
  // CE: f = -sum t log y / n in double; |d^3 f/dy^3| = 2 t / (n y^3) <= 2 / (n (0.1 - h)^3) for
  // y in [0.1, 0.9]; analytic -t / y / n: three roundings. MSE: f is quadratic, so the central
  // difference is exact; analytic 2 d / n / k: d = y - t is exact (dyadic), then three roundings.
  const double h = 1.0 / 4096;
  Rng rng(22);
  for (LossKind kind :
       {LossKind::SparseCategoricalCrossentropy, LossKind::CategoricalCrossentropy, LossKind::MeanSquaredError})
    for (int k : {2, 5}) {
      const int n = 3;
      INFO(loss_name(kind), " k=", k);
      Tensor y({n, k});
      for (size_t i = 0; i < y.size(); ++i) y[i] = dyadic(rng, 0.1f, 0.9f);
      std::vector<float> t = targets(kind, n, k);
      if (kind == LossKind::MeanSquaredError)
        for (float& v : t) v = dyadic(rng, -1, 1);
      Tensor grad;
      compute_loss(kind, y, nullptr, t.data(), &grad);
      for (size_t i = 0; i < y.size(); ++i) {
        const float v0 = y[i];
        y[i] = float(v0 + h);
        const double fp = compute_loss(kind, y, nullptr, t.data(), nullptr).loss;
        y[i] = float(v0 - h);
        const double fm = compute_loss(kind, y, nullptr, t.data(), nullptr).loss;
        y[i] = v0;
        const double numeric = (fp - fm) / (2 * h);
        const double trunc =
            kind == LossKind::MeanSquaredError ? 0 : h * h / 6 * 2 / (n * std::pow(0.1 - h, 3));
        const double tol = trunc + gamma_n(4) * std::fabs(grad[i]) + 1e-12 / h;
        INFO("y[", i, "]");
        CHECK(std::fabs(numeric - grad[i]) <= tol);
      }
    }
}

namespace {

// A one-layer classifier with weights away from 0 (the L1 kink), multiples of 2^-10.
Model regularised_model(float l1, float l2) {
  Model m({4}, 5);
  LayerConfig d = dense(3, "softmax");
  d.kernel_l1 = l1;
  d.kernel_l2 = l2;
  d.bias_l1 = 1.5f * l1;
  d.bias_l2 = 2.f * l2;
  m.add(d);
  OptimizerConfig sgd;
  sgd.type = "sgd";
  sgd.learning_rate = 0.f;  // train_batch computes the gradients and leaves the weights alone
  m.compile("sparse_categorical_crossentropy", sgd);
  Rng rng(6);
  for (auto& lp : m.weights())
    for (size_t i = 0; i < lp.second->w.size(); ++i) {
      const float v = dyadic(rng, 0.1f, 1.f);
      lp.second->w[i] = rng.uniform() < 0.5f ? -v : v;
    }
  return m;
}

}  // namespace

TEST_CASE("L1 and L2 penalties: loss value and gradient through the model") {
  const int n = 3;
  Rng rng(23);
  std::vector<float> x(n * 4), t = {0, 2, 1};
  for (float& v : x) v = dyadic(rng, -1, 1);
  Model m = regularised_model(0.01f, 0.02f), plain = regularised_model(0.f, 0.f);

  // The reported loss is the data loss plus sum l1 |w| + l2 w^2.
  double penalty = 0;
  for (auto& lp : m.weights())
    for (size_t i = 0; i < lp.second->w.size(); ++i) {
      const double w = lp.second->w[i];
      penalty += double(lp.second->l1) * std::fabs(w) + double(lp.second->l2) * w * w;
    }
  CHECK(penalty > 0.05);
  const double with = m.evaluate_batch(x.data(), t.data(), n).loss;
  const double without = plain.evaluate_batch(x.data(), t.data(), n).loss;
  CHECK(with - without == doctest::Approx(penalty).epsilon(1e-12));

  // df/dw from train_batch against central differences of evaluate_batch's loss.
  // Float error of f: each z within gamma(5) A (4 products and a bias; A = sum |x||w| + |b|, with
  // |w| + h to cover the probes), and sum_u |dCE/dz_u| <= 2/n, so |df| <= 2 gamma(5) sum A / n.
  // Truncation: the penalty is quadratic on the probe interval (|w| >= 0.1 > h); the third
  // derivative of CE along w_iu is x^3 p(1-p)(1-2p)/n, at most 0.0963 |x|^3 / n. The analytic dw
  // sums n products x dz, with dz within gamma(k + 8)/n (float softmax), plus the penalty term.
  const double h = 1.0 / 1024;
  REQUIRE(m.train_batch(x.data(), t.data(), n).finite);
  Param* kernel = m.weights()[0].second;
  Param* bias = m.weights()[1].second;
  double sum_a = 0;
  for (int s = 0; s < n; ++s)
    for (int u = 0; u < 3; ++u) {
      double a = std::fabs(bias->w[u]) + h;
      for (int i = 0; i < 4; ++i) a += std::fabs(x[s * 4 + i]) * (std::fabs(kernel->w[i * 3 + u]) + h);
      sum_a += a;
    }
  for (Param* p : {kernel, bias}) {
    const Tensor dw = p->dw;
    for (size_t i = 0; i < p->w.size(); ++i) {
      double x1 = 0, x3 = 0;  // sums over the batch of |x| and |x|^3 for the input this weight scales
      for (int s = 0; s < n; ++s) {
        const double xv = p == bias ? 1.0 : std::fabs(x[s * 4 + i / 3]);
        x1 += xv;
        x3 += xv * xv * xv;
      }
      const float v0 = p->w[i];
      p->w[i] = float(v0 + h);
      const double fp = m.evaluate_batch(x.data(), t.data(), n).loss;
      p->w[i] = float(v0 - h);
      const double fm = m.evaluate_batch(x.data(), t.data(), n).loss;
      p->w[i] = v0;
      const double numeric = (fp - fm) / (2 * h);
      const double tol = 2 * gamma_n(5) * sum_a / n / h + h * h / 6 * 0.0963 * x3 / n +
                         gamma_n(n + 3 + 12) * (x1 / n + p->l1 + 2 * p->l2 * std::fabs(v0)) + 1e-12 / h;
      INFO(p->name, "[", i, "] analytic ", dw[i], " numeric ", numeric, " tolerance ", tol);
      CHECK(std::fabs(numeric - dw[i]) <= tol);
    }
  }
}

TEST_CASE("gradients do not depend on the model's history: a layer added behind a trained softmax") {
  // Model a trains with a softmax output (the loss then hands that layer dL/dz), then gets a layer
  // behind it. Model b is built directly in the final form, with a's weights. The same batch must
  // give the same gradients, bit for bit.
  const int n = 4;
  Rng rng(24);
  std::vector<float> x(n * 5), t = {0, 1, 2, 1};
  for (float& v : x) v = dyadic(rng, -1, 1);
  OptimizerConfig sgd;
  sgd.type = "sgd";
  sgd.learning_rate = 0.f;
  Model a({5}, 9), b({5}, 9);
  a.add(dense(3, "softmax"));
  a.compile("sparse_categorical_crossentropy", sgd);
  a.train_batch(x.data(), t.data(), n);
  a.add(activation("linear"));
  a.compile("sparse_categorical_crossentropy", sgd);
  b.add(dense(3, "softmax"));
  b.add(activation("linear"));
  b.compile("sparse_categorical_crossentropy", sgd);
  for (size_t i = 0; i < a.weights().size(); ++i) b.weights()[i].second->w = a.weights()[i].second->w;
  const BatchResult ra = a.train_batch(x.data(), t.data(), n), rb = b.train_batch(x.data(), t.data(), n);
  CHECK(ra.loss == rb.loss);
  for (size_t i = 0; i < a.weights().size(); ++i) {
    const Tensor &da = a.weights()[i].second->dw, &db = b.weights()[i].second->dw;
    INFO(a.weights()[i].second->name, ": a ", da[0], " ", da[1], " ... b ", db[0], " ", db[1], " ...");
    CHECK(std::memcmp(da.data(), db.data(), da.size() * sizeof(float)) == 0);
  }
}
