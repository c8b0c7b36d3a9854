// Forward passes on cases small enough to work out by hand.
#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "layers/registry.h"
#include "test_helpers.h"

using namespace wasmcnn;
using namespace wasmcnn::test;

namespace {

// A built layer with given weights, run on one batch.
struct Built {
  std::unique_ptr<Layer> layer;
  Shape sample, out;
  Built(const LayerConfig& config, Shape s) : layer(make_layer(config)), sample(std::move(s)) {
    out = layer->build(sample);
  }
  void set(const std::string& param, const std::vector<float>& values) {
    for (Param* p : layer->params())
      if (p->name == param) {
        REQUIRE(p->w.size() == values.size());
        for (size_t i = 0; i < values.size(); ++i) p->w[i] = values[i];
        return;
      }
    FAIL("no parameter ", param);
  }
  Tensor run(const std::vector<float>& x, int batch = 1, bool training = false) {
    Tensor in(with_batch(batch, sample));
    REQUIRE(in.size() == x.size());
    for (size_t i = 0; i < x.size(); ++i) in[i] = x[i];
    Tensor y;
    Scratch scratch;
    Context ctx{training, &scratch, 1};
    layer->forward(in, y, ctx);
    return y;
  }
};

// Exact comparison: every case below is exact in float (small integers, halves and quarters).
void check_values(const Tensor& y, const Shape& shape, const std::vector<float>& want) {
  CHECK(y.shape() == shape);
  REQUIRE(y.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("element ", i);
    CHECK(y[i] == want[i]);
  }
}

// 1, 2, ..., n
std::vector<float> ramp(int n) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) v[i] = float(i + 1);
  return v;
}

}  // namespace

TEST_CASE("conv2d 3x3 over a 4x5 image: valid and same, strides 1 and 2") {
  //  x = 1  2  3  4  5      w = 1 2 3
  //      6  7  8  9 10          4 5 6
  //     11 12 13 14 15          7 8 9
  //     16 17 18 19 20
  // Cross-correlation (as Keras): y(0,0) = 1*1 + 2*2 + 3*3 + 6*4 + 7*5 + 8*6 + 11*7 + 12*8 + 13*9
  //                                      = 1 + 4 + 9 + 24 + 35 + 48 + 77 + 96 + 117 = 411;
  // each step right adds sum(w) = 45, each step down 5 * 45 = 225.
  const std::vector<float> x = ramp(20), w = ramp(9);
  SUBCASE("valid, stride 1") {
    Built b = Built(conv(1, 3), {4, 5, 1});
    b.set("kernel", w);
    check_values(b.run(x), {1, 2, 3, 1}, {411, 456, 501, 636, 681, 726});
  }
  SUBCASE("same, stride 1: one pixel of zero padding all round") {
    // y(3,4), bottom-right: rows 2..4 x cols 3..5, only x[2][3..4] and x[3][3..4] are real:
    //   14*w(0,0) + 15*w(0,1) + 19*w(1,0) + 20*w(1,1) = 14*1 + 15*2 + 19*4 + 20*5 = 220.
    // y(0,0): 1*5 + 2*6 + 6*8 + 7*9 = 128.
    Built b = Built(conv(1, 3, 1, "same"), {4, 5, 1});
    b.set("kernel", w);
    check_values(b.run(x), {1, 4, 5, 1},
                 {128, 202, 241, 280, 184, 276, 411, 456, 501, 318, 441, 636, 681, 726, 453, 240, 331, 352, 373, 220});
  }
  SUBCASE("valid, stride 2") {
    Built b = Built(conv(1, 3, 2), {4, 5, 1});
    b.set("kernel", w);
    check_values(b.run(x), {1, 1, 2, 1}, {411, 501});
  }
  SUBCASE("same, stride 2: TensorFlow pads 0 rows above, 1 below, 1 column left and right") {
    // out = ceil(4/2) x ceil(5/2) = 2x3; padding (2-1)*2+3-4 = 1 row -> 0 top, 1 bottom;
    // (3-1)*2+3-5 = 2 columns -> 1 left, 1 right. y(0,0): rows 0..2, cols -1..1 =
    //   1*2 + 2*3 + 6*5 + 7*6 + 11*8 + 12*9 = 2 + 6 + 30 + 42 + 88 + 108 = 276.
    Built b = Built(conv(1, 3, 2, "same"), {4, 5, 1});
    b.set("kernel", w);
    check_values(b.run(x), {1, 2, 3, 1}, {276, 456, 318, 240, 352, 220});
  }
  SUBCASE("bias and relu") {
    Built b = Built(conv(1, 3, 1, "valid", "relu"), {4, 5, 1});
    std::vector<float> neg(9);
    for (int i = 0; i < 9; ++i) neg[i] = i == 4 ? 1.f : 0.f;  // picks the centre pixel
    b.set("kernel", neg);
    b.set("bias", {-8.5f});
    // centres 7 8 9 / 12 13 14, minus 8.5, relu
    check_values(b.run(x), {1, 2, 3, 1}, {0, 0, 0.5f, 3.5f, 4.5f, 5.5f});
  }
}

