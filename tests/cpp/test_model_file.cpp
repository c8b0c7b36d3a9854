// The model file: round trips for every registered layer type, and every way a file can be wrong.
//
// The exhaustive loops (every truncation, every byte flipped) run over small models so the suite
// stays fast under the wasm build with SAFE_HEAP. Each mutated file is copied into a buffer of its
// exact size, so a read past its end is a heap overflow that AddressSanitizer reports.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>

#include "core/check.h"
#include "io/model_file.h"
#include "layers/registry.h"
#include "test_helpers.h"
#include "train/model.h"

using namespace wasmcnn;
using namespace wasmcnn::test;

namespace {

using Bytes = std::vector<uint8_t>;

LayerConfig make(const std::string& type, const std::string& name = "") {
  LayerConfig c;
  c.type = type;
  c.name = name;
  return c;
}
// Every weight set to a distinct value drawn from a generator seeded by the model's seed (BatchNorm
// variances positive), so a round trip that swapped, dropped or zeroed anything shows.
void scramble(Model& m) {
  Rng rng(m.seed());
  for (auto [layer, p] : m.weights())
    for (size_t k = 0; k < p->w.size(); ++k)
      p->w[k] = p->name == "moving_variance" ? rng.uniform(0.5f, 1.5f) : rng.uniform(-1.f, 1.f);
}

// input [4,4,1] conv2d -> flatten -> dense: small enough to mutate exhaustively.
std::unique_ptr<Model> tiny() {
  auto m = std::make_unique<Model>(Shape{4, 4, 1}, 11);
  m->add(conv(2, 3, 1, "valid", "relu"));
  m->add(make("flatten"));
  m->add(dense(3, "softmax"));
  m->set_metadata("{\"classes\":[\"a\",\"b\",\"c\"]}");
  scramble(*m);
  return m;
}

// input [4,4,2] pooling -> batch_normalization -> global average -> dense: the other small one.
std::unique_ptr<Model> tiny_bn() {
  auto m = std::make_unique<Model>(Shape{4, 4, 2}, 12);
  m->add(pool("max_pooling2d", 2, 0));
  m->add(make("batch_normalization"));
  m->add(make("global_average_pooling2d"));
  m->add(dense(2));
  scramble(*m);
  return m;
}

// Every layer type in the registry, with non-default options.
std::unique_ptr<Model> every_layer() {
  auto m = std::make_unique<Model>(Shape{6, 6, 2}, 13);
  LayerConfig c = conv(3, 3, 1, "same", "relu");
  c.name = "features";
  c.kernel_l2 = 1e-4f;
  c.lr_multiplier = 0.5f;
  m->add(c);
  m->add(make("batch_normalization"));
  LayerConfig d = make("dropout");
  d.rate = 0.25f;
  m->add(d);
  LayerConfig g = make("gaussian_noise");
  g.stddev = 0.1f;
  m->add(g);
  m->add(pool("max_pooling2d", 2, 0));                 // [3,3,3]
  m->add(pool("average_pooling2d", 2, 1));             // [2,2,3]
  m->add(pool("sum_pooling2d", 2, 1, "same"));         // [2,2,3]
  LayerConfig a = make("activation");
  a.activation = "tanh";
  m->add(a);                                           // activation_1
  m->add(make("add"), {"sum_pooling2d_1", "activation_1"});  // [2,2,3]
  LayerConfig pointwise = conv(2, 1);
  pointwise.use_bias = false;
  pointwise.kernel_initializer = "he_normal";
  pointwise.trainable = false;
  m->add(pointwise);                                   // [2,2,2]
  m->add(make("global_average_pooling2d"));            // [2]
  m->add(make("flatten"));
  LayerConfig bn = make("batch_normalization");
  bn.center = false;
  bn.scale = false;
  bn.momentum = 0.9f;
  bn.epsilon = 1e-2f;
  m->add(bn);
  m->add(dense(4, "softmax"));
  m->set_metadata("{\"note\":\"every layer\",\n \"unicode\":\"\xc3\xa9\"}");
  scramble(*m);
  return m;
}

std::unique_ptr<Model> load(const Bytes& b) { return load_model(b.data(), b.size()); }

// The message load_model throws for `b`; fails the test when `b` loads.
std::string load_error(const Bytes& b) {
  try {
    load(b);
  } catch (const Error& e) {
    return e.what();
  }
  FAIL_CHECK("the file loaded");
  return "";
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

void put_u32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = uint8_t(v >> (8 * i));
}
// The file with its trailing CRC recomputed: the corruption a buggy writer or an attacker makes.
Bytes with_crc(Bytes b) {
  put_u32(b, b.size() - 4, crc32(b.data(), b.size() - 4));
  return b;
}

std::vector<float> predict_zeros(Model& m) {
  std::vector<float> x(m.sample_size(), 0.f);
  const Tensor& y = m.predict(x.data(), 1);
  return std::vector<float>(y.data(), y.data() + y.size());
}

bool all_finite(const std::vector<float>& v) {
  for (float f : v)
    if (!std::isfinite(f)) return false;
  return true;
}

// An independent encoder of the documented layout, for files save_model would never write.
struct Enc {
  Bytes b;
  Enc& u8(uint8_t v) {
    b.push_back(v);
    return *this;
  }
  Enc& u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(uint8_t(v >> (8 * i)));
    return *this;
  }
  Enc& i32(int v) { return u32(uint32_t(v)); }
  Enc& f32(float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    return u32(bits);
  }
  Enc& str(const std::string& s) {
    u32(uint32_t(s.size()));
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Enc& shape(const Shape& s) {
    u32(uint32_t(s.size()));
    for (int d : s) i32(d);
    return *this;
  }
  Enc& header(const Shape& input, uint32_t layers, const std::string& metadata = "", uint64_t seed = 1,
               uint32_t version = 1) {
    b.insert(b.end(), {'W', 'C', 'N', 'N'});
    u32(version).str(metadata).u32(uint32_t(seed)).u32(uint32_t(seed >> 32)).shape(input);
    return u32(layers);
  }
  Enc& config(const LayerConfig& c) {
    str(c.type).str(c.name);
    u8(c.trainable).f32(c.lr_multiplier).i32(c.filters).i32(c.units).i32(c.kernel_h).i32(c.kernel_w);
    i32(c.stride_h).i32(c.stride_w).str(c.padding).str(c.activation).u8(c.use_bias);
    str(c.kernel_initializer).str(c.bias_initializer);
    f32(c.kernel_l1).f32(c.kernel_l2).f32(c.bias_l1).f32(c.bias_l2).i32(c.pool_h).i32(c.pool_w);
    f32(c.rate).f32(c.stddev).f32(c.momentum).f32(c.epsilon).u8(c.center).u8(c.scale);
    return *this;
  }
  // Version 2: class, name, trainable, lr multiplier, inputs, the option map (written here by hand,
  // not from the LayerDef tables, so the test checks the tables against the documented layout).
  Enc& node(const std::string& keras, const LayerConfig& c, const std::string& input) {
    str(keras).str(c.name).u8(c.trainable).f32(c.lr_multiplier).u32(1).str(input);
    auto number = [&](const char* k, double v) { str(k).u8(0).f32(float(v)); };
    auto flag = [&](const char* k, bool v) { str(k).u8(1).u8(v); };
    auto text = [&](const char* k, const std::string& v) { str(k).u8(2).str(v); };
    auto pair = [&](const char* k, double x, double y) { str(k).u8(3).f32(float(x)).f32(float(y)); };
    auto weighted = [&] {
      text("activation", c.activation);
      flag("useBias", c.use_bias);
      text("kernelInitializer", c.kernel_initializer == "glorot_uniform" ? "glorotUniform" : "?");
      text("biasInitializer", c.bias_initializer == "zeros" ? "zeros" : "?");
      pair("kernelRegularizer", c.kernel_l1, c.kernel_l2);
      pair("biasRegularizer", c.bias_l1, c.bias_l2);
    };
    if (keras == "Conv2D") {
      u32(11);
      number("filters", c.filters);
      pair("kernelSize", c.kernel_h, c.kernel_w);
      pair("strides", c.stride_h, c.stride_w);
      text("padding", c.padding);
      pair("dilationRate", c.dilation_h, c.dilation_w);
      weighted();
    } else if (keras == "Dense") {
      u32(7);
      number("units", c.units);
      weighted();
    } else {
      u32(0);
    }
    return *this;
  }
  Enc& param(const std::string& name, const Shape& s, const float* values) {
    str(name).shape(s);
    for (size_t k = 0; k < shape_size(s); ++k) f32(values[k]);
    return *this;
  }
  Enc& param(const std::string& name, const Shape& s, float value = 0.1f) {
    std::vector<float> v(shape_size(s), value);
    return param(name, s, v.data());
  }
  Bytes done() {
    u32(crc32(b.data(), b.size()));
    return b;
  }
};

// A file for `input` -> one layer `c` with the weights given, everything else valid.
Bytes one_layer(const Shape& input, const LayerConfig& c,
                const std::vector<std::pair<std::string, Shape>>& weights = {}) {
  Enc e;
  e.header(input, 1).config(c).u32(uint32_t(weights.size()));
  for (auto& [name, shape] : weights) e.param(name, shape);
  return e.done();
}

}  // namespace

