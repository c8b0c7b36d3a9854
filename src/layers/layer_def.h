// LayerDef: everything about a layer kind that is not its arithmetic, written once, next to the
// layer's class (each layer file defines its `*_def()`), and listed once in layer_list.h.
//
// Every consumer walks these tables instead of keeping its own copy of the field list:
//   registry      make_layer() finds the kind by core type or Keras class name
//   validation    apply_option() / validate() range-check every option with one message per problem
//   model file    version 2 writes each layer as its Keras class and a map {option key: value}
//   Embind        layerDefs() hands the tables to JavaScript as JSON; Model.add takes a Keras
//                 config object and converts it option by option
//   web/lib       layers.js builds its factories and the config round trip from layerDefs();
//                 tfjs_format.js reads and writes Keras' snake_case keys from the same tables
//
// An option is named by its Keras/TF.js camelCase key ("kernelSize") and stored in the typed
// LayerConfig record (layer_config.h) through member pointers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "layers/layer_config.h"

namespace wasmcnn {

class Layer;

enum class OptionType {
  Int,          // a positive integer in [lo, hi]
  Real,         // a finite number in [lo, hi]
  Bool,
  Choice,       // one of `choices` (the activation and initializer names come from their tables)
  Pair,         // an integer in [lo, hi] or a pair of them: [height, width]
  Regularizer,  // {className: 'L1L2', config: {l1, l2}} or null: two reals
  Shape,        // an array of 1 to 3 integers in [lo, hi] (a per-sample shape)
  Margins,      // an integer in [lo, hi], [h, w] of them or [[top, bottom], [left, right]]: 4 ints
};

// A value on its way in or out: from JavaScript, from a model file, or read from a LayerConfig.
struct OptionValue {
  double a = 0, b = 0;  // Int, Real, Bool (0/1); Pair (a, b); Regularizer (l1, l2)
  std::string text;     // Choice
  std::vector<double> list;  // Shape; Margins (top, bottom, left, right)
  std::string shown;    // how the caller wrote it, for messages (JSON from JavaScript); else a number
};

struct OptionDef {
  OptionDef(const char* key_, OptionType type_, double lo_ = 0, double hi_ = 0)
      : key(key_), type(type_), lo(lo_), hi(hi_) {}
  const char* key;  // Keras camelCase: "kernelSize"
  OptionType type;
  double lo = 0, hi = 0;               // Int, Real, Pair
  std::vector<std::string> choices;    // Choice
  bool required = false;
  // Where the value lives. Pair and Regularizer use two members.
  int LayerConfig::*i1 = nullptr;
  int LayerConfig::*i2 = nullptr;
  float LayerConfig::*f1 = nullptr;
  float LayerConfig::*f2 = nullptr;
  bool LayerConfig::*flag = nullptr;
  std::string LayerConfig::*text = nullptr;
  std::vector<int> LayerConfig::*dims = nullptr;  // Shape, Margins
  // A Shape one of whose entries may be -1: "whatever size the input leaves" (Reshape).
  bool wildcard = false;
  // A Pair whose value 0 means "the value of this other option" (pooling strides = pool size).
  const char* defaults_to = nullptr;
  // Left out of a layer's JavaScript config when it has its default value (useBias, regularizers).
  bool quiet_default = false;
  // JavaScript null stands for "none": `hi` for a Real (ReLU's maxValue), no dims for a Shape
  // (PReLU's sharedAxes).
  bool nullable = false;
};

struct WeightDef {
  std::string name;  // Keras weight name: "kernel", "bias", "gamma", ...
  Shape shape;
};

struct LayerDef {
  LayerDef(const char* type_, const char* keras_, const char* factory_)
      : type(type_), keras(keras_), factory(factory_) {}
  const char* type;      // the core's name, used in messages: "max_pooling2d"
  const char* keras;     // Keras class name: "MaxPooling2D"
  const char* factory;   // cnn.layers.<factory>: "maxPooling2d"
  int arity = 1;         // number of inputs; 0: two or more (merge layers)
  bool training_only = false;  // behaves differently in training (dropout, noise, batch norm)
  std::vector<OptionDef> options;
  // The weights a layer with options `c` holds on inputs of shape `in` (already validated), in the
  // order params() returns them. Model files check a file's size against it before building.
  std::vector<WeightDef> (*weights)(const LayerConfig& c, const std::vector<Shape>& in) = nullptr;
  std::unique_ptr<Layer> (*make)(const LayerConfig& c) = nullptr;
};

// Every kind, in layer_list.h order.
const std::vector<const LayerDef*>& layer_defs();
// By core type ("conv2d") or Keras class name ("Conv2D"); errors list the known kinds.
const LayerDef& find_layer_def(const std::string& type_or_class, const std::string& layer_name = "");
const LayerDef* find_layer_def_or_null(const std::string& type_or_class);

// "conv2d 'conv2d_1'", or "conv2d" for a layer without a name yet.
std::string layer_who(const LayerDef& def, const std::string& name);

const OptionDef* find_option(const LayerDef& def, const std::string& key);
// Range-checks `v` and stores it in `c`; errors name the layer (`who`, by default layer_who()), the
// option and the value. The one place option values are checked, for every caller.
void apply_option(const LayerDef& def, LayerConfig& c, const OptionDef& opt, const OptionValue& v,
                  const std::string& who = "");
// The message for a value of the wrong kind (a string where a number belongs), worded as apply_option's.
std::string option_problem(const OptionDef& opt, const std::string& shown);
OptionValue read_option(const LayerConfig& c, const OptionDef& opt);
bool is_default(const LayerDef& def, const OptionDef& opt, const LayerConfig& c);
// Resets `c` to the kind's defaults, keeping type, name, trainable and lr_multiplier.
LayerConfig default_config(const LayerDef& def);
// Checks every option of `c` (however it was filled in) against its definition.
void validate(const LayerDef& def, const LayerConfig& c);

// The whole table as JSON for JavaScript: {kinds: [...], activations: [...], initializers: {...}}.
std::string layer_defs_json();

// Shared option rows, so that weighted layers read alike.
std::vector<OptionDef> weighted_options();  // activation, useBias, initializers, regularizers
OptionDef pair_option(const char* key, int LayerConfig::*h, int LayerConfig::*w, bool required);
OptionDef padding_option();
OptionDef margins_option(const char* key, bool required);

}  // namespace wasmcnn
