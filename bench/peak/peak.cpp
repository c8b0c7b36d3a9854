// The f32x4 multiply-add peak of this machine under V8: ACC independent accumulators, each
// updated as acc = acc * m + c (a multiply and a dependent add: wasm has no fused multiply-add)
// for `iters` iterations. m and c are runtime values, so nothing can be hoisted or folded, and
// without -ffast-math the compiler may not reassociate. Counts 8 FLOP per accumulator update
// (4 lanes x (1 mul + 1 add)). Built by peak.mjs into a standalone module with no imports.
#include <wasm_simd128.h>

namespace {

template <int ACC>
float run(int iters, float m, float c) {
  v128_t vm = wasm_f32x4_splat(m), vc = wasm_f32x4_splat(c);
  v128_t acc[ACC];
  for (int i = 0; i < ACC; ++i) acc[i] = wasm_f32x4_splat(float(i) * 0.01f);
  for (int it = 0; it < iters; ++it) {
#pragma clang loop unroll(full)
    for (int i = 0; i < ACC; ++i) acc[i] = wasm_f32x4_add(wasm_f32x4_mul(acc[i], vm), vc);
  }
  v128_t s = acc[0];
  for (int i = 1; i < ACC; ++i) s = wasm_f32x4_add(s, acc[i]);
  return wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 3);
}

}  // namespace

// peak12(iters, m, c): 12 accumulators (about as many f32x4 values as V8 keeps in registers, with
// m and c) for iters iterations; returns a value that depends on all of them, so the loop is live.
// FLOP = 96 * iters.
extern "C" __attribute__((used, export_name("peak12"))) float peak12(int iters, float m, float c) { return run<12>(iters, m, c); }
