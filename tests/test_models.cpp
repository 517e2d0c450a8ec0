// Models: torchvision parameter counts and key names, stems, grayscale input,
// MLP naming, the factory, and the layer summary (shapes, params, MACs).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "nn/models/factory.h"
#include "nn/models/mlp.h"
#include "nn/models/resnet.h"
#include "nn/safetensors.h"
#include "nn/summary.h"
#include "nn/weights.h"

using namespace basin;
using namespace basin::nn;

TEST(Models, TorchvisionParameterCounts) {
  ModelOptions o;  // 1000 classes, ImageNet stem
  EXPECT_EQ(make_model("resnet18", o)->num_parameters(), 11689512);
  EXPECT_EQ(make_model("resnet34", o)->num_parameters(), 21797672);
  auto r50 = make_model("resnet50", o);
  EXPECT_EQ(r50->num_parameters(), 25557032);
  EXPECT_EQ(r50->state_dict().size(), 320u);  // len(torchvision resnet50().state_dict())
  auto p = r50->named_parameters();
  EXPECT_EQ(p[find_named(p, "layer1.0.conv3.weight")].second.shape(), (Shape{256, 64, 1, 1}));
  // v1.5: the stride sits on the 3x3 convolution.
  EXPECT_EQ(p[find_named(p, "layer2.0.downsample.0.weight")].second.shape(), (Shape{512, 256, 1, 1}));
}

TEST(Models, StemsAndGrayscale) {
  ModelOptions o;
  o.num_classes = 7;
  o.cifar_stem = true;
  o.in_channels = 1;
  auto m = resnet18(o);
  auto p = m->named_parameters();
  EXPECT_EQ(p[0].second.shape(), (Shape{64, 1, 3, 3}));
  EXPECT_EQ(m->child("maxpool"), nullptr);
  m->eval();
  Tensor y = (*m)(Tensor::zeros({2, 1, 16, 16}));
  EXPECT_EQ(y.shape(), (Shape{2, 7}));
  EXPECT_THROW((*m)(Tensor::zeros({2, 3, 16, 16})), Error);
  ModelOptions im;
  im.num_classes = 4;
  auto r = resnet18(im);
  EXPECT_EQ(r->named_parameters()[0].second.shape(), (Shape{64, 3, 7, 7}));
  EXPECT_NE(r->child("maxpool"), nullptr);
}

TEST(Models, SameSeedSameWeights) {
  ModelOptions o;
  o.num_classes = 10;
  o.cifar_stem = true;
  o.seed = 3;
  auto a = resnet18(o), b = resnet18(o);
  o.seed = 4;
  auto c = resnet18(o);
  EXPECT_EQ(a->named_parameters()[0].second.to_vector(), b->named_parameters()[0].second.to_vector());
  EXPECT_NE(a->named_parameters()[0].second.to_vector(), c->named_parameters()[0].second.to_vector());
}

TEST(Models, MlpNamingAndActivations) {
  ModelOptions o;
  o.input_features = 12;
  o.hidden = {8, 6};
  o.num_classes = 3;
  o.activation = "tanh";
  auto m = make_model("mlp", o);
  std::vector<std::string> names;
  for (auto& [n, t] : m->named_parameters()) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias",
                                             "layers.4.weight", "layers.4.bias"}));
  EXPECT_EQ((*m)(Tensor::zeros({5, 3, 2, 2})).shape(), (Shape{5, 3}));
  EXPECT_THROW((*m)(Tensor::zeros({5, 13})), Error);
  o.activation = "gelu";
  EXPECT_THROW(make_model("mlp", o), Error);
  o.activation = "relu";
  o.input_features = 0;
  EXPECT_THROW(make_model("mlp", o), Error);
  EXPECT_THROW(make_model("vgg16", o), Error);
}

TEST(Models, ZeroInitResidual) {
  ModelOptions o;
  o.num_classes = 10;
  o.zero_init_residual = true;
  auto m = resnet18(o);
  auto p = m->named_parameters();
  for (float v : p[find_named(p, "layer1.0.bn2.weight")].second.to_vector()) EXPECT_EQ(v, 0.f);
  for (float v : p[find_named(p, "layer1.0.bn1.weight")].second.to_vector()) EXPECT_EQ(v, 1.f);
}

