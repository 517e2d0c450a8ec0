// conv2d forward, backward-data and backward-weights through oneDNN's direct
// convolutions. The primitives are created with format `any`, so oneDNN picks
// its fast blocked layouts (nChw16c on AVX-512); operands are reordered from and
// to basin's plain NCHW / OIHW at the boundary (what PyTorch's ideep does too).
// One cache entry per (shape, parameters, direction).
#include <sstream>

#include "kernels/cpu/onednn/context.h"
#include "kernels/cpu/onednn/onednn.h"
#include "kernels/cpu_kernels.h"

namespace basin::kernels::onednn {

namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

struct Geometry {
  dims src, wei, dst, bias;  // oneDNN dims; wei is [G, O/G, C/G, kh, kw] with groups
  dims strides, dilates, pad_l, pad_r;
  memory::desc src_plain, wei_plain, dst_plain, bias_plain;
};

Geometry geometry(const Shape& x, const Shape& w, const Shape& y, const Conv2dParams& p) {
  Geometry g;
  g.src = dims_of(x);
  g.dst = dims_of(y);
  g.bias = {w[0]};
  if (p.groups > 1)
    g.wei = {p.groups, w[0] / p.groups, w[1], w[2], w[3]};
  else
    g.wei = dims_of(w);
  g.strides = {p.stride_h, p.stride_w};
  g.dilates = {p.dilation_h - 1, p.dilation_w - 1};  // oneDNN counts the gaps
  g.pad_l = {p.pad_h, p.pad_w};
  // The right padding that makes oneDNN's output size basin's (it may be
  // negative: the floor drops input rows at the bottom/right edge).
  auto right = [](std::int64_t in, std::int64_t out, std::int64_t k, int s, int d, int pl) {
    return (out - 1) * s + (k - 1) * d + 1 - in - pl;
  };
  g.pad_r = {right(x[2], y[2], w[2], p.stride_h, p.dilation_h, p.pad_h),
             right(x[3], y[3], w[3], p.stride_w, p.dilation_w, p.pad_w)};
  g.src_plain = plain_desc(g.src);
  g.dst_plain = plain_desc(g.dst);
  g.wei_plain = plain_desc(g.wei);  // abcd = oihw; abcde = goihw
  g.bias_plain = plain_desc(g.bias);
  return g;
}

std::string key(const char* kind, const Shape& x, const Shape& w, const Conv2dParams& p, bool bias) {
  std::ostringstream k;
  k << kind << shape_str(x) << shape_str(w) << p.stride_h << ',' << p.stride_w << ',' << p.pad_h << ','
    << p.pad_w << ',' << p.dilation_h << ',' << p.dilation_w << ',' << p.groups << ',' << bias;
  return k.str();
}

memory::desc any(const dims& d) { return memory::desc(d, dt::f32, tag::any); }

dnnl::convolution_forward::primitive_desc forward_pd(const Geometry& g, bool bias, dnnl::prop_kind kind) {
  dnnl::convolution_forward::desc d =
      bias ? dnnl::convolution_forward::desc(kind, dnnl::algorithm::convolution_direct, any(g.src), any(g.wei),
                                             g.bias_plain, any(g.dst), g.strides, g.dilates, g.pad_l, g.pad_r)
           : dnnl::convolution_forward::desc(kind, dnnl::algorithm::convolution_direct, any(g.src), any(g.wei),
                                             any(g.dst), g.strides, g.dilates, g.pad_l, g.pad_r);
  return dnnl::convolution_forward::primitive_desc(d, user_scratchpad(), engine());
}

struct Forward {
  Geometry g;
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward prim;
};
struct BackwardData {
  Geometry g;
  dnnl::convolution_backward_data::primitive_desc pd;
  dnnl::convolution_backward_data prim;
};
struct BackwardWeights {
  Geometry g;
  dnnl::convolution_backward_weights::primitive_desc pd;
  dnnl::convolution_backward_weights prim;
};

void* ptr(const Tensor& t) { return const_cast<void*>(static_cast<const void*>(t.data<float>())); }

}  // namespace

