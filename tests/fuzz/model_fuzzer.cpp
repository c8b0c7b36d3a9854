// libFuzzer target for the model file. For any input, load_model must return a model or throw
// wasmcnn::Error: never crash, hang, leak or allocate far beyond the input's size. A model that
// loads must save back to the same bytes and run: predict on a zero sample (or say its output
// overflowed float32, which finite weights can do), and one training step.
//
// The input's last 4 bytes are overwritten with the CRC-32 of the rest before loading, so that
// mutations get past the checksum and reach the layers. When that changed the input, the input as
// given must be refused (a wrong checksum never loads).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "core/check.h"
#include "io/model_file.h"
#include "kernels/eltwise.h"
#include "train/model.h"

namespace {

using namespace wasmcnn;

// Forward-pass work and memory for one sample, roughly bounded from above: each layer's output
// size times the inputs each output reads (its weights per output channel, or its pooling window),
// plus its input size. A file can describe a model that is valid but takes seconds to run (a
// 4096x4096 'same' pooling window costs 2^48 operations and needs no weights); those load, but the
// fuzzer skips running them.
bool cheap_to_run(Model& m) {
  constexpr double kMaxWork = 1 << 22, kMaxFloats = 1 << 20;
  double work = 0, floats = double(m.sample_size());
  Shape in = m.input_shape();
  for (size_t i = 0; i < m.num_layers(); ++i) {
    Layer& layer = m.layer(i);
    const Shape& out = layer.output_shape();
    const double out_size = double(shape_size(out)), in_size = double(shape_size(in));
    double fan = double(layer.param_count()) / out.back() + 1;
    if (in.size() == 3) {
      const LayerConfig& c = layer.config();
      fan += double(std::min(c.pool_h, in[0])) * std::min(c.pool_w, in[1]);
    }
    work += out_size * fan + in_size;
    floats += out_size;
    in = out;
  }
  return work <= kMaxWork && floats <= kMaxFloats;
}

void write_crc(std::vector<uint8_t>& file) {
  const uint32_t crc = crc32(file.data(), file.size() - 4);
  for (int i = 0; i < 4; ++i) file[file.size() - 4 + i] = uint8_t(crc >> (8 * i));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> file(data, data + size);  // exact size: reads past the end are reported
  if (size >= 4) write_crc(file);
  std::unique_ptr<Model> model;
  try {
    model = load_model(file.data(), file.size());
  } catch (const Error&) {
    return 0;
  }

  if (file != std::vector<uint8_t>(data, data + size)) {
    std::vector<uint8_t> given(data, data + size);
    try {
      load_model(given.data(), given.size());
      std::abort();  // loaded despite a wrong checksum
    } catch (const Error&) {
    }
  }

  // A loaded file (version 1, or a version-2 file with options in any order or left out) saves as
  // canonical version 2, and that is a fixed point: it loads and saves to the same bytes.
  const std::vector<uint8_t> saved = save_model(*model);
  if (save_model(*load_model(saved.data(), saved.size())) != saved) std::abort();

  // A model that loads must run: an Error from here on escapes and counts as a finding.
  if (model->num_layers() > 0 && cheap_to_run(*model)) {
    std::vector<float> x(model->sample_size(), 0.f);
    try {
      model->predict(x.data(), 1);
    } catch (const Error&) {
      // The one Error predict may give a loaded model: finite weights that overflow float32 (a
      // file can hold 1e38). The output must really be non-finite, and the model left as loaded.
      const Tensor& out = model->activation(model->num_layers() - 1);
      if (kernels::all_finite(out.size(), out.data())) std::abort();
      if (save_model(*model) != saved) std::abort();
    }
    // And train, when its output suits a loss: one step with every training-only path on.
    const Shape& out = model->output_shape();
    if (out.size() == 1) {
      model->compile("mean_squared_error", OptimizerConfig{});
      std::vector<float> t(size_t(out[0]), 0.f);
      model->train_batch(x.data(), t.data(), 1);
    }
  }
  return 0;
}