TEST(Models, SummaryShapesParamsMacs) {
  ModelOptions o;
  o.num_classes = 10;
  auto m = resnet18(o);
  ModelSummary s = summarize(*m, {1, 3, 224, 224});
  EXPECT_EQ(s.output, (Shape{1, 10}));
  EXPECT_EQ(s.total_params, m->num_parameters());
  std::int64_t params = 0;
  for (auto& r : s.rows)
    if (r.type != "Sequential" && r.type != "BasicBlock") params += r.params;
  EXPECT_EQ(params, s.total_params);
  // torchvision resnet18 at 224x224: 1.814 GMACs (convs + fc) with 1000 classes.
  EXPECT_NEAR(double(s.total_macs), 1.8136e9, 0.002e9);
  auto conv1 = std::find_if(s.rows.begin(), s.rows.end(), [](const SummaryRow& r) { return r.name == "conv1"; });
  ASSERT_NE(conv1, s.rows.end());
  EXPECT_EQ(conv1->output, (Shape{1, 64, 112, 112}));
  EXPECT_EQ(conv1->macs, 64LL * 112 * 112 * 3 * 49);
  EXPECT_TRUE(m->is_training());  // mode restored
  EXPECT_NE(s.str().find("layer4.1.conv2"), std::string::npos);
}

TEST(Models, TrainStepReducesLoss) {
  ModelOptions o;
  o.input_features = 8;
  o.hidden = {16};
  o.num_classes = 2;
  o.seed = 1;
  auto m = make_model("mlp", o);
  ParameterArena& a = m->finalize_arena(Device::cpu());
  std::vector<float> xs;
  std::vector<std::int64_t> ys;
  for (int i = 0; i < 16; ++i) {
    // Separable: feature 0 carries the label, the rest is clutter.
    for (int j = 0; j < 8; ++j) xs.push_back(j == 0 ? (i % 2 ? 1.f : -1.f) : ((i * 7 + j * 3) % 11) / 11.f - 0.5f);
    ys.push_back(i % 2);
  }
  Tensor x = Tensor::from_vector(xs, {16, 8}), y = Tensor::from_vector(ys, {16});
  float first = 0, last = 0;
  for (int step = 0; step < 30; ++step) {
    a.zero_grad();
    Tensor loss = cross_entropy((*m)(x), y);
    loss.backward();
    if (step == 0) first = loss.item();
    last = loss.item();
    NoGradGuard ng;
    Tensor p = a.params();
    p.copy_(sub(a.params(), mul(a.grads(), 0.2f)));  // plain SGD over the arena
  }
  EXPECT_LT(last, 0.5f * first);
}

// The state_dict PyTorch lists for torchvision's ResNets (tests/golden/resnet_keys.json,
// written by tests/golden/make_resnet_keys.py): same keys, same order, same shapes
// and dtypes; and a safetensors file holding exactly those tensors loads strictly.
TEST(Models, StateDictMatchesTorchvisionAndItsFileLoadsStrictly) {
  std::ifstream f(std::string(BASIN_SOURCE_DIR) + "/tests/golden/resnet_keys.json");
  ASSERT_TRUE(f) << "missing tests/golden/resnet_keys.json";
  nlohmann::json spec = nlohmann::json::parse(f);
  for (const auto& [name, keys] : spec["models"].items()) {
    SCOPED_TRACE(name);
    auto model = make_model(name, ModelOptions{});
    NamedTensors sd = model->state_dict();
    ASSERT_EQ(sd.size(), keys.size());
    const bool write_file = name == "resnet34";  // the model the NSO paper fine-tunes; one file keeps this fast
    NamedTensors file;  // what a PyTorch export of this model holds
    for (size_t i = 0; i < keys.size(); ++i) {
      const std::string key = keys[i][0];
      const Shape shape = keys[i][1].get<Shape>();
      const std::string dtype = keys[i][2];
      EXPECT_EQ(sd[i].first, key);
      EXPECT_EQ(sd[i].second.shape(), shape) << key;
      EXPECT_STREQ(dtype_name(sd[i].second.dtype()), dtype.c_str()) << key;
      if (write_file)
        file.emplace_back(key, dtype == "int64" ? Tensor::full(shape, 7.0, DType::Int64) : Tensor::full(shape, 0.25f));
    }
    if (!write_file) continue;
    const std::string path =
        ::testing::TempDir() + "/torchvision_" + name + "_" + std::to_string(::getpid()) + ".safetensors";
    save_safetensors(path, file);
    auto fresh = make_model(name, ModelOptions{});
    LoadReport report = load_weights(*fresh, path);  // strict by default: throws on any mismatch
    EXPECT_TRUE(report.missing.empty() && report.unexpected.empty());
    NamedTensors loaded = fresh->state_dict();
    EXPECT_EQ(loaded[find_named(loaded, "fc.weight")].second.to_vector()[0], 0.25f);
    EXPECT_EQ(loaded[find_named(loaded, "bn1.num_batches_tracked")].second.to_int_vector()[0], 7);
    std::remove(path.c_str());
  }
}
