// The parameter arena's alignment padding (nn/arena.h): every parameter and
// gradient starts 256-byte aligned, the padding stays exactly zero through every
// optimizer family, parameter counts ignore it, optimizer state is saved packed
// (so checkpoints do not depend on it), and curvature estimates are those of the
// packed parameter vector.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>

#include "autograd/ops.h"
#include "curvature/estimators.h"
#include "curvature/model_objective.h"
#include "curvature/report.h"
#include "curvature/vec.h"
#include "kernels/fill_copy.h"
#include "kernels/random.h"
#include "nn/models/mlp.h"
#include "nn/models/resnet.h"
#include "optim/adamw.h"
#include "optim/nso.h"
#include "optim/sam.h"
#include "optim/sgd.h"

using namespace basin;
using namespace basin::nn;
using namespace basin::optim;

namespace {

// Segments of 30, 5, 15 and 3 floats: a gap after each one.
std::shared_ptr<MLP> tiny_mlp(std::uint64_t seed = 7) {
  ModelOptions o;
  o.input_features = 6;
  o.hidden = {5};
  o.num_classes = 3;
  o.seed = seed;
  return mlp(o);
}

bool aligned256(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 256 == 0; }

// The arena elements outside every segment.
std::vector<float> padding_of(const ParameterArena& a, const Tensor& buf) {
  std::vector<float> all = buf.to_vector(), pad;
  std::int64_t pos = 0;
  for (const auto& s : a.segments()) {
    for (std::int64_t i = pos; i < s.offset; ++i) pad.push_back(all[static_cast<size_t>(i)]);
    pos = s.offset + s.numel;
  }
  for (std::int64_t i = pos; i < a.size(); ++i) pad.push_back(all[static_cast<size_t>(i)]);
  return pad;
}

void check_aligned(Module& m) {
  ParameterArena& a = m.finalize_arena(Device::cpu());
  EXPECT_TRUE(aligned256(a.params().raw_data()));
  EXPECT_TRUE(aligned256(a.grads().raw_data()));
  EXPECT_EQ(a.numel(), m.num_parameters());
  EXPECT_EQ(a.params().numel(), a.size());
  EXPECT_EQ(a.size() % kArenaAlign, 0);
  std::int64_t end = 0;
  for (const auto& s : a.segments()) {
    EXPECT_EQ(s.offset % kArenaAlign, 0) << s.name;
    EXPECT_GE(s.offset, end) << s.name;
    EXPECT_LT(s.offset - end, kArenaAlign) << s.name << ": no more padding than needed";
    end = s.offset + s.numel;
  }
  for (const auto& [name, p] : m.named_parameters()) {
    EXPECT_TRUE(aligned256(p.raw_data())) << name;
    EXPECT_TRUE(aligned256(p.grad().raw_data())) << name << ".grad";
  }
  for (float v : padding_of(a, a.params())) ASSERT_EQ(v, 0.0f);
  for (float v : padding_of(a, a.grads())) ASSERT_EQ(v, 0.0f);
}

struct Batch {
  Tensor x, y;
};
Batch batch(std::uint64_t stream) {
  Tensor x = Tensor::empty({8, 6});
  kernels::random_fill(x, kernels::Distribution::Normal, {42, stream}, 0.0f, 1.0f);
  std::vector<std::int64_t> labels;
  for (int i = 0; i < 8; ++i) labels.push_back((i * 5 + static_cast<int>(stream)) % 3);
  return {x, Tensor::from_vector(labels, {8})};
}

using Factory = std::function<std::unique_ptr<Optimizer>(ArenaRef)>;

std::unique_ptr<BaseOptimizer> sgd(ArenaRef r) {
  SgdOptions o;
  o.lr = 0.1;
  o.momentum = 0.9;
  o.weight_decay = 5e-3;
  o.nesterov = true;
  return std::make_unique<SGD>(std::move(r), o);
}

std::vector<std::pair<std::string, Factory>> families() {
  std::vector<std::pair<std::string, Factory>> f;
  f.emplace_back("sgd", [](ArenaRef r) -> std::unique_ptr<Optimizer> { return sgd(std::move(r)); });
  f.emplace_back("adamw-amsgrad", [](ArenaRef r) -> std::unique_ptr<Optimizer> {
    AdamOptions o;
    o.lr = 0.01;
    o.weight_decay = 0.1;
    o.amsgrad = true;
    return std::make_unique<AdamW>(std::move(r), o);
  });
  f.emplace_back("adam-l2", [](ArenaRef r) -> std::unique_ptr<Optimizer> {
    AdamOptions o;
    o.lr = 0.01;
    o.decoupled = false;
    return std::make_unique<AdamW>(std::move(r), o);
  });
  f.emplace_back("nso-k2-clean", [](ArenaRef r) -> std::unique_ptr<Optimizer> {
    NsoOptions o;
    o.sigma = 0.05;
    o.k = 2;
    o.clean_pass = true;
    o.lambda = 0.25;
    o.seed = 3;
    return std::make_unique<NSO>(sgd(std::move(r)), o);
  });
  f.emplace_back("wpsgd-laplace", [](ArenaRef r) -> std::unique_ptr<Optimizer> {
    return make_wpsgd(sgd(std::move(r)), 0.05, 5, kernels::noise::Dist::Laplace);
  });
  for (SamKind k : {SamKind::SAM, SamKind::USAM, SamKind::ASAM, SamKind::RSAM})
    f.emplace_back(sam_kind_name(k), [k](ArenaRef r) -> std::unique_ptr<Optimizer> {
      SamOptions o;
      o.kind = k;
      o.sigma = 0.05;
      o.seed = 9;
      return std::make_unique<SAM>(sgd(std::move(r)), o);
    });
  return f;
}

Closure closure_for(Module& m, const Batch& b) {
  return [&m, b](bool) {
    Tensor loss = cross_entropy(m(b.x), b.y);
    loss.backward();
    return loss.item();
  };
}

}  // namespace

