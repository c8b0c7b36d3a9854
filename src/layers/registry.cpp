#include "layers/registry.h"

#include "core/check.h"

namespace wasmcnn {

namespace {
using Factory = std::unique_ptr<Layer> (*)(const LayerConfig&);
struct Entry {
  const char* type;
  Factory make;
};
const Entry kLayers[] = {
    {"conv2d", make_conv2d},
    {"dense", make_dense},
    {"flatten", make_flatten},
    {"activation", make_activation},
    {"max_pooling2d", make_max_pooling2d},
    {"average_pooling2d", make_average_pooling2d},
    {"sum_pooling2d", make_sum_pooling2d},
    {"global_average_pooling2d", make_global_average_pooling2d},
    {"dropout", make_dropout},
    {"gaussian_noise", make_gaussian_noise},
    {"batch_normalization", make_batch_normalization},
};
}  // namespace

const std::vector<std::string>& layer_types() {
  static const std::vector<std::string> types = [] {
    std::vector<std::string> t;
    for (const Entry& e : kLayers) t.push_back(e.type);
    return t;
  }();
  return types;
}

std::unique_ptr<Layer> make_layer(const LayerConfig& config) {
  for (const Entry& e : kLayers)
    if (config.type == e.type) return e.make(config);
  std::string known;
  for (const Entry& e : kLayers) known += (known.empty() ? "" : ", ") + std::string(e.type);
  fail("unknown layer type '", config.type, "'", config.name.empty() ? "" : " for layer '" + config.name + "'",
       " (known: ", known, ")");
}

}  // namespace wasmcnn
