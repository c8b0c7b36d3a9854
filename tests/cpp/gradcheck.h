// Finite-difference gradient check of one layer: input gradient and every trainable parameter's.
//
// f(x, w) = sum_j y_j r_j for a fixed random r, so backward(dy = r) gives df/dx and df/dw. Each
// coordinate v is probed at v +- h; f(+) - f(-) = sum_j r_j (y+_j - y-_j) is accumulated in double
// (each y+_j - y-_j is exact in double, each product with r_j too), so the only errors left are the
// float32 rounding of the outputs y_j, the truncation of the central difference, and the rounding of
// the analytic gradient. The tolerance bounds those three, coordinate by coordinate
// (u = 2^-24, gamma_n(n) = n u / (1 - n u)):
//
//   J      the outputs that changed in either probe; every other output is bit-identical in the
//          three forward passes (same operations on the same values) and cancels exactly.
//   eps_j  bound on the float error of output j: gamma_n(K + cols + 8) * (A_j + |y_j|). K is the
//          number of terms summed into a pre-activation (patch + bias, window, pixels); A_j is that
//          sum over absolute values, computed by a linear twin of the layer on |x| + h and |w| + h
//          (so it holds at every probe point); for softmax A_j is its row maximum and cols the row
//          length (exp/sum/divide add cols + 4 roundings relative to y_j, and an error in z comes
//          out of a softmax at most halved). The 8 covers bias, activation and libm (expf and tanhf
//          within 2 ulp), relative to |y_j| or A_j.
//   R      = S / h, S = sum_J |r_j| eps_j: f(+) and f(-) are each off by at most S.
//   T      = h^2/6 sum_J |r_j| t3_j: the central difference is exact for cubics, and t3_j bounds
//          |d^3 y_j / dv^3|. For layers with an activation, t3 = D3 c^3 with c >= |dz/dv|
//          (c = max(1, |x|, |w|, dropout scale)) and D3 = max |act'''|: 0 for piecewise-linear
//          layers, 1/8 sigmoid, 2 tanh, 22 softmax (p''' = p[(v-m)^3 - 3 s^2 (v-m) - k3] along a
//          direction of range 2c; summed over a row with sum p = 1, at most 2.75 (2c)^3 times the
//          row's largest |r|). Batch normalisation: see batch_norm_bounds().
//   G      = gamma_n(|J| + 8) c sum_J |r_j|  (the analytic gradient sums |J| terms, each at most
//          |r_j| c), plus for smooth activations (cols + 3) c max_J |r| sum_J eps_j (act' is taken
//          at the rounded y).
//
// Steps are exact: inputs and weights are multiples of 2^-23 in (-2, 2) and h is a power of two,
// so v +- h is representable (checked). Kinks (ReLU at 0, a max changing its winner) break the
// piecewise-linear argument; a probe straddles one when an output's ReLU state differs between
// probes, or when the one-sided differences (f(+) - f(0))/h and (f(0) - f(-))/h, equal for a
// piecewise-linear f between kinks, differ by more than their rounding (4S/h; i.e. f(+) - f(0) and
// f(0) - f(-) by more than 4S). The base point of
// that coordinate then moves by an odd multiple of h and it is probed again; the tolerance is never
// widened.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "layers/registry.h"
#include "test_helpers.h"

