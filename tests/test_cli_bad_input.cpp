// Bad command lines through the built `basin` binary (BASIN_BINARY_DIR/basin):
// nonsense flags and --out onto an existing run are refused with a non-zero exit
// and a message naming the flag or folder, and nothing is written or overwritten.
// (docs/errors.md lists the messages.)
#include <gtest/gtest.h>

#include "tests/cli_test_util.h"
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data/image_codec.h"
#include "nn/models/factory.h"
#include "nn/weights.h"

namespace fs = std::filesystem;

namespace {

using basin::testing::basin_binary;
using basin::testing::slurp;

std::string scratch() {
  static basin::testing::ScratchDir dir("cli_bad_input");
  return dir.path();
}

struct CliResult {
  int status = -1;
  std::string err;
};

CliResult run_basin(const std::string& args) {
  basin::testing::CliRun r = basin::testing::run_basin(args, scratch());
  std::printf("[message] basin %s -> exit %d: %s", args.c_str(), r.status, r.err.c_str());
  return {r.status, r.err};
}

}  // namespace

// Each case gets its own --out, and tiny limits in case a flag is wrongly accepted.
void expect_refused(const std::string& flags, const std::string& mentions) {
  static int n = 0;
  const std::string out = scratch() + "/never" + std::to_string(++n);
  const CliResult r = run_basin("train --data fashion-mnist --limit-train 32 --limit-test 32 --max-steps 1 --quiet --out " +
                                out + " " + flags);
  EXPECT_NE(r.status, 0) << flags;
  EXPECT_NE(r.err.find(mentions), std::string::npos) << flags << ": " << r.err;
  EXPECT_FALSE(fs::exists(out + "/checkpoint.safetensors")) << flags << " wrote a run";
}

TEST(CliBadInput, NonsenseFlagsAreRefusedNamingTheFlag) {
  if (!fs::exists(basin_binary())) GTEST_SKIP() << "no basin binary at " << basin_binary();
  expect_refused("--lr 0", "--lr");
  expect_refused("--k 0", "--k");
  expect_refused("--sigma -1", "--sigma");
  expect_refused("--batch-size 0", "--batch-size");
  expect_refused("--model vgg99", "vgg99");
  expect_refused("--epochs 0", "--epochs");
  expect_refused("--no-such-flag 3", "no-such-flag");
  expect_refused("--lr banana", "--lr");
}

// A negative rate is refused, not replaced by the default (TrainConfig::lr is
// optional: only an absent rate gets the default).
TEST(CliBadInput, NegativeLearningRateIsRefused) {
  if (!fs::exists(basin_binary())) GTEST_SKIP() << "no basin binary at " << basin_binary();
  expect_refused("--lr -0.1", "--lr");
  expect_refused("--lr=-0.1", "--lr");
}

TEST(CliBadInput, OutOntoAnExistingRunIsRefusedAndNothingIsOverwritten) {
  if (!fs::exists(basin_binary())) GTEST_SKIP() << "no basin binary at " << basin_binary();
  const std::string run = scratch() + "/existing";
  fs::create_directories(run);
  const std::string ckpt = run + "/checkpoint.safetensors";
  {
    std::ofstream f(ckpt, std::ios::binary);
    f << "precious bytes of an earlier run";
  }
  const std::string before = slurp(ckpt);
  CliResult r = run_basin("train --data fashion-mnist --limit-train 32 --limit-test 32 --epochs 1 --quiet --out " + run);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("already holds a run"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--resume"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(ckpt), before);
}

// ---- issue #12 classes 3, 4, 6 through the binary -------------------------------------

namespace {

// D/train/{a,b}/*.png readable 8x8 images; D/test/{a,b}/*.png as `test_ok` says.
std::string small_folder(const std::string& name, bool test_ok) {
  const std::string d = scratch() + "/" + name;
  for (const char* split : {"train", "test"})
    for (const char* cls : {"a", "b"})
      for (int i = 0; i < 4; ++i) {
        const std::string p = d + "/" + split + "/" + cls + "/" + std::to_string(i) + ".png";
        fs::create_directories(fs::path(p).parent_path());
        if (std::string(split) == "test" && !test_ok) {
          std::ofstream(p) << "not an image";
        } else {
          std::vector<std::uint8_t> px(8 * 8 * 3, static_cast<std::uint8_t>(40 * i + (cls[0] == 'a' ? 0 : 100)));
          basin::data::write_png(p, basin::data::Image::hwc_u8(8, 8, 3, px));
        }
      }
  return d;
}

std::string small_train(const std::string& data, const std::string& out) {
  return "train --data " + data + " --model mlp --device cpu --image-size 8 --hidden 16 --epochs 1 --workers 1 --quiet --out " +
         out;
}

}  // namespace

TEST(CliBadInput, TestSplitWhoseEveryImageIsUnreadableFails) {
  if (!fs::exists(basin_binary())) GTEST_SKIP() << "no basin binary at " << basin_binary();
  const std::string data = small_folder("junk_test", false);
  CliResult r = run_basin(small_train(data, scratch() + "/junk_run"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("every image of " + data + "/test is unreadable (8 skipped"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("test loss 0.0000"), std::string::npos) << r.err;
}

TEST(CliBadInput, HugeBatchSizeIsCappedAtTheDataset) {
  if (!fs::exists(basin_binary())) GTEST_SKIP() << "no basin binary at " << basin_binary();
  const std::string data = small_folder("ok_data", true);
  for (const char* bs : {"10000000", "4611686018427387904"}) {
    CliResult r = run_basin(small_train(data, scratch() + "/bs_" + bs) + " --batch-size " + bs);
    EXPECT_EQ(r.status, 0) << bs << ": " << r.err;
  }
}

TEST(CliBadInput, InitFromWeightsThatDoNotFitFails) {
  if (!fs::exists(basin_binary())) GTEST_SKIP() << "no basin binary at " << basin_binary();
  const std::string data = small_folder("init_data", true);
  // Weights of an MLP with another hidden width: only the head's bias has a matching shape.
  basin::nn::ModelOptions o;
  o.num_classes = 2;
  o.input_features = 8 * 8 * 3;
  o.hidden = {32};
  const std::string w = scratch() + "/wide.safetensors";
  basin::nn::save_weights(*basin::nn::make_model("mlp", o), w);
  const std::string out = scratch() + "/init_run";
  CliResult r = run_basin(small_train(data, out) + " --init " + w);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("--init " + w + ": the weights do not fit"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("backbone 0 of 2"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out + "/model.safetensors"));
  // Special files are refused, not read or waited on.
  const std::string fifo = scratch() + "/weights.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& bad : {fifo, std::string("/dev/zero")}) {
    r = run_basin(small_train(data, scratch() + "/init_special") + " --init " + bad);
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.err;
  }
}
