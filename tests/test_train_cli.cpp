// End-to-end tests of `basin train | eval | data | inspect`: they run the built
// binary (BASIN_BINARY_DIR/basin) on tiny data: a 96-image PNG folder exported
// from Fashion-MNIST once per test binary, or the first few hundred Fashion-MNIST
// images (--limit-train / --limit-test).
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "data/open_dataset.h"
#include "tests/cli_tiny_folder.h"
#include "nn/models/factory.h"
#include "nn/weights.h"
#include "tests/cli_test_util.h"
#include "train/subset_dataset.h"

using namespace basin;

namespace {

using basin::testing::CliRun;
using basin::testing::slurp;
const std::string& kBasin = basin::testing::basin_binary();

// One scratch folder per test binary, removed when it exits.
std::string tmp_root() {
  static basin::testing::ScratchDir dir("train_cli");
  return dir.path();
}

CliRun run_basin(const std::string& args) { return basin::testing::run_basin(args, tmp_root()); }

// A tiny image folder (train/ and test/, 48 PNGs each, 10 classes) made once.
const std::string& tiny_folder() {
  static const std::string dir = basin::testing::make_tiny_image_folder(tmp_root() + "/tiny");
  return dir;
}

// Fast settings on the tiny folder: 8x8 RGB images, a small MLP.
std::string tiny_args(const std::string& out) {
  return "--data " + tiny_folder() + " --image-size 8 --hidden 16 --batch-size 16 --workers 1 --quiet --out " + out;
}

nlohmann::json last_json_line(const std::string& s) {
  std::istringstream is(s);
  std::string line, last;
  while (std::getline(is, line))
    if (!line.empty() && line[0] == '{') last = line;
  return nlohmann::json::parse(last);
}

std::vector<nlohmann::json> metrics(const std::string& run) {
  std::vector<nlohmann::json> v;
  std::istringstream is(slurp(run + "/metrics.jsonl"));
  std::string line;
  while (std::getline(is, line))
    if (!line.empty()) v.push_back(nlohmann::json::parse(line));
  return v;
}

}  // namespace