TEST_CASE("model file: round trip keeps weights, predictions, options and metadata for every layer type") {
  std::set<std::string> used;
  for (auto build : {tiny, tiny_bn, every_layer}) {
    auto m = build();
    for (size_t i = 0; i < m->num_layers(); ++i) used.insert(m->layer(i).config().type);
    Bytes file = save_model(*m);
    auto back = load(file);
    CAPTURE(m->summary());
    CHECK(back->input_shape() == m->input_shape());
    CHECK(back->seed() == m->seed());
    CHECK(back->metadata() == m->metadata());
    REQUIRE(back->num_layers() == m->num_layers());
    for (size_t i = 0; i < m->num_layers(); ++i) {
      CHECK(back->layer(i).name() == m->layer(i).name());
      CHECK(back->layer(i).config().type == m->layer(i).config().type);
      CHECK(back->layer(i).trainable() == m->layer(i).trainable());
      CHECK(back->layer(i).output_shape() == m->layer(i).output_shape());
    }
    auto w0 = m->weights(), w1 = back->weights();
    REQUIRE(w0.size() == w1.size());
    for (size_t i = 0; i < w0.size(); ++i) {
      REQUIRE(w0[i].second->w.shape() == w1[i].second->w.shape());
      CHECK(std::memcmp(w0[i].second->w.data(), w1[i].second->w.data(), w0[i].second->w.size() * 4) == 0);
    }
    // Saving the loaded model gives the same bytes: every option went through unchanged.
    CHECK(save_model(*back) == file);

    Rng rng(5);
    std::vector<float> x(3 * m->sample_size());
    for (float& v : x) v = rng.uniform(-1.f, 1.f);
    const Tensor& y0 = m->predict(x.data(), 3);
    std::vector<float> expect(y0.data(), y0.data() + y0.size());
    const Tensor& y1 = back->predict(x.data(), 3);
    REQUIRE(y1.size() == expect.size());
    CHECK(std::memcmp(y1.data(), expect.data(), expect.size() * 4) == 0);
  }
  // Every kind (enumerated from the definitions) also goes through the file in test_layer_defs.cpp.
  CHECK(used.size() >= 11);
}

