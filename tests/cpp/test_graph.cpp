// Graph models: nodes reading any earlier nodes, the Add merge layer, gradients that meet where a
// tensor fans out, and graph edges in the model file.
#include <doctest/doctest.h>

#include <cstring>

#include "core/check.h"
#include "graph_check.h"
#include "io/model_file.h"
#include "test_helpers.h"
#include "train/model.h"

using namespace wasmcnn;
using namespace wasmcnn::test;

namespace {

OptimizerConfig sgd() {
  OptimizerConfig o;
  o.type = "sgd";
  o.learning_rate = 0.1f;
  return o;
}

// A residual block: c1 fans out to c2 and to the Add (the skip connection).
//   input [5,5,2] -> c1 conv tanh -> c2 conv -> add(c1, c2) -> flatten -> dense softmax
std::unique_ptr<Model> residual(uint64_t seed = 3) {
  auto m = std::make_unique<Model>(Shape{5, 5, 2}, seed);
  m->add(named(conv(3, 3, 1, "same", "tanh"), "c1"));
  m->add(named(conv(3, 3, 1, "same", "tanh"), "c2"));
  m->add(named(simple("add"), "sum"), {"c1", "c2"});
  m->add(simple("flatten"));
  m->add(dense(3, "softmax"));
  m->compile("sparse_categorical_crossentropy", sgd());
  return m;
}

}  // namespace

TEST_CASE("graph: Add sums its inputs, and a residual block's gradients agree with finite differences") {
  auto m = residual();
  CHECK(m->node_inputs(2) == std::vector<int>{0, 1});
  CHECK(m->node_inputs(1) == std::vector<int>{0});
  CHECK(m->node_inputs(0) == std::vector<int>{-1});
  Rng rng(9);
  std::vector<float> x = random_vector(rng, 2 * 50);
  std::vector<float> t = {0, 2};
  m->keep_activations(true);
  m->predict(x.data(), 2);
  const Tensor &a = m->activation(0), &b = m->activation(1), &sum = m->activation(2);
  for (size_t i = 0; i < sum.size(); ++i) CHECK(sum[i] == a[i] + b[i]);
  CHECK(check_model_gradients(*m, x, t, 2) > 40);
}

TEST_CASE("graph: the fan-out gradient is the sum over consumers (Add of a tensor with itself is 2x)") {
  // y = add(c, c): every gradient into c is doubled against y = c scaled by 2 through a dense layer.
  Model m({4}, 5);
  m.add(named(dense(3, "tanh"), "c"));
  m.add(named(simple("add"), "twice"), {"c", "c"});
  m.add(dense(2, "softmax"));
  m.compile("sparse_categorical_crossentropy", sgd());
  Rng rng(1);
  std::vector<float> x = random_vector(rng, 4 * 3), t = {1, 0, 1};
  CHECK(check_model_gradients(m, x, t, 3) > 10);
}

TEST_CASE("graph: a chain built with explicit inputs trains exactly like the sequential model") {
  auto build = [](bool explicit_inputs) {
    auto m = std::make_unique<Model>(Shape{4, 4, 1}, 21);
    if (explicit_inputs) {
      m->add(named(conv(2, 3, 1, "same", "relu"), "c"), {""});
      m->add(named(simple("flatten"), "f"), {"c"});
      m->add(named(dense(2, "softmax"), "d"), {"f"});
    } else {
      m->add(named(conv(2, 3, 1, "same", "relu"), "c"));
      m->add(named(simple("flatten"), "f"));
      m->add(named(dense(2, "softmax"), "d"));
    }
    m->compile("sparse_categorical_crossentropy", sgd());
    return m;
  };
  auto a = build(false), b = build(true);
  Rng rng(2);
  std::vector<float> x = random_vector(rng, 3 * 16), t = {0, 1, 1};
  for (int step = 0; step < 3; ++step) {
    a->train_batch(x.data(), t.data(), 3);
    b->train_batch(x.data(), t.data(), 3);
  }
  auto wa = a->weights(), wb = b->weights();
  REQUIRE(wa.size() == wb.size());
  for (size_t i = 0; i < wa.size(); ++i)
    CHECK(std::memcmp(wa[i].second->w.data(), wb[i].second->w.data(), wa[i].second->w.size() * 4) == 0);
}