TEST_CASE("conv2d with two input and two output channels (HWIO kernel, NHWC data)") {
  // x channel 0 = 1 2 3 / 4 5 6 / 7 8 9,  channel 1 = 2 0 1 / 3 1 0 / 0 4 2  (interleaved in NHWC)
  // filter 0: ic0 [[1,0],[0,1]], ic1 [[0,1],[0,0]], bias 0.5
  // filter 1: ic0 [[0,0],[1,0]], ic1 [[1,-1],[2,0]], bias -1
  // y(0,0,f1) = x0(1,0) + x1(0,0) - x1(0,1) + 2 x1(1,0) - 1 = 4 + 2 - 0 + 6 - 1 = 11.
  const std::vector<float> x = {1, 2, 2, 0, 3, 1, 4, 3, 5, 1, 6, 0, 7, 0, 8, 4, 9, 2};
  // w[ky][kx][ic][oc]
  const std::vector<float> w = {1, 0, 0, 1,   // ky 0 kx 0: (ic0,oc0) (ic0,oc1) (ic1,oc0) (ic1,oc1)
                                0, 0, 1, -1,  // ky 0 kx 1
                                0, 1, 0, 2,   // ky 1 kx 0
                                1, 0, 0, 0};  // ky 1 kx 1
  Built b = Built(conv(2, 2), {3, 3, 2});
  b.set("kernel", w);
  b.set("bias", {0.5f, -1.f});
  check_values(b.run(x), {1, 2, 2, 2}, {6.5f, 11, 9.5f, 5, 13.5f, 8, 14.5f, 16});
}

TEST_CASE("2x2 pooling with stride 2 on a 4x4 image: max, sum, average") {
  const std::vector<float> x = {1, 3, 2, 0,    //
                                4, -2, 6, 5,   //
                                -1, -3, 8, 7,  //
                                0, -5, 9, -4};
  // windows: {1,3,4,-2} {2,0,6,5} {-1,-3,0,-5} {8,7,9,-4}
  check_values(Built(pool("max_pooling2d", 2, 2), {4, 4, 1}).run(x), {1, 2, 2, 1}, {4, 6, 0, 9});
  check_values(Built(pool("sum_pooling2d", 2, 2), {4, 4, 1}).run(x), {1, 2, 2, 1}, {6, 13, -9, 20});
  check_values(Built(pool("average_pooling2d", 2, 2), {4, 4, 1}).run(x), {1, 2, 2, 1}, {1.5f, 3.25f, -2.25f, 5});
  // Stride 0 means the pool size.
  check_values(Built(pool("max_pooling2d", 2, 0), {4, 4, 1}).run(x), {1, 2, 2, 1}, {4, 6, 0, 9});
}

TEST_CASE("2x2 pooling with 'same' padding on 5x5: padding is never a candidate nor counted") {
  // out 3x3; padding (3-1)*2+2-5 = 1 row/column, all of it after the image: the last window row
  // and column see one real row/column. The last row and column are negative, so a max that saw
  // zero padding would return 0 there, and an average that counted it would halve.
  const std::vector<float> x = {1,  2,  3,  4,  -1,  //
                                5,  6,  7,  8,  -2,  //
                                9,  10, 11, 12, -3,  //
                                13, 14, 15, 16, -4,  //
                                -5, -6, -7, -8, -9};
  const Shape out = {1, 3, 3, 1};
  check_values(Built(pool("max_pooling2d", 2, 2, "same"), {5, 5, 1}).run(x), out, {6, 8, -1, 14, 16, -3, -5, -7, -9});
  check_values(Built(pool("sum_pooling2d", 2, 2, "same"), {5, 5, 1}).run(x), out,
               {14, 22, -3, 46, 54, -7, -11, -15, -9});
  check_values(Built(pool("average_pooling2d", 2, 2, "same"), {5, 5, 1}).run(x), out,
               {3.5f, 5.5f, -1.5f, 11.5f, 13.5f, -3.5f, -5.5f, -7.5f, -9});
}