TEST_CASE("model file: the layout is the documented one") {
  auto m = tiny();
  Enc e;
  e.header(m->input_shape(), uint32_t(m->num_layers()), m->metadata(), m->seed(), 2);
  const char* classes[] = {"Conv2D", "Flatten", "Dense"};
  for (size_t i = 0; i < m->num_layers(); ++i) {
    Layer& layer = m->layer(i);
    e.node(classes[i], layer.config(), i ? m->layer(i - 1).name() : "").u32(uint32_t(layer.params().size()));
    for (Param* p : layer.params()) e.param(p->name, p->w.shape(), p->w.data());
  }
  CHECK(e.done() == save_model(*m));
}

TEST_CASE("model file: a model with no layers is a valid file") {
  Model m({3}, 99);
  m.set_metadata("empty");
  Bytes file = save_model(m);
  auto back = load(file);
  CHECK(back->num_layers() == 0);
  CHECK(back->input_shape() == Shape{3});
  CHECK(back->metadata() == "empty");
  CHECK(save_model(*back) == file);
}

TEST_CASE("model file: wrong magic, version, checksum and trailing bytes") {
  const Bytes good = save_model(*tiny());

  Bytes b = good;
  b[0] = 'X';
  std::string msg = load_error(b);
  CHECK(has(msg, "bad magic at byte offset 0"));
  CHECK(has(msg, "not a wasmcnn model"));
  CHECK(has(load_error(Bytes{'{', '"', 'a'}), "truncated at byte offset 0 reading magic"));
  CHECK(has(load_error({}), "truncated at byte offset 0"));
  CHECK_THROWS_AS(load_model(nullptr, 0), Error);

  b = good;
  put_u32(b, 4, 3);
  msg = load_error(with_crc(b));
  CHECK(has(msg, "unsupported version 3 at byte offset 4"));
  CHECK(has(msg, "reads versions 1 and 2"));

  b = good;
  b[b.size() - 1] ^= 1;
  CHECK(has(load_error(b), "checksum mismatch at byte offset " + std::to_string(good.size() - 4)));

  b = good;
  b.insert(b.end(), {1, 2, 3});
  CHECK(has(load_error(b), "3 unexpected bytes after the checksum at byte offset " + std::to_string(good.size())));
}

