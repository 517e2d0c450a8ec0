// Finite-difference HVPs of real models against PyTorch's exact
// torch.autograd.functional.hvp (fixtures: tests/golden/make_hvp_fixtures.py),
// within 1% relative error in norm, through curvature::model_objective.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "curvature/estimators.h"
#include "curvature/model_objective.h"
#include "curvature/vec.h"
#include "kernels/fill_copy.h"
#include "nn/init.h"
#include "nn/layers.h"
#include "nn/models/mlp.h"
#include "nn/safetensors.h"

using namespace basin;
using namespace basin::curvature;

namespace {

std::string fixture_path(const std::string& name) {
  return std::string(BASIN_SOURCE_DIR) + "/tests/golden/" + name + ".safetensors";
}

std::shared_ptr<nn::Module> small_cnn() {
  nn::InitRng rng(0);
  auto s = std::make_shared<nn::Sequential>();
  s->push_back(std::make_shared<nn::Conv2d>(1, 4, 3, 1, 1, true, rng));
  s->push_back(std::make_shared<nn::BatchNorm2d>(4));
  s->push_back(std::make_shared<nn::ReLU>());
  s->push_back(std::make_shared<nn::Conv2d>(4, 6, 3, 2, 1, true, rng));
  s->push_back(std::make_shared<nn::BatchNorm2d>(6));
  s->push_back(std::make_shared<nn::ReLU>());
  s->push_back(std::make_shared<nn::Flatten>());
  s->push_back(std::make_shared<nn::Linear>(96, 10, true, rng));
  return s;
}

std::shared_ptr<nn::Module> tanh_mlp() {
  nn::ModelOptions o;
  o.num_classes = 10;
  o.input_features = 64;
  o.hidden = {24};
  o.activation = "tanh";
  return nn::mlp(o);
}

struct Loaded {
  std::shared_ptr<nn::Module> model;
  Objective f;
  Tensor v, hv_want;
  float loss_want = 0;
};

// Loads weights, batch, v and the exact Hv; v and Hv are laid out in arena order.
Loaded load(const std::string& name, std::shared_ptr<nn::Module> model, Device dev = Device::cpu()) {
  nn::SafetensorsFile file = nn::load_safetensors(fixture_path(name));
  nn::NamedTensors state;
  for (const auto& [k, t] : model->state_dict()) state.push_back({k, file.get(k)});
  model->load_state_dict(state);
  model->finalize_arena(dev);
  Loaded L;
  L.model = model;
  L.f = model_objective(*model, {{file.get("input"), file.get("labels")}});
  const std::int64_t P = L.f.params.numel();
  // Zeros on the arena's alignment padding (the loss ignores it; Hv is 0 there).
  L.v = Tensor::zeros({P}, DType::Float32, dev);
  L.hv_want = Tensor::zeros({P}, DType::Float32, dev);
  for (const auto& s : model->arena().segments()) {
    Tensor dv = L.v.slice(0, s.offset, s.offset + s.numel);
    Tensor dh = L.hv_want.slice(0, s.offset, s.offset + s.numel);
    kernels::copy(file.get("v/" + s.name).reshape({s.numel}), dv);
    kernels::copy(file.get("hv/" + s.name).reshape({s.numel}), dh);
  }
  L.loss_want = file.get("loss").item();
  return L;
}

double rel_err(const Tensor& got, const Tensor& want) {
  std::vector<float> g = got.to_vector(), w = want.to_vector();
  double num = 0, den = 0;
  for (std::size_t i = 0; i < g.size(); ++i) {
    num += (double(g[i]) - w[i]) * (double(g[i]) - w[i]);
    den += double(w[i]) * w[i];
  }
  return std::sqrt(num / den);
}

}  // namespace

TEST(CurvatureGolden, TanhMlpHvpMatchesPyTorch) {
  Loaded L = load("hvp_mlp_tanh", tanh_mlp());
  EXPECT_NEAR(L.f.loss(), L.loss_want, 1e-5 * L.loss_want);
  const std::vector<float> before = L.f.params.to_vector();
  Tensor hv = hvp(L.f, L.v);
  EXPECT_LT(rel_err(hv, L.hv_want), 0.01);
  EXPECT_EQ(L.f.params.to_vector(), before);
}

TEST(CurvatureGolden, CnnWithBatchNormHvpMatchesPyTorch) {
  Loaded L = load("hvp_cnn_bn", small_cnn());
  EXPECT_NEAR(L.f.loss(), L.loss_want, 1e-5 * L.loss_want);  // BN used its running statistics
  EXPECT_TRUE(L.model->is_training());                        // and the mode was restored
  Tensor hv = hvp(L.f, L.v);  // ReLU pattern frozen at W (the default)
  EXPECT_LT(rel_err(hv, L.hv_want), 0.01);
  // Without the frozen pattern, kinks crossed between W - t v and W + t v wreck
  // the difference (measured: 226% error at the default step, see docs/curvature.md).
  HvpOptions free_relu;
  free_relu.freeze_pattern = false;
  EXPECT_GT(rel_err(hvp(L.f, L.v, free_relu), L.hv_want), 0.1);
}

TEST(CurvatureGolden, StepSizeSweepOnTanhMlp) {
  // The error is flat around the default step and grows at both ends (rounding
  // below, truncation above): the default sits in the good range.
  Loaded L = load("hvp_mlp_tanh", tanh_mlp());
  for (double rel : {1e-4, 1e-3, 1e-2}) {
    HvpOptions o;
    o.rel_step = rel;
    EXPECT_LT(rel_err(hvp(L.f, L.v, o), L.hv_want), 0.01) << "rel_step " << rel;
  }
}

TEST(CurvatureGolden, CudaHvpMatchesPyTorch) {
  if (!cuda_available()) GTEST_SKIP() << "no CUDA device: CUDA HVP path not exercised";
  for (const char* name : {"hvp_mlp_tanh", "hvp_cnn_bn"}) {
    Loaded L = load(name, std::string(name) == "hvp_cnn_bn" ? small_cnn() : tanh_mlp(), Device::cuda());
    EXPECT_LT(rel_err(hvp(L.f, L.v), L.hv_want), 0.01) << name;
  }
}
