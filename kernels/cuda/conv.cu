// CUDA conv2d through cuDNN. For each distinct (shapes, parameters, device,
// TF32 setting) the descriptors and the three algorithms (picked by cuDNN's
// heuristics, cudnnGet*Algorithm_v7) are made once and cached for the life of
// the process; a training loop sees only a handful of distinct shapes.
// Workspace comes from the shared growable buffer of kernels/cuda/context.h;
// when it cannot be had, the direction falls back to the next algorithm down.
// Arguments were checked by the entry points (kernels/conv.cpp), which also
// handle empty tensors: cuDNN never sees a zero-sized dimension.
#include <array>
#include <map>
#include <mutex>
#include <vector>

#include "kernels/conv.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"

namespace basin::kernels::cuda {

namespace {

// One algorithm of one direction (forward, backward-data, backward-filter), the
// math type its descriptor is set to, and its exact workspace size.
template <typename Algo>
struct Choice {
  Algo algo{};
  cudnnMathType_t math{};
  size_t ws = 0;
};

// A direction's usable algorithms in cuDNN's heuristic order, and the one in use.
// When its workspace cannot be allocated (out of memory even after the
// allocator's retry, which also releases the shared workspace), the next one
// down is taken for good (PyTorch does the same), ending with one that needs no
// workspace when cuDNN offers one.
template <typename Algo>
struct Direction {
  std::vector<Choice<Algo>> options;
  size_t at = 0;
  const Choice<Algo>& current() const { return options[at]; }
};

struct ConvPlan {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr, bias = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  // One convolution descriptor per direction, each with its algorithm's math
  // type (changed only when the direction falls back to another algorithm).
  cudnnConvolutionDescriptor_t conv = nullptr, conv_bd = nullptr, conv_bf = nullptr;
  Direction<cudnnConvolutionFwdAlgo_t> fwd;
  Direction<cudnnConvolutionBwdDataAlgo_t> bwd_data;
  Direction<cudnnConvolutionBwdFilterAlgo_t> bwd_filter;
};

using PlanKey = std::array<std::int64_t, 17>;

int as_int(std::int64_t v) { return static_cast<int>(v); }

// Whether an algorithm cuDNN's heuristics returned may be used: with TF32 off
// only FMA (true float32) kernels qualify (CUDNN_DEFAULT_MATH permits TF32 on
// Ampere and later, so it does not). Some cuDNN versions label math-agnostic
// algorithms DEFAULT; the descriptor is forced to FMA anyway, so those pass as
// long as they are not tensor-op kernels.
template <typename Perf>
bool usable(const Perf& perf, bool tf32) {
  if (perf.status != CUDNN_STATUS_SUCCESS) return false;
  if (tf32) return true;
  return perf.mathType != CUDNN_TENSOR_OP_MATH && perf.mathType != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
}

// One direction's options: rank the algorithms with cuDNN's heuristics (`rank`,
// a cudnnGet*Algorithm_v7), keep the usable ones in order (with TF32 off, those
// cuDNN labels FMA first), and ask for each one's exact workspace (`workspace`,
// a cudnnGet*WorkspaceSize; the heuristic's size can be an estimate) with the
// direction's descriptor `conv` set to its math type. Leaves `conv` set for the
// first. Both cuDNN calls take the same descriptors `d`, in the same order.
template <typename Perf, typename Rank, typename Workspace, typename... Desc>
auto choose(Rank rank, Workspace workspace, int count, cudnnHandle_t h, cudnnConvolutionDescriptor_t conv,
            bool tf32, const char* what, Desc... d) {
  std::vector<Perf> perf(static_cast<size_t>(count));
  int n = 0;
  BASIN_CUDNN_CHECK(rank(h, d..., count, &n, perf.data()));
  std::vector<const Perf*> order;
  for (int i = 0; i < n; ++i)
    if (usable(perf[i], tf32) && (tf32 || perf[i].mathType == CUDNN_FMA_MATH)) order.push_back(&perf[i]);
  for (int i = 0; i < n && !tf32; ++i)
    if (usable(perf[i], tf32) && perf[i].mathType != CUDNN_FMA_MATH) order.push_back(&perf[i]);
  BASIN_CHECK(!order.empty(), "conv2d (cuDNN): no usable " << what << " algorithm for this shape"
                                                           << (tf32 ? "" : " with TF32 disabled"));
  Direction<decltype(perf[0].algo)> dir;
  for (const Perf* p : order) {
    Choice<decltype(p->algo)> c{p->algo, tf32 ? p->mathType : CUDNN_FMA_MATH, 0};
    BASIN_CUDNN_CHECK(cudnnSetConvolutionMathType(conv, c.math));
    if (workspace(h, d..., c.algo, &c.ws) != CUDNN_STATUS_SUCCESS) continue;
    dir.options.push_back(c);
  }
  BASIN_CHECK(!dir.options.empty(), "conv2d (cuDNN): no " << what << " algorithm reports a workspace size");
  BASIN_CUDNN_CHECK(cudnnSetConvolutionMathType(conv, dir.current().math));
  return dir;
}

// The workspace for the direction's algorithm, falling back to the next
// algorithm down while the allocation fails. nullptr when none is needed.
template <typename Algo>
void* workspace_for(Direction<Algo>& dir, cudnnConvolutionDescriptor_t conv) {
  for (;;) {
    const Choice<Algo>& c = dir.current();
    if (c.ws == 0) return nullptr;
    try {
      return workspace(c.ws);
    } catch (const OutOfMemoryError&) {
      if (dir.at + 1 >= dir.options.size()) throw;
      ++dir.at;
      BASIN_CUDNN_CHECK(cudnnSetConvolutionMathType(conv, dir.current().math));
    }
  }
}

ConvPlan make_plan(const Shape& xs, const Shape& ws, const Shape& ys, const Conv2dParams& p, bool tf32) {
  ConvPlan pl;
  BASIN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&pl.x));
  BASIN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&pl.y));
  BASIN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&pl.bias));
  BASIN_CUDNN_CHECK(cudnnCreateFilterDescriptor(&pl.w));
  BASIN_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&pl.conv));
  BASIN_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&pl.conv_bd));
  BASIN_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&pl.conv_bf));
  BASIN_CUDNN_CHECK(cudnnSetTensor4dDescriptor(pl.x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, as_int(xs[0]),
                                               as_int(xs[1]), as_int(xs[2]), as_int(xs[3])));
  BASIN_CUDNN_CHECK(cudnnSetTensor4dDescriptor(pl.y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, as_int(ys[0]),
                                               as_int(ys[1]), as_int(ys[2]), as_int(ys[3])));
  BASIN_CUDNN_CHECK(
      cudnnSetTensor4dDescriptor(pl.bias, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, as_int(ys[1]), 1, 1));
  BASIN_CUDNN_CHECK(cudnnSetFilter4dDescriptor(pl.w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, as_int(ws[0]),
                                               as_int(ws[1]), as_int(ws[2]), as_int(ws[3])));
  for (cudnnConvolutionDescriptor_t c : {pl.conv, pl.conv_bd, pl.conv_bf}) {
    BASIN_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(c, p.pad_h, p.pad_w, p.stride_h, p.stride_w, p.dilation_h,
                                                      p.dilation_w, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    BASIN_CUDNN_CHECK(cudnnSetConvolutionGroupCount(c, p.groups));
    BASIN_CUDNN_CHECK(cudnnSetConvolutionMathType(c, tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH));
  }

  cudnnHandle_t h = cudnn_handle();
  pl.fwd = choose<cudnnConvolutionFwdAlgoPerf_t>(
      cudnnGetConvolutionForwardAlgorithm_v7, cudnnGetConvolutionForwardWorkspaceSize,
      CUDNN_CONVOLUTION_FWD_ALGO_COUNT, h, pl.conv, tf32, "forward", pl.x, pl.w, pl.conv, pl.y);
  pl.bwd_data = choose<cudnnConvolutionBwdDataAlgoPerf_t>(
      cudnnGetConvolutionBackwardDataAlgorithm_v7, cudnnGetConvolutionBackwardDataWorkspaceSize,
      CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, h, pl.conv_bd, tf32, "backward-data", pl.w, pl.y, pl.conv_bd, pl.x);
  pl.bwd_filter = choose<cudnnConvolutionBwdFilterAlgoPerf_t>(
      cudnnGetConvolutionBackwardFilterAlgorithm_v7, cudnnGetConvolutionBackwardFilterWorkspaceSize,
      CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, h, pl.conv_bf, tf32, "backward-filter", pl.x, pl.y, pl.conv_bf,
      pl.w);
  return pl;
}

