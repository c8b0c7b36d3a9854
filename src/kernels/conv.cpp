#include "kernels/conv.h"

#include <cstring>

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

}  // namespace wasmcnn::kernels
