// The spatial and convolution layers of issue 14: DepthwiseConv2D, SeparableConv2D, Conv2D with
// dilationRate, GlobalMaxPooling2D, UpSampling2D, Reshape with -1. Outputs by hand or against a
// direct double-precision loop, gradients by finite differences with representative options (the
// guard in test_layer_defs.cpp only checks the defaults), and the errors of build().
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "core/check.h"
#include "gradcheck.h"
#include "io/model_file.h"
#include "test_helpers.h"
#include "train/model.h"

using namespace wasmcnn;
using namespace wasmcnn::test;

namespace {

LayerConfig depthwise(int k, int dm, int stride = 1, const std::string& padding = "valid", int dilation = 1) {
  LayerConfig c = simple("depthwise_conv2d");
  c.kernel_h = c.kernel_w = k;
  c.depth_multiplier = dm;
  c.stride_h = c.stride_w = stride;
  c.dilation_h = c.dilation_w = dilation;
  c.padding = padding;
  return c;
}
LayerConfig separable(int filters, int k, int dm, int stride = 1, const std::string& padding = "valid", int dilation = 1) {
  LayerConfig c = depthwise(k, dm, stride, padding, dilation);
  c.type = "separable_conv2d";
  c.filters = filters;
  return c;
}
LayerConfig dilated(int filters, int k, int dilation, const std::string& padding = "valid") {
  LayerConfig c = conv(filters, k, 1, padding);
  c.dilation_h = c.dilation_w = dilation;
  return c;
}

void fill(Layer& layer, uint64_t seed) {
  Rng rng(seed);
  for (Param* p : layer.params()) fill_uniform(rng, p->w);
}

std::vector<float> out(const Tensor& y) { return std::vector<float>(y.data(), y.data() + y.size()); }

// y[oy, ox, o] = b[o] + sum over taps of x[oy*s - pad + ky*d, ox*s - pad + kx*d, o / per_in] * w(ky, kx, ci, o)
// in double: the specification, written independently of the kernels. in_of(o, ci) says whether
// input channel ci feeds output o (depthwise: ci == o / dm; conv: all).
struct Direct {
  int h, w, c, k, stride, dilation, pad_top, pad_left, oh, ow, oc;
  template <class Weight>
  std::vector<double> run(const float* x, Weight weight, const float* b) const {
    std::vector<double> y(size_t(oh) * ow * oc);
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox)
        for (int o = 0; o < oc; ++o) {
          double s = b ? b[o] : 0;
          for (int ky = 0; ky < k; ++ky)
            for (int kx = 0; kx < k; ++kx) {
              const int iy = oy * stride - pad_top + ky * dilation, ix = ox * stride - pad_left + kx * dilation;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              for (int ci = 0; ci < c; ++ci) s += double(x[(size_t(iy) * w + ix) * c + ci]) * weight(ky, kx, ci, o);
            }
          y[(size_t(oy) * ow + ox) * oc + o] = s;
        }
    return y;
  }
};

void check_close(const std::vector<float>& got, const std::vector<double>& want, double tol) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(std::fabs(got[i] - want[i]) <= tol);
  }
}

}  // namespace

TEST_CASE("depthwise conv: a 2x2 kernel with depthMultiplier 2 over [3,3,1], by hand") {
  Model m({3, 3, 1}, 1);
  Layer& layer = m.add(depthwise(2, 2));
  CHECK(layer.output_shape() == Shape{2, 2, 2});
  auto p = layer.params();
  REQUIRE(p.size() == 2);
  CHECK(p[0]->name == "depthwise_kernel");
  CHECK(p[0]->w.shape() == Shape{2, 2, 1, 2});
  // w[ky][kx][0][m]: m = 0 sums the window, m = 1 takes top-left minus bottom-right.
  const float w[] = {1, 1, 1, 0, 1, 0, 1, -1};
  std::copy(w, w + 8, p[0]->w.data());
  p[1]->w[0] = 0.5f;
  p[1]->w[1] = -1.f;
  const std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const std::vector<float> expect = {12.5f, -5, 16.5f, -5, 24.5f, -5, 28.5f, -5};
  CHECK(out(m.predict(x.data(), 1)) == expect);
}

