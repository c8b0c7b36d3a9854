// Merge layers in graphs (Model::add(config, inputs)): outputs computed by hand with 2 and 3 inputs,
// ties, and the errors that name the layer and the shapes. Gradients: the guard in
// test_layer_defs.cpp (every merge kind with 2 and 3 inputs) and the graph test below.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/check.h"
#include "graph_check.h"
#include "layers/registry.h"
#include "test_helpers.h"
#include "train/model.h"

using namespace wasmcnn;
using namespace wasmcnn::test;

namespace {

// x, r = ReLU(x) and l = LeakyReLU(x, 0.5) for x = [1, -2, 3, -4], merged by `type` from `inputs`
// ("" is x). Returns the merge's output.
std::vector<float> merged(const std::string& type, const std::vector<std::string>& inputs, int axis = -1) {
  Model m({4}, 1);
  m.add(named(simple("re_lu"), "r"), {""});
  LayerConfig l = named(simple("leaky_re_lu"), "l");
  l.leaky_alpha = 0.5f;
  m.add(l, {""});
  LayerConfig c = named(simple(type), "merge");
  c.axis = axis;
  m.add(c, inputs);
  const float x[] = {1, -2, 3, -4};
  const Tensor& y = m.predict(x, 1);
  return std::vector<float>(y.data(), y.data() + y.size());
}

}  // namespace

TEST_CASE("merge layers: outputs with 2 and 3 inputs") {
  // x = [1, -2, 3, -4], r = [1, 0, 3, 0], l = [1, -1, 3, -2]
  CHECK(merged("add", {"", "r"}) == std::vector<float>{2, -2, 6, -4});
  CHECK(merged("subtract", {"", "r"}) == std::vector<float>{0, -2, 0, -4});
  CHECK(merged("subtract", {"r", ""}) == std::vector<float>{0, 2, 0, 4});
  CHECK(merged("multiply", {"", "r"}) == std::vector<float>{1, 0, 9, 0});
  CHECK(merged("multiply", {"", "r", "l"}) == std::vector<float>{1, 0, 27, 0});
  CHECK(merged("multiply", {"", "l", "l"}) == std::vector<float>{1, -2, 27, -16});
  CHECK(merged("average", {"", "r"}) == std::vector<float>{1, -1, 3, -2});
  CHECK(merged("average", {"", "r", "l"}) == std::vector<float>{1, -1, 3, -2});
  CHECK(merged("maximum", {"", "r"}) == std::vector<float>{1, 0, 3, 0});
  CHECK(merged("maximum", {"", "l", "r"}) == std::vector<float>{1, 0, 3, 0});
  CHECK(merged("minimum", {"", "r"}) == std::vector<float>{1, -2, 3, -4});
  CHECK(merged("minimum", {"r", "l"}) == std::vector<float>{1, -1, 3, -2});
  CHECK(merged("concatenate", {"", "r"}) == std::vector<float>{1, -2, 3, -4, 1, 0, 3, 0});
  CHECK(merged("concatenate", {"l", "", "r"}, 1) == std::vector<float>{1, -1, 3, -2, 1, -2, 3, -4, 1, 0, 3, 0});
}

TEST_CASE("maximum and minimum: on ties the gradient goes to the first input") {
  for (const char* type : {"maximum", "minimum"}) {
    CAPTURE(type);
    auto layer = make_layer(named(simple(type), "m"));
    CHECK(layer->build_n({{4}, {4}, {4}}) == Shape{4});
    Tensor a({1, 4}), b({1, 4}), c({1, 4}), y, dy({1, 4}), da, db, dc;
    const float av[] = {1, 5, 2, 0}, bv[] = {1, 1, 2, 7}, cv[] = {1, 5, -3, 7};
    std::copy(av, av + 4, a.data());
    std::copy(bv, bv + 4, b.data());
    std::copy(cv, cv + 4, c.data());
    const float dyv[] = {1, 2, 3, 4};
    std::copy(dyv, dyv + 4, dy.data());
    Context ctx;
    layer->forward_n({&a, &b, &c}, y, ctx);
    layer->backward_n({&a, &b, &c}, y, dy, {&da, &db, &dc}, ctx);
    const bool max = std::string(type) == "maximum";
    // max: [1 (all tie: a), 5 (a, c tie: a), 2 (a, b tie: a), 7 (b, c tie: b)]
    // min: [1 (a), 1 (b), -3 (c), 0 (a)]
    CHECK(std::vector<float>(y.data(), y.data() + 4) == (max ? std::vector<float>{1, 5, 2, 7} : std::vector<float>{1, 1, -3, 0}));
    CHECK(std::vector<float>(da.data(), da.data() + 4) == (max ? std::vector<float>{1, 2, 3, 0} : std::vector<float>{1, 0, 0, 4}));
    CHECK(std::vector<float>(db.data(), db.data() + 4) == (max ? std::vector<float>{0, 0, 0, 4} : std::vector<float>{0, 2, 0, 0}));
    CHECK(std::vector<float>(dc.data(), dc.data() + 4) == (max ? std::vector<float>{0, 0, 0, 0} : std::vector<float>{0, 0, 3, 0}));
  }
}

