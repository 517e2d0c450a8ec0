// --sync-bn's composite batch norm (nn/layers/sync_batchnorm.h), in one process:
//   - with the identity sum (one rank) it is the fused batch norm: outputs, input
//     and parameter gradients, running statistics, through BatchNorm2d and the
//     guard; its gradients pass a finite-difference check;
//   - with a sum that doubles (two ranks holding the same shard) it is the fused
//     batch norm of the two shards stacked: the global statistics, the unbiased
//     variance over the global count, and the gradient the stacked batch gives
//     one shard (which needs backward's all-reduce of the gradients).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "autograd/gradcheck.h"
#include "autograd/nn_ops.h"
#include "autograd/ops.h"
#include "nn/layers/batchnorm2d.h"
#include "nn/layers/sync_batchnorm.h"
#include "nn_test_util.h"

namespace basin {
namespace {

using nntest::uniform;

// `ranks` processes that all hold the same values: every sum multiplies by ranks.
class RepeatedSum final : public nn::CrossProcessSum {
 public:
  explicit RepeatedSum(int ranks) : ranks_(ranks) {}
  void sum(Tensor& t) override {
    ++tensor_calls;
    if (ranks_ != 1) t.copy_(t * static_cast<float>(ranks_));
  }
  std::int64_t sum(std::int64_t v) override {
    ++count_calls;
    return v * ranks_;
  }
  int tensor_calls = 0, count_calls = 0;

