// CPU conv2d: im2col + sgemm. The batch is processed in chunks: the columns of
// all samples of a chunk sit side by side in one [K, chunk * OH * OW] matrix
// (K = C/groups * kh * kw), built by OpenMP threads one sample each, so each
// group needs one large GEMM per chunk (OpenBLAS threads it) instead of N small
// ones called from inside an OpenMP region, which would oversubscribe the cores
// with OpenBLAS's own pthreads. The column buffers are thread_local and only
// grow, so steady-state training does not allocate.
#include <cblas.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/conv.h"

namespace basin::kernels::cpu {

namespace {

using i64 = std::int64_t;

// Cap on the column matrix of one chunk (floats): 16M floats = 64 MiB.
constexpr i64 kMaxColumnFloats = i64{1} << 24;

struct Geom {
  i64 N, C, H, W, O, kh, kw, OH, OW, G, Cg, Og, K, P;
  i64 sh, sw, ph, pw, dh, dw;
  i64 chunk;  // samples per chunk
};

Geom make_geom(const Shape& x, const Shape& w, const Shape& y, const Conv2dParams& p) {
  Geom g{};
  g.N = x[0]; g.C = x[1]; g.H = x[2]; g.W = x[3];
  g.O = w[0]; g.kh = w[2]; g.kw = w[3];
  g.OH = y[2]; g.OW = y[3];
  g.G = p.groups; g.Cg = g.C / g.G; g.Og = g.O / g.G;
  g.K = g.Cg * g.kh * g.kw;
  g.P = g.OH * g.OW;
  g.sh = p.stride_h; g.sw = p.stride_w; g.ph = p.pad_h; g.pw = p.pad_w; g.dh = p.dilation_h; g.dw = p.dilation_w;
  g.chunk = std::max<i64>(1, std::min<i64>(g.N, kMaxColumnFloats / std::max<i64>(1, g.K * g.P)));
  return g;
}

float* buffer(std::vector<float>& v, i64 n) {
  if (static_cast<i64>(v.size()) < n) v.resize(static_cast<size_t>(n));
  return v.data();
}
thread_local std::vector<float> t_col, t_tmp;

// x: one sample's channels of one group [Cg, H, W]; col: rows of K, row stride ld.
void im2col(const float* x, const Geom& g, float* col, i64 ld) {
  for (i64 c = 0; c < g.Cg; ++c)
    for (i64 i = 0; i < g.kh; ++i)
      for (i64 j = 0; j < g.kw; ++j) {
        float* dst = col + ((c * g.kh + i) * g.kw + j) * ld;
        const float* src = x + c * g.H * g.W;
        for (i64 oh = 0; oh < g.OH; ++oh) {
          i64 ih = oh * g.sh - g.ph + i * g.dh;
          float* d = dst + oh * g.OW;
          if (ih < 0 || ih >= g.H) {
            std::fill(d, d + g.OW, 0.0f);
            continue;
          }
          const float* row = src + ih * g.W;
          for (i64 ow = 0; ow < g.OW; ++ow) {
            i64 iw = ow * g.sw - g.pw + j * g.dw;
            d[ow] = (iw >= 0 && iw < g.W) ? row[iw] : 0.0f;
          }
        }
      }
}

// The adjoint of im2col: adds the columns back into gx [Cg, H, W].
void col2im(const float* col, const Geom& g, float* gx, i64 ld) {
  for (i64 c = 0; c < g.Cg; ++c)
    for (i64 i = 0; i < g.kh; ++i)
      for (i64 j = 0; j < g.kw; ++j) {
        const float* srcc = col + ((c * g.kh + i) * g.kw + j) * ld;
        float* dst = gx + c * g.H * g.W;
        for (i64 oh = 0; oh < g.OH; ++oh) {
          i64 ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.H) continue;
          const float* s = srcc + oh * g.OW;
          float* row = dst + ih * g.W;
          for (i64 ow = 0; ow < g.OW; ++ow) {
            i64 iw = ow * g.sw - g.pw + j * g.dw;
            if (iw >= 0 && iw < g.W) row[iw] += s[ow];
          }
        }
      }
}

// Builds the column matrix [K, nb * P] of samples n0..n0+nb-1, group gi.
void build_columns(const float* x, const Geom& g, i64 n0, i64 nb, i64 gi, float* col) {
  i64 ld = nb * g.P;
#pragma omp parallel for schedule(static)
  for (i64 i = 0; i < nb; ++i) im2col(x + ((n0 + i) * g.C + gi * g.Cg) * g.H * g.W, g, col + i * g.P, ld);
}

// Gathers grad_out of samples n0.., group gi into gt [Og, nb * P].
void gather_grad_out(const float* gy, const Geom& g, i64 n0, i64 nb, i64 gi, float* gt) {
  i64 ld = nb * g.P;
#pragma omp parallel for collapse(2) schedule(static)
  for (i64 i = 0; i < nb; ++i)
    for (i64 o = 0; o < g.Og; ++o)
      std::memcpy(gt + o * ld + i * g.P, gy + ((n0 + i) * g.O + gi * g.Og + o) * g.P, sizeof(float) * g.P);
}

// One group of one chunk of the batch: samples n0..n0+nb-1 (ld = nb * P
// columns), with this thread's scratch col [K, ld] and tmp [Og, ld].
struct Chunk {
  i64 n0, nb, ld, gi;
  float* col;
  float* tmp;
};

// Calls body(chunk) for every chunk of the batch and, inside it, every group.
template <typename Body>
void for_each_chunk(const Geom& g, Body body) {
  for (i64 n0 = 0; n0 < g.N; n0 += g.chunk) {
    i64 nb = std::min(g.chunk, g.N - n0), ld = nb * g.P;
    float* col = buffer(t_col, g.K * ld);
    float* tmp = buffer(t_tmp, g.Og * ld);
    for (i64 gi = 0; gi < g.G; ++gi) body(Chunk{n0, nb, ld, gi, col, tmp});
  }
}

}  // namespace

