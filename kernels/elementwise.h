#pragma once
// Elementwise ops: unary, binary (broadcasting through stride-0 views),
// tensor-scalar, and the backward of the activations that need their own kernel.
// Float32 only; comparisons write float32 1/0 (so masks multiply directly). The
// scalar formulas live in kernels/elementwise_math.h, shared by both backends.
#include "kernels/dispatch.h"

namespace basin::kernels {

enum class UnaryOp { Neg, Exp, Log, Sqrt, Rsqrt, Abs, Relu, Sigmoid, Tanh, Square, Reciprocal, Sign, Cos, Sin };
enum class BinaryOp {
  Add, Sub, Mul, Div, Pow, Maximum, Minimum,
  Eq, Ne, Lt, Le, Gt, Ge,
};
const char* op_name(UnaryOp op);
const char* op_name(BinaryOp op);

// out = op(x). x any strides with out's shape; out contiguous.
void unary(UnaryOp op, const Tensor& x, Tensor& out);
// out = op(a, b). a and b are expanded to out's shape by the caller (stride 0 on
// broadcast axes); out contiguous; out may be the same tensor as a (in place).
void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out);
// out = op(x, s) or, with scalar_first, op(s, x).
void scalar(BinaryOp op, const Tensor& x, float s, Tensor& out, bool scalar_first = false);
// out = grad where x > 0, else 0: the gradient of relu(x). grad and x with out's
// shape (any strides); out contiguous.
void relu_backward(const Tensor& grad, const Tensor& x, Tensor& out);
// dst += alpha * src (same shape; dst contiguous or a contiguous view; src any strides).
void axpy(float alpha, const Tensor& src, Tensor& dst);

BASIN_DECLARE_BACKENDS(void unary(UnaryOp op, const Tensor& x, Tensor& out))
BASIN_DECLARE_BACKENDS(void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out))
BASIN_DECLARE_BACKENDS(void scalar(BinaryOp op, const Tensor& x, float s, Tensor& out, bool scalar_first))
BASIN_DECLARE_BACKENDS(void relu_backward(const Tensor& grad, const Tensor& x, Tensor& out))
BASIN_DECLARE_BACKENDS(void axpy(float alpha, const Tensor& src, Tensor& dst))

}  // namespace basin::kernels
