// BatchNormalization: statistics by hand, moving averages, frozen layers, gradients by finite
// differences, and the layer inside a model (optimizer, parameter counts, model files).
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "core/check.h"
#include "io/model_file.h"
#include "layers/registry.h"
#include "train/model.h"

using namespace wasmcnn;

namespace {

LayerConfig bn_config(float momentum = 0.99f, bool center = true, bool scale = true) {
  LayerConfig c;
  c.type = "batch_normalization";
  c.name = "bn";
  c.momentum = momentum;
  c.center = center;
  c.scale = scale;
  return c;
}

std::unique_ptr<Layer> make_bn(const Shape& sample, const LayerConfig& config) {
  std::unique_ptr<Layer> l = make_layer(config);
  REQUIRE(l->build(sample) == sample);
  Rng rng(1);
  l->init(rng);
  return l;
}

Param& param(Layer& l, const std::string& name) {
  for (Param* p : l.params())
    if (p->name == name) return *p;
  FAIL("no param ", name);
  throw;
}

Tensor tensor(const Shape& shape, const std::vector<float>& values) {
  Tensor t(shape);
  REQUIRE(values.size() == t.size());
  std::memcpy(t.data(), values.data(), values.size() * sizeof(float));
  return t;
}

Tensor random_tensor(const Shape& shape, Rng& rng, float lo, float hi) {
  Tensor t(shape);
  for (size_t i = 0; i < t.size(); ++i) t[i] = rng.uniform(lo, hi);
  return t;
}

// The layer's function in double: rows of c values, batch or moving statistics.
struct Reference {
  size_t c;
  double eps;
  bool batch_stats;
  std::vector<double> gamma, beta, moving_mean, moving_variance;

