// Data augmentation: exact maps (rotation by 90 degrees, flips, crop shifts, identity), determinism
// under the seed, value range, option checks, and its place in Model::train_batch.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/check.h"
#include "test_helpers.h"
#include "train/augment.h"
#include "train/model.h"

using namespace wasmcnn;
using namespace wasmcnn::test;

namespace {

// A 5x5 L shape with distinct values, so any transposition or mirror shows: the bar down column 0
// holds 1..5 from the top, the foot along row 4 holds 6, 7.
const std::vector<float> kL = {
    1, 0, 0, 0, 0,  //
    2, 0, 0, 0, 0,  //
    3, 0, 0, 0, 0,  //
    4, 0, 0, 0, 0,  //
    5, 6, 7, 0, 0,  //
};

// Two channels per pixel: the image and its negative times ten, interleaved (NHWC).
std::vector<float> two_channels(const std::vector<float>& img) {
  std::vector<float> out;
  for (float v : img) {
    out.push_back(v);
    out.push_back(-10 * v);
  }
  return out;
}

std::vector<float> apply(const AugmentTransform& t, const std::vector<float>& img, int h, int w, int c) {
  std::vector<float> out(img.size(), -99.f);
  augment_image(t, h, w, c, img.data(), out.data());
  return out;
}

}  // namespace

TEST_CASE("augment: a 90 degree rotation turns the L counter-clockwise, exactly") {
  AugmentTransform t;
  t.angle = 90;
  // Counter-clockwise as displayed: the bar (top at the left of the picture) lies along the
  // bottom, its top end on the left; the foot points up along the right edge.
  const std::vector<float> expected = {
      0, 0, 0, 0, 0,  //
      0, 0, 0, 0, 0,  //
      0, 0, 0, 0, 7,  //
      0, 0, 0, 0, 6,  //
      1, 2, 3, 4, 5,  //
  };
  CHECK(apply(t, kL, 5, 5, 1) == expected);
  CHECK(apply(t, two_channels(kL), 5, 5, 2) == two_channels(expected));
  // -90 undoes it; 180 is the point reflection.
  t.angle = -90;
  CHECK(apply(t, expected, 5, 5, 1) == kL);
  t.angle = 180;
  std::vector<float> reversed(kL.rbegin(), kL.rend());
  CHECK(apply(t, kL, 5, 5, 1) == reversed);
}

TEST_CASE("augment: horizontal and vertical flips are exact mirrors") {
  AugmentTransform t;
  t.flip_horizontal = true;
  const std::vector<float> mirrored = {
      0, 0, 0, 0, 1,  //
      0, 0, 0, 0, 2,  //
      0, 0, 0, 0, 3,  //
      0, 0, 0, 0, 4,  //
      0, 0, 7, 6, 5,  //
  };
  CHECK(apply(t, kL, 5, 5, 1) == mirrored);
  CHECK(apply(t, two_channels(kL), 5, 5, 2) == two_channels(mirrored));
  t.flip_horizontal = false;
  t.flip_vertical = true;
  const std::vector<float> upside_down = {
      5, 6, 7, 0, 0,  //
      4, 0, 0, 0, 0,  //
      3, 0, 0, 0, 0,  //
      2, 0, 0, 0, 0,  //
      1, 0, 0, 0, 0,  //
  };
  CHECK(apply(t, kL, 5, 5, 1) == upside_down);
  // Non-square: a 2x3 image.
  AugmentTransform h;
  h.flip_horizontal = true;
  CHECK(apply(h, {1, 2, 3, 4, 5, 6}, 2, 3, 1) == std::vector<float>{3, 2, 1, 6, 5, 4});
}

