// Entry point for GEMM: checks ranks, inner dimensions, batch broadcasting,
// contiguity and devices (the backends trust their arguments), then dispatches.
#include "kernels/matmul.h"

#include "kernels/cpu_fast_path.h"

namespace basin::kernels {

void matmul(const Tensor& a, const Tensor& b, Tensor& out, bool trans_a, bool trans_b, float alpha, float beta) {
  auto shapes = [&] {
    std::ostringstream os;
    os << "a " << shape_str(a.shape()) << (trans_a ? "^T" : "") << ", b " << shape_str(b.shape())
       << (trans_b ? "^T" : "") << ", out " << shape_str(out.shape());
    return os.str();
  };
  for (const Tensor* t : std::initializer_list<const Tensor*>{&a, &b, &out})
    BASIN_CHECK(t->defined(), "matmul: an operand is undefined");
  for (const Tensor* t : std::initializer_list<const Tensor*>{&a, &b, &out}) {
    BASIN_CHECK(t->dtype() == DType::Float32, "matmul: expects float32 tensors, got " << dtype_name(t->dtype())
                                                  << " (" << shapes() << ")");
    BASIN_CHECK(t->dim() == 2 || t->dim() == 3, "matmul: operands must be 2-D or batched 3-D (" << shapes() << ")");
    BASIN_CHECK(t->is_contiguous(), "matmul: operands must be contiguous (" << shapes() << ")");
  }
  const int da = a.dim(), db = b.dim();
  std::int64_t M = trans_a ? a.shape()[da - 1] : a.shape()[da - 2];
  std::int64_t Ka = trans_a ? a.shape()[da - 2] : a.shape()[da - 1];
  std::int64_t Kb = trans_b ? b.shape()[db - 1] : b.shape()[db - 2];
  std::int64_t N = trans_b ? b.shape()[db - 2] : b.shape()[db - 1];
  BASIN_CHECK(Ka == Kb, "matmul: inner dimensions differ, " << Ka << " vs " << Kb << " (" << shapes() << ")");
  const int dout = out.dim();
  BASIN_CHECK(out.shape()[dout - 2] == M && out.shape()[dout - 1] == N,
              "matmul: output should be " << M << " x " << N << " (" << shapes() << ")");
  if (dout == 3) {
    std::int64_t B = out.shape()[0];
    BASIN_CHECK(da == 2 || a.shape()[0] == B || a.shape()[0] == 1, "matmul: batch of a does not match (" << shapes() << ")");
    BASIN_CHECK(db == 2 || b.shape()[0] == B || b.shape()[0] == 1, "matmul: batch of b does not match (" << shapes() << ")");
  } else {
    BASIN_CHECK((da == 2 || a.shape()[0] == 1) && (db == 2 || b.shape()[0] == 1),
                "matmul: batched operands need a batched (3-D) output (" << shapes() << ")");
  }
  check_same_device("matmul", {&a, &b, &out});
  if (out.numel() == 0) return;
  BASIN_CPU_FAST_PATH(out.device(), matmul, a, b, out, trans_a, trans_b, alpha, beta);
  BASIN_DISPATCH(out.device(), matmul, a, b, out, trans_a, trans_b, alpha, beta);
}

}  // namespace basin::kernels
