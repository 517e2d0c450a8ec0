#pragma once
// Tensor: a handle (shared_ptr) to a TensorImpl, a view (shape, strides, offset,
// dtype) into a refcounted Storage, plus autograd state. Copies share the tensor.
// Where members are defined: those that need only Storage (geometry, empty,
// make_view, detach, raw::) in tensor/tensor.cpp; those that run a kernel (fill_,
// copy_, to, clone, the other factories) in autograd/tensor_methods.cpp; views in
// autograd/view_ops.cpp; backward() in autograd/engine.cpp. Members, so call sites
// read t.reshape(...); tensor/ includes nothing above it (docs/01, "Layering").
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "tensor/device.h"
#include "tensor/dtype.h"
#include "tensor/error.h"
#include "tensor/shape.h"
#include "tensor/storage.h"

namespace basin {

class Node;  // autograd graph node (autograd/node.h)

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Strides strides;
  std::int64_t offset = 0;  // in elements
  DType dtype = DType::Float32;

  // autograd state
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;  // accumulated gradient of a leaf
  std::shared_ptr<Node> grad_fn;     // node that produced this tensor (non-leaf)
  std::string name;                  // optional, used in error messages (e.g. parameter name)
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- factories (empty: tensor.cpp; the others fill: tensor_methods.cpp) ----
  static Tensor empty(const Shape& shape, DType dtype = DType::Float32, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dtype = DType::Float32, Device device = Device::cpu());
  static Tensor ones(const Shape& shape, DType dtype = DType::Float32, Device device = Device::cpu());
  static Tensor full(const Shape& shape, double value, DType dtype = DType::Float32,
                     Device device = Device::cpu());
  static Tensor scalar(float value, Device device = Device::cpu());
  static Tensor from_vector(const std::vector<float>& v, const Shape& shape, Device device = Device::cpu());
  static Tensor from_vector(const std::vector<std::int64_t>& v, const Shape& shape,
                            Device device = Device::cpu());
  static Tensor from_vector(const std::vector<std::int32_t>& v, const Shape& shape,
                            Device device = Device::cpu());
  static Tensor from_vector(const std::vector<std::uint8_t>& v, const Shape& shape,
                            Device device = Device::cpu());
  // A view with explicit geometry into an existing storage (no checks beyond bounds).
  static Tensor make_view(const std::shared_ptr<Storage>& storage, const Shape& shape,
                          const Strides& strides, std::int64_t offset, DType dtype);

  // ---- geometry ----------------------------------------------------------------
  bool defined() const { return static_cast<bool>(impl_); }
  const Shape& shape() const { return impl().shape; }
  const Strides& strides() const { return impl().strides; }
  std::int64_t offset() const { return impl().offset; }
  int dim() const { return static_cast<int>(impl().shape.size()); }
  std::int64_t size(int axis) const;
  std::int64_t numel() const { return numel_of(impl().shape); }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage ? impl().storage->device() : Device::cpu(); }
  std::size_t nbytes() const { return static_cast<std::size_t>(numel()) * dtype_size(dtype()); }
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const { return impl().storage; }
  std::string str() const;  // "float32[2, 3] on cpu"

  // ---- data access (pointer at this view's first element) --------------------
  void* raw_data() const;
  template <typename T> T* data() const {
    BASIN_CHECK(dtype() == dtype_of<T>::value,
                "data<" << dtype_name(dtype_of<T>::value) << ">() on a " << dtype_name(dtype()) << " tensor");
    return static_cast<T*>(raw_data());
  }
  // Copies to host (tensor_methods.cpp): the elements in row-major order, as T.
  std::vector<float> to_vector() const;
  std::vector<std::int64_t> to_int_vector() const;
  float item() const;  // single-element tensor -> float

  // ---- copies and moves (autograd/tensor_methods.cpp; differentiable if noted)
  Tensor to(Device device) const;            // differentiable
  Tensor to(DType dtype) const;              // cast, not differentiable
  Tensor clone() const;                      // differentiable, contiguous copy
  Tensor contiguous() const;                 // differentiable; self if already contiguous
  void copy_(const Tensor& src);             // in place, shapes must match (broadcast allowed)
  void fill_(double value);                  // in place
  void zero_() { fill_(0.0); }

  // ---- views (differentiable; defined in autograd/view_ops.cpp) --------------
  Tensor reshape(const Shape& shape) const;  // -1 allowed once; copies if not viewable
  Tensor view(const Shape& shape) const;     // requires a viewable layout
  Tensor flatten(int start_axis = 1) const;
  Tensor permute(const std::vector<int>& dims) const;
  Tensor transpose(int a, int b) const;
  Tensor t() const { return transpose(0, 1); }
  Tensor slice(int axis, std::int64_t start, std::int64_t end, std::int64_t step = 1) const;
  Tensor select(int axis, std::int64_t index) const;  // drops the axis
  Tensor expand(const Shape& shape) const;
  Tensor unsqueeze(int axis) const;
  Tensor squeeze(int axis) const;

  // ---- autograd ----------------------------------------------------------------
  bool requires_grad() const { return defined() && impl().requires_grad; }
  Tensor& set_requires_grad(bool r);
  bool is_leaf() const { return !impl().grad_fn; }
  Tensor grad() const { return impl().grad ? Tensor(impl().grad) : Tensor(); }
  void set_grad(const Tensor& g) { impl().grad = g.impl_; }
  const std::shared_ptr<Node>& grad_fn() const { return impl().grad_fn; }
  // Runs reverse mode from this tensor (autograd/engine.cpp). Without `grad`, it
  // must hold one element and the seed is 1.
  void backward(const Tensor& grad = Tensor()) const;
  // Same storage, no graph: the result is a leaf that does not require grad.
  Tensor detach() const;
  const std::string& name() const { return impl().name; }
  Tensor& set_name(const std::string& n) { impl().name = n; return *this; }

  TensorImpl& impl() const {
    BASIN_CHECK(impl_, "use of an undefined (empty) Tensor");
    return *impl_;
  }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same(const Tensor& o) const { return impl_ == o.impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// Raw (non-recording) view constructors used by the differentiable views above.
namespace raw {
Tensor view_as(const Tensor& x, const Shape& shape, const Strides& strides, std::int64_t offset);
// Strides for viewing x with `shape` without copying, or empty if impossible.
bool try_view_strides(const Tensor& x, const Shape& shape, Strides* out);
Shape infer_shape(const Shape& requested, std::int64_t numel, const char* op);
}  // namespace raw

}  // namespace basin
