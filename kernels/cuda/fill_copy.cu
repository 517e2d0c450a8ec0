// CUDA fill, copy/cast and raw host<->device transfers (kernels/fill_copy.h).
#include <cstdint>

#include "kernels/cuda/indexer.cuh"
#include "kernels/fill_copy.h"

namespace basin::kernels::cuda {

namespace {

template <typename T>
__global__ void fill_kernel(T* out, Indexer ix, std::int64_t n, T value) {
  BASIN_CUDA_KERNEL_LOOP(i, n) { out[ix(i)] = value; }
}

template <typename S, typename D>
__global__ void copy_kernel(const S* src, Indexer is, D* dst, Indexer id, std::int64_t n) {
  BASIN_CUDA_KERNEL_LOOP(i, n) { dst[id(i)] = static_cast<D>(src[is(i)]); }
}

template <typename T>
void launch_fill(Tensor& out, double value) {
  const std::int64_t n = out.numel();
  Indexer ix = make_indexer(out, "fill");
  fill_kernel<T><<<grid_for(n, kThreads), kThreads, 0, stream()>>>(static_cast<T*>(out.raw_data()), ix, n,
                                                                     static_cast<T>(value));
  BASIN_CUDA_CHECK_LAUNCH();
}

template <typename S>
void launch_copy_from(const Tensor& src, Tensor& dst) {
  const std::int64_t n = dst.numel();
  Indexer is = make_indexer(src, "copy");
  Indexer id = make_indexer(dst, "copy");
  const S* s = static_cast<const S*>(src.raw_data());
  void* d = dst.raw_data();
  const unsigned grid = grid_for(n, kThreads);
  switch (dst.dtype()) {
    case DType::Float32:
      copy_kernel<S, float><<<grid, kThreads, 0, stream()>>>(s, is, static_cast<float*>(d), id, n);
      break;
    case DType::Int32:
      copy_kernel<S, std::int32_t><<<grid, kThreads, 0, stream()>>>(s, is, static_cast<std::int32_t*>(d), id, n);
      break;
    case DType::Int64:
      copy_kernel<S, std::int64_t><<<grid, kThreads, 0, stream()>>>(s, is, static_cast<std::int64_t*>(d), id, n);
      break;
    case DType::UInt8:
      copy_kernel<S, std::uint8_t><<<grid, kThreads, 0, stream()>>>(s, is, static_cast<std::uint8_t*>(d), id, n);
      break;
    default:
      BASIN_FAIL("copy: the CUDA backend does not support " << dtype_name(dst.dtype()) << " tensors");
  }
  BASIN_CUDA_CHECK_LAUNCH();
}

}  // namespace

void fill(Tensor& out, double value) {
  DeviceGuard guard(out.device().index);
  switch (out.dtype()) {
    case DType::Float32: launch_fill<float>(out, value); break;
    case DType::Int32: launch_fill<std::int32_t>(out, value); break;
    case DType::Int64: launch_fill<std::int64_t>(out, value); break;
    case DType::UInt8: launch_fill<std::uint8_t>(out, value); break;
    default: BASIN_FAIL("fill: the CUDA backend does not support " << dtype_name(out.dtype()) << " tensors");
  }
}

void copy(const Tensor& src, Tensor& dst) {
  DeviceGuard guard(dst.device().index);
  // Same dtype, both dense: one device-to-device memcpy.
  if (src.dtype() == dst.dtype() && src.is_contiguous() && dst.is_contiguous()) {
    if (src.raw_data() != dst.raw_data()) {
      BASIN_CUDA_CHECK(
          cudaMemcpyAsync(dst.raw_data(), src.raw_data(), dst.nbytes(), cudaMemcpyDeviceToDevice, stream()));
    }
    return;
  }
  switch (src.dtype()) {
    case DType::Float32: launch_copy_from<float>(src, dst); break;
    case DType::Int32: launch_copy_from<std::int32_t>(src, dst); break;
    case DType::Int64: launch_copy_from<std::int64_t>(src, dst); break;
    case DType::UInt8: launch_copy_from<std::uint8_t>(src, dst); break;
    default: BASIN_FAIL("copy: the CUDA backend does not support " << dtype_name(src.dtype()) << " tensors");
  }
}

// Both transfers go through our stream and then wait for it, so they are ordered
// after every kernel queued before them and the host buffer is safe on return.
void memcpy_host_to_device(void* dst, const void* src, std::size_t nbytes, int device) {
  if (nbytes == 0) return;
  DeviceGuard guard(device);
  BASIN_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyHostToDevice, stream()));
  BASIN_CUDA_CHECK(cudaStreamSynchronize(stream()));
}

void memcpy_device_to_host(void* dst, const void* src, std::size_t nbytes, int device) {
  if (nbytes == 0) return;
  DeviceGuard guard(device);
  BASIN_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToHost, stream()));
  BASIN_CUDA_CHECK(cudaStreamSynchronize(stream()));
}

}  // namespace basin::kernels::cuda