TEST_CASE("graph: bad edges are refused naming the layer") {
  Model m({4}, 1);
  m.add(named(dense(3), "a"));
  auto message = [&](auto f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message([&] { m.add(named(simple("add"), "s"), {"a", "zzz"}); }) ==
        "add 's': input 'zzz' is not an earlier layer of the model");
  CHECK(message([&] { m.add(named(simple("add"), "s")); }).find("add 's': takes two or more inputs, got 1") == 0);
  CHECK(message([&] { m.add(named(simple("add"), "s"), {"a", ""}); }) ==
        "add 's': input 1 has shape [4], input 0 has [3] (all inputs must have the same shape)");
  CHECK(message([&] { m.add(named(dense(2), "d"), {"a", "a"}); }) == "dense 'd': takes 1 input, got 2");
  CHECK(m.num_layers() == 1);
}

TEST_CASE("graph: the model file keeps the edges; cycles, dangling inputs and duplicates are refused") {
  auto m = residual();
  const std::vector<uint8_t> file = save_model(*m);
  auto back = load_model(file.data(), file.size());
  REQUIRE(back->num_layers() == 5);
  CHECK(back->node_inputs(2) == std::vector<int>{0, 1});
  CHECK(save_model(*back) == file);
  Rng rng(4);
  std::vector<float> x = random_vector(rng, 50);
  const Tensor& y0 = m->predict(x.data(), 1);
  std::vector<float> expect(y0.data(), y0.data() + y0.size());
  const Tensor& y1 = back->predict(x.data(), 1);
  CHECK(std::vector<float>(y1.data(), y1.data() + y1.size()) == expect);

  // Renaming an input to a later node (a cycle), to no node, or a layer to an earlier name.
  auto with = [&](const std::string& from, const std::string& to) {
    std::vector<uint8_t> b = file;
    const std::string needle = std::string("\x02\0\0\0", 4) + from;  // length-prefixed name
    auto at = std::search(b.begin(), b.end(), needle.begin(), needle.end());
    REQUIRE(at != b.end());
    REQUIRE(to.size() == from.size());
    std::copy(to.begin(), to.end(), at + 4);
    const uint32_t crc = crc32(b.data(), b.size() - 4);
    for (int i = 0; i < 4; ++i) b[b.size() - 4 + i] = uint8_t(crc >> (8 * i));
    try {
      load_model(b.data(), b.size());
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("loaded");
  };
  // The first "c2" in the file is c2's own name: renaming it leaves the Add's input 'c2' dangling.
  std::string msg = with("c2", "zz");
  CHECK(msg.find("input name at byte offset") != std::string::npos);
  CHECK(msg.find("is 'c2', not the model's input") != std::string::npos);
  msg = with("c2", "c1");  // a duplicate name
  CHECK(msg.find("duplicate layer name 'c1'") != std::string::npos);
}

TEST_CASE("graph: predict's memory plan keeps a few activations of a 50-layer chain, not 50") {
  Model m({64}, 1);
  for (int i = 0; i < 50; ++i) m.add(dense(64, "tanh"));
  std::vector<float> x(64 * 16, 0.5f);
  const Tensor& y = m.predict(x.data(), 16);
  const std::vector<float> lean(y.data(), y.data() + y.size());
  const size_t one = 16 * 64 * sizeof(float);
  CHECK(m.activation_bytes() <= 3 * one);
  CHECK(m.activation_bytes() >= one);
  CHECK_THROWS_WITH_AS(m.activation(3), doctest::Contains("predict released it"), Error);
  // Keeping every activation gives the same outputs, and every layer's output to look at.
  m.keep_activations(true);
  const Tensor& y2 = m.predict(x.data(), 16);
  CHECK(std::vector<float>(y2.data(), y2.data() + y2.size()) == lean);
  CHECK(m.activation(3).size() == 16 * 64);
  CHECK(m.activation_bytes() >= 50 * one);
}