TEST_CASE("depthwise conv: strides, 'same' padding, dilation and depthMultiplier agree with a direct loop") {
  struct Case { int h, w, c, k, dm, stride, dilation; const char* padding; };
  for (const Case& t : {Case{7, 6, 3, 3, 1, 1, 1, "same"}, Case{7, 6, 3, 3, 2, 2, 1, "same"}, Case{8, 9, 5, 3, 1, 1, 2, "same"},
                        Case{9, 7, 4, 3, 3, 1, 2, "valid"}, Case{6, 6, 2, 5, 1, 2, 1, "valid"}, Case{5, 5, 6, 1, 2, 1, 1, "valid"}}) {
    CAPTURE(t.h);
    CAPTURE(t.c);
    CAPTURE(t.dm);
    CAPTURE(t.stride);
    CAPTURE(t.dilation);
    Model m({t.h, t.w, t.c}, 1);
    Layer& layer = m.add(depthwise(t.k, t.dm, t.stride, t.padding, t.dilation));
    fill(layer, 3);
    const Shape o = layer.output_shape();
    const int span = (t.k - 1) * t.dilation + 1;
    const int ph = std::string(t.padding) == "same" ? std::max(0, (o[0] - 1) * t.stride + span - t.h) / 2 : 0;
    const int pw = std::string(t.padding) == "same" ? std::max(0, (o[1] - 1) * t.stride + span - t.w) / 2 : 0;
    Rng rng(4);
    const std::vector<float> x = random_vector(rng, size_t(t.h) * t.w * t.c);
    const float* w = layer.params()[0]->w.data();
    const int oc = t.c * t.dm;
    auto weight = [&](int ky, int kx, int ci, int oo) {
      return ci == oo / t.dm ? double(w[(size_t(ky) * t.k + kx) * oc + oo]) : 0.0;
    };
    const Direct d{t.h, t.w, t.c, t.k, t.stride, t.dilation, ph, pw, o[0], o[1], oc};
    check_close(out(m.predict(x.data(), 1)), d.run(x.data(), weight, layer.params()[1]->w.data()), 1e-5);
  }
}

TEST_CASE("conv2d dilationRate: agrees with a direct loop; the output shape uses the dilated span") {
  struct Case { int h, w; const char* padding; Shape out; };
  // 20x19 'same': 380 output pixels, more than one block of the dilated path
  for (const Case& t : {Case{9, 8, "valid", {5, 4, 4}}, Case{9, 8, "same", {9, 8, 4}}, Case{20, 19, "same", {20, 19, 4}}}) {
    CAPTURE(t.h);
    CAPTURE(t.padding);
    Model m({t.h, t.w, 3}, 1);
    Layer& layer = m.add(dilated(4, 3, 2, t.padding));
    CHECK(layer.output_shape() == t.out);
    fill(layer, 5);
    Rng rng(6);
    const std::vector<float> x = random_vector(rng, size_t(2) * t.h * t.w * 3);
    const float* w = layer.params()[0]->w.data();
    auto weight = [&](int ky, int kx, int ci, int o) { return double(w[((size_t(ky) * 3 + kx) * 3 + ci) * 4 + o]); };
    const int ph = std::string(t.padding) == "same" ? 2 : 0;
    const Direct d{t.h, t.w, 3, 3, 1, 2, ph, ph, t.out[0], t.out[1], 4};
    const std::vector<float> y = out(m.predict(x.data(), 2));
    const size_t per = shape_size(t.out);
    for (size_t i = 0; i < 2; ++i) {
      const std::vector<float> yi(y.begin() + i * per, y.begin() + (i + 1) * per);
      check_close(yi, d.run(x.data() + i * t.h * t.w * 3, weight, layer.params()[1]->w.data()), 1e-5);
    }
  }
}

TEST_CASE("conv2d dilationRate 1 is the dense path, bit for bit, whatever the rate was written as") {
  Model a({7, 7, 2}, 9), b({7, 7, 2}, 9);
  a.add(conv(3, 3, 1, "same"));
  b.add(dilated(3, 3, 1, "same"));
  Rng rng(2);
  const std::vector<float> x = random_vector(rng, 2 * 7 * 7 * 2);
  CHECK(out(a.predict(x.data(), 2)) == out(b.predict(x.data(), 2)));
}

