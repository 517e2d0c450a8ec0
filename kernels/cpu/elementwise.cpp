// CPU elementwise kernels (kernels/elementwise.h); the formulas are
// kernels/elementwise_math.h's. The op switch sits outside the loops: each op
// instantiates the strided loop with its own formula, so the inner loop is a
// straight line the compiler can vectorize for contiguous inputs.
#include "kernels/cpu/strided.h"
#include "kernels/elementwise.h"
#include "kernels/elementwise_math.h"

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

}  // namespace

// Each op instantiates the strided loop with its own formula (math::with_op makes
// the op a compile-time constant), so the loop body has no branch on the op.
void unary(UnaryOp op, const Tensor& x, Tensor& out) {
  math::with_op(op, [&](auto c) { map1(x, out, [](float v) { return math::unary<decltype(c)::value>(v); }); });
}

void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  math::with_op(op, [&](auto c) {
    map2(a, b, out, [](float u, float v) { return math::binary<decltype(c)::value>(u, v); });
  });
}

void scalar(BinaryOp op, const Tensor& x, float s, Tensor& out, bool scalar_first) {
  math::with_op(op, [&](auto c) {
    constexpr BinaryOp kOp = decltype(c)::value;
    if (scalar_first)
      map1(x, out, [s](float v) { return math::binary<kOp>(s, v); });
    else
      map1(x, out, [s](float v) { return math::binary<kOp>(v, s); });
  });
}

void relu_backward(const Tensor& grad, const Tensor& x, Tensor& out) {
  map2(grad, x, out, [](float g, float v) { return math::relu_backward(g, v); });
}

void axpy(float alpha, const Tensor& src, Tensor& dst) {
  const float* sp = src.data<float>();
  float* dp = dst.data<float>();
  for_each_strided<2>(dst.shape(), {&dst.strides(), &src.strides()},
                      [&](std::int64_t, const auto& off) { dp[off[0]] += alpha * sp[off[1]]; });
}

}  // namespace basin::kernels::cpu
