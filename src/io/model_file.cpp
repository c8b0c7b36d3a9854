#include "io/model_file.h"

#include <cmath>
#include <cstring>

#include "core/check.h"
#include "layers/layer_def.h"

namespace wasmcnn {

namespace {

// Limits that save_model enforces and load_model relies on, so that every file save writes loads.
constexpr size_t kMaxText = 256;                   // layer types, names, weight names, config strings
constexpr size_t kMaxMetadata = size_t(1) << 20;
constexpr uint32_t kMaxLayers = 4096;              // Model::add compares names pairwise
constexpr int kMaxDim = 1 << 24;                   // any dimension or integer option
constexpr size_t kNoOffset = size_t(-1);           // a check made while saving: no byte offset to name

std::string at_str(size_t at) { return at == kNoOffset ? "" : " at byte offset " + std::to_string(at); }

// Names and option strings reach error messages and the JavaScript side: no control characters
// (bytes >= 0x80 pass, for UTF-8). Metadata is free text (JSON, with newlines): only NUL is refused.
void check_text(const char* what, const uint8_t* s, size_t n, size_t max, bool metadata, size_t at) {
  if (n > max) fail(what, at_str(at), " is ", n, " bytes long (at most ", max, ")");
  for (size_t i = 0; i < n; ++i)
    if (metadata ? s[i] == 0 : s[i] < 0x20 || s[i] == 0x7F)
      fail(what, at_str(at), " contains the control character ", int(s[i]), " at index ", i);
}
void check_int(const char* what, int v, size_t at) {
  if (v < 0 || v > kMaxDim) fail(what, at_str(at), " is ", v, " (expected 0..", kMaxDim, ")");
}
void check_real(const char* what, float v, size_t at) {
  if (!std::isfinite(v)) fail(what, at_str(at), " is not finite");
}

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
  void str(const std::string& s, const char* what, size_t max = kMaxText, bool metadata = false) {
    check_text(what, reinterpret_cast<const uint8_t*>(s.data()), s.size(), max, metadata, kNoOffset);
    u32(uint32_t(s.size()));
    out.insert(out.end(), s.begin(), s.end());
  }
  std::vector<uint8_t> out;
};

// Every read is bounds-checked against the bytes left; messages name the byte offset.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  size_t offset() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }

