// ZeroPadding2D and Cropping2D: the frame of zeros and the cut, by hand; each one's backward is the other. (Gradients, the model file and
// option ranges: the guard over every kind, test_layer_defs.cpp.)
#include <doctest/doctest.h>

#include <vector>

#include "core/check.h"
#include "test_helpers.h"
#include "train/model.h"

using namespace wasmcnn;
using namespace wasmcnn::test;

namespace {
LayerConfig padding(int ph, int pw) {
  LayerConfig c = simple("zero_padding2d");
  c.margins = {ph, ph, pw, pw};
  return c;
}
LayerConfig margins(const std::string& type, int top, int bottom, int left, int right) {
  LayerConfig c = simple(type);
  c.margins = {top, bottom, left, right};
  return c;
}
}  // namespace

TEST_CASE("zero padding: [2,2,1] padded by [1,2] is framed by zeros; a Keras class name works too") {
  Model m({2, 2, 1}, 1);
  Layer& layer = m.add(padding(1, 2));
  CHECK(layer.output_shape() == Shape{4, 6, 1});
  const std::vector<float> x = {1, 2, 3, 4};
  const Tensor& y = m.predict(x.data(), 1);
  const std::vector<float> expect = {0, 0, 0, 0, 0, 0,  //
                                     0, 0, 1, 2, 0, 0,  //
                                     0, 0, 3, 4, 0, 0,  //
                                     0, 0, 0, 0, 0, 0};
  CHECK(std::vector<float>(y.data(), y.data() + y.size()) == expect);

  LayerConfig by_class = padding(0, 1);
  by_class.type = "ZeroPadding2D";
  Model m2({3, 1, 2}, 1);
  CHECK(m2.add(by_class).output_shape() == Shape{3, 3, 2});
}

TEST_CASE("zero padding: backward drops the frame's gradient; channels stay interleaved") {
  Model m({1, 2, 2}, 1);
  m.add(padding(1, 1));  // [3,4,2]
  m.add(simple("flatten"));
  m.add(dense(2, "softmax"));
  Layer& pad = m.layer(0);
  Tensor x({1, 1, 2, 2}), dy({1, 3, 4, 2}), dx;
  for (size_t i = 0; i < dy.size(); ++i) dy[i] = float(i);
  Tensor y;
  Scratch scratch;
  Context ctx{false, &scratch};
  pad.forward(x, y, ctx);
  pad.backward(x, y, dy, &dx, ctx);
  // The inner pixels of the padded [3,4,2] gradient: row 1, columns 1 and 2, both channels.
  CHECK(std::vector<float>(dx.data(), dx.data() + dx.size()) == std::vector<float>{10, 11, 12, 13});
}

TEST_CASE("zero padding: needs an image input and a non-negative padding") {
  Model m({8}, 1);
  CHECK_THROWS_WITH_AS(m.add(padding(1, 1)),
                       doctest::Contains("zero_padding2d 'zero_padding2d_1': expected an input of shape [height,width,channels], got [8]"),
                       Error);
  Model img({4, 4, 1}, 1);
  CHECK_THROWS_WITH_AS(img.add(padding(-1, 0)), doctest::Contains("zero_padding2d 'zero_padding2d_1': padding"), Error);
  CHECK(padding(0, 0).margins[0] == 0);
  CHECK(img.add(padding(0, 0)).output_shape() == Shape{4, 4, 1});
}

TEST_CASE("zero padding: asymmetric [[top, bottom], [left, right]]") {
  Model m({2, 2, 1}, 1);
  CHECK(m.add(margins("zero_padding2d", 0, 1, 2, 0)).output_shape() == Shape{3, 4, 1});
  const std::vector<float> x = {1, 2, 3, 4};
  const Tensor& y = m.predict(x.data(), 1);
  CHECK(std::vector<float>(y.data(), y.data() + y.size()) == std::vector<float>{0, 0, 1, 2,  //
                                                                                0, 0, 3, 4,  //
                                                                                0, 0, 0, 0});
}

TEST_CASE("cropping: [[1,0],[0,2]] keeps rows 1.. and columns ..w-2; backward puts the gradient back, zeros in the cut") {
  Model m({3, 4, 1}, 1);
  Layer& crop = m.add(margins("cropping2d", 1, 0, 0, 2));
  CHECK(crop.output_shape() == Shape{2, 2, 1});
  std::vector<float> x(12);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(i);
  const Tensor& y = m.predict(x.data(), 1);
  CHECK(std::vector<float>(y.data(), y.data() + y.size()) == std::vector<float>{4, 5, 8, 9});

  Tensor xt({1, 3, 4, 1}), yt, dy({1, 2, 2, 1}), dx;
  for (size_t i = 0; i < dy.size(); ++i) dy[i] = float(i + 1);
  Context ctx;
  crop.forward(xt, yt, ctx);
  crop.backward(xt, yt, dy, &dx, ctx);
  CHECK(std::vector<float>(dx.data(), dx.data() + dx.size()) == std::vector<float>{0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0});
}

TEST_CASE("cropping: a cut that leaves nothing is refused naming the layer, the cropping and the input") {
  Model m({3, 4, 1}, 1);
  CHECK_THROWS_WITH_AS(m.add(margins("cropping2d", 2, 1, 0, 0)),
                       doctest::Contains("cropping2d 'cropping2d_1': cropping [[2,1],[0,0]] leaves nothing of the input [3,4,1]"),
                       Error);
}
