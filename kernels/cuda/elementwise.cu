// CUDA elementwise ops (kernels/elementwise.h). The op is a runtime switch inside
// one kernel per arity: a well-predicted branch costs far less than the memory
// traffic, and it keeps this file quick to compile. Formulas match the CPU
// reference (kernels/cpu/elementwise.cpp) term for term.
#include <cstdint>

#include "kernels/cuda/indexer.cuh"
#include "kernels/elementwise.h"

namespace basin::kernels::cuda {

namespace {

__device__ __forceinline__ float apply_unary(UnaryOp op, float x) {
  switch (op) {
    case UnaryOp::Neg: return -x;
    case UnaryOp::Exp: return expf(x);
    case UnaryOp::Log: return logf(x);
    case UnaryOp::Sqrt: return sqrtf(x);
    case UnaryOp::Rsqrt: return 1.0f / sqrtf(x);
    case UnaryOp::Abs: return fabsf(x);
    case UnaryOp::Relu: return x > 0.0f ? x : 0.0f;
    case UnaryOp::Sigmoid: {  // split by sign so exp never overflows
      if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
      float e = expf(x);
      return e / (1.0f + e);
    }
    case UnaryOp::Tanh: return tanhf(x);
    case UnaryOp::Square: return x * x;
    case UnaryOp::Reciprocal: return 1.0f / x;
    case UnaryOp::Sign: return static_cast<float>((x > 0.0f) - (x < 0.0f));
    case UnaryOp::Cos: return cosf(x);
    case UnaryOp::Sin: return sinf(x);
  }
  return 0.0f;
}

__device__ __forceinline__ float apply_binary(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return a / b;
    case BinaryOp::Pow: return powf(a, b);
    // NaN propagates, as torch.maximum / torch.minimum.
    case BinaryOp::Maximum: return (a != a || a > b) ? a : b;
    case BinaryOp::Minimum: return (a != a || a < b) ? a : b;
    case BinaryOp::Eq: return a == b ? 1.0f : 0.0f;
    case BinaryOp::Ne: return a != b ? 1.0f : 0.0f;
    case BinaryOp::Lt: return a < b ? 1.0f : 0.0f;
    case BinaryOp::Le: return a <= b ? 1.0f : 0.0f;
    case BinaryOp::Gt: return a > b ? 1.0f : 0.0f;
    case BinaryOp::Ge: return a >= b ? 1.0f : 0.0f;
    case BinaryOp::ReluBackward: return b > 0.0f ? a : 0.0f;
  }
  return 0.0f;
}

__global__ void unary_kernel(UnaryOp op, const float* x, Indexer ix, float* out, std::int64_t n) {
  BASIN_CUDA_KERNEL_LOOP(i, n) { out[i] = apply_unary(op, x[ix(i)]); }
}

__global__ void binary_kernel(BinaryOp op, const float* a, Indexer ia, const float* b, Indexer ib, float* out,
                              std::int64_t n) {
  // out may alias a: element i reads a[ia(i)] == a[i] before writing out[i].
  BASIN_CUDA_KERNEL_LOOP(i, n) { out[i] = apply_binary(op, a[ia(i)], b[ib(i)]); }
}

__global__ void scalar_kernel(BinaryOp op, const float* x, Indexer ix, float s, bool scalar_first, float* out,
                              std::int64_t n) {
  BASIN_CUDA_KERNEL_LOOP(i, n) {
    float v = x[ix(i)];
    out[i] = scalar_first ? apply_binary(op, s, v) : apply_binary(op, v, s);
  }
}

__global__ void axpy_kernel(float alpha, const float* src, Indexer is, float* dst, std::int64_t n) {
  BASIN_CUDA_KERNEL_LOOP(i, n) { dst[i] += alpha * src[is(i)]; }
}

// The output of these ops is written densely (out[i]), so it must be contiguous.
void check_out(const Tensor& out, const Shape& shape, const char* op) {
  check_cuda_tensor(out, op, "out");
  check_float(out, op, "out");
  BASIN_CHECK(out.shape() == shape,
              op << ": out " << shape_str(out.shape()) << " does not match input " << shape_str(shape));
  BASIN_CHECK(out.is_contiguous(), op << ": out " << shape_str(out.shape()) << " must be contiguous");
}

}  // namespace

void unary(UnaryOp op, const Tensor& x, Tensor& out) {
  const char* name = op_name(op);
  check_cuda_tensor(x, name, "x");
  check_float(x, name, "x");
  check_out(out, x.shape(), name);
  const std::int64_t n = out.numel();
  if (n == 0) return;
  DeviceGuard guard(out.device().index);
  unary_kernel<<<grid_for(n, kThreads), kThreads, 0, stream()>>>(op, x.data<float>(), make_indexer(x, name),
                                                                  out.data<float>(), n);
  BASIN_CUDA_CHECK_LAUNCH();
}

void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  const char* name = op_name(op);
  check_cuda_tensor(a, name, "a");
  check_cuda_tensor(b, name, "b");
  check_float(a, name, "a");
  check_float(b, name, "b");
  BASIN_CHECK(a.shape() == b.shape(), name << ": a " << shape_str(a.shape()) << " and b " << shape_str(b.shape())
                                           << " must be expanded to one shape");
  check_out(out, a.shape(), name);
  const std::int64_t n = out.numel();
  if (n == 0) return;
  DeviceGuard guard(out.device().index);
  binary_kernel<<<grid_for(n, kThreads), kThreads, 0, stream()>>>(op, a.data<float>(), make_indexer(a, name),
                                                                   b.data<float>(), make_indexer(b, name),
                                                                   out.data<float>(), n);
  BASIN_CUDA_CHECK_LAUNCH();
}

void scalar(BinaryOp op, const Tensor& x, float s, Tensor& out, bool scalar_first) {
  const char* name = op_name(op);
  check_cuda_tensor(x, name, "x");
  check_float(x, name, "x");
  check_out(out, x.shape(), name);
  const std::int64_t n = out.numel();
  if (n == 0) return;
  DeviceGuard guard(out.device().index);
  scalar_kernel<<<grid_for(n, kThreads), kThreads, 0, stream()>>>(op, x.data<float>(), make_indexer(x, name), s,
                                                                   scalar_first, out.data<float>(), n);
  BASIN_CUDA_CHECK_LAUNCH();
}

void axpy(float alpha, const Tensor& src, Tensor& dst) {
  check_cuda_tensor(src, "axpy", "src");
  check_float(src, "axpy", "src");
  check_out(dst, src.shape(), "axpy");
  const std::int64_t n = dst.numel();
  if (n == 0) return;
  DeviceGuard guard(dst.device().index);
  axpy_kernel<<<grid_for(n, kThreads), kThreads, 0, stream()>>>(alpha, src.data<float>(), make_indexer(src, "axpy"),
                                                                 dst.data<float>(), n);
  BASIN_CUDA_CHECK_LAUNCH();
}

}  // namespace basin::kernels::cuda
