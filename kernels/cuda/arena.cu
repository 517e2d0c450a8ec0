// CUDA backend of the arena kernels (kernels/arena.h). Arguments were checked
// by the entry points in kernels/arena.cpp. Grid-stride loops over the flat
// arena, one launch per kernel. The raw noise words come from cuRAND's device
// generator (noise_words below), their transform from kernels/noise.h, the update
// formulas from kernels/arena_math.h: the same code the CPU backend runs, so
// perturbations agree bit for bit with the CPU and the SGD/Adam updates to float
// rounding (nvcc may fuse a*b+c there).
//
// No-decay ranges travel inside the kernel's parameter block (no device
// allocation, no copy): up to kMaxRanges per launch; an arena with more ranges
// is covered by several launches over consecutive windows.
#include <cuda_runtime.h>

#include <algorithm>

#include "kernels/cuda/context.h"
#include "kernels/cuda/curand_words.cuh"
#include "kernels/arena.h"
#include "kernels/arena_math.h"

namespace basin::kernels::cuda {

namespace {

constexpr int kThreads = 256;
constexpr int kMaxRanges = 160;

struct RangeBlock {
  long long lo, hi;  // window of the arena this launch covers
  int n;
  long long b[kMaxRanges], e[kMaxRanges];
};

__device__ __forceinline__ bool decays(const RangeBlock& r, long long i) {
  // last range with begin <= i
  int lo = 0, hi = r.n;
  while (lo < hi) {
    int mid = (lo + hi) >> 1;
    if (r.b[mid] <= i) lo = mid + 1;
    else hi = mid;
  }
  return lo == 0 || i >= r.e[lo - 1];
}

// Calls launch(block) over windows holding at most kMaxRanges ranges each.
template <typename F>
void for_each_window(long long n, const ArenaRanges& nd, F&& launch) {
  size_t i = 0;
  long long lo = 0;
  do {
    RangeBlock rb;
    rb.lo = lo;
    rb.n = 0;
    while (i < nd.size() && rb.n < kMaxRanges) {
      rb.b[rb.n] = nd[i].first;
      rb.e[rb.n] = nd[i].second;
      ++rb.n;
      ++i;
    }
    rb.hi = i < nd.size() ? nd[i].first : n;
    if (rb.hi > rb.lo) launch(rb);
    lo = rb.hi;
  } while (i < nd.size());
}

// The raw words of noise block `blk` of stream `stream`: the one place the
// CUDA backend draws them, from cuRAND's device Philox4_32_10 generator
// (curand_init(seed, subsequence = stream, offset = 4 blk) then curand4), the
// words the CPU backend's philox_chunk computes.
__device__ __forceinline__ philox::U32x4 noise_words(std::uint64_t seed, std::uint64_t stream, std::uint64_t blk) {
  return curand_words(seed, stream, 4 * blk);
}

__global__ void perturb_kernel(float* __restrict__ w, const float* __restrict__ w0, long long n, noise::Dist dist,
                               unsigned long long seed, unsigned long long stream, float k) {
  long long nblk = (n + 3) / 4;
  for (long long b = blockIdx.x * (long long)blockDim.x + threadIdx.x; b < nblk; b += (long long)gridDim.x * blockDim.x) {
    float u[4];
    noise::units_from_words(dist, noise_words(seed, stream, static_cast<std::uint64_t>(b)), u);
    long long i0 = 4 * b;
#pragma unroll
    for (int j = 0; j < 4; ++j)
      if (i0 + j < n) w[i0 + j] = noise::fadd(w0[i0 + j], noise::fmul(k, u[j]));  // W0 + k u, as the CPU rounds it
  }
}

__global__ void copy_kernel(float* __restrict__ dst, const float* __restrict__ src, long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    dst[i] = src[i];
}

__global__ void fill_kernel(float* x, long long n, float v) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    x[i] = v;
}

__global__ void accumulate_kernel(float* acc, const float* g, long long n, float c, float beta) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    acc[i] = beta == 0.0f ? c * g[i] : beta * acc[i] + c * g[i];
}

__global__ void accumulate_final_kernel(const float* acc, float* g, long long n, float c) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    g[i] = c * (acc[i] + g[i]);
}

__global__ void perturb_along_kernel(float* w, const float* base, const float* g, long long n, float alpha,
                                     bool adaptive, float eta) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    float b = base[i];
    float t = adaptive ? fabsf(b) + eta : 1.0f;
    w[i] = b + alpha * (t * t * g[i]);
  }
}

__global__ void sumsq_kernel(const float* g, const float* w, long long n, bool adaptive, float eta, double* out) {
  __shared__ double part[kThreads];
  double s = 0.0;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    double t = adaptive ? (fabs(static_cast<double>(w[i])) + eta) * g[i] : static_cast<double>(g[i]);
    s += t * t;
  }
  part[threadIdx.x] = s;
  __syncthreads();
  for (int h = blockDim.x / 2; h > 0; h >>= 1) {
    if (threadIdx.x < h) part[threadIdx.x] += part[threadIdx.x + h];
    __syncthreads();
  }
  if (threadIdx.x == 0) atomicAdd(out, part[0]);
}

__global__ void sgd_kernel(float* w, const float* g, float* buf, SgdArgs a, RangeBlock rb) {
  for (long long i = rb.lo + blockIdx.x * (long long)blockDim.x + threadIdx.x; i < rb.hi;
       i += (long long)gridDim.x * blockDim.x) {
    float dummy = 0.0f;
    float wi = w[i];
    arena_math::sgd(wi, g[i], buf ? buf[i] : dummy, a, decays(rb, i));
    w[i] = wi;
  }
}