 private:
  int ranks_;
};

// max |a - b| / max(1, max |b|)
double rel_diff(const Tensor& a, const Tensor& b) {
  std::vector<float> va = a.to_vector(), vb = b.to_vector();
  EXPECT_EQ(va.size(), vb.size());
  double d = 0, m = 1;
  for (std::size_t i = 0; i < va.size() && i < vb.size(); ++i) {
    d = std::max(d, std::fabs(static_cast<double>(va[i]) - vb[i]));
    m = std::max(m, std::fabs(static_cast<double>(vb[i])));
  }
  return d / m;
}

// Scaled, shifted input: normalization has real work to do.
Tensor input(const Shape& s, std::uint32_t seed) {
  Tensor x = uniform(s, seed);
  Tensor y = x * 3.0f + 2.0f;
  Tensor out = y.detach().contiguous();
  out.set_requires_grad(true);
  return out;
}

TEST(SyncBatchNorm, OneRankIsTheFusedBatchNormThroughTheLayer) {
  const Shape s{4, 3, 5, 6};
  Tensor r = uniform(s, 7);  // weights the output: the full Jacobian-vector product
  nn::BatchNorm2d fused(3), synced(3);
  for (nn::BatchNorm2d* bn : {&fused, &synced}) {
    Tensor w = bn->weight(), b = bn->bias();
    NoGradGuard ng;
    w.copy_(uniform({3}, 8));
    b.copy_(uniform({3}, 9));
  }
  Tensor x1 = input(s, 3), x2 = input(s, 3);
  Tensor y1 = fused.forward(x1);
  RepeatedSum one(1);
  Tensor y2;
  {
    nn::BatchNormSyncGuard guard(&one);
    y2 = synced.forward(x2);
  }
  EXPECT_EQ(nn::batchnorm_sync(), nullptr);  // the guard put the old (none) back
  EXPECT_EQ(one.count_calls, 1);
  EXPECT_EQ(one.tensor_calls, 2);  // sum, then the centered sum of squares
  sum(y1 * r).backward();
  sum(y2 * r).backward();
  EXPECT_EQ(one.tensor_calls, 4);  // backward: the same two, of the gradients
  EXPECT_LT(rel_diff(y2, y1), 1e-5);
  EXPECT_LT(rel_diff(x2.grad(), x1.grad()), 1e-5);
  EXPECT_LT(rel_diff(synced.weight().grad(), fused.weight().grad()), 1e-5);
  EXPECT_LT(rel_diff(synced.bias().grad(), fused.bias().grad()), 1e-5);
  EXPECT_LT(rel_diff(synced.running_mean(), fused.running_mean()), 1e-6);
  EXPECT_LT(rel_diff(synced.running_var(), fused.running_var()), 1e-6);
  EXPECT_EQ(synced.num_batches_tracked().to_int_vector(), fused.num_batches_tracked().to_int_vector());
  // The running statistics moved (a test of nothing would pass the above too).
  EXPECT_GT(rel_diff(synced.running_mean(), Tensor::zeros({3})), 0.05);

  // Eval mode ignores the guard: the running statistics, as the fused layer.
  fused.eval();
  synced.eval();
  nn::BatchNormSyncGuard guard(&one);
  const int before = one.tensor_calls;
  EXPECT_LT(rel_diff(synced.forward(x2.detach()), fused.forward(x1.detach())), 1e-6);
  EXPECT_EQ(one.tensor_calls, before);
}

TEST(SyncBatchNorm, TwoRanksWithTheSameShardAreTheStackedBatch) {
  const Shape s{3, 2, 4, 3};
  Tensor x = input(s, 11), w = uniform({2}, 12, true), b = uniform({2}, 13, true);
  Tensor r = uniform(s, 14);
  Tensor rm = Tensor::zeros({2}), rv = Tensor::ones({2});
  RepeatedSum two(2);
  Tensor y = nn::sync_batch_norm(x, rm, rv, w, b, 0.1f, 1e-5f, two);
  // This rank's loss; the other rank's (the same) reaches x through the statistics.
  sum(y * r).backward();

  Tensor xs = input(s, 11), ws = uniform({2}, 12, true), bs = uniform({2}, 13, true);
  Tensor stacked = cat({xs, xs}, 0);
  Tensor rms = Tensor::zeros({2}), rvs = Tensor::ones({2});
  Tensor ys = batch_norm(stacked, rms, rvs, ws, bs, true, 0.1f, 1e-5f);
  sum(ys * cat({r, r}, 0)).backward();

  // The first half of the stacked output and of its input gradient: this rank's.
  std::vector<float> yv = ys.to_vector();
  EXPECT_LT(rel_diff(y, Tensor::from_vector(std::vector<float>(yv.begin(), yv.begin() + x.numel()), s)), 1e-5);
  // xs appears twice in the stack: its gradient is both halves', i.e. twice one
  // rank's. A backward without the all-reduce of the gradients would give the
  // statistics' part half its weight here.
  EXPECT_LT(rel_diff(x.grad() * 2.0f, xs.grad()), 1e-5);
  // Parameter gradients: each rank holds its shard's share; the ranks' sum is the stacked one.
  EXPECT_LT(rel_diff(w.grad() * 2.0f, ws.grad()), 1e-5);
  EXPECT_LT(rel_diff(b.grad() * 2.0f, bs.grad()), 1e-5);
  // Running statistics: the global mean and the unbiased variance over 2 x 36 rows.
  EXPECT_LT(rel_diff(rm, rms), 1e-6);
  EXPECT_LT(rel_diff(rv, rvs), 1e-6);

}

TEST(SyncBatchNorm, GradientsMatchFiniteDifferences) {
  RepeatedSum one(1);
  for (const Shape& s : {Shape{3, 2, 3, 2}, Shape{2, 3, 1, 4}}) {
    SCOPED_TRACE(shape_str(s));
    const std::int64_t c = s[1];
    Tensor x = uniform(s, 21, true), w = uniform({c}, 22, true), b = uniform({c}, 23, true);
    GradcheckResult res = gradcheck(
        [&](const std::vector<Tensor>& in) {
          return nn::sync_batch_norm(in[0], Tensor(), Tensor(), in[1], in[2], 0.1f, 1e-5f, one);
        },
        {x, w, b});
    EXPECT_TRUE(res.ok) << res.message;
  }
}

}  // namespace
}  // namespace basin