TEST_CASE("separable conv: the depthwise step then a 1x1 convolution, weights in TF.js' order") {
  Model m({6, 5, 3}, 1);
  Layer& layer = m.add(separable(4, 3, 2, 1, "same"));
  auto p = layer.params();
  REQUIRE(p.size() == 3);
  CHECK(p[0]->name == "depthwise_kernel");
  CHECK(p[0]->w.shape() == Shape{3, 3, 3, 2});
  CHECK(p[1]->name == "pointwise_kernel");
  CHECK(p[1]->w.shape() == Shape{1, 1, 6, 4});
  CHECK(p[2]->name == "bias");
  CHECK(p[2]->w.shape() == Shape{4});
  fill(layer, 7);

  Model two({6, 5, 3}, 1);
  LayerConfig dw = depthwise(3, 2, 1, "same");
  dw.use_bias = false;
  Layer& first = two.add(dw);
  Layer& second = two.add(conv(4, 1));
  first.params()[0]->w = p[0]->w;
  second.params()[0]->w = p[1]->w;
  second.params()[1]->w = p[2]->w;
  Rng rng(8);
  const std::vector<float> x = random_vector(rng, 2 * 6 * 5 * 3);
  const std::vector<float> a = out(m.predict(x.data(), 2)), b = out(two.predict(x.data(), 2));
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(std::fabs(a[i] - b[i]) <= 1e-5);
}

TEST_CASE("depthwise, separable and dilated conv: gradients by finite differences with strides, padding, dilation, activations") {
  check_gradients(depthwise(3, 1), {5, 6, 3}, 2);
  check_gradients(depthwise(3, 2, 2, "same"), {7, 6, 2}, 2);
  check_gradients(depthwise(3, 1, 1, "same", 2), {7, 7, 5}, 2);
  check_gradients(depthwise(2, 3, 1, "valid", 2), {5, 6, 2}, 2);
  LayerConfig relu = depthwise(3, 1, 1, "same");
  relu.activation = "relu";
  check_gradients(relu, {5, 5, 6}, 2);
  check_gradients(separable(3, 3, 1), {5, 6, 3}, 2);
  check_gradients(separable(4, 3, 2, 2, "same"), {6, 7, 2}, 2);
  LayerConfig sep = separable(2, 3, 1, 1, "same", 2);
  sep.activation = "tanh";
  sep.use_bias = false;
  check_gradients(sep, {6, 6, 3}, 2);
  check_gradients(dilated(3, 3, 2), {7, 8, 2}, 2);
  LayerConfig dconv = dilated(2, 2, 3, "same");
  dconv.activation = "relu";
  check_gradients(dconv, {6, 7, 3}, 2);
  check_gradients(dilated(2, 3, 2, "same"), {17, 16, 1}, 2);  // 272 output pixels: two blocks of the dilated path
}

TEST_CASE("conv layers: shape errors and option combinations name the layer and the shapes") {
  Model flat({8}, 1);
  CHECK_THROWS_WITH_AS(flat.add(depthwise(3, 1)),
                       "depthwise_conv2d 'depthwise_conv2d_1': expected an input of shape [height,width,channels], got [8]", Error);
  Model m({5, 5, 2}, 1);
  CHECK_THROWS_WITH_AS(m.add(dilated(2, 3, 3)),
                       "conv2d 'conv2d_1': kernel [3,3] dilated by [3,3] with 'valid' padding does not fit the input [5,5,2]",
                       Error);
  CHECK_THROWS_WITH_AS(m.add(separable(2, 6, 1)),
                       "separable_conv2d 'separable_conv2d_1': kernel [6,6] with 'valid' padding does not fit the input [5,5,2]",
                       Error);
  CHECK_THROWS_WITH_AS(m.add(depthwise(3, 1, 2, "same", 2)),
                       "depthwise_conv2d 'depthwise_conv2d_1': strides [2,2] and dilationRate [2,2] cannot both be above 1 "
                       "(as in Keras and TF.js)",
                       Error);
  LayerConfig bad = depthwise(3, 1);
  bad.depth_multiplier = 0;
  CHECK_THROWS_WITH_AS(m.add(bad), doctest::Contains("depthwise_conv2d 'depthwise_conv2d_1': depthMultiplier"), Error);
}

