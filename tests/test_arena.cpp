// ParameterArena: one contiguous parameter buffer and one gradient buffer;
// parameters are views; backward accumulates straight into the grad arena.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/ops.h"
#include "nn/layers.h"
#include "nn/models/mlp.h"

using namespace basin;
using namespace basin::nn;

namespace {
std::shared_ptr<MLP> tiny_mlp() {
  ModelOptions o;
  o.input_features = 6;
  o.hidden = {5};
  o.num_classes = 3;
  o.seed = 7;
  return mlp(o);
}
}  // namespace

// Segments in parameter order, each starting at the first aligned element after
// the previous one (tests/test_arena_padding.cpp checks the padding itself).
TEST(Arena, SegmentsCoverParametersInOrder) {
  auto m = tiny_mlp();
  NamedTensors before = m->named_parameters();
  std::vector<std::vector<float>> values;
  for (auto& [n, t] : before) values.push_back(t.to_vector());
  ParameterArena& a = m->finalize_arena(Device::cpu());
  ASSERT_EQ(a.segments().size(), 4u);
  EXPECT_EQ(a.numel(), 6 * 5 + 5 + 5 * 3 + 3);
  EXPECT_EQ(a.params().shape(), Shape{a.size()});
  EXPECT_EQ(a.grads().shape(), Shape{a.size()});
  std::int64_t off = 0;
  for (size_t i = 0; i < a.segments().size(); ++i) {
    const auto& s = a.segments()[i];
    EXPECT_EQ(s.name, before[i].first);
    EXPECT_EQ(s.offset, off);
    EXPECT_EQ(s.is_bias_or_norm, s.shape.size() == 1);
    off = (s.offset + s.numel + kArenaAlign - 1) / kArenaAlign * kArenaAlign;
    const Tensor& p = before[i].second;  // the handle taken before finalize
    EXPECT_TRUE(p.storage() == a.params().storage()) << s.name;
    EXPECT_EQ(p.offset(), s.offset);
    EXPECT_EQ(p.to_vector(), values[i]) << "values preserved: " << s.name;
    EXPECT_TRUE(p.grad().storage() == a.grads().storage());
    EXPECT_TRUE(p.requires_grad());
  }
}

TEST(Arena, BackwardAccumulatesIntoGradArenaAndZeroGradClears) {
  auto m = tiny_mlp();
  ParameterArena& a = m->finalize_arena(Device::cpu());
  Tensor x = Tensor::from_vector(std::vector<float>{0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f}, {1, 6});
  Tensor y = Tensor::from_vector(std::vector<std::int64_t>{2}, {1});
  cross_entropy((*m)(x), y).backward();
  auto g1 = a.grads().to_vector();
  double n1 = 0;
  for (float v : g1) n1 += v * v;
  EXPECT_GT(n1, 0.0);
  cross_entropy((*m)(x), y).backward();  // accumulates: exactly twice
  auto g2 = a.grads().to_vector();
  for (size_t i = 0; i < g1.size(); ++i) EXPECT_NEAR(g2[i], 2 * g1[i], 1e-6f + 1e-5f * std::fabs(g1[i]));
  // A weight change through the arena is seen by the layer.
  Tensor w = m->named_parameters()[0].second;
  a.params().fill_(0.5);
  EXPECT_EQ(w.to_vector()[0], 0.5f);
  m->zero_grad();
  for (float v : a.grads().to_vector()) EXPECT_EQ(v, 0.0f);
}

TEST(Arena, LoadStateDictAfterFinalizeWritesIntoArena) {
  auto a = tiny_mlp(), b = tiny_mlp();
  ParameterArena& arena = b->finalize_arena(Device::cpu());
  a->named_parameters()[0].second.fill_(0.25);
  b->load_state_dict(a->state_dict());
  const std::int64_t bias = arena.segments()[1].offset;
  EXPECT_EQ(arena.params().to_vector()[0], 0.25f);
  EXPECT_EQ(arena.params().to_vector()[29], 0.25f);
  EXPECT_NE(arena.params().to_vector()[static_cast<size_t>(bias)], 0.25f);  // first bias element
}

TEST(Arena, RejectsNonFloatParameters) {
  NamedTensors ps{{"a", Tensor::zeros({2}, DType::Int64)}};
  EXPECT_THROW(ParameterArena(ps, Device::cpu()), Error);
}

TEST(Arena, Cuda) {
  if (!cuda_available()) GTEST_SKIP() << "no CUDA device: arena on CUDA not run";
  auto m = tiny_mlp();
  auto before = m->named_parameters()[2].second.to_vector();
  ParameterArena& a = m->finalize_arena(Device::cuda());
  EXPECT_TRUE(a.params().device().is_cuda());
  EXPECT_TRUE(m->named_parameters()[2].second.device().is_cuda());
  EXPECT_EQ(m->named_parameters()[2].second.to_vector(), before);
}