TEST(ArenaPadding, EveryParameterAndGradientIs256ByteAligned) {
  auto m = tiny_mlp();
  check_aligned(*m);
  ModelOptions o;
  o.num_classes = 10;
  auto r = resnet18(o);
  check_aligned(*r);
}

TEST(ArenaPadding, SegmentsKeepValuesAndPaddingIsBetweenThem) {
  auto m = tiny_mlp();
  std::vector<std::vector<float>> before;
  for (auto& [n, t] : m->named_parameters()) before.push_back(t.to_vector());
  ParameterArena& a = m->finalize_arena(Device::cpu());
  ASSERT_EQ(a.segments().size(), 4u);
  const std::int64_t offsets[] = {0, 64, 128, 192};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(a.segments()[i].offset, offsets[i]);
    EXPECT_EQ(a.param_view(a.segments()[i]).to_vector(), before[i]);
  }
  EXPECT_EQ(a.numel(), 30 + 5 + 15 + 3);
  EXPECT_EQ(a.size(), 256);
  EXPECT_EQ(padding_of(a, a.params()).size(), static_cast<size_t>(256 - 53));
}

TEST(ArenaPadding, ResNet34CountsRealParameters) {
  auto m = resnet34();
  ParameterArena& a = m->finalize_arena(Device::cpu());
  EXPECT_EQ(m->num_parameters(), 21797672);
  EXPECT_EQ(a.numel(), 21797672);
  EXPECT_GT(a.size(), a.numel());
  EXPECT_EQ(arena_ref(a).packed_numel(), 21797672);
}

TEST(ArenaPadding, PaddingStaysZeroThroughEveryOptimizerFamily) {
  for (const auto& [name, make] : families()) {
    SCOPED_TRACE(name);
    auto m = tiny_mlp();
    ParameterArena& a = m->finalize_arena(Device::cpu());
    auto opt = make(arena_ref(a));
    for (int step = 0; step < 4; ++step) {
      opt->step(closure_for(*m, batch(static_cast<std::uint64_t>(step))));
      for (float v : padding_of(a, a.params())) ASSERT_EQ(v, 0.0f) << "weights, step " << step;
      for (float v : padding_of(a, a.grads())) ASSERT_EQ(v, 0.0f) << "grads, step " << step;
    }
  }
}

TEST(ArenaPadding, OptimizerStateIsSavedPackedAndRoundTrips) {
  for (const auto& [name, make] : families()) {
    SCOPED_TRACE(name);
    auto ma = tiny_mlp(), mb = tiny_mlp(11);
    ParameterArena& a = ma->finalize_arena(Device::cpu());
    ParameterArena& b = mb->finalize_arena(Device::cpu());
    auto oa = make(arena_ref(a));
    auto ob = make(arena_ref(b));
    for (int s = 0; s < 3; ++s) oa->step(closure_for(*ma, batch(static_cast<std::uint64_t>(s))));
    StateMap state;
    oa->save_state(state, "optim.");
    for (const auto& [k, t] : state) {
      if (t.numel() > 1) {
        EXPECT_EQ(t.numel(), a.numel()) << k << ": saved packed";
      }
    }
    // What a checkpoint holds: weights by name, state packed.
    mb->load_state_dict(ma->state_dict());
    ob->load_state(state, "optim.");
    for (int s = 3; s < 5; ++s) {
      oa->step(closure_for(*ma, batch(static_cast<std::uint64_t>(s))));
      ob->step(closure_for(*mb, batch(static_cast<std::uint64_t>(s))));
    }
    EXPECT_EQ(a.params().to_vector(), b.params().to_vector());
    for (float v : padding_of(b, b.params())) ASSERT_EQ(v, 0.0f);
  }
}