  std::vector<double> forward(const std::vector<double>& x) const {
    const size_t rows = x.size() / c;
    std::vector<double> mean(moving_mean), var(moving_variance), y(x.size());
    if (batch_stats) {
      for (size_t j = 0; j < c; ++j) {
        double s = 0, s2 = 0;
        for (size_t r = 0; r < rows; ++r) s += x[r * c + j];
        mean[j] = s / rows;
        for (size_t r = 0; r < rows; ++r) s2 += (x[r * c + j] - mean[j]) * (x[r * c + j] - mean[j]);
        var[j] = s2 / rows;
      }
    }
    for (size_t r = 0; r < rows; ++r)
      for (size_t j = 0; j < c; ++j)
        y[r * c + j] = gamma[j] * (x[r * c + j] - mean[j]) / std::sqrt(var[j] + eps) + beta[j];
    return y;
  }
  // L = sum_i w_i y_i, whose gradient with respect to y is w.
  double loss(const std::vector<double>& x, const std::vector<float>& w) const {
    std::vector<double> y = forward(x);
    double l = 0;
    for (size_t i = 0; i < y.size(); ++i) l += w[i] * y[i];
    return l;
  }
};

std::vector<double> to_double(const float* p, size_t n) { return std::vector<double>(p, p + n); }

// Central difference of f at v[i] in double. With h = 1e-5 on values of order 1 the truncation error
// (h^2/6 f''') is about 1e-10 and the rounding error (1e-16 |L| / h) about 1e-10: both far below the
// float32 errors of the analytic gradient we compare with.
template <class F>
double numeric(std::vector<double>& v, size_t i, F f) {
  const double h = 1e-5, keep = v[i];
  v[i] = keep + h;
  const double up = f();
  v[i] = keep - h;
  const double down = f();
  v[i] = keep;
  return (up - down) / (2 * h);
}

// The analytic gradients are computed in float from float inputs: each is a handful of float
// operations on terms no larger than |gamma| * inv_std * (|dy| + |mean dy| + |xhat| |mean dy*xhat|),
// here below ~20, each rounding contributing at most 2^-24 (6e-8) relative, with the sums taken in
// double. That bounds the error by about 1e-5; the tolerance is 2e-5 plus 1e-5 relative.
void check_close(double analytic, double expected, const char* what, size_t i) {
  INFO(what, "[", i, "]: analytic ", analytic, ", numeric ", expected);
  CHECK(std::fabs(analytic - expected) <= 2e-5 + 1e-5 * std::fabs(expected));
}

// Runs forward + backward on the layer (training flag as given) and compares dx, dgamma and dbeta
// with finite differences of the double reference.
void gradient_check(const Shape& batch_shape, bool training, bool center, bool scale, uint64_t seed) {
  Rng rng(seed);
  Shape sample(batch_shape.begin() + 1, batch_shape.end());
  auto layer = make_bn(sample, bn_config(0.9f, center, scale));
  const size_t c = size_t(sample.back());
  Reference ref{c, 1e-3, training, {}, {}, {}, {}};
  for (size_t j = 0; j < c; ++j) {
    ref.gamma.push_back(scale ? rng.uniform(0.5f, 2.f) : 1.f);
    ref.beta.push_back(center ? rng.uniform(-1.f, 1.f) : 0.f);
    ref.moving_mean.push_back(rng.uniform(-1.f, 1.f));
    ref.moving_variance.push_back(rng.uniform(0.5f, 2.f));
  }
  auto set = [&](const char* name, const std::vector<double>& v) {
    Param& p = param(*layer, name);
    for (size_t j = 0; j < c; ++j) p.w[j] = float(v[j]);
  };
  if (scale) set("gamma", ref.gamma);
  if (center) set("beta", ref.beta);
  set("moving_mean", ref.moving_mean);
  set("moving_variance", ref.moving_variance);
  // Statistics were set from floats: read them back so the reference sees the same values.
  for (size_t j = 0; j < c; ++j) {
    ref.moving_mean[j] = param(*layer, "moving_mean").w[j];
    ref.moving_variance[j] = param(*layer, "moving_variance").w[j];
  }

  Tensor x = random_tensor(batch_shape, rng, -2.f, 3.f), y, dx;
  const std::vector<float> w = [&] {
    std::vector<float> v(x.size());
    for (float& e : v) e = rng.uniform(-1.f, 1.f);
    return v;
  }();
  Scratch scratch;
  Context ctx{training, &scratch};
  layer->forward(x, y, ctx);
  Tensor dy = tensor(batch_shape, w);
  layer->backward(x, y, dy, &dx, ctx);

  std::vector<double> xd = to_double(x.data(), x.size());
  {
    std::vector<double> y_ref = ref.forward(xd);
    for (size_t i = 0; i < y.size(); ++i) {
      INFO("y[", i, "]");
      CHECK(std::fabs(y[i] - y_ref[i]) <= 1e-5 * (1 + std::fabs(y_ref[i])));
    }
  }
  for (size_t i = 0; i < x.size(); ++i) check_close(dx[i], numeric(xd, i, [&] { return ref.loss(xd, w); }), "dx", i);
  if (scale)
    for (size_t j = 0; j < c; ++j)
      check_close(param(*layer, "gamma").dw[j], numeric(ref.gamma, j, [&] { return ref.loss(xd, w); }), "dgamma", j);
  if (center)
    for (size_t j = 0; j < c; ++j)
      check_close(param(*layer, "beta").dw[j], numeric(ref.beta, j, [&] { return ref.loss(xd, w); }), "dbeta", j);
}

}  // namespace

TEST_CASE("batch norm: Keras weights gamma, beta, moving_mean, moving_variance, per last axis") {
  auto l = make_bn({3, 4, 5}, bn_config());
  auto p = l->params();
  REQUIRE(p.size() == 4);
  const char* names[] = {"gamma", "beta", "moving_mean", "moving_variance"};
  const float init[] = {1.f, 0.f, 0.f, 1.f};
  for (int k = 0; k < 4; ++k) {
    CHECK(p[k]->name == names[k]);
    CHECK(p[k]->w.shape() == Shape{5});
    CHECK(p[k]->trainable == (k < 2));
    for (size_t j = 0; j < 5; ++j) CHECK(p[k]->w[j] == init[k]);
  }
  auto no_scale = make_bn({7}, bn_config(0.99f, true, false));
  REQUIRE(no_scale->params().size() == 3);
  CHECK(no_scale->params()[0]->name == "beta");
  auto no_center = make_bn({7}, bn_config(0.99f, false, true));
  REQUIRE(no_center->params().size() == 3);
  CHECK(no_center->params()[0]->name == "gamma");
  CHECK(make_bn({7}, bn_config(0.99f, false, false))->params().size() == 2);

  LayerConfig bad = bn_config(1.5f);
  CHECK_THROWS_WITH_AS(make_layer(bad), "batch_normalization 'bn': momentum must be a number in [0, 1], got 1.5", wasmcnn::Error);
  bad = bn_config();
  bad.epsilon = 0.f;
  CHECK_THROWS_AS(make_layer(bad), wasmcnn::Error);
}

