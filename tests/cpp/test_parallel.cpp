// Threads (issue 15): the thread count never changes a result.
//
// A training batch is split into fixed shards (train/shards.h) whose gradients are summed in shard
// order; predict and evaluate work in chunks of samples, each computed alone. So for a seed the
// weights after training, every prediction and every reported loss are the same bits on 1, 2, 3 or
// 4 threads, and equal what a caller gets by sharing the shards out itself (shard_gradients on
// copies of the model, then apply_gradients: the worker strategy of web/lib/parallel.js). The tsan
// suite runs these under ThreadSanitizer.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#if !defined(__EMSCRIPTEN__) || defined(__EMSCRIPTEN_PTHREADS__)
#include <thread>
#endif
#include <vector>

#include "core/thread_pool.h"
#include "io/model_file.h"
#include "test_helpers.h"
#include "train/model.h"
#include "train/shards.h"

#if !defined(__EMSCRIPTEN__) || defined(__EMSCRIPTEN_PTHREADS__)
#define WASMCNN_HAVE_THREADS 1
#else
#define WASMCNN_HAVE_THREADS 0  // the wasm test build is single-threaded: set_threads(n > 1) is an Error
#endif

using namespace wasmcnn;
using namespace wasmcnn::test;

namespace {

// Sets the pool for one test and puts it back to one thread after, whatever happens.
struct Threads {
  explicit Threads(int n) { set_threads(n); }
  ~Threads() { set_threads(1); }
};

LayerConfig batch_norm() {
  LayerConfig c;
  c.type = "batch_normalization";
  return c;
}

// Every path a shard can take: augmentation, noise and dropout (keyed per sample), batch norm (per
// shard statistics), L2 (added once after the sum), conv, pooling and dense kernels.
std::unique_ptr<Model> model(uint64_t seed) {
  auto m = std::make_unique<Model>(Shape{12, 12, 1}, seed);
  LayerConfig c1 = conv(6, 3, 1, "same", "linear");
  c1.kernel_l2 = 1e-3f;
  m->add(c1);
  m->add(batch_norm());
  m->add(activation("relu"));
  m->add(pool("max_pooling2d", 2, 2));
  m->add(gaussian_noise(0.1f));
  m->add(conv(8, 3, 1, "valid", "relu"));
  m->add(simple("flatten"));
  m->add(dropout(0.3f));
  m->add(dense(16, "relu"));
  m->add(batch_norm());
  m->add(dense(5, "softmax"));
  compile_augmented(*m);
  return m;
}

struct Data {
  std::vector<float> x, t;
  int n;
  explicit Data(int n_, uint64_t seed = 3) : n(n_) {
    Rng rng(seed);
    x = random_vector(rng, size_t(n) * 144, 0.f, 1.f);
    for (int i = 0; i < n; ++i) t.push_back(float(rng.below(5)));
  }
};

std::vector<float> params(const Model& m) {
  std::vector<float> p(m.param_floats());
  m.get_params(p.data());
  return p;
}

std::vector<float> flat(const Tensor& t) { return std::vector<float>(t.data(), t.data() + t.size()); }

struct Outcome {
  std::vector<float> weights, predictions;
  std::vector<double> losses;
};

// Three steps of batches of 64 and 58 samples (4 shards; 58: a short last one), then predict and evaluate.
Outcome train(int threads) {
  Threads pool(threads);
  auto m = model(21);
  Data d(122);
  Outcome o;
  for (int step = 0; step < 3; ++step) {
    BatchResult a = m->train_batch(d.x.data(), d.t.data(), 64);
    BatchResult b = m->train_batch(d.x.data() + 64 * 144, d.t.data() + 64, 58);
    REQUIRE(a.finite);
    REQUIRE(b.finite);
    o.losses.push_back(a.loss);
    o.losses.push_back(b.loss);
  }
  o.weights = params(*m);
  o.predictions = flat(m->predict(d.x.data(), d.n));
  o.losses.push_back(m->evaluate(d.x.data(), d.t.data(), d.n, 50).loss);
  return o;
}

}  // namespace

TEST_CASE("threads: shards of a batch") {
  CHECK(shard_count(1) == 1);
  CHECK(shard_count(16) == 1);
  CHECK(shard_count(17) == 2);
  CHECK(shard_count(64) == 4);
  CHECK(shard_begin(3) == 48);
  CHECK(shard_end(3, 58) == 58);
}