void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& out, const Conv2dParams& p) {
  count_cpu_fast_kernel_call();
  ScratchScope scope;
  static PrimitiveCache<Forward> cache;
  const bool has_bias = bias.defined();
  const Forward& f = cache.get(key("fwd", x.shape(), w.shape(), p, has_bias), [&] {
    Geometry g = geometry(x.shape(), w.shape(), out.shape(), p);
    // forward_training: the same implementation the backward passes are hinted with.
    auto pd = forward_pd(g, has_bias, dnnl::prop_kind::forward_training);
    return Forward{g, pd, dnnl::convolution_forward(pd)};
  });
  memory src = as_layout(f.pd.src_desc(), f.g.src_plain, ptr(x), Slot::Src, true);
  memory wei = as_layout(f.pd.weights_desc(), f.g.wei_plain, ptr(w), Slot::Weights, true);
  memory dst = as_layout(f.pd.dst_desc(), f.g.dst_plain, out.data<float>(), Slot::Dst, false);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}};
  if (has_bias) args.emplace(DNNL_ARG_BIAS, memory(f.g.bias_plain, engine(), ptr(bias)));
  execute(f.prim, f.pd.scratchpad_desc(), std::move(args));
  copy_out(dst, f.g.dst_plain, out.data<float>());
}

void conv2d_backward_input(const Tensor& grad_out, const Tensor& w, Tensor& grad_x, const Conv2dParams& p) {
  count_cpu_fast_kernel_call();
  ScratchScope scope;
  static PrimitiveCache<BackwardData> cache;
  const BackwardData& b = cache.get(key("bwd_data", grad_x.shape(), w.shape(), p, false), [&] {
    Geometry g = geometry(grad_x.shape(), w.shape(), grad_out.shape(), p);
    auto hint = forward_pd(g, false, dnnl::prop_kind::forward_training);
    dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, any(g.src), any(g.wei),
                                            any(g.dst), g.strides, g.dilates, g.pad_l, g.pad_r);
    dnnl::convolution_backward_data::primitive_desc pd(d, user_scratchpad(), engine(), hint);
    return BackwardData{g, pd, dnnl::convolution_backward_data(pd)};
  });
  memory gy = as_layout(b.pd.diff_dst_desc(), b.g.dst_plain, ptr(grad_out), Slot::Dst, true);
  memory wei = as_layout(b.pd.weights_desc(), b.g.wei_plain, ptr(w), Slot::Weights, true);
  memory gx = as_layout(b.pd.diff_src_desc(), b.g.src_plain, grad_x.data<float>(), Slot::Src, false);
  execute(b.prim, b.pd.scratchpad_desc(),
          {{DNNL_ARG_DIFF_DST, gy}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DIFF_SRC, gx}});
  copy_out(gx, b.g.src_plain, grad_x.data<float>());
}

void conv2d_backward_weight(const Tensor& x, const Tensor& grad_out, Tensor& grad_w, const Conv2dParams& p) {
  count_cpu_fast_kernel_call();
  ScratchScope scope;
  static PrimitiveCache<BackwardWeights> cache;
  const BackwardWeights& b = cache.get(key("bwd_weights", x.shape(), grad_w.shape(), p, false), [&] {
    Geometry g = geometry(x.shape(), grad_w.shape(), grad_out.shape(), p);
    auto hint = forward_pd(g, false, dnnl::prop_kind::forward_training);
    dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, any(g.src), any(g.wei),
                                               any(g.dst), g.strides, g.dilates, g.pad_l, g.pad_r);
    dnnl::convolution_backward_weights::primitive_desc pd(d, user_scratchpad(), engine(), hint);
    return BackwardWeights{g, pd, dnnl::convolution_backward_weights(pd)};
  });
  memory src = as_layout(b.pd.src_desc(), b.g.src_plain, ptr(x), Slot::Src, true);
  memory gy = as_layout(b.pd.diff_dst_desc(), b.g.dst_plain, ptr(grad_out), Slot::Dst, true);
  memory gw = as_layout(b.pd.diff_weights_desc(), b.g.wei_plain, grad_w.data<float>(), Slot::Weights, false);
  execute(b.prim, b.pd.scratchpad_desc(),
          {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, gy}, {DNNL_ARG_DIFF_WEIGHTS, gw}});
  copy_out(gw, b.g.wei_plain, grad_w.data<float>());
}

}  // namespace basin::kernels::onednn
