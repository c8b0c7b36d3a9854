// The guard over every layer kind, enumerated from layer_defs() (not from a hand list): a kind that
// skips a path (a definition whose weights() disagrees with its layer, an option without a range
// check, a kind the model file cannot carry) fails here.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "core/check.h"
#include "gradcheck.h"
#include "graph_check.h"
#include "io/model_file.h"
#include "layers/activation.h"
#include "layers/layer_def.h"
#include "layers/registry.h"
#include "test_helpers.h"
#include "train/model.h"

using namespace wasmcnn;
using namespace wasmcnn::test;

namespace {

// The kind's defaults with every required option set to a small valid value.
LayerConfig minimal(const LayerDef& def) {
  LayerConfig c = default_config(def);
  for (const OptionDef& o : def.options) {
    if (!o.required) continue;
    OptionValue v;
    v.a = v.b = o.type == OptionType::Real ? std::min(o.lo + 0.25, o.hi) : std::max(o.lo, 2.0);
    if (o.type == OptionType::Choice) v.text = o.choices.back();
    // fits the flat input [8] below (a Shape of axes, Permute's, takes the first axis)
    if (o.type == OptionType::Shape) v.list = {o.hi >= 8 ? 8.0 : o.lo};
    if (o.type == OptionType::Margins) v.list = {1, 0, 0, 1};
    apply_option(def, c, o, v);
  }
  return c;
}

// Appends a layer of the kind: a one-input kind after what is there, a merge (arity 0) on the
// model's input and `inputs - 1` dense layers 'm0', 'm1', ... of the same shape, so that a
// gradient reaches it.
Layer& add_kind(Model& m, const LayerDef& def, const LayerConfig& c, int inputs = 2) {
  if (def.arity == 1) return m.add(c);
  std::vector<std::string> names = {""};
  for (int k = 0; k + 1 < inputs; ++k) {
    LayerConfig d = dense(m.input_shape()[0], k % 2 ? "sigmoid" : "tanh");
    d.name = "m" + std::to_string(k);
    m.add(d, {""});
    names.push_back(d.name);
  }
  return m.add(c, names);
}

// Options beyond the defaults that change what a kind computes, each checked as the defaults are.
// Every activation name goes through the Activation layer (and Dense's fused epilogue, below).
std::vector<LayerConfig> representative(const LayerDef& def, const LayerConfig& base) {
  std::vector<LayerConfig> out;
  auto with = [&](auto set) {
    LayerConfig c = base;
    set(c);
    out.push_back(c);
  };
  const std::string type = def.type;
  if (type == "activation")
    for (const std::string& name : activation_names()) with([&](LayerConfig& c) { c.activation = name; });
  if (type == "re_lu") {
    with([](LayerConfig& c) { c.max_value = 6.f; });
    with([](LayerConfig& c) {
      c.max_value = 0.75f;
      c.negative_slope = 0.25f;
      c.threshold = 0.125f;
    });
  }
  if (type == "leaky_re_lu") with([](LayerConfig& c) { c.leaky_alpha = 0.05f; });
  if (type == "elu") with([](LayerConfig& c) { c.alpha = 0.5f; });
  if (type == "p_re_lu") {
    with([](LayerConfig& c) { c.shared_axes = {1, 2}; });
    with([](LayerConfig& c) { c.shared_axes = {2}; });
    with([](LayerConfig& c) { c.shared_axes = {3}; });
  }
  if (type == "softmax") {
    with([](LayerConfig& c) { c.axis = 1; });
    with([](LayerConfig& c) { c.axis = -2; });
  }
  if (type == "concatenate") with([](LayerConfig& c) { c.axis = 1; });
  return out;
}

// An input of shape [6,6,2] or, for kinds that need a flat one, [8].
Shape input_for(const LayerDef& def) {
  for (const Shape& s : {Shape{6, 6, 2}, Shape{8}}) {
    try {
      Model m(s, 1);
      add_kind(m, def, minimal(def));
      return s;
    } catch (const Error&) {
    }
  }
  FAIL("no input shape builds ", def.type);
  return {};
}

}  // namespace

