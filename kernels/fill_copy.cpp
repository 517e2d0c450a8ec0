// Entry points for fill and copy: argument checks (the backends trust their
// arguments: same device, same shape, nothing empty), broadcasting of the source,
// and host<->device transfers through contiguous staging tensors.
#include "kernels/fill_copy.h"

namespace basin::kernels {

namespace {

// A stride-0 view of `src` with `shape` (NumPy broadcasting), or an error naming both shapes.
Tensor broadcast_to(const Tensor& src, const Shape& shape) {
  if (src.shape() == shape) return src;
  const int n = static_cast<int>(shape.size()), k = src.dim();
  BASIN_CHECK(k <= n, "copy: source of shape " << shape_str(src.shape()) << " cannot be broadcast to "
                                               << shape_str(shape));
  Strides st(n, 0);
  for (int i = 0; i < k; ++i) {
    std::int64_t s = src.shape()[i], d = shape[n - k + i];
    BASIN_CHECK(s == d || s == 1, "copy: source of shape " << shape_str(src.shape()) << " cannot be broadcast to "
                                                           << shape_str(shape));
    st[n - k + i] = s == 1 ? 0 : src.strides()[i];
  }
  return raw::view_as(src, shape, st, src.offset());
}

bool same_geometry(const Tensor& a, const Tensor& b) {
  return a.offset() == b.offset() && a.strides() == b.strides() && a.dtype() == b.dtype();
}

#ifdef BASIN_WITH_CUDA
// src on the host, dst on a device: cast and lay out on the host, then one transfer.
void copy_host_to_device(const Tensor& src, Tensor& dst) {
  Tensor staging = Tensor::empty(dst.shape(), dst.dtype(), Device::cpu());
  cpu::copy(broadcast_to(src, dst.shape()), staging);
  if (dst.is_contiguous()) {
    cuda::memcpy_host_to_device(dst.raw_data(), staging.raw_data(), staging.nbytes(), dst.device().index);
  } else {
    Tensor dense = Tensor::empty(dst.shape(), dst.dtype(), dst.device());
    cuda::memcpy_host_to_device(dense.raw_data(), staging.raw_data(), staging.nbytes(), dst.device().index);
    cuda::copy(dense, dst);
  }
}

// src on a device, dst on the host: make src dense on the device (its own shape,
// so a broadcast is not materialized), transfer, then cast/broadcast on the host.
void copy_device_to_host(const Tensor& src, Tensor& dst) {
  Tensor dense = src;
  if (!src.is_contiguous()) {
    dense = Tensor::empty(src.shape(), src.dtype(), src.device());
    cuda::copy(src, dense);
  }
  Tensor host = Tensor::empty(src.shape(), src.dtype(), Device::cpu());
  cuda::memcpy_device_to_host(host.raw_data(), dense.raw_data(), host.nbytes(), src.device().index);
  cpu::copy(broadcast_to(host, dst.shape()), dst);
}
#endif

}  // namespace

void fill(Tensor& out, double value) {
  BASIN_CHECK(out.defined(), "fill: undefined tensor");
  if (out.numel() == 0) return;
  BASIN_DISPATCH(out.device(), fill, out, value);
}

void copy(const Tensor& src_in, Tensor& dst) {
  BASIN_CHECK(src_in.defined() && dst.defined(), "copy: undefined tensor");
  Tensor src = src_in;
  // Validate the broadcast before anything else so errors name the shapes.
  Tensor probe = broadcast_to(src, dst.shape());
  if (dst.numel() == 0) return;
  if (src.device() != dst.device()) {
#ifdef BASIN_WITH_CUDA
    BASIN_CHECK(src.device().is_cpu() || dst.device().is_cpu(),
                "copy: between two CUDA devices (" << src.device().str() << " -> " << dst.device().str()
                                                   << ") is not supported");
    if (src.device().is_cpu())
      copy_host_to_device(src, dst);
    else
      copy_device_to_host(src, dst);
    return;
#else
    no_cuda_backend("copy");
#endif
  }
  // Overlapping source and destination (e.g. x.copy_(x.t())): read from a snapshot.
  if (src.storage() == dst.storage() && src.storage() && !same_geometry(src, dst)) {
    Tensor snapshot = Tensor::empty(src.shape(), src.dtype(), src.device());
    BASIN_DISPATCH(src.device(), copy, src, snapshot);
    probe = broadcast_to(snapshot, dst.shape());
  }
  BASIN_DISPATCH(dst.device(), copy, probe, dst);
}

}  // namespace basin::kernels