TEST(ArenaPadding, StateOfTheWrongLengthIsRefusedWithItsName) {
  auto m = tiny_mlp();
  ParameterArena& a = m->finalize_arena(Device::cpu());
  auto opt = sgd(arena_ref(a));
  opt->step(closure_for(*m, batch(0)));
  StateMap state;
  opt->save_state(state, "");
  state["momentum_buffer"] = Tensor::zeros({a.size()});  // a padded layout: not what is saved
  try {
    opt->load_state(state, "");
    FAIL() << "a padded-length momentum buffer was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("momentum_buffer"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("53"), std::string::npos) << e.what();
  }
}

TEST(ArenaPadding, RandomDirectionsAreZeroOnPaddingAndPackedInTheBlocks) {
  auto m = tiny_mlp();
  ParameterArena& a = m->finalize_arena(Device::cpu());
  curvature::Objective f = curvature::model_objective(*m, {{batch(0).x, batch(0).y}});
  ASSERT_TRUE(f.padded);
  EXPECT_EQ(curvature::num_parameters(f), 53);
  Tensor v = curvature::random_direction(f, kernels::Distribution::Normal, 5, 2, 0.f, 1.f);
  Tensor packed = Tensor::empty({53});
  kernels::random_fill(packed, kernels::Distribution::Normal, {5, 2}, 0.f, 1.f);
  std::vector<float> pv = packed.to_vector(), vv = v.to_vector(), got;
  for (const auto& s : a.segments())
    for (std::int64_t i = 0; i < s.numel; ++i) got.push_back(vv[static_cast<size_t>(s.offset + i)]);
  EXPECT_EQ(got, pv);
  for (float x : padding_of(a, v)) ASSERT_EQ(x, 0.0f);
}

// The per-tensor Hutchinson traces of the padded arena equal those of the same
// model seen through a packed parameter vector (blocks back to back, no padding),
// built here by hand around the arena.
TEST(ArenaPadding, CurvatureMatchesThePackedParameterVector) {
  auto m = tiny_mlp();
  ParameterArena& a = m->finalize_arena(Device::cpu());
  Batch b = batch(1);
  curvature::Objective padded = curvature::model_objective(*m, {{b.x, b.y}});
  ArenaRef ref = arena_ref(a);

  curvature::Objective packed;
  packed.params = ref.pack(a.params());
  auto push = [&a, &ref, p = packed.params]() mutable { ref.unpack(a.params(), p, "params"); };
  packed.loss = [push, padded]() mutable {
    push();
    return padded.loss();
  };
  packed.loss_and_grad = [push, padded, ref](Tensor& g) mutable {
    push();
    Tensor full = Tensor::empty(padded.params.shape());
    float l = padded.loss_and_grad(full);
    kernels::copy(ref.pack(full), g);
    return l;
  };
  std::int64_t pos = 0;
  for (const auto& s : a.segments()) {
    packed.blocks.push_back({s.name, pos, s.numel});
    pos += s.numel;
  }
  const std::vector<float> w = a.params().to_vector();

  curvature::TraceOptions o;
  o.samples = 20;
  curvature::TraceResult tp = curvature::hutchinson_trace(padded, o);
  EXPECT_EQ(a.params().to_vector(), w) << "estimators restore the weights";
  curvature::TraceResult tq = curvature::hutchinson_trace(packed, o);
  ASSERT_EQ(tp.blocks.size(), tq.blocks.size());
  for (size_t i = 0; i < tp.blocks.size(); ++i) {
    EXPECT_EQ(tp.blocks[i].numel, tq.blocks[i].numel);
    EXPECT_NEAR(tp.blocks[i].trace, tq.blocks[i].trace, 1e-4 * (1 + std::fabs(tq.blocks[i].trace)))
        << tp.blocks[i].name;
  }
  EXPECT_NEAR(tp.trace, tq.trace, 1e-4 * (1 + std::fabs(tq.trace)));
  EXPECT_GT(std::fabs(tq.trace), 0.0);
  push();  // the packed objective's restored W back into the arena

  curvature::HessianOptions ho;
  ho.trace_samples = 2;
  ho.lanczos_steps = 0;
  EXPECT_EQ(curvature::hessian_report(padded, ho).num_params, 53);
}