TEST_CASE("model file: truncation at every offset is an error that says so") {
  for (auto build : {tiny, tiny_bn}) {
    const Bytes good = save_model(*build());
    for (size_t n = 0; n < good.size(); ++n) {
      Bytes cut(good.begin(), good.begin() + n);  // exact size: an over-read is a heap overflow
      CAPTURE(n);
      CHECK(has(load_error(cut), "truncated"));
    }
  }
}

TEST_CASE("model file: every single-byte corruption is detected") {
  for (auto build : {tiny, tiny_bn}) {
    const Bytes good = save_model(*build());
    for (size_t i = 0; i < good.size(); ++i)
      for (uint8_t mask : {0x01, 0x80, 0xFF}) {
        Bytes b = good;
        b[i] ^= mask;
        CAPTURE(i);
        CAPTURE(int(mask));
        std::string msg = load_error(b);
        CHECK(has(msg, "model file: "));
        CHECK((has(msg, "byte offset") || has(msg, "checksum")));
      }
  }
}

TEST_CASE("model file: a corrupted byte under a recomputed checksum is an error or a model that runs") {
  // What a buggy writer produces: the CRC cannot help, so the structure checks must.
  int loaded = 0, refused = 0;
  for (auto build : {tiny, tiny_bn}) {
    const Bytes good = save_model(*build());
    for (size_t i = 0; i + 4 < good.size(); ++i)
      for (uint8_t mask : {0x01, 0x80, 0xFF}) {
        Bytes b = good;
        b[i] ^= mask;
        b = with_crc(b);
        CAPTURE(i);
        CAPTURE(int(mask));
        std::unique_ptr<Model> m;
        try {
          m = load(b);
        } catch (const Error& e) {
          std::string msg = e.what();
          CHECK(has(msg, "byte offset"));
          ++refused;
          continue;
        }
        ++loaded;
        if (m->num_layers()) CHECK_MESSAGE(all_finite(predict_zeros(*m)), m->summary());
        CHECK(save_model(*m) == b);
      }
  }
  CHECK(loaded > 0);  // both outcomes occur: the loop tests the checks, not just the first one
  CHECK(refused > 0);
}

TEST_CASE("model file: a NaN weight under a correct checksum names the layer, the weight and the offset") {
  auto m = tiny();
  Bytes b = save_model(*m);
  const size_t at = b.size() - 4 - 3 * 4;  // dense_1's bias, the last tensor: [3]
  const float nan = std::nanf("");
  std::memcpy(&b[at], &nan, 4);
  std::string msg = load_error(with_crc(b));
  CHECK(has(msg, "layer 2 'dense_1'"));
  CHECK(has(msg, "weight 'bias' value 0 at byte offset " + std::to_string(at) + " is not finite"));

  const float inf = INFINITY;
  std::memcpy(&b[at + 8], &inf, 4);
  std::memset(&b[at], 0, 4);
  CHECK(has(load_error(with_crc(b)), "weight 'bias' value 2 at byte offset " + std::to_string(at + 8)));
}