#if WASMCNN_HAVE_THREADS
TEST_CASE("threads: the pool runs tasks at once on its threads") {
  for (int n : {2, 3, 4}) {
    Threads pool(n);
    CHECK(threads() == n);
    CHECK(threads_started() == n - 1);
    // Each task waits until all n have started: only n threads running at once get past it (a
    // pool that ran them one after another would wait out the 10 s and fail).
    std::atomic<int> arrived{0};
    std::vector<int> worker_of(size_t(n), -1);
    parallel_for(size_t(n), [&](size_t task, int worker) {
      ++arrived;
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (arrived.load() < n && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
      worker_of[task] = worker;
    });
    CHECK(arrived.load() == n);
    std::sort(worker_of.begin(), worker_of.end());
    for (int w = 0; w < n; ++w) CHECK(worker_of[size_t(w)] == w);
  }
}

TEST_CASE("threads: weights, predictions and losses are the same bits on 1, 2, 3 and 4 threads") {
  const Outcome one = train(1);
  for (int n : {2, 3, 4}) {
    CAPTURE(n);
    const Outcome o = train(n);
    CHECK(o.weights == one.weights);
    CHECK(o.predictions == one.predictions);
    CHECK(o.losses == one.losses);
  }
}

TEST_CASE("threads: the model did learn (the shards are not idle)") {
  Threads pool(2);
  auto m = model(5);
  m->set_augment(AugmentOptions{});
  Data d(64);
  // Learnable labels: the brightest of five bands of rows.
  for (int i = 0; i < d.n; ++i) {
    double band[5] = {};
    for (int p = 0; p < 144; ++p) band[std::min(4, p / 12 / 2)] += d.x[size_t(i) * 144 + p];
    d.t[size_t(i)] = float(std::max_element(band, band + 5) - band);
  }
  const double before = m->evaluate(d.x.data(), d.t.data(), d.n, 64).loss;
  for (int i = 0; i < 40; ++i) REQUIRE(m->train_batch(d.x.data(), d.t.data(), d.n).finite);
  CHECK(m->evaluate(d.x.data(), d.t.data(), d.n, 64).loss < 0.7 * before);
}

#endif

TEST_CASE("threads: shards shared out by the caller (the worker strategy) give train_batch's step") {
  auto reference = model(9), coordinator = model(9);
  Data d(90);
  const int n = d.n, shards = shard_count(n);
  const size_t P = coordinator->param_floats();
  for (int step = 0; step < 3; ++step) {
    const BatchResult want = reference->train_batch(d.x.data(), d.t.data(), n);
    // Two "workers": copies of the model made from its file, given the coordinator's weights, each
    // computing a block of shards; the coordinator sums the blocks in shard order.
    std::vector<float> grads(size_t(shards) * P);
    std::vector<double> losses(static_cast<size_t>(shards));
    double correct = 0;
    const int blocks[][2] = {{0, 2}, {2, shards}};
    for (const auto& block : blocks) {
      const std::vector<uint8_t> file = save_model(*coordinator);
      auto worker = load_model(file.data(), file.size());
      worker->compile("sparse_categorical_crossentropy", OptimizerConfig{});
      worker->set_augment(coordinator->augment());
      const int b = shard_begin(block[0]);
      const BatchResult r = worker->shard_gradients(d.x.data() + b * 144, d.t.data() + b, n, block[0], block[1],
                                                    coordinator->step(), grads.data() + size_t(block[0]) * P,
                                                    losses.data() + block[0]);
      REQUIRE(r.finite);
      correct += r.accuracy;
    }
    const BatchResult got = coordinator->apply_gradients(grads.data(), losses.data(), shards, n, correct);
    CHECK(got.loss == want.loss);
    CHECK(got.accuracy == want.accuracy);
    CHECK(params(*coordinator) == params(*reference));
    CHECK(coordinator->step() == reference->step());
  }
}

#if WASMCNN_HAVE_THREADS
TEST_CASE("threads: each sample's prediction is computed alone (any split gives its bits)") {
  Threads pool(3);
  auto m = model(4);
  Data d(37);
  const std::vector<float> all = flat(m->predict(d.x.data(), d.n));
  set_threads(1);
  for (int i = 0; i < d.n; i += 5) {
    const std::vector<float> one = flat(m->predict(d.x.data() + i * 144, 1));
    CHECK(std::memcmp(one.data(), all.data() + i * 5, 5 * sizeof(float)) == 0);
  }
}

TEST_CASE("threads: a pool busy with one model runs another's work on its own thread, same bits") {
  const Outcome one = train(1);
  Threads pool(2);
  Outcome a, b;
  auto run = [](Outcome& o) {
    auto m = model(21);
    Data d(122);
    for (int step = 0; step < 3; ++step) {
      o.losses.push_back(m->train_batch(d.x.data(), d.t.data(), 64).loss);
      o.losses.push_back(m->train_batch(d.x.data() + 64 * 144, d.t.data() + 64, 58).loss);
    }
    o.weights = params(*m);
  };
  std::thread other([&] { run(a); });
  run(b);
  other.join();
  CHECK(a.weights == one.weights);
  CHECK(b.weights == one.weights);
}

#endif

TEST_CASE("threads: bad thread counts and shard ranges are Errors") {
  CHECK(error_of([] { set_threads(0); }).find("from 1 to 16, got 0") != std::string::npos);
  CHECK(error_of([] { set_threads(17); }).find("got 17") != std::string::npos);
  CHECK(threads() == 1);
  auto m = model(1);
  Data d(40);
  std::vector<float> out(m->param_floats() * 3);
  std::vector<double> losses(3);
  CHECK(error_of([&] { m->shard_gradients(d.x.data(), d.t.data(), 40, 2, 4, 0, out.data(), losses.data()); })
            .find("shards [2, 4) are not within the 3 shards of a batch of 40") != std::string::npos);
  CHECK(error_of([&] { m->apply_gradients(out.data(), losses.data(), 2, 40, 0); })
            .find("a batch of 40 samples has 3 shards, got 2") != std::string::npos);
#if WASMCNN_HAVE_THREADS
  // An error in one thread's task reaches the caller, and the pool keeps working.
  Threads pool(2);
  d.x[17 * 144] = std::nanf("");
  CHECK(error_of([&] { m->predict(d.x.data(), 40); }).find("sample 17") != std::string::npos);
  std::vector<int> seen(64, 0);
  CHECK(error_of([&] {
          parallel_for(64, [&](size_t i, int) {
            seen[i] = 1;
            if (i == 5) fail("task 5 failed");
          });
        }) == "task 5 failed");
  d.x[17 * 144] = 0.5f;
  CHECK(m->predict(d.x.data(), 40).dim(0) == 40);
#else
  CHECK(error_of([] { set_threads(2); }).find("single-threaded") != std::string::npos);
#endif
}