// The returned plan lives until the process ends (the cache is never torn down:
// destroying descriptors after the CUDA context is gone at exit would fail).
ConvPlan& plan_for(const Shape& xs, const Shape& ws, const Shape& ys, const Conv2dParams& p, int device) {
  static std::mutex mu;
  static auto* cache = new std::map<PlanKey, ConvPlan>();
  // The plan is built with the current device's handle: BASIN_DISPATCH made the
  // tensor's device current (kernels/dispatch.h); a plan of another device's
  // handle would run cuDNN on the wrong device.
  BASIN_CHECK(current_device() == device, "conv2d (cuDNN): tensor on cuda:" << device << " but cuda:"
                                                                              << current_device() << " is current");
  bool tf32 = conv_allow_tf32();
  PlanKey key{xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3], p.stride_h, p.stride_w, p.pad_h, p.pad_w,
              p.dilation_h, p.dilation_w, p.groups, device, tf32 ? 1 : 0, 0};
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache->find(key);
  if (it == cache->end()) it = cache->emplace(key, make_plan(xs, ws, ys, p, tf32)).first;
  return it->second;
}

const float kOne = 1.0f, kZero = 0.0f;

cudnnHandle_t handle_on_stream() {
  cudnnHandle_t h = cudnn_handle();
  BASIN_CUDNN_CHECK(cudnnSetStream(h, stream()));
  return h;
}

}  // namespace

