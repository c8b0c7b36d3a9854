// LayerConfig: the typed record of a layer's options, as layers read them. What the options are,
// per kind (their Keras names, types, defaults, ranges, which field holds them), is written once in
// each kind's LayerDef (layer_def.h); the model file, the Embind boundary and web/lib walk those
// definitions and never list these fields. A new option is a field here plus a row in its LayerDef.
#pragma once

#include <string>
#include <vector>

namespace wasmcnn {

struct LayerConfig {
  std::string type;  // conv2d dense flatten activation max_pooling2d average_pooling2d
                     // sum_pooling2d global_average_pooling2d dropout batch_normalization
                     // gaussian_noise ... (layer_list.h has them all)
  std::string name;
  bool trainable = true;
  float lr_multiplier = 1.f;

  // conv2d / dense
  int filters = 0;
  int units = 0;
  int kernel_h = 3, kernel_w = 3;
  int stride_h = 1, stride_w = 1;  // conv and pooling strides (pooling: 0 means the pool size)
  std::string padding = "valid";   // valid | same
  std::string activation = "linear";  // activation_names() (activation.cpp)
  bool use_bias = true;
  std::string kernel_initializer = "glorot_uniform";  // glorot_uniform glorot_normal he_uniform he_normal zeros ones
  std::string bias_initializer = "zeros";
  float kernel_l1 = 0.f, kernel_l2 = 0.f, bias_l1 = 0.f, bias_l2 = 0.f;

  // pooling
  int pool_h = 2, pool_w = 2;

  // dropout / gaussian_noise / spatial_dropout2d / gaussian_dropout
  float rate = 0.f;
  float stddev = 0.f;

  // zero padding / cropping: rows added (removed) above and below, columns left and right
  std::vector<int> margins = {1, 1, 1, 1};  // top, bottom, left, right

  // dilated, depthwise and separable convolution; upsampling
  int dilation_h = 1, dilation_w = 1;
  int depth_multiplier = 1;
  std::string pointwise_initializer = "glorot_uniform";
  float pointwise_l1 = 0.f, pointwise_l2 = 0.f;
  int size_h = 2, size_w = 2;
  std::string interpolation = "nearest";  // nearest | bilinear

  // the per-sample shape a layer outputs, when it is an option (Reshape: one entry may be -1)
  std::vector<int> target_shape;
  std::vector<int> dims;  // Permute: the input axes (1-based) in output order

  // batch_normalization
  float momentum = 0.99f;
  float epsilon = 1e-3f;
  bool center = true, scale = true;

  // re_lu, leaky_re_lu, elu, p_re_lu; softmax and concatenate (axis)
  float max_value = 3.40282347e38f;  // FLT_MAX: none
  float negative_slope = 0.f, threshold = 0.f;
  float alpha = 1.f;          // elu
  float leaky_alpha = 0.3f;   // leaky_re_lu (TF.js' default)
  std::string alpha_initializer = "zeros";
  std::vector<int> shared_axes;  // p_re_lu: axes (1 = the first per-sample axis) sharing one alpha
  int axis = -1;
};

}  // namespace wasmcnn
