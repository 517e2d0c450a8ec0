// CUDA batch norm. Training forward and backward go through cuDNN (SPATIAL mode:
// one statistic per channel over N and all trailing axes). cuDNN's
// exponentialAverageFactor is PyTorch's momentum, and cuDNN keeps the UNBIASED
// variance in resultRunningVariance, as PyTorch does. Eval forward uses
// cudnnBatchNormalizationForwardInference; the eval backward (statistics are
// constants) is not a cuDNN operation, so it is a small kernel here: one block
// per channel.
#include <cuda_runtime.h>

#include "kernels/batchnorm.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"

namespace basin::kernels::cuda {

namespace {
using i64 = std::int64_t;
const float kOne = 1.0f, kZero = 0.0f;

// x [N, C, S...] as the 4-D tensor [N, C, S, 1] and its per-channel [1, C, 1, 1].
struct BnDescs {
  cudnnTensorDescriptor_t x = nullptr, c = nullptr;
  i64 N, C, S;
  explicit BnDescs(const Tensor& t) {
    N = t.shape()[0];
    C = t.shape()[1];
    S = (N * C) > 0 ? t.numel() / (N * C) : 0;
    BASIN_CHECK(N * C * S < (i64{1} << 31), "batch_norm (cuDNN): tensor " << shape_str(t.shape())
                                                                          << " is too large for cuDNN");
    BASIN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    BASIN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&c));
    BASIN_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, static_cast<int>(N),
                                                 static_cast<int>(C), static_cast<int>(S), 1));
    BASIN_CUDNN_CHECK(cudnnDeriveBNTensorDescriptor(c, x, CUDNN_BATCHNORM_SPATIAL));
  }
  ~BnDescs() {
    if (x) cudnnDestroyTensorDescriptor(x);
    if (c) cudnnDestroyTensorDescriptor(c);
  }
  BnDescs(const BnDescs&) = delete;
  BnDescs& operator=(const BnDescs&) = delete;
};

cudnnHandle_t handle_on_stream() {
  cudnnHandle_t h = cudnn_handle();
  BASIN_CUDNN_CHECK(cudnnSetStream(h, stream()));
  return h;
}

__global__ void eval_stats(const float* rm, const float* rv, float eps, float* sm, float* si, i64 C) {
  i64 c = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x;
  if (c < C) {
    sm[c] = rm[c];
    si[c] = rsqrtf(rv[c] + eps);
  }
}

constexpr int kReduceThreads = 256;

// One block per channel: gx = gy * w * invstd (elementwise), and the block sums
// gb = sum(gy), gw = sum(gy * (x - mean) * invstd).
__global__ void eval_backward(const float* gy, const float* x, const float* w, const float* sm, const float* si,
                              float* gx, float* gw, float* gb, i64 N, i64 C, i64 S) {
  const i64 c = blockIdx.x;
  const float mean = sm[c], invstd = si[c], a = w[c] * invstd;
  float sum_g = 0.0f, sum_gx = 0.0f;
  for (i64 i = threadIdx.x; i < N * S; i += blockDim.x) {
    i64 off = ((i / S) * C + c) * S + (i % S);
    float g = gy[off];
    sum_g += g;
    sum_gx += g * (x[off] - mean) * invstd;
    gx[off] = g * a;
  }
  __shared__ float s_g[kReduceThreads], s_gx[kReduceThreads];
  s_g[threadIdx.x] = sum_g;
  s_gx[threadIdx.x] = sum_gx;
  __syncthreads();
  for (int half = blockDim.x / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) {
      s_g[threadIdx.x] += s_g[threadIdx.x + half];
      s_gx[threadIdx.x] += s_gx[threadIdx.x + half];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    gb[c] = s_g[0];
    gw[c] = s_gx[0];
  }
}
}  // namespace

void batch_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                        Tensor& running_var, bool training, float momentum, float eps, Tensor& out,
                        Tensor& save_mean, Tensor& save_invstd) {
  BASIN_CHECK(eps >= CUDNN_BN_MIN_EPSILON, "batch_norm (cuDNN): eps " << eps << " is below CUDNN_BN_MIN_EPSILON");
  BnDescs d(x);
  cudnnHandle_t h = handle_on_stream();
  if (training) {
    float* rm = running_mean.defined() ? running_mean.data<float>() : nullptr;
    float* rv = running_var.defined() ? running_var.data<float>() : nullptr;
    BASIN_CUDNN_CHECK(cudnnBatchNormalizationForwardTraining(
        h, CUDNN_BATCHNORM_SPATIAL, &kOne, &kZero, d.x, x.data<float>(), d.x, out.data<float>(), d.c,
        weight.data<float>(), bias.data<float>(), static_cast<double>(momentum), rm, rv, static_cast<double>(eps),
        save_mean.data<float>(), save_invstd.data<float>()));
  } else {
    BASIN_CUDNN_CHECK(cudnnBatchNormalizationForwardInference(
        h, CUDNN_BATCHNORM_SPATIAL, &kOne, &kZero, d.x, x.data<float>(), d.x, out.data<float>(), d.c,
        weight.data<float>(), bias.data<float>(), running_mean.data<float>(), running_var.data<float>(),
        static_cast<double>(eps)));
    eval_stats<<<static_cast<int>((d.C + 255) / 256), 256, 0, stream()>>>(
        running_mean.data<float>(), running_var.data<float>(), eps, save_mean.data<float>(),
        save_invstd.data<float>(), d.C);
    BASIN_CUDA_CHECK_LAUNCH();
  }
}

void batch_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight, const Tensor& save_mean,
                         const Tensor& save_invstd, bool training, float eps, Tensor& grad_x, Tensor& grad_weight,
                         Tensor& grad_bias) {
  BnDescs d(x);
  if (training) {
    BASIN_CUDNN_CHECK(cudnnBatchNormalizationBackward(
        handle_on_stream(), CUDNN_BATCHNORM_SPATIAL, &kOne, &kZero, &kOne, &kZero, d.x, x.data<float>(), d.x,
        grad_out.data<float>(), d.x, grad_x.data<float>(), d.c, weight.data<float>(), grad_weight.data<float>(),
        grad_bias.data<float>(), static_cast<double>(eps), save_mean.data<float>(), save_invstd.data<float>()));
  } else {
    eval_backward<<<static_cast<int>(d.C), kReduceThreads, 0, stream()>>>(
        grad_out.data<float>(), x.data<float>(), weight.data<float>(), save_mean.data<float>(),
        save_invstd.data<float>(), grad_x.data<float>(), grad_weight.data<float>(), grad_bias.data<float>(), d.N,
        d.C, d.S);
    BASIN_CUDA_CHECK_LAUNCH();
  }
}

}  // namespace basin::kernels::cuda
