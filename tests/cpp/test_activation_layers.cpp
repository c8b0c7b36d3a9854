// Activation names and the advanced-activation, softmax and dropout layers, against values computed
// by hand (gradients: the guard in test_layer_defs.cpp, over every kind and representative options).
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/check.h"
#include "layers/activation.h"
#include "layers/registry.h"
#include "test_helpers.h"
#include "train/model.h"

using namespace wasmcnn;
using namespace wasmcnn::test;

namespace {

// y of one layer on one sample x of shape `in` (inference unless `training`).
std::vector<float> run(const LayerConfig& c, const Shape& in, const std::vector<float>& x, bool training = false,
                       uint64_t seed = 1) {
  auto layer = make_layer(c);
  layer->build(in);
  Rng rng(seed);
  layer->init(rng);
  Scratch scratch;
  Context ctx{training, &scratch, seed};
  Tensor tx(with_batch(int(x.size() / shape_size(in)), in)), ty;
  std::copy(x.begin(), x.end(), tx.data());
  layer->forward(tx, ty, ctx);
  return std::vector<float>(ty.data(), ty.data() + ty.size());
}

void close(const std::vector<float>& got, const std::vector<double>& want, double rel = 2e-6) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("i = ", i, ": got ", got[i], ", want ", want[i]);
    CHECK(std::fabs(got[i] - want[i]) <= rel * std::max(1.0, std::fabs(want[i])));
  }
}

LayerConfig kind(const std::string& type, const std::string& name = "probe") { return named(simple(type), name); }

}  // namespace

TEST_CASE("activation names: values at hand-checked points (TF.js semantics)") {
  const std::vector<float> x = {-1.f, 0.f, 1.f, 7.f};
  const double e1 = std::exp(-1.0) - 1;  // elu(-1)
  const double s = 1.0507009873554804934193349852946, sa = 1.7580993408473768599402175208123;
  auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
  auto phi = [](double v) { return 0.5 * std::erfc(-v / std::sqrt(2.0)); };
  auto mish = [](double v) { return v * std::tanh(std::log1p(std::exp(v))); };
  close(run(activation("relu6"), {4}, x), {0, 0, 1, 6});
  close(run(activation("elu"), {4}, x), {e1, 0, 1, 7});
  close(run(activation("selu"), {4}, x), {sa * e1, 0, s, s * 7});
  for (const char* name : {"swish", "silu"}) close(run(activation(name), {4}, x), {-sig(-1), 0, sig(1), 7 * sig(7)});
  close(run(activation("gelu"), {4}, x), {-phi(-1), 0, phi(1), 7 * phi(7)});
  close(run(activation("hardSigmoid"), {4}, x), {0.3, 0.5, 0.7, 1});
  close(run(activation("softplus"), {4}, x), {std::log1p(std::exp(-1.0)), std::log(2.0), std::log1p(std::exp(1.0)),
                                              std::log1p(std::exp(7.0))});
  close(run(activation("softsign"), {4}, x), {-0.5, 0, 0.5, 7.0 / 8});
  close(run(activation("mish"), {4}, x), {mish(-1), 0, mish(1), mish(7)});
  CHECK(parse_activation("", "x") == Activation::Linear);
  CHECK(error_of([] { parse_activation("swoosh", "dense 'd'"); }).find("dense 'd': unknown activation 'swoosh' (known: linear, relu") == 0);
}

TEST_CASE("activation names: a fused Conv2D/Dense activation equals the layer after a linear one") {
  Rng rng(4);
  const std::vector<float> x = random_vector(rng, 2 * 5 * 5 * 2, -3.f, 3.f);
  for (const std::string& act : activation_names()) {
    CAPTURE(act);
    for (bool is_conv : {true, false}) {
      Model fused({5, 5, 2}, 7), split({5, 5, 2}, 7);
      if (!is_conv) {
        fused.add(simple("flatten"));
        split.add(simple("flatten"));
      }
      fused.add(is_conv ? conv(3, 3, 1, "same", act) : dense(4, act));
      split.add(is_conv ? conv(3, 3, 1, "same") : dense(4));
      split.add(activation(act));
      const Tensor& a = fused.predict(x.data(), 2);
      const std::vector<float> ya(a.data(), a.data() + a.size());
      const Tensor& b = split.predict(x.data(), 2);
      CHECK(std::vector<float>(b.data(), b.data() + b.size()) == ya);
    }
  }
}

