// CUDA softmax, log-softmax and fused cross-entropy (kernels/softmax.h). One warp
// per row of the contiguous [N, C] input: lanes stride over the C columns and
// combine max and sum with shuffles. The formulas are the CPU reference's:
//   s = sum_j exp(x_j - max),  log_softmax(x)_c = (x_c - max) - log(s),  softmax(x)_c = exp(x_c - max) / s
// ((x - max) - log s rather than x - (max + log s): the latter loses a small
// log s against a large max in float.) Row sums accumulate in double, as on the CPU.
// Arguments were checked by the entry points (kernels/softmax.cpp); only the
// labels' values, which live on the device, are checked here.
//   loss_n = -((1 - eps) * logp[n, y_n] + eps / C * sum_c logp[n, c]),  loss = mean_n
//   dlogits = g * (exp(logp) - ((1 - eps) * onehot + eps / C)) / N
#include <cmath>
#include <cstdint>

#include "kernels/cuda/indexer.cuh"
#include "kernels/softmax.h"
#include "tensor/cuda/caching_allocator.h"

namespace basin::kernels::cuda {

namespace {

constexpr int kWarp = 32;
constexpr int kNoBadRow = 0x7F7F7F7F;  // "no bad label seen" (larger than any row we flag)

__device__ __forceinline__ float warp_max(float v) {
  for (int s = kWarp / 2; s > 0; s /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, s));
  return v;
}

__device__ __forceinline__ float warp_sum(float v) {
  for (int s = kWarp / 2; s > 0; s /= 2) v += __shfl_xor_sync(0xffffffffu, v, s);
  return v;
}

// Warp-per-row loop header: `row` runs over the rows this warp owns.
#define BASIN_WARP_ROWS(row, n_rows)                                                                      \
  for (std::int64_t row = static_cast<std::int64_t>(blockIdx.x) * (blockDim.x / kWarp) + threadIdx.x / kWarp; \
       row < (n_rows); row += static_cast<std::int64_t>(gridDim.x) * (blockDim.x / kWarp))

unsigned rows_grid(std::int64_t n_rows) {
  const int warps = kThreads / kWarp;
  long long blocks = (n_rows + warps - 1) / warps;
  if (blocks < 1) blocks = 1;
  if (blocks > 65535LL * 16) blocks = 65535LL * 16;
  return static_cast<unsigned>(blocks);
}

__device__ __forceinline__ double warp_sum_d(double v) {
  for (int s = kWarp / 2; s > 0; s /= 2) v += __shfl_xor_sync(0xffffffffu, v, s);
  return v;
}

// What softmax and log-softmax need of one row, identical in every lane.
struct RowStats {
  float max;      // m
  double sum;     // s = sum exp(x - m)
  float log_sum;  // log s
};

__device__ __forceinline__ RowStats row_stats(const float* x, std::int64_t C, int lane) {
  float m = -INFINITY;
  for (std::int64_t c = lane; c < C; c += kWarp) m = fmaxf(m, x[c]);
  m = warp_max(m);
  double s = 0.0;
  for (std::int64_t c = lane; c < C; c += kWarp) s += expf(x[c] - m);
  s = warp_sum_d(s);
  return {m, s, static_cast<float>(::log(s))};
}

__global__ void softmax_kernel(const float* x, float* out, std::int64_t N, std::int64_t C, bool log) {
  const int lane = threadIdx.x % kWarp;
  BASIN_WARP_ROWS(row, N) {
    const float* xr = x + row * C;
    float* yr = out + row * C;
    const RowStats st = row_stats(xr, C, lane);
    for (std::int64_t c = lane; c < C; c += kWarp) {
      const float z = xr[c] - st.max;
      yr[c] = log ? z - st.log_sum : static_cast<float>(expf(z) / st.sum);
    }
  }
}

__global__ void softmax_backward_kernel(const float* y, const float* dy, float* dx, std::int64_t N, std::int64_t C,
                                        bool log) {
  const int lane = threadIdx.x % kWarp;
  BASIN_WARP_ROWS(row, N) {
    const float* yr = y + row * C;
    const float* gr = dy + row * C;
    float* dr = dx + row * C;
    float s = 0.0f;
    for (std::int64_t c = lane; c < C; c += kWarp) s += log ? gr[c] : gr[c] * yr[c];
    s = warp_sum(s);
    for (std::int64_t c = lane; c < C; c += kWarp) {
      // softmax: dx = y (dy - sum dy*y); log-softmax: dx = dy - exp(y) sum dy
      dr[c] = log ? gr[c] - expf(yr[c]) * s : yr[c] * (gr[c] - s);
    }
  }
}

// Writes logp and the per-row loss; records the first row with a bad label.
__global__ void cross_entropy_rows_kernel(const float* logits, const std::int64_t* labels, float* logp,
                                          double* row_loss, int* bad_row, std::int64_t N, std::int64_t C,
                                          float eps) {
  const int lane = threadIdx.x % kWarp;
  BASIN_WARP_ROWS(row, N) {
    const float* xr = logits + row * C;
    float* lr = logp + row * C;
    const RowStats st = row_stats(xr, C, lane);
    double sum_lp = 0.0;
    for (std::int64_t c = lane; c < C; c += kWarp) {
      const float v = (xr[c] - st.max) - st.log_sum;
      lr[c] = v;
      sum_lp += v;
    }
    sum_lp = warp_sum_d(sum_lp);
    if (lane == 0) {
      const std::int64_t y = labels[row];
      if (y < 0 || y >= C) {
        atomicMin(bad_row, static_cast<int>(row < kNoBadRow ? row : kNoBadRow - 1));
        row_loss[row] = NAN;
      } else {
        // logp[y] recomputed with the same expression as above rather than read
        // back from lr[y], which another lane wrote (no fence between them).
        const float lp_y = (xr[y] - st.max) - st.log_sum;
        row_loss[row] = -(1.0 - eps) * lp_y - (eps / static_cast<double>(C)) * sum_lp;
      }
    }
  }
}

// One block sums the per-row losses in a fixed order (deterministic) and divides by N.
__global__ void mean_kernel(const double* row_loss, std::int64_t N, float* loss) {
  __shared__ double partial[kThreads];
  double s = 0.0;
  for (std::int64_t i = threadIdx.x; i < N; i += blockDim.x) s += row_loss[i];
  partial[threadIdx.x] = s;
  __syncthreads();
  for (int w = blockDim.x / 2; w > 0; w /= 2) {
    if (threadIdx.x < w) partial[threadIdx.x] += partial[threadIdx.x + w];
    __syncthreads();
  }
  if (threadIdx.x == 0) loss[0] = N == 0 ? NAN : static_cast<float>(partial[0] / static_cast<double>(N));
}

__global__ void cross_entropy_backward_kernel(const float* logp, const std::int64_t* labels, const float* grad_loss,
                                              float* dlogits, int* bad_row, std::int64_t N, std::int64_t C,
                                              float eps) {
  const float scale = grad_loss[0] / static_cast<float>(N);
  const float off = eps / static_cast<float>(C);
  BASIN_CUDA_KERNEL_LOOP(i, N * C) {
    const std::int64_t row = i / C, c = i - row * C;
    const std::int64_t y = labels[row];
    if (y < 0 || y >= C) {
      if (c == 0) atomicMin(bad_row, static_cast<int>(row < kNoBadRow ? row : kNoBadRow - 1));
      dlogits[i] = NAN;
      continue;
    }
    const float target = (c == y ? 1.0f - eps : 0.0f) + off;
    dlogits[i] = scale * (expf(logp[i]) - target);
  }
}

// A device int, set to kNoBadRow, that kernels lower (atomicMin) to the first
// row with a bad label. Reading it back synchronizes the stream: the price of
// naming the bad label.
class BadRowFlag {
 public:
  explicit BadRowFlag(int device) : device_(device) {
    p_ = static_cast<int*>(basin::cuda::allocate(sizeof(int), device));
    BASIN_CUDA_CHECK(cudaMemsetAsync(p_, 0x7F, sizeof(int), stream()));  // every byte 0x7F == kNoBadRow
  }
  ~BadRowFlag() { basin::cuda::free(p_, device_); }
  BadRowFlag(const BadRowFlag&) = delete;
  BadRowFlag& operator=(const BadRowFlag&) = delete;
  int* get() const { return p_; }
  // Throws naming the first out-of-range label, if any.
  void check(const char* op, const Tensor& labels, std::int64_t C) const {
    int row = kNoBadRow;
    BASIN_CUDA_CHECK(cudaMemcpyAsync(&row, p_, sizeof(int), cudaMemcpyDeviceToHost, stream()));
    BASIN_CUDA_CHECK(cudaStreamSynchronize(stream()));
    if (row == kNoBadRow) return;
    std::int64_t label = 0;
    BASIN_CUDA_CHECK(cudaMemcpyAsync(&label, labels.data<std::int64_t>() + row, sizeof(label),
                                     cudaMemcpyDeviceToHost, stream()));
    BASIN_CUDA_CHECK(cudaStreamSynchronize(stream()));
    BASIN_FAIL(op << ": label " << label << " at index " << row << " is out of range for " << C << " classes");
  }

