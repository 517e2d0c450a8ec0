// CUDA reductions (kernels/reduce.h). Everything accumulates in double (exact
// for max/min, and sums stay as close to exact as the CPU reference's double
// sums). Two strategies, both deterministic (a fixed order of combination):
// - many outputs: one warp per output element; the lanes stride over its
//   reduced entries and combine with shuffles;
// - few outputs with long reductions (a full sum, a norm): each output's entries
//   are cut into P chunks, one block per chunk writes a partial, and a second
//   kernel combines the P partials. One warp alone could not reach memory bandwidth.
// Arguments were checked by the entry point (kernels/reduce.cpp); the axes come normalized and sorted.
#include <cmath>
#include <cstdint>

#include "kernels/argmax_rule.h"
#include "kernels/cuda/indexer.cuh"
#include "kernels/reduce.h"
#include "tensor/cuda/caching_allocator.h"

namespace basin::kernels::cuda {

namespace {

constexpr int kWarp = 32;

__device__ __forceinline__ double identity(ReduceOp op) {
  return op == ReduceOp::Max ? -INFINITY : op == ReduceOp::Min ? INFINITY : 0.0;
}

// NaN propagates through max/min, as in the CPU reference.
__device__ __forceinline__ double combine(ReduceOp op, double acc, double v) {
  if (op == ReduceOp::Sum || op == ReduceOp::Mean) return acc + v;
  if (isnan(acc)) return acc;
  if (isnan(v) || (op == ReduceOp::Max ? v > acc : v < acc)) return v;
  return acc;
}

// Combines the 32 lanes' values; lane 0 holds the result. Needs the full warp.
__device__ __forceinline__ double warp_combine(ReduceOp op, double v) {
  for (int s = kWarp / 2; s > 0; s /= 2) v = combine(op, v, __shfl_down_sync(0xffffffffu, v, s));
  return v;
}

__device__ __forceinline__ float finish(ReduceOp op, double acc, std::int64_t n_in) {
  if (op == ReduceOp::Mean) return n_in == 0 ? NAN : static_cast<float>(acc / static_cast<double>(n_in));
  return static_cast<float>(acc);
}

// One warp per output. `outer` maps an output index to the offset of its first
// input element (kept axes), `inner` maps a reduced-entry index to the offset
// from there.
__global__ void reduce_warp_kernel(ReduceOp op, const float* x, Indexer outer, Indexer inner, std::int64_t n_out,
                                   std::int64_t n_in, float* out) {
  const int lane = threadIdx.x % kWarp;
  const std::int64_t warps_per_grid = static_cast<std::int64_t>(gridDim.x) * (blockDim.x / kWarp);
  for (std::int64_t o = static_cast<std::int64_t>(blockIdx.x) * (blockDim.x / kWarp) + threadIdx.x / kWarp;
       o < n_out; o += warps_per_grid) {
    const float* base = x + outer(o);
    double acc = identity(op);
    for (std::int64_t j = lane; j < n_in; j += kWarp) acc = combine(op, acc, base[inner(j)]);
    acc = warp_combine(op, acc);
    if (lane == 0) out[o] = finish(op, acc, n_in);
  }
}

// Block b combines chunk b % P of output b / P into partial[b].
__global__ void reduce_partial_kernel(ReduceOp op, const float* x, Indexer outer, Indexer inner, std::int64_t n_out,
                                      std::int64_t n_in, std::int64_t P, std::int64_t chunk, double* partial) {
  __shared__ double warp_acc[kThreads / kWarp];
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp, n_warps = blockDim.x / kWarp;
  for (std::int64_t b = blockIdx.x; b < n_out * P; b += gridDim.x) {  // uniform across the block
    const std::int64_t o = b / P, p = b - o * P;
    const float* base = x + outer(o);
    const std::int64_t lo = p * chunk, hi = lo + chunk < n_in ? lo + chunk : n_in;
    double acc = identity(op);
    for (std::int64_t j = lo + threadIdx.x; j < hi; j += blockDim.x) acc = combine(op, acc, base[inner(j)]);
    acc = warp_combine(op, acc);
    if (lane == 0) warp_acc[warp] = acc;
    __syncthreads();
    if (warp == 0) {
      double v = lane < n_warps ? warp_acc[lane] : identity(op);
      v = warp_combine(op, v);
      if (lane == 0) partial[b] = v;
    }
    __syncthreads();  // warp_acc is reused by the next iteration
  }
}

// One warp per output combines its P partials in order.
__global__ void reduce_finish_kernel(ReduceOp op, const double* partial, std::int64_t n_out, std::int64_t P,
                                     std::int64_t n_in, float* out) {
  const int lane = threadIdx.x % kWarp;
  const std::int64_t warps_per_grid = static_cast<std::int64_t>(gridDim.x) * (blockDim.x / kWarp);
  for (std::int64_t o = static_cast<std::int64_t>(blockIdx.x) * (blockDim.x / kWarp) + threadIdx.x / kWarp;
       o < n_out; o += warps_per_grid) {
    double acc = identity(op);
    for (std::int64_t p = lane; p < P; p += kWarp) acc = combine(op, acc, partial[o * P + p]);
    acc = warp_combine(op, acc);
    if (lane == 0) out[o] = finish(op, acc, n_in);
  }
}

unsigned warps_grid(std::int64_t n_warps) {
  const int per_block = kThreads / kWarp;
  long long blocks = (n_warps + per_block - 1) / per_block;
  if (blocks < 1) blocks = 1;
  if (blocks > 65535LL * 16) blocks = 65535LL * 16;
  return static_cast<unsigned>(blocks);
}

// One thread per output: a sequential scan keeps "first index on ties" and
// "first NaN" trivial (the CPU's rule, kernels/argmax_rule.h).
__global__ void argmax_kernel(const float* x, Indexer outer, std::int64_t n_out, std::int64_t len,
                              std::int64_t stride, std::int64_t* out) {
  BASIN_CUDA_KERNEL_LOOP(o, n_out) {
    const float* base = x + outer(o);
    float best = base[0];
    std::int64_t arg = 0;
    for (std::int64_t j = 1; j < len && best == best; ++j) {  // nothing replaces a NaN
      float v = base[j * stride];
      if (argmax_takes(v, best)) {
        best = v;
        arg = j;
      }
    }
    out[o] = arg;
  }
}

}  // namespace

void reduce(ReduceOp op, const Tensor& x, const std::vector<int>& axes, Tensor& out) {
  const char* name = "reduce";
  const int nd = x.dim();
  std::vector<bool> reduced(nd, false);
  for (int a : axes) reduced[normalize_axis(a, nd, name)] = true;  // the entry point passes them normalized
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
  DeviceGuard guard(out.device().index);
  const Indexer outer = make_indexer(outer_sizes, outer_strides, name);
  const Indexer inner = make_indexer(inner_sizes, inner_strides, name);
  const float* xp = x.data<float>();
  float* op_out = out.data<float>();
  constexpr std::int64_t kChunk = 8192;  // entries per block in the split strategy
  if (n_out >= 1024 || n_in <= 2 * kChunk) {
    reduce_warp_kernel<<<warps_grid(n_out), kThreads, 0, stream()>>>(op, xp, outer, inner, n_out, n_in, op_out);
    BASIN_CUDA_CHECK_LAUNCH();
    return;
  }
  // Few outputs, long reductions: about 2048 blocks in all, at least 2 per output.
  std::int64_t P = (n_in + kChunk - 1) / kChunk;
  if (P > 2048 / n_out) P = 2048 / n_out;
  const std::int64_t chunk = (n_in + P - 1) / P;
  const int device = out.device().index;
  double* partial = static_cast<double*>(
      basin::cuda::allocate(static_cast<std::size_t>(n_out * P) * sizeof(double), device));
  struct Release {  // back to the cache after the launches are queued (stream order keeps it safe)
    double* p;
    int d;
    ~Release() { basin::cuda::free(p, d); }
  } release{partial, device};
  long long blocks = n_out * P < 65535LL * 16 ? n_out * P : 65535LL * 16;
  reduce_partial_kernel<<<static_cast<unsigned>(blocks), kThreads, 0, stream()>>>(op, xp, outer, inner, n_out, n_in,
                                                                                  P, chunk, partial);
  BASIN_CUDA_CHECK_LAUNCH();
  reduce_finish_kernel<<<warps_grid(n_out), kThreads, 0, stream()>>>(op, partial, n_out, P, n_in, op_out);
  BASIN_CUDA_CHECK_LAUNCH();
}

void argmax(const Tensor& x, int axis, Tensor& out) {
  const char* name = "argmax";
  const int ax = axis;  // normalized by the entry point
  const std::int64_t n_out = out.numel();
  const std::int64_t len = x.shape()[ax];
  DeviceGuard guard(out.device().index);
  argmax_kernel<<<grid_for(n_out, kThreads), kThreads, 0, stream()>>>(
      x.data<float>(), make_indexer(out.shape(), x.strides(), name), n_out, len, x.strides()[ax],
      out.data<std::int64_t>());
  BASIN_CUDA_CHECK_LAUNCH();
}

}  // namespace basin::kernels::cuda