namespace wasmcnn::test {

struct GradCheckOptions {
  float h = 1.f / 64;
  // Inputs are a shuffled ladder of values 4h apart: no max pooling window has a tie or a near-tie
  // that a probe could cross.
  bool ladder_inputs = false;
  bool training = true;  // dropout, noise and batch statistics on
  uint64_t seed = 1;
};

struct GradCheckStats {
  size_t probes = 0, failures = 0, shifts = 0;
  double worst = 0;  // max over probes of |numeric - analytic| / tolerance
};

namespace detail {

// The largest |third derivative| over the reals (found on a 0.01 grid in 30-digit arithmetic,
// rounded up): swish 0.3082 at -1.03, gelu 0.7788 at -0.79, mish 0.5884 at
// 0.72, softplus 1/(6 sqrt 3) = 0.0962; elu alpha e^x <= alpha, selu 1.7581 e^x, softsign
// 6 / (1 + |x|)^4 on either side of 0 (their kinks at 0 are handled as ReLU's, below).
inline double act_d3(const std::string& act, const LayerConfig& c) {
  if (act == "sigmoid") return 0.125;
  if (act == "tanh") return 2.0;
  if (act == "softmax") return 22.0;
  if (act == "swish" || act == "silu") return 0.32;
  if (act == "gelu") return 0.8;
  if (act == "mish") return 0.6;
  if (act == "softplus") return 0.1;
  if (act == "elu") return c.type == "elu" ? double(c.alpha) : 1.0;
  if (act == "selu") return 1.76;
  if (act == "softsign") return 6.0;
  return 0.0;  // piecewise linear: linear, relu, relu6, hardSigmoid, and the ReLU/LeakyReLU/PReLU layers
}

// The activation a layer applies last, by name: "linear" for the piecewise-linear layers.
inline bool activated(const std::string& type);
inline std::string act_of(const LayerConfig& c) {
  if (activated(c.type)) return c.activation;
  if (c.type == "elu" || c.type == "softmax") return c.type;
  return "linear";
}
// Activations whose kink (a jump in f' or f'') sits at 0, where y changes sign.
inline bool kink_at_0(const std::string& act) {
  return act == "relu" || act == "elu" || act == "selu" || act == "softsign";
}

// Kinds whose config.activation is applied to their output.
inline bool activated(const std::string& type) {
  for (const char* t : {"conv2d", "dense", "activation", "depthwise_conv2d", "separable_conv2d", "conv2d_transpose"})
    if (type == t) return true;
  return false;
}

class LayerProbe {
 public:
  LayerProbe(const LayerConfig& config, const Shape& sample, int batch, const GradCheckOptions& opt)
      : config_(config), opt_(opt), data_rng_(opt.seed) {
    ctx_.training = opt.training;
    layer_ = make_layer(config);
    const Shape out = layer_->build(sample);
    layer_->init(data_rng_);
    params_ = layer_->params();
    for (Param* p : params_) {
      if (p->name == "moving_variance") fill_uniform(data_rng_, p->w, 0.5f, 1.5f);
      else fill_uniform(data_rng_, p->w);
    }
    batch_norm_ = config.type == "batch_normalization";
    if (!batch_norm_) {
      LayerConfig twin = config;  // the same sums over absolute values, without the nonlinearity
      if (activated(twin.type)) twin.activation = "linear";
      if (twin.type == "gaussian_noise") twin.stddev = 0.f;
      if (twin.type == "elu" || twin.type == "softmax" || twin.type == "re_lu" || twin.type == "leaky_re_lu") {
        twin = LayerConfig{};  // element-wise: A_j = |x_j| + h
        twin.type = "activation";
      }
      twin_ = make_layer(twin);
      twin_->build(sample);
    }
    const std::string act = act_of(config);
    d3_ = act_d3(act, config);
    relu_ = kink_at_0(act);
    cols_ = act == "softmax" ? size_t(out.back()) : 0;
    if (config.type == "softmax") {  // along its axis: groups of cols_ values inner_ apart
      const int r = int(out.size()), a = config.axis < 0 ? config.axis + r : config.axis - 1;
      cols_ = size_t(out[size_t(a)]);
      for (int d = a + 1; d < r; ++d) inner_ *= size_t(out[size_t(d)]);
    }
    const double taps = double(config.kernel_h) * config.kernel_w;
    if (config.type == "conv2d") k_ = taps * sample[2] + 1;
    else if (config.type == "depthwise_conv2d") k_ = taps + 1;
    // the depthwise sums' errors pass through the pointwise one: the two counts add up
    else if (config.type == "separable_conv2d") k_ = taps + double(sample[2]) * config.depth_multiplier + 1;
    else if (config.type == "conv2d_transpose") k_ = taps * sample[2] + 1;
    else if (config.type == "up_sampling2d") k_ = 8;  // two lerps per axis, each a few roundings
    else if (config.type == "dense") k_ = double(sample[0]) + 1;
    else if (config.type == "average_pooling2d" || config.type == "sum_pooling2d") k_ = double(config.pool_h) * config.pool_w + 1;
    else if (config.type == "global_average_pooling2d") k_ = double(sample[0]) * sample[1] + 1;
    else k_ = 1;
    keep_scale_ = (config.type == "dropout" || config.type == "spatial_dropout2d") && opt.training
                      ? 1.0 / (1.0 - config.rate) : 1.0;
    // GaussianDropout multiplies by 1 + s z, s = sqrt(rate / (1 - rate)); Box-Muller from 32-bit
    // uniforms gives |z| <= sqrt(2 ln 2^32) < 6.7.
    if (config.type == "gaussian_dropout" && opt.training)
      keep_scale_ = 1 + 6.7 * std::sqrt(config.rate / (1.0 - config.rate));

    x_.resize(with_batch(batch, sample));
    if (opt.ladder_inputs) {
      std::vector<uint32_t> idx(x_.size());
      for (uint32_t i = 0; i < idx.size(); ++i) idx[i] = i;
      data_rng_.shuffle(idx.data(), uint32_t(idx.size()));
      for (size_t i = 0; i < x_.size(); ++i) x_[i] = (float(idx[i]) - float(idx.size() / 2)) * 4.f * opt.h;
    } else {
      fill_uniform(data_rng_, x_);
    }
    r_.resize(with_batch(batch, out));
    fill_uniform(data_rng_, r_);
  }

