// CUDA pooling: plain kernels (one thread per output element) that follow the
// CPU reference's window, divisor and tie rules exactly, so the saved argmax
// indices and hence the max-pool gradients are the same on both backends.
// Max-pool backward gathers (one thread per input pixel, the CPU's addition
// order: kernels/pool_gather.h), so it is deterministic and bitwise the CPU's.
// The average-pool backward kernels still scatter with atomicAdd into a zeroed
// grad_x (windows may overlap when stride < kernel; ResNets' pools do not).
#include <cuda_runtime.h>

#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"
#include "kernels/pool.h"
#include "kernels/pool_gather.h"

namespace basin::kernels::cuda {

namespace {
using i64 = std::int64_t;

struct Dims {
  i64 planes, H, W, OH, OW;
};
Dims dims(const Shape& x, const Shape& y) { return {x[0] * x[1], x[2], x[3], y[2], y[3]}; }

constexpr int kThreads = 256;
int blocks_for(i64 n) { return static_cast<int>(std::min<i64>((n + kThreads - 1) / kThreads, 65535 * 8)); }

#define BASIN_GRID_STRIDE(i, n) \
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < (n); i += static_cast<i64>(gridDim.x) * blockDim.x)

__global__ void max_fwd(const float* x, float* y, i64* idx, Dims d, Pool2dParams p) {
  BASIN_GRID_STRIDE(o, d.planes * d.OH * d.OW) {
    i64 ow = o % d.OW, oh = (o / d.OW) % d.OH, pl = o / (d.OW * d.OH);
    const float* src = x + pl * d.H * d.W;
    i64 hs = oh * p.stride_h - p.pad_h, ws = ow * p.stride_w - p.pad_w;
    float best = -INFINITY;
    i64 best_i = -1;
    for (int kh = 0; kh < p.kernel_h; ++kh) {
      i64 ih = hs + static_cast<i64>(kh) * p.dilation_h;
      if (ih < 0 || ih >= d.H) continue;
      for (int kw = 0; kw < p.kernel_w; ++kw) {
        i64 iw = ws + static_cast<i64>(kw) * p.dilation_w;
        if (iw < 0 || iw >= d.W) continue;
        float v = src[ih * d.W + iw];
        if (best_i < 0 || v > best || isnan(v)) {
          best = v;
          best_i = ih * d.W + iw;
        }
      }
    }
    y[o] = best;
    idx[o] = best_i;
  }
}

__global__ void max_bwd(const float* gy, const i64* idx, float* gx, Dims d, Pool2dParams p) {
  BASIN_GRID_STRIDE(i, d.planes * d.H * d.W) {
    i64 iw = i % d.W, ih = (i / d.W) % d.H, pl = i / (d.W * d.H);
    i64 ohw = d.OH * d.OW;
    gx[i] = max_pool_gather(gy + pl * ohw, idx + pl * ohw, ih, iw, d.W, d.OH, d.OW, p);
  }
}

// Same window and divisor rule as the CPU's avg_window().
__device__ void avg_window(i64 oh, i64 ow, const Dims& d, const Pool2dParams& p, i64& h0, i64& h1, i64& w0,
                           i64& w1, float& divisor) {
  h0 = oh * p.stride_h - p.pad_h;
  w0 = ow * p.stride_w - p.pad_w;
  h1 = min(h0 + p.kernel_h, d.H + p.pad_h);
  w1 = min(w0 + p.kernel_w, d.W + p.pad_w);
  i64 padded = (h1 - h0) * (w1 - w0);
  h0 = max(h0, i64{0});
  w0 = max(w0, i64{0});
  h1 = min(h1, d.H);
  w1 = min(w1, d.W);
  divisor = static_cast<float>(p.count_include_pad ? padded : (h1 - h0) * (w1 - w0));
}

__global__ void avg_fwd(const float* x, float* y, Dims d, Pool2dParams p) {
  BASIN_GRID_STRIDE(o, d.planes * d.OH * d.OW) {
    i64 ow = o % d.OW, oh = (o / d.OW) % d.OH, pl = o / (d.OW * d.OH);
    i64 h0, h1, w0, w1;
    float div;
    avg_window(oh, ow, d, p, h0, h1, w0, w1, div);
    const float* src = x + pl * d.H * d.W;
    float acc = 0.0f;
    for (i64 ih = h0; ih < h1; ++ih)
      for (i64 iw = w0; iw < w1; ++iw) acc += src[ih * d.W + iw];
    y[o] = (h0 < h1 && w0 < w1) ? acc / div : 0.0f;
  }
}

__global__ void avg_bwd(const float* gy, float* gx, Dims d, Pool2dParams p) {
  BASIN_GRID_STRIDE(o, d.planes * d.OH * d.OW) {
    i64 ow = o % d.OW, oh = (o / d.OW) % d.OH, pl = o / (d.OW * d.OH);
    i64 h0, h1, w0, w1;
    float div;
    avg_window(oh, ow, d, p, h0, h1, w0, w1, div);
    float g = gy[o] / div;
    float* dst = gx + pl * d.H * d.W;
    for (i64 ih = h0; ih < h1; ++ih)
      for (i64 iw = w0; iw < w1; ++iw) atomicAdd(dst + ih * d.W + iw, g);
  }
}

__device__ i64 bin_start(i64 i, i64 out, i64 in) { return (i * in) / out; }
__device__ i64 bin_end(i64 i, i64 out, i64 in) { return ((i + 1) * in + out - 1) / out; }

__global__ void adaptive_fwd(const float* x, float* y, Dims d) {
  BASIN_GRID_STRIDE(o, d.planes * d.OH * d.OW) {
    i64 ow = o % d.OW, oh = (o / d.OW) % d.OH, pl = o / (d.OW * d.OH);
    i64 h0 = bin_start(oh, d.OH, d.H), h1 = bin_end(oh, d.OH, d.H);
    i64 w0 = bin_start(ow, d.OW, d.W), w1 = bin_end(ow, d.OW, d.W);
    const float* src = x + pl * d.H * d.W;
    float acc = 0.0f;
    for (i64 ih = h0; ih < h1; ++ih)
      for (i64 iw = w0; iw < w1; ++iw) acc += src[ih * d.W + iw];
    y[o] = acc / static_cast<float>((h1 - h0) * (w1 - w0));
  }
}

__global__ void adaptive_bwd(const float* gy, float* gx, Dims d) {
  BASIN_GRID_STRIDE(o, d.planes * d.OH * d.OW) {
    i64 ow = o % d.OW, oh = (o / d.OW) % d.OH, pl = o / (d.OW * d.OH);
    i64 h0 = bin_start(oh, d.OH, d.H), h1 = bin_end(oh, d.OH, d.H);
    i64 w0 = bin_start(ow, d.OW, d.W), w1 = bin_end(ow, d.OW, d.W);
    float g = gy[o] / static_cast<float>((h1 - h0) * (w1 - w0));
    float* dst = gx + pl * d.H * d.W;
    for (i64 ih = h0; ih < h1; ++ih)
      for (i64 iw = w0; iw < w1; ++iw) atomicAdd(dst + ih * d.W + iw, g);
  }
}

void zero(Tensor& t) { BASIN_CUDA_CHECK(cudaMemsetAsync(t.data<float>(), 0, t.nbytes(), stream())); }

}  // namespace

