// Finite-difference checks of every layer's backward pass (gradcheck.h argues the tolerances).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "gradcheck.h"
#include "layers/activation.h"
#include "layers/registry.h"

using namespace wasmcnn;
using namespace wasmcnn::test;

// Every kind's gradients are also checked by the guard over the layer definitions
// (test_layer_defs.cpp), which enumerates them: no hand-kept list of kinds here.

TEST_CASE("conv2d gradients: kernel sizes, strides, paddings, channels") {
  check_gradients(conv(4, 3), {7, 6, 3}, 2);
  check_gradients(conv(3, 1), {5, 5, 2}, 2);
  check_gradients(conv(2, 2, 2), {7, 7, 3}, 3);
  check_gradients(conv(5, 3, 2, "same"), {7, 5, 2}, 2);
  check_gradients(conv(3, 5, 1, "same"), {6, 7, 1}, 2);
  check_gradients(conv(2, 3, 3, "same"), {8, 7, 3}, 2);
  check_gradients(conv(1, 5, 2), {9, 7, 1}, 3);
  LayerConfig rect = conv(3, 3, 1, "same");
  rect.kernel_h = 2;
  rect.kernel_w = 3;
  rect.stride_h = 1;
  rect.stride_w = 2;
  check_gradients(rect, {5, 6, 2}, 2);
  LayerConfig no_bias = conv(3, 3);
  no_bias.use_bias = false;
  check_gradients(no_bias, {5, 5, 2}, 2);
}

TEST_CASE("conv2d gradients: each activation") {
  for (const std::string& act : activation_names()) {
    check_gradients(conv(4, 3, 1, "valid", act), {6, 5, 2}, 2);
    check_gradients(conv(3, 3, 2, "same", act), {5, 7, 3}, 2);
  }
}

TEST_CASE("dense gradients: each activation") {
  for (const std::string& act : activation_names()) {
    check_gradients(dense(5, act), {7}, 3);
    check_gradients(dense(1, act), {3}, 2);
    check_gradients(dense(9, act), {13}, 2);
  }
  LayerConfig no_bias = dense(4, "tanh");
  no_bias.use_bias = false;
  check_gradients(no_bias, {6}, 2);
}

TEST_CASE("flatten and activation layer gradients") {
  check_gradients(simple("flatten"), {3, 5, 2}, 2);
  check_gradients(simple("flatten"), {7}, 3);
  for (const std::string& act : activation_names()) {
    check_gradients(activation(act), {9}, 3);
    check_gradients(activation(act), {3, 4, 5}, 2);
  }
}

TEST_CASE("pooling gradients: max, average, sum; strides; both paddings") {
  GradCheckOptions ladder;
  ladder.ladder_inputs = true;  // max pooling: no ties, nothing for a probe to cross
  for (const char* padding : {"valid", "same"}) {
    check_gradients(pool("max_pooling2d", 2, 2, padding), {7, 5, 3}, 2, ladder);
    check_gradients(pool("max_pooling2d", 3, 2, padding), {7, 7, 2}, 2, ladder);
    check_gradients(pool("max_pooling2d", 3, 1, padding), {5, 6, 1}, 3, ladder);
    check_gradients(pool("max_pooling2d", 2, 3, padding), {8, 7, 5}, 2, ladder);
    for (const char* type : {"average_pooling2d", "sum_pooling2d"}) {
      check_gradients(pool(type, 2, 2, padding), {7, 5, 3}, 2);
      check_gradients(pool(type, 3, 2, padding), {7, 7, 2}, 2);
      check_gradients(pool(type, 3, 1, padding), {5, 6, 1}, 3);
      check_gradients(pool(type, 2, 3, padding), {8, 7, 5}, 2);
    }
  }
  // Random inputs for max pooling too: near-ties are moved away from, not tolerated.
  check_gradients(pool("max_pooling2d", 2, 2, "same"), {5, 5, 3}, 2);
  // Stride 0 means "the pool size".
  check_gradients(pool("average_pooling2d", 2, 0), {5, 6, 2}, 2);
}

TEST_CASE("global average pooling gradients") {
  check_gradients(simple("global_average_pooling2d"), {3, 5, 4}, 2);
  check_gradients(simple("global_average_pooling2d"), {1, 1, 3}, 3);
}

TEST_CASE("dropout and gaussian noise gradients in training mode") {
  check_gradients(dropout(0.3f), {5, 4, 3}, 2);
  check_gradients(dropout(0.5f), {17}, 3);
  check_gradients(dropout(0.f), {6}, 2);
  check_gradients(gaussian_noise(0.5f), {5, 4, 3}, 2);
  check_gradients(gaussian_noise(2.f), {11}, 3);
}

