#include "dist/bucketed.h"

#include <algorithm>

#include "tensor/error.h"

namespace basin::dist {

std::vector<std::pair<std::int64_t, std::int64_t>> bucket_ranges(std::int64_t n, std::int64_t bucket_elems) {
  BASIN_CHECK(bucket_elems > 0, "bucket_ranges: bucket size " << bucket_elems);
  std::vector<std::pair<std::int64_t, std::int64_t>> r;
  for (std::int64_t b = 0; b < n; b += bucket_elems) r.emplace_back(b, std::min(n, b + bucket_elems));
  return r;
}

void allreduce_bucketed(Communicator& comm, Tensor& flat, ReduceOp op, std::int64_t bucket_elems) {
  BASIN_CHECK(flat.defined() && flat.dtype() == DType::Float32 && flat.is_contiguous() && flat.dim() == 1,
              "allreduce_bucketed: expected a flat contiguous float32 tensor, got " << flat.str());
  if (comm.size() == 1 && comm.backend() == "single") return;
  for (const auto& [b, e] : bucket_ranges(flat.numel(), bucket_elems)) {
    Tensor bucket = Tensor::make_view(flat.storage(), {e - b}, {1}, flat.offset() + b, DType::Float32);
    comm.allreduce(bucket, op);
  }
}

std::uint64_t rank_noise_seed(std::uint64_t seed, int rank) {
  if (rank == 0) return seed;
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (static_cast<std::uint64_t>(rank) + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace basin::dist
