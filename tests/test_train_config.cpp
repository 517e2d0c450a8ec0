// Library-level tests of train/: config JSON, run folder, metrics, checkpoint
// format (round trip, checksum, truncation), the BN running-statistics freeze.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "autograd/grad_mode.h"
#include "nn/layers/batchnorm2d.h"
#include "tensor/device.h"
#include "train/bn_freeze.h"
#include "train/checkpoint.h"
#include "train/config.h"
#include "train/run_dir.h"

using namespace basin;
using namespace basin::train;

namespace {

std::string temp_dir(const char* tag) {
  std::string d = std::string("/tmp/basin_test_train_") + tag + "_" + std::to_string(::getpid());
  std::system(("rm -rf " + d).c_str());
  make_dirs(d);
  return d;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(TrainConfig, JsonRoundTripKeepsEverySetting) {
  TrainConfig c;
  c.data = "/some/folder";
  c.model = "resnet34";
  c.hidden = {64, 32, 16};
  c.optimizer = "nso";
  c.lr = 0.125;
  c.sigma = 0.02;
  c.k = 3;
  c.noise = "laplace";
  c.epochs = 7;
  c.seed = 42;
  c.max_steps = 99;
  c.shuffle = false;
  TrainConfig d = config_from_json(nlohmann::json::parse(to_json(c).dump()));
  EXPECT_EQ(to_json(c), to_json(d));
  EXPECT_EQ(d.hidden, (std::vector<std::int64_t>{64, 32, 16}));
  EXPECT_EQ(d.k, 3);
  EXPECT_FALSE(d.shuffle);
}

TEST(TrainConfig, UnknownKeyAndWrongTypeAreNamed) {
  EXPECT_NE(error_of([] { config_from_json({{"lerning_rate", 1}}); }).find("lerning_rate"), std::string::npos);
  EXPECT_NE(error_of([] { config_from_json({{"epochs", "many"}}); }).find("epochs"), std::string::npos);
}

TEST(TrainConfig, ResolveFillsAutoValuesAndValidateRejectsBadOnes) {
  TrainConfig c;
  c.device = "cpu";
  c.resolve();
  EXPECT_EQ(c.model, "mlp");
  EXPECT_DOUBLE_EQ(c.lr.value(), 0.05);
  EXPECT_EQ(c.small_input, "on");
  TrainConfig a;
  a.device = "cpu";
  a.optimizer = "adamw";
  a.resolve();
  EXPECT_DOUBLE_EQ(a.lr.value(), 1e-3);
  TrainConfig bad;
  bad.device = "cpu";
  bad.optimizer = "lbfgs";
  EXPECT_NE(error_of([&] { bad.resolve(); }).find("lbfgs"), std::string::npos);
  TrainConfig neg;
  neg.device = "cpu";
  neg.epochs = 0;
  EXPECT_NE(error_of([&] { neg.resolve(); }).find("--epochs"), std::string::npos);
}

TEST(TrainConfig, ParseWidthsTakesPositiveCommaSeparatedIntegers) {
  EXPECT_EQ(parse_widths("256,128"), (std::vector<std::int64_t>{256, 128}));
  EXPECT_EQ(parse_widths("7"), (std::vector<std::int64_t>{7}));
  EXPECT_TRUE(parse_widths("").empty());  // no hidden layer: a linear classifier
  for (const char* bad : {"0", "-4", "12abc", "a", "16,,8", "1.5"}) {
    std::string err = error_of([&] { parse_widths(bad, "--widths"); });
    EXPECT_NE(err.find("--widths"), std::string::npos) << bad;
    EXPECT_NE(err.find(bad), std::string::npos) << bad;
  }
}

TEST(TrainConfig, AutoRulesResolveTheSameEverywhere) {
  // Small-input stem: Fashion-MNIST, or any image of at most 64 pixels a side.
  EXPECT_EQ(resolve_small_input("auto", "fashion-mnist", 0), "on");
  EXPECT_EQ(resolve_small_input("auto", "fashion-mnist", 224), "on");
  EXPECT_EQ(resolve_small_input("auto", "/data/pets", 0), "off");  // a folder's own size is 224
  EXPECT_EQ(resolve_small_input("auto", "/data/pets", 64), "on");
  EXPECT_EQ(resolve_small_input("auto", "/data/pets", 65), "off");
  EXPECT_EQ(resolve_small_input("auto", "", 32), "on");  // no dataset (basin inspect)
  EXPECT_EQ(resolve_small_input("off", "fashion-mnist", 28), "off");
  EXPECT_EQ(resolve_small_input("on", "/data/pets", 224), "on");
  // TrainConfig::resolve() applies the same rule.
  TrainConfig c;
  c.device = "cpu";
  c.data = "/data/pets";
  c.image_size = 48;
  c.resolve();
  EXPECT_EQ(c.small_input, "on");
  // Device: "auto" follows the hardware, anything else is kept as given.
  EXPECT_EQ(resolve_device("auto"), cuda_available() ? "cuda" : "cpu");
  EXPECT_EQ(resolve_device("cpu"), "cpu");
  EXPECT_EQ(resolve_device("cuda:1"), "cuda:1");
}

TEST(TrainRunDir, TruncateMetricsDropsEpochsToBeRerunAndTornLines) {
  std::string d = temp_dir("metrics");
  RunDir dir{d};
  {
    std::ofstream f(dir.metrics());
    f << "{\"epoch\":1}\n{\"epoch\":2}\n{\"epoch\":3}\n{\"epo";
  }
  truncate_metrics(dir, 2);
  std::ifstream f(dir.metrics());
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(all, "{\"epoch\":1}\n{\"epoch\":2}\n");
}

TEST(TrainRunDir, DefaultNameHasModelAndOptimizer) {
  TrainConfig c;
  c.model = "mlp";
  c.optimizer = "sam";
  std::string p = default_run_dir(c);
  EXPECT_EQ(p.rfind("runs/", 0), 0u);
  EXPECT_NE(p.find("-mlp-sam"), std::string::npos);
}

TEST(TrainMetrics, RunningStatsAreSampleWeighted) {
  RunningStats s;
  s.add(1.0, 3, 4);
  s.add(4.0, 0, 2);
  EXPECT_DOUBLE_EQ(s.loss(), (1.0 * 4 + 4.0 * 2) / 6);
  EXPECT_DOUBLE_EQ(s.accuracy(), 0.5);
}

namespace {

CheckpointState sample_state() {
  CheckpointState s;
  s.model.emplace_back("layers.0.weight", Tensor::from_vector(std::vector<float>{1.5f, -2.0f, 3.25f, 0.0f}, {2, 2}));
  s.model.emplace_back("bn.num_batches_tracked", Tensor::from_vector(std::vector<std::int64_t>{7}, {}));
  s.optimizer.emplace_back("momentum_buffer", Tensor::from_vector(std::vector<float>{0.1f, 0.2f, 0.3f}, {3}));
  s.position.epoch = 2;
  s.position.batch = 17;
  s.position.step = 1234;
  s.position.stats.add(0.75, 10, 16);
  s.position.seconds = 3.5;
  s.position.skipped = 3;
  s.config_json = "{\"epochs\":4}";
  return s;
}

}  // namespace

TEST(TrainCheckpoint, RoundTripIsExact) {
  std::string d = temp_dir("ckpt");
  std::string path = d + "/checkpoint.safetensors";
  save_checkpoint(path, sample_state());
  CheckpointState s = load_checkpoint(path);
  ASSERT_EQ(s.model.size(), 2u);
  EXPECT_EQ(s.model[0].first, "layers.0.weight");
  EXPECT_EQ(s.model[0].second.to_vector(), (std::vector<float>{1.5f, -2.0f, 3.25f, 0.0f}));
  EXPECT_EQ(s.model[1].second.to_int_vector(), (std::vector<std::int64_t>{7}));
  ASSERT_EQ(s.optimizer.size(), 1u);
  EXPECT_EQ(s.optimizer[0].first, "momentum_buffer");
  EXPECT_EQ(s.position.epoch, 2);
  EXPECT_EQ(s.position.batch, 17);
  EXPECT_EQ(s.position.step, 1234);
  EXPECT_DOUBLE_EQ(s.position.stats.loss_sum, 0.75 * 16);
  EXPECT_EQ(s.position.stats.correct, 10);
  EXPECT_EQ(s.position.stats.count, 16);
  EXPECT_EQ(s.position.seconds, 3.5);
  EXPECT_EQ(s.position.skipped, 3);
  EXPECT_EQ(s.config_json, "{\"epochs\":4}");
  // No temporary file is left behind.
  EXPECT_FALSE(path_exists(path + ".tmp." + std::to_string(::getpid())));
}

TEST(TrainCheckpoint, FlippedByteIsAClearErrorNamingTheFile) {
  std::string d = temp_dir("ckpt_corrupt");
  std::string path = d + "/checkpoint.safetensors";
  save_checkpoint(path, sample_state());
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-3, std::ios::end);  // inside the last tensor's bytes
    char ch;
    f.read(&ch, 1);
    ch ^= 0x10;
    f.seekp(-3, std::ios::end);
    f.write(&ch, 1);
  }
  std::string err = error_of([&] { load_checkpoint(path); });
  EXPECT_NE(err.find(path), std::string::npos) << err;
  EXPECT_NE(err.find("corrupt"), std::string::npos) << err;
}