TEST_CASE("batch norm statistics match a hand computation on a 2x1x2x2 batch") {
  // Two samples of shape [1, 2, 2]: channel 0 holds 1, 2, 3, 4 (mean 2.5, biased variance 1.25),
  // channel 1 holds 0, 0, 2, 2 (mean 1, variance 1).
  auto l = make_bn({1, 2, 2}, bn_config(0.9f));
  param(*l, "gamma").w[0] = 2.f;
  param(*l, "gamma").w[1] = 1.f;
  param(*l, "beta").w[0] = 0.5f;
  param(*l, "beta").w[1] = -1.f;
  Tensor x = tensor({2, 1, 2, 2}, {1, 0, 2, 0, 3, 2, 4, 2}), y;
  Rng rng(3);
  Scratch scratch;
  Context train{true, &scratch};
  l->forward(x, y, train);
  l->apply_statistics(1);  // the model does this once per step (one shard)
  // gamma * (x - mean) / sqrt(var + 0.001) + beta, worked out in double.
  const double expected[] = {-2.1822089039291006, -1.999500374687773,   -0.3940696346430336,
                             -1.999500374687773,  1.3940696346430337,   -0.0004996253122268035,
                             3.1822089039291006,  -0.0004996253122268035};
  for (int i = 0; i < 8; ++i) CHECK(y[i] == doctest::Approx(expected[i]).epsilon(1e-6));

  // moving = 0.9 * moving + 0.1 * batch, from the initial 0 and 1. The variance enters biased:
  // with Bessel's correction channel 0 would give 0.9 + 0.1 * 5/3 = 1.0667 instead of 1.025.
  CHECK(param(*l, "moving_mean").w[0] == doctest::Approx(0.25).epsilon(1e-6));
  CHECK(param(*l, "moving_mean").w[1] == doctest::Approx(0.1).epsilon(1e-6));
  CHECK(param(*l, "moving_variance").w[0] == doctest::Approx(1.025).epsilon(1e-6));
  CHECK(param(*l, "moving_variance").w[1] == doctest::Approx(1.0).epsilon(1e-6));

  // Inference uses the moving statistics and leaves them alone.
  Context infer{false, &scratch};
  l->forward(x, y, infer);
  const double inferred[] = {1.980872194397731,   -1.0999500374687774, 3.955368453594706, -1.0999500374687774,
                             5.92986471279168,    0.899050711906769,   7.904360971988655, 0.899050711906769};
  for (int i = 0; i < 8; ++i) CHECK(y[i] == doctest::Approx(inferred[i]).epsilon(1e-6));
  CHECK(param(*l, "moving_mean").w[0] == doctest::Approx(0.25).epsilon(1e-6));
  CHECK(param(*l, "moving_variance").w[0] == doctest::Approx(1.025).epsilon(1e-6));

  // A second training step keeps averaging: 0.9 * 0.25 + 0.1 * 2.5 = 0.475.
  l->forward(x, y, train);
  l->apply_statistics(1);  // the model does this once per step (one shard)
  CHECK(param(*l, "moving_mean").w[0] == doctest::Approx(0.475).epsilon(1e-6));
  CHECK(param(*l, "moving_variance").w[0] == doctest::Approx(0.9 * 1.025 + 0.1 * 1.25).epsilon(1e-6));
}

