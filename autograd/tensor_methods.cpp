// Tensor members declared in tensor/tensor.h that run kernels: the factories
// that fill (zeros, ones, full, scalar, from_vector), fill/copy, device and dtype
// moves, clones, host read-back. to(Device), clone() and contiguous() are
// differentiable. They are defined here, not in tensor/tensor.cpp, because tensor/
// sits below kernels/ and autograd/ and includes nothing from them (docs/01,
// "Layering"); views are in view_ops.cpp, backward() in engine.cpp.
#include <cstring>

#include "autograd/function.h"
#include "kernels/fill_copy.h"

namespace basin {

namespace {
template <typename T>
Tensor from_host(const std::vector<T>& v, const Shape& shape, Device device) {
  BASIN_CHECK(static_cast<std::int64_t>(v.size()) == numel_of(shape),
              "Tensor::from_vector: " << v.size() << " values for shape " << shape_str(shape));
  Tensor cpu = Tensor::empty(shape, dtype_of<T>::value, Device::cpu());
  if (!v.empty()) std::memcpy(cpu.raw_data(), v.data(), v.size() * sizeof(T));
  return device.is_cpu() ? cpu : cpu.to(device);
}
}  // namespace

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) { return full(shape, 0.0, dtype, device); }
Tensor Tensor::ones(const Shape& shape, DType dtype, Device device) { return full(shape, 1.0, dtype, device); }

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.fill_(value);
  return t;
}

Tensor Tensor::scalar(float value, Device device) { return full({}, value, DType::Float32, device); }

Tensor Tensor::from_vector(const std::vector<float>& v, const Shape& s, Device d) { return from_host(v, s, d); }
Tensor Tensor::from_vector(const std::vector<std::int64_t>& v, const Shape& s, Device d) { return from_host(v, s, d); }
Tensor Tensor::from_vector(const std::vector<std::int32_t>& v, const Shape& s, Device d) { return from_host(v, s, d); }
Tensor Tensor::from_vector(const std::vector<std::uint8_t>& v, const Shape& s, Device d) { return from_host(v, s, d); }

void Tensor::fill_(double value) {
  Tensor self = *this;
  kernels::fill(self, value);
}

// In-place writes are not recorded: autograd does not see them (as torch under
// no_grad). Parameter updates and initialization use them.
void Tensor::copy_(const Tensor& src) {
  Tensor self = *this;
  kernels::copy(src, self);
}

Tensor Tensor::to(Device device) const {
  if (device == this->device()) return *this;
  Tensor out = Tensor::empty(shape(), dtype(), device);
  kernels::copy(*this, out);
  Device from = this->device();
  return record("to", out, {*this}, [from](const Tensor& g) { return std::vector<Tensor>{g.to(from)}; });
}

Tensor Tensor::to(DType dtype) const {
  if (dtype == this->dtype()) return *this;
  Tensor out = Tensor::empty(shape(), dtype, device());
  kernels::copy(*this, out);
  return out;
}

Tensor Tensor::clone() const {
  Tensor out = Tensor::empty(shape(), dtype(), device());
  kernels::copy(*this, out);
  return record("clone", out, {*this}, [](const Tensor& g) { return std::vector<Tensor>{g}; });
}

Tensor Tensor::contiguous() const { return is_contiguous() ? *this : clone(); }

namespace {
// A contiguous host copy of `t` with dtype `dt` (t itself when it already is one).
Tensor host_dense(const Tensor& t, DType dt) {
  if (t.device().is_cpu() && t.is_contiguous() && t.dtype() == dt) return t;
  Tensor host = Tensor::empty(t.shape(), dt, Device::cpu());
  kernels::copy(t, host);
  return host;
}
}  // namespace

std::vector<float> Tensor::to_vector() const {
  Tensor h = host_dense(*this, DType::Float32);
  std::vector<float> v(static_cast<size_t>(numel()));
  if (!v.empty()) std::memcpy(v.data(), h.raw_data(), v.size() * sizeof(float));
  return v;
}

std::vector<std::int64_t> Tensor::to_int_vector() const {
  Tensor h = host_dense(*this, DType::Int64);
  std::vector<std::int64_t> v(static_cast<size_t>(numel()));
  if (!v.empty()) std::memcpy(v.data(), h.raw_data(), v.size() * sizeof(std::int64_t));
  return v;
}

float Tensor::item() const {
  BASIN_CHECK(numel() == 1, "item: tensor of shape " << shape_str(shape()) << " has " << numel()
                                                     << " elements, not 1");
  return to_vector()[0];
}

}  // namespace basin