TEST_CASE("layer definitions: every kind builds, matches its weights(), trains, saves, and refuses bad options") {
  REQUIRE(layer_defs().size() == layer_types().size());
  for (const LayerDef* def : layer_defs()) {
    const std::string type = def->type;
    CAPTURE(type);
    CHECK(find_layer_def_or_null(def->keras) == def);
    CHECK(find_layer_def_or_null(def->type) == def);
    CHECK(bool(def->make));
    CHECK(def->arity >= 0);
    const LayerConfig c = minimal(*def);
    const Shape in = input_for(*def);

    // The definition's weights() is what the built layer holds, name by name and shape by shape.
    Model m(in, 3);
    Layer& layer = add_kind(m, *def, c);
    std::vector<WeightDef> expected = def->weights ? def->weights(layer.config(), {in}) : std::vector<WeightDef>{};
    auto params = layer.params();
    REQUIRE(params.size() == expected.size());
    for (size_t i = 0; i < params.size(); ++i) {
      CHECK(params[i]->name == expected[i].name);
      CHECK(params[i]->w.shape() == expected[i].shape);
    }

    // Backward agrees with finite differences (a merge layer inside its graph, with 2 and 3
    // inputs; a kind that refuses 3 says so, naming itself), with the defaults and representative options.
    std::vector<LayerConfig> variants = representative(*def, c);
    variants.insert(variants.begin(), c);
    for (const LayerConfig& v : variants) {
      const std::string act = v.activation, axis = std::to_string(v.axis);
      CAPTURE(act);
      CAPTURE(axis);
      if (def->arity == 1) {
        check_gradients(v, in, 2);
        continue;
      }
      for (int inputs : {2, 3}) {
        CAPTURE(inputs);
        Model g(in, 4);
        try {
          add_kind(g, *def, v, inputs);
        } catch (const Error& e) {
          CHECK(inputs == 3);
          CHECK(std::string(e.what()).find(std::string(def->type) + " '") == 0);
          continue;
        }
        g.add(dense(2, "softmax"));
        OptimizerConfig sgd;
        sgd.type = "sgd";
        g.compile("sparse_categorical_crossentropy", sgd);
        Rng data(8);
        CHECK(check_model_gradients(g, random_vector(data, 2 * shape_size(in)), {0, 1}, 2) > 0);
      }
    }

    // The model file carries it: save, load, same predictions, same bytes.
    m.add(simple("flatten"));
    m.add(dense(2));
    std::vector<float> x(m.sample_size());
    Rng rng(5);
    fill_uniform(rng, x.data(), x.size());
    const Tensor& y = m.predict(x.data(), 1);
    const std::vector<float> before(y.data(), y.data() + y.size());
    const std::vector<uint8_t> file = save_model(m);
    auto back = load_model(file.data(), file.size());
    CHECK(back->layer(def->arity == 1 ? 0 : 1).config().type == def->type);
    const Tensor& y2 = back->predict(x.data(), 1);
    CHECK(std::vector<float>(y2.data(), y2.data() + y2.size()) == before);
    CHECK(save_model(*back) == file);

    // Each option out of its range (or not among its choices) is refused, naming layer and option.
    for (const OptionDef& o : def->options) {
      const std::string key = o.key;
      CAPTURE(key);
      if (o.type == OptionType::Bool) continue;  // no invalid bool
      LayerConfig bad = c;
      bad.name = "bad";
      OptionValue v;
      v.a = v.b = o.lo - 1;
      v.text = "no-such-choice";
      v.list = {o.lo - 1};
      std::string message;
      try {
        apply_option(*def, bad, o, v);
      } catch (const Error& e) {
        message = e.what();
      }
      CHECK(message.find(std::string(def->type) + " 'bad': ") == 0);
      CHECK(message.find(o.key) != std::string::npos);
      // The same problem through Model::add (a config filled in directly) gives the same message.
      if (o.type != OptionType::Choice) {
        LayerConfig direct = c;
        direct.name = "bad";
        if (o.i1) direct.*o.i1 = o.defaults_to ? -1 : int(o.lo - 1);  // 0 there means "the default"
        if (o.f1) direct.*o.f1 = float(o.lo - 1);
        if (o.dims) direct.*o.dims = {int(o.lo - 1)};
        Model fresh(in, 1);
        std::string direct_message;
        try {
          add_kind(fresh, *def, direct);
        } catch (const Error& e) {
          direct_message = e.what();
        }
        CHECK(direct_message.find(std::string(def->type) + " 'bad': " + o.key) == 0);
      }
    }
  }
}

TEST_CASE("layer definitions: the JSON for JavaScript names every kind and option") {
  const std::string json = layer_defs_json();
  for (const LayerDef* def : layer_defs()) {
    CHECK(json.find(std::string("\"className\":\"") + def->keras + "\"") != std::string::npos);
    for (const OptionDef& o : def->options) CHECK(json.find(std::string("\"key\":\"") + o.key + "\"") != std::string::npos);
  }
  CHECK(json.find("\"activations\":[\"linear\",\"relu\",\"sigmoid\",\"tanh\",\"softmax\",\"relu6\",\"elu\",\"selu\","
                  "\"swish\",\"silu\",\"gelu\",\"hardSigmoid\",\"softplus\",\"softsign\",\"mish\"]") !=
        std::string::npos);
  CHECK(json.find("\"leCunUniform\":\"lecun_uniform\"") != std::string::npos);
}
