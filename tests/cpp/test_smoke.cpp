#include <doctest/doctest.h>

#include "train/model.h"

using namespace wasmcnn;

TEST_CASE("a model builds, names its layers and counts parameters") {
  Model m({28, 28, 1}, 7);
  LayerConfig c;
  c.type = "conv2d";
  c.filters = 6;
  c.kernel_h = c.kernel_w = 5;
  c.padding = "same";
  c.activation = "relu";
  m.add(c);
  LayerConfig f;
  f.type = "flatten";
  m.add(f);
  LayerConfig d;
  d.type = "dense";
  d.units = 10;
  d.activation = "softmax";
  m.add(d);
  CHECK(m.layer(0).name() == "conv2d_1");
  CHECK(m.param_count() == 5 * 5 * 6 + 6 + 28 * 28 * 6 * 10 + 10);
  CHECK(m.output_shape() == Shape{10});
}
