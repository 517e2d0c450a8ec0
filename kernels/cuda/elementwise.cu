// CUDA elementwise ops (kernels/elementwise.h). The formulas are
// kernels/elementwise_math.h's, the same functions the CPU loops call. The op is
// a run-time switch inside one kernel per arity: a well-predicted branch costs
// far less than the memory traffic, and it keeps this file quick to compile.
// Arguments were checked by the entry points (kernels/elementwise.cpp).
#include <cstdint>

#include "kernels/cuda/indexer.cuh"
#include "kernels/elementwise.h"
#include "kernels/elementwise_math.h"

namespace basin::kernels::cuda {

namespace {

// out[i] = f(x[ix(i)]) over the n elements of the contiguous out.
template <typename F>
__global__ void map1_kernel(F f, const float* x, Indexer ix, float* out, std::int64_t n) {
  BASIN_CUDA_KERNEL_LOOP(i, n) { out[i] = f(x[ix(i)]); }
}

// out[i] = f(a[ia(i)], b[ib(i)]). out may alias a: element i reads a[ia(i)] == a[i]
// before writing out[i].
template <typename F>
__global__ void map2_kernel(F f, const float* a, Indexer ia, const float* b, Indexer ib, float* out,
                            std::int64_t n) {
  BASIN_CUDA_KERNEL_LOOP(i, n) { out[i] = f(a[ia(i)], b[ib(i)]); }
}

struct UnaryFn {
  UnaryOp op;
  __device__ float operator()(float v) const { return math::unary(op, v); }
};
struct BinaryFn {
  BinaryOp op;
  __device__ float operator()(float a, float b) const { return math::binary(op, a, b); }
};
struct ScalarFn {  // op(v, s), or op(s, v) with scalar_first
  BinaryOp op;
  float s;
  bool scalar_first;
  __device__ float operator()(float v) const { return scalar_first ? math::binary(op, s, v) : math::binary(op, v, s); }
};
struct ReluBackwardFn {
  __device__ float operator()(float g, float x) const { return math::relu_backward(g, x); }
};
struct AxpyFn {  // dst + alpha * src (dst is read through the second operand)
  float alpha;
  __device__ float operator()(float src, float dst) const { return dst + alpha * src; }
};

template <typename F>
void launch_map1(F f, const Tensor& x, Tensor& out, const char* name) {
  const std::int64_t n = out.numel();
  DeviceGuard guard(out.device().index);
  map1_kernel<<<grid_for(n, kThreads), kThreads, 0, stream()>>>(f, x.data<float>(), make_indexer(x, name),
                                                                 out.data<float>(), n);
  BASIN_CUDA_CHECK_LAUNCH();
}

template <typename F>
void launch_map2(F f, const Tensor& a, const Tensor& b, Tensor& out, const char* name) {
  const std::int64_t n = out.numel();
  DeviceGuard guard(out.device().index);
  map2_kernel<<<grid_for(n, kThreads), kThreads, 0, stream()>>>(f, a.data<float>(), make_indexer(a, name),
                                                                 b.data<float>(), make_indexer(b, name),
                                                                 out.data<float>(), n);
  BASIN_CUDA_CHECK_LAUNCH();
}

}  // namespace

void unary(UnaryOp op, const Tensor& x, Tensor& out) { launch_map1(UnaryFn{op}, x, out, op_name(op)); }

void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  launch_map2(BinaryFn{op}, a, b, out, op_name(op));
}

void scalar(BinaryOp op, const Tensor& x, float s, Tensor& out, bool scalar_first) {
  launch_map1(ScalarFn{op, s, scalar_first}, x, out, op_name(op));
}

void relu_backward(const Tensor& grad, const Tensor& x, Tensor& out) {
  launch_map2(ReluBackwardFn{}, grad, x, out, "relu_backward");
}

void axpy(float alpha, const Tensor& src, Tensor& dst) { launch_map2(AxpyFn{alpha}, src, dst, dst, "axpy"); }

}  // namespace basin::kernels::cuda