void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& out, const Conv2dParams& p) {
  Geom g = make_geom(x.shape(), w.shape(), out.shape(), p);
  const float* xp = x.data<float>();
  const float* wp = w.data<float>();
  const float* bp = bias.defined() ? bias.data<float>() : nullptr;
  float* yp = out.data<float>();
  for_each_chunk(g, [&](const Chunk& c) {
    const i64 n0 = c.n0, nb = c.nb, ld = c.ld, gi = c.gi;
    build_columns(xp, g, n0, nb, gi, c.col);
    // tmp [Og, nb*P] = W_g [Og, K] @ col [K, nb*P]
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(g.Og), static_cast<int>(ld),
                static_cast<int>(g.K), 1.0f, wp + gi * g.Og * g.K, static_cast<int>(g.K), c.col,
                static_cast<int>(ld), 0.0f, c.tmp, static_cast<int>(ld));
#pragma omp parallel for collapse(2) schedule(static)
    for (i64 i = 0; i < nb; ++i)
      for (i64 o = 0; o < g.Og; ++o) {
        const float* s = c.tmp + o * ld + i * g.P;
        float* d = yp + ((n0 + i) * g.O + gi * g.Og + o) * g.P;
        float b = bp ? bp[gi * g.Og + o] : 0.0f;
        for (i64 q = 0; q < g.P; ++q) d[q] = s[q] + b;
      }
  });
}

void conv2d_backward_input(const Tensor& grad_out, const Tensor& w, Tensor& grad_x, const Conv2dParams& p) {
  Geom g = make_geom(grad_x.shape(), w.shape(), grad_out.shape(), p);
  const float* gy = grad_out.data<float>();
  const float* wp = w.data<float>();
  float* gx = grad_x.data<float>();
  std::memset(gx, 0, sizeof(float) * static_cast<size_t>(grad_x.numel()));
  for_each_chunk(g, [&](const Chunk& c) {
    const i64 n0 = c.n0, nb = c.nb, ld = c.ld, gi = c.gi;
    gather_grad_out(gy, g, n0, nb, gi, c.tmp);
    // col [K, nb*P] = W_g^T [K, Og] @ gt [Og, nb*P]  (gt: grad_out gathered into tmp)
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(g.K), static_cast<int>(ld),
                static_cast<int>(g.Og), 1.0f, wp + gi * g.Og * g.K, static_cast<int>(g.K), c.tmp,
                static_cast<int>(ld), 0.0f, c.col, static_cast<int>(ld));
#pragma omp parallel for schedule(static)
    for (i64 i = 0; i < nb; ++i) col2im(c.col + i * g.P, g, gx + ((n0 + i) * g.C + gi * g.Cg) * g.H * g.W, ld);
  });
}

void conv2d_backward_weight(const Tensor& x, const Tensor& grad_out, Tensor& grad_w, const Conv2dParams& p) {
  Geom g = make_geom(x.shape(), grad_w.shape(), grad_out.shape(), p);
  const float* xp = x.data<float>();
  const float* gy = grad_out.data<float>();
  float* gw = grad_w.data<float>();
  std::memset(gw, 0, sizeof(float) * static_cast<size_t>(grad_w.numel()));
  for_each_chunk(g, [&](const Chunk& c) {
    build_columns(xp, g, c.n0, c.nb, c.gi, c.col);
    gather_grad_out(gy, g, c.n0, c.nb, c.gi, c.tmp);
    // gW_g [Og, K] += gt [Og, nb*P] @ col^T [nb*P, K]  (gt: grad_out gathered into tmp)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(g.Og), static_cast<int>(g.K),
                static_cast<int>(c.ld), 1.0f, c.tmp, static_cast<int>(c.ld), c.col, static_cast<int>(c.ld), 1.0f,
                gw + c.gi * g.Og * g.K, static_cast<int>(g.K));
  });
}

void conv2d_backward_bias(const Tensor& grad_out, Tensor& grad_b) {
  const Shape& s = grad_out.shape();
  i64 N = s[0], O = s[1], P = s[2] * s[3];
  const float* gy = grad_out.data<float>();
  float* gb = grad_b.data<float>();
#pragma omp parallel for schedule(static)
  for (i64 o = 0; o < O; ++o) {
    double acc = 0.0;
    for (i64 n = 0; n < N; ++n) {
      const float* r = gy + (n * O + o) * P;
      for (i64 q = 0; q < P; ++q) acc += r[q];
    }
    gb[o] = static_cast<float>(acc);
  }
}

}  // namespace basin::kernels::cpu
