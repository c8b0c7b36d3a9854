// LeNet-5 on 10,000 real MNIST digits: 8,000 to train for two epochs, 2,000 held out.
// Select or skip it with doctest's -tc="lenet5 learns MNIST" / -tce="lenet5 learns MNIST".
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "test_helpers.h"
#include "train/model.h"

using namespace wasmcnn;
using namespace wasmcnn::test;

namespace {

// web/lib/mnist-sample.bin, written by scripts/make_data.mjs (WCDS, little-endian u32 header):
// "WCDS", version 1, count, height 28, width 28, channels 1, count*784 uint8 pixels, count labels.
struct Digits {
  int count = 0;
  std::vector<uint8_t> pixels, labels;
};

uint32_t u32_le(const std::vector<uint8_t>& b, size_t at) {
  return uint32_t(b[at]) | uint32_t(b[at + 1]) << 8 | uint32_t(b[at + 2]) << 16 | uint32_t(b[at + 3]) << 24;
}

Digits read_digits(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) FAIL(path, " is missing: run `node scripts/make_data.mjs` (after `npm install`) to create it");
  std::vector<uint8_t> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE_MESSAGE(b.size() >= 24, path, " is shorter than its header");
  REQUIRE_MESSAGE(std::string(b.begin(), b.begin() + 4) == "WCDS", path, " is not a WCDS file");
  REQUIRE(u32_le(b, 4) == 1);
  Digits d;
  d.count = int(u32_le(b, 8));
  REQUIRE(u32_le(b, 12) == 28);
  REQUIRE(u32_le(b, 16) == 28);
  REQUIRE(u32_le(b, 20) == 1);
  REQUIRE(b.size() == 24 + size_t(d.count) * 785);
  d.pixels.assign(b.begin() + 24, b.begin() + 24 + size_t(d.count) * 784);
  d.labels.assign(b.begin() + 24 + size_t(d.count) * 784, b.end());
  return d;
}

LayerConfig lenet_pool() { return pool("max_pooling2d", 2, 2); }

}  // namespace

TEST_CASE("lenet5 learns MNIST") {
  const Digits digits = read_digits(std::string(WASMCNN_SOURCE_DIR) + "/web/lib/mnist-sample.bin");
  constexpr int kTrain = 8000, kTest = 2000;
  REQUIRE(digits.count >= kTrain + kTest);
  REQUIRE(std::all_of(digits.labels.begin(), digits.labels.end(), [](uint8_t l) { return l < 10; }));

  // make_data.mjs has written the digits sorted by class in some versions: shuffle with a fixed
  // seed (harmless when the file is already shuffled) so both splits hold every class.
  std::vector<uint32_t> order(size_t(digits.count));
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  Rng(20240601).shuffle(order.data(), uint32_t(order.size()));
  std::vector<float> x(size_t(kTrain + kTest) * 784), t(size_t(kTrain + kTest));
  int test_per_class[10] = {};
  for (int i = 0; i < kTrain + kTest; ++i) {
    const uint32_t from = order[size_t(i)];
    for (int p = 0; p < 784; ++p) x[size_t(i) * 784 + p] = digits.pixels[size_t(from) * 784 + p] / 255.f;
    t[size_t(i)] = float(digits.labels[from]);
    if (i >= kTrain) ++test_per_class[digits.labels[from]];
  }
  for (int c = 0; c < 10; ++c) CHECK(test_per_class[c] > 100);

  Model m({28, 28, 1}, 1);
  m.add(conv(6, 5, 1, "same", "relu"));
  m.add(lenet_pool());
  m.add(conv(16, 5, 1, "valid", "relu"));
  m.add(lenet_pool());
  m.add(simple("flatten"));
  m.add(dense(120, "relu"));
  m.add(dense(84, "relu"));
  m.add(dense(10, "softmax"));
  REQUIRE(m.output_shape() == Shape{10});
  // Adam at 1e-3 reached 0.9485-0.9645 test accuracy for model seeds 1-3 (below the bar for seed 1);
  // at 3e-3 it reaches 0.961-0.974 for seeds 1-7 (natively), so 3e-3 it is.
  OptimizerConfig adam;
  adam.type = "adam";
  adam.learning_rate = 3e-3f;
  m.compile("sparse_categorical_crossentropy", adam);

  FitOptions fit;
  fit.epochs = 2;
  fit.batch_size = 32;
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  const std::vector<BatchResult> history = m.fit(x.data(), t.data(), kTrain, fit);
  const double train_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const BatchResult test = m.evaluate(x.data() + size_t(kTrain) * 784, t.data() + kTrain, kTest, 256);
  const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu_s = double(std::clock() - cpu_start) / CLOCKS_PER_SEC;

  REQUIRE(history.size() == 2);
  MESSAGE("LeNet-5, adam lr 3e-3, batch 32, 2 epochs on ", kTrain, " digits: epoch losses ", history[0].loss,
          ", ", history[1].loss, "; train accuracy ", history[1].accuracy, "; test accuracy ", test.accuracy,
          " on ", kTest, "; ", train_s, " s training, ", total_s, " s with evaluation (", cpu_s, " s CPU)");
  CHECK(history[1].loss < history[0].loss);
  CHECK(test.accuracy >= 0.95);
}
