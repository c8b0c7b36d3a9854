// make_layer: LayerConfig -> a typed layer, after checking the kind and every option against its
// LayerDef (layer_def.h), the one place where options are validated.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "layers/layer.h"
#include "layers/layer_config.h"

namespace wasmcnn {

std::unique_ptr<Layer> make_layer(const LayerConfig& config);
const std::vector<std::string>& layer_types();

}  // namespace wasmcnn
