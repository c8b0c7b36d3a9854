// Shared by the kernel suites: the twin under test, odd sizes, and guarded buffers.
//
// In the wasm build (WASMCNN_SIMD 1) `twin` is kernels::simd; natively it is the dispatching
// kernels:: name. Twins do the same IEEE operations in the same order (a SIMD lane is a scalar
// iteration; wasm has no fused multiply-add, nor has x86-64 without -mfma), so their results must
// be bit-identical: compared with memcmp, guards included.
#pragma once

#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "kernels/conv.h"
#include "kernels/eltwise.h"
#include "kernels/gemm.h"
#include "kernels/pool.h"
#include "kernels/simd.h"
#include "kernels/update.h"
#include "test_helpers.h"

namespace wasmcnn::test {

namespace portable = wasmcnn::kernels::portable;
#if WASMCNN_SIMD
namespace twin = wasmcnn::kernels::simd;
#else
namespace twin = wasmcnn::kernels;
#endif

// Every SIMD tail: below, at and above one and two vectors, and large odd sizes.
inline const size_t kSizes[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 127, 1031};
constexpr size_t kGuard = 8;
constexpr float kSentinel = -7777.f;

// A buffer with kGuard sentinel floats after its n values, so a write past the end is caught.
struct Buf {
  std::vector<float> v;
  explicit Buf(size_t n) : v(n + kGuard, kSentinel) {}
  Buf(Rng& rng, size_t n, float lo = -2.f, float hi = 2.f) : Buf(n) { fill_uniform(rng, v.data(), n, lo, hi); }
  float* p() { return v.data(); }
  size_t n() const { return v.size() - kGuard; }
  bool guard_intact() const {
    for (size_t i = n(); i < v.size(); ++i)
      if (v[i] != kSentinel) return false;
    return true;
  }
};

// Bit-identical, guards included.
inline void check_same(const Buf& a, const Buf& b, const char* what) {
  INFO(what, " n=", a.n());
  CHECK(a.guard_intact());
  CHECK(b.guard_intact());
  CHECK(std::memcmp(a.v.data(), b.v.data(), a.v.size() * sizeof(float)) == 0);
}

// A 16-byte aligned workspace of n floats followed by guards.
struct Work {
  Tensor t;
  size_t n;
  explicit Work(size_t floats) : t({int(floats + kGuard)}), n(floats) {
    for (size_t i = n; i < n + kGuard; ++i) t[i] = kSentinel;
  }
  float* p() { return t.data(); }
  bool guard_intact() const {
    for (size_t i = n; i < n + kGuard; ++i)
      if (t[i] != kSentinel) return false;
    return true;
  }
};

}  // namespace wasmcnn::test