TEST_CASE("global max pooling: the channel maxima; the gradient goes to the first maximum") {
  Model m({2, 2, 2}, 1);
  Layer& layer = m.add(simple("global_max_pooling2d"));
  CHECK(layer.output_shape() == Shape{2});
  const std::vector<float> x = {1, -5, 4, -2, 4, -3, 0, -1};
  CHECK(out(m.predict(x.data(), 1)) == std::vector<float>{4, -1});
  Tensor xt({1, 2, 2, 2}), y, dy({1, 2}), dx;
  std::copy(x.begin(), x.end(), xt.data());
  dy[0] = 2;
  dy[1] = 3;
  Context ctx;
  layer.forward(xt, y, ctx);
  layer.backward(xt, y, dy, &dx, ctx);
  CHECK(out(dx) == std::vector<float>{0, 0, 2, 0, 0, 0, 0, 3});
  GradCheckOptions ladder;
  ladder.ladder_inputs = true;
  check_gradients(simple("global_max_pooling2d"), {3, 4, 5}, 2, ladder);
}

TEST_CASE("upsampling: 'nearest' repeats, 'bilinear' samples as TF.js (corners aligned at the top left)") {
  LayerConfig c = simple("up_sampling2d");
  c.size_h = 2;
  c.size_w = 3;
  Model m({2, 2, 1}, 1);
  CHECK(m.add(c).output_shape() == Shape{4, 6, 1});
  const std::vector<float> x = {1, 2, 3, 4};
  CHECK(out(m.predict(x.data(), 1)) == std::vector<float>{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2,  //
                                                          3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4});
  LayerConfig b = simple("up_sampling2d");
  b.interpolation = "bilinear";
  Model mb({1, 2, 1}, 1);
  mb.add(b);
  // columns sample at 0, 0.5, 1, 1.5 (clamped to the last pixel): 1, 1.5, 2, 2; rows repeat
  CHECK(out(mb.predict(std::vector<float>{1, 2}.data(), 1)) == std::vector<float>{1, 1.5f, 2, 2, 1, 1.5f, 2, 2});
  check_gradients(c, {3, 2, 2}, 2);
  check_gradients(b, {3, 4, 2}, 2);
}

TEST_CASE("reshape: one -1 takes what the input leaves; an input it cannot divide is refused") {
  LayerConfig r = simple("reshape");
  r.target_shape = {-1, 3};
  Model m({4, 3, 1}, 1);
  CHECK(m.add(r).output_shape() == Shape{4, 3});
  Model bad({5}, 1);
  CHECK_THROWS_WITH_AS(bad.add(r),
                       "reshape 'reshape_1': targetShape [-1,3] cannot hold the 5 values per sample of the input [5] "
                       "(not a multiple of 3)",
                       Error);
  r.target_shape = {-1, -1};
  CHECK_THROWS_WITH_AS(bad.add(r), doctest::Contains("reshape 'reshape_1': targetShape must be an array of 1 to 3 positive integers (below 2^31), one of which may be -1"), Error);
}

TEST_CASE("conv2d transpose: the adjoint of the Conv2D with the same kernel; TF.js' output sizes") {
  LayerConfig t = conv(2, 3, 2, "same");
  t.type = "conv2d_transpose";
  Model m({3, 4, 5}, 1);
  Layer& layer = m.add(t);
  CHECK(layer.output_shape() == Shape{6, 8, 2});
  CHECK(layer.params()[0]->w.shape() == Shape{3, 3, 2, 5});
  LayerConfig v = t;
  v.padding = "valid";
  Model mv({3, 4, 5}, 1);
  CHECK(mv.add(v).output_shape() == Shape{7, 9, 2});
  LayerConfig wide = v;
  wide.kernel_h = wide.kernel_w = 1;
  wide.stride_h = wide.stride_w = 3;
  Model mw({3, 4, 5}, 1);
  CHECK(mw.add(wide).output_shape() == Shape{9, 12, 2});

  // <conv(a), b> == <a, transpose(b)> with the same kernel and no bias.
  for (const char* padding : {"same", "valid"}) {
    CAPTURE(padding);
    LayerConfig tc = t;
    tc.padding = padding;
    tc.use_bias = false;
    Model tm({3, 4, 5}, 1);
    Layer& tl = tm.add(tc);
    const Shape big = tl.output_shape();
    LayerConfig cc = conv(5, 3, 2, padding);
    cc.use_bias = false;
    Model cm(big, 1);
    Layer& cl = cm.add(cc);
    REQUIRE(cl.output_shape() == Shape{3, 4, 5});
    fill(tl, 12);
    cl.params()[0]->w = tl.params()[0]->w;
    Rng rng(13);
    const std::vector<float> a = random_vector(rng, shape_size(big)), b = random_vector(rng, 3 * 4 * 5);
    const std::vector<float> ca = out(cm.predict(a.data(), 1)), tb = out(tm.predict(b.data(), 1));
    double lhs = 0, rhs = 0;
    for (size_t i = 0; i < b.size(); ++i) lhs += double(ca[i]) * b[i];
    for (size_t i = 0; i < a.size(); ++i) rhs += double(a[i]) * tb[i];
    CHECK(std::fabs(lhs - rhs) <= 1e-4 * (1 + std::fabs(lhs)));
  }
  check_gradients(t, {3, 4, 3}, 2);
  LayerConfig tr = v;
  tr.activation = "relu";
  tr.stride_h = 1;
  check_gradients(tr, {3, 3, 2}, 2);
}

