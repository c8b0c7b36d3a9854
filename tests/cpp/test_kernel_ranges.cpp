// The kernels a multi-threaded caller splits take a Range (kernels/range.h): a call computes its
// range of the output and writes nothing else, and calls over the parts of any split of the full
// range (here uneven ones, run in reverse order, each with its own workspace) give what one call
// over the full range gives, bit for bit. Checked for both twins.
#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "kernel_check.h"

using namespace wasmcnn;
using namespace wasmcnn::test;
using kernels::Range;

namespace {

// Uneven splits of [0, n): one part, a lone first element, thirds, every element on its own.
std::vector<std::vector<Range>> splits(size_t n) {
  std::vector<std::vector<Range>> out{{kernels::all(n)}};
  if (n > 1) out.push_back({{0, 1}, {1, n}});
  if (n > 2) out.push_back({{0, n / 3}, {n / 3, 2 * n / 3 + 1}, {2 * n / 3 + 1, n}});
  std::vector<Range> ones;
  for (size_t i = 0; i < n; ++i) ones.push_back({i, i + 1});
  out.push_back(ones);
  return out;
}

// Runs compute(part, work) for every part, last part first, into a sentinel-filled output, and
// compares with the full call. `fresh` resets the output to what the kernel expects beforehand.
template <class Fresh, class Compute>
void check_split(size_t n, size_t work_floats, const char* what, Fresh fresh, Compute compute) {
  Buf full = fresh();
  Work w(work_floats);
  compute(full, kernels::all(n), w.p());
  CHECK(w.guard_intact());
  for (const std::vector<Range>& parts : splits(n)) {
    INFO(what, ": ", parts.size(), " parts of ", n);
    Buf split = fresh();
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
      Work wp(work_floats);
      compute(split, *it, wp.p());
      CHECK(wp.guard_intact());
    }
    check_same(full, split, what);
  }
}

template <class Twin>
void check_conv_ranges(Rng& rng, const kernels::ConvGeometry& g, size_t n, size_t oc) {
  INFO("conv ", g.h, "x", g.w, "x", g.c, " kernel ", g.kh, "x", g.kw, " stride ", g.sh, " -> ", g.oh, "x", g.ow, "x",
       oc, ", batch ", n);
  const size_t in = size_t(g.h) * g.w * g.c, pixels = size_t(g.oh) * g.ow, patch = g.patch();
  const Buf x(rng, n * in), w(rng, patch * oc), b(rng, oc), dz(rng, n * pixels * oc);
  const size_t ws = kernels::conv2d_workspace_floats(g, oc);
  auto sentinel = [](size_t floats) { return [floats] { return Buf(floats); }; };
  check_split(n, ws, "conv2d_forward", sentinel(n * pixels * oc), [&](Buf& y, Range r, float* work) {
    Twin::conv2d_forward(g, oc, x.v.data(), w.v.data(), b.v.data(), true, y.p(), r, work);
  });
  check_split(oc, ws, "conv2d_backward_filter", sentinel(patch * oc), [&](Buf& dw, Range r, float* work) {
    Twin::conv2d_backward_filter(g, n, oc, x.v.data(), dz.v.data(), dw.p(), r, work);
  });
  check_split(n, ws, "conv2d_backward_input", sentinel(n * in), [&](Buf& dx, Range r, float* work) {
    Twin::conv2d_backward_input(g, oc, dz.v.data(), w.v.data(), dx.p(), r, work);
  });
}

template <class Twin>
void check_gemm_ranges(Rng& rng, size_t m, size_t n, size_t k) {
  INFO("gemm m=", m, " n=", n, " k=", k);
  const Buf a(rng, m * k), b(rng, k * n), bias(rng, n), c0(rng, m * n);
  check_split(m, kernels::gemm_nn_workspace_floats(n, k), "gemm_nn", [&] { return c0; },
              [&](Buf& c, Range r, float* work) {
                Twin::gemm_nn(r, n, k, a.v.data(), k, b.v.data(), n, bias.v.data(), true, true, c.p(), n, work);
              });
  // gemm_tn: A stored [k, m], rows of C are columns of A.
  check_split(m, 0, "gemm_tn", [&] { return c0; }, [&](Buf& c, Range r, float*) {
    Twin::gemm_tn(r, n, k, a.v.data(), m, b.v.data(), n, false, c.p(), n);
  });
}

