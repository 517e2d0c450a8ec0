#pragma once
// ParameterArena: all parameters of a model in ONE contiguous float32 tensor
// and all their gradients in a second one (llm.c's malloc_and_point_parameters,
// kept behind Tensor views). An optimizer step, a perturbation, a weight restore
// or a gradient reset is then one kernel over one flat array.
//
// After finalize, each parameter's TensorImpl points into params() (same storage,
// its own offset, contiguous strides) and its .grad is the matching view of
// grads(): backward's AccumulateGrad adds straight into the grad arena. Buffers
// (batch-norm running statistics) are not parameters and stay separate.
//
// The contract the optimizers build on: params(), grads(), segments(),
// zero_grad(). Segment order is the model's named_parameters() order.
//
// Alignment: each segment starts at a multiple of kArenaAlign elements (256
// bytes) and both buffers are 256-byte aligned, so every parameter and gradient
// handed to cuDNN/cuBLAS is aligned for vectorized kernels. The gaps between
// segments are padding: zero in params() and grads() when the arena is built,
// and kept zero because every arena kernel maps a zero weight with a zero
// gradient to zero (perturbations write noise there, but are always undone by a
// full-buffer restore). Nothing reads the padding. numel() counts parameters;
// size() is the buffers' length, padding included.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace basin::nn {

// Segment offsets are rounded up to this many float32 elements (256 bytes).
inline constexpr std::int64_t kArenaAlign = 64;

struct ArenaSegment {
  std::string name;        // "layer1.0.conv1.weight"
  std::int64_t offset;     // first element in params()/grads(), a multiple of kArenaAlign
  std::int64_t numel;
  Shape shape;
  bool is_bias_or_norm;    // rank <= 1 (biases, norm scales/shifts): usually no weight decay
};

class ParameterArena {
 public:
  // Copies each parameter's current values into the arena on `device`,
  // rewires the parameter (and its gradient) to views of the arenas, and zeroes
  // the gradients. Parameters must be float32; a tensor registered under two
  // names is placed once (under its first name).
  ParameterArena(const std::vector<std::pair<std::string, Tensor>>& named_params, Device device);

  Tensor& params() { return params_; }
  Tensor& grads() { return grads_; }
  const Tensor& params() const { return params_; }
  const Tensor& grads() const { return grads_; }
  const std::vector<ArenaSegment>& segments() const { return segments_; }
  // The parameter handles, in segment order.
  const std::vector<Tensor>& tensors() const { return tensors_; }
  // Parameters (the sum of the segments' numel), padding not counted.
  std::int64_t numel() const { return numel_; }
  // Length of params() and grads(): the parameters plus the alignment padding.
  std::int64_t size() const { return size_; }
  Device device() const { return device_; }

  // Zeroes grads() and re-points every parameter's .grad at its view (in case
  // someone replaced or cleared a .grad).
  void zero_grad();
  // The segment named `name`, or nullptr.
  const ArenaSegment* find(const std::string& name) const;
  // Views of params()/grads() for one segment, shaped like the parameter.
  Tensor param_view(const ArenaSegment& s) const;
  Tensor grad_view(const ArenaSegment& s) const;

 private:
  Device device_;
  std::int64_t numel_ = 0;
  std::int64_t size_ = 0;
  Tensor params_, grads_;
  std::vector<ArenaSegment> segments_;
  std::vector<Tensor> tensors_;
};

// Points `t`'s TensorImpl at `view`'s storage/geometry, keeping its identity,
// name, requires_grad and graph links (used by the arena and Module::to).
void rebind_impl(const Tensor& t, const Tensor& view);

}  // namespace basin::nn
