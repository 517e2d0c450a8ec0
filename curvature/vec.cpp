#include "curvature/vec.h"

#include <cmath>

#include "curvature/objective.h"
#include "kernels/elementwise.h"
#include "kernels/fill_copy.h"
#include "kernels/reduce.h"

namespace basin::curvature {

double dot_range(const Tensor& a, const Tensor& b, std::int64_t offset, std::int64_t numel) {
  BASIN_CHECK(a.dim() == 1 && b.dim() == 1 && a.numel() == b.numel(),
              "curvature dot: expects two flat tensors of one length, got " << shape_str(a.shape()) << " and "
                                                                           << shape_str(b.shape()));
  BASIN_CHECK(offset >= 0 && numel >= 0 && offset + numel <= a.numel(),
              "curvature dot: range [" << offset << ", " << offset + numel << ") outside " << shape_str(a.shape()));
  if (numel == 0) return 0.0;
  Tensor as = a.detach().slice(0, offset, offset + numel);
  Tensor bs = b.detach().slice(0, offset, offset + numel);
  Tensor prod = Tensor::empty({numel}, DType::Float32, a.device());
  kernels::binary(kernels::BinaryOp::Mul, as, bs, prod);
  Tensor s = Tensor::empty({1}, DType::Float32, a.device());
  kernels::reduce(kernels::ReduceOp::Sum, prod, {0}, s);
  return static_cast<double>(s.item());
}

double dot(const Tensor& a, const Tensor& b) { return dot_range(a, b, 0, a.numel()); }

double norm(const Tensor& a) { return std::sqrt(dot(a, a)); }

Tensor random_like(const Tensor& like, kernels::Distribution dist, std::uint64_t seed, std::uint64_t stream,
                   float a, float b) {
  Tensor out = Tensor::empty(like.shape(), DType::Float32, like.device());
  kernels::random_fill(out, dist, kernels::RandomKey{seed, stream}, a, b);
  return out;
}

void random_direction(const Objective& f, Tensor& out, kernels::Distribution dist, std::uint64_t seed,
                      std::uint64_t stream, float a, float b) {
  const kernels::RandomKey key{seed, stream};
  if (!f.padded) return kernels::random_fill(out, dist, key, a, b);
  Tensor packed = Tensor::empty({num_parameters(f)}, DType::Float32, out.device());
  kernels::random_fill(packed, dist, key, a, b);
  kernels::fill(out, 0.0);
  std::int64_t pos = 0;
  for (const auto& blk : f.blocks) {
    Tensor dst = Tensor::make_view(out.storage(), {blk.numel}, {1}, out.offset() + blk.offset, DType::Float32);
    kernels::copy(Tensor::make_view(packed.storage(), {blk.numel}, {1}, pos, DType::Float32), dst);
    pos += blk.numel;
  }
}

Tensor random_direction(const Objective& f, kernels::Distribution dist, std::uint64_t seed, std::uint64_t stream,
                        float a, float b) {
  Tensor out = Tensor::empty(f.params.shape(), DType::Float32, f.params.device());
  random_direction(f, out, dist, seed, stream, a, b);
  return out;
}

void scale_(Tensor& x, float s) { kernels::scalar(kernels::BinaryOp::Mul, x, s, x); }

RestoreOnExit::RestoreOnExit(Tensor& target) : target_(target) {
  saved_ = Tensor::empty(target.shape(), target.dtype(), target.device());
  kernels::copy(target, saved_);
}

void RestoreOnExit::restore() { kernels::copy(saved_, target_); }

RestoreOnExit::~RestoreOnExit() {
  try {
    restore();
  } catch (...) {
    // A destructor must not throw; the failure that got us here is the one to report.
  }
}

void check_objective(const Objective& f, const char* who) {
  BASIN_CHECK(f.params.defined(), who << ": objective has no parameter vector");
  BASIN_CHECK(f.params.dim() == 1 && f.params.dtype() == DType::Float32 && f.params.is_contiguous(),
              who << ": parameters must be a flat contiguous float32 vector, got " << f.params.str());
  BASIN_CHECK(f.params.numel() > 0, who << ": objective has no parameters");
  BASIN_CHECK(static_cast<bool>(f.loss_and_grad), who << ": objective has no loss_and_grad function");
  BASIN_CHECK(static_cast<bool>(f.loss), who << ": objective has no loss function");
  for (const auto& b : f.blocks)
    BASIN_CHECK(b.offset >= 0 && b.numel >= 0 && b.offset + b.numel <= f.params.numel(),
                who << ": block '" << b.name << "' [" << b.offset << ", " << b.offset + b.numel
                    << ") lies outside the " << f.params.numel() << " parameters");
  if (f.padded) {
    BASIN_CHECK(!f.blocks.empty(), who << ": a padded objective needs its blocks (the parameters' ranges)");
    for (std::size_t i = 1; i < f.blocks.size(); ++i)
      BASIN_CHECK(f.blocks[i].offset >= f.blocks[i - 1].offset + f.blocks[i - 1].numel,
                  who << ": blocks '" << f.blocks[i - 1].name << "' and '" << f.blocks[i].name
                      << "' overlap or are out of order (a padded objective needs sorted, disjoint blocks)");
  }
}

std::int64_t num_parameters(const Objective& f) {
  if (!f.padded) return f.params.numel();
  std::int64_t n = 0;
  for (const auto& b : f.blocks) n += b.numel;
  return n;
}

}  // namespace basin::curvature
