// The overlapped gradient all-reduce (dist/overlapped_reducer.h) with a
// recording fake communicator: buckets at parameter boundaries in reverse
// registration order, started in order while backward still runs, each once
// its gradient is complete; unused parameters hold nothing back; a step without
// backward starts everything at finish(); and the result is bitwise the
// reduction after backward (dist/bucketed.h) that it replaces.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <set>

#include "autograd/backward_hooks.h"
#include "autograd/ops.h"
#include "dist/bucketed.h"
#include "dist/overlapped_reducer.h"
#include "kernels/arena.h"
#include "nn/arena.h"
#include "nn/models/factory.h"
#include "nn/models/mlp.h"
#include "train/data_parallel.h"
#include "train/trainer.h"

using namespace basin;
using namespace basin::dist;

namespace {

// Two ranks with the same gradient: a reduction doubles every element (the
// other rank adds its copy: exact in float). Records each asynchronous start.
class RecordingComm final : public Communicator {
 public:
  struct Start {
    std::int64_t begin, numel;          // within the gradient arena
    std::int64_t pending_nodes;         // AccumulateGrad nodes not yet run at the start
    std::vector<float> values;          // the bucket as it was sent
  };
  const OverlappedReducer* reducer = nullptr;
  const float* arena_base = nullptr;
  std::vector<Start> starts;
  std::vector<std::int64_t> waits;  // begins, in wait order

  int rank() const override { return 0; }
  int size() const override { return 2; }
  int local_rank() const override { return 0; }
  std::string backend() const override { return "fake"; }
  void allreduce(Tensor& t, ReduceOp) override {
    float* p = t.data<float>();
    for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = p[i] + p[i];
  }
  std::unique_ptr<PendingReduce> allreduce_async(Tensor& t, ReduceOp op) override {
    const float* p = t.data<float>();
    starts.push_back({p - arena_base, t.numel(), reducer ? reducer->pending_nodes() : -1,
                      std::vector<float>(p, p + t.numel())});
    return std::make_unique<Pending>(*this, t, op);
  }
  void allreduce_sum(double*, int) override {}
  // The other rank's integers, in call order (rows, non-finite flags); none: 0.
  std::vector<std::int64_t> other_ints;
  void allreduce_sum(std::int64_t* v, int n) override {
    for (int i = 0; i < n; ++i) {
      if (other_ints.empty()) break;
      v[i] += other_ints.front();
      other_ints.erase(other_ints.begin());
    }
  }
  void allreduce_max(std::int64_t*, int) override {}
  void broadcast(Tensor&, int) override {}
  void barrier() override {}
  [[noreturn]] void abort(int code) override { std::exit(code); }
  void finalize() override {}
  std::unique_ptr<Communicator> split(bool) override { return nullptr; }

 private:
  class Pending final : public PendingReduce {
   public:
    Pending(RecordingComm& c, Tensor t, ReduceOp op) : c_(c), t_(std::move(t)), op_(op) {}
    void wait() override {
      if (done_) return;
      done_ = true;
      c_.waits.push_back(t_.data<float>() - c_.arena_base);
      c_.allreduce(t_, op_);
    }

