// Module: nested names, registration order, train/eval, state_dict and
// load_state_dict in strict, non-strict and fine-tuning modes.
#include <gtest/gtest.h>

#include "nn/layers.h"
#include "nn/models/resnet.h"

using namespace basin;
using namespace basin::nn;

namespace {
std::shared_ptr<Sequential> small_net(std::uint64_t seed, std::int64_t classes = 3) {
  InitRng rng(seed);
  auto s = std::make_shared<Sequential>();
  s->push_back(std::make_shared<Conv2d>(2, 4, 3, 1, 1, false, rng));
  s->push_back(std::make_shared<BatchNorm2d>(4));
  s->push_back(std::make_shared<ReLU>());
  s->push_back(std::make_shared<Flatten>());
  s->push_back(std::make_shared<Linear>(4 * 5 * 5, classes, true, rng));
  return s;
}
std::vector<std::string> names(const NamedTensors& ts) {
  std::vector<std::string> out;
  for (auto& [n, t] : ts) out.push_back(n);
  return out;
}
}  // namespace

TEST(Module, NestedNamesInRegistrationOrder) {
  auto net = small_net(1);
  EXPECT_EQ(names(net->named_parameters()),
            (std::vector<std::string>{"0.weight", "1.weight", "1.bias", "4.weight", "4.bias"}));
  EXPECT_EQ(names(net->named_buffers()),
            (std::vector<std::string>{"1.running_mean", "1.running_var", "1.num_batches_tracked"}));
  EXPECT_EQ(net->state_dict().size(), 8u);
  EXPECT_EQ(net->num_parameters(), 4 * 2 * 9 + 4 + 4 + 100 * 3 + 3);
  for (auto& p : net->parameters()) EXPECT_TRUE(p.requires_grad());
}

TEST(Module, ResNetKeysMatchTorchvision) {
  ModelOptions o;
  o.num_classes = 10;
  auto m = resnet18(o);
  auto sd = m->state_dict();
  EXPECT_EQ(sd.size(), 122u);  // len(torchvision.models.resnet18().state_dict())
  EXPECT_EQ(sd.front().first, "conv1.weight");
  EXPECT_GE(find_named(sd, "layer1.0.bn1.running_mean"), 0);
  EXPECT_GE(find_named(sd, "layer2.0.downsample.0.weight"), 0);
  EXPECT_GE(find_named(sd, "layer2.0.downsample.1.num_batches_tracked"), 0);
  EXPECT_LT(find_named(sd, "layer1.0.downsample.0.weight"), 0);
  EXPECT_EQ(sd.back().first, "fc.bias");
  EXPECT_EQ(m->num_parameters(), 11181642);  // torchvision resnet18(num_classes=10)
}

TEST(Module, TrainEvalIsRecursive) {
  auto net = small_net(1);
  net->eval();
  for (auto& [n, m] : net->named_modules()) EXPECT_FALSE(m->is_training()) << n;
  net->train();
  for (auto& [n, m] : net->named_modules()) EXPECT_TRUE(m->is_training()) << n;
}

TEST(Module, DuplicateOrDottedNamesRejected) {
  struct Bad : Module {
    Bad() : Module("Bad") {}
    Tensor forward(const Tensor& x) override { return x; }
    void twice() { register_parameter("w", Tensor::zeros({1})); register_parameter("w", Tensor::zeros({1})); }
    void dotted() { register_buffer("a.b", Tensor::zeros({1})); }
  };
  Bad b;
  EXPECT_THROW(b.twice(), Error);
  EXPECT_THROW(b.dotted(), Error);
}

TEST(Module, StrictLoadCopiesInPlace) {
  auto a = small_net(1), b = small_net(2);
  Tensor w_before = b->named_parameters()[0].second;
  auto rep = b->load_state_dict(a->state_dict());
  EXPECT_TRUE(rep.ok());
  EXPECT_EQ(rep.loaded.size(), 8u);
  EXPECT_TRUE(w_before.same(b->named_parameters()[0].second));  // same tensor, new values
  EXPECT_EQ(w_before.to_vector(), a->named_parameters()[0].second.to_vector());
}

TEST(Module, StrictFailureListsNamesAndLeavesModelUntouched) {
  auto a = small_net(1), b = small_net(2);
  auto before = b->named_parameters()[0].second.to_vector();
  NamedTensors sd = a->state_dict();
  sd.erase(sd.begin() + 1);                        // 1.weight missing
  sd.emplace_back("extra.weight", Tensor::zeros({2}));  // unexpected
  try {
    b->load_state_dict(sd);
    FAIL() << "strict load accepted a bad state";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("1.weight"), std::string::npos) << m;
    EXPECT_NE(m.find("extra.weight"), std::string::npos) << m;
  }
  EXPECT_EQ(b->named_parameters()[0].second.to_vector(), before);
  auto rep = b->load_state_dict(sd, LoadOptions::non_strict());
  EXPECT_EQ(rep.missing, std::vector<std::string>{"1.weight"});
  EXPECT_EQ(rep.unexpected, std::vector<std::string>{"extra.weight"});
  EXPECT_EQ(b->named_parameters()[0].second.to_vector(), a->named_parameters()[0].second.to_vector());
}

TEST(Module, WrongShapeFailsUnlessFineTuning) {
  auto a = small_net(1, 3), b = small_net(2, 5);  // different heads
  EXPECT_THROW(b->load_state_dict(a->state_dict()), Error);
  EXPECT_THROW(b->load_state_dict(a->state_dict(), LoadOptions::non_strict()), Error);
  auto head_before = b->named_parameters()[3].second.to_vector();
  auto rep = b->load_state_dict(a->state_dict(), LoadOptions::fine_tune());
  EXPECT_EQ(rep.skipped.size(), 2u);  // 4.weight, 4.bias
  EXPECT_NE(rep.str().find("4.weight"), std::string::npos);
  EXPECT_EQ(b->named_parameters()[3].second.to_vector(), head_before);
  EXPECT_EQ(b->named_parameters()[0].second.to_vector(), a->named_parameters()[0].second.to_vector());
  // Prefix skipping: the head is neither loaded nor required.
  NamedTensors body = a->state_dict();
  body.erase(body.end() - 2, body.end());
  auto rep2 = b->load_state_dict(body, LoadOptions::fine_tune({"4."}));
  EXPECT_TRUE(rep2.ok());
  EXPECT_EQ(rep2.skipped.size(), 2u);
}

TEST(Module, ToCpuIsNoOpAndCudaFailsCleanlyWithoutDevice) {
  auto net = small_net(1);
  net->to(Device::cpu());
  EXPECT_TRUE(net->device().is_cpu());
  if (!cuda_available()) {
    GTEST_SKIP() << "no CUDA device: Module::to(cuda) not run";
  }
  net->to(Device::cuda());
  for (auto& [n, t] : net->state_dict()) EXPECT_TRUE(t.device().is_cuda()) << n;
  net->to(Device::cpu());
  for (auto& [n, t] : net->state_dict()) EXPECT_TRUE(t.device().is_cpu()) << n;
}
