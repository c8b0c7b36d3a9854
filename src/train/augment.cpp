#include "train/augment.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/check.h"

namespace wasmcnn {

namespace {

// cos and sin of whole multiples of 90 degrees come out as 6e-17 instead of 0; snapping them makes
// those rotations map pixel centres exactly onto pixel centres.
double snap_unit(double v) {
  for (double target : {-1.0, 0.0, 1.0})
    if (std::fabs(v - target) < 1e-12) return target;
  return v;
}

}  // namespace

bool augment_enabled(const AugmentOptions& o) {
  return o.rotation != 0.f || o.zoom != 0.f || o.translate != 0.f || o.crop != 0 || o.flip_horizontal ||
         o.flip_vertical;
}

void check_augment(const AugmentOptions& o, const Shape& shape) {
  check(o.rotation >= 0.f && o.rotation <= 180.f, "augment: rotation must be in [0, 180] degrees, got ", o.rotation);
  check(o.zoom >= 0.f && o.zoom <= 0.9f, "augment: zoom must be in [0, 0.9], got ", o.zoom);
  check(o.translate >= 0.f && o.translate <= 0.5f, "augment: translate must be in [0, 0.5], got ", o.translate);
  if (!augment_enabled(o)) return;
  check(shape.size() == 3, "augment: needs image inputs [height,width,channels], but the input shape is ",
        shape_str(shape));
  const int max_crop = std::min(shape[0], shape[1]) / 2;
  check(o.crop >= 0 && o.crop <= max_crop, "augment: crop must be in [0, ", max_crop, "] pixels for input shape ",
        shape_str(shape), ", got ", o.crop);
}

AugmentTransform draw_transform(const AugmentOptions& o, int h, int w, Rng& rng) {
  AugmentTransform t;
  if (o.rotation > 0.f) t.angle = rng.uniform(-o.rotation, o.rotation);
  if (o.zoom > 0.f) t.scale = rng.uniform(1.f - o.zoom, 1.f + o.zoom);
  if (o.translate > 0.f) {
    t.shift_x = double(rng.uniform(-o.translate, o.translate)) * w;
    t.shift_y = double(rng.uniform(-o.translate, o.translate)) * h;
  }
  if (o.crop > 0) {
    const uint32_t span = 2 * uint32_t(o.crop) + 1;
    t.crop_x = int(rng.below(span)) - o.crop;
    t.crop_y = int(rng.below(span)) - o.crop;
  }
  if (o.flip_horizontal) t.flip_horizontal = rng.below(2) == 1;
  if (o.flip_vertical) t.flip_vertical = rng.below(2) == 1;
  return t;
}

// The output is flip(crop(affine(x))). For each output pixel we undo the flips and the integer
// shift (landing outside the affine image gives 0), then apply the inverse affine map
//   src = R(-angle) (p - centre - shift) / scale + centre
// and sample x bilinearly there, with zeros outside. The centre is ((w-1)/2, (h-1)/2) in pixel
// coordinates, pixel (x, y) having its centre at (x, y).
void augment_image(const AugmentTransform& t, int h, int w, int c, const float* x, float* y) {
  WASMCNN_ASSERT(h > 0 && w > 0 && c > 0 && t.scale > 0);
  const size_t pixel = size_t(c);
  const bool identity = t.angle == 0 && t.scale == 1 && t.shift_x == 0 && t.shift_y == 0;
  const double rad = t.angle * (3.14159265358979323846 / 180.0);
  const double cs = snap_unit(std::cos(rad)) / t.scale, sn = snap_unit(std::sin(rad)) / t.scale;
  const double cx = (w - 1) * 0.5, cy = (h - 1) * 0.5;
  for (int oy = 0; oy < h; ++oy) {
    const int py = (t.flip_vertical ? h - 1 - oy : oy) + t.crop_y;
    for (int ox = 0; ox < w; ++ox) {
      float* out = y + (size_t(oy) * w + ox) * pixel;
      const int px = (t.flip_horizontal ? w - 1 - ox : ox) + t.crop_x;
      if (px < 0 || px >= w || py < 0 || py >= h) {
        std::memset(out, 0, pixel * sizeof(float));
        continue;
      }
      if (identity) {
        std::memcpy(out, x + (size_t(py) * w + px) * pixel, pixel * sizeof(float));
        continue;
      }
      // Inverse rotation by `angle` counter-clockwise on screen (y down) is, in (x, y):
      //   [cos -sin; sin cos].
      const double dx = px - cx - t.shift_x, dy = py - cy - t.shift_y;
      const double sx = cs * dx - sn * dy + cx, sy = sn * dx + cs * dy + cy;
      const double fx0 = std::floor(sx), fy0 = std::floor(sy);
      const double fx = sx - fx0, fy = sy - fy0;
      // Up to four taps with non-zero weight inside the image. Weights and sum in double: rounded
      // once to float, a convex combination cannot leave [min, max] of its taps (and 0).
      const float* tap[4];
      double weight[4];
      int taps = 0;
      for (int k = 0; k < 4; ++k) {
        const double wx = (k & 1) ? fx : 1.0 - fx, wy = (k & 2) ? fy : 1.0 - fy;
        const double xi = fx0 + (k & 1), yi = fy0 + ((k & 2) >> 1);
        if (wx * wy == 0.0 || xi < 0 || xi >= w || yi < 0 || yi >= h) continue;
        tap[taps] = x + (size_t(yi) * w + size_t(xi)) * pixel;
        weight[taps++] = wx * wy;
      }
      for (size_t ch = 0; ch < pixel; ++ch) {
        double v = 0;
        for (int k = 0; k < taps; ++k) v += weight[k] * tap[k][ch];
        out[ch] = float(v);
      }
    }
  }
}

void augment_batch(const AugmentOptions& options, int n, int h, int w, int c, const float* x, float* y, uint64_t seed,
                   uint64_t step, size_t first_sample) {
  WASMCNN_ASSERT(x != y);
  const size_t image = size_t(h) * w * c;
  for (int i = 0; i < n; ++i) {
    Rng rng(stream_seed(seed, Stream::Augment, step, 0, first_sample + size_t(i)));
    augment_image(draw_transform(options, h, w, rng), h, w, c, x + i * image, y + i * image);
  }
}

}  // namespace wasmcnn