   private:
    RecordingComm& c_;
    Tensor t_;
    ReduceOp op_;
    bool done_ = false;
  };
};

std::vector<ReducerParam> reducer_params(nn::ParameterArena& a) {
  std::vector<ReducerParam> p;
  for (std::size_t i = 0; i < a.segments().size(); ++i)
    p.push_back({a.tensors()[i].impl_ptr().get(), a.segments()[i].offset, a.segments()[i].numel});
  return p;
}

std::vector<float> floats(const Tensor& t) { return t.contiguous().to_vector(); }

bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Buckets tile [0, size) back to front, start at parameter offsets (the last at
// 0), hold each parameter once, in reverse registration order, and stay within
// bucket_elems unless one parameter alone is larger.
void expect_bucket_layout(const OverlappedReducer& r, const nn::ParameterArena& a, std::int64_t bucket_elems) {
  const auto& b = r.buckets();
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(b.front().end, a.size());
  EXPECT_EQ(b.back().begin, 0);
  std::set<std::int64_t> offsets;
  for (const auto& s : a.segments()) offsets.insert(s.offset);
  std::vector<int> order;
  for (std::size_t k = 0; k < b.size(); ++k) {
    if (k > 0) {
      EXPECT_EQ(b[k].end, b[k - 1].begin) << "bucket " << k;
    }
    if (k + 1 < b.size()) {
      EXPECT_TRUE(offsets.count(b[k].begin)) << "bucket " << k << " starts inside a parameter";
    }
    EXPECT_TRUE(b[k].end - b[k].begin <= bucket_elems || b[k].params.size() == 1) << "bucket " << k;
    for (int i : b[k].params) {
      const auto& s = a.segments()[static_cast<std::size_t>(i)];
      EXPECT_GE(s.offset, b[k].begin);
      EXPECT_LE(s.offset + s.numel, b[k].end);
      order.push_back(i);
    }
  }
  // Every parameter once, last registered first.
  ASSERT_EQ(order.size(), a.segments().size());
  for (std::size_t j = 0; j < order.size(); ++j) EXPECT_EQ(order[j], static_cast<int>(order.size() - 1 - j));
}

// The local gradient of `loss_of()` (no observer), and the overlapped run's
// starts; then checks the starts against it and the result against the
// reduction after backward with weight `scale`.
template <typename LossFn>
void check_overlap(nn::ParameterArena& a, LossFn loss_of, std::int64_t bucket_elems, float scale,
                   bool expect_during_backward) {
  a.zero_grad();
  loss_of().backward();
  const std::vector<float> local = floats(a.grads());
  // The reference: weight the whole arena, then the bucketed reduction after backward.
  Tensor ref = a.grads().clone();
  RecordingComm plain;
  plain.arena_base = ref.data<float>();
  if (scale != 1.0f) kernels::arena_accumulate(ref, ref, scale, 0.0f);
  allreduce_bucketed(plain, ref, ReduceOp::Sum, bucket_elems);

  RecordingComm comm;
  OverlappedReducer r(comm, a.grads(), reducer_params(a), bucket_elems);
  comm.reducer = &r;
  comm.arena_base = a.grads().data<float>();
  expect_bucket_layout(r, a, bucket_elems);
  ASSERT_GE(r.buckets().size(), 2u) << "the test needs several buckets";
  a.zero_grad();
  r.start_step(scale);
  {
    BackwardObserverGuard g(&r);
    loss_of().backward();
  }
  EXPECT_EQ(backward_observer(), nullptr);
  // All parameters are reached: every bucket started during backward, in order.
  ASSERT_EQ(comm.starts.size(), r.buckets().size());
  EXPECT_EQ(r.pending_nodes(), 0);
  for (std::size_t k = 0; k < comm.starts.size(); ++k) {
    EXPECT_EQ(comm.starts[k].begin, r.buckets()[k].begin) << "start " << k;
    EXPECT_EQ(comm.starts[k].numel, r.buckets()[k].end - r.buckets()[k].begin);
    // Sent complete: the final local gradient, weighted.
    std::vector<float> want(local.begin() + comm.starts[k].begin,
                            local.begin() + comm.starts[k].begin + comm.starts[k].numel);
    for (float& v : want) v = scale == 1.0f ? v : v * scale;
    EXPECT_TRUE(bitwise_equal(comm.starts[k].values, want)) << "bucket " << k << " started before it was complete";
  }
  if (expect_during_backward) {
    // The first bucket went while earlier layers' gradients were still to come.
    EXPECT_GT(comm.starts.front().pending_nodes, 0);
  }
  EXPECT_TRUE(comm.waits.empty());
  r.finish();
  ASSERT_EQ(comm.waits.size(), r.buckets().size());
  for (std::size_t k = 0; k < comm.waits.size(); ++k) EXPECT_EQ(comm.waits[k], r.buckets()[k].begin);
  EXPECT_TRUE(bitwise_equal(floats(a.grads()), floats(ref))) << "overlapped != reduced after backward";
}

std::shared_ptr<nn::Module> small_mlp() {
  nn::ModelOptions o;
  o.input_features = 12;
  o.hidden = {16, 8};
  o.num_classes = 5;
  o.seed = 3;
  return nn::make_model("mlp", o);
}

Tensor batch(std::int64_t n, const Shape& shape, std::uint64_t seed) {
  std::vector<float> v(static_cast<std::size_t>(n));
  std::uint64_t s = seed;
  for (float& x : v) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    x = static_cast<float>((s >> 40) % 2001) / 1000.0f - 1.0f;
  }
  return Tensor::from_vector(v, shape);
}

}  // namespace

