// Differentiable matrix products. For C = A @ B: dA = dC @ B^T and dB = A^T @ dC,
// computed with the GEMM transpose flags (no transposed copies); operands that
// were broadcast over the batch get their gradient summed back with sum_to.
#include "autograd/op_helpers.h"
#include "kernels/elementwise.h"
#include "kernels/matmul.h"
#include "kernels/reduce.h"

namespace basin {

namespace {

// op(a) @ op(b) for contiguous 2-D/3-D a, b; the output is batched when either is.
Tensor mm(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  const int da = a.dim(), db = b.dim();
  std::int64_t M = ta ? a.shape()[da - 1] : a.shape()[da - 2];
  std::int64_t N = tb ? b.shape()[db - 2] : b.shape()[db - 1];
  std::int64_t B = std::max(da == 3 ? a.shape()[0] : 1, db == 3 ? b.shape()[0] : 1);
  Shape s = (da == 3 || db == 3) ? Shape{B, M, N} : Shape{M, N};
  Tensor out = detail::new_float(s, a.device());
  kernels::matmul(a, b, out, ta, tb);
  return out;
}

void check_matmul_operand(const Tensor& t, const char* op, const char* role) {
  BASIN_CHECK(t.dim() == 2 || t.dim() == 3, op << ": " << role << " must be 2-D or 3-D, got " << shape_str(t.shape()));
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_matmul_operand(a, "matmul", "first operand");
  check_matmul_operand(b, "matmul", "second operand");
  Tensor ca = a.detach().contiguous(), cb = b.detach().contiguous();
  Tensor out = mm(ca, cb, false, false);
  bool ga = a.requires_grad(), gb = b.requires_grad();
  return record("matmul", out, {a, b}, [ca, cb, ga, gb](const Tensor& g_in) {
    Tensor g = g_in.contiguous();
    Tensor da = ga ? sum_to(mm(g, cb, false, true), ca.shape()) : Tensor();
    Tensor db = gb ? sum_to(mm(ca, g, true, false), cb.shape()) : Tensor();
    return std::vector<Tensor>{da, db};
  });
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  BASIN_CHECK(weight.dim() == 2, "linear: weight must be [out, in], got " << shape_str(weight.shape()));
  BASIN_CHECK(x.dim() >= 1 && x.shape().back() == weight.shape()[1],
              "linear: input " << shape_str(x.shape()) << " does not end in in_features " << weight.shape()[1]
                               << " of weight " << shape_str(weight.shape()));
  const std::int64_t in_f = weight.shape()[1], out_f = weight.shape()[0];
  if (bias.defined()) {
    BASIN_CHECK(bias.shape() == Shape{out_f},
                "linear: bias " << shape_str(bias.shape()) << " should be [" << out_f << "]");
  }
  // Any leading axes are flattened into rows: x2 [N, in].
  Tensor x2 = x.detach().contiguous().reshape({-1, in_f});
  Tensor w = weight.detach().contiguous();
  Tensor out2 = detail::new_float({x2.shape()[0], out_f}, x.device());
  kernels::matmul(x2, w, out2, false, true);  // x @ W^T
  if (bias.defined()) {
    Tensor b = bias.detach();
    kernels::binary(kernels::BinaryOp::Add, out2, detail::expand_raw(b, out2.shape(), "linear"), out2);
  }
  Shape out_shape = x.shape();
  out_shape.back() = out_f;
  Tensor out = out2.reshape(out_shape);
  Shape x_shape = x.shape();
  bool gx = x.requires_grad(), gw = weight.requires_grad(), gb = bias.defined() && bias.requires_grad();
  return record("linear", out, {x, weight, bias}, [x2, w, x_shape, out_f, gx, gw, gb](const Tensor& g_in) {
    Tensor g = g_in.contiguous().reshape({-1, out_f});
    Tensor dx = gx ? mm(g, w, false, false).reshape(x_shape) : Tensor();  // g @ W
    Tensor dw = gw ? mm(g, x2, true, false) : Tensor();                   // g^T @ x
    Tensor db;
    if (gb) {
      db = detail::new_float({1, out_f}, g.device());
      kernels::reduce(kernels::ReduceOp::Sum, g, {0}, db);
      db = db.reshape({out_f});
    }
    return std::vector<Tensor>{dx, dw, db};
  });
}

}  // namespace basin
