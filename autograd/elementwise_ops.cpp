// Differentiable elementwise ops. Forward: broadcast inputs with stride-0 views
// and run one kernel. Backward: the local derivative times the incoming gradient,
// summed back over broadcast axes with sum_to. Backward functions run under
// NoGradGuard, so they may call these same ops without recording anything.
#include "autograd/op_helpers.h"
#include "kernels/elementwise.h"

namespace basin {

using kernels::BinaryOp;
using kernels::UnaryOp;

namespace {

// Dtype, layout and device checks are the kernels' entry points' (kernels/elementwise.cpp).
Tensor run_unary(UnaryOp op, const Tensor& x) {
  Tensor out = detail::new_float(x.shape(), x.device());
  kernels::unary(op, x, out);
  return out;
}

Tensor run_binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = kernels::op_name(op);
  Shape s = broadcast_shapes(a.shape(), b.shape(), name);
  Tensor out = detail::new_float(s, a.device());
  kernels::binary(op, detail::expand_raw(a, s, name), detail::expand_raw(b, s, name), out);
  return out;
}

Tensor run_scalar(BinaryOp op, const Tensor& x, float s) {
  Tensor out = detail::new_float(x.shape(), x.device());
  kernels::scalar(op, x, s, out);
  return out;
}

// Gradients of a binary op: only computed for inputs that need them.
struct BinaryGrads {
  bool a, b;
  template <typename Fa, typename Fb>
  std::vector<Tensor> operator()(Fa fa, Fb fb) const {
    return {a ? fa() : Tensor(), b ? fb() : Tensor()};
  }
};

}  // namespace

// ---- binary, broadcasting -------------------------------------------------------

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = run_binary(BinaryOp::Add, a.detach(), b.detach());
  Shape sa = a.shape(), sb = b.shape();
  BinaryGrads need{a.requires_grad(), b.requires_grad()};
  return record("add", out, {a, b}, [sa, sb, need](const Tensor& g) {
    return need([&] { return sum_to(g, sa); }, [&] { return sum_to(g, sb); });
  });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = run_binary(BinaryOp::Sub, a.detach(), b.detach());
  Shape sa = a.shape(), sb = b.shape();
  BinaryGrads need{a.requires_grad(), b.requires_grad()};
  return record("sub", out, {a, b}, [sa, sb, need](const Tensor& g) {
    return need([&] { return sum_to(g, sa); }, [&] { return sum_to(neg(g), sb); });
  });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor da = a.detach(), db = b.detach();
  Tensor out = run_binary(BinaryOp::Mul, da, db);
  BinaryGrads need{a.requires_grad(), b.requires_grad()};
  return record("mul", out, {a, b}, [da, db, need](const Tensor& g) {
    return need([&] { return sum_to(mul(g, db), da.shape()); }, [&] { return sum_to(mul(g, da), db.shape()); });
  });
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor da = a.detach(), db = b.detach();
  Tensor out = run_binary(BinaryOp::Div, da, db);
  Tensor dout = out.detach();
  BinaryGrads need{a.requires_grad(), b.requires_grad()};
  return record("div", out, {a, b}, [da, db, dout, need](const Tensor& g) {
    // d(a/b)/da = 1/b;  d(a/b)/db = -a/b^2 = -(a/b)/b
    Tensor g_over_b = div(g, db);
    return need([&] { return sum_to(g_over_b, da.shape()); },
                [&] { return sum_to(neg(mul(g_over_b, dout)), db.shape()); });
  });
}

Tensor maximum(const Tensor& a, const Tensor& b) {
  Tensor da = a.detach(), db = b.detach();
  Tensor out = run_binary(BinaryOp::Maximum, da, db);
  BinaryGrads need{a.requires_grad(), b.requires_grad()};
  return record("maximum", out, {a, b}, [da, db, need](const Tensor& g) {
    // Where a == b the gradient is split evenly, as torch.maximum does.
    Tensor wa = add(run_binary(BinaryOp::Gt, da, db), mul(run_binary(BinaryOp::Eq, da, db), 0.5f));
    Tensor ga = mul(g, wa);
    return need([&] { return sum_to(ga, da.shape()); }, [&] { return sum_to(sub(g, ga), db.shape()); });
  });
}

// ---- tensor-scalar --------------------------------------------------------------

Tensor add(const Tensor& a, float s) {
  Tensor out = run_scalar(BinaryOp::Add, a.detach(), s);
  return record("add_scalar", out, {a}, [](const Tensor& g) { return std::vector<Tensor>{g}; });
}

Tensor mul(const Tensor& a, float s) {
  Tensor out = run_scalar(BinaryOp::Mul, a.detach(), s);
  return record("mul_scalar", out, {a}, [s](const Tensor& g) { return std::vector<Tensor>{mul(g, s)}; });
}