TEST_CASE("merge layers: backward by hand (multiply, average, subtract, concatenate)") {
  Tensor a({1, 3}), b({1, 3}), c({1, 2}), y, dy, da, db, dc;
  const float av[] = {2, -1, 0.5f}, bv[] = {3, 4, -2}, cv[] = {7, 8};
  std::copy(av, av + 3, a.data());
  std::copy(bv, bv + 3, b.data());
  std::copy(cv, cv + 2, c.data());
  Context ctx;
  auto run = [&](const char* type, std::vector<const Tensor*> x, std::vector<Tensor*> dx, std::vector<float> g) {
    auto layer = make_layer(named(simple(type), "m"));
    std::vector<Shape> shapes;
    for (const Tensor* t : x) shapes.push_back({t->dim(1)});
    layer->build_n(shapes);
    layer->forward_n(x, y, ctx);
    dy.resize(y.shape());
    std::copy(g.begin(), g.end(), dy.data());
    layer->backward_n(x, y, dy, dx, ctx);
  };
  run("multiply", {&a, &b}, {&da, &db}, {1, 1, 1});
  CHECK(std::vector<float>(da.data(), da.data() + 3) == std::vector<float>{3, 4, -2});  // d(ab)/da = b
  CHECK(std::vector<float>(db.data(), db.data() + 3) == std::vector<float>{2, -1, 0.5f});
  run("average", {&a, &b}, {&da, nullptr}, {1, 2, 4});
  CHECK(std::vector<float>(da.data(), da.data() + 3) == std::vector<float>{0.5f, 1, 2});
  run("subtract", {&a, &b}, {nullptr, &db}, {1, 2, 4});
  CHECK(std::vector<float>(db.data(), db.data() + 3) == std::vector<float>{-1, -2, -4});
  run("concatenate", {&a, &c}, {&da, &dc}, {1, 2, 3, 4, 5});
  CHECK(std::vector<float>(y.data(), y.data() + 5) == std::vector<float>{2, -1, 0.5f, 7, 8});
  CHECK(std::vector<float>(da.data(), da.data() + 3) == std::vector<float>{1, 2, 3});
  CHECK(std::vector<float>(dc.data(), dc.data() + 2) == std::vector<float>{4, 5});
}

TEST_CASE("concatenate: along any per-sample axis of an image, with its gradient in a graph") {
  // [2, 2, 1] and [2, 2, 2] along channels -> [2, 2, 3]; [2, 2, 1] and [1, 2, 1] along rows -> [3, 2, 1].
  Model m({2, 2, 1}, 3);
  m.add(named(conv(2, 1, 1, "same", "tanh"), "c2"), {""});
  LayerConfig cat = named(simple("concatenate"), "cat");
  m.add(cat, {"", "c2"});
  CHECK(m.output_shape() == Shape{2, 2, 3});
  Model rows({2, 2, 1}, 3);
  LayerConfig crop = named(simple("reshape"), "half");
  rows.add(named(simple("flatten"), "f"), {""});
  LayerConfig d = named(dense(2, "tanh"), "d");
  rows.add(d, {"f"});
  crop.target_shape = {1, 2, 1};
  rows.add(crop, {"d"});
  LayerConfig along_rows = named(simple("concatenate"), "rows");
  along_rows.axis = 1;
  rows.add(along_rows, {"", "half"});
  CHECK(rows.output_shape() == Shape{3, 2, 1});
  const float x[] = {1, 2, 3, 4};
  const Tensor& y = rows.predict(x, 1);
  CHECK(std::vector<float>(y.data(), y.data() + 4) == std::vector<float>{1, 2, 3, 4});

  m.add(simple("flatten"));
  m.add(dense(2, "softmax"));
  OptimizerConfig sgd;
  sgd.type = "sgd";
  m.compile("sparse_categorical_crossentropy", sgd);
  Rng rng(6);
  CHECK(check_model_gradients(m, random_vector(rng, 8), {0, 1}, 2) > 0);
}

