#pragma once
// The gradient arena's all-reduce, in buckets: one collective per bucket of at
// most `bucket_elems` floats, back to back over the arena (Horovod's tensor
// fusion and DDP's buckets, seen from the other side: the arena is already one
// fused buffer, so buckets only bound the size of one collective).
#include <cstdint>
#include <utility>
#include <vector>

#include "dist/communicator.h"

namespace basin::dist {

// 25 MiB of floats, DDP's default bucket.
constexpr std::int64_t kDefaultBucketElems = 25 * 1024 * 1024 / 4;

// [begin, end) of each bucket of [0, n), in order; empty for n == 0.
std::vector<std::pair<std::int64_t, std::int64_t>> bucket_ranges(std::int64_t n, std::int64_t bucket_elems);

// Reduces the contiguous flat float32 `flat` in place, bucket by bucket.
void allreduce_bucketed(Communicator& comm, Tensor& flat, ReduceOp op,
                        std::int64_t bucket_elems = kDefaultBucketElems);

// The noise seed of rank `rank` for --rank-noise independent: rank 0 keeps the
// run's seed (so one process is today's run, bit for bit), rank r > 0 a SplitMix64
// hash of (seed, r). The noise of perturbation j at step t on rank r is then
// keyed by (rank_noise_seed(seed, r), t, j).
std::uint64_t rank_noise_seed(std::uint64_t seed, int rank);

}  // namespace basin::dist
