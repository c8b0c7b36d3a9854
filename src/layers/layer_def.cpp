#include "layers/layer_def.h"

#include <cmath>
#include <sstream>

#include "core/check.h"
#include "layers/activation.h"
#include "layers/init.h"
#include "layers/layer_list.h"

namespace wasmcnn {

namespace {
constexpr double kMaxSize = 2147483647;  // any size option: the core's ints; memory runs out long before

std::string num(double v) {
  std::ostringstream os;
  os.precision(12);
  os << v;
  return os.str();
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// The initializer names JavaScript may give: Keras' camelCase, the core's snake_case, and TF.js'
// spelling 'lecunUniform'. Returns the core name, or "" when unknown.
std::string core_initializer(const std::string& name) {
  if (name == "lecunUniform") return "lecun_uniform";
  for (const InitializerName& n : initializer_names())
    if (name == n.keras || name == n.core) return n.core;
  return "";
}
std::string keras_initializer(const std::string& core) {
  for (const InitializerName& n : initializer_names())
    if (core == n.core) return n.keras;
  return core;
}
bool is_initializer(const OptionDef& opt) {
  return opt.text == &LayerConfig::kernel_initializer || opt.text == &LayerConfig::bias_initializer ||
         opt.text == &LayerConfig::pointwise_initializer || opt.text == &LayerConfig::alpha_initializer;
}

void json_string(std::ostringstream& os, const std::string& s) {
  os << '"';
  for (char ch : s) {
    if (ch == '"' || ch == '\\') os << '\\';
    os << ch;
  }
  os << '"';
}
}  // namespace

const std::vector<const LayerDef*>& layer_defs() {
  static const std::vector<const LayerDef*> defs = {
#define WASMCNN_LAYER(def) &def(),
      WASMCNN_LAYERS
#undef WASMCNN_LAYER
  };
  return defs;
}

const LayerDef* find_layer_def_or_null(const std::string& type_or_class) {
  for (const LayerDef* d : layer_defs())
    if (type_or_class == d->type || type_or_class == d->keras) return d;
  return nullptr;
}

const LayerDef& find_layer_def(const std::string& type_or_class, const std::string& layer_name) {
  if (const LayerDef* d = find_layer_def_or_null(type_or_class)) return *d;
  std::vector<std::string> known;
  for (const LayerDef* d : layer_defs()) known.push_back(std::string(d->type) + " (" + d->keras + ")");
  fail("unknown layer type '", type_or_class, "'", layer_name.empty() ? "" : " for layer '" + layer_name + "'",
       " (known: ", join(known), ")");
}

std::string layer_who(const LayerDef& def, const std::string& name) {
  return name.empty() ? std::string(def.type) : std::string(def.type) + " '" + name + "'";
}

const OptionDef* find_option(const LayerDef& def, const std::string& key) {
  for (const OptionDef& o : def.options)
    if (key == o.key) return &o;
  return nullptr;
}

std::string option_problem(const OptionDef& opt, const std::string& shown) {
  const std::string key = opt.key;
  const bool size = opt.lo == 1 && opt.hi == kMaxSize;
  switch (opt.type) {
    case OptionType::Int:
      return size ? key + " must be a positive integer (below 2^31), got " + shown
                  : key + " must be an integer in [" + num(opt.lo) + ", " + num(opt.hi) + "], got " + shown;
    case OptionType::Pair:
      return (size ? key + " must be a positive integer (below 2^31)"
                   : key + " must be an integer in [" + num(opt.lo) + ", " + num(opt.hi) + "]") +
             " or a pair of them, got " + shown;
    case OptionType::Real:
      return key + " must be " + (opt.nullable ? "null or " : "") + "a number in [" + num(opt.lo) + ", " +
             num(opt.hi) + "], got " + shown;
    case OptionType::Bool:
      return key + " must be true or false, got " + shown;
    case OptionType::Regularizer:
      return key + " must come from cnn.regularizers.l1/l2/l1l2 (finite, non-negative factors), got " + shown;
    case OptionType::Choice:
      return "unknown " + key + " " + shown + " (known: " + join(opt.choices) + ")";
    case OptionType::Shape:
      return key + " must be " + (opt.nullable ? "null or " : "") + "an array of 1 to 3 " +
             (size ? std::string("positive integers (below 2^31)")
                   : "integers in [" + num(opt.lo) + ", " + num(opt.hi) + "]") +
             (opt.wildcard ? ", one of which may be -1" : "") + ", got " + shown;
    case OptionType::Margins:
      return key + " must be an integer in [" + num(opt.lo) + ", " + num(opt.hi) +
             "], a pair [height, width] of them or [[top, bottom], [left, right]], got " + shown;
  }
  return key;
}

void apply_option(const LayerDef& def, LayerConfig& c, const OptionDef& opt, const OptionValue& v,
                  const std::string& who_given) {
  const std::string who = who_given.empty() ? layer_who(def, c.name) : who_given;
  auto in_range = [&](double x) { return std::isfinite(x) && x >= opt.lo && x <= opt.hi; };
  auto is_int = [&](double x) { return in_range(x) && x == std::floor(x); };
  auto shown = [&] {
    if (!v.shown.empty()) return v.shown;
    switch (opt.type) {
      case OptionType::Pair: return "[" + num(v.a) + "," + num(v.b) + "]";
      case OptionType::Regularizer: return "{l1: " + num(v.a) + ", l2: " + num(v.b) + "}";
      case OptionType::Choice: return "'" + v.text + "'";
      case OptionType::Shape: case OptionType::Margins: {
        std::string s = "[";
        for (size_t i = 0; i < v.list.size(); ++i) s += (i ? "," : "") + num(v.list[i]);
        return s + "]";
      }
      default: return num(v.a);
    }
  };
  bool ok = true;
  switch (opt.type) {
    case OptionType::Int:
      if ((ok = is_int(v.a))) c.*opt.i1 = int(v.a);
      break;
    case OptionType::Pair:
      if ((ok = is_int(v.a) && is_int(v.b))) {
        c.*opt.i1 = int(v.a);
        c.*opt.i2 = int(v.b);
      }
      break;
    case OptionType::Real:
      if ((ok = in_range(v.a))) c.*opt.f1 = float(v.a);
      break;
    case OptionType::Bool:
      c.*opt.flag = v.a != 0;
      break;
    case OptionType::Regularizer:
      if ((ok = in_range(v.a) && in_range(v.b))) {
        c.*opt.f1 = float(v.a);
        c.*opt.f2 = float(v.b);
      }
      break;
    case OptionType::Choice: {
      const std::string value = is_initializer(opt) ? core_initializer(v.text) : v.text;
      ok = false;
      for (const std::string& choice : opt.choices)
        ok |= !value.empty() && (is_initializer(opt) ? core_initializer(choice) : choice) == value;
      if (ok) c.*opt.text = value;
      break;
    }
    case OptionType::Shape: {
      ok = (opt.nullable || !v.list.empty()) && v.list.size() <= 3;
      int wildcards = 0;
      for (double d : v.list) {
        if (opt.wildcard && d == -1) ++wildcards;
        else ok &= is_int(d);
      }
      ok &= wildcards <= 1;
      if (ok) c.*opt.dims = std::vector<int>(v.list.begin(), v.list.end());
      break;
    }
    case OptionType::Margins:
      ok = v.list.size() == 4;
      for (double d : v.list) ok &= is_int(d);
      if (ok) c.*opt.dims = std::vector<int>(v.list.begin(), v.list.end());
      break;
  }
  if (!ok) fail(who, ": ", option_problem(opt, shown()));
}

OptionValue read_option(const LayerConfig& c, const OptionDef& opt) {
  OptionValue v;
  switch (opt.type) {
    case OptionType::Int: v.a = c.*opt.i1; break;
    case OptionType::Pair: v.a = c.*opt.i1; v.b = c.*opt.i2; break;
    case OptionType::Real: v.a = c.*opt.f1; break;
    case OptionType::Bool: v.a = c.*opt.flag; break;
    case OptionType::Regularizer: v.a = c.*opt.f1; v.b = c.*opt.f2; break;
    case OptionType::Choice: v.text = is_initializer(opt) ? keras_initializer(c.*opt.text) : c.*opt.text; break;
    case OptionType::Shape: case OptionType::Margins: v.list.assign((c.*opt.dims).begin(), (c.*opt.dims).end()); break;
  }
  return v;
}

LayerConfig default_config(const LayerDef& def) {
  LayerConfig c;
  c.type = def.type;
  for (const OptionDef& o : def.options)
    if (o.defaults_to) c.*o.i1 = c.*o.i2 = 0;  // 0: take the other option's value
  return c;
}

bool is_default(const LayerDef& def, const OptionDef& opt, const LayerConfig& c) {
  const LayerConfig d = default_config(def);
  const OptionValue a = read_option(c, opt), b = read_option(d, opt);
  return a.a == b.a && a.b == b.b && a.text == b.text && a.list == b.list;
}

void validate(const LayerDef& def, const LayerConfig& c) {
  check(c.type == def.type, "internal error: a ", c.type, " config checked as ", def.type);
  const std::string who = layer_who(def, c.name);
  check(std::isfinite(c.lr_multiplier) && c.lr_multiplier >= 0.f && c.lr_multiplier <= 1e6f, who,
        ": lrMultiplier must be a number in [0, 1e+06], got ", c.lr_multiplier);
  for (const OptionDef& o : def.options) {
    OptionValue v = read_option(c, o);
    // 0 in a defaults_to pair means "the other option's value": valid as stored.
    if (o.defaults_to && v.a == 0 && v.b == 0) continue;
    LayerConfig scratch = c;
    apply_option(def, scratch, o, v);
  }
}

std::string layer_defs_json() {
  std::ostringstream os;
  os << "{\"kinds\":[";
  bool first_def = true;
  for (const LayerDef* d : layer_defs()) {
    os << (first_def ? "" : ",") << "{\"type\":";
    first_def = false;
    json_string(os, d->type);
    os << ",\"className\":";
    json_string(os, d->keras);
    os << ",\"factory\":";
    json_string(os, d->factory);
    os << ",\"arity\":" << d->arity << ",\"trainingOnly\":" << (d->training_only ? "true" : "false")
       << ",\"options\":[";
    const LayerConfig dc = default_config(*d);
    bool first = true;
    for (const OptionDef& o : d->options) {
      static const char* types[] = {"int", "real", "bool", "choice", "pair", "regularizer", "shape", "margins"};
      os << (first ? "" : ",") << "{\"key\":";
      first = false;
      json_string(os, o.key);
      os << ",\"type\":\"" << types[int(o.type)] << "\",\"required\":" << (o.required ? "true" : "false")
         << ",\"quietDefault\":" << (o.quiet_default ? "true" : "false")
         << ",\"nullable\":" << (o.nullable ? "true" : "false");
      if (o.type == OptionType::Int || o.type == OptionType::Real || o.type == OptionType::Pair ||
          o.type == OptionType::Shape || o.type == OptionType::Margins)
        os << ",\"min\":" << num(o.lo) << ",\"max\":" << num(o.hi);
      if (o.wildcard) os << ",\"wildcard\":true";
      if (o.defaults_to) {
        os << ",\"defaultsTo\":";
        json_string(os, o.defaults_to);
      }
      if (!o.choices.empty()) {
        os << ",\"choices\":[";
        for (size_t i = 0; i < o.choices.size(); ++i) {
          os << (i ? "," : "");
          json_string(os, o.choices[i]);
        }
        os << "]";
      }
      if (!o.required && !o.defaults_to) {
        const OptionValue v = read_option(dc, o);
        os << ",\"default\":";
        if (o.nullable && (o.type == OptionType::Real ? v.a == o.hi : v.list.empty())) {
          os << "null}";
          continue;
        }
        switch (o.type) {
          case OptionType::Int: case OptionType::Real: os << num(v.a); break;
          case OptionType::Bool: os << (v.a ? "true" : "false"); break;
          case OptionType::Pair: os << "[" << num(v.a) << "," << num(v.b) << "]"; break;
          case OptionType::Regularizer: os << "null"; break;
          case OptionType::Choice: json_string(os, v.text); break;
          case OptionType::Shape: {
            os << "[";
            for (size_t i = 0; i < v.list.size(); ++i) os << (i ? "," : "") << num(v.list[i]);
            os << "]";
            break;
          }
          case OptionType::Margins:
            os << "[[" << num(v.list[0]) << "," << num(v.list[1]) << "],[" << num(v.list[2]) << "," << num(v.list[3]) << "]]";
            break;
        }
      }
      os << "}";
    }
    os << "]}";
  }
  os << "],\"activations\":[";
  for (size_t i = 0; i < activation_names().size(); ++i) {
    os << (i ? "," : "");
    json_string(os, activation_names()[i]);
  }
  os << "],\"initializers\":{";
  for (size_t i = 0; i < initializer_names().size(); ++i) {
    os << (i ? "," : "");
    json_string(os, initializer_names()[i].keras);
    os << ":";
    json_string(os, initializer_names()[i].core);
  }
  os << "}}";
  return os.str();
}

OptionDef pair_option(const char* key, int LayerConfig::*h, int LayerConfig::*w, bool required) {
  OptionDef o{key, OptionType::Pair, 1, kMaxSize};
  o.required = required;
  o.i1 = h;
  o.i2 = w;
  return o;
}

OptionDef padding_option() {
  OptionDef o{"padding", OptionType::Choice};
  o.choices = {"valid", "same"};
  o.text = &LayerConfig::padding;
  return o;
}

OptionDef margins_option(const char* key, bool required) {
  OptionDef o{key, OptionType::Margins, 0, 1 << 20};
  o.required = required;
  o.dims = &LayerConfig::margins;
  return o;
}

std::vector<OptionDef> weighted_options() {
  OptionDef act{"activation", OptionType::Choice};
  act.choices = activation_names();
  act.text = &LayerConfig::activation;
  OptionDef bias{"useBias", OptionType::Bool};
  bias.flag = &LayerConfig::use_bias;
  bias.quiet_default = true;
  std::vector<std::string> inits;
  for (const InitializerName& n : initializer_names()) inits.push_back(n.keras);
  OptionDef ki{"kernelInitializer", OptionType::Choice};
  ki.choices = inits;
  ki.text = &LayerConfig::kernel_initializer;
  OptionDef bi = ki;
  bi.key = "biasInitializer";
  bi.text = &LayerConfig::bias_initializer;
  OptionDef kr{"kernelRegularizer", OptionType::Regularizer, 0, 1e30};
  kr.f1 = &LayerConfig::kernel_l1;
  kr.f2 = &LayerConfig::kernel_l2;
  kr.quiet_default = true;
  OptionDef br = kr;
  br.key = "biasRegularizer";
  br.f1 = &LayerConfig::bias_l1;
  br.f2 = &LayerConfig::bias_l2;
  return {act, bias, ki, bi, kr, br};
}

}  // namespace wasmcnn
