// Batch norm forward and backward through oneDNN on basin's plain layout
// (x [N, C, ...] contiguous, no reorders). oneDNN returns the batch mean and
// biased variance; save_invstd and the running statistics (unbiased variance,
// PyTorch's rule) are derived here exactly as the reference kernel does
// (kernels/cpu/batchnorm.cpp). The backward takes the variance back from
// save_invstd (var = 1 / invstd^2 - eps).
#include <cmath>
#include <sstream>
#include <vector>

#include "kernels/cpu/onednn/context.h"
#include "kernels/cpu/onednn/onednn.h"
#include "kernels/cpu_kernels.h"

namespace basin::kernels::onednn {

namespace {

using dnnl::memory;
using flags = dnnl::normalization_flags;

struct Forward {
  memory::desc data, stat;
  dnnl::batch_normalization_forward::primitive_desc pd;
  dnnl::batch_normalization_forward prim;
};
struct Backward {
  memory::desc data, stat;
  dnnl::batch_normalization_backward::primitive_desc pd;
  dnnl::batch_normalization_backward prim;
};

flags bn_flags(bool training) {
  flags f = flags::use_scale | flags::use_shift;
  return training ? f : (f | flags::use_global_stats);
}

dnnl::batch_normalization_forward::primitive_desc forward_pd(const memory::desc& data, bool training, float eps) {
  dnnl::batch_normalization_forward::desc d(
      training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference, data, eps,
      bn_flags(training));
  return dnnl::batch_normalization_forward::primitive_desc(d, user_scratchpad(), engine());
}

std::string key(const char* kind, const Tensor& x, bool training, float eps) {
  std::ostringstream k;
  k.precision(9);
  k << kind << shape_str(x.shape()) << training << ',' << eps;
  return k.str();
}

void* ptr(const Tensor& t) { return const_cast<void*>(static_cast<const void*>(t.data<float>())); }

}  // namespace

bool batch_norm_supported(const Tensor& x) { return x.dim() >= 2 && x.dim() <= 5; }

void batch_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                        Tensor& running_var, bool training, float momentum, float eps, Tensor& out,
                        Tensor& save_mean, Tensor& save_invstd) {
  count_cpu_fast_kernel_call();
  static PrimitiveCache<Forward> cache;
  const Forward& f = cache.get(key("fwd", x, training, eps), [&] {
    memory::desc data = plain_desc(dims_of(x.shape()));
    memory::desc stat = plain_desc({x.shape()[1]});
    auto pd = forward_pd(data, training, eps);
    return Forward{data, stat, pd, dnnl::batch_normalization_forward(pd)};
  });
  const std::int64_t C = x.shape()[1];
  float* sm = save_mean.data<float>();
  float* si = save_invstd.data<float>();
  std::vector<float> var(static_cast<size_t>(C));
  if (!training) {  // normalize with the running statistics
    std::copy(running_mean.data<float>(), running_mean.data<float>() + C, sm);
    std::copy(running_var.data<float>(), running_var.data<float>() + C, var.begin());
  }
  execute(f.prim, f.pd.scratchpad_desc(),
          {{DNNL_ARG_SRC, memory(f.data, engine(), ptr(x))},
           {DNNL_ARG_DST, memory(f.data, engine(), out.data<float>())},
           {DNNL_ARG_SCALE, memory(f.stat, engine(), ptr(weight))},
           {DNNL_ARG_SHIFT, memory(f.stat, engine(), ptr(bias))},
           {DNNL_ARG_MEAN, memory(f.stat, engine(), sm)},
           {DNNL_ARG_VARIANCE, memory(f.stat, engine(), var.data())}});
  const double M = static_cast<double>(x.numel() / C);
  float* rm = running_mean.defined() ? running_mean.data<float>() : nullptr;
  float* rv = running_var.defined() ? running_var.data<float>() : nullptr;
  for (std::int64_t c = 0; c < C; ++c) {
    const double v = var[static_cast<size_t>(c)];
    if (training && rm) {
      rm[c] = static_cast<float>((1.0 - momentum) * rm[c] + momentum * static_cast<double>(sm[c]));
      rv[c] = static_cast<float>((1.0 - momentum) * rv[c] + momentum * v * M / (M - 1.0));
    }
    si[c] = static_cast<float>(1.0 / std::sqrt(v + static_cast<double>(eps)));
  }
}

void batch_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight, const Tensor& save_mean,
                         const Tensor& save_invstd, bool training, float eps, Tensor& grad_x, Tensor& grad_weight,
                         Tensor& grad_bias) {
  count_cpu_fast_kernel_call();
  static PrimitiveCache<Backward> cache;
  const Backward& b = cache.get(key("bwd", x, training, eps), [&] {
    memory::desc data = plain_desc(dims_of(x.shape()));
    memory::desc stat = plain_desc({x.shape()[1]});
    auto hint = forward_pd(data, true, eps);
    dnnl::batch_normalization_backward::desc d(dnnl::prop_kind::backward, data, data, eps, bn_flags(training));
    dnnl::batch_normalization_backward::primitive_desc pd(d, user_scratchpad(), engine(), hint);
    return Backward{data, stat, pd, dnnl::batch_normalization_backward(pd)};
  });
  const std::int64_t C = x.shape()[1];
  const float* si = save_invstd.data<float>();
  std::vector<float> var(static_cast<size_t>(C));
  for (std::int64_t c = 0; c < C; ++c)
    var[static_cast<size_t>(c)] =
        static_cast<float>(1.0 / (static_cast<double>(si[c]) * si[c]) - static_cast<double>(eps));
  std::vector<float> zeros(static_cast<size_t>(C), 0.0f);
  execute(b.prim, b.pd.scratchpad_desc(),
          {{DNNL_ARG_SRC, memory(b.data, engine(), ptr(x))},
           {DNNL_ARG_DIFF_DST, memory(b.data, engine(), ptr(grad_out))},
           {DNNL_ARG_MEAN, memory(b.stat, engine(), ptr(save_mean))},
           {DNNL_ARG_VARIANCE, memory(b.stat, engine(), var.data())},
           {DNNL_ARG_SCALE, memory(b.stat, engine(), ptr(weight))},
           // oneDNN 2.6 requires the shift as an input of the backward with
           // use_shift, though no gradient depends on it: zeros.
           {DNNL_ARG_SHIFT, memory(b.stat, engine(), zeros.data())},
           {DNNL_ARG_DIFF_SRC, memory(b.data, engine(), grad_x.data<float>())},
           {DNNL_ARG_DIFF_SCALE, memory(b.stat, engine(), grad_weight.data<float>())},
           {DNNL_ARG_DIFF_SHIFT, memory(b.stat, engine(), grad_bias.data<float>())}});
}

}  // namespace basin::kernels::onednn
