// Kernel micro-benchmarks, built by kernels.mjs with em++ straight from the library sources into a
// module of their own (never part of the Embind module). The bench_* functions return a rate or a
// time per call (see each) or print a table; all time with the process's CPU clock.
#include <emscripten/em_js.h>
#include <emscripten/emscripten.h>
#include <wasm_simd128.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <vector>

#include "core/tensor.h"
#include "kernels/conv.h"
#include "kernels/eltwise.h"
#include "kernels/gemm.h"
#include "kernels/pool.h"
#include "layers/layer.h"
#include "train/loss.h"
#include "train/model.h"

using namespace wasmcnn;

// Counts operator new calls, to check that a training step allocates nothing once its buffers are
// sized.
static size_t g_news = 0;
void* operator new(size_t n) {
  ++g_news;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

// The process's CPU time in ms (user + system): unlike the wall clock, not inflated by other
// processes sharing the core, which on this shared machine is the difference between a usable
// number and noise.
EM_JS(double, cpu_ms, (), {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
});

namespace {

// Seconds per call of f: the best of `runs` timed runs of `reps` calls. The minimum, not the
// median: other processes on this machine only ever add time, so the fastest run is the one that
// measures the code.
template <class F>
double best_seconds(int runs, int reps, F&& f) {
  double best = 1e30;
  for (int r = 0; r < runs; ++r) {
    double t0 = cpu_ms();
    for (int i = 0; i < reps; ++i) f();
    best = std::min(best, (cpu_ms() - t0) / 1e3 / reps);
  }
  return best;
}

std::vector<float> noise(size_t n, unsigned seed) {
  std::vector<float> v(n);
  for (auto& x : v) x = float((seed = seed * 1103515245u + 12345u) >> 8) / float(1 << 24) - 0.5f;
  return v;
}

// The peak of a register-blocked f32x4 multiply-add loop: the 4x8 tile of a GEMM micro-kernel
// (8 accumulators, 2 B vectors, 1 broadcast) over a 4 KiB panel that stays in L1. The panel data
// are loaded each iteration, as in a real GEMM; nothing else runs.
__attribute__((noinline)) void peak_4x8(int reps, const float* pa, const float* pb, int k, float* out) {
  v128_t c00 = wasm_f32x4_splat(0.f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (int r = 0; r < reps; ++r) {
    const float* a = pa;
    const float* b = pb;
    for (int p = 0; p < k; ++p, a += 4, b += 8) {
      v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
      v128_t s = wasm_f32x4_splat(a[0]);
      c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(s, b0));
      c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(s, b1));
      s = wasm_f32x4_splat(a[1]);
      c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(s, b0));
      c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(s, b1));
      s = wasm_f32x4_splat(a[2]);
      c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(s, b0));
      c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(s, b1));
      s = wasm_f32x4_splat(a[3]);
      c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(s, b0));
      c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(s, b1));
    }
  }
  v128_t s = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(c00, c01), wasm_f32x4_add(c10, c11)),
                            wasm_f32x4_add(wasm_f32x4_add(c20, c21), wasm_f32x4_add(c30, c31)));
  wasm_v128_store(out, s);
}

}  // namespace

