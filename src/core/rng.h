// Rng: a seeded PCG32 (O'Neill 2014), the same stream on every platform, and the streams a
// model's seed is split into.
//
// A model draws for four purposes, each from its own stream (Stream below), so that one purpose
// never shifts another's numbers and the result does not depend on the order work is done in:
// - Init: Rng(seed) itself, drawn in layer order when layers are added (the weights every model
//   built before the split was initialised with, bit for bit);
// - Shuffle: one sequential Rng(stream_seed(seed, Shuffle)), drawn once per epoch by one caller;
// - Noise (dropout, Gaussian noise) and Augment: counter-based. Sample k of training step s gets
//   its own Rng(stream_seed(seed, stream, s, node, k)), so its draws are the same whichever thread
//   computes it, in whatever order, however a batch is split.
#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>

namespace wasmcnn {

enum class Stream : uint64_t { Init = 0, Shuffle = 1, Noise = 2, Augment = 3 };

// The SplitMix64 finaliser (Steele, Lea & Flood 2014): a bijection of 64 bits that mixes every
// input bit into every output bit.
inline uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The seed of the stream keyed by (seed, stream, step, node, sample): each key hashed in turn.
// node tells apart two layers of the same kind drawing at the same step; unused keys are 0.
inline uint64_t stream_seed(uint64_t seed, Stream stream, uint64_t step = 0, uint64_t node = 0, uint64_t sample = 0) {
  uint64_t h = mix64(seed);
  for (uint64_t key : {uint64_t(stream), step, node, sample}) h = mix64(h ^ key);
  return h;
}

class Rng {
 public:
  explicit Rng(uint64_t seed = 42) { reseed(seed); }

  void reseed(uint64_t seed) {
    state_ = 0;
    next_u32();
    state_ += seed;
    next_u32();
    has_spare_ = false;
  }

  uint32_t next_u32() {
    uint64_t old = state_;
    state_ = old * 6364136223846793005ULL + kInc;
    uint32_t xorshifted = uint32_t(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = uint32_t(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((32 - rot) & 31));
  }

  // Uniform in [0, 1) with 24 random bits: exactly representable, identical everywhere.
  float uniform() { return float(next_u32() >> 8) * (1.0f / 16777216.0f); }
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }

  // Uniform integer in [0, n), unbiased (Lemire's rejection method).
  uint32_t below(uint32_t n) {
    uint64_t m = uint64_t(next_u32()) * n;
    uint32_t low = uint32_t(m);
    if (low < n) {
      uint32_t threshold = (0u - n) % n;
      while (low < threshold) {
        m = uint64_t(next_u32()) * n;
        low = uint32_t(m);
      }
    }
    return uint32_t(m >> 32);
  }

  // Standard normal by the Box-Muller transform, computed in double.
  float normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = (double(next_u32()) + 1.0) * (1.0 / 4294967296.0);  // (0, 1]
    double u2 = double(next_u32()) * (1.0 / 4294967296.0);
    double r = std::sqrt(-2.0 * std::log(u1));
    double t = 6.283185307179586 * u2;
    spare_ = float(r * std::sin(t));
    has_spare_ = true;
    return float(r * std::cos(t));
  }

  // Fisher-Yates shuffle of idx[0..n).
  template <class T>
  void shuffle(T* idx, uint32_t n) {
    for (uint32_t i = n; i > 1; --i) {
      uint32_t j = below(i);
      T t = idx[i - 1];
      idx[i - 1] = idx[j];
      idx[j] = t;
    }
  }

 private:
  static constexpr uint64_t kInc = 1442695040888963407ULL;
  uint64_t state_ = 0;
  float spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace wasmcnn
