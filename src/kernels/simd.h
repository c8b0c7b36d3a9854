// The only header that includes <wasm_simd128.h>.
//
// Each kernel family exists twice under the same signature: kernels::portable (plain C++, the
// specification) and kernels::simd (WASM SIMD128 intrinsics, compiled only with -msimd128). The
// unqualified kernels:: name dispatches to the SIMD twin when it exists. Tests run both on odd
// sizes so every scalar tail is exercised.
#pragma once

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#define WASMCNN_SIMD 1
#else
#define WASMCNN_SIMD 0
#endif

// Declares `ret name(args)` in portable::, in simd:: (when built with SIMD) and the dispatching
// entry point in the enclosing namespace. Definitions live in the kernel's .cpp file.
#if WASMCNN_SIMD
#define WASMCNN_KERNEL(ret, name, params, args) \
  namespace portable {                          \
  ret name params;                              \
  }                                             \
  namespace simd {                              \
  ret name params;                              \
  }                                             \
  inline ret name params { return simd::name args; }
#else
#define WASMCNN_KERNEL(ret, name, params, args) \
  namespace portable {                          \
  ret name params;                              \
  }                                             \
  inline ret name params { return portable::name args; }
#endif
