// CUDA nn ops against the CPU reference: conv2d (cuDNN, TF32 off), max/avg/
// adaptive pooling, batch norm (training and eval, with running stats) and
// dropout, forward and every gradient. Skipped, visibly, without a GPU.
#include <gtest/gtest.h>

#include "autograd/nn_ops.h"
#include "kernels/conv.h"
#include "nn_test_util.h"

namespace basin {
namespace {

using nntest::uniform;

#define REQUIRE_CUDA() \
  if (!cuda_available()) GTEST_SKIP() << "no CUDA device: CUDA nn ops not tested"

// Runs f on CPU leaves and on CUDA copies of them, seeds both backwards with
// the same random gradient, and compares the outputs and every input gradient.
void compare_backends(const std::function<Tensor(const std::vector<Tensor>&)>& f, const std::vector<Tensor>& cpu,
                      double atol, double rtol) {
  std::vector<Tensor> gpu;
  for (const Tensor& t : cpu) {
    if (!t.defined()) {
      gpu.emplace_back();
      continue;
    }
    Tensor g = t.detach().to(Device::cuda());
    if (t.requires_grad()) g.set_requires_grad(true);
    gpu.push_back(g);
  }
  Tensor yc = f(cpu), yg = f(gpu);
  ASSERT_TRUE(yg.device().is_cuda());
  nntest::expect_close(yg.to_vector(), yc.to_vector(), atol, rtol, "output");
  std::vector<float> seed = nntest::uniform_values(yc.numel(), 31);
  yc.backward(Tensor::from_vector(seed, yc.shape()));
  yg.backward(Tensor::from_vector(seed, yc.shape(), Device::cuda()));
  for (size_t i = 0; i < cpu.size(); ++i) {
    if (!cpu[i].defined() || !cpu[i].requires_grad()) continue;
    ASSERT_TRUE(gpu[i].grad().defined()) << "input " << i;
    nntest::expect_close(gpu[i].grad().to_vector(), cpu[i].grad().to_vector(), atol, rtol,
                         ("gradient of input " + std::to_string(i)).c_str());
  }
}

TEST(CudaNnOps, Conv2dMatchesCpu) {
  REQUIRE_CUDA();
  kernels::Tf32Guard exact;  // TF32 off: compared with the CPU at 1e-4
  struct Case { Shape x, w; Conv2dParams p; bool bias; };
  Conv2dParams rect;
  rect.stride_h = 2; rect.stride_w = 3; rect.pad_h = 1; rect.dilation_w = 2;
  for (const Case& c : {Case{{2, 3, 9, 8}, {4, 3, 3, 3}, Conv2dParams::square(1, 1), true},
                        Case{{2, 4, 9, 9}, {6, 2, 3, 3}, Conv2dParams::square(2, 1, 1, 2), false},
                        Case{{2, 4, 8, 7}, {4, 1, 3, 3}, Conv2dParams::square(1, 2, 2, 4), true},
                        Case{{1, 3, 17, 17}, {8, 3, 7, 7}, Conv2dParams::square(2, 3), false},
                        Case{{1, 2, 8, 11}, {3, 2, 2, 3}, rect, true}}) {
    Tensor x = uniform(c.x, 1, true), w = uniform(c.w, 2, true);
    Tensor b = c.bias ? uniform({c.w[0]}, 3, true) : Tensor();
    Conv2dParams p = c.p;
    compare_backends([p](const std::vector<Tensor>& in) { return conv2d(in[0], in[1], in[2], p); }, {x, w, b}, 1e-4,
                     1e-4);
  }
}

TEST(CudaNnOps, PoolingMatchesCpu) {
  REQUIRE_CUDA();
  Pool2dParams ceil = Pool2dParams::square(3, 2, 1, true);
  Pool2dParams dil = Pool2dParams::square(2, 1, 1);
  dil.dilation_h = dil.dilation_w = 2;
  for (const Pool2dParams& p : {Pool2dParams::square(2), ceil, dil}) {
    Tensor x = nntest::distinct({2, 3, 9, 8}, 4);
    compare_backends([p](const std::vector<Tensor>& in) { return max_pool2d(in[0], p); }, {x}, 0.0, 0.0);
  }
  for (bool include_pad : {true, false}) {
    Pool2dParams p = ceil;
    p.count_include_pad = include_pad;
    Tensor x = uniform({2, 3, 9, 8}, 5, true);
    compare_backends([p](const std::vector<Tensor>& in) { return avg_pool2d(in[0], p); }, {x}, 1e-6, 1e-5);
  }
  for (auto [oh, ow] : {std::pair<int, int>{1, 1}, {4, 3}}) {
    Tensor x = uniform({2, 3, 9, 8}, 6, true);
    compare_backends([oh = oh, ow = ow](const std::vector<Tensor>& in) { return adaptive_avg_pool2d(in[0], oh, ow); },
                     {x}, 1e-6, 1e-5);
  }
}

TEST(CudaNnOps, BatchNormMatchesCpuIncludingRunningStats) {
  REQUIRE_CUDA();
  for (bool training : {true, false})
    for (const Shape& s : {Shape{4, 3, 5, 6}, Shape{16, 5}}) {
      std::int64_t C = s[1];
      Tensor rm_c = uniform({C}, 7), rv_c = Tensor::from_vector(nntest::uniform_values(C, 8, 0.5f, 1.5f), {C});
      Tensor rm_g = rm_c.to(Device::cuda()), rv_g = rv_c.to(Device::cuda());
      Tensor x = uniform(s, 9, true), w = uniform({C}, 10, true), b = uniform({C}, 11, true);
      compare_backends(
          [&](const std::vector<Tensor>& in) {
            bool gpu = in[0].device().is_cuda();
            return batch_norm(in[0], gpu ? rm_g : rm_c, gpu ? rv_g : rv_c, in[1], in[2], training, 0.1f, 1e-5f);
          },
          {x, w, b}, 1e-4, 1e-4);
      nntest::expect_close(rm_g.to_vector(), rm_c.to_vector(), 1e-6, 1e-5, "running_mean");
      nntest::expect_close(rv_g.to_vector(), rv_c.to_vector(), 1e-6, 1e-5, "running_var (unbiased)");
    }
}

TEST(CudaNnOps, DropoutMaskMatchesCpu) {
  REQUIRE_CUDA();
  Tensor x = uniform({64, 33}, 12, true);
  compare_backends([](const std::vector<Tensor>& in) { return dropout(in[0], 0.3f, true, {77, 5}); }, {x}, 1e-6,
                   1e-6);
}

}  // namespace
}  // namespace basin