TEST_CASE("model file: absurd dimensions are refused before anything is allocated") {
  // Each of these, if built, would allocate gigabytes; the file holds a few hundred bytes.
  LayerConfig c = conv(16777216, 4096);
  c.name = "huge";
  std::string msg = load_error(one_layer({8, 8, 1}, c));
  CHECK(has(msg, "layer 0 'huge'"));
  CHECK(has(msg, "absurd dimensions"));

  c = conv(16777216, 1);
  c.name = "wide";
  msg = load_error(one_layer({4, 4, 1}, c));
  CHECK(has(msg, "conv2d with this configuration on input [4,4,1] has 33554432 weights"));

  Enc e;
  LayerConfig d = dense(16777216);
  d.name = "d";
  e.header({16}, 1).config(d).u32(2);
  msg = load_error(e.done());
  CHECK(has(msg, "has 285212672 weights"));

  LayerConfig bn = make("batch_normalization", "bn");
  msg = load_error(one_layer({16777216}, bn));
  CHECK(has(msg, "has 67108864 weights"));

  // Input shapes: rank, zero and negative dimensions, too many values.
  CHECK(has(load_error(Enc().header({1, 1, 1, 1}, 0).done()), "input shape at byte offset "));
  CHECK(has(load_error(Enc().header({1, 1, 1, 1}, 0).done()), "has rank 4 (expected 1..3)"));
  CHECK(has(load_error(Enc().header({}, 0).done()), "has rank 0"));
  CHECK(has(load_error(Enc().header({5, 0}, 0).done()), "has dimension 0"));
  CHECK(has(load_error(Enc().header({5, -3}, 0).done()), "has dimension -3"));
  msg = load_error(Enc().header({65536, 65536, 1}, 0).done());
  CHECK(has(msg, "input shape at byte offset"));
  CHECK(has(msg, "[65536,65536,1] has more than 2^28 elements"));

  // Integer options outside 0..2^24, whatever the layer.
  LayerConfig f = make("flatten", "f");
  f.pool_h = -1;
  CHECK(has(load_error(one_layer({4}, f)), "pool_h at byte offset"));
  f.pool_h = 1 << 30;
  CHECK(has(load_error(one_layer({4}, f)), "is 1073741824 (expected 0..16777216)"));

  // Counts and lengths that do not fit in what is left of the file.
  msg = load_error(Enc().header({4}, 0xFFFFFFFF).done());
  CHECK(has(msg, "layer count 4294967295 at byte offset"));
  CHECK(has(msg, "absurd"));
  msg = load_error(Enc().header({4}, 50).done());
  CHECK(has(msg, "layer count 50"));
  CHECK(has(msg, "truncated or corrupted"));
  Bytes b = Enc().header({4}, 0).done();
  put_u32(b, 8, 0xFFFFFFF0);  // the metadata length
  CHECK(has(load_error(b), "metadata at byte offset 8 claims 4294967280 bytes (at most 1048576)"));
  put_u32(b, 8, 1000);
  CHECK(has(load_error(b), "truncated at byte offset 12 reading metadata (needs 1000 bytes"));
}

TEST_CASE("model file: layer records that do not add up") {
  // Unknown type, bad names, options the layer refuses, weights that do not match the layer.
  // A file with input [4] has its first layer at byte offset 32; the name follows the type.
  std::string msg = load_error(one_layer({4}, make("lstm", "rnn")));
  CHECK(has(msg, "layer 0 'rnn' (byte offset 32): "));
  CHECK(has(msg, "unknown layer type 'lstm'"));
  const std::string flatten_name = "layer name at byte offset " + std::to_string(32 + 4 + 7);
  CHECK(has(load_error(one_layer({4}, make("flatten", ""))), flatten_name + " is empty"));
  msg = load_error(one_layer({4}, make("flatten", std::string("a\0b", 3))));
  CHECK(has(msg, flatten_name + " contains the control character 0 at index 1"));
  CHECK(has(load_error(one_layer({4}, make("flatten", "a\nb"))), "control character 10"));
  CHECK(has(load_error(one_layer({4}, make("flatten", std::string(300, 'x')))), "claims 300 bytes (at most 256)"));
  CHECK(load(one_layer({4}, make("flatten", "\xc3\xa9t\xc3\xa9")))->layer(0).name() == "\xc3\xa9t\xc3\xa9");

  LayerConfig d = dense(3);
  d.name = "out";
  d.activation = "swoosh";
  CHECK(has(load_error(one_layer({4}, d, {{"kernel", {4, 3}}, {"bias", {3}}})), "unknown activation 'swoosh'"));
  d.activation = "relu";
  d.lr_multiplier = NAN;
  CHECK(has(load_error(one_layer({4}, d, {{"kernel", {4, 3}}, {"bias", {3}}})), "lr_multiplier at byte offset"));
  d.lr_multiplier = 1.f;
  Bytes b = one_layer({4}, d, {{"kernel", {4, 3}}, {"bias", {3}}});
  CHECK(load(b)->num_layers() == 1);
  const size_t trainable_at = 32 + (4 + 5) + (4 + 3);  // after the type "dense" and the name "out"
  b[trainable_at] = 2;
  CHECK(has(load_error(with_crc(b)),
            "trainable at byte offset " + std::to_string(trainable_at) + " must be 0 or 1, got 2"));

  msg = load_error(one_layer({4}, d, {{"kernel", {4, 3}}}));
  CHECK(has(msg, "weight count at byte offset"));
  CHECK(has(msg, "is 1, a dense layer with this configuration has 2"));
  CHECK(has(load_error(one_layer({4}, d, {{"bias", {3}}, {"kernel", {4, 3}}})), "is 'bias', expected 'kernel'"));
  msg = load_error(one_layer({4}, d, {{"kernel", {3, 4}}, {"bias", {3}}}));
  CHECK(has(msg, "weight 'kernel' at byte offset"));
  CHECK(has(msg, "has shape [3,4], the layer needs [4,3]"));
  CHECK(has(load_error(one_layer({4}, d, {{"kernel", {4, 3, 1, 1, 1}}, {"bias", {3}}})), "has rank 5"));

  // A shape that does not fit the previous layer's output is Model::add's error, with the offset.
  LayerConfig c = conv(2, 3);
  c.name = "c";
  msg = load_error(one_layer({4}, c));
  CHECK(has(msg, "layer 0 'c' (byte offset 32): conv2d 'c': expected an input of shape [height,width,channels]"));
  LayerConfig dup = make("flatten", "same");
  Enc e;
  e.header({4}, 2).config(dup).u32(0).config(dup).u32(0);
  CHECK(has(load_error(e.done()), "duplicate layer name 'same'"));
}

