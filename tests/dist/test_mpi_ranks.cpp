// The collectives from inside a 2-process job: ctest runs
//   mpirun -np 2 basin_dist_tests --gtest_filter=MpiRanks.*
// (cmake/BasinDistTests.cmake); run alone, these tests skip.
#include <gtest/gtest.h>

#include <memory>
#include <numeric>
#include <vector>

#include "data/loader.h"
#include "dist/bucketed.h"
#include "dist/communicator.h"
#include "train/data_parallel.h"

namespace basin {
namespace {

dist::Communicator* two_ranks() {
  if (!dist::launched_by_mpi()) return nullptr;
  dist::Communicator& w = dist::world();
  return w.size() >= 2 ? &w : nullptr;
}

#define NEED_RANKS(c)                                                     \
  dist::Communicator* c = two_ranks();                                    \
  if (!c) GTEST_SKIP() << "run under mpirun -np 2 (ctest does)";

TEST(MpiRanks, BucketedAllreduceSumsEveryElementOnce) {
  NEED_RANKS(c);
  const int n = c->size(), r = c->rank();
  // 1000 elements in buckets of 64 (the last one short), from an offset view.
  Tensor base = Tensor::from_vector(std::vector<float>(1003, -7.0f), {1003});
  Tensor flat = Tensor::make_view(base.storage(), {1000}, {1}, 3, DType::Float32);
  float* p = flat.data<float>();
  for (int i = 0; i < 1000; ++i) p[i] = static_cast<float>(i % 17) * static_cast<float>(r + 1);
  dist::allreduce_bucketed(*c, flat, dist::ReduceOp::Sum, 64);
  const float ranks_sum = static_cast<float>(n * (n + 1) / 2);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(p[i], static_cast<float>(i % 17) * ranks_sum) << i;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(base.data<float>()[i], -7.0f);  // outside the view: untouched
  for (int i = 0; i < 1000; ++i) p[i] = static_cast<float>(r);
  dist::allreduce_bucketed(*c, flat, dist::ReduceOp::Avg, 333);
  for (int i = 0; i < 1000; ++i) ASSERT_FLOAT_EQ(p[i], static_cast<float>(n - 1) / 2.0f) << i;
}

// MPI_Iallreduce: three reductions in flight at once over views of one buffer,
// driven by test() and finished by wait() in start order; Avg scales at wait.
TEST(MpiRanks, AsyncAllreduceInFlightTogether) {
  NEED_RANKS(c);
  const int n = c->size(), r = c->rank();
  Tensor flat = Tensor::from_vector(std::vector<float>(300, 0.0f), {300});
  float* p = flat.data<float>();
  for (int i = 0; i < 300; ++i) p[i] = static_cast<float>(i) + static_cast<float>(r);
  std::vector<std::unique_ptr<dist::PendingReduce>> h;
  for (int b = 0; b < 3; ++b) {
    Tensor v = Tensor::make_view(flat.storage(), {100}, {1}, 100 * b, DType::Float32);
    h.push_back(c->allreduce_async(v, b == 2 ? dist::ReduceOp::Avg : dist::ReduceOp::Sum));
  }
  for (auto& x : h) x->test();
  for (auto& x : h) x->wait();
  EXPECT_TRUE(h[0]->test());
  const float rank_sum = static_cast<float>(n * (n - 1) / 2);
  for (int i = 0; i < 200; ++i) ASSERT_EQ(p[i], static_cast<float>(n * i) + rank_sum) << i;
  for (int i = 200; i < 300; ++i)
    ASSERT_FLOAT_EQ(p[i], (static_cast<float>(n * i) + rank_sum) * (1.0f / static_cast<float>(n))) << i;
}

TEST(MpiRanks, HostValuesAndBroadcast) {
  NEED_RANKS(c);
  const int n = c->size(), r = c->rank();
  std::int64_t v[2] = {r, 10 * r + 1};
  c->allreduce_max(v, 2);
  EXPECT_EQ(v[0], n - 1);
  double d = 0.5 * r;
  c->allreduce_sum(&d, 1);
  EXPECT_DOUBLE_EQ(d, 0.25 * n * (n - 1));
  Tensor t = Tensor::from_vector(std::vector<float>{float(r), float(r) + 1}, {2});
  c->broadcast(t, 1);
  EXPECT_EQ(t.data<float>()[0], 1.0f);
  train::DataParallel dp;
  dp.comm = c;
  EXPECT_EQ(train::broadcast_string(dp, r == 0 ? std::string("runs/20261206-mlp-sgd") : std::string("x")),
            "runs/20261206-mlp-sgd");
  EXPECT_TRUE(train::any_rank(dp, r == n - 1));
  EXPECT_FALSE(train::any_rank(dp, false));
}

TEST(MpiRanks, SplitKeepsTheMembersOnly) {
  NEED_RANKS(c);
  std::unique_ptr<dist::Communicator> sub = c->split(c->rank() != 0);  // everyone but rank 0
  if (c->rank() == 0) {
    EXPECT_EQ(sub, nullptr);
  } else {
    ASSERT_NE(sub, nullptr);
    EXPECT_EQ(sub->size(), c->size() - 1);
    EXPECT_EQ(sub->rank(), c->rank() - 1);
    double v = 1;
    sub->allreduce_sum(&v, 1);
    EXPECT_EQ(v, c->size() - 1);
  }
  c->barrier();
}

}  // namespace
}  // namespace basin