TEST_CASE("merge layers: errors name the layer and the shapes") {
  Model m({4}, 1);
  m.add(named(simple("flatten"), "f"), {""});
  m.add(named(dense(3), "d"), {""});
  CHECK(error_of([&] { m.add(named(simple("subtract"), "sub"), {"", "f", "f"}); }) ==
        "subtract 'sub': takes exactly 2 inputs (x0 - x1), got 3");
  CHECK(error_of([&] { m.add(named(simple("multiply"), "mul"), {"", "d"}); }) ==
        "multiply 'mul': input 1 has shape [3], input 0 has [4] (all inputs must have the same shape)");
  CHECK(error_of([&] { m.add(named(simple("maximum"), "mx"), {""}); }).find("maximum 'mx': takes two or more inputs, got 1") == 0);

  auto cat = make_layer(named(simple("concatenate"), "cat"));
  CHECK(error_of([&] { cat->build_n({{4, 4, 2}, {5, 4, 3}}); }) ==
        "concatenate 'cat': input 1 has shape [5,4,3], input 0 has [4,4,2] (they must match on every axis but the "
        "concatenation axis 3)");
  CHECK(error_of([&] { cat->build_n({{4, 4, 2}, {4, 2}}); }).find("concatenate 'cat': input 1 has shape [4,2], input 0 has [4,4,2]") == 0);
  LayerConfig c = named(simple("concatenate"), "c5");
  c.axis = 3;
  CHECK(error_of([&] { make_layer(c)->build_n({{4}, {4}}); }) ==
        "concatenate 'c5': axis 3 is not a per-sample axis of input 0 [4] (expected 1..1 or -1..-1; the batch is axis 0)");
}

TEST_CASE("a graph with every merge kind and the new activation layers trains (the loss falls)") {
  // input [6,6,2] -> a: conv relu6, b: conv + prelu, c: conv + reLU(maxValue 1)
  //   -> subtract(a, b), multiply(a, b, c), average(a, c), maximum(b, c), minimum(a, b, c)
  //   -> concatenate (channels) -> spatialDropout2d -> conv swish -> flatten -> dense softmax
  Model m({6, 6, 2}, 11);
  m.add(named(conv(3, 3, 1, "same", "relu6"), "a"), {""});
  m.add(named(conv(3, 3, 1, "same"), "b_lin"), {""});
  LayerConfig prelu = named(simple("p_re_lu"), "b");
  prelu.shared_axes = {1, 2};
  m.add(prelu, {"b_lin"});
  m.add(named(conv(3, 3, 1, "same"), "c_lin"), {""});
  LayerConfig capped = named(simple("re_lu"), "c");
  capped.max_value = 1.f;
  m.add(capped, {"c_lin"});
  m.add(named(simple("subtract"), "sub"), {"a", "b"});
  m.add(named(simple("multiply"), "mul"), {"a", "b", "c"});
  m.add(named(simple("average"), "avg"), {"a", "c"});
  m.add(named(simple("maximum"), "max"), {"b", "c"});
  m.add(named(simple("minimum"), "min"), {"a", "b", "c"});
  m.add(named(simple("concatenate"), "cat"), {"sub", "mul", "avg", "max", "min"});
  CHECK(m.output_shape() == Shape{6, 6, 15});
  LayerConfig drop = named(simple("spatial_dropout2d"), "drop");
  drop.rate = 0.1f;
  m.add(drop);
  m.add(conv(4, 3, 2, "valid", "swish"));
  m.add(simple("flatten"));
  m.add(dense(3, "softmax"));
  OptimizerConfig adam;
  adam.type = "adam";
  adam.learning_rate = 0.01f;
  m.compile("sparse_categorical_crossentropy", adam);
  Rng rng(3);
  const std::vector<float> x = random_vector(rng, 6 * 72);
  const std::vector<float> t = {0, 1, 2, 0, 1, 2};
  const double first = m.train_batch(x.data(), t.data(), 6).loss;
  double last = first;
  for (int step = 0; step < 60; ++step) last = m.train_batch(x.data(), t.data(), 6).loss;
  CHECK(std::isfinite(last));
  CHECK(last < 0.5 * first);
}
