#include "kernels/window.h"

#include "core/check.h"

namespace wasmcnn::kernels {

WindowGeometry window_geometry(int h, int w, int c, int kh, int kw, int sh, int sw, int dh, int dw, bool same) {
  WASMCNN_ASSERT(h >= 1 && w >= 1 && c >= 1 && kh >= 1 && kw >= 1 && sh >= 1 && sw >= 1 && dh >= 1 && dw >= 1);
  WindowGeometry g{h, w, c, kh, kw, sh, sw, dh, dw, 0, 0, 0, 0};
  const int eh = g.span_h(), ew = g.span_w();
  if (same) {
    g.oh = (h + sh - 1) / sh;
    g.ow = (w + sw - 1) / sw;
    const int pad_h = (g.oh - 1) * sh + eh - h, pad_w = (g.ow - 1) * sw + ew - w;
    g.pad_top = pad_h > 0 ? pad_h / 2 : 0;
    g.pad_left = pad_w > 0 ? pad_w / 2 : 0;
  } else {
    g.oh = h >= eh ? (h - eh) / sh + 1 : 0;
    g.ow = w >= ew ? (w - ew) / sw + 1 : 0;
  }
  return g;
}

}  // namespace wasmcnn::kernels
