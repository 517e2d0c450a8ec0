// Entry points for elementwise ops: dtype, shape, layout and device checks (the
// only ones: the backends trust their arguments), then dispatch.
#include "kernels/elementwise.h"

namespace basin::kernels {

const char* op_name(UnaryOp op) {
  switch (op) {
    case UnaryOp::Neg: return "neg";
    case UnaryOp::Exp: return "exp";
    case UnaryOp::Log: return "log";
    case UnaryOp::Sqrt: return "sqrt";
    case UnaryOp::Rsqrt: return "rsqrt";
    case UnaryOp::Abs: return "abs";
    case UnaryOp::Relu: return "relu";
    case UnaryOp::Sigmoid: return "sigmoid";
    case UnaryOp::Tanh: return "tanh";
    case UnaryOp::Square: return "square";
    case UnaryOp::Reciprocal: return "reciprocal";
    case UnaryOp::Sign: return "sign";
    case UnaryOp::Cos: return "cos";
    case UnaryOp::Sin: return "sin";
  }
  return "unary?";
}

const char* op_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add: return "add";
    case BinaryOp::Sub: return "sub";
    case BinaryOp::Mul: return "mul";
    case BinaryOp::Div: return "div";
    case BinaryOp::Pow: return "pow";
    case BinaryOp::Maximum: return "maximum";
    case BinaryOp::Minimum: return "minimum";
    case BinaryOp::Eq: return "eq";
    case BinaryOp::Ne: return "ne";
    case BinaryOp::Lt: return "lt";
    case BinaryOp::Le: return "le";
    case BinaryOp::Gt: return "gt";
    case BinaryOp::Ge: return "ge";
  }
  return "binary?";
}

namespace {
void check_float(const char* op, const Tensor& t, const char* role) {
  BASIN_CHECK(t.defined(), op << ": " << role << " is undefined");
  BASIN_CHECK(t.dtype() == DType::Float32,
              op << ": " << role << " must be float32, got " << dtype_name(t.dtype()) << shape_str(t.shape()));
}
void check_shape(const char* op, const Tensor& t, const Tensor& out, const char* role) {
  BASIN_CHECK(t.shape() == out.shape(), op << ": " << role << " has shape " << shape_str(t.shape())
                                           << " but the output has " << shape_str(out.shape()));
}
void check_out(const char* op, const Tensor& out) {
  check_float(op, out, "output");
  BASIN_CHECK(out.is_contiguous(), op << ": output " << shape_str(out.shape()) << " must be contiguous");
}
}  // namespace

void unary(UnaryOp op, const Tensor& x, Tensor& out) {
  const char* name = op_name(op);
  check_float(name, x, "input");
  check_out(name, out);
  check_shape(name, x, out, "input");
  check_same_device(name, {&x, &out});
  if (out.numel() == 0) return;
  BASIN_DISPATCH(out.device(), unary, op, x, out);
}

namespace {
// The checks of a two-input op: both inputs float32 with out's shape, one device.
void check_two_inputs(const char* name, const Tensor& a, const char* role_a, const Tensor& b, const char* role_b,
                      const Tensor& out) {
  check_float(name, a, role_a);
  check_float(name, b, role_b);
  check_out(name, out);
  check_shape(name, a, out, role_a);
  check_shape(name, b, out, role_b);
  check_same_device(name, {&a, &b, &out});
}
}  // namespace

void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  const char* name = op_name(op);
  check_two_inputs(name, a, "first input", b, "second input", out);
  if (out.numel() == 0) return;
  BASIN_DISPATCH(out.device(), binary, op, a, b, out);
}

void relu_backward(const Tensor& grad, const Tensor& x, Tensor& out) {
  check_two_inputs("relu_backward", grad, "gradient", x, "input", out);
  if (out.numel() == 0) return;
  BASIN_DISPATCH(out.device(), relu_backward, grad, x, out);
}

void scalar(BinaryOp op, const Tensor& x, float s, Tensor& out, bool scalar_first) {
  const char* name = op_name(op);
  check_float(name, x, "input");
  check_out(name, out);
  check_shape(name, x, out, "input");
  check_same_device(name, {&x, &out});
  if (out.numel() == 0) return;
  BASIN_DISPATCH(out.device(), scalar, op, x, s, out, scalar_first);
}

void axpy(float alpha, const Tensor& src, Tensor& dst) {
  check_float("axpy", src, "source");
  check_float("axpy", dst, "destination");
  // The CUDA backend writes dst densely; the CPU one follows dst's strides.
  BASIN_CHECK(dst.is_contiguous() || dst.device().is_cpu(),
              "axpy: destination " << shape_str(dst.shape()) << " must be contiguous on " << dst.device().str());
  check_shape("axpy", src, dst, "source");
  check_same_device("axpy", {&src, &dst});
  if (dst.numel() == 0) return;
  BASIN_DISPATCH(dst.device(), axpy, alpha, src, dst);
}

}  // namespace basin::kernels
