// Mistakes are caught where they enter (add, compile, the data), with messages that name the layer
// and the numbers, and leave the model as it was.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/check.h"
#include "test_helpers.h"
#include "train/model.h"

using namespace wasmcnn;
using namespace wasmcnn::test;
using doctest::Contains;

namespace {

// The message of the wasmcnn::Error that f throws ("" if it throws none); CHECKs that it contains
// every one of `parts`.
template <class F>
void check_error(F f, const std::vector<std::string>& parts) {
  std::string message;
  try {
    f();
  } catch (const Error& e) {
    message = e.what();
  }
  INFO("message: \"", message, "\"");
  REQUIRE_FALSE(message.empty());
  for (const std::string& part : parts) {
    INFO("expected to contain \"", part, "\"");
    CHECK(message.find(part) != std::string::npos);
  }
}

OptimizerConfig adam() { return OptimizerConfig{}; }

// The model still builds, trains, evaluates and predicts after the errors: a final working layer
// stack on [6,6,1] inputs.
void check_still_works(Model& m) {
  const size_t layers = m.num_layers();
  m.add(simple("flatten"));
  m.add(dense(3, "softmax"));
  m.compile("sparse_categorical_crossentropy", adam());
  const int n = 4;
  Rng rng(1);
  const std::vector<float> x = random_vector(rng, n * m.sample_size(), 0, 1), t = {0, 1, 2, 1};
  const BatchResult r = m.train_batch(x.data(), t.data(), n);
  CHECK(r.finite);
  CHECK(std::isfinite(m.evaluate(x.data(), t.data(), n, 3).loss));
  const Tensor& y = m.predict(x.data(), n);
  CHECK(y.shape() == Shape{n, 3});
  CHECK(m.num_layers() == layers + 2);
}

}  // namespace

TEST_CASE("shape mistakes are caught at add() with the layer's name and the shapes") {
  Model m({6, 6, 1}, 1);
  m.add(named(conv(4, 3), "conv_a"));  // -> [4,4,4]
  check_error([&] { m.add(named(dense(10), "head")); },
              {"dense 'head'", "[4,4,4]", "add a flatten layer"});
  check_error([&] { m.add(named(conv(2, 5), "too_big")); },
              {"conv2d 'too_big'", "[5,5]", "'valid' padding", "[4,4,4]"});
  check_error([&] { m.add(named(pool("max_pooling2d", 5, 1), "pool_big")); },
              {"max_pooling2d 'pool_big'", "[5,5]", "[4,4,4]"});
  Model flat({7}, 1);
  check_error([&] { flat.add(named(conv(2, 3), "conv_on_flat")); }, {"conv2d 'conv_on_flat'", "[7]"});
  CHECK(m.num_layers() == 1);
  CHECK(m.output_shape() == Shape{4, 4, 4});
  check_still_works(m);
}

TEST_CASE("unknown names and bad options are caught, naming the layer") {
  Model m({6, 6, 1}, 1);
  LayerConfig bogus = simple("convolution2d");
  check_error([&] { m.add(bogus); }, {"unknown layer type 'convolution2d'", "conv2d", "dense"});
  check_error([&] { m.add(named(conv(4, 3, 1, "valid", "relux"), "c1")); },
              {"conv2d 'c1'", "unknown activation 'relux'"});
  check_error([&] { m.add(named(dense(4, "swoosh"), "d1")); }, {"dense 'd1'", "unknown activation 'swoosh'"});
  check_error([&] { m.add(named(conv(0, 3), "c0")); }, {"conv2d 'c0'", "filters must be a positive integer (below 2^31), got 0"});
  check_error([&] { m.add(named(conv(4, 3, 0), "s0")); }, {"conv2d 's0'", "strides"});
  check_error([&] { m.add(named(conv(4, 3, 1, "full"), "p0")); }, {"conv2d 'p0'", "'full'"});
  check_error([&] { m.add(named(dense(0), "u0")); }, {"dense 'u0'", "units must be a positive integer (below 2^31), got 0"});
  check_error([&] { m.add(named(dropout(1.f), "drop")); }, {"dropout 'drop'", "rate"});
  LayerConfig init = conv(4, 3);
  init.kernel_initializer = "xavier";
  check_error([&] { m.add(named(init, "i0")); }, {"conv2d 'i0'", "unknown kernelInitializer 'xavier'"});
  CHECK(m.num_layers() == 0);
  check_still_works(m);
}

TEST_CASE("a duplicate layer name is refused") {
  Model m({6, 6, 1}, 1);
  m.add(named(conv(2, 3, 1, "same"), "features"));
  check_error([&] { m.add(named(conv(2, 3, 1, "same"), "features")); }, {"duplicate layer name 'features'"});
  CHECK(m.num_layers() == 1);
  // An unnamed layer gets a fresh name that does not collide.
  m.add(named(conv(2, 3, 1, "same"), "conv2d_3"));
  CHECK(m.add(conv(2, 3, 1, "same")).name() == "conv2d_4");  // conv2d_3 is taken
  check_still_works(m);
}