TEST(TrainCli, HelpExplainsEveryFlag) {
  CliRun r = run_basin("train --help");
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* flag : {"--data", "--model", "--hidden", "--small-input", "--optimizer", "--sigma", "--k", "--rho",
                           "--noise", "--lr", "--momentum", "--weight-decay", "--schedule", "--epochs", "--batch-size",
                           "--label-smoothing", "--seed", "--device", "--workers", "--augment", "--image-size",
                           "--eval-resize", "--init", "--out", "--resume", "--max-steps", "--no-shuffle", "--json"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
}

TEST(TrainCli, FashionMnistSubsetWritesTheRunFolder) {
  std::string out = tmp_root() + "/fm";
  CliRun r = run_basin("train --limit-train 512 --limit-test 256 --epochs 2 --hidden 64,32 --batch-size 32 --quiet --json --out " + out);
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = last_json_line(r.out);
  EXPECT_EQ(j["run_dir"], out);
  EXPECT_EQ(j["epochs"], 2);
  EXPECT_GT(j["test_acc"].get<double>(), 0.5);  // 10 classes: chance is 0.1
  auto m = metrics(out);
  ASSERT_EQ(m.size(), 2u);
  for (const char* k : {"epoch", "lr", "train_loss", "train_acc", "test_loss", "test_acc", "seconds", "images_per_s"})
    EXPECT_TRUE(m[1].contains(k)) << k;
  EXPECT_LT(m[1]["train_loss"].get<double>(), m[0]["train_loss"].get<double>());
  auto cfg = nlohmann::json::parse(slurp(out + "/config.json"));
  EXPECT_EQ(cfg["hidden"], (std::vector<int>{64, 32}));
  EXPECT_EQ(cfg["optimizer"], "sgd");
  EXPECT_NE(r.err.find(out), std::string::npos);

  // basin eval on the saved weights agrees with the run's last test accuracy.
  CliRun e = run_basin("eval --model mlp --weights " + out + "/model.safetensors --data fashion-mnist --limit 256");
  ASSERT_EQ(e.status, 0) << e.err;
  auto ej = last_json_line(e.out);
  EXPECT_EQ(ej["count"], 256);
  EXPECT_DOUBLE_EQ(ej["accuracy"].get<double>(), m[1]["test_acc"].get<double>());
  // (batches of another size: the mean loss agrees to float rounding)
  EXPECT_NEAR(ej["loss"].get<double>(), m[1]["test_loss"].get<double>(), 1e-6);
}

TEST(TrainCli, ResumeGivesBitwiseTheSameWeights) {
  std::string a = tmp_root() + "/full", b = tmp_root() + "/split";
  std::string common = " --epochs 2 --optimizer nso --sigma 0.01 --augment flip-crop ";
  CliRun r1 = run_basin("train " + tiny_args(a) + common);
  ASSERT_EQ(r1.status, 0) << r1.err;
  // 3 batches per epoch: stop inside the second epoch, then continue.
  CliRun r2 = run_basin("train " + tiny_args(b) + common + " --max-steps 4");
  ASSERT_EQ(r2.status, 0) << r2.err;
  EXPECT_NE(r2.err.find("--resume " + b), std::string::npos) << r2.err;
  EXPECT_EQ(metrics(b).size(), 1u);
  CliRun r3 = run_basin("train --resume " + b + " --quiet");
  ASSERT_EQ(r3.status, 0) << r3.err;
  EXPECT_EQ(slurp(a + "/model.safetensors"), slurp(b + "/model.safetensors"));
  auto ma = metrics(a), mb = metrics(b);
  ASSERT_EQ(ma.size(), 2u);
  ASSERT_EQ(mb.size(), 2u);
  for (int i = 0; i < 2; ++i)
    for (const char* k : {"train_loss", "train_acc", "test_loss", "test_acc", "lr"})
      EXPECT_EQ(ma[i][k], mb[i][k]) << k << " epoch " << i + 1;
}

TEST(TrainCli, EveryOptimizerTrainsWithoutNaN) {
  for (const char* opt : {"sgd", "adamw", "nso", "wpsgd", "sam", "usam", "asam", "rsam"}) {
    std::string out = tmp_root() + "/opt_" + opt;
    std::string extra = std::string(" --optimizer ") + opt + " --epochs 1 --json";
    if (std::string(opt) == "nso") extra += " --k 2 --noise laplace";
    if (std::string(opt) == "rsam") extra += " --noise uniform --rho 0.1";
    if (std::string(opt) == "wpsgd") extra += " --noise binomial --sigma 0.005";
    CliRun r = run_basin("train " + tiny_args(out) + extra);
    ASSERT_EQ(r.status, 0) << opt << ": " << r.err;
    auto j = last_json_line(r.out);
    EXPECT_TRUE(std::isfinite(j["train_loss"].get<double>())) << opt;
    EXPECT_TRUE(std::isfinite(j["test_loss"].get<double>())) << opt;
    EXPECT_EQ(j["steps"], 3) << opt;
    EXPECT_EQ(j["optimizer"], opt);
  }
}

TEST(TrainCli, ScheduleSmoothingShuffleSeedAndResNetFlags) {
  std::string out = tmp_root() + "/flags";
  CliRun r = run_basin("train " + tiny_args(out) +
                " --epochs 2 --schedule step --step-size 1 --gamma 0.5 --lr 0.02 --label-smoothing 0.1 --no-shuffle"
                " --seed 7 --device cpu --momentum 0.5 --weight-decay 0 --eval-resize 9 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  auto m = metrics(out);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_DOUBLE_EQ(m[0]["lr"].get<double>(), 0.02);
  EXPECT_DOUBLE_EQ(m[1]["lr"].get<double>(), 0.01);
  auto cfg = nlohmann::json::parse(slurp(out + "/config.json"));
  EXPECT_EQ(cfg["seed"], 7);
  EXPECT_EQ(cfg["shuffle"], false);
  EXPECT_DOUBLE_EQ(cfg["label_smoothing"].get<double>(), 0.1);

  // A ResNet with the small-input stem, one SAM step (BN statistics path).
  std::string rn = tmp_root() + "/resnet";
  CliRun r2 = run_basin("train --data " + tiny_folder() +
                 " --model resnet18 --small-input on --image-size 8 --batch-size 16 --max-steps 1 --optimizer sam"
                 " --quiet --json --out " + rn);
  ASSERT_EQ(r2.status, 0) << r2.err;
  // One step, no finished epoch: the figures do not exist, so they are null (never a made-up 0).
  const nlohmann::json j2 = last_json_line(r2.out);
  if (j2["epochs"] == 0) EXPECT_TRUE(j2["train_loss"].is_null()) << j2;
  else EXPECT_TRUE(std::isfinite(j2["train_loss"].get<double>())) << j2;
}

TEST(TrainCli, BadDataIsAClearError) {
  CliRun r = run_basin("train --data /nonexistent/basin-data --quiet --out " + tmp_root() + "/bad");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("/nonexistent/basin-data"), std::string::npos) << r.err;
  CliRun r2 = run_basin("train --optimizer adam --quiet");
  EXPECT_NE(r2.status, 0);
  EXPECT_NE(r2.err.find("adam"), std::string::npos) << r2.err;
}

TEST(TrainCli, CorruptCheckpointIsAClearError) {
  std::string out = tmp_root() + "/corrupt";
  ASSERT_EQ(run_basin("train " + tiny_args(out) + " --epochs 2 --max-steps 1").status, 0);
  std::string ck = out + "/checkpoint.safetensors";
  {
    std::fstream f(ck, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-10, std::ios::end);
    f.put('\x7f');
  }
  CliRun r = run_basin("train --resume " + out);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find(ck), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("corrupt"), std::string::npos) << r.err;
  // Training into a folder that already holds a run is refused, not overwritten.
  CliRun r2 = run_basin("train " + tiny_args(out));
  EXPECT_EQ(r2.status, 1);
  EXPECT_NE(r2.err.find("--resume"), std::string::npos) << r2.err;
}

