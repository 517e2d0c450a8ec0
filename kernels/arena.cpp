// Arena kernels' entry points: every argument check of the family, once, then
// BASIN_DISPATCH to the backend (kernels/cpu/arena.cpp, kernels/cuda/arena.cu),
// which trusts its inputs.
#include "kernels/arena.h"

namespace basin::kernels {

namespace {

void check_arena(const char* op, const Tensor& t, const char* what, std::int64_t n) {
  BASIN_CHECK(t.defined(), op << ": " << what << " is undefined");
  BASIN_CHECK(t.dtype() == DType::Float32, op << ": " << what << " must be float32, got " << t.str());
  BASIN_CHECK(t.is_contiguous(), op << ": " << what << " must be contiguous, got " << t.str());
  BASIN_CHECK(n < 0 || t.numel() == n, op << ": " << what << " has " << t.numel() << " elements, expected " << n
                                         << " (" << t.str() << ")");
}

}  // namespace

void check_ranges(const char* op, const ArenaRanges& r, std::int64_t n) {
  std::int64_t prev = 0;
  for (const auto& [b, e] : r) {
    BASIN_CHECK(b >= prev && b <= e && e <= n, op << ": no-decay ranges must be sorted, disjoint and inside [0, "
                                                  << n << "); got [" << b << ", " << e << ")");
    prev = e;
  }
}

void arena_perturb(Tensor& w, const Tensor& w0, const NoiseSpec& noise, float scale) {
  check_arena("arena_perturb", w, "W", -1);
  check_arena("arena_perturb", w0, "W0", w.numel());
  check_same_device("arena_perturb", {&w, &w0});
  BASIN_DISPATCH(w.device(), arena_perturb, w, w0, noise, scale);
}

void arena_copy(Tensor& dst, const Tensor& src) {
  check_arena("arena_copy", dst, "dst", -1);
  check_arena("arena_copy", src, "src", dst.numel());
  check_same_device("arena_copy", {&dst, &src});
  BASIN_DISPATCH(dst.device(), arena_copy, dst, src);
}

void arena_fill(Tensor& x, float value) {
  check_arena("arena_fill", x, "x", -1);
  BASIN_DISPATCH(x.device(), arena_fill, x, value);
}

void arena_accumulate(Tensor& acc, const Tensor& g, float c, float beta) {
  check_arena("arena_accumulate", acc, "acc", -1);
  check_arena("arena_accumulate", g, "g", acc.numel());
  check_same_device("arena_accumulate", {&acc, &g});
  BASIN_DISPATCH(acc.device(), arena_accumulate, acc, g, c, beta);
}

void arena_accumulate_final(const Tensor& acc, Tensor& g, float c) {
  check_arena("arena_accumulate_final", g, "g", -1);
  check_arena("arena_accumulate_final", acc, "acc", g.numel());
  check_same_device("arena_accumulate_final", {&acc, &g});
  BASIN_DISPATCH(g.device(), arena_accumulate_final, acc, g, c);
}

void arena_perturb_along(Tensor& w, const Tensor& base, const Tensor& g, float alpha, bool adaptive, float eta) {
  check_arena("arena_perturb_along", w, "W", -1);
  check_arena("arena_perturb_along", base, "base", w.numel());
  check_arena("arena_perturb_along", g, "g", w.numel());
  check_same_device("arena_perturb_along", {&w, &base, &g});
  BASIN_DISPATCH(w.device(), arena_perturb_along, w, base, g, alpha, adaptive, eta);
}

double arena_sumsq(const Tensor& g, const Tensor& w, bool adaptive, float eta) {
  check_arena("arena_sumsq", g, "g", -1);
  if (adaptive) {
    check_arena("arena_sumsq", w, "W", g.numel());
    check_same_device("arena_sumsq", {&g, &w});
  }
  double out = 0.0;  // BASIN_DISPATCH is an expression of type void without CUDA
  if (g.device().is_cuda()) {
#ifdef BASIN_WITH_CUDA
    CudaDeviceScope scope(g.device());  // outside BASIN_DISPATCH: select the device here
    out = cuda::arena_sumsq(g, w, adaptive, eta);
#else
    no_cuda_backend("arena_sumsq");
#endif
  } else {
    out = cpu::arena_sumsq(g, w, adaptive, eta);
  }
  return out;
}

void arena_sgd(Tensor& w, const Tensor& g, Tensor& buf, const SgdArgs& a, const ArenaRanges& no_decay) {
  check_arena("arena_sgd", w, "W", -1);
  check_arena("arena_sgd", g, "grad", w.numel());
  if (a.momentum != 0.0f) {
    check_arena("arena_sgd", buf, "momentum buffer", w.numel());
    check_same_device("arena_sgd", {&w, &g, &buf});
  } else {
    check_same_device("arena_sgd", {&w, &g});
  }
  check_ranges("arena_sgd", no_decay, w.numel());
  BASIN_DISPATCH(w.device(), arena_sgd, w, g, buf, a, no_decay);
}

void arena_adamw(Tensor& w, const Tensor& g, Tensor& m, Tensor& v, Tensor& vmax, const AdamArgs& a,
                 const ArenaRanges& no_decay) {
  check_arena("arena_adamw", w, "W", -1);
  check_arena("arena_adamw", g, "grad", w.numel());
  check_arena("arena_adamw", m, "exp_avg", w.numel());
  check_arena("arena_adamw", v, "exp_avg_sq", w.numel());
  check_same_device("arena_adamw", {&w, &g, &m, &v});
  if (a.amsgrad) {
    check_arena("arena_adamw", vmax, "max_exp_avg_sq", w.numel());
    check_same_device("arena_adamw", {&w, &vmax});
  }
  BASIN_CHECK(a.step >= 1, "arena_adamw: step counts from 1, got " << a.step);
  check_ranges("arena_adamw", no_decay, w.numel());
  BASIN_DISPATCH(w.device(), arena_adamw, w, g, m, v, vmax, a, no_decay);
}

}  // namespace basin::kernels
