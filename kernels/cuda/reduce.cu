// CUDA reductions (kernels/reduce.h). One warp per output element: the lanes
// stride over that element's reduced entries and combine with shuffles. Sums
// accumulate in double so long reductions stay as close to exact as the CPU
// reference. Simple and correct for any axes and strides; not tuned.
#include <cstdint>
#include <cmath>

#include "kernels/cuda/indexer.cuh"
#include "kernels/reduce.h"

namespace basin::kernels::cuda {

namespace {

constexpr int kWarp = 32;

// `outer` maps an output index to the offset of its first input element (kept
// axes), `inner` maps a reduced-entry index to the offset from there.
__global__ void reduce_kernel(ReduceOp op, const float* x, Indexer outer, Indexer inner, std::int64_t n_out,
                              std::int64_t n_in, float* out) {
  const int lane = threadIdx.x % kWarp;
  const std::int64_t warps_per_grid = static_cast<std::int64_t>(gridDim.x) * (blockDim.x / kWarp);
  for (std::int64_t o = static_cast<std::int64_t>(blockIdx.x) * (blockDim.x / kWarp) + threadIdx.x / kWarp;
       o < n_out; o += warps_per_grid) {
    const float* base = x + outer(o);
    if (op == ReduceOp::Sum || op == ReduceOp::Mean) {
      double acc = 0.0;
      for (std::int64_t j = lane; j < n_in; j += kWarp) acc += base[inner(j)];
      for (int s = kWarp / 2; s > 0; s /= 2) acc += __shfl_down_sync(0xffffffffu, acc, s);
      if (lane == 0) {
        out[o] = op == ReduceOp::Sum ? static_cast<float>(acc)
                                     : (n_in == 0 ? NAN : static_cast<float>(acc / static_cast<double>(n_in)));
      }
    } else {
      const bool is_max = op == ReduceOp::Max;
      // NaN propagates: once a lane sees one it keeps it.
      float acc = is_max ? -INFINITY : INFINITY;
      for (std::int64_t j = lane; j < n_in; j += kWarp) {
        float v = base[inner(j)];
        if (isnan(v) || (is_max ? v > acc : v < acc)) acc = isnan(acc) ? acc : v;
      }
      for (int s = kWarp / 2; s > 0; s /= 2) {
        float v = __shfl_down_sync(0xffffffffu, acc, s);
        if (isnan(v) || (is_max ? v > acc : v < acc)) acc = isnan(acc) ? acc : v;
      }
      if (lane == 0) out[o] = acc;
    }
  }
}

// One thread per output: a sequential scan keeps "first index on ties" trivial.
__global__ void argmax_kernel(const float* x, Indexer outer, std::int64_t n_out, std::int64_t len,
                              std::int64_t stride, std::int64_t* out) {
  BASIN_CUDA_KERNEL_LOOP(o, n_out) {
    const float* base = x + outer(o);
    float best = base[0];
    std::int64_t arg = 0;
    for (std::int64_t j = 1; j < len; ++j) {
      float v = base[j * stride];
      if (v > best) {
        best = v;
        arg = j;
      }
    }
    out[o] = arg;
  }
}

// The keepdim output shape of reducing `x_shape` over the axes flagged in `reduced`.
Shape keepdim_shape(const Shape& x_shape, const std::vector<bool>& reduced) {
  Shape s = x_shape;
  for (size_t d = 0; d < s.size(); ++d)
    if (reduced[d]) s[d] = 1;
  return s;
}

}  // namespace

void reduce(ReduceOp op, const Tensor& x, const std::vector<int>& axes, Tensor& out) {
  const char* name = "reduce";
  check_cuda_tensor(x, name, "x");
  check_cuda_tensor(out, name, "out");
  check_float(x, name, "x");
  check_float(out, name, "out");
  const int nd = x.dim();
  std::vector<bool> reduced(nd, false);
  for (int a : axes) reduced[normalize_axis(a, nd, name)] = true;
  const Shape out_shape = keepdim_shape(x.shape(), reduced);
  BASIN_CHECK(out.shape() == out_shape, name << ": out " << shape_str(out.shape()) << " should be "
                                             << shape_str(out_shape) << " for x " << shape_str(x.shape()));
  BASIN_CHECK(out.is_contiguous(), name << ": out " << shape_str(out.shape()) << " must be contiguous");
  // Kept axes index the output; reduced axes the entries combined into each output.
  Shape outer_sizes(nd), inner_sizes;
  Strides outer_strides(nd), inner_strides;
  std::int64_t n_in = 1;
  for (int d = 0; d < nd; ++d) {
    outer_sizes[d] = reduced[d] ? 1 : x.shape()[d];
    outer_strides[d] = x.strides()[d];
    if (reduced[d]) {
      inner_sizes.push_back(x.shape()[d]);
      inner_strides.push_back(x.strides()[d]);
      n_in *= x.shape()[d];
    }
  }
  const std::int64_t n_out = out.numel();
  if (n_out == 0) return;
  BASIN_CHECK(n_in > 0 || op == ReduceOp::Sum || op == ReduceOp::Mean,
              name << ": " << (op == ReduceOp::Max ? "max" : "min") << " over an empty axis of x "
                   << shape_str(x.shape()));
  DeviceGuard guard(out.device().index);
  const int warps_per_block = kThreads / kWarp;
  long long blocks = (n_out + warps_per_block - 1) / warps_per_block;
  if (blocks > 65535LL * 16) blocks = 65535LL * 16;
  reduce_kernel<<<static_cast<unsigned>(blocks), kThreads, 0, stream()>>>(
      op, x.data<float>(), make_indexer(outer_sizes, outer_strides, name),
      make_indexer(inner_sizes, inner_strides, name), n_out, n_in, out.data<float>());
  BASIN_CUDA_CHECK_LAUNCH();
}

void argmax(const Tensor& x, int axis, Tensor& out) {
  const char* name = "argmax";
  check_cuda_tensor(x, name, "x");
  check_cuda_tensor(out, name, "out");
  check_float(x, name, "x");
  BASIN_CHECK(out.dtype() == DType::Int64, name << ": out must be int64, got " << dtype_name(out.dtype()));
  const int nd = x.dim();
  const int ax = normalize_axis(axis, nd, name);
  std::vector<bool> reduced(nd, false);
  reduced[ax] = true;
  const Shape out_shape = keepdim_shape(x.shape(), reduced);
  BASIN_CHECK(out.shape() == out_shape, name << ": out " << shape_str(out.shape()) << " should be "
                                             << shape_str(out_shape) << " for x " << shape_str(x.shape()));
  BASIN_CHECK(out.is_contiguous(), name << ": out " << shape_str(out.shape()) << " must be contiguous");
  const std::int64_t n_out = out.numel();
  if (n_out == 0) return;
  const std::int64_t len = x.shape()[ax];
  BASIN_CHECK(len > 0, name << ": empty axis " << ax << " of x " << shape_str(x.shape()));
  Shape outer_sizes = out_shape;
  DeviceGuard guard(out.device().index);
  argmax_kernel<<<grid_for(n_out, kThreads), kThreads, 0, stream()>>>(
      x.data<float>(), make_indexer(outer_sizes, x.strides(), name), n_out, len, x.strides()[ax],
      out.data<std::int64_t>());
  BASIN_CUDA_CHECK_LAUNCH();
}

}  // namespace basin::kernels::cuda