void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& out, const Conv2dParams& p) {
  ConvPlan& pl = plan_for(x.shape(), w.shape(), out.shape(), p, out.device().index);
  cudnnHandle_t h = handle_on_stream();
  void* ws = workspace_for(pl.fwd, pl.conv);
  const auto& c = pl.fwd.current();
  BASIN_CUDNN_CHECK(cudnnConvolutionForward(h, &kOne, pl.x, x.data<float>(), pl.w, w.data<float>(), pl.conv, c.algo,
                                            ws, c.ws, &kZero, pl.y, out.data<float>()));
  if (bias.defined())
    BASIN_CUDNN_CHECK(cudnnAddTensor(h, &kOne, pl.bias, bias.data<float>(), &kOne, pl.y, out.data<float>()));
}

void conv2d_backward_input(const Tensor& grad_out, const Tensor& w, Tensor& grad_x, const Conv2dParams& p) {
  ConvPlan& pl = plan_for(grad_x.shape(), w.shape(), grad_out.shape(), p, grad_x.device().index);
  cudnnHandle_t h = handle_on_stream();
  void* ws = workspace_for(pl.bwd_data, pl.conv_bd);
  const auto& c = pl.bwd_data.current();
  BASIN_CUDNN_CHECK(cudnnConvolutionBackwardData(h, &kOne, pl.w, w.data<float>(), pl.y, grad_out.data<float>(),
                                                 pl.conv_bd, c.algo, ws, c.ws, &kZero, pl.x, grad_x.data<float>()));
}

void conv2d_backward_weight(const Tensor& x, const Tensor& grad_out, Tensor& grad_w, const Conv2dParams& p) {
  ConvPlan& pl = plan_for(x.shape(), grad_w.shape(), grad_out.shape(), p, grad_w.device().index);
  cudnnHandle_t h = handle_on_stream();
  void* ws = workspace_for(pl.bwd_filter, pl.conv_bf);
  const auto& c = pl.bwd_filter.current();
  BASIN_CUDNN_CHECK(cudnnConvolutionBackwardFilter(h, &kOne, pl.x, x.data<float>(), pl.y, grad_out.data<float>(),
                                                   pl.conv_bf, c.algo, ws, c.ws, &kZero, pl.w, grad_w.data<float>()));
}

void conv2d_backward_bias(const Tensor& grad_out, Tensor& grad_b) {
  const Shape& s = grad_out.shape();
  cudnnTensorDescriptor_t dy = nullptr, db = nullptr;
  BASIN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&dy));
  BASIN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&db));
  cudnnStatus_t st = cudnnSetTensor4dDescriptor(dy, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, as_int(s[0]),
                                                as_int(s[1]), as_int(s[2]), as_int(s[3]));
  if (st == CUDNN_STATUS_SUCCESS)
    st = cudnnSetTensor4dDescriptor(db, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, as_int(s[1]), 1, 1);
  if (st == CUDNN_STATUS_SUCCESS)
    st = cudnnConvolutionBackwardBias(handle_on_stream(), &kOne, dy, grad_out.data<float>(), &kZero, db,
                                      grad_b.data<float>());
  cudnnDestroyTensorDescriptor(dy);
  cudnnDestroyTensorDescriptor(db);
  BASIN_CUDNN_CHECK(st);
}

}  // namespace basin::kernels::cuda
