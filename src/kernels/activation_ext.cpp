// The portable activation kernels: activation_math.h instantiated for float.
#include "kernels/activation_ext.h"

#include "core/check.h"
#include "kernels/activation_math.h"

namespace wasmcnn::kernels::portable {

void activation_forward(Activation a, const ActivationParams& p, size_t n, const float* x, float* y) {
  act::dispatch(a, [&](auto k) {
    for (size_t i = 0; i < n; ++i) y[i] = act::forward<decltype(k)::value>(p, x[i]);
  });
}

void activation_backward(Activation a, const ActivationParams& p, size_t n, const float* x, const float* dy,
                         float* dx) {
  act::dispatch(a, [&](auto k) {
    for (size_t i = 0; i < n; ++i) dx[i] = dy[i] * act::derivative<decltype(k)::value>(p, x[i]);
  });
}

void prelu_forward(size_t outer, size_t m, size_t inner, const float* alpha, const float* x, float* y) {
  for (size_t o = 0; o < outer; ++o)
    for (size_t j = 0; j < m; ++j)
      for (size_t k = 0; k < inner; ++k, ++x, ++y) *y = *x < 0.f ? alpha[j] * *x : *x;
}

void prelu_backward(size_t outer, size_t m, size_t inner, const float* alpha, const float* x, const float* dy,
                    float* dx, float* dalpha) {
  for (size_t o = 0; o < outer; ++o)
    for (size_t j = 0; j < m; ++j)
      for (size_t k = 0; k < inner; ++k, ++x, ++dy, ++dx) {
        const bool pos = *x > 0.f;
        *dx = pos ? *dy : alpha[j] * *dy;
        dalpha[j] += pos ? 0.f : *dy * *x;
      }
}

}  // namespace wasmcnn::kernels::portable
