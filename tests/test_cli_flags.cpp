// Issue #12 classes 5 and 7: every flag and every weights-metadata entry is
// validated with a message naming it, and messages name the user's thing.
// Through the built `basin` binary (flags of train, eval, hessian, inspect and
// bench; resume; --device without a GPU; non-UTF-8 paths; skip warnings) and in
// process (weights metadata, TrainConfig, a signal in the last step).
#include <gtest/gtest.h>

#include <csignal>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "data/image_codec.h"
#include "nn/models/factory.h"
#include "nn/weights.h"
#include "tensor/device.h"
#include "tensor/error.h"
#include "tests/cli_test_util.h"
#include "train/saved_model.h"
#include "train/signals.h"
#include "train/trainer.h"

namespace fs = std::filesystem;
using basin::testing::basin_binary;
using basin::testing::slurp;

namespace {

std::string scratch() {
  static basin::testing::ScratchDir dir("cli_flags");
  return dir.path();
}

basin::testing::CliRun run(const std::string& args) { return basin::testing::run_basin_logged(args, scratch()); }

std::string tiny(const std::string& out, int epochs = 1) { return basin::testing::tiny_train_args(out, epochs); }

void expect_refused(const std::string& args, const std::string& mentions) {
  basin::testing::CliRun r = run(args);
  EXPECT_NE(r.status, 0) << args;
  EXPECT_NE(r.err.find(mentions), std::string::npos) << args << ": " << r.err;
}

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const basin::Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

// ---- class 5: flags -------------------------------------------------------------------

TEST(CliFlags, EveryFloatFlagOfEveryCommandRefusesNonFiniteValues) {
  if (!fs::exists(basin_binary())) GTEST_SKIP() << "no basin binary";
  const std::vector<std::pair<std::string, std::string>> flags{
      {"train", "--lr"},         {"train", "--momentum"}, {"train", "--weight-decay"}, {"train", "--gamma"},
      {"train", "--sigma"},      {"train", "--rho"},      {"train", "--label-smoothing"}, {"hessian", "--sigma"},
      {"hessian", "--rel-step"}, {"hessian", "--sigma-list"}};
  const std::string out = scratch() + "/never_written";
  for (const auto& [cmd, flag] : flags)
    for (const char* v : {"nan", "NaN", "inf", "-inf", "1e999", "-1e400", "infinity"}) {
      const std::string value = flag == "--sigma-list" ? std::string("0.01,") + v : v;
      expect_refused(cmd + " " + flag + " " + value + " --out " + out, flag + ": '" + v + "' is not a finite number");
    }
  EXPECT_FALSE(fs::exists(out));
  // Finite values still parse (a typo is still CLI11's conversion error).
  expect_refused("train --lr banana", "--lr");
}

TEST(CliFlags, IntegerFlagsAreRangeCheckedNamingTheFlag) {
  if (!fs::exists(basin_binary())) GTEST_SKIP() << "no basin binary";
  const std::vector<std::pair<std::string, std::string>> cases{
      {"inspect --num-classes 0", "--num-classes: must be at least 1, got 0"},
      {"inspect --image-size 0", "--image-size: must be at least 1, got 0"},
      {"inspect --in-channels -3", "--in-channels: must be at least 1, got -3"},
      {"eval --weights w --batch-size 0", "--batch-size: must be at least 1, got 0"},
      {"eval --weights w --workers -1", "--workers: must be at least 0, got -1"},
      {"eval --weights w --limit -5", "--limit: must be at least 0, got -5"},
      {"hessian --subset 0", "--subset: must be at least 1, got 0"},
      {"hessian --classes 0", "--classes: must be at least 1, got 0"},
      {"hessian --samples 0", "--samples: must be at least 1, got 0"},
      {"bench --iters 0", "--iters: must be at least 1, got 0"},
      {"bench --warmup -2", "--warmup: must be at least 0, got -2"},
      {"bench --batch-size 8,0", "--batch-size: must be at least 1, got 0"},
      {"bench --arena-numel -7", "--arena-numel: must be at least 0, got -7"},
      {"train --epochs 0", "--epochs must be at least 1, got 0"},
      {"train --lr -0.1", "--lr must be a positive finite number, got -0.1"}};
  for (const auto& [args, msg] : cases) expect_refused(args, msg);
}

TEST(TrainConfigFlags, OnlyAMissingLrGetsTheDefault) {
  basin::train::TrainConfig c;
  c.device = "cpu";
  c.lr = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NE(error_of([&] { c.resolve(); }).find("--lr must be a positive finite number, got nan"), std::string::npos);
  basin::train::TrainConfig d;
  d.device = "cpu";
  d.weight_decay = std::numeric_limits<double>::infinity();
  EXPECT_NE(error_of([&] { d.resolve(); }).find("--weight-decay must be a finite number, got inf"), std::string::npos);
  basin::train::TrainConfig e;
  e.device = "cpu";
  e.resolve();
  EXPECT_EQ(e.lr, 0.05);
  // "lr": null in a config.json is "not given"; a number is kept.
  EXPECT_FALSE(basin::train::config_from_json({{"lr", nullptr}}).lr);
  EXPECT_EQ(basin::train::config_from_json({{"lr", 0.25}}).lr, 0.25);
  // One optimizer list: optim/registry.h's.
  basin::train::TrainConfig f;
  f.device = "cpu";
  f.optimizer = "lbfgs";
  EXPECT_NE(error_of([&] { f.resolve(); }).find("sgd, adamw, nso, wpsgd, sam, usam, asam, rsam"), std::string::npos);
}

TEST(SavedModelMetadata, BadEntriesNameTheKeyAndTheFile) {
  basin::nn::ModelOptions o;
  o.input_features = 4;
  o.num_classes = 2;
  o.hidden = {3};
  auto model = basin::nn::make_model("mlp", o);
  const std::vector<std::pair<std::map<std::string, std::string>, std::string>> cases{
      {{{"image_size", "abc"}}, "metadata 'image_size' is 'abc', not an integer in [1, 65536]"},
      {{{"image_size", "-3"}}, "metadata 'image_size' is '-3'"},
      {{{"image_size", "99999999999999999999"}}, "metadata 'image_size' is '99999999999999999999'"},
      {{{"image_size", "12px"}}, "metadata 'image_size' is '12px'"},
      {{{"model", "vgg"}}, "metadata 'model' is 'vgg' (expected one of mlp, resnet18"},
      {{{"activation", "sigmoid"}}, "metadata 'activation' is 'sigmoid'"},
      {{{"small_input", "yes"}}, "metadata 'small_input' is 'yes'"},
      {{{"hidden", "16,x"}}, "metadata 'hidden' is '16,x'"}};
  int n = 0;
  for (const auto& [meta, msg] : cases) {
    const std::string w = scratch() + "/meta" + std::to_string(++n) + ".safetensors";
    basin::nn::save_weights(*model, w, meta);
    const std::string e = error_of([&] { basin::train::resolve_saved_model(w, "fashion-mnist", {}); });
    std::printf("[message] %s\n", e.c_str());
    EXPECT_NE(e.find("weights " + w + ": " + msg), std::string::npos) << e;
  }
  // hidden "" is a model without hidden layer, not a missing entry.
  const std::string w = scratch() + "/linear.safetensors";
  basin::nn::save_weights(*model, w, {{"hidden", ""}, {"image_size", "28"}});
  basin::train::SavedModel s = basin::train::resolve_saved_model(w, "fashion-mnist", {});
  EXPECT_TRUE(s.config.hidden.empty());
  EXPECT_EQ(s.image_size, 28);
  EXPECT_EQ(basin::train::resolve_saved_model(w, "fashion-mnist", {"", std::string("8"), "", "", 0}).config.hidden,
            std::vector<std::int64_t>{8});
}

TEST(CliFlags, AModelWithoutHiddenLayerTrainsAndEveryCommandLoadsIt) {
  if (!fs::exists(basin_binary())) GTEST_SKIP() << "no basin binary";
  const std::string d = scratch() + "/linear";
  ASSERT_EQ(run("train --limit-train 64 --limit-test 32 --hidden '' --epochs 1 --workers 1 --quiet --out " + d).status, 0);
  basin::testing::CliRun e = run("eval --weights " + d + "/model.safetensors --limit 32");
  ASSERT_EQ(e.status, 0) << e.err;
  basin::testing::CliRun h = run("hessian --weights " + d + "/model.safetensors --subset 32 --samples 2 "
                                 "--power-iters 2 --gap-samples 2 --table-only");
  EXPECT_EQ(h.status, 0) << h.err;
  // The metrics' test accuracy on the same 32 images is what eval measures.
  const auto m = nlohmann::json::parse(slurp(d + "/metrics.jsonl"));
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(e.out)["accuracy"].get<double>(), m["test_acc"].get<double>());
}

