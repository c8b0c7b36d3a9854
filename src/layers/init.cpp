#include "layers/init.h"

#include <cmath>

#include "core/check.h"

namespace wasmcnn {

const std::vector<InitializerName>& initializer_names() {
  static const std::vector<InitializerName> names = {
      {"glorotUniform", "glorot_uniform"}, {"glorotNormal", "glorot_normal"}, {"heUniform", "he_uniform"},
      {"heNormal", "he_normal"},           {"leCunUniform", "lecun_uniform"}, {"zeros", "zeros"},
      {"ones", "ones"},
      // Keras' VarianceScaling() with its defaults (scale 1, fan_in, truncated normal): LeCun normal.
      {"leCunNormal", "lecun_normal"},     {"varianceScaling", "variance_scaling"},
  };
  return names;
}

void check_initializer(const std::string& name, const std::string& who) {
  std::string known;
  for (const InitializerName& n : initializer_names()) {
    if (name == n.core) return;
    known += (known.empty() ? "" : ", ") + std::string(n.core);
  }
  fail(who, ": unknown initializer '", name, "' (expected one of ", known, ")");
}

void initialize(const std::string& name, const std::string& who, int fan_in, int fan_out, Rng& rng, Tensor& w) {
  check_initializer(name, who);
  const size_t n = w.size();
  if (name == "zeros" || name == "ones") {
    w.fill(name == "ones" ? 1.f : 0.f);
    return;
  }
  double fan = name.rfind("glorot", 0) == 0 ? (fan_in + fan_out) / 2.0 : double(fan_in);
  double scale = name.rfind("he", 0) == 0 ? 2.0 : 1.0;
  double variance = scale / (fan > 0 ? fan : 1.0);
  if (name.find("uniform") != std::string::npos) {
    float limit = float(std::sqrt(3.0 * variance));
    for (size_t i = 0; i < n; ++i) w[i] = rng.uniform(-limit, limit);
  } else {
    // 0.8796... is the standard deviation of a unit normal truncated to [-2, 2].
    float stddev = float(std::sqrt(variance) / 0.87962566103423978);
    for (size_t i = 0; i < n; ++i) {
      float z;
      do z = rng.normal();
      while (std::fabs(z) > 2.f);
      w[i] = stddev * z;
    }
  }
}

void setup_kernel_and_bias(const LayerConfig& config, const std::string& who, Param& kernel, Param& bias) {
  check_initializer(config.kernel_initializer, who);
  check_initializer(config.bias_initializer, who);
  kernel.name = "kernel";
  bias.name = "bias";
  kernel.l1 = config.kernel_l1;
  kernel.l2 = config.kernel_l2;
  bias.l1 = config.bias_l1;
  bias.l2 = config.bias_l2;
}

}  // namespace wasmcnn