 private:
  int device_;
  int* p_ = nullptr;
};

}  // namespace

void softmax(const Tensor& x, Tensor& out, bool log) {
  const std::int64_t N = x.shape()[0], C = x.shape()[1];
  DeviceGuard guard(out.device().index);
  softmax_kernel<<<rows_grid(N), kThreads, 0, stream()>>>(x.data<float>(), out.data<float>(), N, C, log);
  BASIN_CUDA_CHECK_LAUNCH();
}

void softmax_backward(const Tensor& y, const Tensor& dy, Tensor& dx, bool log) {
  const std::int64_t N = y.shape()[0], C = y.shape()[1];
  DeviceGuard guard(dx.device().index);
  softmax_backward_kernel<<<rows_grid(N), kThreads, 0, stream()>>>(y.data<float>(), dy.data<float>(),
                                                                    dx.data<float>(), N, C, log);
  BASIN_CUDA_CHECK_LAUNCH();
}

void cross_entropy(const Tensor& logits, const Tensor& labels, float label_smoothing, Tensor& loss, Tensor& logp) {
  const char* name = "cross_entropy";
  const std::int64_t N = logits.shape()[0], C = logits.shape()[1];
  const int device = loss.device().index;
  DeviceGuard guard(device);
  // Per-row losses: a temporary block from the cache (stream order makes the
  // immediate free safe).
  double* rows = nullptr;
  struct Release {
    double* p;
    int d;
    ~Release() {
      if (p) basin::cuda::free(p, d);
    }
  } release{nullptr, device};
  if (N > 0) {
    rows = static_cast<double*>(basin::cuda::allocate(static_cast<std::size_t>(N) * sizeof(double), device));
    release.p = rows;
  }
  BadRowFlag bad(device);
  if (N > 0) {
    cross_entropy_rows_kernel<<<rows_grid(N), kThreads, 0, stream()>>>(
        logits.data<float>(), labels.data<std::int64_t>(), logp.data<float>(), rows, bad.get(), N, C,
        label_smoothing);
    BASIN_CUDA_CHECK_LAUNCH();
  }
  mean_kernel<<<1, kThreads, 0, stream()>>>(rows, N, loss.data<float>());
  BASIN_CUDA_CHECK_LAUNCH();
  bad.check(name, labels, C);
}

void cross_entropy_backward(const Tensor& logp, const Tensor& labels, float label_smoothing, const Tensor& grad_loss,
                            Tensor& dlogits) {
  const char* name = "cross_entropy_backward";
  const std::int64_t N = logp.shape()[0], C = logp.shape()[1];
  const int device = dlogits.device().index;
  DeviceGuard guard(device);
  BadRowFlag bad(device);
  cross_entropy_backward_kernel<<<grid_for(N * C, kThreads), kThreads, 0, stream()>>>(
      logp.data<float>(), labels.data<std::int64_t>(), grad_loss.data<float>(), dlogits.data<float>(), bad.get(), N,
      C, label_smoothing);
  BASIN_CUDA_CHECK_LAUNCH();
  bad.check(name, labels, C);
}

}  // namespace basin::kernels::cuda