  GradCheckStats run() {
    base();
    for (size_t i = 0; i < x_.size(); ++i) probe(&x_[i], [this, i] { return dx_[i]; }, false, "x", i);
    for (size_t k = 0; k < params_.size(); ++k) {
      if (!params_[k]->trainable) continue;  // statistics, not optimised: no gradient to check
      for (size_t i = 0; i < params_[k]->w.size(); ++i)
        probe(&params_[k]->w[i], [this, k, i] { return dw_[k][i]; }, true, params_[k]->name, i);
    }
    return stats_;
  }

 private:
  static constexpr uint64_t kNoiseSeed = 1234;

  void forward(Layer& layer, const Tensor& x, Tensor& y) {
    // The same Context key in every pass: the same dropout mask and noise.
    layer.forward(x, y, ctx_);
  }

  // Forward and backward at the current point, and the bounds that depend on it.
  void base() {
    forward(*layer_, x_, y0_);
    layer_->backward(x_, y0_, r_, &dx_, ctx_);
    dw_.clear();
    for (Param* p : params_) dw_.push_back(p->dw);
    layer_->backward(x_, y0_, r_, nullptr, ctx_);  // without dx: the same parameter gradients
    for (size_t k = 0; k < params_.size(); ++k)
      CHECK_MESSAGE(std::memcmp(dw_[k].data(), params_[k]->dw.data(), dw_[k].size() * sizeof(float)) == 0,
                    "backward(dx = nullptr) changed d", params_[k]->name);
    t3x_.assign(y0_.size(), 0.0);
    if (batch_norm_) batch_norm_bounds();
    else generic_bounds();
    piecewise_linear_ = t3w_ == 0 && std::all_of(t3x_.begin(), t3x_.end(), [](double t) { return t == 0; });
  }

  void generic_bounds() {
    const float h = opt_.h;
    Tensor xa = x_;
    double xmax = 0, wmax = 0;
    for (size_t i = 0; i < xa.size(); ++i) xmax = std::max<double>(xmax, xa[i] = std::fabs(xa[i]) + h);
    std::vector<Param*> twin_params = twin_->params();
    for (size_t k = 0; k < params_.size(); ++k)
      for (size_t i = 0; i < params_[k]->w.size(); ++i)
        wmax = std::max<double>(wmax, twin_params[k]->w[i] = std::fabs(params_[k]->w[i]) + h);
    const double c = std::max({1.0, xmax, wmax, keep_scale_});
    cx_ = cw_ = c;
    t3w_ = d3_ * c * c * c;
    std::fill(t3x_.begin(), t3x_.end(), t3w_);
    smooth_ = d3_ > 0;
    forward(*twin_, xa, a_);
    if (cols_) {  // softmax: the maximum of A over each group it normalises
      for (size_t row = 0; row < a_.size(); row += cols_ * inner_)
        for (size_t k = 0; k < inner_; ++k) {
          float m = 0;
          for (size_t j = 0; j < cols_; ++j) m = std::max(m, std::fabs(a_[row + j * inner_ + k]));
          for (size_t j = 0; j < cols_; ++j) a_[row + j * inner_ + k] = m;
        }
    }
  }

