// wasmcnn's own model file: one self-describing, versioned, little-endian blob.
//
// Version 2 (written since issue 13):
//   "WCNN" u32 2  str metadata  u64 seed  u32 rank  i32 dims[rank]  u32 nodes
//   per node: str Keras class name, str name, u8 trainable, f32 lr_multiplier,
//             u32 inputs, per input: str name of an earlier node ("" is the model's input),
//             u32 options, per option: str key (Keras camelCase), u8 tag, value
//               tag 0 number: f32 | 1 bool: u8 | 2 text: str | 3 pair: f32 f32 | 4 shape: u32 rank, i32 dims
//               | 5 margins: i32 top, bottom, left, right (a pair [h, w] is read as [[h, h], [w, w]])
//             u32 weights, per weight: str name, u32 rank, i32 dims[rank], f32 values
//   u32 CRC-32 of every byte before it
// The options are the layer's LayerDef options (layer_def.h) by name: an option missing from a
// file keeps its default, so adding an option or a layer never breaks an older file. Unknown keys,
// classes and wrongly typed values are errors naming the field and the offset.
//
// Version 1 (read only): per layer str type, str name, then the 25 LayerConfig fields of that time
// in declaration order (bool as u8, int as i32, float as f32, str as u32 length + bytes), then the
// weights as above. tests/fixtures/v1 keeps files of that version.
//
// Strings are u32 length + bytes.
//
// Loading never trusts the file. Every read is bounds-checked; a claimed length is checked against
// the bytes left before anything is allocated, and so is the number of weights a layer's
// configuration implies (its LayerDef's weights()), before Model::add builds it: a file cannot
// allocate much more than its own size. Layers are rebuilt through Model::add, so options and
// shapes are validated as for a new model; each stored tensor must have the shape its layer builds;
// values must be finite; names must be non-empty and free of control characters; the checksum must
// match. Errors are wasmcnn::Error naming what was wrong and the byte offset.
//
// save_model refuses (with an Error) what load_model would refuse: non-finite values, control
// characters in names, NUL in metadata, overlong strings, more than 4096 layers. So whatever save
// writes loads again, and saves to the same bytes. A model with no layers is a valid file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "train/model.h"

namespace wasmcnn {

constexpr uint32_t kModelFileVersion = 2;  // written; 1 and 2 are read

std::vector<uint8_t> save_model(Model& model);
std::unique_ptr<Model> load_model(const uint8_t* data, size_t size);

uint32_t crc32(const uint8_t* data, size_t size);

}  // namespace wasmcnn