TEST_CASE("batch normalization gradients, batch statistics and moving statistics") {
  LayerConfig bn = simple("batch_normalization");
  check_gradients(bn, {4, 5, 3}, 2);
  check_gradients(bn, {7}, 6);
  LayerConfig plain = bn;
  plain.center = plain.scale = false;
  check_gradients(plain, {3, 3, 2}, 3);
  GradCheckOptions inference;
  inference.training = false;
  check_gradients(bn, {4, 5, 3}, 2, inference);
  check_gradients(bn, {7}, 3, inference);
}

TEST_CASE("conv2d across several im2col chunks matches a direct convolution, forward and backward") {
  // 40x40x9 with a 3x3 'same' kernel: 1600 * 81 floats of im2col per image, so the layer handles
  // 2 images per chunk (1 MiB budget) and a batch of 5 takes 3 chunks, the kernel gradient being
  // accumulated across them. Reference sums in double; the layer's float sums are within gamma(m)
  // of the sum of absolute terms for m terms (Higham): K + 1 for y, n*pixels + chunks for dkernel,
  // kh*kw*oc + 1 for dx, n*pixels for dbias.
  const int n = 5, h = 40, w = 40, c = 9, oc = 4, k = 3;
  std::unique_ptr<Layer> layer = make_layer(conv(oc, k, 1, "same"));
  layer->build({h, w, c});
  Rng rng(31);
  for (Param* p : layer->params()) fill_uniform(rng, p->w);
  const Tensor& kw = layer->params()[0]->w;
  const Tensor& kb = layer->params()[1]->w;
  Tensor x({n, h, w, c}), y, dy({n, h, w, oc}), dx;
  fill_uniform(rng, x);
  fill_uniform(rng, dy);
  Scratch scratch;
  Context ctx{false, &scratch};
  layer->forward(x, y, ctx);
  layer->backward(x, y, dy, &dx, ctx);
  REQUIRE(y.shape() == Shape{n, h, w, oc});

  std::vector<double> dk(kw.size()), dk_mag(kw.size()), dxr(x.size()), dx_mag(x.size()), db(oc), db_mag(oc);
  size_t bad_y = 0, bad = 0;
  auto at_x = [&](int i, int iy, int ix, int ch) { return ((size_t(i) * h + iy) * w + ix) * c + ch; };
  for (int i = 0; i < n; ++i)
    for (int oy = 0; oy < h; ++oy)
      for (int ox = 0; ox < w; ++ox)
        for (int o = 0; o < oc; ++o) {
          const size_t yo = ((size_t(i) * h + oy) * w + ox) * oc + o;
          double sum = kb[o], mag = std::fabs(kb[o]);
          for (int ky = 0; ky < k; ++ky)
            for (int kx = 0; kx < k; ++kx) {
              const int iy = oy + ky - 1, ix = ox + kx - 1;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              for (int ch = 0; ch < c; ++ch) {
                const size_t wi = ((size_t(ky) * k + kx) * c + ch) * oc + o, xi = at_x(i, iy, ix, ch);
                sum += double(x[xi]) * kw[wi];
                mag += std::fabs(double(x[xi]) * kw[wi]);
                dk[wi] += double(x[xi]) * dy[yo];
                dk_mag[wi] += std::fabs(double(x[xi]) * dy[yo]);
                dxr[xi] += double(kw[wi]) * dy[yo];
                dx_mag[xi] += std::fabs(double(kw[wi]) * dy[yo]);
              }
            }
          bad_y += !(std::fabs(y[yo] - sum) <= gamma_n(k * k * c + 2) * mag);
          db[o] += dy[yo];
          db_mag[o] += std::fabs(dy[yo]);
        }
  CHECK(bad_y == 0);
  const Tensor& dkw = layer->params()[0]->dw;
  const Tensor& dkb = layer->params()[1]->dw;
  for (size_t i = 0; i < dk.size(); ++i) bad += !(std::fabs(dkw[i] - dk[i]) <= gamma_n(n * h * w + 4) * dk_mag[i]);
  for (int o = 0; o < oc; ++o) bad += !(std::fabs(dkb[o] - db[o]) <= gamma_n(n * h * w + 1) * db_mag[o]);
  for (size_t i = 0; i < dxr.size(); ++i) bad += !(std::fabs(dx[i] - dxr[i]) <= gamma_n(k * k * oc + 1) * dx_mag[i]);
  CHECK(bad == 0);
}