TEST_CASE("reLU: maxValue, negativeSlope and threshold as Keras defines them") {
  const std::vector<float> x = {-2.f, -0.5f, 0.f, 0.25f, 1.f, 3.f, 7.f};
  close(run(kind("re_lu"), {7}, x), {0, 0, 0, 0.25, 1, 3, 7});
  LayerConfig six = kind("re_lu");
  six.max_value = 6.f;
  close(run(six, {7}, x), {0, 0, 0, 0.25, 1, 3, 6});
  CHECK(run(six, {7}, x) == run(activation("relu6"), {7}, x));
  LayerConfig all = kind("re_lu");
  all.max_value = 5.f;
  all.negative_slope = 0.5f;
  all.threshold = 1.f;
  // x >= 5: 5; 1 <= x < 5: x; below: 0.5 (x - 1)
  close(run(all, {7}, x), {-1.5, -0.75, -0.5, -0.375, 1, 3, 5});
}

TEST_CASE("leakyReLU and elu: alpha, with TF.js's defaults 0.3 and 1") {
  const std::vector<float> x = {-2.f, -1.f, 0.f, 2.f};
  close(run(kind("leaky_re_lu"), {4}, x), {-0.6, -0.3, 0, 2});
  LayerConfig leaky = kind("leaky_re_lu");
  leaky.leaky_alpha = 0.01f;
  close(run(leaky, {4}, x), {-0.02, -0.01, 0, 2});
  close(run(kind("elu"), {4}, x), {std::expm1(-2.0), std::expm1(-1.0), 0, 2});
  LayerConfig elu = kind("elu");
  elu.alpha = 0.5f;
  close(run(elu, {4}, x), {0.5 * std::expm1(-2.0), 0.5 * std::expm1(-1.0), 0, 2});
}

TEST_CASE("prelu: alpha per position, shared along sharedAxes; its gradient; errors name the shapes") {
  LayerConfig c = kind("p_re_lu");
  c.shared_axes = {1};  // input [2, 3]: alpha [1, 3]
  auto layer = make_layer(c);
  CHECK(layer->build({2, 3}) == Shape{2, 3});
  Rng rng(1);
  layer->init(rng);
  Param* alpha = layer->params().at(0);
  CHECK(alpha->name == "alpha");
  CHECK(alpha->w.shape() == Shape{1, 3});
  for (size_t i = 0; i < 3; ++i) CHECK(alpha->w[i] == 0.f);  // TF.js's alphaInitializer: zeros
  alpha->w[0] = 0.1f;
  alpha->w[1] = 0.2f;
  alpha->w[2] = 0.3f;
  Tensor x({1, 2, 3}), y, dy({1, 2, 3}), dx;
  const float xs[] = {-1, -1, -1, 2, -2, 1};
  std::copy(xs, xs + 6, x.data());
  dy.fill(1.f);
  Context ctx;
  layer->forward(x, y, ctx);
  close(std::vector<float>(y.data(), y.data() + 6), {-0.1, -0.2, -0.3, 2, -0.4, 1});
  layer->backward(x, y, dy, &dx, ctx);
  close(std::vector<float>(dx.data(), dx.data() + 6), {0.1, 0.2, 0.3, 1, 0.2, 1});
  close(std::vector<float>(alpha->dw.data(), alpha->dw.data() + 3), {-1, -3, -1});  // sum of dy * x where x <= 0

  // sharedAxes [2] on [2, 2, 2]: alpha [2, 1, 2], shared along the middle axis only.
  LayerConfig mid = kind("p_re_lu");
  mid.shared_axes = {2};
  auto m = make_layer(mid);
  m->build({2, 2, 2});
  REQUIRE(m->params().at(0)->w.shape() == Shape{2, 1, 2});
  float* a = m->params().at(0)->w.data();
  a[0] = 1, a[1] = 2, a[2] = 3, a[3] = 4;
  Tensor x3({1, 2, 2, 2}), y3;
  x3.fill(-1.f);
  m->forward(x3, y3, ctx);
  close(std::vector<float>(y3.data(), y3.data() + 8), {-1, -2, -1, -2, -3, -4, -3, -4});

  LayerConfig bad = kind("p_re_lu", "p");
  bad.shared_axes = {3};
  CHECK(error_of([&] { make_layer(bad)->build({8}); }) ==
        "p_re_lu 'p': sharedAxes names axis 3, but the input [8] has 1 (axes 1..1, the batch is axis 0)");
}

