// CPU pooling, one OpenMP task per (n, c) plane. Mirrors PyTorch's CPU kernels
// (window bounds, divisor, tie and NaN rules) so results agree bit for bit in
// the common cases.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/pool.h"

namespace basin::kernels::cpu {

namespace {
using i64 = std::int64_t;

// Average-pool window of output (oh, ow), clipped to the input, and its divisor.
struct AvgWindow {
  i64 h0, h1, w0, w1;
  float divisor;
};
AvgWindow avg_window(i64 oh, i64 ow, i64 H, i64 W, const Pool2dParams& p) {
  i64 h0 = oh * p.stride_h - p.pad_h, w0 = ow * p.stride_w - p.pad_w;
  i64 h1 = std::min<i64>(h0 + p.kernel_h, H + p.pad_h), w1 = std::min<i64>(w0 + p.kernel_w, W + p.pad_w);
  i64 padded_size = (h1 - h0) * (w1 - w0);
  h0 = std::max<i64>(h0, 0);
  w0 = std::max<i64>(w0, 0);
  h1 = std::min(h1, H);
  w1 = std::min(w1, W);
  i64 size = p.count_include_pad ? padded_size : (h1 - h0) * (w1 - w0);
  return {h0, h1, w0, w1, static_cast<float>(size)};
}

i64 bin_start(i64 i, i64 out, i64 in) { return (i * in) / out; }
i64 bin_end(i64 i, i64 out, i64 in) { return ((i + 1) * in + out - 1) / out; }
}  // namespace

void max_pool2d_forward(const Tensor& x, Tensor& out, Tensor& indices, const Pool2dParams& p) {
  const Shape& xs = x.shape();
  i64 planes = xs[0] * xs[1], H = xs[2], W = xs[3], OH = out.shape()[2], OW = out.shape()[3];
  const float* xp = x.data<float>();
  float* yp = out.data<float>();
  i64* ip = indices.data<i64>();
#pragma omp parallel for schedule(static)
  for (i64 pl = 0; pl < planes; ++pl) {
    const float* src = xp + pl * H * W;
    for (i64 oh = 0; oh < OH; ++oh)
      for (i64 ow = 0; ow < OW; ++ow) {
        i64 hs = oh * p.stride_h - p.pad_h, ws = ow * p.stride_w - p.pad_w;
        float best = -std::numeric_limits<float>::infinity();
        i64 best_i = -1;
        for (i64 kh = 0; kh < p.kernel_h; ++kh) {
          i64 ih = hs + kh * p.dilation_h;
          if (ih < 0 || ih >= H) continue;
          for (i64 kw = 0; kw < p.kernel_w; ++kw) {
            i64 iw = ws + kw * p.dilation_w;
            if (iw < 0 || iw >= W) continue;
            float v = src[ih * W + iw];
            // strict > keeps the first maximum; a NaN always takes over (as PyTorch).
            if (best_i < 0 || v > best || std::isnan(v)) {
              best = v;
              best_i = ih * W + iw;
            }
          }
        }
        i64 o = (pl * OH + oh) * OW + ow;
        yp[o] = best;
        ip[o] = best_i;
      }
  }
}

void max_pool2d_backward(const Tensor& grad_out, const Tensor& indices, Tensor& grad_x, const Pool2dParams&) {
  i64 planes = grad_x.shape()[0] * grad_x.shape()[1], HW = grad_x.shape()[2] * grad_x.shape()[3];
  i64 OHW = grad_out.shape()[2] * grad_out.shape()[3];
  const float* gy = grad_out.data<float>();
  const i64* ip = indices.data<i64>();
  float* gx = grad_x.data<float>();
#pragma omp parallel for schedule(static)
  for (i64 pl = 0; pl < planes; ++pl) {
    float* dst = gx + pl * HW;
    std::memset(dst, 0, sizeof(float) * static_cast<size_t>(HW));
    for (i64 o = 0; o < OHW; ++o) {
      i64 idx = ip[pl * OHW + o];
      if (idx >= 0 && idx < HW) dst[idx] += gy[pl * OHW + o];
    }
  }
}

// Average pooling and adaptive average pooling differ only in where each
// output's window lies; the loops are shared and take the window rule.
namespace {
template <class WindowOf>
void average_forward(const Tensor& x, Tensor& out, WindowOf window_of) {
  i64 planes = x.shape()[0] * x.shape()[1], H = x.shape()[2], W = x.shape()[3];
  i64 OH = out.shape()[2], OW = out.shape()[3];
  const float* xp = x.data<float>();
  float* yp = out.data<float>();
#pragma omp parallel for schedule(static)
  for (i64 pl = 0; pl < planes; ++pl) {
    const float* src = xp + pl * H * W;
    for (i64 oh = 0; oh < OH; ++oh)
      for (i64 ow = 0; ow < OW; ++ow) {
        AvgWindow win = window_of(oh, ow, OH, OW, H, W);
        float acc = 0.0f;
        for (i64 ih = win.h0; ih < win.h1; ++ih)
          for (i64 iw = win.w0; iw < win.w1; ++iw) acc += src[ih * W + iw];
        yp[(pl * OH + oh) * OW + ow] = (win.h0 < win.h1 && win.w0 < win.w1) ? acc / win.divisor : 0.0f;
      }
  }
}

template <class WindowOf>
void average_backward(const Tensor& grad_out, Tensor& grad_x, WindowOf window_of) {
  i64 planes = grad_x.shape()[0] * grad_x.shape()[1], H = grad_x.shape()[2], W = grad_x.shape()[3];
  i64 OH = grad_out.shape()[2], OW = grad_out.shape()[3];
  const float* gy = grad_out.data<float>();
  float* gx = grad_x.data<float>();
#pragma omp parallel for schedule(static)
  for (i64 pl = 0; pl < planes; ++pl) {
    float* dst = gx + pl * H * W;
    std::memset(dst, 0, sizeof(float) * static_cast<size_t>(H * W));
    for (i64 oh = 0; oh < OH; ++oh)
      for (i64 ow = 0; ow < OW; ++ow) {
        AvgWindow win = window_of(oh, ow, OH, OW, H, W);
        float g = gy[(pl * OH + oh) * OW + ow] / win.divisor;
        for (i64 ih = win.h0; ih < win.h1; ++ih)
          for (i64 iw = win.w0; iw < win.w1; ++iw) dst[ih * W + iw] += g;
      }
  }
}

// Adaptive pooling's bins: [floor(i*in/out), ceil((i+1)*in/out)), as PyTorch.
AvgWindow adaptive_window(i64 oh, i64 ow, i64 OH, i64 OW, i64 H, i64 W) {
  i64 h0 = bin_start(oh, OH, H), h1 = bin_end(oh, OH, H);
  i64 w0 = bin_start(ow, OW, W), w1 = bin_end(ow, OW, W);
  return {h0, h1, w0, w1, static_cast<float>((h1 - h0) * (w1 - w0))};
}
}  // namespace

void avg_pool2d_forward(const Tensor& x, Tensor& out, const Pool2dParams& p) {
  average_forward(x, out, [&p](i64 oh, i64 ow, i64, i64, i64 H, i64 W) { return avg_window(oh, ow, H, W, p); });
}

void avg_pool2d_backward(const Tensor& grad_out, Tensor& grad_x, const Pool2dParams& p) {
  average_backward(grad_out, grad_x,
                   [&p](i64 oh, i64 ow, i64, i64, i64 H, i64 W) { return avg_window(oh, ow, H, W, p); });
}

void adaptive_avg_pool2d_forward(const Tensor& x, Tensor& out) { average_forward(x, out, adaptive_window); }

void adaptive_avg_pool2d_backward(const Tensor& grad_out, Tensor& grad_x) {
  average_backward(grad_out, grad_x, adaptive_window);
}

}  // namespace basin::kernels::cpu
