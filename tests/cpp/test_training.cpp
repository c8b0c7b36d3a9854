// Learning: each optimizer memorises a small random data set; a seed fixes a run bit for bit.
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "test_helpers.h"
#include "train/model.h"

using namespace wasmcnn;
using namespace wasmcnn::test;

namespace {

// 64 random 8x8x1 images with random labels 0..9: nothing to learn but the samples themselves.
struct RandomData {
  static constexpr int kN = 64;
  std::vector<float> x, t;
  RandomData() {
    Rng rng(2024);
    x = random_vector(rng, size_t(kN) * 64, 0.f, 1.f);
    for (int i = 0; i < kN; ++i) t.push_back(float(rng.below(10)));
  }
};

void add_small_cnn(Model& m, float dropout_rate = 0.f) {
  m.add(conv(8, 3, 1, "same", "relu"));
  m.add(pool("max_pooling2d", 2, 2));
  m.add(simple("flatten"));
  if (dropout_rate > 0) m.add(dropout(dropout_rate));
  m.add(dense(64, "relu"));
  m.add(dense(10, "softmax"));
}

// Epochs until every training sample is classified correctly (evaluate, not the running fit
// accuracy), or -1.
int epochs_to_memorise(Model& m, const RandomData& d, int max_epochs) {
  FitOptions once;
  once.epochs = 1;
  once.batch_size = 16;
  for (int epoch = 1; epoch <= max_epochs; ++epoch) {
    m.fit(d.x.data(), d.t.data(), RandomData::kN, once);
    if (m.evaluate(d.x.data(), d.t.data(), RandomData::kN, 64).accuracy == 1.0) return epoch;
  }
  return -1;
}

std::vector<float> all_weights(Model& m) {
  std::vector<float> w;
  for (auto& lp : m.weights()) w.insert(w.end(), lp.second->w.data(), lp.second->w.data() + lp.second->w.size());
  return w;
}

}  // namespace

TEST_CASE("each optimizer overfits 64 random samples to 100% training accuracy") {
  const RandomData data;
  struct Case {
    std::string name;
    OptimizerConfig opt;
  };
  OptimizerConfig sgd, nesterov, adam, rmsprop;
  sgd.type = nesterov.type = "sgd";
  sgd.learning_rate = nesterov.learning_rate = 0.05f;
  sgd.momentum = nesterov.momentum = 0.9f;
  nesterov.nesterov = true;
  adam.type = "adam";
  adam.learning_rate = 3e-3f;
  rmsprop.type = "rmsprop";
  rmsprop.learning_rate = 1e-3f;
  for (const Case& c : {Case{"sgd momentum 0.9", sgd}, Case{"sgd nesterov", nesterov}, Case{"adam", adam},
                        Case{"rmsprop", rmsprop}}) {
    Model m({8, 8, 1}, 3);
    add_small_cnn(m);
    m.compile("sparse_categorical_crossentropy", c.opt);
    const double before = m.evaluate(data.x.data(), data.t.data(), RandomData::kN, 64).accuracy;
    const int epochs = epochs_to_memorise(m, data, 150);
    INFO(c.name, ": accuracy before training ", before, "; epochs to 100%: ", epochs, " (of at most 150)");
    CHECK(before < 0.5);
    CHECK(epochs > 0);
  }
}

TEST_CASE("the same seed gives bit-identical weights; another seed different ones") {
  const RandomData data;
  OptimizerConfig adam;
  adam.learning_rate = 3e-3f;
  FitOptions fit;
  fit.epochs = 3;
  fit.batch_size = 10;  // a short last batch too
  auto train = [&](uint64_t seed) {
    Model m({8, 8, 1}, seed);
    add_small_cnn(m, 0.25f);  // dropout draws from the model's Noise stream as well
    m.compile("sparse_categorical_crossentropy", adam);
    m.fit(data.x.data(), data.t.data(), RandomData::kN, fit);
    return all_weights(m);
  };
  const std::vector<float> a = train(7), b = train(7), c = train(8);
  REQUIRE(a.size() == b.size());
  REQUIRE(a.size() == c.size());
  CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == c[i];
  CHECK(same < a.size() / 100);  // practically every weight differs (zero-initialised biases may agree)
}

TEST_CASE("predict after training is deterministic and agrees with evaluate") {
  const RandomData data;
  Model m({8, 8, 1}, 11);
  add_small_cnn(m, 0.25f);
  OptimizerConfig adam;
  adam.learning_rate = 3e-3f;
  m.compile("sparse_categorical_crossentropy", adam);
  FitOptions fit;
  fit.epochs = 2;
  m.fit(data.x.data(), data.t.data(), RandomData::kN, fit);
  const Tensor& first = m.predict(data.x.data(), RandomData::kN);
  const std::vector<float> p1(first.data(), first.data() + first.size());
  const Tensor& p2 = m.predict(data.x.data(), RandomData::kN);
  CHECK(std::memcmp(p1.data(), p2.data(), p1.size() * sizeof(float)) == 0);  // dropout is off at inference
  int correct = 0;
  for (int i = 0; i < RandomData::kN; ++i) {
    int best = 0;
    for (int c = 1; c < 10; ++c)
      if (p2[i * 10 + c] > p2[i * 10 + best]) best = c;
    correct += best == int(data.t[i]);
  }
  CHECK(m.evaluate(data.x.data(), data.t.data(), RandomData::kN, 7).accuracy ==
        doctest::Approx(correct / double(RandomData::kN)));
}
