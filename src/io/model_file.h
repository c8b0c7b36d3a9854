// wasmcnn's own model file: one self-describing, versioned, little-endian blob.
//
//   "WCNN" u32 version  str metadata  u64 seed  u32 rank  i32 dims[rank]  u32 layers
//   per layer: str type, str name, the LayerConfig fields in declaration order
//              (bool as u8, int as i32, float as f32, str as u32 length + UTF-8 bytes),
//              u32 params, per param: str name, u32 rank, i32 dims[rank], f32 values
//   u32 CRC-32 of every byte before it
//
// Loading never trusts the file: every read is bounds-checked, sizes are capped before anything
// is allocated, layers are rebuilt through Model::add (so shapes are validated as for a new
// model), each stored tensor must match the shape its layer builds, values must be finite, and the
// checksum must match. Errors name what was wrong and the byte offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "train/model.h"

namespace wasmcnn {

constexpr uint32_t kModelFileVersion = 1;

std::vector<uint8_t> save_model(Model& model);
std::unique_ptr<Model> load_model(const uint8_t* data, size_t size);

uint32_t crc32(const uint8_t* data, size_t size);

}  // namespace wasmcnn