extern "C" {

// GFLOP/s of peak_4x8 (2 flops per lane per multiply-add).
EMSCRIPTEN_KEEPALIVE double bench_peak() {
  static std::vector<float> a = noise(4 * 128, 1), b = noise(8 * 128, 2);
  alignas(16) float out[4];
  const int k = 128, reps = 20000;
  volatile float sink = 0;
  // Many short calls first: V8 tiers a function up between calls, never inside a running loop.
  for (int i = 0; i < 3000; ++i) {
    peak_4x8(10, a.data(), b.data(), k, out);
    sink = sink + out[0];
  }
  double s = best_seconds(7, 1, [&] {
    peak_4x8(reps, a.data(), b.data(), k, out);
    sink = sink + out[0];  // keeps the call alive
  });
  return 2.0 * 4 * 8 * k * reps / s / 1e9;
}

// One call of the general kernels::gemm entry point, C[m,n] = op(A) op(B) (trans_b includes
// transposing B), with the shapes LeNet-5's layers multiply; returns GFLOP/s. The same call exists
// in the last commit's tree, so --src compares like with like.
EMSCRIPTEN_KEEPALIVE double bench_gemm(int ta, int tb, int m, int n, int k) {
  std::vector<float> a = noise(size_t(m) * k, 3), b = noise(size_t(k) * n, 4), c(size_t(m) * n);
  std::vector<float> work(kernels::gemm_workspace_floats(m, n, k) + 4);
  const size_t lda = ta ? m : k, ldb = tb ? k : n;
  const double flops = 2.0 * m * n * k;
  const int reps = std::max(1, int(2e7 / flops));
  auto call = [&] {
    kernels::gemm(ta, tb, m, n, k, a.data(), lda, b.data(), ldb, false, c.data(), n, work.data());
  };
  for (int i = 0; i < 3 * reps; ++i) call();
  return flops / best_seconds(7, reps, call) / 1e9;
}

// im2col / col2im of one batch (n images) with the LeNet conv geometries; returns microseconds.
EMSCRIPTEN_KEEPALIVE double bench_im2col(int which, int backward, int n) {
  kernels::ConvGeometry g = which == 1 ? kernels::conv_geometry(28, 28, 1, 5, 5, 1, 1, true)
                                       : kernels::conv_geometry(14, 14, 6, 5, 5, 1, 1, false);
  const size_t in = size_t(g.h) * g.w * g.c, rows = size_t(g.oh) * g.ow;
  std::vector<float> x = noise(in * n, 6), col(rows * g.patch() * n);
  auto call = [&] {
    for (int i = 0; i < n; ++i)
      if (backward)
        kernels::col2im(g, col.data() + i * rows * g.patch(), x.data() + i * in);
      else
        kernels::im2col(g, x.data() + i * in, col.data() + i * rows * g.patch());
  };
  for (int i = 0; i < 20; ++i) call();
  return 1e6 * best_seconds(7, 5, call);
}

#if __has_include("kernels/gemm_tiles.h")
#define HAVE_CONV_KERNELS 1
// One conv2d_* kernel over a batch of n images with a LeNet-5 geometry (which = 1: conv1 28x28x1
// 'same' -> 6; 2: conv2 14x14x6 valid -> 16). kind 0: forward (bias + ReLU), 1: kernel gradient,
// 2: input gradient. Returns GFLOP/s of the product (2 * pixels * patch * oc per image).
EMSCRIPTEN_KEEPALIVE double bench_conv(int which, int kind, int n) {
  kernels::ConvGeometry g = which == 1 ? kernels::conv_geometry(28, 28, 1, 5, 5, 1, 1, true)
                                       : kernels::conv_geometry(14, 14, 6, 5, 5, 1, 1, false);
  const size_t oc = which == 1 ? 6 : 16, in = size_t(g.h) * g.w * g.c, pixels = size_t(g.oh) * g.ow;
  std::vector<float> x = noise(in * n, 7), w = noise(g.patch() * oc, 8), b = noise(oc, 9);
  std::vector<float> dz = noise(pixels * oc * n, 10), y(pixels * oc * n), dw(g.patch() * oc), dx(in * n);
  std::vector<float> work(kernels::conv2d_workspace_floats(g, oc));
  auto call = [&] {
    if (kind == 0)
      kernels::conv2d_forward(g, oc, x.data(), w.data(), b.data(), true, y.data(), kernels::all(n), work.data());
    else if (kind == 1)
      kernels::conv2d_backward_filter(g, n, oc, x.data(), dz.data(), dw.data(), kernels::all(oc), work.data());
    else
      kernels::conv2d_backward_input(g, oc, dz.data(), w.data(), dx.data(), kernels::all(n), work.data());
  };
  for (int i = 0; i < 50; ++i) call();
  return 2.0 * pixels * g.patch() * oc * n / best_seconds(9, 5, call) / 1e9;
}
#endif

// Element-wise and pooling kernels at LeNet-5's batch-32 sizes; returns microseconds per call.
// 0: relu_backward conv1 (32x28x28x6), 1: bias_grad conv1 (25088 x 6), 2: bias_grad conv2 (3200 x 16),
// 3: max_pool_forward pool1 (32 images 28x28x6), 4: max_pool_backward pool1.
EMSCRIPTEN_KEEPALIVE double bench_misc(int which) {
  const size_t n1 = 32 * 784 * 6;
  static std::vector<float> y = noise(n1, 11), dy = noise(n1, 12), dx(n1), db(16);
  static std::vector<int32_t> arg(n1 / 4);
  kernels::ConvGeometry pg = kernels::conv_geometry(28, 28, 6, 2, 2, 2, 2, false);
  auto call = [&] {
    switch (which) {
      case 0: kernels::relu_backward(n1, y.data(), dy.data(), dx.data()); break;
      case 1: kernels::bias_grad(25088, 6, dy.data(), db.data()); break;
      case 2: kernels::bias_grad(3200, 16, dy.data(), db.data()); break;
      case 3:
        kernels::max_pool_forward(pg, y.data(), dx.data(), arg.data(), kernels::all(32));
        break;
      case 4:
        kernels::max_pool_backward(pg, dy.data(), arg.data(), dx.data(), kernels::all(32));
        break;
    }
  };
  for (int i = 0; i < 50; ++i) call();
  return 1e6 * best_seconds(9, 10, call);
}

// Per-layer forward / backward time of a LeNet-5 training step (batch n), in microseconds,
// printed as a table. Mirrors Model::train_batch layer by layer; with train = 0 it runs the forward
// pass only, in inference mode, as Model::predict does.
EMSCRIPTEN_KEEPALIVE void bench_lenet_layers(int n, int train) {
  Model m({28, 28, 1}, 7);
  auto add = [&](const char* type, auto&& set) {
    LayerConfig c;
    c.type = type;
    set(c);
    m.add(c);
  };
  add("conv2d", [](LayerConfig& c) { c.filters = 6; c.kernel_h = c.kernel_w = 5; c.padding = "same"; c.activation = "relu"; });
  add("max_pooling2d", [](LayerConfig& c) { c.stride_h = c.stride_w = 0; });
  add("conv2d", [](LayerConfig& c) { c.filters = 16; c.kernel_h = c.kernel_w = 5; c.activation = "relu"; });
  add("max_pooling2d", [](LayerConfig& c) { c.stride_h = c.stride_w = 0; });
  add("flatten", [](LayerConfig&) {});
  add("dense", [](LayerConfig& c) { c.units = 120; c.activation = "relu"; });
  add("dense", [](LayerConfig& c) { c.units = 84; c.activation = "relu"; });
  add("dense", [](LayerConfig& c) { c.units = 10; c.activation = "softmax"; });
  m.compile("sparseCategoricalCrossentropy", OptimizerConfig{});
  const size_t L = m.num_layers();
  std::vector<Tensor> acts(L + 1), grads(L + 1);
  acts[0].resize({n, 28, 28, 1});
  std::vector<float> x = noise(size_t(n) * 784, 5), t(n);
  for (size_t i = 0; i < x.size(); ++i) acts[0][i] = x[i] + 0.5f;
  for (int i = 0; i < n; ++i) t[i] = float(i % 10);
  Scratch scratch;
  Context ctx{train != 0, &scratch, m.seed()};
  std::vector<double> fwd(L), bwd(L);
  std::vector<size_t> news_f(L), news_b(L);
  double loss_t = 0;
  const int steps = 400, warm = 100;
  for (int s = 0; s < steps + warm; ++s) {
    for (size_t i = 0; i < L; ++i) {
      double t0 = cpu_ms();
      const size_t n0 = g_news;
      m.layer(i).forward(acts[i], acts[i + 1], ctx);
      if (s >= warm) fwd[i] += cpu_ms() - t0;
      if (s == steps + warm - 1) news_f[i] = g_news - n0;
    }
    if (!train) continue;
    double t0 = cpu_ms();
    const Tensor* logits = m.layer(L - 1).logits(acts[L - 1]);
    m.layer(L - 1).set_grad_is_logits(true);
    compute_loss(m.loss(), acts[L], logits, t.data(), &grads[L]);
    if (s >= warm) loss_t += cpu_ms() - t0;
    for (size_t i = L; i-- > 0;) {
      double t1 = cpu_ms();
      const size_t n0 = g_news;
      m.layer(i).backward(acts[i], acts[i + 1], grads[i + 1], i ? &grads[i] : nullptr, ctx);
      if (s >= warm) bwd[i] += cpu_ms() - t1;
      if (s == steps + warm - 1) news_b[i] = g_news - n0;
    }
  }
  // The whole step as the model runs it, for comparison with the sum of the parts.
  std::vector<float> xs(x.size());
  for (size_t i = 0; i < x.size(); ++i) xs[i] = x[i] + 0.5f;
  if (train) {
    for (int s = 0; s < warm; ++s) m.train_batch(xs.data(), t.data(), n);
    double whole = best_seconds(7, 40, [&] { m.train_batch(xs.data(), t.data(), n); });
    std::printf("Model::train_batch: %.1f us per step -> %.0f img/s\n", whole * 1e6, n / whole);
    const size_t before = g_news;
    for (int s = 0; s < 10; ++s) m.train_batch(xs.data(), t.data(), n);
    std::printf("operator new calls in 10 training steps: %zu\n", g_news - before);
  } else {
    for (int s = 0; s < warm; ++s) m.predict(xs.data(), n);
    double whole = best_seconds(7, 40, [&] { m.predict(xs.data(), n); });
    std::printf("Model::predict: %.1f us per call -> %.0f img/s\n", whole * 1e6, n / whole);
  }
  double total = loss_t;
  std::printf("%-16s %10s %10s   (us per step of %d images, mean of %d steps; operator new calls per step)\n", "layer",
              "forward", "backward", n, steps);
  for (size_t i = 0; i < L; ++i) {
    std::printf("%-16s %10.1f %10.1f   %zu + %zu\n", m.layer(i).name().c_str(), 1e3 * fwd[i] / steps, 1e3 * bwd[i] / steps,
                news_f[i], news_b[i]);
    total += fwd[i] + bwd[i];
  }
  std::printf("%-16s %10.1f\n%-16s %10.1f  -> %.0f img/s (layers only)\n", "loss", 1e3 * loss_t / steps, "total",
              1e3 * total / steps, n / (total / steps / 1e3));
}

}  // extern "C"