TEST_CASE("permute: [2,3,4] by dims [3,1,2] moves axis 3 first; backward is the inverse; bad dims are refused") {
  LayerConfig p = simple("permute");
  p.dims = {3, 1, 2};
  Model m({2, 3, 4}, 1);
  CHECK(m.add(p).output_shape() == Shape{4, 2, 3});
  std::vector<float> x(24);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(i);
  const std::vector<float> y = out(m.predict(x.data(), 1));
  // y[c][h][w] = x[h][w][c] = h*12 + w*4 + c
  for (int c = 0; c < 4; ++c)
    for (int h = 0; h < 2; ++h)
      for (int w = 0; w < 3; ++w) CHECK(y[size_t(c) * 6 + h * 3 + w] == float(h * 12 + w * 4 + c));
  check_gradients(p, {2, 3, 4}, 2);
  p.dims = {1, 1, 2};
  CHECK_THROWS_WITH_AS(m.add(p), "permute 'permute_2': dims [1,1,2] is not an order of the axes 1..3 of the input [4,2,3]", Error);
}

TEST_CASE("model file: asymmetric margins and Reshape's -1 round-trip; a ZeroPadding2D written as a pair still loads") {
  Model m({4, 5, 2}, 3);
  LayerConfig pad = simple("zero_padding2d");
  pad.margins = {0, 1, 2, 0};
  m.add(pad);
  LayerConfig crop = simple("cropping2d");
  crop.margins = {1, 0, 0, 2};
  m.add(crop);
  LayerConfig r = simple("reshape");
  r.target_shape = {-1, 2};
  m.add(r);
  const std::vector<uint8_t> file = save_model(m);
  auto back = load_model(file.data(), file.size());
  CHECK(back->layer(0).config().margins == std::vector<int>{0, 1, 2, 0});
  CHECK(back->layer(1).config().margins == std::vector<int>{1, 0, 0, 2});
  CHECK(back->layer(2).config().target_shape == std::vector<int>{-1, 2});
  CHECK(back->output_shape() == Shape{20, 2});  // [4,5,2] -> [5,7,2] -> [4,5,2]
  CHECK(save_model(*back) == file);

  // Version 2 as ZeroPadding2D's first files wrote it: padding as a pair (tag 3) [h, w].
  std::vector<uint8_t> b = {'W', 'C', 'N', 'N'};
  auto u32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(uint8_t(v >> (8 * i)));
  };
  auto str = [&](const std::string& t) {
    u32(uint32_t(t.size()));
    b.insert(b.end(), t.begin(), t.end());
  };
  auto f32 = [&](float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    u32(bits);
  };
  u32(2);
  str("");
  u32(1);
  u32(0);                                 // seed
  u32(3), u32(2), u32(2), u32(1);         // input [2,2,1]
  u32(1);                                 // one node
  str("ZeroPadding2D"), str("pad"), b.push_back(1), f32(1.f), u32(1), str("");
  u32(1), str("padding"), b.push_back(3), f32(1.f), f32(2.f);
  u32(0);                                 // no weights
  u32(crc32(b.data(), b.size()));
  auto old = load_model(b.data(), b.size());
  CHECK(old->layer(0).config().margins == std::vector<int>{1, 1, 2, 2});
  CHECK(old->output_shape() == Shape{4, 6, 1});
}
