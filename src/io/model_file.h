// wasmcnn's own model file: one self-describing, versioned, little-endian blob.
//
//   "WCNN" u32 version  str metadata  u64 seed  u32 rank  i32 dims[rank]  u32 layers
//   per layer: str type, str name, the LayerConfig fields in declaration order
//              (bool as u8, int as i32, float as f32, str as u32 length + bytes),
//              u32 params, per param: str name, u32 rank, i32 dims[rank], f32 values
//   u32 CRC-32 of every byte before it
//
// Loading never trusts the file. Every read is bounds-checked; a claimed length is checked against
// the bytes left before anything is allocated, and so is the number of weights a layer's
// configuration implies, before Model::add builds it: a file cannot allocate much more than its
// own size. Layers are rebuilt through Model::add, so options and shapes are validated as for a
// new model; each stored tensor must have the shape its layer builds; values must be finite; names
// must be non-empty and free of control characters; the checksum must match. Errors are
// wasmcnn::Error naming what was wrong and the byte offset.
//
// save_model refuses (with an Error) what load_model would refuse: non-finite values, integer
// options outside 0..2^24, control characters in names, NUL in metadata, overlong strings, more
// than 4096 layers. So whatever save writes loads again, and saves to the same bytes. A model
// with no layers is a valid file.
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