Tensor pow(const Tensor& a, float exponent) {
  Tensor da = a.detach();
  Tensor out = run_scalar(BinaryOp::Pow, da, exponent);
  return record("pow", out, {a}, [da, exponent](const Tensor& g) {
    // d(a^p)/da = p * a^(p-1); p == 0 gives 0 everywhere (also at a == 0).
    if (exponent == 0.0f) return std::vector<Tensor>{mul(g, 0.0f)};
    return std::vector<Tensor>{mul(g, mul(run_scalar(BinaryOp::Pow, da, exponent - 1.0f), exponent))};
  });
}

// ---- unary ----------------------------------------------------------------------

Tensor neg(const Tensor& x) {
  Tensor out = run_unary(UnaryOp::Neg, x.detach());
  return record("neg", out, {x}, [](const Tensor& g) { return std::vector<Tensor>{neg(g)}; });
}

Tensor exp(const Tensor& x) {
  Tensor out = run_unary(UnaryOp::Exp, x.detach());
  Tensor y = out.detach();
  return record("exp", out, {x}, [y](const Tensor& g) { return std::vector<Tensor>{mul(g, y)}; });
}

Tensor log(const Tensor& x) {
  Tensor dx = x.detach();
  Tensor out = run_unary(UnaryOp::Log, dx);
  return record("log", out, {x}, [dx](const Tensor& g) { return std::vector<Tensor>{div(g, dx)}; });
}

Tensor sqrt(const Tensor& x) {
  Tensor out = run_unary(UnaryOp::Sqrt, x.detach());
  Tensor y = out.detach();
  return record("sqrt", out, {x}, [y](const Tensor& g) { return std::vector<Tensor>{div(mul(g, 0.5f), y)}; });
}

Tensor abs(const Tensor& x) {
  Tensor dx = x.detach();
  Tensor out = run_unary(UnaryOp::Abs, dx);
  // sign(0) = 0: the subgradient torch uses at the kink.
  return record("abs", out, {x}, [dx](const Tensor& g) { return std::vector<Tensor>{mul(g, run_unary(UnaryOp::Sign, dx))}; });
}

Tensor square(const Tensor& x) {
  Tensor dx = x.detach();
  Tensor out = run_unary(UnaryOp::Square, dx);
  return record("square", out, {x}, [dx](const Tensor& g) { return std::vector<Tensor>{mul(g, mul(dx, 2.0f))}; });
}

Tensor relu(const Tensor& x) {
  Tensor out = run_unary(UnaryOp::Relu, x.detach());
  // Saves the output, not the input: relu(x) > 0 exactly where x > 0, so the
  // gradient is bitwise the same, and the input (in a ResNet, batch norm's
  // output) is freed once relu ran instead of living until the backward; the
  // output is kept anyway as the next layer's saved input (as PyTorch's relu does).
  Tensor y = out.detach();
  return record("relu", out, {x}, [y](const Tensor& g) {
    Tensor dg = detail::new_float(y.shape(), y.device());
    kernels::relu_backward(detail::expand_raw(g, y.shape(), "relu_backward"), y, dg);
    return std::vector<Tensor>{dg};
  });
}

Tensor sigmoid(const Tensor& x) {
  Tensor out = run_unary(UnaryOp::Sigmoid, x.detach());
  Tensor y = out.detach();
  return record("sigmoid", out, {x}, [y](const Tensor& g) {
    Tensor one_minus_y = run_scalar(BinaryOp::Sub, y, 1.0f);  // y - 1
    return std::vector<Tensor>{neg(mul(g, mul(y, one_minus_y)))};  // g * y * (1 - y)
  });
}

Tensor tanh(const Tensor& x) {
  Tensor out = run_unary(UnaryOp::Tanh, x.detach());
  Tensor y = out.detach();
  return record("tanh", out, {x}, [y](const Tensor& g) {
    Tensor one_minus_y2 = neg(add(run_unary(UnaryOp::Square, y), -1.0f));  // 1 - y^2
    return std::vector<Tensor>{mul(g, one_minus_y2)};
  });
}

// ---- comparisons (no gradient) --------------------------------------------------

Tensor eq(const Tensor& a, const Tensor& b) { return run_binary(BinaryOp::Eq, a.detach(), b.detach()); }
Tensor gt(const Tensor& a, const Tensor& b) { return run_binary(BinaryOp::Gt, a.detach(), b.detach()); }
Tensor lt(const Tensor& a, const Tensor& b) { return run_binary(BinaryOp::Lt, a.detach(), b.detach()); }

// ---- operators ------------------------------------------------------------------

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, float s) { return add(a, s); }
Tensor operator-(const Tensor& a, float s) { return add(a, -s); }
Tensor operator*(const Tensor& a, float s) { return mul(a, s); }
Tensor operator/(const Tensor& a, float s) { return mul(a, 1.0f / s); }
Tensor operator*(float s, const Tensor& a) { return mul(a, s); }
Tensor operator-(const Tensor& x) { return neg(x); }

}  // namespace basin