  const uint8_t* take(size_t n, const char* what) {
    check(n <= remaining(), "truncated at byte offset ", pos_, " reading ", what, " (needs ", n, " bytes, ",
          remaining(), " left)");
    const uint8_t* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  bool boolean(const char* what) {
    size_t at = pos_;
    uint8_t v = *take(1, what);
    check(v <= 1, what, " at byte offset ", at, " must be 0 or 1, got ", int(v));
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
  int i32(const char* what) {
    size_t at = pos_;
    int v = int(u32(what));
    check_int(what, v, at);
    return v;
  }
  float f32(const char* what) {
    size_t at = pos_;
    uint32_t bits = u32(what);
    float v;
    std::memcpy(&v, &bits, 4);
    check_real(what, v, at);
    return v;
  }
  // The length is checked against the bytes left before the string is allocated.
  std::string str(const char* what, size_t max = kMaxText, bool metadata = false) {
    size_t at = pos_;
    uint32_t n = u32(what);
    check(n <= max, what, " at byte offset ", at, " claims ", n, " bytes (at most ", max, ")");
    const uint8_t* p = take(n, what);
    check_text(what, p, n, max, metadata, at);
    return std::string(reinterpret_cast<const char*>(p), n);
  }
  Shape shape(const char* what, uint32_t min_rank, uint32_t max_rank) {
    size_t at = pos_;
    uint32_t rank = u32(what);
    check(rank >= min_rank && rank <= max_rank, what, " at byte offset ", at, " has rank ", rank, " (expected ",
          min_rank, "..", max_rank, ")");
    Shape s(rank);
    for (int& d : s) {
      size_t dim_at = pos_;
      d = int(u32(what));
      check(d > 0, what, " at byte offset ", dim_at, " has dimension ", d, " (expected a positive int32)");
    }
    return s;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Version 1 only (frozen: v1 files are read, never written): its LayerConfig fields, in file order.
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
  void real(float& v, const char* what) {
    check_real(what, v, kNoOffset);
    w.f32(v);
  }
  void integer(int& v, const char* what) {
    check_int(what, v, kNoOffset);
    w.i32(v);
  }
  void text(std::string& v, const char* what) { w.str(v, what); }
};

struct ReadFields {
  Reader& r;
  void flag(bool& v, const char* what) { v = r.boolean(what); }
  void real(float& v, const char* what) { v = r.f32(what); }
  void integer(int& v, const char* what) { v = r.i32(what); }
  void text(std::string& v, const char* what) { v = r.str(what); }
};

// The fewest bytes a layer record can take: empty strings, no weights.
struct CountFields {
  size_t n = 0;
  void flag(bool&, const char*) { n += 1; }
  void real(float&, const char*) { n += 4; }
  void integer(int&, const char*) { n += 4; }
  void text(std::string&, const char*) { n += 4; }
};
size_t min_layer_bytes(uint32_t version) {
  if (version > 1) return 4 + 4 + 1 + 4 + 4 + 4 + 4;  // class, name, trainable, lr, inputs, options, weights
  CountFields count;
  LayerConfig c;
  config_fields(count, c);
  return 4 + 4 + count.n + 4;  // type, name, options, weight count
}

// a * b, saturating at 2^62: anything that large is absurd anyway.
uint64_t mul(uint64_t a, uint64_t b) {
  constexpr uint64_t cap = uint64_t(1) << 62;
  return b && a > cap / b ? cap : a * b;
}

// The number of weights the layer `c` will hold on input `in`, from its LayerDef's weights() alone,
// so a file cannot make Model::add allocate weights that the file does not contain. load_model
// checks the count against the layer it built, so a definition that disagrees with its layer fails.
uint64_t expected_weights(const LayerConfig& c, const Shape& in) {
  const LayerDef* def = find_layer_def_or_null(c.type);
  if (!def || !def->weights) return 0;
  uint64_t total = 0;
  for (const WeightDef& w : def->weights(c, {in})) {
    uint64_t n = 1;
    for (int d : w.shape) n = mul(n, uint64_t(d < 0 ? 0 : d));
    total += n;
  }
  return total;
}

// Version 2: a layer's options as a map {key: tagged value}, walked from its LayerDef.
enum Tag : uint8_t { kTagNumber = 0, kTagBool = 1, kTagText = 2, kTagPair = 3, kTagShape = 4, kTagMargins = 5 };

Tag tag_of(OptionType t) {
  switch (t) {
    case OptionType::Int: case OptionType::Real: return kTagNumber;
    case OptionType::Bool: return kTagBool;
    case OptionType::Choice: return kTagText;
    case OptionType::Pair: case OptionType::Regularizer: return kTagPair;
    case OptionType::Shape: return kTagShape;
    case OptionType::Margins: return kTagMargins;
  }
  return kTagNumber;
}

void write_options(Writer& w, const LayerDef& def, const LayerConfig& c) {
  w.u32(uint32_t(def.options.size()));
  for (const OptionDef& o : def.options) {
    OptionValue v = read_option(c, o);
    // A pair that defaults to another option (pooling strides) is written resolved.
    if (o.defaults_to && v.a == 0 && v.b == 0) v = read_option(c, *find_option(def, o.defaults_to));
    w.str(o.key, "option key");
    const Tag tag = tag_of(o.type);
    w.u8(tag);
    switch (tag) {
      case kTagNumber: check_real(o.key, float(v.a), kNoOffset); w.f32(float(v.a)); break;
      case kTagBool: w.u8(v.a != 0); break;
      case kTagText: w.str(v.text, o.key); break;
      case kTagPair:
        check_real(o.key, float(v.a), kNoOffset);
        check_real(o.key, float(v.b), kNoOffset);
        w.f32(float(v.a));
        w.f32(float(v.b));
        break;
      case kTagShape:
        w.u32(uint32_t(v.list.size()));
        for (double d : v.list) w.i32(int(d));
        break;
      case kTagMargins:
        for (double d : v.list) w.i32(int(d));
        break;
    }
  }
}

// Options missing from the file keep their defaults: a file written before an option existed loads.
void read_options(Reader& r, const LayerDef& def, LayerConfig& c) {
  size_t count_at = r.offset();
  uint32_t n = r.u32("option count");
  check(n <= def.options.size(), "option count ", n, " at byte offset ", count_at, " is more than the ",
        def.options.size(), " options of ", def.keras);
  std::vector<bool> seen(def.options.size());
  for (uint32_t i = 0; i < n; ++i) {
    size_t at = r.offset();
    std::string key = r.str("option key");
    const OptionDef* o = find_option(def, key);
    check(o != nullptr, "option key at byte offset ", at, " is '", key, "', not an option of ", def.keras);
    size_t k = size_t(o - def.options.data());
    check(!seen[k], "option '", key, "' at byte offset ", at, " appears twice");
    seen[k] = true;
    size_t tag_at = r.offset();
    uint8_t tag = *r.take(1, "option tag");
    // Margins were a symmetric pair [h, w] before asymmetric padding (ZeroPadding2D's first files).
    const bool old_margins = o->type == OptionType::Margins && tag == kTagPair;
    check(tag == tag_of(o->type) || old_margins, "option '", key, "' at byte offset ", tag_at, " has type tag ", int(tag),
          ", expected ", int(tag_of(o->type)));
    OptionValue v;
    size_t value_at = r.offset();
    switch (tag) {
      case kTagNumber: v.a = r.f32(o->key); break;
      case kTagBool: v.a = r.boolean(o->key); break;
      case kTagText: v.text = r.str(o->key); break;
      case kTagShape: {
        // Values (a Reshape's -1 among them) are checked by apply_option below; a nullable option
        // (PReLU's sharedAxes) may be empty.
        const uint32_t rank = r.u32(o->key), min_rank = o->nullable ? 0 : 1;
        check(rank >= min_rank && rank <= 3, o->key, " at byte offset ", value_at, " has rank ", rank,
              " (expected ", min_rank, "..3)");
        for (uint32_t k = 0; k < rank; ++k) v.list.push_back(int32_t(r.u32(o->key)));
        break;
      }
      case kTagMargins:
        for (int k = 0; k < 4; ++k) v.list.push_back(int32_t(r.u32(o->key)));
        break;
      default:
        v.a = r.f32(o->key);
        v.b = r.f32(o->key);
        break;
    }
    if (old_margins) v.list = {v.a, v.a, v.b, v.b};
    try {
      apply_option(def, c, *o, v);
    } catch (const Error& e) {
      fail("option '", key, "' at byte offset ", value_at, ": ", e.what());
    }
  }
}

// How far read_model got, for load_model's error message.
struct Progress {
  std::string where;       // the layer being read: "layer 2 'dense_1' (byte offset 345): "
  bool header_ok = false;  // magic and version matched: the file claims to be ours
  bool at_checksum = false;
};

std::unique_ptr<Model> read_model(const uint8_t* data, size_t size, Progress& progress) {
  std::string& where = progress.where;
  Reader r(data, size);
  const uint8_t* magic = r.take(4, "magic");
  check(std::memcmp(magic, "WCNN", 4) == 0, "bad magic at byte offset 0 (expected \"WCNN\"): not a wasmcnn model");
  uint32_t version = r.u32("version");
  check(version == 1 || version == kModelFileVersion, "unsupported version ", version,
        " at byte offset 4 (this build reads versions 1 and ", kModelFileVersion, ")");
  progress.header_ok = true;
  std::string metadata = r.str("metadata", kMaxMetadata, true);
  uint64_t seed = r.u64("seed");
  size_t shape_at = r.offset();
  Shape input = r.shape("input shape", 1, 3);
  std::unique_ptr<Model> model;
  try {
    model = std::make_unique<Model>(input, seed);
  } catch (const Error& e) {
    fail("input shape at byte offset ", shape_at, ": ", e.what());
  }
  model->set_metadata(std::move(metadata));

  size_t count_at = r.offset();
  uint32_t layers = r.u32("layer count");
  check(layers <= kMaxLayers, "layer count ", layers, " at byte offset ", count_at, " is absurd (at most ",
        kMaxLayers, ")");
  check(layers <= r.remaining() / min_layer_bytes(version), "layer count ", layers, " at byte offset ", count_at,
        " needs at least ", layers * min_layer_bytes(version), " bytes, ", r.remaining(), " left (truncated or corrupted)");
  ReadFields fields{r};
  for (uint32_t i = 0; i < layers; ++i) {
    // The nodes this one reads ("" is the model's input); a version-1 file is a chain.
    std::vector<std::string> inputs{model->num_layers() ? model->layer(model->num_layers() - 1).name() : ""};
    Shape input_shape = model->output_shape();
    size_t layer_at = r.offset();
    where = "layer " + std::to_string(i) + " (byte offset " + std::to_string(layer_at) + "): ";
    LayerConfig c;
    c.type = r.str(version == 1 ? "layer type" : "layer class");
    const LayerDef* def = nullptr;
    if (version > 1) {
      def = find_layer_def_or_null(c.type);
      check(def != nullptr && c.type == def->keras, "layer class at byte offset ", layer_at, " is '", c.type,
            "', not a known Keras class name");
      c = default_config(*def);
    }
    size_t name_at = r.offset();
    c.name = r.str("layer name");
    check(!c.name.empty(), "layer name at byte offset ", name_at, " is empty");
    where = "layer " + std::to_string(i) + " '" + c.name + "' (byte offset " + std::to_string(layer_at) + "): ";
    if (version == 1) {
      config_fields(fields, c);
    } else {
      c.trainable = r.boolean("trainable");
      size_t lr_at = r.offset();
      c.lr_multiplier = r.f32("lr_multiplier");
      check(c.lr_multiplier >= 0.f && c.lr_multiplier <= 1e6f, "lr_multiplier at byte offset ", lr_at, " is ",
            c.lr_multiplier, " (expected 0..1e6)");
      size_t inputs_at = r.offset();
      uint32_t count = r.u32("input count");
      check(count >= 1, "input count at byte offset ", inputs_at, " is 0 (a layer reads at least one tensor)");
      check(count <= r.remaining() / 4, "input count ", count, " at byte offset ", inputs_at, " needs at least ",
            uint64_t(count) * 4, " bytes, ", r.remaining(), " left (truncated or corrupted)");
      inputs.clear();
      for (uint32_t k = 0; k < count; ++k) {
        size_t in_at = r.offset();
        inputs.push_back(r.str("input name"));
        // Only earlier nodes can be named: a cycle, a forward reference or a dangling input is refused.
        bool found = inputs.back().empty();
        for (size_t j = 0; j < model->num_layers() && !found; ++j) found = model->layer(j).name() == inputs.back();
        check(found, "input name at byte offset ", in_at, " is '", inputs.back(),
              "', not the model's input (\"\") or an earlier layer");
        if (k == 0 && !inputs[0].empty()) input_shape = model->layer(inputs[0]).output_shape();
        if (k == 0 && inputs[0].empty()) input_shape = model->input_shape();
      }
      read_options(r, *def, c);
    }

    // Before anything is built: the weights this configuration implies must be in the file.
    const uint64_t expected = expected_weights(c, input_shape);
    if (expected > r.remaining() / 4)
      fail(c.type, " with this configuration on input ", shape_str(input_shape), " has ", expected,
           " weights (", mul(expected, 4), " bytes), but only ", r.remaining(),
           " bytes are left (truncated, or absurd dimensions)");
    // Initialised as a new model would be (then overwritten), so the loaded model's Rng is where the
    // saved model's was after building: the same seed trains the same way after a round trip.
    Layer& layer = model->add(c, inputs);
    check(layer.param_count() == expected, "internal error: a ", c.type, " layer holds ", layer.param_count(),
          " weights, model_file.cpp expected ", expected, " (update expected_weights)");

    auto params = layer.params();
    size_t params_at = r.offset();
    uint32_t stored = r.u32("weight count");
    check(stored == params.size(), "weight count at byte offset ", params_at, " is ", stored, ", a ", c.type,
          " layer with this configuration has ", params.size());
    for (Param* p : params) {
      size_t param_at = r.offset();
      std::string name = r.str("weight name");
      check(name == p->name, "weight name at byte offset ", param_at, " is '", name, "', expected '", p->name, "'");
      size_t shape_at = r.offset();
      Shape s = r.shape("weight shape", 0, 4);
      check(s == p->w.shape(), "weight '", name, "' at byte offset ", shape_at, " has shape ", shape_str(s),
            ", the layer needs ", shape_str(p->w.shape()));
      const size_t n = p->w.size();
      const size_t values_at = r.offset();
      const uint8_t* bytes = r.take(n * 4, "weights");
      std::memcpy(p->w.data(), bytes, n * 4);  // the format and wasm are both little-endian
      for (size_t k = 0; k < n; ++k)
        check(std::isfinite(p->w[k]), "weight '", name, "' value ", k, " at byte offset ", values_at + 4 * k,
              " is not finite");
    }
  }
  where.clear();
  progress.at_checksum = true;
  size_t crc_at = r.offset();
  uint32_t stored_crc = r.u32("checksum");
  check(stored_crc == crc32(data, crc_at), "checksum mismatch at byte offset ", crc_at, ": the file is corrupted");
  check(r.remaining() == 0, r.remaining(), " unexpected bytes after the checksum at byte offset ", r.offset());
  return model;
}

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
  std::string where;
  try {
    Writer w;
    w.out.insert(w.out.end(), {'W', 'C', 'N', 'N'});
    w.u32(kModelFileVersion);
    w.str(model.metadata(), "metadata", kMaxMetadata, true);
    w.u64(model.seed());
    w.u32(uint32_t(model.input_shape().size()));
    for (int d : model.input_shape()) w.i32(d);
    check(model.num_layers() <= kMaxLayers, "the model has ", model.num_layers(), " layers (at most ", kMaxLayers,
          ")");
    w.u32(uint32_t(model.num_layers()));
    for (size_t i = 0; i < model.num_layers(); ++i) {
      Layer& layer = model.layer(i);
      const LayerConfig& c = layer.config();
      where = "layer " + std::to_string(i) + " '" + c.name + "': ";
      const LayerDef& def = find_layer_def(c.type, c.name);
      w.str(def.keras, "layer class");
      w.str(c.name, "layer name");
      w.u8(c.trainable ? 1 : 0);
      check_real("lr_multiplier", c.lr_multiplier, kNoOffset);
      w.f32(c.lr_multiplier);
      const std::vector<int>& inputs = model.node_inputs(i);
      w.u32(uint32_t(inputs.size()));
      for (int k : inputs) w.str(k < 0 ? std::string() : model.layer(size_t(k)).name(), "input name");
      write_options(w, def, c);
      auto params = layer.params();
      w.u32(uint32_t(params.size()));
      for (Param* p : params) {
        w.str(p->name, "weight name");
        w.u32(uint32_t(p->w.rank()));
        for (int d : p->w.shape()) w.i32(d);
        for (size_t k = 0; k < p->w.size(); ++k) {
          check(std::isfinite(p->w[k]), "weight '", p->name, "' value ", k, " is not finite");
          w.f32(p->w[k]);
        }
      }
    }
    w.u32(crc32(w.out.data(), w.out.size()));
    return std::move(w.out);
  } catch (const Error& e) {
    fail("model file: cannot save: ", where, e.what());
  }
}

std::unique_ptr<Model> load_model(const uint8_t* data, size_t size) {
  check(data != nullptr || size == 0, "model file: no data");
  Progress progress;
  try {
    return read_model(data, size, progress);
  } catch (const Error& e) {
    // The parse names the first thing that does not add up; the checksum tells whether the file
    // was damaged after save_model wrote it.
    bool damaged = false;
    if (progress.header_ok && !progress.at_checksum) {  // so size >= 8
      const uint8_t* tail = data + size - 4;
      damaged = crc32(data, size - 4) !=
                (uint32_t(tail[0]) | uint32_t(tail[1]) << 8 | uint32_t(tail[2]) << 16 | uint32_t(tail[3]) << 24);
    }
    fail("model file: ", progress.where, e.what(),
         damaged ? " (and the checksum does not match: the file is damaged)" : "");
  }
}

}  // namespace wasmcnn
