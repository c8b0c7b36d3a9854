// The one list of layer kinds: one line per kind, naming the `*_def()` its file defines.
// layer_defs() (layer_def.cpp) expands it, so a layer file that is not listed here is not linked
// into anything (the list is what references it: no static-initialiser registration, which a
// static library would silently drop). Everything else walks layer_defs().
#pragma once

#include "layers/layer_def.h"

#define WASMCNN_LAYERS                     \
  WASMCNN_LAYER(conv2d_def)                \
  WASMCNN_LAYER(dense_def)                 \
  WASMCNN_LAYER(flatten_def)               \
  WASMCNN_LAYER(activation_def)            \
  WASMCNN_LAYER(max_pooling2d_def)         \
  WASMCNN_LAYER(average_pooling2d_def)     \
  WASMCNN_LAYER(sum_pooling2d_def)         \
  WASMCNN_LAYER(global_average_pooling2d_def) \
  WASMCNN_LAYER(dropout_def)               \
  WASMCNN_LAYER(gaussian_noise_def)        \
  WASMCNN_LAYER(batch_normalization_def)   \
  WASMCNN_LAYER(add_def)                   \
  WASMCNN_LAYER(zero_padding2d_def)        \
  WASMCNN_LAYER(reshape_def)               \
  /* spatial and convolution layers (#14) */ \
  WASMCNN_LAYER(depthwise_conv2d_def)      \
  WASMCNN_LAYER(separable_conv2d_def)      \
  WASMCNN_LAYER(global_max_pooling2d_def)  \
  WASMCNN_LAYER(cropping2d_def)            \
  WASMCNN_LAYER(up_sampling2d_def)         \
  WASMCNN_LAYER(conv2d_transpose_def)      \
  WASMCNN_LAYER(permute_def)               \
  /* activation, dropout and merge layers (#14) */ \
  WASMCNN_LAYER(re_lu_def)                 \
  WASMCNN_LAYER(leaky_re_lu_def)           \
  WASMCNN_LAYER(elu_def)                   \
  WASMCNN_LAYER(p_re_lu_def)               \
  WASMCNN_LAYER(softmax_def)               \
  WASMCNN_LAYER(spatial_dropout2d_def)     \
  WASMCNN_LAYER(gaussian_dropout_def)      \
  WASMCNN_LAYER(subtract_def)              \
  WASMCNN_LAYER(multiply_def)              \
  WASMCNN_LAYER(average_def)               \
  WASMCNN_LAYER(maximum_def)               \
  WASMCNN_LAYER(minimum_def)               \
  WASMCNN_LAYER(concatenate_def)

namespace wasmcnn {
#define WASMCNN_LAYER(def) const LayerDef& def();
WASMCNN_LAYERS
#undef WASMCNN_LAYER
}  // namespace wasmcnn
