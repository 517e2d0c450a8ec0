// The TF32 policy for CUDA convolutions (kernels/conv.h): a scoped guard sets and
// restores it, and curvature's model objective evaluates with it off whatever the
// caller set (observed from inside the model's forward through the getter).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "curvature/model_objective.h"
#include "kernels/conv.h"
#include "nn/init.h"
#include "nn/layers/linear.h"
#include "tests/cli_test_util.h"
#include "train/config.h"

namespace basin {
namespace {

TEST(Tf32Policy, GuardSetsAndRestoresNested) {
  const bool before = kernels::conv_allow_tf32();
  kernels::set_conv_allow_tf32(true);
  {
    kernels::Tf32Guard off;
    EXPECT_FALSE(kernels::conv_allow_tf32());
    {
      kernels::Tf32Guard on(true);
      EXPECT_TRUE(kernels::conv_allow_tf32());
    }
    EXPECT_FALSE(kernels::conv_allow_tf32());
  }
  EXPECT_TRUE(kernels::conv_allow_tf32());
  kernels::set_conv_allow_tf32(before);
}

// A linear layer that notes the TF32 policy each time it runs.
class PolicyProbe : public nn::Module {
 public:
  explicit PolicyProbe(nn::InitRng& rng) : Module("PolicyProbe") {
    fc_ = register_module("fc", std::make_shared<nn::Linear>(3, 2, true, rng));
  }
  Tensor forward(const Tensor& x) override {
    seen.push_back(kernels::conv_allow_tf32());
    return (*fc_)(x);
  }
  std::vector<bool> seen;

 private:
  std::shared_ptr<nn::Linear> fc_;
};

TEST(Tf32Policy, CurvatureObjectiveRunsWithTf32Off) {
  nn::InitRng rng(1);
  PolicyProbe model(rng);
  model.finalize_arena(Device::cpu());
  Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 3, -1, 0, 2}, {2, 3});
  Tensor y = Tensor::from_vector(std::vector<std::int64_t>{0, 1}, {2});
  curvature::Objective f = curvature::model_objective(model, {{x, y}});
  const bool before = kernels::conv_allow_tf32();
  kernels::set_conv_allow_tf32(true);  // training's default
  f.loss();
  Tensor g = Tensor::empty(f.params.shape());
  f.loss_and_grad(g);
  EXPECT_TRUE(kernels::conv_allow_tf32()) << "the caller's policy comes back";
  kernels::set_conv_allow_tf32(before);
  ASSERT_EQ(model.seen.size(), 2u);
  EXPECT_FALSE(model.seen[0]);
  EXPECT_FALSE(model.seen[1]);
}

TEST(Tf32Policy, ConfigRecordsItAndReadsItBack) {
  train::TrainConfig c;
  EXPECT_TRUE(c.tf32);  // PyTorch's default for convolutions
  EXPECT_EQ(train::to_json(c).at("tf32"), true);
  c.tf32 = false;
  EXPECT_FALSE(train::config_from_json(train::to_json(c)).tf32);
  nlohmann::json old = train::to_json(train::TrainConfig{});
  old.erase("tf32");  // a config.json written before the flag
  EXPECT_TRUE(train::config_from_json(old).tf32);
}

TEST(Tf32Policy, TrainFlagTakesOnOrOffAndLandsInConfigJson) {
  basin::testing::ScratchDir dir("tf32_flag");
  const std::string common =
      " --data fashion-mnist --limit-train 64 --limit-test 32 --epochs 1 --hidden 8 --batch-size 32 --workers 1"
      " --device cpu --quiet --out ";
  for (const char* v : {"off", "on"}) {
    std::string out = dir.path() + "/run_" + v;
    basin::testing::CliRun r = basin::testing::run_basin(std::string("train --tf32 ") + v + common + out, dir.path());
    ASSERT_EQ(r.status, 0) << r.err;
    auto cfg = nlohmann::json::parse(basin::testing::slurp(out + "/config.json"));
    EXPECT_EQ(cfg.at("tf32"), std::string(v) == "on") << v;
  }
  basin::testing::CliRun bad = basin::testing::run_basin("train --tf32 maybe" + common + dir.path() + "/bad", dir.path());
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("--tf32"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace basin