  // y = gamma (x - mean) s + beta, s = 1/sqrt(var + e), per channel over m values. Float rounding:
  // mean and s are rounded from double (u each), x - mean, gamma * s, the product and + beta one u
  // each, so |dy| <= gamma_n(8) ((|x| + 2|mean|) |gamma| s + |y|): A_j = (|x_j| + 2|mean|) |gamma| s.
  // With batch statistics, along x_i: mean moves by t/m, var(t) = var + 2 t d_i/m + t^2 (m-1)/m^2 =: q(t),
  // xhat_j = d_j(t) q^-1/2 with d_j linear, |d_j'| <= 1, |q'| <= 2D/m, q'' <= 2/m, so
  //   |xhat_j'''| <= 15 D^4/(m^3 sig^7) + 18 D^2/(m^2 sig^5) + 3/(m sig^3),
  // D >= |x - mean| and sig^2 <= q(t) + e over the probes. y is linear in gamma and beta (t3w = 0).
  // |dy_j/dx_i| = |gamma| s |[i=j] - 1/m - xhat_i xhat_j/m|; |dy/dgamma| = |xhat|, |dy/dbeta| = 1.
  void batch_norm_bounds() {
    const double h = opt_.h, e = config_.epsilon;
    const size_t c = size_t(x_.shape().back()), m = x_.size() / c;
    auto param = [&](const char* name, size_t j, double fallback) {
      for (Param* p : params_)
        if (p->name == name) return double(p->w[j]);
      return fallback;
    };
    a_.resize(y0_.shape());
    cx_ = 0;
    cw_ = 1;
    t3w_ = 0;
    smooth_ = false;
    for (size_t ch = 0; ch < c; ++ch) {
      double mean = 0, var = 0, d0 = 0;
      if (opt_.training) {
        for (size_t r = 0; r < m; ++r) mean += x_[r * c + ch];
        mean /= double(m);
        for (size_t r = 0; r < m; ++r) var += (x_[r * c + ch] - mean) * (x_[r * c + ch] - mean);
        var /= double(m);
      } else {
        mean = param("moving_mean", ch, 0);
        var = param("moving_variance", ch, 1);
      }
      for (size_t r = 0; r < m; ++r) d0 = std::max(d0, std::fabs(x_[r * c + ch] - mean));
      const double dmax = d0 + h;
      const double q = opt_.training ? var + e - 2 * d0 * h / double(m) : var + e;
      REQUIRE(q > 0);
      const double sig = std::sqrt(q), s = 1 / sig, g = std::fabs(param("gamma", ch, 1)) + h;
      const double mean_mag = std::fabs(mean) + h;
      const double xhat_max = dmax * s, md = double(m);
      cw_ = std::max(cw_, xhat_max);
      if (opt_.training) {
        cx_ = std::max(cx_, g * s * (1 + (1 + xhat_max * xhat_max) / md));
      } else {
        cx_ = std::max(cx_, g * s);
      }
      const double t3 = opt_.training ? g * (15 * std::pow(dmax, 4) / (md * md * md * std::pow(sig, 7)) +
                                             18 * dmax * dmax / (md * md * std::pow(sig, 5)) +
                                             3 / (md * sig * sig * sig))
                                      : 0.0;
      for (size_t r = 0; r < m; ++r) {
        a_[r * c + ch] = float((std::fabs(x_[r * c + ch]) + h + 2 * mean_mag) * g * s);
        t3x_[r * c + ch] = t3;
      }
    }
  }

