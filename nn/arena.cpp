#include "nn/arena.h"

#include <unordered_set>

#include "autograd/grad_mode.h"
#include "kernels/fill_copy.h"

namespace basin::nn {

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
    segments_.push_back({name, numel_, p.numel(), p.shape(), p.dim() <= 1});
    tensors_.push_back(p);
    numel_ += p.numel();
  }
  params_ = Tensor::empty({numel_}, DType::Float32, device);
  grads_ = Tensor::zeros({numel_}, DType::Float32, device);
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
