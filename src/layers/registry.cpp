#include "layers/registry.h"

#include "core/check.h"
#include "layers/layer_def.h"

namespace wasmcnn {

const std::vector<std::string>& layer_types() {
  static const std::vector<std::string> types = [] {
    std::vector<std::string> t;
    for (const LayerDef* d : layer_defs()) t.push_back(d->type);
    return t;
  }();
  return types;
}

std::unique_ptr<Layer> make_layer(const LayerConfig& config) {
  const LayerDef& def = find_layer_def(config.type, config.name);
  LayerConfig c = config;
  c.type = def.type;  // a Keras class name is accepted too
  validate(def, c);
  return def.make(c);
}

}  // namespace wasmcnn
