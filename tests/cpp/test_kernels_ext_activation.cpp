// Activation kernels (activation_ext.h): twins bit-identical on every tail; forward within an
// argued bound of a float64 reference built from the C library's exp/erfc/tanh/log1p; each
// derivative against a central difference of that float64 reference, at probe points moved away
// from kinks; large |x| stays finite; PReLU and its alpha gradient.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "kernel_check.h"
#include "kernels/activation_ext.h"

using namespace wasmcnn;
using namespace wasmcnn::test;
using kernels::Activation;
using kernels::ActivationParams;

namespace {

const char* name_of(Activation a) {
  static const char* names[] = {"relu", "leakyRelu", "elu", "selu", "swish", "gelu", "gelu_new", "hardSigmoid",
                                "softplus", "softsign", "mish"};
  static_assert(sizeof(names) / sizeof(names[0]) == kernels::kActivationCount, "a name per activation");
  return names[int(a)];
}

double softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

// The definitions, in float64 from the C library.
double reference(Activation a, const ActivationParams& p, double x) {
  switch (a) {
    case Activation::Relu: return x < p.threshold ? p.negative_slope * (x - p.threshold) : std::min(x, double(p.max_value));
    case Activation::LeakyRelu: return x < 0 ? p.alpha * x : x;
    case Activation::Elu: return x > 0 ? x : p.alpha * std::expm1(x);
    case Activation::Selu: return x > 0 ? 1.0507009873554804934 * x : 1.7580993408473768599 * std::expm1(x);
    case Activation::Swish: return x / (1 + std::exp(-x));
    case Activation::Gelu: return x * 0.5 * std::erfc(-x / std::sqrt(2.0));
    case Activation::GeluTanh:  // 0.5 x (1 + tanh(u)) = x / (1 + exp(-2u)): no cancellation for u << 0
      return x / (1 + std::exp(-2 * std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
    case Activation::HardSigmoid: return std::min(1.0, std::max(0.0, 0.2 * x + 0.5));
    case Activation::Softplus: return softplus(x);
    case Activation::Softsign: return x / (1 + std::fabs(x));
    case Activation::Mish: return x * std::tanh(softplus(x));
  }
  return 0;
}

// Kinks (where f or f' jumps), which a probe must stay away from.
std::vector<double> kinks(Activation a, const ActivationParams& p) {
  switch (a) {
    case Activation::Relu: return {p.threshold, p.max_value};
    case Activation::LeakyRelu: case Activation::Elu: case Activation::Selu: return {0.0};
    case Activation::HardSigmoid: return {-2.5, 2.5};
    case Activation::Softsign: return {0.0};  // f'' jumps; f' is continuous but the FD truncation term is not small
    default: return {};
  }
}

struct Setting {
  Activation a;
  ActivationParams p;
};

std::vector<Setting> settings() {
  std::vector<Setting> s;
  for (int i = 0; i < kernels::kActivationCount; ++i) s.push_back({Activation(i), ActivationParams{}});
  ActivationParams relu6, keras_relu, leaky, elu;
  relu6.max_value = 6;
  keras_relu.max_value = 4, keras_relu.negative_slope = 0.1f, keras_relu.threshold = 0.5f;
  leaky.alpha = 0.3f;
  elu.alpha = 0.7f;
  s.push_back({Activation::Relu, relu6});
  s.push_back({Activation::Relu, keras_relu});
  s.push_back({Activation::LeakyRelu, leaky});
  s.push_back({Activation::Elu, elu});
  return s;
}

std::vector<float> probes(Rng& rng) {
  std::vector<float> x = {-30, -17, -12, -8.5f, -5.1f, -3.3f, -2.6f, -1.7f, -1.1f, -0.52f, -0.13f, -0.02f, 0.02f,
                          0.07f, 0.31f, 0.93f, 1.6f, 2.4f, 3.1f, 4.7f, 6.6f, 9.2f, 15, 31};
  for (int i = 0; i < 200; ++i) x.push_back(rng.uniform(-10.f, 10.f));
  return x;
}

// Moves x off every kink by at least 1e-2 (the probe moves; the tolerance does not widen).
float away_from_kinks(float x, const std::vector<double>& k) {
  for (double c : k)
    if (std::fabs(x - c) < 1e-2) x = float(c + (x < c ? -1.7e-2 : 1.7e-2));
  return x;
}

}  // namespace

TEST_CASE("activation kernels: the twins are bit-identical on every tail, special values included") {
  Rng rng(81);
  const float specials[] = {0.f, -0.f, 1e-30f, -1e-30f, 88.f, -88.f, 90.f, -90.f, 100.f, -100.f, 0.2f, -2.5f, 2.5f};
  for (const Setting& s : settings())
    for (size_t n : kSizes) {
      INFO(std::string(name_of(s.a)), " n=", n);
      Buf x(rng, n, -12.f, 12.f), dy(rng, n);
      for (size_t i = 0; i < n && i < 13; ++i) x.v[(i * 7) % n] = specials[i];
      Buf y1(n), y2(n), d1(n), d2(n);
      portable::activation_forward(s.a, s.p, n, x.p(), y1.p());
      twin::activation_forward(s.a, s.p, n, x.p(), y2.p());
      check_same(y1, y2, "activation_forward");
      portable::activation_backward(s.a, s.p, n, x.p(), dy.p(), d1.p());
      twin::activation_backward(s.a, s.p, n, x.p(), dy.p(), d2.p());
      check_same(d1, d2, "activation_backward");
    }
}

// Forward: the kernel evaluates a fixed chain of at most ~30 float operations and polynomial fits
// (exp, expm1, log1p within 2^-24-scale truncation, erfc within 1.2e-7 = 2u), each a relative
// error of u on an intermediate. To first order such an evaluation equals f at x (1 + d1), times
// (1 + d2), with |d1|, |d2| <= K u: |y - f(x)| <= K u (|f(x)| + |x f'(x)|). K = 64 covers ~30
// operations with room for the two fits; results under 1e-37 may flush to 0. The derivative
// likewise: |f'~ - f'(x)| <= K u (|f'(x)| + |x f''(x)|), f'' from a float64 central difference,
// and f'(x) itself from a float64 central difference of the reference (h = 1e-4: truncation
// h^2 |f'''| / 6 and rounding 1e-16 / h, both below 1e-8 on these functions, covered by the 1e-7
// absolute term).
TEST_CASE("activation kernels: forward and derivative against a float64 reference and its finite differences") {
  Rng rng(82);
  const double K = 64 * kU;
  for (const Setting& s : settings()) {
    INFO(std::string(name_of(s.a)), " max_value=", s.p.max_value, " negative_slope=", s.p.negative_slope,
         " threshold=", s.p.threshold, " alpha=", s.p.alpha);
    const std::vector<double> k = kinks(s.a, s.p);
    std::vector<float> x = probes(rng);
    for (float& v : x) v = away_from_kinks(v, k);
    const size_t n = x.size();
    std::vector<float> y(n), ones(n, 1.f), d(n);
    kernels::activation_forward(s.a, s.p, n, x.data(), y.data());
    kernels::activation_backward(s.a, s.p, n, x.data(), ones.data(), d.data());
    size_t bad = 0;
    for (size_t i = 0; i < n; ++i) {
      const double xi = x[i], h = 1e-4;
      auto f = [&](double v) { return reference(s.a, s.p, v); };
      auto df = [&](double v) { return (f(v + h) - f(v - h)) / (2 * h); };
      const double fx = f(xi), dfx = df(xi), d2fx = (df(xi + h) - df(xi - h)) / (2 * h);
      const bool fwd_ok = std::fabs(y[i] - fx) <= K * (std::fabs(fx) + std::fabs(xi * dfx)) + 1e-37;
      const bool bwd_ok = std::fabs(d[i] - dfx) <= K * (std::fabs(dfx) + std::fabs(xi * d2fx)) + 1e-7;
      if ((!fwd_ok || !bwd_ok) && ++bad <= 4)
        FAIL_CHECK("x=", xi, ": f ", y[i], " vs ", fx, ", f' ", d[i], " vs finite difference ", dfx);
    }
    CHECK(bad == 0);
  }
}

TEST_CASE("activation kernels: no overflow or NaN for large |x|") {
  const std::vector<float> x = {-3e38f, -1e4f, -200.f, -100.f, -89.f, -87.f, 87.f, 89.f, 100.f, 200.f, 1e4f, 3e38f};
  for (const Setting& s : settings()) {
    INFO(std::string(name_of(s.a)));
    std::vector<float> y(x.size()), ones(x.size(), 1.f), d(x.size());
    kernels::activation_forward(s.a, s.p, x.size(), x.data(), y.data());
    kernels::activation_backward(s.a, s.p, x.size(), x.data(), ones.data(), d.data());
    for (size_t i = 0; i < x.size(); ++i) {
      INFO("x=", x[i], " y=", y[i], " dy/dx=", d[i]);
      CHECK(std::isfinite(y[i]));
      CHECK(std::isfinite(d[i]));
    }
  }
  // The exact tails: softplus(x) = x and mish(x) = x for large x, softplus(-100) ~ 3.7e-44 flushes.
  const float big[] = {100.f, 1e4f};
  float y[2];
  kernels::activation_forward(Activation::Softplus, {}, 2, big, y);
  CHECK(y[0] == 100.f);
  CHECK(y[1] == 1e4f);
  kernels::activation_forward(Activation::Mish, {}, 2, big, y);
  CHECK(y[0] == 100.f);
  CHECK(y[1] == 1e4f);
}

TEST_CASE("prelu kernels: twins bit-identical, values and the alpha gradient against float64") {
  Rng rng(83);
  struct Shape3 { size_t outer, m, inner; };
  std::vector<Shape3> shapes;
  for (size_t s : kSizes) {
    shapes.push_back({3, s, 1});
    shapes.push_back({2, 3, s});
    shapes.push_back({s < 20 ? s : 2, 5, 2});
  }
  for (const Shape3& q : shapes) {
    INFO("prelu outer=", q.outer, " m=", q.m, " inner=", q.inner);
    const size_t n = q.outer * q.m * q.inner;
    Buf x(rng, n), dy(rng, n), alpha(rng, q.m, -0.5f, 0.5f);
    Buf y1(n), y2(n), dx1(n), dx2(n), da1(rng, q.m), da2 = da1;
    const Buf da0 = da1;
    portable::prelu_forward(q.outer, q.m, q.inner, alpha.p(), x.p(), y1.p());
    twin::prelu_forward(q.outer, q.m, q.inner, alpha.p(), x.p(), y2.p());
    check_same(y1, y2, "prelu_forward");
    portable::prelu_backward(q.outer, q.m, q.inner, alpha.p(), x.p(), dy.p(), dx1.p(), da1.p());
    twin::prelu_backward(q.outer, q.m, q.inner, alpha.p(), x.p(), dy.p(), dx2.p(), da2.p());
    check_same(dx1, dx2, "prelu_backward dx");
    check_same(da1, da2, "prelu_backward dalpha");
    size_t bad = 0;
    std::vector<double> da(q.m), mag(q.m);
    for (size_t j = 0; j < q.m; ++j) da[j] = mag[j] = std::fabs(da0.v[j]), da[j] = da0.v[j];
    for (size_t o = 0, i = 0; o < q.outer; ++o)
      for (size_t j = 0; j < q.m; ++j)
        for (size_t k = 0; k < q.inner; ++k, ++i) {
          const double xv = x.v[i], a = alpha.v[j];
          bad += y2.v[i] != float(xv < 0 ? a * xv : xv);                     // one rounding: exact
          bad += dx2.v[i] != float(xv > 0 ? dy.v[i] : a * dy.v[i]);
          if (xv <= 0) da[j] += xv * dy.v[i], mag[j] += std::fabs(xv * dy.v[i]);
        }
    // dalpha: a float sum of outer*inner + 1 terms: within gamma_n(terms) of their magnitudes.
    for (size_t j = 0; j < q.m; ++j) bad += !(std::fabs(da2.v[j] - da[j]) <= gamma_n(double(q.outer * q.inner + 1)) * mag[j]);
    CHECK(bad == 0);
  }
}
