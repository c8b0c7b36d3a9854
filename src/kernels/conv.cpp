#include "kernels/conv.h"

#include <algorithm>
#include <cstring>

#include "kernels/conv_scratch.h"

namespace wasmcnn::kernels {

ConvGeometry conv_geometry(int h, int w, int c, int kh, int kw, int sh, int sw, bool same) {
  ConvGeometry g{h, w, c, kh, kw, sh, sw, 0, 0, 0, 0};
  if (same) {
    g.oh = (h + sh - 1) / sh;
    g.ow = (w + sw - 1) / sw;
    int pad_h = (g.oh - 1) * sh + kh - h;
    int pad_w = (g.ow - 1) * sw + kw - w;
    g.pad_top = pad_h > 0 ? pad_h / 2 : 0;
    g.pad_left = pad_w > 0 ? pad_w / 2 : 0;
  } else {
    g.oh = h >= kh ? (h - kh) / sh + 1 : 0;
    g.ow = w >= kw ? (w - kw) / sw + 1 : 0;
  }
  return g;
}

// A kernel row (kw * c floats) is contiguous in x when it does not overhang: one memcpy.
void im2col(const ConvGeometry& g, const float* x, float* col) {
  const size_t row_len = size_t(g.kw) * g.c;
  for (int oy = 0; oy < g.oh; ++oy) {
    for (int ox = 0; ox < g.ow; ++ox) {
      const int y0 = oy * g.sh - g.pad_top, x0 = ox * g.sw - g.pad_left;
      const bool inside_x = x0 >= 0 && x0 + g.kw <= g.w;
      for (int ky = 0; ky < g.kh; ++ky, col += row_len) {
        const int iy = y0 + ky;
        if (iy < 0 || iy >= g.h) {
          std::memset(col, 0, row_len * sizeof(float));
        } else if (inside_x) {
          std::memcpy(col, x + (size_t(iy) * g.w + x0) * g.c, row_len * sizeof(float));
        } else {
          for (int kx = 0; kx < g.kw; ++kx) {
            const int ix = x0 + kx;
            float* dst = col + size_t(kx) * g.c;
            if (ix < 0 || ix >= g.w)
              std::memset(dst, 0, g.c * sizeof(float));
            else
              std::memcpy(dst, x + (size_t(iy) * g.w + ix) * g.c, g.c * sizeof(float));
          }
        }
      }
    }
  }
}

size_t conv2d_workspace_floats(const ConvGeometry& g, size_t oc) {
  using namespace conv_scratch;
  const size_t patch = g.patch();
  size_t forward = padded_floats(g) + gemm_nn_workspace_floats(oc, patch);
  if (direct_c1(g)) forward = std::max(forward, padded_h(g) * direct_c1_width(g));
  const size_t input = (oc + kInputBlock) * input_grad_ld(g);
  return std::max(forward, input);
}

namespace portable {

void col2im(const ConvGeometry& g, const float* col, float* dx) {
  for (int oy = 0; oy < g.oh; ++oy) {
    for (int ox = 0; ox < g.ow; ++ox) {
      const int y0 = oy * g.sh - g.pad_top, x0 = ox * g.sw - g.pad_left;
      for (int ky = 0; ky < g.kh; ++ky) {
        const int iy = y0 + ky;
        for (int kx = 0; kx < g.kw; ++kx, col += g.c) {
          const int ix = x0 + kx;
          if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
          float* d = dx + (size_t(iy) * g.w + ix) * g.c;
          for (int ch = 0; ch < g.c; ++ch) d[ch] += col[ch];
        }
      }
    }
  }
}

// The input value a receptive field sees at (iy, ix, ch): 0 in the padding.
static float at(const ConvGeometry& g, const float* x, int iy, int ix, int ch) {
  return iy < 0 || iy >= g.h || ix < 0 || ix >= g.w ? 0.f : x[(size_t(iy) * g.w + ix) * g.c + ch];
}

void conv2d_forward(const ConvGeometry& g, size_t oc, const float* x, const float* w, const float* b, bool relu,
                    float* y, Range images, float*) {
  const size_t in_size = size_t(g.h) * g.w * g.c, out_size = size_t(g.oh) * g.ow * oc;
  x += images.begin * in_size;
  y += images.begin * out_size;
  for (size_t i = images.begin; i < images.end; ++i, x += in_size)
    for (int oy = 0; oy < g.oh; ++oy)
      for (int ox = 0; ox < g.ow; ++ox, y += oc) {
        for (size_t o = 0; o < oc; ++o) y[o] = b ? 0.f + b[o] : 0.f;
        const float* wt = w;
        for (int ky = 0; ky < g.kh; ++ky)
          for (int kx = 0; kx < g.kw; ++kx)
            for (int ch = 0; ch < g.c; ++ch, wt += oc) {
              const float v = at(g, x, oy * g.sh - g.pad_top + ky, ox * g.sw - g.pad_left + kx, ch);
              for (size_t o = 0; o < oc; ++o) y[o] += v * wt[o];
            }
        if (relu)
          for (size_t o = 0; o < oc; ++o) y[o] = y[o] > 0.f ? y[o] : 0.f;
      }
}

void conv2d_backward_filter(const ConvGeometry& g, size_t n, size_t oc, const float* x, const float* dz, float* dw,
                            Range channels, float*) {
  const size_t in_size = size_t(g.h) * g.w * g.c, o0 = channels.begin, o1 = channels.end;
  for (size_t p = 0; p < g.patch(); ++p) std::fill(dw + p * oc + o0, dw + p * oc + o1, 0.f);
  for (size_t i = 0; i < n; ++i, x += in_size)
    for (int oy = 0; oy < g.oh; ++oy)
      for (int ox = 0; ox < g.ow; ++ox, dz += oc) {
        float* d = dw;
        for (int ky = 0; ky < g.kh; ++ky)
          for (int kx = 0; kx < g.kw; ++kx)
            for (int ch = 0; ch < g.c; ++ch, d += oc) {
              const float v = at(g, x, oy * g.sh - g.pad_top + ky, ox * g.sw - g.pad_left + kx, ch);
              for (size_t o = o0; o < o1; ++o) d[o] += v * dz[o];
            }
      }
}

void conv2d_backward_input(const ConvGeometry& g, size_t oc, const float* dz, const float* w, float* dx,
                           Range images, float*) {
  const size_t in_size = size_t(g.h) * g.w * g.c, out_size = size_t(g.oh) * g.ow * oc;
  dz += images.begin * out_size;
  dx += images.begin * in_size;
  for (size_t i = images.begin; i < images.end; ++i, dx += in_size) {
    std::fill(dx, dx + in_size, 0.f);
    for (int oy = 0; oy < g.oh; ++oy)
      for (int ox = 0; ox < g.ow; ++ox, dz += oc) {
        const float* wt = w;
        for (int ky = 0; ky < g.kh; ++ky)
          for (int kx = 0; kx < g.kw; ++kx)
            for (int ch = 0; ch < g.c; ++ch, wt += oc) {
              float s = 0.f;
              for (size_t o = 0; o < oc; ++o) s += dz[o] * wt[o];
              const int iy = oy * g.sh - g.pad_top + ky, ix = ox * g.sw - g.pad_left + kx;
              if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) dx[(size_t(iy) * g.w + ix) * g.c + ch] += s;
            }
      }
  }
}

}  // namespace portable

}  // namespace wasmcnn::kernels
