// The Tensor members that need nothing above tensor/: geometry, empty(),
// make_view(), detach(), raw views. Every other member runs a kernel or records an
// autograd node, so it is defined in the layer that can: autograd/tensor_methods.cpp
// (fill_, copy_, to, clone, the filling factories, host read-back),
// autograd/view_ops.cpp (views) and autograd/engine.cpp (backward). The map is in
// tensor/tensor.h and docs/01-tensor-and-storage.md ("Layering").
#include "tensor/tensor.h"

#include <sstream>

namespace basin {

namespace {
std::shared_ptr<TensorImpl> new_impl(const Shape& shape, DType dtype, Device device) {
  for (auto d : shape) BASIN_CHECK(d >= 0, "Tensor::empty: negative size in shape " << shape_str(shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = Storage::allocate(static_cast<std::size_t>(numel_of(shape)) * dtype_size(dtype), device);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return impl;
}
}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  return Tensor(new_impl(shape, dtype, device));
}

Tensor Tensor::make_view(const std::shared_ptr<Storage>& storage, const Shape& shape, const Strides& strides,
                         std::int64_t offset, DType dtype) {
  BASIN_CHECK(shape.size() == strides.size(), "make_view: shape " << shape_str(shape) << " and strides "
                                                                 << shape_str(strides) << " differ in rank");
  std::int64_t hi = offset, lo = offset;
  bool empty_view = numel_of(shape) == 0;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0) continue;
    std::int64_t span = (shape[i] - 1) * strides[i];
    if (span > 0) hi += span; else lo += span;
  }
  if (!empty_view) {
    std::int64_t cap = storage ? static_cast<std::int64_t>(storage->nbytes() / dtype_size(dtype)) : 0;
    BASIN_CHECK(lo >= 0 && hi < cap, "make_view: view " << shape_str(shape) << " at offset " << offset
                                                         << " exceeds a storage of " << cap << " elements");
  }
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = storage;
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = dtype;
  return Tensor(impl);
}

std::int64_t Tensor::size(int axis) const {
  int a = normalize_axis(axis, dim(), "Tensor::size");
  return shape()[a];
}

bool Tensor::is_contiguous() const {
  if (numel() == 0) return true;  // no element is out of place (contiguous_strides gives [1, 1] for [2, 0])
  std::int64_t expected = 1;
  for (int i = dim() - 1; i >= 0; --i) {
    if (shape()[i] == 1) continue;
    if (strides()[i] != expected) return false;
    expected *= shape()[i];
  }
  return true;
}

std::string Tensor::str() const {
  if (!defined()) return "undefined tensor";
  std::ostringstream os;
  os << dtype_name(dtype()) << shape_str(shape()) << " on " << device().str();
  return os.str();
}

void* Tensor::raw_data() const {
  const auto& s = impl().storage;
  if (!s || !s->data()) return nullptr;
  return static_cast<char*>(s->data()) + offset() * static_cast<std::int64_t>(dtype_size(dtype()));
}

Tensor& Tensor::set_requires_grad(bool r) {
  BASIN_CHECK(!r || dtype() == DType::Float32,
              "set_requires_grad: only float32 tensors can require grad (this one is " << dtype_name(dtype()) << ")");
  BASIN_CHECK(is_leaf() || r, "set_requires_grad(false) on a non-leaf tensor: use detach()");
  impl().requires_grad = r;
  return *this;
}

Tensor Tensor::detach() const {
  return Tensor::make_view(storage(), shape(), strides(), offset(), dtype());
}

namespace raw {

Tensor view_as(const Tensor& x, const Shape& shape, const Strides& strides, std::int64_t offset) {
  return Tensor::make_view(x.storage(), shape, strides, offset, x.dtype());
}

Shape infer_shape(const Shape& requested, std::int64_t numel, const char* op) {
  Shape s = requested;
  int infer = -1;
  std::int64_t known = 1;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      BASIN_CHECK(infer < 0, op << ": more than one -1 in shape " << shape_str(requested));
      infer = static_cast<int>(i);
    } else {
      BASIN_CHECK(s[i] >= 0, op << ": invalid size in shape " << shape_str(requested));
      known *= s[i];
    }
  }
  if (infer >= 0) {
    BASIN_CHECK(known != 0 && numel % known == 0,
                op << ": shape " << shape_str(requested) << " is invalid for " << numel << " elements");
    s[infer] = numel / known;
  }
  BASIN_CHECK(numel_of(s) == numel, op << ": shape " << shape_str(requested) << " is invalid for " << numel
                                       << " elements");
  return s;
}

// Viewing is possible when every group of merged/split axes is contiguous
// within itself (the same rule as PyTorch's computeStride).
bool try_view_strides(const Tensor& x, const Shape& shape, Strides* out) {
  const Shape& old_shape = x.shape();
  const Strides& old_strides = x.strides();
  if (x.is_contiguous()) {
    *out = contiguous_strides(shape);
    return true;
  }
  if (numel_of(shape) == 0) {
    *out = contiguous_strides(shape);
    return true;
  }
  Strides ns(shape.size());
  int view_d = static_cast<int>(shape.size()) - 1;
  std::int64_t chunk_base_stride = old_strides.empty() ? 1 : old_strides.back();
  std::int64_t tensor_numel = 1, view_numel = 1;
  for (int tensor_d = static_cast<int>(old_shape.size()) - 1; tensor_d >= 0; --tensor_d) {
    tensor_numel *= old_shape[tensor_d];
    if (tensor_d == 0 ||
        (old_shape[tensor_d - 1] != 1 && old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        ns[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        view_d--;
      }
      if (view_numel != tensor_numel) return false;
      if (tensor_d > 0) {
        chunk_base_stride = old_strides[tensor_d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return false;
  *out = ns;
  return true;
}

}  // namespace raw
}  // namespace basin
