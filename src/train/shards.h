// Shards: the fixed split of a training batch that makes results independent of the thread count.
//
// A batch of n samples is split into shards of kShardSize samples (the last may be smaller): 16,
// so that a shard keeps the kernels efficient and BatchNorm's statistics steady, while a batch of 64
// still feeds 4 threads. Each
// shard's gradient is computed on its own, with the loss scaled by 1/n of the whole batch and the
// random streams keyed by each sample's index in the whole batch; the shard gradients are then
// summed in shard order, g0 + g1, then + g2, and so on. BatchNormalization normalises each shard
// with its own statistics. Any number of threads, and the worker strategy of web/lib/parallel.js,
// compute exactly this, so the weights after a step are the same bits however the shards were
// shared out. A batch of at most kShardSize samples is one shard: the plain full-batch step.
#pragma once

#include <algorithm>

namespace wasmcnn {

constexpr int kShardSize = 16;

inline int shard_count(int n) { return (n + kShardSize - 1) / kShardSize; }
inline int shard_begin(int s) { return s * kShardSize; }
inline int shard_end(int s, int n) { return std::min(n, (s + 1) * kShardSize); }

}  // namespace wasmcnn