TEST_CASE("softmax layer: any per-sample axis; the last one fuses with cross-entropy as Activation's does") {
  const double l3 = std::log(3.0);
  LayerConfig c = kind("softmax");
  c.axis = 1;  // over the rows of each [2, 3] sample
  close(run(c, {2, 3}, {0, 0, 0, float(l3), 0, float(-l3)}), {0.25, 0.5, 0.75, 0.75, 0.5, 0.25});
  c.axis = -1;
  close(run(c, {3}, {0, float(l3), 0}), {0.2, 0.6, 0.2});
  c.axis = 0;
  c.name = "s";
  CHECK(error_of([&] { make_layer(c)->build({2, 3}); }) ==
        "softmax 's': axis 0 is not a per-sample axis of the input [2,3] (expected 1..2 or -2..-1; the batch is axis 0)");

  // The same model with the softmax as a layer or as the dense's activation: same predictions and
  // the same training step (the loss takes the logits from either).
  Model a({6}, 3), b({6}, 3);
  a.add(dense(4, "softmax"));
  b.add(dense(4));
  b.add(kind("softmax", "sm"));
  OptimizerConfig sgd;
  sgd.type = "sgd";
  a.compile("sparse_categorical_crossentropy", sgd);
  b.compile("sparse_categorical_crossentropy", sgd);
  CHECK(b.layer(1).logits(Tensor({1, 4})) != nullptr);
  Rng rng(2);
  const std::vector<float> x = random_vector(rng, 12), t = {1, 3};
  const BatchResult ra = a.train_batch(x.data(), t.data(), 2), rb = b.train_batch(x.data(), t.data(), 2);
  CHECK(ra.loss == rb.loss);
  const Tensor& pa = a.predict(x.data(), 2);
  const std::vector<float> ya(pa.data(), pa.data() + pa.size());
  const Tensor& pb = b.predict(x.data(), 2);
  CHECK(std::vector<float>(pb.data(), pb.data() + pb.size()) == ya);
}

TEST_CASE("spatialDropout2d drops whole channels in training; the identity at inference") {
  LayerConfig c = kind("spatial_dropout2d");
  c.rate = 0.5f;
  const Shape in = {3, 2, 16};
  std::vector<float> x(4 * shape_size(in));
  for (size_t i = 0; i < x.size(); ++i) x[i] = 1.f + float(i % 7);
  CHECK(run(c, in, x) == x);
  const std::vector<float> y = run(c, in, x, true, 11);
  size_t dropped = 0;
  for (size_t n = 0; n < 4; ++n)
    for (size_t ch = 0; ch < 16; ++ch) {
      const size_t first = n * 96 + ch;
      const bool off = y[first] == 0.f;
      dropped += off;
      for (size_t p = 0; p < 6; ++p) CHECK(y[first + p * 16] == (off ? 0.f : 2.f * x[first + p * 16]));
    }
  CHECK(dropped > 16);  // 64 channels at rate 0.5: 32 expected (P(<= 16) < 1e-4; the seed is fixed)
  CHECK(dropped < 48);
  c.name = "sd";
  CHECK(error_of([&] { make_layer(c)->build({8}); }) ==
        "spatial_dropout2d 'sd': needs an image input [height, width, channels], got [8]");
}

TEST_CASE("gaussianDropout multiplies by N(1, rate / (1 - rate)) noise in training; the identity at inference") {
  LayerConfig c = kind("gaussian_dropout");
  c.rate = 0.2f;  // variance 0.25
  std::vector<float> x(20000, 2.f);
  CHECK(run(c, {20000}, x) == x);
  const std::vector<float> y = run(c, {20000}, x, true, 5);
  double mean = 0, var = 0;
  for (float v : y) mean += v / 2.0;
  mean /= double(y.size());
  for (float v : y) var += (v / 2.0 - mean) * (v / 2.0 - mean);
  var /= double(y.size());
  // Standard errors: 0.0035 for the mean, ~0.0025 for the variance; 5 of them each side.
  CHECK(std::fabs(mean - 1) < 0.018);
  CHECK(std::fabs(var - 0.25) < 0.0125);
}
