// Weight initialisers with Keras' definitions (fan_in, fan_out as for a [kh,kw,ic,oc] kernel).
#pragma once

#include <string>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"
#include "layers/layer.h"

namespace wasmcnn {

// glorot_uniform glorot_normal he_uniform he_normal lecun_uniform lecun_normal variance_scaling (Keras
// VarianceScaling() defaults: lecun_normal) zeros ones. The normal variants
// draw from a normal truncated at two standard deviations, rescaled as Keras' variance scaling.
void initialize(const std::string& name, const std::string& who, int fan_in, int fan_out, Rng& rng, Tensor& w);
// The one initializer table: the Keras/TF.js camelCase name and the core's snake_case name.
struct InitializerName {
  const char* keras;
  const char* core;
};
const std::vector<InitializerName>& initializer_names();
void check_initializer(const std::string& name, const std::string& who);

// For Conv2D and Dense: checks both initialiser names and gives the two params their Keras
// names ("kernel", "bias") and regularisation factors from the config.
void setup_kernel_and_bias(const LayerConfig& config, const std::string& who, Param& kernel, Param& bias);

}  // namespace wasmcnn