TEST_CASE("batch norm after a dense layer normalises each unit over the batch") {
  auto l = make_bn({3}, bn_config(0.f));
  Rng rng(5);
  Tensor x = random_tensor({6, 3}, rng, -4.f, 9.f), y;
  Scratch scratch;
  Context ctx{true, &scratch};
  l->forward(x, y, ctx);
  l->apply_statistics(1);  // the model does this once per step (one shard)
  for (int j = 0; j < 3; ++j) {
    double s = 0, s2 = 0;
    for (int r = 0; r < 6; ++r) s += y[r * 3 + j];
    for (int r = 0; r < 6; ++r) s2 += double(y[r * 3 + j]) * y[r * 3 + j];
    CHECK(s / 6 == doctest::Approx(0).epsilon(1e-6).scale(1));
    // var / (var + eps) with the batch variance of x
    double m = 0, v = 0;
    for (int r = 0; r < 6; ++r) m += x[r * 3 + j] / 6.0;
    for (int r = 0; r < 6; ++r) v += (x[r * 3 + j] - m) * (x[r * 3 + j] - m) / 6.0;
    CHECK(s2 / 6 == doctest::Approx(v / (v + 1e-3)).epsilon(1e-5));
    // momentum 0: the moving statistics are exactly this batch's (biased) statistics.
    CHECK(param(*l, "moving_mean").w[j] == doctest::Approx(m).epsilon(1e-6));
    CHECK(param(*l, "moving_variance").w[j] == doctest::Approx(v).epsilon(1e-6));
  }
}

TEST_CASE("batch norm gradients match finite differences in training mode") {
  SUBCASE("conv activations [3,2,2,2]") { gradient_check({3, 2, 2, 2}, true, true, true, 11); }
  SUBCASE("dense activations [5,4]") { gradient_check({5, 4}, true, true, true, 12); }
  SUBCASE("no center") { gradient_check({4, 3}, true, false, true, 13); }
  SUBCASE("no scale") { gradient_check({4, 3}, true, true, false, 14); }
}

TEST_CASE("batch norm gradients match finite differences in inference mode") {
  SUBCASE("conv activations [2,3,2,3]") { gradient_check({2, 3, 2, 3}, false, true, true, 21); }
  SUBCASE("dense activations [4,5]") { gradient_check({4, 5}, false, true, true, 22); }
}

TEST_CASE("a frozen batch norm layer runs in inference mode while training (Keras)") {
  auto l = make_bn({2, 2, 3}, bn_config(0.5f));
  Rng rng(8);
  for (Param* p : l->params())
    for (size_t j = 0; j < 3; ++j) p->w[j] = rng.uniform(0.5f, 1.5f);
  std::vector<float> before;
  for (Param* p : l->params()) before.insert(before.end(), p->w.data(), p->w.data() + 3);
  Tensor x = random_tensor({4, 2, 2, 3}, rng, -1.f, 1.f), y_frozen, y_infer, dx_frozen, dx_infer;
  Tensor dy = random_tensor({4, 2, 2, 3}, rng, -1.f, 1.f);
  Scratch scratch;
  Context train{true, &scratch}, infer{false, &scratch};

  l->forward(x, y_infer, infer);
  l->backward(x, y_infer, dy, &dx_infer, infer);
  l->set_trainable(false);
  l->forward(x, y_frozen, train);
  l->backward(x, y_frozen, dy, &dx_frozen, train);
  for (size_t i = 0; i < x.size(); ++i) {
    CHECK(y_frozen[i] == y_infer[i]);
    CHECK(dx_frozen[i] == dx_infer[i]);
  }
  std::vector<float> after;
  for (Param* p : l->params()) after.insert(after.end(), p->w.data(), p->w.data() + 3);
  CHECK(after == before);

  // Trainable again: batch statistics, and the moving averages move.
  l->set_trainable(true);
  l->forward(x, y_frozen, train);
  l->apply_statistics(1);  // the model does this once per step (one shard)
  CHECK(param(*l, "moving_mean").w[0] != before[6]);
  CHECK(y_frozen[0] != y_infer[0]);
}

