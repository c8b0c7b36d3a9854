// Reshape: values kept in order, shapes checked. (Gradients, the model file and option ranges: the
// guard over every kind, test_layer_defs.cpp.)
#include <doctest/doctest.h>

#include <vector>

#include "core/check.h"
#include "test_helpers.h"
#include "train/model.h"

using namespace wasmcnn;
using namespace wasmcnn::test;

namespace {
LayerConfig reshape(Shape target) {
  LayerConfig c = simple("reshape");
  c.target_shape = std::move(target);
  return c;
}
}  // namespace

TEST_CASE("reshape: [6] -> [2,3,1] -> conv keeps the values in NHWC order") {
  Model m({6}, 1);
  CHECK(m.add(reshape({2, 3, 1})).output_shape() == Shape{2, 3, 1});
  LayerConfig sum = conv(1, 1);
  sum.kernel_initializer = "ones";
  m.add(sum);  // a 1x1 convolution with weight 1 and bias 0: the identity
  m.add(reshape({3, 2}));
  m.keep_activations(true);
  const std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  const Tensor& y = m.predict(x.data(), 2);
  CHECK(y.shape() == Shape{2, 3, 2});
  CHECK(std::vector<float>(y.data(), y.data() + y.size()) == x);
  CHECK(m.activation(0).shape() == Shape{2, 2, 3, 1});
}

TEST_CASE("reshape: the target must hold as many values as the input; a bad targetShape is refused") {
  Model m({4, 4, 1}, 1);
  CHECK_THROWS_WITH_AS(m.add(reshape({3, 5})),
                       "reshape 'reshape_1': targetShape [3,5] holds 15 values per sample, the input [4,4,1] has 16",
                       Error);
  CHECK_THROWS_WITH_AS(m.add(reshape({})), doctest::Contains("reshape 'reshape_1': targetShape must be an array of 1 to 3"),
                       Error);
  CHECK_THROWS_WITH_AS(m.add(reshape({2, 2, 2, 2})), doctest::Contains("targetShape must be an array of 1 to 3"), Error);
  CHECK_THROWS_WITH_AS(m.add(reshape({16, 0})), doctest::Contains("got [16,0]"), Error);
  CHECK(m.add(reshape({16})).output_shape() == Shape{16});
}