TEST(TrainCheckpoint, TruncatedFileIsAClearErrorNamingTheFile) {
  std::string d = temp_dir("ckpt_trunc");
  std::string path = d + "/checkpoint.safetensors";
  save_checkpoint(path, sample_state());
  ASSERT_EQ(::truncate(path.c_str(), 40), 0);
  std::string err = error_of([&] { load_checkpoint(path); });
  EXPECT_NE(err.find(path), std::string::npos) << err;
}

TEST(TrainBnFreeze, RunningStatisticsStayPutOnlyWhenFrozen) {
  nn::BatchNorm2d bn(3);
  bn.train();
  Tensor x = Tensor::from_vector(std::vector<float>(2 * 3 * 2 * 2, 0.0f), {2, 3, 2, 2});
  {
    std::vector<float> v(24);
    for (int i = 0; i < 24; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i % 7) - 2.5f;
    x = Tensor::from_vector(v, {2, 3, 2, 2});
  }
  auto mean0 = bn.running_mean().to_vector();
  auto var0 = bn.running_var().to_vector();
  Tensor y_frozen;
  {
    RunningStatsFreeze freeze(bn, true);
    y_frozen = bn(x);
  }
  EXPECT_EQ(bn.running_mean().to_vector(), mean0);
  EXPECT_EQ(bn.running_var().to_vector(), var0);
  EXPECT_EQ(bn.num_batches_tracked().to_int_vector()[0], 0);
  Tensor y = bn(x);  // not frozen: same normalization (batch statistics), stats move
  EXPECT_EQ(y.to_vector(), y_frozen.to_vector());
  EXPECT_NE(bn.running_mean().to_vector(), mean0);
  EXPECT_EQ(bn.num_batches_tracked().to_int_vector()[0], 1);
}