TEST(CliFlags, ResumeRefusesACheckpointOfAnotherRunNamingTheKeys) {
  if (!fs::exists(basin_binary())) GTEST_SKIP() << "no basin binary";
  const std::string a = scratch() + "/resume_a", b = scratch() + "/resume_b";
  ASSERT_EQ(run(tiny(a, 2) + " --max-steps 1").status, 0);
  ASSERT_EQ(run(tiny(b, 2) + " --max-steps 1 --lr 0.1 --seed 7").status, 0);
  fs::copy_file(a + "/checkpoint.safetensors", b + "/checkpoint.safetensors", fs::copy_options::overwrite_existing);
  basin::testing::CliRun r = run("train --resume " + b + " --quiet");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("checkpoint.safetensors is from another run's config; they differ in lr (checkpoint 0.05, "
                       "config.json 0.1), seed (checkpoint 0, config.json 7)"),
            std::string::npos)
      << r.err;
  // What a resume may change (epochs, workers, device) is no mismatch.
  EXPECT_EQ(run("train --resume " + a + " --epochs 3 --workers 2 --device cpu --quiet").status, 0);
}

TEST(CliFlags, ResumeOfAFinishedRunPrintsItsRealFiguresOrNull) {
  if (!fs::exists(basin_binary())) GTEST_SKIP() << "no basin binary";
  const std::string d = scratch() + "/finished";
  ASSERT_EQ(run(tiny(d, 2)).status, 0);
  std::istringstream lines(slurp(d + "/metrics.jsonl"));
  std::string line, last;
  while (std::getline(lines, line)) last = line;
  const auto m = nlohmann::json::parse(last);
  basin::testing::CliRun r = run("train --resume " + d + " --json --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* k : {"test_acc", "test_loss", "train_acc", "train_loss", "images_per_s"}) EXPECT_EQ(j[k], m[k]) << k;
  char acc[64];
  std::snprintf(acc, sizeof acc, "(test accuracy %.2f%%)", 100 * m["test_acc"].get<double>());
  EXPECT_NE(r.err.find(acc), std::string::npos) << r.err;
  // No epoch finished: null figures, no accuracy claimed.
  const std::string early = scratch() + "/early";
  r = run(tiny(early, 2) + " --max-steps 1 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(nlohmann::json::parse(r.out)["test_acc"].is_null()) << r.out;
  EXPECT_EQ(r.err.find("test accuracy"), std::string::npos);
}

TEST(TrainSignals, AStopSignalInTheLastStepStillWritesTheFinalWeights) {
  basin::train::TrainConfig c;
  c.limit_train = 64;
  c.limit_test = 32;
  c.hidden = {8};
  c.batch_size = 32;
  c.epochs = 2;
  c.workers = 0;
  c.device = "cpu";
  basin::train::TrainOptions o;
  o.log = nullptr;
  o.progress = nullptr;
  c.out = scratch() + "/signal_ref";
  basin::train::run_training(c, o);
  for (std::int64_t at : {4, 3, 2}) {  // the last step; one before it; the last of epoch 1
    c.out = scratch() + "/signal_at_" + std::to_string(at);
    o.after_step = [at](const basin::train::RunPosition& p) {
      if (p.step == at) basin::train::StopSignalGuard::request(SIGTERM);
    };
    basin::train::TrainResult r = basin::train::run_training(c, o);
    EXPECT_EQ(r.interrupted, at != 4) << at;
    EXPECT_EQ(fs::exists(c.out + "/model.safetensors"), at == 4) << at;
    if (at == 4) {
      EXPECT_EQ(slurp(c.out + "/model.safetensors"), slurp(scratch() + "/signal_ref/model.safetensors"));
      EXPECT_EQ(r.epochs_done, 2);
    }
  }
}

// ---- class 7: messages name the user's thing --------------------------------------------

TEST(CliMessages, EveryDeviceFlagSaysTheSameWithoutAGpu) {
  if (!fs::exists(basin_binary())) GTEST_SKIP() << "no basin binary";
  const std::string w = scratch() + "/dev.safetensors";
  std::ofstream(w) << "not read";
  for (const std::string& cmd : {tiny(scratch() + "/dev_never"), "eval --weights " + w, std::string("hessian"),
                                 std::string("bench")}) {
    if (!basin::cuda_available()) {
      basin::testing::CliRun r = run(cmd + " --device cuda");
      EXPECT_NE(r.status, 0);
      EXPECT_NE(r.err.find("--device cuda but no usable CUDA device (this build: "), std::string::npos) << r.err;
      EXPECT_EQ(r.err.find("cudaError"), std::string::npos) << r.err;
    }
    expect_refused(cmd + " --device gpu", "--device 'gpu': expected auto, cpu, cuda or cuda:N");
    expect_refused(cmd + " --device cuda:x", "--device 'cuda:x'");
  }
  EXPECT_FALSE(fs::exists(scratch() + "/dev_never"));
}

TEST(CliMessages, NonUtf8PathsWorkOrAreRefusedByName) {
  if (!fs::exists(basin_binary())) GTEST_SKIP() << "no basin binary";
  const std::string out = scratch() + "/run\xff\xfe";
  basin::testing::CliRun r = run(tiny(out) + " --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);  // valid JSON; the bad bytes became U+FFFD
  EXPECT_EQ(j["run_dir"], scratch() + "/run\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_TRUE(nlohmann::json::accept(slurp(out + "/config.json")));
  // Every command printing JSON with the path in it.
  r = run("hessian --weights '" + out + "/model.safetensors' --subset 16 --samples 1 --power-iters 0 --gap-samples 1");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(nlohmann::json::accept(r.out.substr(0, r.out.find('\n')))) << r.out;
  // --data must survive config.json for --resume: refused, naming it, and no folder made.
  const std::string data = scratch() + "/data\xe9";
  fs::create_directories(data + "/train/a");
  r = run(tiny(scratch() + "/data_never") + " --data '" + data + "'");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("--data '" + data + "' is not valid UTF-8"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(scratch() + "/data_never"));
}

TEST(CliMessages, NoRunFolderIsLeftByAFailureBeforeTraining) {
  if (!fs::exists(basin_binary())) GTEST_SKIP() << "no basin binary";
  const std::string w = scratch() + "/junk.safetensors";
  std::ofstream(w) << "junk";
  for (const std::string& bad : {std::string("--data /nonexistent/basin"), "--init " + w, std::string("--model vgg"),
                                 std::string("--hessian-every 1 --hessian-subset 0")}) {
    const std::string out = scratch() + "/left/never";
    expect_refused(tiny(out) + " " + bad, "error");
    EXPECT_FALSE(fs::exists(out)) << bad;
  }
}

TEST(CliMessages, SkipWarningsCountEpochsFromOne) {
  if (!fs::exists(basin_binary())) GTEST_SKIP() << "no basin binary";
  const std::string d = scratch() + "/skipdata";
  for (const char* split : {"train", "test"})
    for (const char* cls : {"a", "b"})
      for (int i = 0; i < 3; ++i) {
        const std::string p = d + "/" + split + "/" + cls + "/" + std::to_string(i) + ".png";
        fs::create_directories(fs::path(p).parent_path());
        if (i == 0 && cls[0] == 'a') {
          std::ofstream(p) << "not an image";
        } else {
          std::vector<std::uint8_t> px(8 * 8 * 3, static_cast<std::uint8_t>(50 * i));
          basin::data::write_png(p, basin::data::Image::hwc_u8(8, 8, 3, px));
        }
      }
  basin::testing::CliRun r = run("train --data " + d + " --image-size 8 --hidden 8 --epochs 2 --workers 1 --quiet --out " +
                                 scratch() + "/skiprun");
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* want : {"in epoch 1 of", "in epoch 2 of"}) EXPECT_NE(r.err.find(want), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("in epoch 0 of"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("in epoch 3 of"), std::string::npos) << r.err;
}
