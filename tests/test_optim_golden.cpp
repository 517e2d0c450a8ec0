// SGD and Adam/AdamW on the arena against torch.optim (fixtures written by
// tests/golden/make_optim_fixtures.py with PyTorch 1.13): every option
// combination, parameter groups without weight decay on biases and norm
// scales, five steps each.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "optim/adamw.h"
#include "optim/sgd.h"

using namespace basin;
using namespace basin::optim;

namespace {

nlohmann::json load_fixtures() {
  std::ifstream f(std::string(BASIN_SOURCE_DIR) + "/tests/golden/optim_fixtures.json");
  EXPECT_TRUE(f.good()) << "missing tests/golden/optim_fixtures.json";
  return nlohmann::json::parse(f);
}

Tensor flat(const std::vector<float>& v) { return Tensor::from_vector(v, {static_cast<std::int64_t>(v.size())}); }

// Mimics the nn arena's segment list for the adapter.
struct FakeArena {
  struct Seg {
    std::string name;
    std::int64_t offset, numel;
    bool is_bias_or_norm;
  };
  Tensor p, g;
  std::vector<Seg> segs;
  int zeroed = 0;
  Tensor& params() { return p; }
  Tensor& grads() { return g; }
  const std::vector<Seg>& segments() const { return segs; }
  void zero_grad() { ++zeroed; }
};

void run_case(const nlohmann::json& c) {
  SCOPED_TRACE(c["name"].get<std::string>());
  FakeArena arena;
  arena.p = flat(c["params0"].get<std::vector<float>>());
  arena.g = Tensor::zeros({arena.p.numel()});
  for (const auto& s : c["segments"])
    arena.segs.push_back({s["name"], s["offset"], s["numel"], s["is_bias_or_norm"]});
  const bool nd = c["no_decay_bias"];
  ArenaRef ref = arena_ref(arena, /*decay_bias_and_norm=*/!nd);
  if (nd) {
    EXPECT_EQ(ref.no_decay.size(), 1u);  // bias and bn.weight are adjacent: merged into one range
  } else {
    EXPECT_TRUE(ref.no_decay.empty());
  }
  const auto& o = c["options"];
  std::unique_ptr<BaseOptimizer> opt;
  const std::string kind = c["optimizer"];
  if (kind == "sgd") {
    SgdOptions so;
    so.lr = o["lr"];
    so.momentum = o["momentum"];
    so.dampening = o["dampening"];
    so.nesterov = o["nesterov"];
    so.weight_decay = o["weight_decay"];
    opt = std::make_unique<SGD>(ref, so);
  } else {
    AdamOptions ao;
    ao.lr = o["lr"];
    ao.beta1 = o["betas"][0];
    ao.beta2 = o["betas"][1];
    ao.eps = o["eps"];
    ao.weight_decay = o["weight_decay"];
    ao.amsgrad = o["amsgrad"];
    ao.decoupled = kind == "adamw";
    opt = std::make_unique<AdamW>(ref, ao);
  }
  const auto& grads = c["grads"];
  for (size_t t = 0; t < grads.size(); ++t) {
    std::vector<float> g = grads[t].get<std::vector<float>>();
    float loss = opt->step([&](bool) {
      std::copy(g.begin(), g.end(), arena.g.data<float>());
      return 0.0f;
    });
    (void)loss;
    std::vector<float> want = c["params"][t].get<std::vector<float>>();
    const float* got = arena.p.data<float>();
    for (size_t i = 0; i < want.size(); ++i)
      ASSERT_NEAR(got[i], want[i], 2e-6f + 2e-6f * std::fabs(want[i])) << "step " << t + 1 << " element " << i;
  }
  EXPECT_EQ(arena.zeroed, static_cast<int>(grads.size()));  // the optimizer zeroes grads through the arena
  EXPECT_EQ(opt->steps(), static_cast<std::int64_t>(grads.size()));
}

}  // namespace

TEST(OptimGolden, SgdMatchesPyTorch) {
  auto fx = load_fixtures();
  int n = 0;
  for (const auto& c : fx["cases"])
    if (c["optimizer"] == "sgd") {
      run_case(c);
      ++n;
    }
  EXPECT_EQ(n, 12);
}

TEST(OptimGolden, AdamAndAdamWMatchPyTorch) {
  auto fx = load_fixtures();
  int n = 0;
  for (const auto& c : fx["cases"])
    if (c["optimizer"] != "sgd") {
      run_case(c);
      ++n;
    }
  EXPECT_EQ(n, 12);
}
