#pragma once
// The scalar formula of every elementwise op, written once for the CPU loops
// (kernels/cpu/elementwise.cpp) and the CUDA kernels (kernels/cuda/elementwise.cu)
// as host+device inline functions. A backward formula sits beside its forward.
// The float C math functions (expf, not std::exp) are called on both sides: on
// the host they are the very functions std::exp(float) & co. call, and nvcc maps
// them to its device versions, so the backends agree term for term.
//
// unary<Op>/binary<Op> take the op as a template argument (the CPU instantiates
// one loop per op, with no branch inside); unary(op, v)/binary(op, a, b) switch at
// run time (one CUDA kernel per arity: a well-predicted branch costs far less
// than the memory traffic).
#include <math.h>

#include <type_traits>

#include "kernels/elementwise.h"
#include "kernels/host_device.h"

namespace basin::kernels::math {

// Split by sign so exp never overflows: 1/(1+e^-v) for v>=0, e^v/(1+e^v) otherwise.
BASIN_HD float sigmoid(float v) {
  if (v >= 0.0f) return 1.0f / (1.0f + expf(-v));
  float e = expf(v);
  return e / (1.0f + e);
}

BASIN_HD float relu(float v) { return v > 0.0f ? v : 0.0f; }
// Gradient of relu: g where the input x was positive, 0 elsewhere (0 at the kink, as torch).
BASIN_HD float relu_backward(float g, float x) { return x > 0.0f ? g : 0.0f; }

template <UnaryOp Op>
BASIN_HD float unary(float v) {
  if constexpr (Op == UnaryOp::Neg) return -v;
  else if constexpr (Op == UnaryOp::Exp) return expf(v);
  else if constexpr (Op == UnaryOp::Log) return logf(v);
  else if constexpr (Op == UnaryOp::Sqrt) return sqrtf(v);
  else if constexpr (Op == UnaryOp::Rsqrt) return 1.0f / sqrtf(v);
  else if constexpr (Op == UnaryOp::Abs) return fabsf(v);
  else if constexpr (Op == UnaryOp::Relu) return relu(v);
  else if constexpr (Op == UnaryOp::Sigmoid) return sigmoid(v);
  else if constexpr (Op == UnaryOp::Tanh) return tanhf(v);
  else if constexpr (Op == UnaryOp::Square) return v * v;
  else if constexpr (Op == UnaryOp::Reciprocal) return 1.0f / v;
  else if constexpr (Op == UnaryOp::Sign) return static_cast<float>((v > 0.0f) - (v < 0.0f));
  else if constexpr (Op == UnaryOp::Cos) return cosf(v);
  else return sinf(v);
}

template <BinaryOp Op>
BASIN_HD float binary(float a, float b) {
  if constexpr (Op == BinaryOp::Add) return a + b;
  else if constexpr (Op == BinaryOp::Sub) return a - b;
  else if constexpr (Op == BinaryOp::Mul) return a * b;
  else if constexpr (Op == BinaryOp::Div) return a / b;
  else if constexpr (Op == BinaryOp::Pow) return powf(a, b);
  // NaN propagates, as torch.maximum / torch.minimum.
  else if constexpr (Op == BinaryOp::Maximum) return (a != a || a > b) ? a : b;
  else if constexpr (Op == BinaryOp::Minimum) return (a != a || a < b) ? a : b;
  // Comparisons write 1/0 as float, so masks multiply directly.
  else if constexpr (Op == BinaryOp::Eq) return a == b ? 1.0f : 0.0f;
  else if constexpr (Op == BinaryOp::Ne) return a != b ? 1.0f : 0.0f;
  else if constexpr (Op == BinaryOp::Lt) return a < b ? 1.0f : 0.0f;
  else if constexpr (Op == BinaryOp::Le) return a <= b ? 1.0f : 0.0f;
  else if constexpr (Op == BinaryOp::Gt) return a > b ? 1.0f : 0.0f;
  else return a >= b ? 1.0f : 0.0f;  // Ge
}

// Calls fn(std::integral_constant<UnaryOp, op>{}) (resp. BinaryOp): turns a
// run-time op into a compile-time one. The only list of the ops besides the enums.
template <typename Fn>
BASIN_HD decltype(auto) with_op(UnaryOp op, Fn&& fn) {
  using U = UnaryOp;
  switch (op) {
    case U::Neg: return fn(std::integral_constant<U, U::Neg>{});
    case U::Exp: return fn(std::integral_constant<U, U::Exp>{});
    case U::Log: return fn(std::integral_constant<U, U::Log>{});
    case U::Sqrt: return fn(std::integral_constant<U, U::Sqrt>{});
    case U::Rsqrt: return fn(std::integral_constant<U, U::Rsqrt>{});
    case U::Abs: return fn(std::integral_constant<U, U::Abs>{});
    case U::Relu: return fn(std::integral_constant<U, U::Relu>{});
    case U::Sigmoid: return fn(std::integral_constant<U, U::Sigmoid>{});
    case U::Tanh: return fn(std::integral_constant<U, U::Tanh>{});
    case U::Square: return fn(std::integral_constant<U, U::Square>{});
    case U::Reciprocal: return fn(std::integral_constant<U, U::Reciprocal>{});
    case U::Sign: return fn(std::integral_constant<U, U::Sign>{});
    case U::Cos: return fn(std::integral_constant<U, U::Cos>{});
    case U::Sin: break;
  }
  return fn(std::integral_constant<U, U::Sin>{});
}

template <typename Fn>
BASIN_HD decltype(auto) with_op(BinaryOp op, Fn&& fn) {
  using B = BinaryOp;
  switch (op) {
    case B::Add: return fn(std::integral_constant<B, B::Add>{});
    case B::Sub: return fn(std::integral_constant<B, B::Sub>{});
    case B::Mul: return fn(std::integral_constant<B, B::Mul>{});
    case B::Div: return fn(std::integral_constant<B, B::Div>{});
    case B::Pow: return fn(std::integral_constant<B, B::Pow>{});
    case B::Maximum: return fn(std::integral_constant<B, B::Maximum>{});
    case B::Minimum: return fn(std::integral_constant<B, B::Minimum>{});
    case B::Eq: return fn(std::integral_constant<B, B::Eq>{});
    case B::Ne: return fn(std::integral_constant<B, B::Ne>{});
    case B::Lt: return fn(std::integral_constant<B, B::Lt>{});
    case B::Le: return fn(std::integral_constant<B, B::Le>{});
    case B::Gt: return fn(std::integral_constant<B, B::Gt>{});
    case B::Ge: break;
  }
  return fn(std::integral_constant<B, B::Ge>{});
}

// Run-time op versions (the CUDA kernels' inner switch).
BASIN_HD float unary(UnaryOp op, float v) {
  return with_op(op, [v](auto c) { return unary<decltype(c)::value>(v); });
}
BASIN_HD float binary(BinaryOp op, float a, float b) {
  return with_op(op, [a, b](auto c) { return binary<decltype(c)::value>(a, b); });
}

}  // namespace basin::kernels::math