TEST(OverlappedReducer, MlpBucketsStartDuringBackwardInReverseOrder) {
  auto m = small_mlp();
  nn::ParameterArena& a = m->finalize_arena(Device::cpu());
  Tensor x = batch(4 * 12, {4, 12}, 1);
  Tensor y = Tensor::from_vector(std::vector<std::int64_t>{0, 3, 1, 4}, {4});
  auto loss = [&] { return cross_entropy((*m)(x), y); };
  check_overlap(a, loss, 150, 1.0f, true);     // several parameters per bucket
  check_overlap(a, loss, 1, 1.0f, true);       // one bucket per parameter
  check_overlap(a, loss, 150, 0.375f, true);   // an uneven shard's weight
}

TEST(OverlappedReducer, ResNetBlocksBucketsStartDuringBackward) {
  nn::ModelOptions o;
  o.in_channels = 1;
  o.num_classes = 3;
  o.base_width = 2;
  o.cifar_stem = true;
  o.seed = 5;
  auto m = nn::make_model("resnet18", o);
  nn::ParameterArena& a = m->finalize_arena(Device::cpu());
  Tensor x = batch(2 * 8 * 8, {2, 1, 8, 8}, 2);
  Tensor y = Tensor::from_vector(std::vector<std::int64_t>{2, 0}, {2});
  auto loss = [&] { return cross_entropy((*m)(x), y); };
  check_overlap(a, loss, 400, 0.5f, true);
}

// A weight used twice has two AccumulateGrad nodes: its bucket waits for both,
// and the bucket after it (complete earlier) waits its turn. An unused
// parameter's bucket does not wait at all.
TEST(OverlappedReducer, SharedWeightWaitsForEveryUseUnusedParameterDoesNot) {
  // Registration order a, w, unused, c: buckets (one parameter each) c, unused, w, a.
  Tensor a0 = batch(3, {3}, 4).set_requires_grad(true), w0 = batch(3, {3}, 5).set_requires_grad(true);
  Tensor u0 = batch(3, {3}, 6).set_requires_grad(true), c0 = batch(3, {3}, 7).set_requires_grad(true);
  nn::ParameterArena arena({{"a", a0}, {"w", w0}, {"unused", u0}, {"c", c0}}, Device::cpu());
  const Tensor& a = arena.tensors()[0];
  const Tensor& w = arena.tensors()[1];
  const Tensor& c = arena.tensors()[3];
  Tensor x = batch(3, {3}, 8);
  // Backward meets c, then w (its second use), then a, then w (its first use).
  auto loss = [&] { return sum(c * (w * (a * (w * x)))); };
  check_overlap(arena, loss, 1, 1.0f, true);

  RecordingComm comm;
  OverlappedReducer r(comm, arena.grads(), reducer_params(arena), 1);
  comm.reducer = &r;
  comm.arena_base = arena.grads().data<float>();
  arena.zero_grad();
  r.start_step(1.0f);
  {
    BackwardObserverGuard g(&r);
    loss().backward();
  }
  ASSERT_EQ(comm.starts.size(), 4u);
  const auto& seg = arena.segments();
  EXPECT_EQ(comm.starts[0].begin, seg[3].offset);  // c
  EXPECT_EQ(comm.starts[1].begin, seg[2].offset);  // unused: at once after c, not at the end
  EXPECT_EQ(comm.starts[2].begin, seg[1].offset);  // w, after both its uses (a was complete before)
  EXPECT_EQ(comm.starts[3].begin, seg[0].offset);  // a
  EXPECT_GT(comm.starts[1].pending_nodes, 0);      // the unused one went while backward still ran
  EXPECT_EQ(comm.starts[2].pending_nodes, 0);      // w's last node was the last one
  r.finish();
}

// No backward this step (an empty shard, a non-finite loss): finish() still
// starts every bucket, in order, so the ranks' collectives pair up.
TEST(OverlappedReducer, StepWithoutBackwardStartsEverythingAtFinish) {
  auto m = small_mlp();
  nn::ParameterArena& a = m->finalize_arena(Device::cpu());
  Tensor g = a.grads();
  kernels::arena_fill(g, 0.5f);
  RecordingComm comm;
  OverlappedReducer r(comm, a.grads(), reducer_params(a), 100);
  comm.arena_base = a.grads().data<float>();
  r.start_step(0.25f);
  EXPECT_TRUE(comm.starts.empty());
  r.finish();
  ASSERT_EQ(comm.starts.size(), r.buckets().size());
  for (std::size_t k = 0; k < comm.starts.size(); ++k) EXPECT_EQ(comm.starts[k].begin, r.buckets()[k].begin);
  for (float v : floats(a.grads())) EXPECT_EQ(v, 0.25f);  // 0.5 * 0.25 on each of two ranks
  // The next step starts afresh.
  r.start_step(1.0f);
  EXPECT_EQ(r.started(), 0);
}