TEST_CASE("augment: a crop of the zero-padded image is an exact integer shift") {
  // out(y, x) = in(y + crop_y, x + crop_x): the crop window starts one pixel right of and two
  // pixels above the original, so the content moves left by one and down by two.
  AugmentTransform t;
  t.crop_x = 1;
  t.crop_y = -2;
  std::vector<float> img(25);
  for (int i = 0; i < 25; ++i) img[i] = float(i + 1);
  const std::vector<float> expected = {
      0,  0,  0,  0,  0,  //
      0,  0,  0,  0,  0,  //
      2,  3,  4,  5,  0,  //
      7,  8,  9,  10, 0,  //
      12, 13, 14, 15, 0,  //
  };
  CHECK(apply(t, img, 5, 5, 1) == expected);
  // Combined with a flip: the flip applies last, to the cropped image.
  t.flip_horizontal = true;
  const std::vector<float> flipped = {
      0, 0,  0,  0,  0,   //
      0, 0,  0,  0,  0,   //
      0, 5,  4,  3,  2,   //
      0, 10, 9,  8,  7,   //
      0, 15, 14, 13, 12,  //
  };
  CHECK(apply(t, img, 5, 5, 1) == flipped);
}

TEST_CASE("augment: rotation 0, zoom 1 and translation 0 are the identity") {
  Rng rng(1);
  std::vector<float> img(7 * 6 * 3);
  for (float& v : img) v = rng.uniform(-1.f, 1.f);
  CHECK(apply(AugmentTransform{}, img, 7, 6, 3) == img);
  // Whole-pixel translations go through the bilinear path and stay exact.
  AugmentTransform t;
  t.shift_x = 2;
  t.shift_y = -1;
  std::vector<float> out = apply(t, img, 7, 6, 3);
  for (int y = 0; y < 7; ++y)
    for (int x = 0; x < 6; ++x)
      for (int ch = 0; ch < 3; ++ch) {
        const int sy = y + 1, sx = x - 2;
        const float want = sy < 7 && sx >= 0 ? img[(sy * 6 + sx) * 3 + ch] : 0.f;
        CHECK(out[(y * 6 + x) * 3 + ch] == want);
      }
  // Options all off draw nothing and copy.
  AugmentOptions off;
  CHECK_FALSE(augment_enabled(off));
  std::vector<float> y(img.size());
  augment_batch(off, 1, 7, 6, 3, img.data(), y.data(), 5, 0);
  CHECK(y == img);
}

TEST_CASE("augment: zoom scales about the centre") {
  // Zoom 2 on a 5x5 image: output pixel (x, y) samples the input at (2 + (x-2)/2, 2 + (y-2)/2).
  std::vector<float> img(25);
  for (int i = 0; i < 25; ++i) img[i] = float(i);
  AugmentTransform t;
  t.scale = 2;
  std::vector<float> out = apply(t, img, 5, 5, 1);
  CHECK(out[12] == 12.f);           // the centre stays
  CHECK(out[0] == 6.f);             // (0, 0) reads pixel (1, 1)
  CHECK(out[24] == 18.f);           // (4, 4) reads pixel (3, 3)
  CHECK(out[1] == 6.5f);            // (1, 0) reads (1.5, 1): half of pixels 6 and 7
  CHECK(out[6] == 9.f);             // (1, 1) reads (1.5, 1.5): a quarter each of 6, 7, 11, 12
  // Zoom 1/2 shrinks: the border of the output falls outside the input and is 0.
  t.scale = 0.5;
  out = apply(t, img, 5, 5, 1);
  CHECK(out[0] == 0.f);
  CHECK(out[12] == 12.f);
  CHECK(out[8] == 4.f);             // (3, 1) reads (4, 0) exactly
  CHECK(out[7] == 2.f);             // (2, 1) reads (2, 0)
}

