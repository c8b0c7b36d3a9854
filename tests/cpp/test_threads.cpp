// Thread-readiness: a model holds no global state and its random draws are keyed per sample.
//
// - Two models trained (and asked to predict, and saved and loaded) on two std::threads at once
//   each end with the weights and predictions of the same model trained alone, bit for bit. The
//   tsan suite runs this under ThreadSanitizer, which reports any data race between the threads.
// - Dropout and Gaussian noise draw for each sample from its own stream: a batch forwarded in
//   parts (each part told where it starts in the batch) equals the batch forwarded at once, which
//   is what lets a batch be split across threads later (issue 15) without changing any result.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "io/model_file.h"
#include "layers/registry.h"
#include "test_helpers.h"
#include "train/model.h"

#if !defined(__EMSCRIPTEN__) || defined(__EMSCRIPTEN_PTHREADS__)
#include <thread>
#define WASMCNN_HAVE_THREADS 1
#else
#define WASMCNN_HAVE_THREADS 0  // the wasm test build is single-threaded
#endif

using namespace wasmcnn;
using namespace wasmcnn::test;

namespace {

constexpr int kN = 48;

struct Data {
  std::vector<float> x, t;
  Data(uint64_t seed, int size, int classes) {
    Rng rng(seed);
    x = random_vector(rng, size_t(kN) * size * size, 0.f, 1.f);
    for (int i = 0; i < kN; ++i) t.push_back(float(rng.below(uint32_t(classes))));
  }
};

// What a run leaves: every weight, the predictions on the training data, and those of the model
// saved and loaded again.
struct Outcome {
  std::vector<float> weights, predictions, reloaded;
};

std::vector<float> flat(const Tensor& t) { return std::vector<float>(t.data(), t.data() + t.size()); }

// Two different models, each using every stochastic path: augmentation, Gaussian noise, dropout,
// shuffling; and conv, pooling and dense kernels with their scratch.
std::unique_ptr<Model> model_a() {
  auto m = std::make_unique<Model>(Shape{10, 10, 1}, 7);
  m->add(conv(6, 3, 1, "same", "relu"));
  m->add(pool("max_pooling2d", 2, 2));
  m->add(gaussian_noise(0.1f));
  m->add(conv(8, 3, 1, "valid", "relu"));
  m->add(simple("flatten"));
  m->add(dropout(0.3f));
  m->add(dense(10, "softmax"));
  compile_augmented(*m);
  return m;
}

std::unique_ptr<Model> model_b() {
  auto m = std::make_unique<Model>(Shape{8, 8, 1}, 11);
  m->add(conv(4, 3, 2, "same", "tanh"));
  m->add(pool("average_pooling2d", 2, 1, "same"));
  m->add(simple("flatten"));
  m->add(dropout(0.5f));
  m->add(dense(16, "relu"));
  m->add(dense(3, "softmax"));
  OptimizerConfig sgd;
  sgd.type = "sgd";
  sgd.learning_rate = 0.05f;
  sgd.momentum = 0.9f;
  m->compile("sparse_categorical_crossentropy", sgd);
  return m;
}

Outcome train(std::unique_ptr<Model> (*make)(), const Data& d) {
  std::unique_ptr<Model> m = make();
  FitOptions fit;
  fit.epochs = 3;
  fit.batch_size = 10;  // a short last batch too
  m->fit(d.x.data(), d.t.data(), kN, fit);
  Outcome out;
  for (auto& lp : m->weights()) {
    const std::vector<float> w = flat(lp.second->w);
    out.weights.insert(out.weights.end(), w.begin(), w.end());
  }
  out.predictions = flat(m->predict(d.x.data(), kN));
  const std::vector<uint8_t> bytes = save_model(*m);
  out.reloaded = flat(load_model(bytes.data(), bytes.size())->predict(d.x.data(), kN));
  return out;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void check_same(const Outcome& alone, const Outcome& concurrent) {
  CHECK(same_bits(alone.weights, concurrent.weights));
  CHECK(same_bits(alone.predictions, concurrent.predictions));
  CHECK(same_bits(alone.reloaded, concurrent.predictions));
}

// Forwards x (n samples of `sample` floats) through `layer` in training mode, in the given parts.
Tensor forward_in_parts(Layer& layer, const std::vector<float>& x, int n, int sample, const std::vector<int>& cuts) {
  Tensor y({n, sample});
  Scratch scratch;
  int begin = 0;
  for (int end : cuts) {
    Tensor xp({end - begin, sample}), yp;
    std::memcpy(xp.data(), x.data() + size_t(begin) * sample, xp.size() * sizeof(float));
    Context ctx{true, &scratch, 5, 3, 2, size_t(begin)};
    layer.forward(xp, yp, ctx);
    std::memcpy(y.data() + size_t(begin) * sample, yp.data(), yp.size() * sizeof(float));
    begin = end;
  }
  return y;
}

}  // namespace

TEST_CASE("dropout and gaussian noise draw per sample: a batch forwarded in parts equals it at once") {
  const int n = 7, sample = 33;
  Rng rng(4);
  const std::vector<float> x = random_vector(rng, size_t(n) * sample, 0.5f, 1.f);
  for (const LayerConfig& c : {dropout(0.5f), gaussian_noise(0.7f)}) {
    INFO(c.type);
    std::unique_ptr<Layer> layer = make_layer(c);
    layer->build({sample});
    const Tensor whole = forward_in_parts(*layer, x, n, sample, {n});
    const Tensor parts = forward_in_parts(*layer, x, n, sample, {1, 4, n});
    const Tensor ones = forward_in_parts(*layer, x, n, sample, {1, 2, 3, 4, 5, 6, 7});
    CHECK(std::memcmp(whole.data(), parts.data(), whole.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(whole.data(), ones.data(), whole.size() * sizeof(float)) == 0);
    // The samples do differ from each other: each has its own stream.
    CHECK(std::memcmp(whole.data(), whole.data() + sample, sample * sizeof(float)) != 0);
  }
}

#if WASMCNN_HAVE_THREADS
TEST_CASE("two models trained on two threads at once give the weights each gives alone") {
  const Data da(1, 10, 10), db(2, 8, 3);
  const Outcome a_alone = train(model_a, da), b_alone = train(model_b, db);
  Outcome a, b;
  std::thread ta([&] { a = train(model_a, da); });
  std::thread tb([&] { b = train(model_b, db); });
  ta.join();
  tb.join();
  check_same(a_alone, a);
  check_same(b_alone, b);
  // The same model twice at once: two instances share nothing either.
  Outcome a1, a2;
  std::thread t1([&] { a1 = train(model_a, da); });
  std::thread t2([&] { a2 = train(model_a, da); });
  t1.join();
  t2.join();
  check_same(a_alone, a1);
  check_same(a_alone, a2);
}

TEST_CASE("one thread predicts with a model while another trains a second one") {
  const Data da(1, 10, 10), db(2, 8, 3);
  std::unique_ptr<Model> predictor = model_a();
  const std::vector<float> want = flat(predictor->predict(da.x.data(), kN));
  const Outcome b_alone = train(model_b, db);
  Outcome b;
  bool stable = true;
  std::thread tp([&] {
    for (int i = 0; i < 20; ++i) stable &= same_bits(flat(predictor->predict(da.x.data(), kN)), want);
  });
  std::thread tb([&] { b = train(model_b, db); });
  tp.join();
  tb.join();
  CHECK(stable);
  check_same(b_alone, b);
}
#endif
