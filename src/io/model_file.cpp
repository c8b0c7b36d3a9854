#include "io/model_file.h"

#include <cmath>
#include <cstring>

#include "core/check.h"

namespace wasmcnn {

namespace {

constexpr size_t kMaxString = size_t(1) << 20;      // metadata and names
constexpr uint32_t kMaxLayers = 4096;
constexpr uint32_t kMaxParams = 16;                  // per layer
constexpr int kMaxDim = 1 << 24;

class Writer {
 public:
  void u8(uint8_t v) { out.push_back(v); }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(uint8_t(v >> (8 * i)));
  }
  void u64(uint64_t v) {
    u32(uint32_t(v));
    u32(uint32_t(v >> 32));
  }
  void i32(int v) { u32(uint32_t(v)); }
  void f32(float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    u32(bits);
  }
  void str(const std::string& s) {
    u32(uint32_t(s.size()));
    out.insert(out.end(), s.begin(), s.end());
  }
  std::vector<uint8_t> out;
};

class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  size_t offset() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }

  const uint8_t* take(size_t n, const char* what) {
    if (n > remaining())
      fail("model file: truncated at byte offset ", pos_, " reading ", what, " (needs ", n, " bytes, ",
           remaining(), " left)");
    const uint8_t* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  uint8_t u8(const char* what) { return *take(1, what); }
  bool boolean(const char* what) {
    size_t at = pos_;
    uint8_t v = u8(what);
    check(v <= 1, "model file: ", what, " at byte offset ", at, " must be 0 or 1, got ", int(v));
    return v == 1;
  }
  uint32_t u32(const char* what) {
    const uint8_t* p = take(4, what);
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
  }
  uint64_t u64(const char* what) {
    uint64_t lo = u32(what);
    return lo | uint64_t(u32(what)) << 32;
  }
  int i32(const char* what) { return int(u32(what)); }
  float f32(const char* what) {
    size_t at = pos_;
    uint32_t bits = u32(what);
    float v;
    std::memcpy(&v, &bits, 4);
    check(std::isfinite(v), "model file: ", what, " at byte offset ", at, " is not finite");
    return v;
  }
  std::string str(const char* what, size_t max = 256) {
    size_t at = pos_;
    uint32_t n = u32(what);
    check(n <= max, "model file: ", what, " at byte offset ", at, " claims ", n, " bytes (at most ", max, ")");
    const uint8_t* p = take(n, what);
    return std::string(reinterpret_cast<const char*>(p), n);
  }
  Shape shape(const char* what) {
    size_t at = pos_;
    uint32_t rank = u32(what);
    check(rank <= 4, "model file: ", what, " at byte offset ", at, " has rank ", rank, " (at most 4)");
    Shape s(rank);
    for (auto& d : s) {
      size_t dim_at = pos_;
      d = i32(what);
      check(d > 0 && d <= kMaxDim, "model file: ", what, " at byte offset ", dim_at, " has dimension ", d,
            " (expected 1..", kMaxDim, ")");
    }
    return s;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// The LayerConfig fields, in one place for both directions. `io` is a Writer or a Reader adaptor.
template <class IO>
void config_fields(IO& io, LayerConfig& c) {
  io.flag(c.trainable, "trainable");
  io.real(c.lr_multiplier, "lr_multiplier");
  io.integer(c.filters, "filters");
  io.integer(c.units, "units");
  io.integer(c.kernel_h, "kernel_h");
  io.integer(c.kernel_w, "kernel_w");
  io.integer(c.stride_h, "stride_h");
  io.integer(c.stride_w, "stride_w");
  io.text(c.padding, "padding");
  io.text(c.activation, "activation");
  io.flag(c.use_bias, "use_bias");
  io.text(c.kernel_initializer, "kernel_initializer");
  io.text(c.bias_initializer, "bias_initializer");
  io.real(c.kernel_l1, "kernel_l1");
  io.real(c.kernel_l2, "kernel_l2");
  io.real(c.bias_l1, "bias_l1");
  io.real(c.bias_l2, "bias_l2");
  io.integer(c.pool_h, "pool_h");
  io.integer(c.pool_w, "pool_w");
  io.real(c.rate, "rate");
  io.real(c.stddev, "stddev");
  io.real(c.momentum, "momentum");
  io.real(c.epsilon, "epsilon");
  io.flag(c.center, "center");
  io.flag(c.scale, "scale");
}

struct WriteFields {
  Writer& w;
  void flag(bool& v, const char*) { w.u8(v ? 1 : 0); }
  void real(float& v, const char*) { w.f32(v); }
  void integer(int& v, const char*) { w.i32(v); }
  void text(std::string& v, const char*) { w.str(v); }
};

struct ReadFields {
  Reader& r;
  void flag(bool& v, const char* what) { v = r.boolean(what); }
  void real(float& v, const char* what) { v = r.f32(what); }
  void integer(int& v, const char* what) {
    size_t at = r.offset();
    v = r.i32(what);
    check(v >= 0 && v <= kMaxDim, "model file: ", what, " at byte offset ", at, " is ", v, " (expected 0..",
          kMaxDim, ")");
  }
  void text(std::string& v, const char* what) { v = r.str(what); }
};

}  // namespace

uint32_t crc32(const uint8_t* data, size_t size) {
  static const auto table = [] {
    std::vector<uint32_t> t(256);
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) c = table[(c ^ data[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::vector<uint8_t> save_model(Model& model) {
  Writer w;
  w.out.insert(w.out.end(), {'W', 'C', 'N', 'N'});
  w.u32(kModelFileVersion);
  w.str(model.metadata());
  w.u64(model.seed());
  w.u32(uint32_t(model.input_shape().size()));
  for (int d : model.input_shape()) w.i32(d);
  w.u32(uint32_t(model.num_layers()));
  WriteFields fields{w};
  for (size_t i = 0; i < model.num_layers(); ++i) {
    Layer& layer = model.layer(i);
    LayerConfig c = layer.config();
    w.str(c.type);
    w.str(c.name);
    config_fields(fields, c);
    auto params = layer.params();
    w.u32(uint32_t(params.size()));
    for (Param* p : params) {
      w.str(p->name);
      w.u32(uint32_t(p->w.rank()));
      for (int d : p->w.shape()) w.i32(d);
      for (size_t k = 0; k < p->w.size(); ++k) w.f32(p->w[k]);
    }
  }
  w.u32(crc32(w.out.data(), w.out.size()));
  return std::move(w.out);
}

std::unique_ptr<Model> load_model(const uint8_t* data, size_t size) {
  check(data != nullptr || size == 0, "model file: no data");
  Reader r(data, size);
  const uint8_t* magic = r.take(4, "magic");
  check(std::memcmp(magic, "WCNN", 4) == 0, "model file: bad magic at byte offset 0 (expected \"WCNN\"; not a wasmcnn model)");
  uint32_t version = r.u32("version");
  check(version == kModelFileVersion, "model file: unsupported version ", version, " at byte offset 4 (this build reads version ",
        kModelFileVersion, ")");
  std::string metadata = r.str("metadata", kMaxString);
  uint64_t seed = r.u64("seed");
  size_t shape_at = r.offset();
  Shape input = r.shape("input shape");
  check(!input.empty() && input.size() <= 3, "model file: input shape at byte offset ", shape_at, " has rank ",
        input.size(), " (expected 1..3)");
  auto model = std::make_unique<Model>(input, seed);
  model->set_metadata(metadata);
  size_t count_at = r.offset();
  uint32_t layers = r.u32("layer count");
  check(layers <= kMaxLayers, "model file: layer count ", layers, " at byte offset ", count_at, " is absurd (at most ",
        kMaxLayers, ")");
  ReadFields fields{r};
  for (uint32_t i = 0; i < layers; ++i) {
    size_t layer_at = r.offset();
    LayerConfig c;
    c.type = r.str("layer type");
    c.name = r.str("layer name");
    config_fields(fields, c);
    Layer* layer;
    try {
      layer = &model->add(c);
    } catch (const Error& e) {
      fail("model file: layer ", i, " at byte offset ", layer_at, ": ", e.what());
    }
    auto params = layer->params();
    size_t params_at = r.offset();
    uint32_t n_params = r.u32("parameter count");
    check(n_params <= kMaxParams && n_params == params.size(), "model file: layer '", c.name, "' at byte offset ",
          params_at, " stores ", n_params, " weight tensors, its configuration has ", params.size());
    for (Param* p : params) {
      size_t param_at = r.offset();
      std::string name = r.str("weight name");
      check(name == p->name, "model file: layer '", c.name, "' at byte offset ", param_at, ": expected weight '",
            p->name, "', found '", name, "'");
      Shape s = r.shape("weight shape");
      check(s == p->w.shape(), "model file: layer '", c.name, "' weight '", name, "' at byte offset ", param_at,
            " has shape ", shape_str(s), ", the layer needs ", shape_str(p->w.shape()));
      const size_t n = p->w.size();
      const uint8_t* bytes = r.take(n * 4, "weights");
      for (size_t k = 0; k < n; ++k) {
        std::memcpy(&p->w[k], bytes + 4 * k, 4);  // the format and wasm are both little-endian
        if (!std::isfinite(p->w[k]))
          fail("model file: layer '", c.name, "' weight '", name, "' value ", k, " at byte offset ",
               r.offset() - n * 4 + 4 * k, " is not finite");
      }
    }
  }
  size_t crc_at = r.offset();
  uint32_t stored = r.u32("checksum");
  check(stored == crc32(data, crc_at), "model file: checksum mismatch at byte offset ", crc_at,
        " (the file is corrupted)");
  check(r.remaining() == 0, "model file: ", r.remaining(), " unexpected bytes after the checksum at byte offset ",
        r.offset());
  return model;
}

}  // namespace wasmcnn
