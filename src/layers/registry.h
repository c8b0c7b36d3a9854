// make_layer: LayerConfig -> a typed layer, validating the type name and the options.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "layers/layer.h"
#include "layers/layer_config.h"

namespace wasmcnn {

std::unique_ptr<Layer> make_layer(const LayerConfig& config);
const std::vector<std::string>& layer_types();

// One factory per layer family, defined in that family's file.
std::unique_ptr<Layer> make_conv2d(const LayerConfig&);
std::unique_ptr<Layer> make_dense(const LayerConfig&);
std::unique_ptr<Layer> make_flatten(const LayerConfig&);
std::unique_ptr<Layer> make_activation(const LayerConfig&);
std::unique_ptr<Layer> make_max_pooling2d(const LayerConfig&);
std::unique_ptr<Layer> make_average_pooling2d(const LayerConfig&);
std::unique_ptr<Layer> make_sum_pooling2d(const LayerConfig&);
std::unique_ptr<Layer> make_global_average_pooling2d(const LayerConfig&);
std::unique_ptr<Layer> make_dropout(const LayerConfig&);
std::unique_ptr<Layer> make_gaussian_noise(const LayerConfig&);
std::unique_ptr<Layer> make_batch_normalization(const LayerConfig&);

}  // namespace wasmcnn