TEST(OverlappedReducer, SecondBackwardInOneStepThrows) {
  Tensor p = batch(4, {4}, 9).set_requires_grad(true);
  nn::ParameterArena arena({{"p", p}}, Device::cpu());
  RecordingComm comm;
  OverlappedReducer r(comm, arena.grads(), reducer_params(arena));
  comm.arena_base = arena.grads().data<float>();
  r.start_step(1.0f);
  BackwardObserverGuard g(&r);
  sum(arena.tensors()[0] * 2.0f).backward();
  EXPECT_THROW(sum(arena.tensors()[0] * 2.0f).backward(), Error);
}

TEST(BackwardObserver, GuardRestoresThePreviousObserver) {
  RecordingComm comm;
  Tensor p = batch(4, {4}, 10).set_requires_grad(true);
  nn::ParameterArena arena({{"p", p}}, Device::cpu());
  OverlappedReducer r1(comm, arena.grads(), reducer_params(arena)), r2(comm, arena.grads(), reducer_params(arena));
  EXPECT_EQ(backward_observer(), nullptr);
  {
    BackwardObserverGuard g1(&r1);
    {
      BackwardObserverGuard g2(&r2);
      EXPECT_EQ(backward_observer(), &r2);
    }
    EXPECT_EQ(backward_observer(), &r1);
  }
  EXPECT_EQ(backward_observer(), nullptr);
}

// The trainer's side (train/data_parallel.h): the step's rows are added up
// first, so each bucket leaves weighted by rows_r / rows; the non-finite check
// reads the reduced gradient and names the parameter; a non-finite loss on this
// rank travels with a small all-reduce and names the rank.
TEST(OverlappedReducer, TrainerStepWeightsRowsAndChecksTheReducedGradient) {
  Tensor p0 = batch(4, {4}, 11).set_requires_grad(true), q0 = batch(3, {3}, 12).set_requires_grad(true);
  nn::ParameterArena arena({{"p", p0}, {"q", q0}}, Device::cpu());
  RecordingComm comm;
  comm.arena_base = arena.grads().data<float>();
  train::DataParallel dp;
  dp.comm = &comm;
  dp.reducer = train::make_overlapped_reducer(dp, arena, 25);
  // This rank 3 rows, the other 5: weight 3/8, then the (doubling) reduction.
  dp.local_rows = 3;
  comm.other_ints = {5};
  train::start_overlapped_step(dp);
  Tensor g = arena.grads();
  kernels::arena_fill(g, 2.0f);
  train::finish_overlapped_sync(dp, arena, " at step 1");
  for (float v : floats(arena.grad_view(arena.segments()[0]))) EXPECT_EQ(v, 2.0f * 0.375f * 2.0f);
  // A NaN reaches the reduced gradient of q: every rank sees it there.
  dp.local_rows = 4;
  comm.other_ints = {4};
  train::start_overlapped_step(dp);
  kernels::arena_fill(g, 1.0f);
  arena.grad_view(arena.segments()[1]).data<float>()[1] = std::nanf("");
  try {
    train::finish_overlapped_sync(dp, arena, " at step 2");
    FAIL() << "no error";
  } catch (const train::NonFiniteLossError& e) {
    EXPECT_NE(std::string(e.what()).find("non-finite gradient of q after the all-reduce at step 2"), std::string::npos)
        << e.what();
  }
  // A non-finite loss here (no backward ran): the buckets still go, then all stop.
  comm.starts.clear();
  dp.local_rows = 4;
  comm.other_ints = {4};
  train::start_overlapped_step(dp);
  kernels::arena_fill(g, 0.0f);
  dp.nonfinite = "non-finite training loss (nan) at step 3";
  EXPECT_THROW(train::finish_overlapped_sync(dp, arena, " at step 3"), train::NonFiniteLossError);
  EXPECT_EQ(comm.starts.size(), dp.reducer->buckets().size());
  // The other rank's non-finite loss stops this one too.
  dp.nonfinite.clear();
  comm.other_ints = {4, 1};
  train::start_overlapped_step(dp);
  try {
    train::finish_overlapped_sync(dp, arena, " at step 4");
    FAIL() << "no error";
  } catch (const train::NonFiniteLossError& e) {
    EXPECT_NE(std::string(e.what()).find("other rank(s) at step 4"), std::string::npos) << e.what();
  }
}
