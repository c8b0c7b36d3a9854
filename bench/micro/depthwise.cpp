// Depthwise convolution bandwidth on MobileNetV1 (alpha 0.25, 128x128x3 input) layer shapes, next to
// a memcpy moving the same bytes in the same run. Built and run by depthwise.mjs, natively and as
// wasm under node; prints one table.
//
// Traffic of a kernel call = the bytes it must read once plus the bytes it writes once (forward:
// x, w, b in and y out; kernel gradient: x, dy in and dw, db out; input gradient: dy, w in and dx
// out). GB/s = traffic / time. The memcpy row copies traffic / 2 bytes (so it, too, reads and writes
// `traffic` bytes in all) between two buffers of its own. Times: the median over 15 runs of
// enough calls to take ~10 ms of the process's CPU time, after a warm-up (V8 tiers wasm up
// between calls).
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <cstring>
#include <vector>

#include "kernels/depthwise.h"

#ifdef __EMSCRIPTEN__
#include <emscripten/em_js.h>
#include <emscripten/emscripten.h>
#endif

using namespace wasmcnn;
using kernels::WindowGeometry;

// The process's CPU time in seconds: unlike the wall clock, not inflated by the other processes
// sharing the core (this machine runs several jobs at once).
#ifdef __EMSCRIPTEN__
EM_JS(double, cpu_ms, (), {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
});
static double now_s() { return cpu_ms() / 1e3; }
#else
static double now_s() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}
#endif

namespace {

std::vector<float> noise(size_t n, unsigned seed) {
  std::vector<float> v(n);
  for (auto& x : v) x = float((seed = seed * 1103515245u + 12345u) >> 8) / float(1 << 24) - 0.5f;
  return v;
}

volatile float g_sink;
// Called through a volatile pointer: the compiler can neither elide nor shrink the copy.
void* (*volatile g_memcpy)(void*, const void*, size_t) = std::memcpy;

// Median seconds per call of f.
template <class F>
double median_seconds(F&& f) {
  for (int i = 0; i < 30; ++i) f();
  int reps = 1;
  for (;;) {
    const double t0 = now_s();
    for (int i = 0; i < reps; ++i) f();
    if (now_s() - t0 > 0.01 || reps > (1 << 20)) break;
    reps *= 2;
  }
  std::vector<double> t;
  for (int r = 0; r < 15; ++r) {
    const double t0 = now_s();
    for (int i = 0; i < reps; ++i) f();
    t.push_back((now_s() - t0) / reps);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

struct Layer {
  const char* name;
  int hw, c, stride;
};

// The 13 depthwise layers of MobileNetV1 alpha 0.25 at 128x128 (after the stride-2 stem: 64x64x8).
const Layer kLayers[] = {
    {"dw1  64x64x8   s1", 64, 8, 1},   {"dw2  64x64x16  s2", 64, 16, 2},  {"dw3  32x32x32  s1", 32, 32, 1},
    {"dw4  32x32x32  s2", 32, 32, 2},  {"dw5  16x16x64  s1", 16, 64, 1},  {"dw6  16x16x64  s2", 16, 64, 2},
    {"dw7  8x8x128   s1", 8, 128, 1},  {"dw12 8x8x128   s2", 8, 128, 2}, {"dw13 4x4x256   s1", 4, 256, 1},
};

}  // namespace

int main(int argc, char** argv) {
  const char* platform = argc > 1 ? argv[1] : "?";
  for (int batch : {1, 16}) {
    std::printf("\n%s, batch %d: GB/s (traffic / median time); memcpy moves the same traffic in the same run\n",
                platform, batch);
    std::printf("%-19s %8s | %7s %7s %7s | %7s %6s | %7s %7s\n", "layer", "KiB", "fwd", "memcpy", "fwd/cp",
                "scalar", "simd/x", "dW+db", "dX");
    double tot_fwd = 0, tot_cp = 0, tot_bytes = 0;
    for (const Layer& l : kLayers) {
      const WindowGeometry g = kernels::window_geometry(l.hw, l.hw, l.c, 3, 3, l.stride, l.stride, 1, 1, true);
      const size_t in = g.in_pixels() * g.c * batch, out = g.out_pixels() * g.c * batch, wn = 9 * size_t(g.c);
      std::vector<float> x = noise(in, 1), w = noise(wn, 2), b = noise(g.c, 3), y(out), dy = noise(out, 4), dx(in),
                         dw(wn), db(g.c);
      const double fwd_bytes = 4.0 * (in + wn + g.c + out), filt_bytes = 4.0 * (in + out + wn + g.c),
                   inp_bytes = 4.0 * (out + wn + in);
      const size_t cp_n = size_t(fwd_bytes / 2);
      std::vector<char> src(cp_n, 1), dst(cp_n);
      const double t_fwd = median_seconds([&] {
        kernels::depthwise_forward(g, 1, 0, batch, 0, g.oh, x.data(), w.data(), b.data(), y.data(), nullptr);
        g_sink = y[0];
      });
      const double t_cp = median_seconds([&] {
        g_memcpy(dst.data(), src.data(), cp_n);
        g_sink = dst[cp_n / 2];
        src[0]++;
      });
      const double t_port = median_seconds([&] {
        kernels::portable::depthwise_forward(g, 1, 0, batch, 0, g.oh, x.data(), w.data(), b.data(), y.data(),
                                             nullptr);
        g_sink = y[0];
      });
      const double t_filt = median_seconds([&] {
        kernels::depthwise_backward_filter(g, 1, 0, batch, x.data(), dy.data(), dw.data(), db.data(), nullptr);
        g_sink = dw[0];
      });
      const double t_inp = median_seconds([&] {
        kernels::depthwise_backward_input(g, 1, 0, batch, dy.data(), w.data(), dx.data(), nullptr);
        g_sink = dx[0];
      });
      tot_fwd += t_fwd, tot_cp += t_cp, tot_bytes += fwd_bytes;
      std::printf("%-19s %8.0f | %7.2f %7.2f %6.0f%% | %7.2f %5.1fx | %7.2f %7.2f\n", l.name, fwd_bytes / 1024,
                  fwd_bytes / t_fwd / 1e9, fwd_bytes / t_cp / 1e9, 100 * t_cp / t_fwd, fwd_bytes / t_port / 1e9,
                  t_port / t_fwd, filt_bytes / t_filt / 1e9, inp_bytes / t_inp / 1e9);
    }
    std::printf("%-19s %8.0f | %7.2f %7.2f %6.0f%%   (all 9 layers: summed bytes / summed median times)\n", "total",
                tot_bytes / 1024, tot_bytes / tot_fwd / 1e9, tot_bytes / tot_cp / 1e9, 100 * tot_cp / tot_fwd);
  }
  return 0;
}
