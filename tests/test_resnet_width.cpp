// ResNet --base-width: the parameter count of a width-W ResNet-18 against the
// closed form (which at W = 64 is torchvision's 11,689,512), the stage shapes, and a
// width-W run whose saved weights `basin eval`, `basin hessian` and --resume rebuild
// at the right width from the weights' metadata / config.json alone.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_test_util.h"
#include "nn/models/factory.h"
#include "nn/models/resnet.h"
#include "nn/safetensors.h"
#include "train/saved_model.h"

using namespace basin;
using namespace basin::nn;

namespace {

// Parameters of a ResNet-18 (BasicBlock, [2, 2, 2, 2]) with stage widths W, 2W, 4W,
// 8W, counted layer by layer: convolutions have no bias, a BatchNorm has 2 per
// channel, the head is a Linear with bias.
std::int64_t resnet18_params(std::int64_t w, std::int64_t in_channels, std::int64_t classes, bool small_stem) {
  const std::int64_t k = small_stem ? 3 : 7;
  std::int64_t n = in_channels * w * k * k + 2 * w;  // conv1, bn1
  auto block = [](std::int64_t in, std::int64_t p) { return in * p * 9 + p * p * 9 + 4 * p; };
  n += 2 * block(w, w);  // layer1: no downsample
  for (std::int64_t p = 2 * w; p <= 8 * w; p *= 2)
    n += block(p / 2, p) + (p / 2) * p + 2 * p + block(p, p);  // first block with a 1x1 downsample + BN
  return n + 8 * w * classes + classes;  // fc
}

}  // namespace

TEST(ResNetWidth, ClosedFormIsTorchvisionsAtWidth64) {
  // The formula itself against torchvision's published count (resnet18: 11,689,512).
  EXPECT_EQ(resnet18_params(64, 3, 1000, false), 11689512);
  ModelOptions o;
  EXPECT_EQ(o.base_width, 64);  // the default is unchanged
  EXPECT_EQ(make_model("resnet18", o)->num_parameters(), 11689512);
}

TEST(ResNetWidth, ParameterCountMatchesClosedForm) {
  for (std::int64_t w : {4, 8, 16, 24}) {
    for (bool small : {true, false}) {
      ModelOptions o;
      o.base_width = w;
      o.num_classes = 10;
      o.in_channels = 1;
      o.cifar_stem = small;
      EXPECT_EQ(make_model("resnet18", o)->num_parameters(), resnet18_params(w, 1, 10, small))
          << "width " << w << (small ? " small stem" : " ImageNet stem");
    }
  }
  ModelOptions o;
  o.base_width = 16;
  o.num_classes = 10;
  o.in_channels = 1;
  o.cifar_stem = true;
  EXPECT_EQ(make_model("resnet18", o)->num_parameters(), 701178);  // the closed form, written out
}

TEST(ResNetWidth, StageShapesAndForward) {
  ModelOptions o;
  o.base_width = 16;
  o.num_classes = 5;
  o.in_channels = 1;
  o.cifar_stem = true;
  auto m = resnet18(o);
  auto p = m->named_parameters();
  EXPECT_EQ(p[find_named(p, "conv1.weight")].second.shape(), (Shape{16, 1, 3, 3}));
  EXPECT_EQ(p[find_named(p, "layer2.0.downsample.0.weight")].second.shape(), (Shape{32, 16, 1, 1}));
  EXPECT_EQ(p[find_named(p, "layer4.1.conv2.weight")].second.shape(), (Shape{128, 128, 3, 3}));
  EXPECT_EQ(p[find_named(p, "fc.weight")].second.shape(), (Shape{5, 128}));
  m->eval();
  EXPECT_EQ((*m)(Tensor::zeros({2, 1, 12, 12})).shape(), (Shape{2, 5}));
  ModelOptions bad = o;
  bad.base_width = 0;
  EXPECT_THROW(resnet18(bad), Error);
  // Bottleneck too: ResNet-50's stages are 4W wide at the output.
  ModelOptions r50;
  r50.base_width = 8;
  r50.num_classes = 3;
  auto q = make_model("resnet50", r50)->named_parameters();
  EXPECT_EQ(q[find_named(q, "fc.weight")].second.shape(), (Shape{3, 8 * 8 * 4}));
}

TEST(ResNetWidth, SavedNarrowModelReloadsFromItsMetadata) {
  basin::testing::ScratchDir dir("resnet_width");
  const std::string run = dir.path() + "/run";
  auto t = basin::testing::run_basin("train --model resnet18 --base-width 4 --limit-train 32 --limit-test 16 --batch-size 16 "
                              "--workers 1 --quiet --epochs 1 --max-steps 1 --out '" + run + "'",
                              dir.path());
  ASSERT_EQ(t.status, 0) << t.err;
  const std::string weights = run + "/model.safetensors";
  EXPECT_EQ(load_safetensors(weights).metadata.at("base_width"), "4");
  auto cfg = nlohmann::json::parse(basin::testing::slurp(run + "/config.json"));
  EXPECT_EQ(cfg.at("base_width"), 4);
  // resolve_saved_model reads the width back; a flag still wins.
  EXPECT_EQ(train::resolve_saved_model(weights, "fashion-mnist", {}).config.base_width, 4);
  train::ModelOverrides wide;
  wide.base_width = 8;
  EXPECT_EQ(train::resolve_saved_model(weights, "fashion-mnist", wide).config.base_width, 8);
  // eval and hessian rebuild the width-4 model with no width flag (a width-64 model
  // would not load these weights: strict shapes).
  auto e = basin::testing::run_basin("eval --weights '" + weights + "' --limit 16 --device cpu", dir.path());
  EXPECT_EQ(e.status, 0) << e.err;
  auto h = basin::testing::run_basin("hessian --weights '" + weights + "' --subset 8 --samples 1 --power-iters 1 "
                              "--gap-samples 1 --quiet",
                              dir.path());
  EXPECT_EQ(h.status, 0) << h.err;
  // --resume rebuilds it from config.json and continues.
  auto r = basin::testing::run_basin("train --resume '" + run + "' --epochs 1", dir.path());
  EXPECT_EQ(r.status, 0) << r.err;
}
