// Data augmentation of NHWC image batches, drawn from the model's Augment stream (rng.h) so a
// seed fixes it: each image from the stream of its own (step, sample) key.
//
// Each image gets one random transform: an affine map about the image centre (rotation, zoom,
// translation) sampled bilinearly with zeros outside, then an integer shift (the random crop of
// the zero-padded image), then flips. All of it is applied as one inverse map per output pixel, so
// the image is resampled once. Targets are never touched.
#pragma once

#include "core/rng.h"
#include "core/tensor.h"

namespace wasmcnn {

// Everything off by default.
struct AugmentOptions {
  float rotation = 0.f;   // max degrees; the angle is uniform in [-rotation, rotation], counter-clockwise
  float zoom = 0.f;       // scale factor uniform in [1 - zoom, 1 + zoom]; > 1 enlarges the content
  float translate = 0.f;  // max shift as a fraction of width (x) and height (y), each uniform
  int crop = 0;           // pad by `crop` zero pixels, take a random crop of the original size
  bool flip_horizontal = false;  // each with probability 0.5
  bool flip_vertical = false;
};

bool augment_enabled(const AugmentOptions& options);

// Checks the options at the boundary (rotation in [0, 180], zoom in [0, 0.9], translate in [0, 0.5])
// and, when any is on, that `shape` is one image [height,width,channels] and crop is in
// [0, min(height, width) / 2]. Throws wasmcnn::Error naming the option and the numbers.
void check_augment(const AugmentOptions& options, const Shape& shape);

// One image's transform, explicit: what augment_batch draws, and what tests set by hand.
struct AugmentTransform {
  double angle = 0;             // degrees, counter-clockwise as displayed (y axis pointing down)
  double scale = 1;             // content scale about the centre
  double shift_x = 0, shift_y = 0;  // translation in pixels (right, down)
  int crop_x = 0, crop_y = 0;   // integer shift in pixels: out(y, x) = in(y + crop_y, x + crop_x)
  bool flip_horizontal = false, flip_vertical = false;
};

// Draws one image's transform. Only enabled options consume random numbers.
AugmentTransform draw_transform(const AugmentOptions& options, int h, int w, Rng& rng);

// y = transform(x) for one image x[h][w][c]; x and y must not overlap. Exact (bit for bit) when the
// affine part maps pixel centres onto pixel centres: identity, multiples of 90 degrees on a square
// image, whole-pixel translations; crops and flips are always exact.
void augment_image(const AugmentTransform& t, int h, int w, int c, const float* x, float* y);

// y[i] = augment_image(draw_transform(options, h, w, rng_i), x[i]) for the n images of a batch, where
// rng_i is the Augment stream of sample first_sample + i at training step `step` of `seed`: an
// image's transform depends on its key only, not on the other images or on how a batch is split.
void augment_batch(const AugmentOptions& options, int n, int h, int w, int c, const float* x, float* y, uint64_t seed,
                   uint64_t step, size_t first_sample = 0);

}  // namespace wasmcnn
