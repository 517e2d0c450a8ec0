// CPU elementwise kernels. The op switch sits outside the loops: each case
// instantiates the strided loop with its own lambda, so the inner loop is a
// straight line the compiler can vectorize for contiguous inputs.
#include <cmath>

#include "kernels/cpu/strided.h"
#include "kernels/elementwise.h"

namespace basin::kernels::cpu {

namespace {

template <typename F>
void map1(const Tensor& x, Tensor& out, F f) {
  const float* xp = x.data<float>();
  float* op = out.data<float>();
  for_each_strided<2>(out.shape(), {&out.strides(), &x.strides()},
                      [&](std::int64_t, const auto& off) { op[off[0]] = f(xp[off[1]]); });
}

template <typename F>
void map2(const Tensor& a, const Tensor& b, Tensor& out, F f) {
  const float* ap = a.data<float>();
  const float* bp = b.data<float>();
  float* op = out.data<float>();
  for_each_strided<3>(out.shape(), {&out.strides(), &a.strides(), &b.strides()},
                      [&](std::int64_t, const auto& off) { op[off[0]] = f(ap[off[1]], bp[off[2]]); });
}

// Applies `fn` to the lambda implementing `op` (shared by binary and scalar).
template <typename Fn>
void with_binary_fn(BinaryOp op, Fn&& fn) {
  switch (op) {
    case BinaryOp::Add: return fn([](float a, float b) { return a + b; });
    case BinaryOp::Sub: return fn([](float a, float b) { return a - b; });
    case BinaryOp::Mul: return fn([](float a, float b) { return a * b; });
    case BinaryOp::Div: return fn([](float a, float b) { return a / b; });
    case BinaryOp::Pow: return fn([](float a, float b) { return std::pow(a, b); });
    // NaN propagates, as torch.maximum / torch.minimum.
    case BinaryOp::Maximum: return fn([](float a, float b) { return (a != a || a > b) ? a : b; });
    case BinaryOp::Minimum: return fn([](float a, float b) { return (a != a || a < b) ? a : b; });
    case BinaryOp::Eq: return fn([](float a, float b) { return a == b ? 1.0f : 0.0f; });
    case BinaryOp::Ne: return fn([](float a, float b) { return a != b ? 1.0f : 0.0f; });
    case BinaryOp::Lt: return fn([](float a, float b) { return a < b ? 1.0f : 0.0f; });
    case BinaryOp::Le: return fn([](float a, float b) { return a <= b ? 1.0f : 0.0f; });
    case BinaryOp::Gt: return fn([](float a, float b) { return a > b ? 1.0f : 0.0f; });
    case BinaryOp::Ge: return fn([](float a, float b) { return a >= b ? 1.0f : 0.0f; });
    case BinaryOp::ReluBackward: return fn([](float g, float x) { return x > 0.0f ? g : 0.0f; });
  }
  BASIN_FAIL("binary: unknown op");
}

}  // namespace

void unary(UnaryOp op, const Tensor& x, Tensor& out) {
  switch (op) {
    case UnaryOp::Neg: return map1(x, out, [](float v) { return -v; });
    case UnaryOp::Exp: return map1(x, out, [](float v) { return std::exp(v); });
    case UnaryOp::Log: return map1(x, out, [](float v) { return std::log(v); });
    case UnaryOp::Sqrt: return map1(x, out, [](float v) { return std::sqrt(v); });
    case UnaryOp::Rsqrt: return map1(x, out, [](float v) { return 1.0f / std::sqrt(v); });
    case UnaryOp::Abs: return map1(x, out, [](float v) { return std::fabs(v); });
    case UnaryOp::Relu: return map1(x, out, [](float v) { return v > 0.0f ? v : 0.0f; });
    // Split by sign so exp never overflows: 1/(1+e^-v) for v>=0, e^v/(1+e^v) otherwise.
    case UnaryOp::Sigmoid:
      return map1(x, out, [](float v) {
        if (v >= 0.0f) return 1.0f / (1.0f + std::exp(-v));
        float e = std::exp(v);
        return e / (1.0f + e);
      });
    case UnaryOp::Tanh: return map1(x, out, [](float v) { return std::tanh(v); });
    case UnaryOp::Square: return map1(x, out, [](float v) { return v * v; });
    case UnaryOp::Reciprocal: return map1(x, out, [](float v) { return 1.0f / v; });
    case UnaryOp::Sign: return map1(x, out, [](float v) { return static_cast<float>((v > 0.0f) - (v < 0.0f)); });
    case UnaryOp::Cos: return map1(x, out, [](float v) { return std::cos(v); });
    case UnaryOp::Sin: return map1(x, out, [](float v) { return std::sin(v); });
  }
  BASIN_FAIL("unary: unknown op");
}

void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  with_binary_fn(op, [&](auto f) { map2(a, b, out, f); });
}

void scalar(BinaryOp op, const Tensor& x, float s, Tensor& out, bool scalar_first) {
  with_binary_fn(op, [&](auto f) {
    if (scalar_first)
      map1(x, out, [&](float v) { return f(s, v); });
    else
      map1(x, out, [&](float v) { return f(v, s); });
  });
}

void axpy(float alpha, const Tensor& src, Tensor& dst) {
  const float* sp = src.data<float>();
  float* dp = dst.data<float>();
  for_each_strided<2>(dst.shape(), {&dst.strides(), &src.strides()},
                      [&](std::int64_t, const auto& off) { dp[off[0]] += alpha * sp[off[1]]; });
}

}  // namespace basin::kernels::cpu