TEST_CASE("compile with an unknown loss or optimizer, or an unsuitable output") {
  Model m({6, 6, 1}, 1);
  m.add(conv(2, 3));
  check_error([&] { m.compile("sparse_categorical_crossentropy", adam()); }, {"flat output", "[4,4,2]"});
  m.add(simple("flatten"));
  m.add(dense(3, "softmax"));
  check_error([&] { m.compile("hinge", adam()); }, {"unknown loss 'hinge'", "sparseCategoricalCrossentropy"});
  OptimizerConfig adagrad;
  adagrad.type = "adagrad";
  check_error([&] { m.compile("mse", adagrad); }, {"unknown optimizer 'adagrad'", "sgd, adam or rmsprop"});
  OptimizerConfig rho;
  rho.type = "rmsprop";
  rho.rho = 1.f;
  check_error([&] { m.compile("mse", rho); }, {"rmsprop: rho must be in [0, 1)"});
  OptimizerConfig nan_lr;
  nan_lr.learning_rate = NAN;
  check_error([&] { m.compile("mse", nan_lr); }, {"learningRate"});
  CHECK_FALSE(m.compiled());
  m.pop();
  m.pop();
  check_still_works(m);
}

TEST_CASE("bad data is caught when it is passed: NaN inputs, labels out of range") {
  Model m({6, 6, 1}, 1);
  m.add(conv(2, 3));
  check_still_works(m);
  const int n = 3;
  Rng rng(2);
  std::vector<float> x = random_vector(rng, n * 36, 0, 1), t = {0, 2, 1};
  x[36 + 5] = NAN;  // sample 1, element 5
  check_error([&] { m.predict(x.data(), n); }, {"predict", "sample 1", "element 5", "not finite"});
  check_error([&] { m.train_batch(x.data(), t.data(), n); }, {"sample 1", "element 5", "not finite"});
  x[36 + 5] = INFINITY;
  check_error([&] { m.evaluate(x.data(), t.data(), n, 2); }, {"sample 1", "element 5", "not finite"});
  x[36 + 5] = 0.5f;
  t[2] = 3;  // 3 classes: 0..2
  check_error([&] { m.train_batch(x.data(), t.data(), n); }, {"label 3", "sample 2", "[0, 2]"});
  t[2] = 1.5f;
  check_error([&] { m.train_batch(x.data(), t.data(), n); }, {"label 1.5", "sample 2"});
  t[2] = -1;
  check_error([&] { m.evaluate(x.data(), t.data(), n, 8); }, {"label -1", "sample 2"});
  t[2] = 2;
  check_error([&] { m.predict(x.data(), 0); }, {"at least one sample"});
  FitOptions bad;
  bad.batch_size = 0;
  check_error([&] { m.fit(x.data(), t.data(), n, bad); }, {"batchSize", "0"});
  // Nothing above changed the weights: training on good data still works.
  const std::vector<float> before(m.weights()[0].second->w.data(), m.weights()[0].second->w.data() + 18);
  CHECK(m.train_batch(x.data(), t.data(), n).finite);
  CHECK(std::vector<float>(m.weights()[0].second->w.data(), m.weights()[0].second->w.data() + 18) != before);
}

TEST_CASE("a bad input shape is refused when the model is made") {
  check_error([] { Model m({}, 1); }, {"inputShape", "[]"});
  check_error([] { Model m({28, 0, 1}, 1); }, {"inputShape", "[28,0,1]"});
  check_error([] { Model m({2, 2, 2, 2}, 1); }, {"inputShape", "[2,2,2,2]"});
  CHECK_THROWS_WITH_AS(Model({-1}, 1), Contains("must be positive"), Error);
}

TEST_CASE("fit and evaluate name the caller's sample, and fit rejects bad data before training") {
  // fit() shuffles and cuts batches; an error must still point at the sample as the caller numbers
  // it, and must come before any update (the data is all there when fit() is called).
  Model m({6, 6, 1}, 1);
  check_still_works(m);
  const int n = 40;
  Rng rng(3);
  std::vector<float> x = random_vector(rng, n * 36, 0, 1), t(n);
  for (int i = 0; i < n; ++i) t[i] = float(i % 3);
  const std::vector<float> before(m.weights()[0].second->w.data(), m.weights()[0].second->w.data() + 18);
  FitOptions fit;
  fit.batch_size = 8;
  x[29 * 36 + 4] = NAN;
  check_error([&] { m.fit(x.data(), t.data(), n, fit); }, {"sample 29", "element 4", "not finite"});
  check_error([&] { m.evaluate(x.data(), t.data(), n, 16); }, {"sample 29", "element 4", "not finite"});
  x[29 * 36 + 4] = 0;
  t[33] = 7;
  check_error([&] { m.fit(x.data(), t.data(), n, fit); }, {"label 7", "sample 33"});
  check_error([&] { m.evaluate(x.data(), t.data(), n, 16); }, {"label 7", "sample 33"});
  const std::vector<float> after(m.weights()[0].second->w.data(), m.weights()[0].second->w.data() + 18);
  CHECK(after == before);
}