template <class Twin>
void check_pool_ranges(Rng& rng, const kernels::ConvGeometry& g, size_t n) {
  INFO("pool ", g.h, "x", g.w, "x", g.c, " window ", g.kh, " stride ", g.sh);
  const size_t in = size_t(g.h) * g.w * g.c, out = size_t(g.oh) * g.ow * g.c;
  const Buf x(rng, n * in), dy(rng, n * out);
  std::vector<int32_t> argmax(n * out);
  Buf y(n * out);
  Twin::max_pool_forward(g, x.v.data(), y.p(), argmax.data(), kernels::all(n));
  check_split(n, 0, "max_pool_forward", [&] { return Buf(n * out); }, [&](Buf& yy, Range r, float*) {
    std::vector<int32_t> a(n * out, -1);
    Twin::max_pool_forward(g, x.v.data(), yy.p(), a.data(), r);
    for (size_t i = r.begin * out; i < r.end * out; ++i) CHECK(a[i] == argmax[i]);
  });
  const Buf dx0(rng, n * in);  // backward adds into dx
  check_split(n, 0, "max_pool_backward", [&] { return dx0; }, [&](Buf& dx, Range r, float*) {
    kernels::max_pool_backward(g, dy.v.data(), argmax.data(), dx.p(), r);
  });
  for (kernels::PoolMode mode : {kernels::PoolMode::Average, kernels::PoolMode::Sum}) {
    check_split(n, 0, "avg_pool_forward", [&] { return Buf(n * out); }, [&](Buf& yy, Range r, float*) {
      Twin::avg_pool_forward(g, mode, x.v.data(), yy.p(), r);
    });
    check_split(n, 0, "avg_pool_backward", [&] { return dx0; }, [&](Buf& dx, Range r, float*) {
      kernels::avg_pool_backward(g, mode, dy.v.data(), dx.p(), r);
    });
  }
}

// The twins as types, so one template runs either.
#define WASMCNN_RANGED_KERNELS(F) \
  F(conv2d_forward)               \
  F(conv2d_backward_filter)       \
  F(conv2d_backward_input)        \
  F(gemm_nn)                      \
  F(gemm_tn)                      \
  F(max_pool_forward)             \
  F(avg_pool_forward)
#define WASMCNN_FORWARD_TO(ns, name) \
  template <class... A>              \
  static void name(A... a) {         \
    ns::name(a...);                  \
  }
#define WASMCNN_TO_PORTABLE(name) WASMCNN_FORWARD_TO(portable, name)
#define WASMCNN_TO_TWIN(name) WASMCNN_FORWARD_TO(twin, name)
struct Portable {
  WASMCNN_RANGED_KERNELS(WASMCNN_TO_PORTABLE)
};
struct Twin {
  WASMCNN_RANGED_KERNELS(WASMCNN_TO_TWIN)
};
#undef WASMCNN_TO_TWIN
#undef WASMCNN_TO_PORTABLE
#undef WASMCNN_FORWARD_TO
#undef WASMCNN_RANGED_KERNELS

template <class T>
void check_all(Rng& rng) {
  // LeNet-5's convolutions (conv1 takes the direct single-channel path), a strided padded one, and
  // channel counts around the SIMD width and the GEMM column panel.
  check_conv_ranges<T>(rng, kernels::conv_geometry(28, 28, 1, 5, 5, 1, 1, true), 3, 6);
  check_conv_ranges<T>(rng, kernels::conv_geometry(14, 14, 6, 5, 5, 1, 1, false), 3, 16);
  check_conv_ranges<T>(rng, kernels::conv_geometry(7, 6, 3, 3, 3, 2, 2, true), 4, 9);
  check_conv_ranges<T>(rng, kernels::conv_geometry(6, 9, 5, 2, 3, 1, 2, true), 2, 13);
  for (size_t m : {1, 5, 9, 13})
    for (size_t n : {1, 7, 8, 33}) check_gemm_ranges<T>(rng, m, n, 11);
  check_pool_ranges<T>(rng, kernels::conv_geometry(28, 28, 6, 2, 2, 2, 2, false), 3);
  check_pool_ranges<T>(rng, kernels::conv_geometry(7, 6, 3, 3, 3, 2, 2, true), 4);
}

}  // namespace

TEST_CASE("kernel ranges: any split of the range gives the full call's output bit for bit (portable)") {
  Rng rng(61);
  check_all<Portable>(rng);
}

TEST_CASE("kernel ranges: any split of the range gives the full call's output bit for bit (twin)") {
  Rng rng(62);
  check_all<Twin>(rng);
}