TEST_CASE("model file: save refuses what load would refuse") {
  auto m = tiny();
  m->set_metadata(std::string("a\0b", 3));
  std::string msg;
  try {
    save_model(*m);
  } catch (const Error& e) {
    msg = e.what();
  }
  CHECK(has(msg, "model file: cannot save: metadata contains the control character 0"));

  m = tiny();
  m->layer(1).set_lr_multiplier(NAN);
  CHECK_THROWS_WITH_AS(save_model(*m), "model file: cannot save: layer 1 'flatten_1': lr_multiplier is not finite",
                       Error);
  m = tiny();
  m->weights()[1].second->w[0] = INFINITY;
  CHECK_THROWS_WITH_AS(save_model(*m), "model file: cannot save: layer 0 'conv2d_1': weight 'bias' value 0 is not finite",
                       Error);
  Model named({4}, 1);
  named.add(make("flatten", "tab\there"));
  CHECK_THROWS_WITH_AS(save_model(named),
                       "model file: cannot save: layer 0 'tab\there': layer name contains the control character 9 at index 3",
                       Error);
  // Version 2 writes only the options a kind has: a field another kind uses is not in the file.
  Model odd({4}, 1);
  LayerConfig f = make("flatten");
  f.units = -1;
  odd.add(f);
  CHECK(load(save_model(odd))->layer(0).config().units == 0);
}

// The seeds of tests/fuzz/corpus: small valid files of different layer types. With
// WASMCNN_WRITE_FUZZ_CORPUS=1 this test (re)writes them; it always checks that they still load and
// save to the same bytes, so a format change that forgets the corpus fails here.
TEST_CASE("model file: the fuzz seed corpus loads and round-trips") {
  const std::pair<const char*, std::unique_ptr<Model> (*)()> seeds[] = {
      {"tiny_conv_dense.wcnn", tiny},
      {"tiny_pool_bn.wcnn", tiny_bn},
      {"every_layer.wcnn", every_layer},
      {"no_layers.wcnn", [] { return std::make_unique<Model>(Shape{3}, 7); }},
  };
  const std::string dir = std::string(WASMCNN_SOURCE_DIR) + "/tests/fuzz/corpus/";
  const bool write = std::getenv("WASMCNN_WRITE_FUZZ_CORPUS") != nullptr;
  for (auto& seed : seeds) {
    const std::string name = seed.first;
    CAPTURE(name);
    if (write) {
      Bytes b = save_model(*seed.second());
      std::ofstream(dir + name, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), b.size());
    }
    std::ifstream in(dir + name, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "missing; run with WASMCNN_WRITE_FUZZ_CORPUS=1 to write it");
    Bytes b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(b.size() < 20000);
    auto m = load(b);
    CHECK(save_model(*m) == b);
  }
  // The version-1 seeds (written before version 2) still load, and save as a version-2 fixed point.
  for (const char* name : {"v1_tiny_conv_dense.wcnn", "v1_tiny_pool_bn.wcnn", "v1_every_layer.wcnn"}) {
    CAPTURE(name);
    std::ifstream in(dir + name, std::ios::binary);
    REQUIRE(in.good());
    Bytes b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto m = load(b);
    const Bytes v2 = save_model(*m);
    CHECK(save_model(*load(v2)) == v2);
  }
}