TEST_CASE("augment: the same seed gives the same batch, another seed another") {
  AugmentOptions o;
  o.rotation = 20;
  o.zoom = 0.2f;
  o.translate = 0.1f;
  o.crop = 2;
  o.flip_horizontal = true;
  o.flip_vertical = true;
  const int n = 6, h = 9, w = 8, c = 2;
  Rng data(3);
  std::vector<float> x(size_t(n) * h * w * c);
  for (float& v : x) v = data.uniform(0.f, 1.f);
  std::vector<float> y1(x.size()), y2(x.size()), y3(x.size());
  std::vector<float> y4(x.size()), y5(x.size());
  augment_batch(o, n, h, w, c, x.data(), y1.data(), 42, 0);
  augment_batch(o, n, h, w, c, x.data(), y2.data(), 42, 0);
  augment_batch(o, n, h, w, c, x.data(), y3.data(), 43, 0);
  augment_batch(o, n, h, w, c, x.data(), y4.data(), 42, 1);  // the next training step
  CHECK(std::memcmp(y1.data(), y2.data(), y1.size() * 4) == 0);
  CHECK(y1 != y3);
  CHECK(y1 != y4);
  CHECK(y1 != x);
  // Each image's transform is keyed by its index in the batch: a batch augmented in two parts
  // (the second told where it starts), last part first, is the batch augmented at once.
  const size_t image = size_t(h) * w * c;
  augment_batch(o, n - 2, h, w, c, x.data() + 2 * image, y5.data() + 2 * image, 42, 0, 2);
  augment_batch(o, 2, h, w, c, x.data(), y5.data(), 42, 0, 0);
  CHECK(std::memcmp(y1.data(), y5.data(), y1.size() * 4) == 0);

  // Bilinear sampling with zeros outside is a convex combination of pixels and 0: every output is
  // finite and inside [min(0, min x), max(0, max x)], here [0, 1].
  const float lo = std::min(0.f, *std::min_element(x.begin(), x.end()));
  const float hi = std::max(0.f, *std::max_element(x.begin(), x.end()));
  for (float v : y1) {
    REQUIRE(std::isfinite(v));
    CHECK(v >= lo);
    CHECK(v <= hi);
  }
  // Each image of the batch gets its own transform.
  CHECK(std::memcmp(y1.data(), y1.data() + image, image * 4) != 0);
}

TEST_CASE("augment: draw_transform stays inside the option ranges") {
  AugmentOptions o;
  o.rotation = 15;
  o.zoom = 0.1f;
  o.translate = 0.2f;
  o.crop = 3;
  Rng rng(9);
  bool seen_negative = false, seen_positive = false;
  for (int i = 0; i < 500; ++i) {
    AugmentTransform t = draw_transform(o, 10, 20, rng);
    CHECK(std::fabs(t.angle) <= 15);
    CHECK(t.scale >= 0.9 - 1e-6);
    CHECK(t.scale <= 1.1 + 1e-6);
    CHECK(std::fabs(t.shift_x) <= 0.2 * 20 + 1e-5);
    CHECK(std::fabs(t.shift_y) <= 0.2 * 10 + 1e-5);
    CHECK(std::abs(t.crop_x) <= 3);
    CHECK(std::abs(t.crop_y) <= 3);
    CHECK_FALSE(t.flip_horizontal);
    seen_negative |= t.crop_x == -3;
    seen_positive |= t.crop_x == 3;
  }
  CHECK(seen_negative);
  CHECK(seen_positive);
}

namespace {

// input [4,4,1] -> flatten -> dense softmax: activation(0) is the (augmented) input, flattened.
Model flat_model(uint64_t seed) {
  Model m({4, 4, 1}, seed);
  m.add(simple("flatten"));
  m.add(dense(3, "softmax"));
  m.compile("sparse_categorical_crossentropy", OptimizerConfig{});
  return m;
}

}  // namespace