  template <class Analytic>
  void probe(float* v, Analytic analytic, bool is_param, const std::string& what, size_t index) {
    static const int kShifts[] = {3, -5, 7, -9, 11, -13};
    const double h = opt_.h;
    for (int attempt = 0;; ++attempt) {
      const float v0 = *v, vp = float(v0 + h), vm = float(v0 - h);
      REQUIRE_MESSAGE((double(vp) - v0 == h && double(v0) - vm == h), "step not exact at ", v0);
      *v = vp;
      forward(*layer_, x_, yp_);
      *v = vm;
      forward(*layer_, x_, ym_);
      *v = v0;

      double diff = 0, dplus = 0, dminus = 0, s = 0, rsum = 0, rmax = 0, esum = 0, t3 = 0;
      size_t nj = 0;
      bool relu_kink = false;
      const double g = gamma_n(k_ + double(cols_) + 8);
      for (size_t j = 0; j < y0_.size(); ++j) {
        if (yp_[j] == y0_[j] && ym_[j] == y0_[j]) continue;
        const double rj = r_[j], ra = std::fabs(rj);
        diff += rj * (double(yp_[j]) - ym_[j]);
        dplus += rj * (double(yp_[j]) - y0_[j]);
        dminus += rj * (double(y0_[j]) - ym_[j]);
        const double ymag = std::max({std::fabs(yp_[j]), std::fabs(ym_[j]), std::fabs(y0_[j])});
        const double eps = g * (1.01 * std::fabs(a_[j]) + ymag);  // 1.01: a_ was itself rounded
        s += ra * eps;
        esum += eps;
        rsum += ra;
        rmax = std::max(rmax, ra);
        t3 += ra * (is_param ? t3w_ : t3x_[j]);
        ++nj;
        if (relu_ && ((yp_[j] > 0) != (y0_[j] > 0) || (ym_[j] > 0) != (y0_[j] > 0))) relu_kink = true;
      }
      if (relu_kink || (piecewise_linear_ && std::fabs(dplus - dminus) > 4 * s)) {
        REQUIRE_MESSAGE(attempt < 6, what, "[", index, "]: still at a kink after 6 moves");
        *v = float(v0 + kShifts[attempt] * h);
        ++stats_.shifts;
        base();
        continue;
      }
      const double numeric = diff / (2 * h), ana = analytic(), err = std::fabs(numeric - ana);
      const double c = is_param ? cw_ : cx_;
      const double tol = s / h + h * h / 6 * t3 + gamma_n(double(nj) + 8) * c * rsum +
                         (smooth_ ? double(cols_ ? cols_ : 1) + 3 : 0) * c * rmax * esum;
      ++stats_.probes;
      if (nj == 0) {  // nothing depends on v here (a dropped input, a max that never wins)
        if (ana != 0 && ++stats_.failures <= 5)
          FAIL_CHECK(config_.type, " d", what, "[", index, "]: no output depends on it, yet analytic ", ana);
        return;
      }
      stats_.worst = std::max(stats_.worst, err / tol);
      if (err > tol && ++stats_.failures <= 5)
        FAIL_CHECK(config_.type, " d", what, "[", index, "]: analytic ", ana, ", numeric ", numeric, ", |diff| ",
                   err, " > tolerance ", tol);
      return;
    }
  }

  LayerConfig config_;
  GradCheckOptions opt_;
  Rng data_rng_;
  Scratch scratch_;
  Context ctx_{true, &scratch_, kNoiseSeed};
  std::unique_ptr<Layer> layer_, twin_;
  std::vector<Param*> params_;
  bool batch_norm_ = false, relu_ = false, smooth_ = false, piecewise_linear_ = true;
  double d3_ = 0, k_ = 1, keep_scale_ = 1, cx_ = 1, cw_ = 1, t3w_ = 0;
  size_t cols_ = 0, inner_ = 1;
  Tensor x_, r_, y0_, yp_, ym_, dx_, a_;
  std::vector<Tensor> dw_;
  std::vector<double> t3x_;
  GradCheckStats stats_;
};

}  // namespace detail

// Checks d(sum y*r)/dx and /dw of a freshly built layer on a random batch; reports through doctest.
inline GradCheckStats check_gradients(const LayerConfig& config, const Shape& sample, int batch,
                                      GradCheckOptions opt = {}) {
  const std::string input = shape_str(with_batch(batch, sample));
  INFO(config.type, " activation=", config.activation, " padding=", config.padding, " input ", input);
  detail::LayerProbe probe(config, sample, batch, opt);
  GradCheckStats stats = probe.run();
  CHECK(stats.probes > 0);
  CHECK(stats.failures == 0);
  return stats;
}

}  // namespace wasmcnn::test
