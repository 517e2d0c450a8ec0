// `basin train` with the authors' NSO options (--noise cauchy, --nso-lambda,
// --sigma-schedule): they reach config.json, a resumed run continues them
// bit for bit, and bad values are refused naming the flag.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/cli_test_util.h"

namespace {

using basin::testing::CliRun;
using basin::testing::slurp;

std::string tmp_root() {
  static basin::testing::ScratchDir dir("nso_options_cli");
  return dir.path();
}

CliRun run_basin(const std::string& args) { return basin::testing::run_basin(args, tmp_root()); }

const char* kOptions =
    " --optimizer nso --noise cauchy --sigma 0.002 --nso-lambda 0.3 --sigma-schedule linear --sigma-start 0.0005";

}  // namespace

TEST(NsoOptionsCli, SavedInConfigAndResumedBitwise) {
  const std::string a = tmp_root() + "/full", b = tmp_root() + "/split";
  // 64 images in batches of 32: 2 steps an epoch, 3 epochs, sigma moves every epoch.
  CliRun r1 = run_basin(basin::testing::tiny_train_args(a, 3) + kOptions);
  ASSERT_EQ(r1.status, 0) << r1.err;
  CliRun r2 = run_basin(basin::testing::tiny_train_args(b, 3) + kOptions + " --max-steps 3");
  ASSERT_EQ(r2.status, 0) << r2.err;
  const auto cfg = nlohmann::json::parse(slurp(b + "/config.json"));
  EXPECT_EQ(cfg["noise"], "cauchy");
  EXPECT_EQ(cfg["nso_lambda"], 0.3);
  EXPECT_EQ(cfg["sigma_schedule"], "linear");
  EXPECT_EQ(cfg["sigma_start"], 0.0005);
  EXPECT_EQ(cfg["sigma_ramp_epochs"], 3);
  CliRun r3 = run_basin("train --resume '" + b + "' --quiet");
  ASSERT_EQ(r3.status, 0) << r3.err;
  const std::string wa = slurp(a + "/model.safetensors"), wb = slurp(b + "/model.safetensors");
  ASSERT_FALSE(wa.empty());
  EXPECT_EQ(wa, wb);
  // and the options changed the run: plain NSO from the same seed ends elsewhere
  const std::string c = tmp_root() + "/plain";
  CliRun r4 = run_basin(basin::testing::tiny_train_args(c, 3) + " --optimizer nso --sigma 0.002");
  ASSERT_EQ(r4.status, 0) << r4.err;
  EXPECT_NE(slurp(c + "/model.safetensors"), wa);
}

TEST(NsoOptionsCli, BadValuesNameTheFlag) {
  const std::string out = tmp_root() + "/bad";
  for (const auto& [args, flag] :
       {std::pair<std::string, std::string>{" --optimizer nso --nso-lambda 1", "--nso-lambda"},
        {" --optimizer sgd --nso-lambda 0.5", "--nso-lambda"},
        {" --optimizer nso --sigma-schedule exponential", "--sigma-start"},
        {" --optimizer nso --sigma-schedule cosine", "--sigma-schedule"},
        {" --optimizer nso --noise lorentz", "noise"}}) {
    CliRun r = run_basin(basin::testing::tiny_train_args(out, 1) + args);
    EXPECT_NE(r.status, 0) << args;
    EXPECT_NE(r.err.find(flag), std::string::npos) << args << ": " << r.err;
  }
}
