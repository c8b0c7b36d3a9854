// Throughput of the element-wise extension kernels (activation_ext.h, copy_ops.h merges) and the
// bilinear resize, SIMD twin against the portable kernel, in the same run. Built and run by
// ext_kernels.mjs as wasm under node. GB/s = (bytes read + bytes written) / median CPU time.
#include <emscripten/em_js.h>
#include <emscripten/emscripten.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "kernels/activation_ext.h"
#include "kernels/copy_ops.h"
#include "kernels/resize.h"

using namespace wasmcnn;
using kernels::Activation;

EM_JS(double, cpu_ms, (), {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
});

namespace {

volatile float g_sink;

template <class F>
double median_seconds(F&& f) {
  for (int i = 0; i < 30; ++i) f();
  int reps = 1;
  for (;;) {
    const double t0 = cpu_ms();
    for (int i = 0; i < reps; ++i) f();
    if (cpu_ms() - t0 > 10 || reps > (1 << 20)) break;
    reps *= 2;
  }
  std::vector<double> t;
  for (int r = 0; r < 11; ++r) {
    const double t0 = cpu_ms();
    for (int i = 0; i < reps; ++i) f();
    t.push_back((cpu_ms() - t0) / 1e3 / reps);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

std::vector<float> noise(size_t n, unsigned seed, float scale) {
  std::vector<float> v(n);
  for (auto& x : v) x = scale * (float((seed = seed * 1103515245u + 12345u) >> 8) / float(1 << 24) - 0.5f);
  return v;
}

void row(const char* name, double bytes, double t_simd, double t_port) {
  std::printf("%-28s %8.2f %8.2f %7.1fx\n", name, bytes / t_simd / 1e9, bytes / t_port / 1e9, t_port / t_simd);
}

}  // namespace

int main() {
  const size_t n = 32 * 32 * 64 * 4;  // a batch-4 32x32x64 activation map: 1 MiB
  std::vector<float> x = noise(n, 1, 16.f), dy = noise(n, 2, 2.f), y(n), dx(n);
  std::printf("n = %zu floats; GB/s simd, GB/s portable, speed-up\n", n);
  const char* names[] = {"relu (relu6)", "leakyRelu", "elu", "selu", "swish", "gelu", "gelu_new", "hardSigmoid",
                         "softplus", "softsign", "mish"};
  for (int a = 0; a < kernels::kActivationCount; ++a) {
    kernels::ActivationParams p;
    if (a == 0) p.max_value = 6;
    const Activation act = Activation(a);
    const double tf = median_seconds([&] { kernels::activation_forward(act, p, n, x.data(), y.data()); g_sink = y[7]; });
    const double pf = median_seconds([&] { kernels::portable::activation_forward(act, p, n, x.data(), y.data()); g_sink = y[7]; });
    const double tb = median_seconds([&] { kernels::activation_backward(act, p, n, x.data(), dy.data(), dx.data()); g_sink = dx[7]; });
    const double pb = median_seconds([&] { kernels::portable::activation_backward(act, p, n, x.data(), dy.data(), dx.data()); g_sink = dx[7]; });
    char label[64];
    std::snprintf(label, sizeof label, "%s forward", names[a]);
    row(label, 8.0 * n, tf, pf);
    std::snprintf(label, sizeof label, "%s backward", names[a]);
    row(label, 12.0 * n, tb, pb);
  }
  std::vector<float> a = noise(n, 3, 2.f), b = noise(n, 4, 2.f);
  const float* xs[2] = {a.data(), b.data()};
  float* dxs[2] = {y.data(), dx.data()};
  const char* merge_names[] = {"add", "subtract", "multiply", "average", "maximum", "minimum"};
  for (int m = 0; m < 6; ++m) {
    const kernels::MergeOp op = kernels::MergeOp(m);
    const double tf = median_seconds([&] { kernels::merge_forward(op, 2, xs, 0, n, y.data()); g_sink = y[3]; });
    const double pf = median_seconds([&] { kernels::portable::merge_forward(op, 2, xs, 0, n, y.data()); g_sink = y[3]; });
    const double tb = median_seconds([&] { kernels::merge_backward(op, 2, xs, x.data(), 0, n, dxs); g_sink = y[3]; });
    const double pb = median_seconds([&] { kernels::portable::merge_backward(op, 2, xs, x.data(), 0, n, dxs); g_sink = y[3]; });
    char label[64];
    std::snprintf(label, sizeof label, "%s (2 inputs) forward", merge_names[m]);
    row(label, 12.0 * n, tf, pf);
    std::snprintf(label, sizeof label, "%s (2 inputs) backward", merge_names[m]);
    row(label, 20.0 * n, tb, pb);
  }
  // upSampling2d bilinear 2x on 16x16x64 (batch 4) and a 224x224x3 -> 128x128x3 image resize.
  const kernels::ResizeGeometry ups{16, 16, 64, 32, 32}, img{224, 224, 3, 128, 128};
  std::vector<float> big(4 * 32 * 32 * 64), src = noise(224 * 224 * 3, 5, 1.f), dst(128 * 128 * 3);
  double t = median_seconds([&] { kernels::resize_bilinear_forward(ups, 0, 4, x.data(), big.data()); g_sink = big[5]; });
  double p = median_seconds([&] { kernels::portable::resize_bilinear_forward(ups, 0, 4, x.data(), big.data()); g_sink = big[5]; });
  row("upSampling2d bilinear fwd", 4.0 * 4 * (16 * 16 + 32 * 32) * 64, t, p);
  t = median_seconds([&] { kernels::resize_bilinear_backward(ups, 0, 4, big.data(), dx.data()); g_sink = dx[5]; });
  p = median_seconds([&] { kernels::portable::resize_bilinear_backward(ups, 0, 4, big.data(), dx.data()); g_sink = dx[5]; });
  row("upSampling2d bilinear bwd", 4.0 * 4 * (16 * 16 + 32 * 32) * 64, t, p);
  t = median_seconds([&] { kernels::resize_bilinear_forward(img, 0, 1, src.data(), dst.data()); g_sink = dst[5]; });
  p = median_seconds([&] { kernels::portable::resize_bilinear_forward(img, 0, 1, src.data(), dst.data()); g_sink = dst[5]; });
  row("resize 224x224x3 -> 128x128", 4.0 * (224 * 224 + 128 * 128) * 3, t, p);
  return 0;
}