__global__ void adam_kernel(float* w, const float* g, float* m, float* v, float* vmax, AdamArgs a,
                            arena_math::AdamScalars s, RangeBlock rb) {
  for (long long i = rb.lo + blockIdx.x * (long long)blockDim.x + threadIdx.x; i < rb.hi;
       i += (long long)gridDim.x * blockDim.x) {
    float wi = w[i], mi = m[i], vi = v[i];
    arena_math::adam(wi, g[i], mi, vi, vmax ? vmax + i : nullptr, a, s, decays(rb, i));
    w[i] = wi;
    m[i] = mi;
    v[i] = vi;
  }
}

}  // namespace

void arena_perturb(Tensor& w, const Tensor& w0, const NoiseSpec& ns, float scale) {
  DeviceGuard guard(w.device().index);
  long long n = w.numel();
  if (n == 0) return;
  perturb_kernel<<<grid_for((n + 3) / 4, kThreads), kThreads, 0, stream()>>>(
      w.data<float>(), w0.data<float>(), n, ns.dist, ns.seed, ns.stream, scale * ns.sigma);
  BASIN_CUDA_CHECK_LAUNCH();
}

void arena_copy(Tensor& dst, const Tensor& src) {
  DeviceGuard guard(dst.device().index);
  long long n = dst.numel();
  if (n == 0 || dst.data<float>() == src.data<float>()) return;
  copy_kernel<<<grid_for(n, kThreads), kThreads, 0, stream()>>>(dst.data<float>(), src.data<float>(), n);
  BASIN_CUDA_CHECK_LAUNCH();
}

void arena_fill(Tensor& x, float value) {
  DeviceGuard guard(x.device().index);
  long long n = x.numel();
  if (n == 0) return;
  fill_kernel<<<grid_for(n, kThreads), kThreads, 0, stream()>>>(x.data<float>(), n, value);
  BASIN_CUDA_CHECK_LAUNCH();
}

void arena_accumulate(Tensor& acc, const Tensor& g, float c, float beta) {
  DeviceGuard guard(acc.device().index);
  long long n = acc.numel();
  if (n == 0) return;
  accumulate_kernel<<<grid_for(n, kThreads), kThreads, 0, stream()>>>(acc.data<float>(), g.data<float>(), n, c, beta);
  BASIN_CUDA_CHECK_LAUNCH();
}

void arena_accumulate_final(const Tensor& acc, Tensor& g, float c) {
  DeviceGuard guard(g.device().index);
  long long n = g.numel();
  if (n == 0) return;
  accumulate_final_kernel<<<grid_for(n, kThreads), kThreads, 0, stream()>>>(acc.data<float>(), g.data<float>(), n, c);
  BASIN_CUDA_CHECK_LAUNCH();
}

void arena_perturb_along(Tensor& w, const Tensor& base, const Tensor& g, float alpha, bool adaptive, float eta) {
  DeviceGuard guard(w.device().index);
  long long n = w.numel();
  if (n == 0) return;
  perturb_along_kernel<<<grid_for(n, kThreads), kThreads, 0, stream()>>>(w.data<float>(), base.data<float>(),
                                                                        g.data<float>(), n, alpha, adaptive, eta);
  BASIN_CUDA_CHECK_LAUNCH();
}

double arena_sumsq(const Tensor& g, const Tensor& w, bool adaptive, float eta) {
  DeviceGuard guard(g.device().index);
  long long n = g.numel();
  if (n == 0) return 0.0;
  double* dev = static_cast<double*>(workspace(sizeof(double)));
  BASIN_CUDA_CHECK(cudaMemsetAsync(dev, 0, sizeof(double), stream()));
  unsigned grid = std::min(grid_for(n, kThreads), 4096u);
  sumsq_kernel<<<grid, kThreads, 0, stream()>>>(g.data<float>(), adaptive ? w.data<float>() : nullptr, n, adaptive,
                                                eta, dev);
  BASIN_CUDA_CHECK_LAUNCH();
  double host = 0.0;
  BASIN_CUDA_CHECK(cudaMemcpyAsync(&host, dev, sizeof(double), cudaMemcpyDeviceToHost, stream()));
  BASIN_CUDA_CHECK(cudaStreamSynchronize(stream()));
  return host;
}

void arena_sgd(Tensor& w, const Tensor& g, Tensor& buf, const SgdArgs& a, const ArenaRanges& no_decay) {
  DeviceGuard guard(w.device().index);
  float* B = a.momentum != 0.0f ? buf.data<float>() : nullptr;
  for_each_window(w.numel(), no_decay, [&](const RangeBlock& rb) {
    sgd_kernel<<<grid_for(rb.hi - rb.lo, kThreads), kThreads, 0, stream()>>>(w.data<float>(), g.data<float>(), B, a, rb);
    BASIN_CUDA_CHECK_LAUNCH();
  });
}

void arena_adamw(Tensor& w, const Tensor& g, Tensor& m, Tensor& v, Tensor& vmax, const AdamArgs& a,
                 const ArenaRanges& no_decay) {
  DeviceGuard guard(w.device().index);
  float* VM = a.amsgrad ? vmax.data<float>() : nullptr;
  const arena_math::AdamScalars s = arena_math::adam_scalars(a);
  for_each_window(w.numel(), no_decay, [&](const RangeBlock& rb) {
    adam_kernel<<<grid_for(rb.hi - rb.lo, kThreads), kThreads, 0, stream()>>>(
        w.data<float>(), g.data<float>(), m.data<float>(), v.data<float>(), VM, a, s, rb);
    BASIN_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace basin::kernels::cuda