TEST_CASE("dense with known weights, linear and relu") {
  // kernel [in=3, units=2] = [[1,-1],[0.5,2],[-2,1]], bias [0.25,-0.5]
  // sample 0 = [1,2,3]:  u0 = 1 + 1 - 6 + 0.25 = -3.75,  u1 = -1 + 4 + 3 - 0.5 = 5.5
  // sample 1 = [-1,0,2]: u0 = -1 + 0 - 4 + 0.25 = -4.75, u1 = 1 + 0 + 2 - 0.5 = 2.5
  for (const char* act : {"linear", "relu"}) {
    Built b = Built(dense(2, act), {3});
    b.set("kernel", {1, -1, 0.5f, 2, -2, 1});
    b.set("bias", {0.25f, -0.5f});
    const bool relu = std::string(act) == "relu";
    check_values(b.run({1, 2, 3, -1, 0, 2}, 2), {2, 2}, {relu ? 0 : -3.75f, 5.5f, relu ? 0 : -4.75f, 2.5f});
  }
}

TEST_CASE("softmax rows sum to 1 and survive logits of +-1000") {
  const std::vector<float> z = {1000, -1000, 0, 999,  //
                                -1000, -1000, -1000, -1000,  //
                                0.1f, 0.2f, 0.3f, 0.4f};
  Tensor y = Built(activation("softmax"), {4}).run(z, 3);
  REQUIRE(y.shape() == Shape{3, 4});
  for (int r = 0; r < 3; ++r) {
    double sum = 0;
    for (int c = 0; c < 4; ++c) {
      CHECK(std::isfinite(y[r * 4 + c]));
      CHECK(y[r * 4 + c] >= 0.f);
      sum += y[r * 4 + c];
    }
    // each y = exp * (1/sum): expf within 1 ulp (2u), three additions, a reciprocal, a product
    CHECK(std::fabs(sum - 1) <= gamma_n(8));
  }
  // row 0: only 1000 and 999 matter: 1/(1+e^-1) and e^-1/(1+e^-1)
  CHECK(y[0] == doctest::Approx(0.7310585786).epsilon(1e-6));
  CHECK(y[3] == doctest::Approx(0.2689414214).epsilon(1e-6));
  CHECK(y[1] == 0.f);
  for (int c = 0; c < 4; ++c) CHECK(y[4 + c] == 0.25f);
  // Through a dense layer too: a softmax output unit with huge logits.
  Built b = Built(dense(3, "softmax"), {2});
  b.set("kernel", {500, -500, 0, -500, 500, 0});
  b.set("bias", {0, 0, 0});
  Tensor p = b.run({1, -1}, 1);  // z = [1000, -1000, 0]
  CHECK(p[0] == 1.f);
  CHECK(p[1] == 0.f);
  CHECK(p[2] == 0.f);
}

TEST_CASE("global average pooling: the mean of each channel") {
  // 2x3 pixels, 2 channels: channel 0 = 1..6 (mean 3.5), channel 1 = 0,-2,4,6,-8,12 (mean 2)
  const std::vector<float> x = {1, 0, 2, -2, 3, 4, 4, 6, 5, -8, 6, 12};
  check_values(Built(simple("global_average_pooling2d"), {2, 3, 2}).run(x), {1, 2}, {3.5f, 2});
}

TEST_CASE("flatten, dropout and noise are the identity at inference") {
  const std::vector<float> x = {1, -2, 3, 4.5f, 0, -6};
  check_values(Built(simple("flatten"), {1, 3, 2}).run(x), {1, 6}, x);
  check_values(Built(dropout(0.5f), {6}).run(x), {1, 6}, x);
  check_values(Built(gaussian_noise(3.f), {6}).run(x), {1, 6}, x);
  // In training, dropout zeroes some values and scales the others by 1/(1-rate) = 2.
  Tensor y = Built(dropout(0.5f), {6}).run(x, 1, true);
  for (size_t i = 0; i < x.size(); ++i) CHECK((y[i] == 0.f || y[i] == 2 * x[i]));
}