TEST_CASE("augment in train_batch: inputs flipped, targets untouched, evaluate and predict clean") {
  Model m = flat_model(7);
  AugmentOptions o;
  o.flip_horizontal = true;
  m.set_augment(o);
  const int n = 8;
  std::vector<float> x(n * 16), t(n);
  for (int i = 0; i < n * 16; ++i) x[i] = float(i % 16 + 1) + 100.f * float(i / 16);
  for (int i = 0; i < n; ++i) t[i] = float(i % 3);
  const std::vector<float> t_before = t, x_before = x;

  int flipped = 0, kept = 0;
  for (int step = 0; step < 4; ++step) {
    REQUIRE(m.train_batch(x.data(), t.data(), n).finite);
    const Tensor& seen = m.activation(0);
    for (int i = 0; i < n; ++i) {
      const float* xi = x.data() + i * 16;
      const float* si = seen.data() + i * 16;
      bool same = true, mirror = true;
      for (int r = 0; r < 4; ++r)
        for (int c = 0; c < 4; ++c) {
          same &= si[r * 4 + c] == xi[r * 4 + c];
          mirror &= si[r * 4 + c] == xi[r * 4 + 3 - c];
        }
      CHECK((same || mirror));
      flipped += mirror;
      kept += same;
    }
  }
  CHECK(flipped > 0);
  CHECK(kept > 0);
  CHECK(t == t_before);
  CHECK(x == x_before);

  m.evaluate_batch(x.data(), t.data(), n);
  CHECK(std::memcmp(m.activation(0).data(), x.data(), x.size() * 4) == 0);
  m.keep_activations(true);  // predict otherwise releases layer outputs once read
  m.predict(x.data(), n);
  CHECK(std::memcmp(m.activation(0).data(), x.data(), x.size() * 4) == 0);
  CHECK(t == t_before);
}

TEST_CASE("augment in train_batch is deterministic under the model seed") {
  AugmentOptions o;
  o.rotation = 30;
  o.zoom = 0.1f;
  o.crop = 1;
  std::vector<float> x(5 * 16), t{0, 1, 2, 0, 1};
  Rng data(11);
  for (float& v : x) v = data.uniform(0.f, 1.f);
  Model a = flat_model(21), b = flat_model(21), c = flat_model(22);
  for (Model* m : {&a, &b, &c}) {
    m->set_augment(o);
    m->train_batch(x.data(), t.data(), 5);
  }
  CHECK(std::memcmp(a.activation(0).data(), b.activation(0).data(), x.size() * 4) == 0);
  CHECK(std::memcmp(a.activation(0).data(), c.activation(0).data(), x.size() * 4) != 0);
}

TEST_CASE("augment options are checked at the boundary") {
  Model m = flat_model(1);
  AugmentOptions o;
  o.rotation = 200;
  CHECK_THROWS_WITH_AS(m.set_augment(o), "augment: rotation must be in [0, 180] degrees, got 200", wasmcnn::Error);
  o = {};
  o.rotation = NAN;
  CHECK_THROWS_AS(m.set_augment(o), wasmcnn::Error);
  o = {};
  o.zoom = 0.95f;
  CHECK_THROWS_AS(m.set_augment(o), wasmcnn::Error);
  o = {};
  o.translate = -0.1f;
  CHECK_THROWS_AS(m.set_augment(o), wasmcnn::Error);
  o = {};
  o.crop = 3;  // min(4, 4) / 2 = 2
  CHECK_THROWS_WITH_AS(m.set_augment(o), "augment: crop must be in [0, 2] pixels for input shape [4,4,1], got 3",
                       wasmcnn::Error);
  o.crop = 2;
  CHECK_NOTHROW(m.set_augment(o));
  CHECK(m.augment().crop == 2);

  Model flat({16}, 1);
  AugmentOptions flip;
  flip.flip_vertical = true;
  CHECK_THROWS_WITH_AS(flat.set_augment(flip),
                       "augment: needs image inputs [height,width,channels], but the input shape is [16]",
                       wasmcnn::Error);
  CHECK_NOTHROW(flat.set_augment(AugmentOptions{}));  // all off is fine on any input
}
