#pragma once
// Small vector helpers on flat float32 tensors, written with the kernels op
// interface so they run wherever the tensors live (CPU or CUDA). Results that
// come back to the host (dot, norm) synchronize.
#include <cstdint>

#include "kernels/random.h"
#include "tensor/tensor.h"

namespace basin::curvature {

struct Objective;

// sum_i a_i * b_i (same shape, same device), accumulated by the reduce kernel.
double dot(const Tensor& a, const Tensor& b);
double norm(const Tensor& a);
// Sum of a[offset, offset + numel) * b[offset, offset + numel) for flat a, b.
double dot_range(const Tensor& a, const Tensor& b, std::int64_t offset, std::int64_t numel);
// A new [P] tensor like `like` (same device) filled from Philox (seed, stream).
Tensor random_like(const Tensor& like, kernels::Distribution dist, std::uint64_t seed, std::uint64_t stream,
                   float a, float b);
// Fills `out` (shaped like f.params) with a random direction keyed by (seed,
// stream): random_fill's values, but with Objective::padded zero on the padding
// and the values of a packed fill (the blocks back to back) in the blocks.
void random_direction(const Objective& f, Tensor& out, kernels::Distribution dist, std::uint64_t seed,
                      std::uint64_t stream, float a, float b);
Tensor random_direction(const Objective& f, kernels::Distribution dist, std::uint64_t seed, std::uint64_t stream,
                        float a, float b);
// x *= s, in place.
void scale_(Tensor& x, float s);

// Restores a tensor's exact bits on scope exit (so estimators leave W as found
// even when the objective throws).
class RestoreOnExit {
 public:
  explicit RestoreOnExit(Tensor& target);
  ~RestoreOnExit();
  RestoreOnExit(const RestoreOnExit&) = delete;
  RestoreOnExit& operator=(const RestoreOnExit&) = delete;
  const Tensor& saved() const { return saved_; }
  void restore();  // copy the saved bits back now (also done by the destructor)

 private:
  Tensor& target_;
  Tensor saved_;
};

}  // namespace basin::curvature
