// CPU backend of the arena kernels (kernels/arena.h), OpenMP over the flat arena.
// Arguments were checked by the entry points in kernels/arena.cpp.
//
// The CPU perturbation is the hot loop of NSO on CPU: P Gaussians per pass. It
// is written so GCC vectorizes it: Philox runs on kChunk blocks at once in
// structure-of-arrays form (32x32->64 multiplies map to pmuludq), and the
// Box-Muller / polynomial log / sincos of kernels/noise.h are branch-free, so four
// to eight lanes go through each instruction. The scalar noise::unit_at stays the
// reference the tests compare this loop against, bit for bit.
// Built with -fno-math-errno (CMakeLists.txt): sqrtf then needs no errno path,
// which is what lets the Box-Muller lane loop vectorize; the values are the same
// correctly rounded square roots.
#include "kernels/arena.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <omp.h>

#include "kernels/arena_math.h"

namespace basin::kernels::cpu {

namespace {

constexpr int kChunk = 64;  // Philox blocks per inner batch (256 elements)

// Philox-4x32-10 on n <= kChunk consecutive blocks starting at `blk0`, in
// structure-of-arrays form so the lane loops vectorize. Same math as
// philox::block: the words cuRAND's curand4 returns after
// curand_init(seed, subsequence = stream, offset = 4 blk), what the CUDA
// backend's noise_words draws.
inline void philox_chunk(std::uint64_t seed, std::uint64_t stream, std::uint64_t blk0, int n,
                         std::uint32_t* x, std::uint32_t* y, std::uint32_t* z, std::uint32_t* w) {
  for (int l = 0; l < n; ++l) {
    std::uint64_t b = blk0 + static_cast<std::uint64_t>(l);
    x[l] = static_cast<std::uint32_t>(b);
    y[l] = static_cast<std::uint32_t>(b >> 32);
    z[l] = static_cast<std::uint32_t>(stream);
    w[l] = static_cast<std::uint32_t>(stream >> 32);
  }
  std::uint32_t k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
  for (int r = 0; r < 10; ++r) {
#pragma omp simd
    for (int l = 0; l < n; ++l) {
      std::uint64_t p0 = static_cast<std::uint64_t>(0xD2511F53u) * x[l];
      std::uint64_t p1 = static_cast<std::uint64_t>(0xCD9E8D57u) * z[l];
      std::uint32_t nx = static_cast<std::uint32_t>(p1 >> 32) ^ y[l] ^ k0;
      std::uint32_t nz = static_cast<std::uint32_t>(p0 >> 32) ^ w[l] ^ k1;
      y[l] = static_cast<std::uint32_t>(p1);
      w[l] = static_cast<std::uint32_t>(p0);
      x[l] = nx;
      z[l] = nz;
    }
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
}

// Std-1 noise for elements [4 blk0, 4 (blk0 + n)) into out[0 .. 4n).
inline void noise_chunk(noise::Dist d, std::uint64_t seed, std::uint64_t stream, std::uint64_t blk0, int n,
                        float* out) {
  alignas(64) std::uint32_t x[kChunk], y[kChunk], z[kChunk], w[kChunk];
  philox_chunk(seed, stream, blk0, n, x, y, z, w);
  if (d == noise::Dist::Gaussian) {
    alignas(64) float a[kChunk], b[kChunk], c[kChunk], e[kChunk];
#pragma omp simd
    for (int l = 0; l < n; ++l) {
      noise::box_muller(x[l], y[l], &a[l], &b[l]);
      noise::box_muller(z[l], w[l], &c[l], &e[l]);
    }
    for (int l = 0; l < n; ++l) {
      out[4 * l] = a[l];
      out[4 * l + 1] = b[l];
      out[4 * l + 2] = c[l];
      out[4 * l + 3] = e[l];
    }
  } else {
    for (int l = 0; l < n; ++l) {
      out[4 * l] = noise::unit_single(d, x[l]);
      out[4 * l + 1] = noise::unit_single(d, y[l]);
      out[4 * l + 2] = noise::unit_single(d, z[l]);
      out[4 * l + 3] = noise::unit_single(d, w[l]);
    }
  }
}

// Splits [0, n) into per-thread pieces aligned to whole chunks (4 * kChunk).
template <typename F>
void parallel_chunks(std::int64_t n, F&& f) {
  constexpr std::int64_t span = 4 * kChunk;
  std::int64_t nchunks = (n + span - 1) / span;
#pragma omp parallel for schedule(static) if (nchunks > 16)
  for (std::int64_t c = 0; c < nchunks; ++c) f(c * span, std::min(n, (c + 1) * span));
}

// Calls f(begin, end, decay) on the runs of [lo, hi) with and without decay.
template <typename F>
void for_each_run(std::int64_t lo, std::int64_t hi, const ArenaRanges& nd, F&& f) {
  auto it = std::upper_bound(nd.begin(), nd.end(), lo,
                             [](std::int64_t v, const std::pair<std::int64_t, std::int64_t>& r) { return v < r.second; });
  std::int64_t pos = lo;
  for (; it != nd.end() && it->first < hi && pos < hi; ++it) {
    std::int64_t b = std::max(it->first, pos), e = std::min(it->second, hi);
    if (b > pos) f(pos, b, true);
    if (e > b) f(b, e, false);
    pos = std::max(pos, e);
  }
  if (pos < hi) f(pos, hi, true);
}

// Per-thread static pieces of [0, n), each walking the no-decay ranges once.
template <typename F>
void parallel_runs(std::int64_t n, const ArenaRanges& nd, F&& f) {
#pragma omp parallel if (n > 16 * 4 * kChunk)
  {
    std::int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
    std::int64_t per = (n + nt - 1) / nt;
    std::int64_t lo = std::min(n, t * per), hi = std::min(n, lo + per);
    if (lo < hi) for_each_run(lo, hi, nd, f);
  }
}

}  // namespace

void arena_perturb(Tensor& w, const Tensor& w0, const NoiseSpec& ns, float scale) {
  float* W = w.data<float>();
  const float* W0 = w0.data<float>();
  const float k = scale * ns.sigma;
  parallel_chunks(w.numel(), [&](std::int64_t lo, std::int64_t hi) {
    alignas(64) float u[4 * kChunk];
    int nblk = static_cast<int>((hi - lo + 3) / 4);
    noise_chunk(ns.dist, ns.seed, ns.stream, static_cast<std::uint64_t>(lo / 4), nblk, u);
    for (std::int64_t i = lo; i < hi; ++i) W[i] = W0[i] + k * u[i - lo];
  });
}

void arena_copy(Tensor& dst, const Tensor& src) {
  float* D = dst.data<float>();
  const float* S = src.data<float>();
  if (D == S) return;
  parallel_chunks(dst.numel(), [&](std::int64_t lo, std::int64_t hi) {
    std::memcpy(D + lo, S + lo, static_cast<std::size_t>(hi - lo) * sizeof(float));
  });
}

void arena_fill(Tensor& x, float value) {
  float* X = x.data<float>();
  parallel_chunks(x.numel(), [&](std::int64_t lo, std::int64_t hi) { std::fill(X + lo, X + hi, value); });
}

void arena_accumulate(Tensor& acc, const Tensor& g, float c, float beta) {
  float* A = acc.data<float>();
  const float* G = g.data<float>();
  parallel_chunks(acc.numel(), [&](std::int64_t lo, std::int64_t hi) {
    if (beta == 0.0f) {
      for (std::int64_t i = lo; i < hi; ++i) A[i] = c * G[i];
    } else if (beta == 1.0f) {
      for (std::int64_t i = lo; i < hi; ++i) A[i] += c * G[i];
    } else {
      for (std::int64_t i = lo; i < hi; ++i) A[i] = beta * A[i] + c * G[i];
    }
  });
}

void arena_accumulate_final(const Tensor& acc, Tensor& g, float c) {
  const float* A = acc.data<float>();
  float* G = g.data<float>();
  parallel_chunks(g.numel(), [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t i = lo; i < hi; ++i) G[i] = c * (A[i] + G[i]);
  });
}

void arena_perturb_along(Tensor& w, const Tensor& base, const Tensor& g, float alpha, bool adaptive, float eta) {
  float* W = w.data<float>();
  const float* B = base.data<float>();
  const float* G = g.data<float>();
  parallel_chunks(w.numel(), [&](std::int64_t lo, std::int64_t hi) {
    if (adaptive) {
      for (std::int64_t i = lo; i < hi; ++i) {
        float t = std::fabs(B[i]) + eta;
        W[i] = B[i] + alpha * (t * t * G[i]);
      }
    } else {
      for (std::int64_t i = lo; i < hi; ++i) W[i] = B[i] + alpha * G[i];
    }
  });
}

double arena_sumsq(const Tensor& g, const Tensor& w, bool adaptive, float eta) {
  const float* G = g.data<float>();
  const float* W = adaptive ? w.data<float>() : nullptr;
  const std::int64_t n = g.numel();
  double total = 0.0;
#pragma omp parallel for reduction(+ : total) schedule(static) if (n > 16 * 4 * kChunk)
  for (std::int64_t i = 0; i < n; ++i) {
    double t = adaptive ? (std::fabs(static_cast<double>(W[i])) + eta) * G[i] : G[i];
    total += t * t;
  }
  return total;
}

void arena_sgd(Tensor& w, const Tensor& g, Tensor& buf, const SgdArgs& a, const ArenaRanges& no_decay) {
  float* W = w.data<float>();
  const float* G = g.data<float>();
  float* B = a.momentum != 0.0f ? buf.data<float>() : nullptr;
  parallel_runs(w.numel(), no_decay, [&](std::int64_t lo, std::int64_t hi, bool decay) {
    float dummy = 0.0f;
    for (std::int64_t i = lo; i < hi; ++i) arena_math::sgd(W[i], G[i], B ? B[i] : dummy, a, decay);
  });
}

void arena_adamw(Tensor& w, const Tensor& g, Tensor& m, Tensor& v, Tensor& vmax, const AdamArgs& a,
                 const ArenaRanges& no_decay) {
  float* W = w.data<float>();
  const float* G = g.data<float>();
  float* M = m.data<float>();
  float* V = v.data<float>();
  float* VM = a.amsgrad ? vmax.data<float>() : nullptr;
  const arena_math::AdamScalars s = arena_math::adam_scalars(a);
  parallel_runs(w.numel(), no_decay, [&](std::int64_t lo, std::int64_t hi, bool decay) {
    for (std::int64_t i = lo; i < hi; ++i) arena_math::adam(W[i], G[i], M[i], V[i], VM ? VM + i : nullptr, a, s, decay);
  });
}

}  // namespace basin::kernels::cpu