TEST(TrainCli, InitLoadsTheBodyAndSkipsAMismatchedHead) {
  // Weights of a 5-class MLP with the same body (8*8*3 inputs, hidden 16).
  nn::ModelOptions o;
  o.num_classes = 5;
  o.input_features = 8 * 8 * 3;
  o.hidden = {16};
  o.seed = 123;
  auto m = nn::make_model("mlp", o);
  std::string w = tmp_root() + "/five.safetensors";
  nn::save_weights(*m, w);
  std::string out = tmp_root() + "/init";
  CliRun r = run_basin("train " + tiny_args(out) + " --epochs 1 --lr 0.000001 --momentum 0 --weight-decay 0 --init " + w);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("layers.2.weight"), std::string::npos) << r.err;  // the head, reported as skipped
  EXPECT_NE(r.err.find("skipped"), std::string::npos) << r.err;
  // The body was loaded: after a step of lr 1e-6 the first layer is still the file's.
  auto a = nn::load_weights(*m, w);  // (strict load of the file into its own model works)
  (void)a;
  auto trained = nn::make_model("mlp", [&] { auto p = o; p.num_classes = 10; return p; }());
  nn::load_weights(*trained, out + "/model.safetensors");
  auto w0 = m->state_dict()[0].second.to_vector();
  auto w1 = trained->state_dict()[0].second.to_vector();
  ASSERT_EQ(w0.size(), w1.size());
  double maxdiff = 0;
  for (size_t i = 0; i < w0.size(); ++i) maxdiff = std::max(maxdiff, std::abs(double(w0[i]) - w1[i]));
  EXPECT_LT(maxdiff, 1e-4);
}

TEST(TrainCli, NonFiniteLossStopsNamingTheStepOrIsSkipped) {
  std::string out = tmp_root() + "/nan";
  CliRun r = run_basin("train " + tiny_args(out) + " --epochs 2 --lr 1e30 --momentum 0");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("non-finite"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("epoch"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("step"), std::string::npos) << r.err;
  std::string out2 = tmp_root() + "/nan_skip";
  CliRun r2 = run_basin("train " + tiny_args(out2) + " --epochs 2 --lr 1e30 --momentum 0 --on-nonfinite skip --json");
  ASSERT_EQ(r2.status, 0) << r2.err;
  EXPECT_GT(last_json_line(r2.out)["skipped_batches"].get<int>(), 0);
}

TEST(TrainCli, SigintWritesACheckpointAndExits130) {
  std::string out = tmp_root() + "/sigint";
  std::string err = out + ".err";
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::string a = tiny_args(out);
    std::string cmd = "exec " + kBasin + " train " + a + " --epochs 100000 2> " + err + " > /dev/null";
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait until training has started (the first epoch line), then interrupt.
  for (int i = 0; i < 600 && slurp(out + "/metrics.jsonl").empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  std::string e = slurp(err);
  EXPECT_NE(e.find("basin train --resume " + out), std::string::npos) << e;
  // The checkpoint it wrote continues the run.
  CliRun r = run_basin("train --resume " + out + " --epochs 2 --json");
  EXPECT_EQ(r.status, 0) << r.err;
}

TEST(DataCli, ExportIdxWritesAnImageFolder) {
  std::string out = tmp_root() + "/export";
  CliRun r = run_basin("data export-idx --out " + out + " --limit 60");
  ASSERT_EQ(r.status, 0) << r.err;
  data::DatasetPair p = data::open_dataset(out, 1);  // the first 60 of each split hold all 10 classes
  EXPECT_EQ(p.train->size(), 60);
  EXPECT_EQ(p.test->size(), 60);
  EXPECT_EQ(p.train->num_classes(), 10);
  // Same pixels as the IDX source (train[0] is an ankle boot, the first file of Ankle_boot/).
  data::DatasetPair src = data::open_dataset("fashion-mnist", 1);
  EXPECT_EQ(src.train->get(0).image.u8, p.train->get(0).image.u8);
}

TEST(InspectCli, PrintsTheLayerTable) {
  CliRun r = run_basin("inspect --model mlp --hidden 32");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("layers.0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[1, 32]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(std::to_string(784 * 32 + 32 + 32 * 10 + 10)), std::string::npos) << r.out;
}

TEST(TrainCli, ProfileWritesAPerOpTable) {
  std::string out = tmp_root() + "/profile";
  CliRun r = run_basin("train " + tiny_args(out) + " --epochs 1 --profile");
  ASSERT_EQ(r.status, 0) << r.err;
  std::string table = slurp(out + "/profile.txt");
  EXPECT_NE(table.find("forward"), std::string::npos) << table;
  EXPECT_NE(table.find("backward"), std::string::npos) << table;
  EXPECT_NE(table.find("Linear"), std::string::npos) << table;
  EXPECT_NE(table.find("peak memory"), std::string::npos) << table;
  EXPECT_NE(r.err.find("profile"), std::string::npos) << r.err;
}