void max_pool2d_forward(const Tensor& x, Tensor& out, Tensor& indices, const Pool2dParams& p) {
  Dims d = dims(x.shape(), out.shape());
  max_fwd<<<blocks_for(out.numel()), kThreads, 0, stream()>>>(x.data<float>(), out.data<float>(),
                                                              indices.data<i64>(), d, p);
  BASIN_CUDA_CHECK_LAUNCH();
}

void max_pool2d_backward(const Tensor& grad_out, const Tensor& indices, Tensor& grad_x, const Pool2dParams& p) {
  max_bwd<<<blocks_for(grad_x.numel()), kThreads, 0, stream()>>>(
      grad_out.data<float>(), indices.data<i64>(), grad_x.data<float>(), dims(grad_x.shape(), grad_out.shape()), p);
  BASIN_CUDA_CHECK_LAUNCH();
}

void avg_pool2d_forward(const Tensor& x, Tensor& out, const Pool2dParams& p) {
  avg_fwd<<<blocks_for(out.numel()), kThreads, 0, stream()>>>(x.data<float>(), out.data<float>(),
                                                              dims(x.shape(), out.shape()), p);
  BASIN_CUDA_CHECK_LAUNCH();
}

void avg_pool2d_backward(const Tensor& grad_out, Tensor& grad_x, const Pool2dParams& p) {
  zero(grad_x);
  avg_bwd<<<blocks_for(grad_out.numel()), kThreads, 0, stream()>>>(
      grad_out.data<float>(), grad_x.data<float>(), dims(grad_x.shape(), grad_out.shape()), p);
  BASIN_CUDA_CHECK_LAUNCH();
}

void adaptive_avg_pool2d_forward(const Tensor& x, Tensor& out) {
  adaptive_fwd<<<blocks_for(out.numel()), kThreads, 0, stream()>>>(x.data<float>(), out.data<float>(),
                                                                   dims(x.shape(), out.shape()));
  BASIN_CUDA_CHECK_LAUNCH();
}

void adaptive_avg_pool2d_backward(const Tensor& grad_out, Tensor& grad_x) {
  zero(grad_x);
  adaptive_bwd<<<blocks_for(grad_out.numel()), kThreads, 0, stream()>>>(
      grad_out.data<float>(), grad_x.data<float>(), dims(grad_x.shape(), grad_out.shape()));
  BASIN_CUDA_CHECK_LAUNCH();
}

}  // namespace basin::kernels::cuda
