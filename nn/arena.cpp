#include "nn/arena.h"

#include <cstdint>
#include <cstdlib>
#include <unordered_set>

#include "autograd/grad_mode.h"
#include "kernels/fill_copy.h"

namespace basin::nn {

namespace {

constexpr std::size_t kAlignBytes = kArenaAlign * sizeof(float);

std::int64_t round_up(std::int64_t n) { return (n + kArenaAlign - 1) / kArenaAlign * kArenaAlign; }

// A zeroed float32 buffer of n elements whose first element is 256-byte aligned:
// the CPU allocator only promises 64 bytes, so the CPU block is allocated here;
// CUDA blocks come from cudaMalloc (256-byte aligned or better) through the
// caching allocator, which hands out whole blocks.
Tensor aligned_zeros(std::int64_t n, Device device) {
  const std::size_t nbytes = static_cast<std::size_t>(n) * sizeof(float);
  std::shared_ptr<Storage> st;
  if (device.is_cpu()) {
    void* p = nullptr;
    if (nbytes) {
      p = std::aligned_alloc(kAlignBytes, (nbytes + kAlignBytes - 1) / kAlignBytes * kAlignBytes);
      if (!p) throw OutOfMemoryError("ParameterArena: CPU allocation of " + std::to_string(nbytes) + " bytes failed");
    }
    st = Storage::wrap(p, nbytes, device, [](void* q) { std::free(q); });
  } else {
    st = Storage::allocate(nbytes, device);
  }
  BASIN_CHECK(reinterpret_cast<std::uintptr_t>(st->data()) % kAlignBytes == 0,
              "ParameterArena: the " << device.str() << " allocator returned a block not aligned to " << kAlignBytes
                                     << " bytes");
  Tensor t = Tensor::make_view(st, {n}, {1}, 0, DType::Float32);
  kernels::fill(t, 0.0);
  return t;
}

}  // namespace

void rebind_impl(const Tensor& t, const Tensor& view) {
  TensorImpl& dst = t.impl();
  const TensorImpl& src = view.impl();
  dst.storage = src.storage;
  dst.shape = src.shape;
  dst.strides = src.strides;
  dst.offset = src.offset;
  dst.dtype = src.dtype;
}

ParameterArena::ParameterArena(const std::vector<std::pair<std::string, Tensor>>& named_params, Device device)
    : device_(device) {
  NoGradGuard no_grad;
  std::unordered_set<const TensorImpl*> seen;
  for (const auto& [name, p] : named_params) {
    BASIN_CHECK(p.defined(), "ParameterArena: parameter " << name << " is undefined");
    BASIN_CHECK(p.dtype() == DType::Float32,
                "ParameterArena: parameter " << name << " is " << dtype_name(p.dtype()) << ", expected float32");
    if (!seen.insert(&p.impl()).second) continue;
    segments_.push_back({name, size_, p.numel(), p.shape(), p.dim() <= 1});
    tensors_.push_back(p);
    numel_ += p.numel();
    size_ = round_up(size_ + p.numel());
  }
  // Both zeroed: the padding starts (and stays) zero.
  params_ = aligned_zeros(size_, device);
  grads_ = aligned_zeros(size_, device);
  params_.set_name("arena.params");
  grads_.set_name("arena.grads");
  for (size_t i = 0; i < segments_.size(); ++i) {
    Tensor view = param_view(segments_[i]);
    kernels::copy(tensors_[i], view);  // copies across devices when needed
  }
  for (size_t i = 0; i < segments_.size(); ++i) {
    rebind_impl(tensors_[i], param_view(segments_[i]));
    tensors_[i].set_requires_grad(true);
    tensors_[i].set_grad(grad_view(segments_[i]));
  }
}

Tensor ParameterArena::param_view(const ArenaSegment& s) const {
  return Tensor::make_view(params_.storage(), s.shape, contiguous_strides(s.shape), s.offset, DType::Float32);
}

Tensor ParameterArena::grad_view(const ArenaSegment& s) const {
  return Tensor::make_view(grads_.storage(), s.shape, contiguous_strides(s.shape), s.offset, DType::Float32);
}

void ParameterArena::zero_grad() {
  kernels::fill(grads_, 0.0);
  for (size_t i = 0; i < segments_.size(); ++i) {
    const auto& g = tensors_[i].impl().grad;
    if (!g || g->storage != grads_.storage() || g->offset != segments_[i].offset)
      tensors_[i].set_grad(grad_view(segments_[i]));
  }
}

const ArenaSegment* ParameterArena::find(const std::string& name) const {
  for (const auto& s : segments_)
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace basin::nn