namespace {

std::unique_ptr<Model> bn_model(uint64_t seed) {
  auto m = std::make_unique<Model>(Shape{6, 6, 1}, seed);
  LayerConfig conv;
  conv.type = "conv2d";
  conv.filters = 4;  // linear: no dead channel, so every BN weight gets a gradient
  m->add(conv);
  m->add(bn_config(0.9f));
  LayerConfig flatten;
  flatten.type = "flatten";
  m->add(flatten);
  LayerConfig dense;
  dense.type = "dense";
  dense.units = 3;
  dense.activation = "softmax";
  m->add(dense);
  m->compile("sparse_categorical_crossentropy", OptimizerConfig{});
  return m;
}

}  // namespace

TEST_CASE("batch norm in a model: parameter counts, training, frozen layer, model file round trip") {
  auto m = bn_model(17);
  const size_t conv = 3 * 3 * 4 + 4, bn = 4 * 4, dense = 4 * 4 * 4 * 3 + 3;
  CHECK(m->param_count() == conv + bn + dense);
  CHECK(m->param_count(true) == conv + 8 + dense);
  CHECK(m->summary().find("Non-trainable params: 8") != std::string::npos);

  Rng rng(4);
  std::vector<float> x(8 * 36), t(8);
  for (float& v : x) v = rng.uniform(0.f, 1.f);
  for (size_t i = 0; i < t.size(); ++i) t[i] = float(i % 3);
  Layer& bn_layer = m->layer("bn");
  auto snapshot = [&] {
    std::vector<float> s;
    for (Param* p : bn_layer.params()) s.insert(s.end(), p->w.data(), p->w.data() + p->w.size());
    return s;
  };
  const std::vector<float> initial = snapshot();
  for (int step = 0; step < 5; ++step) REQUIRE(m->train_batch(x.data(), t.data(), 8).finite);
  const std::vector<float> trained = snapshot();
  for (size_t j = 0; j < trained.size(); ++j) CHECK(trained[j] != initial[j]);  // all four moved

  // Frozen: neither the optimizer nor the moving averages change anything.
  bn_layer.set_trainable(false);
  CHECK(m->param_count(true) == conv + dense);
  REQUIRE(m->train_batch(x.data(), t.data(), 8).finite);
  CHECK(snapshot() == trained);
  bn_layer.set_trainable(true);

  // The model file carries all four tensors; the loaded model predicts the same.
  std::vector<uint8_t> bytes = save_model(*m);
  std::unique_ptr<Model> loaded = load_model(bytes.data(), bytes.size());
  auto w0 = m->weights(), w1 = loaded->weights();
  REQUIRE(w0.size() == w1.size());
  for (size_t i = 0; i < w0.size(); ++i) {
    CHECK(w0[i].second->name == w1[i].second->name);
    CHECK(w0[i].second->trainable == w1[i].second->trainable);
    REQUIRE(w0[i].second->w.size() == w1[i].second->w.size());
    CHECK(std::memcmp(w0[i].second->w.data(), w1[i].second->w.data(), w0[i].second->w.size() * 4) == 0);
  }
  CHECK(loaded->layer(1).config().momentum == 0.9f);
  const Tensor& p0 = m->predict(x.data(), 8);
  std::vector<float> a(p0.data(), p0.data() + p0.size());
  const Tensor& p1 = loaded->predict(x.data(), 8);
  CHECK(std::memcmp(a.data(), p1.data(), a.size() * 4) == 0);
}

TEST_CASE("batch norm training is deterministic under the seed") {
  auto a = bn_model(99), b = bn_model(99);
  std::vector<float> x(4 * 36), t{0, 1, 2, 1};
  Rng rng(2);
  for (float& v : x) v = rng.uniform(0.f, 1.f);
  for (int step = 0; step < 3; ++step) {
    a->train_batch(x.data(), t.data(), 4);
    b->train_batch(x.data(), t.data(), 4);
  }
  auto wa = a->weights(), wb = b->weights();
  for (size_t i = 0; i < wa.size(); ++i)
    CHECK(std::memcmp(wa[i].second->w.data(), wb[i].second->w.data(), wa[i].second->w.size() * 4) == 0);
}
