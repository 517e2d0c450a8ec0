// `basin train --hessian-every N` (train/curvature_log.h): the logged Hessian trace
// and top eigenvalue must be the ones `basin hessian` measures on the saved
// weights with the same subset, samples and seed (an independent path: it reads
// the weights file, its metadata and the data itself), and appear only on the
// epochs asked for. Tiny data: the first 128 Fashion-MNIST images, a tanh MLP
// (also checks that --activation reaches the weights' metadata).
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/cli_test_util.h"

namespace {

using basin::testing::slurp;

struct Scratch {
  basin::testing::ScratchDir scratch{"curvature_log"};
  const std::string& dir = scratch.path();
};

// Runs basin; its output files go beside `out_file` (in the scratch folder).
int run(const std::string& args, const std::string& out_file, std::string* out) {
  basin::testing::CliRun r = basin::testing::run_basin(args, out_file.substr(0, out_file.rfind('/')));
  *out = r.out + r.err;
  return r.status;
}

TEST(TrainHessianEvery, LogsWhatBasinHessianMeasuresOnTheSavedWeights) {
  Scratch s;
  const std::string run_dir = s.dir + "/run";
  std::string text;
  ASSERT_EQ(run("train --limit-train 256 --limit-test 128 --epochs 2 --hidden 16 --activation tanh --batch-size 64 "
                "--workers 1 --seed 3 --hessian-every 2 --hessian-subset 128 --hessian-samples 40 "
                "--hessian-power-iters 30 --quiet --out " + run_dir,
                s.dir + "/train.txt", &text),
            0)
      << text;
  std::vector<nlohmann::json> lines;
  std::istringstream is(slurp(run_dir + "/metrics.jsonl"));
  for (std::string l; std::getline(is, l);)
    if (!l.empty()) lines.push_back(nlohmann::json::parse(l));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_FALSE(lines[0].contains("hessian_trace")) << "epoch 1 is not a multiple of --hessian-every 2";
  ASSERT_TRUE(lines[1].contains("hessian_trace")) << lines[1].dump();
  const double trace = lines[1]["hessian_trace"], stderr_ = lines[1]["hessian_trace_stderr"];
  const double top = lines[1]["top_eigenvalue"], loss = lines[1]["hessian_loss"];
  EXPECT_GT(trace, 0);
  EXPECT_GT(stderr_, 0);
  EXPECT_GT(top, 0);
  EXPECT_EQ(nlohmann::json::parse(slurp(run_dir + "/config.json"))["activation"], "tanh");

  // Same weights (the run's last epoch), same 128 images, same seed (1234 + --seed):
  // activation and widths come from the weights' metadata.
  ASSERT_EQ(run("hessian --weights " + run_dir + "/model.safetensors --subset 128 --samples 40 --power-iters 30 "
                "--seed 1237 --sigma 0.01 --gap-samples 1",
                s.dir + "/hessian.txt", &text),
            0)
      << text;
  nlohmann::json j = nlohmann::json::parse(text.substr(0, text.find('\n')));
  EXPECT_EQ(j["activation"], "tanh");
  EXPECT_NEAR(j["trace"].get<double>(), trace, 1e-6 * std::fabs(trace));
  EXPECT_NEAR(j["trace_stderr"].get<double>(), stderr_, 1e-6 * stderr_);
  EXPECT_NEAR(j["top_eigenvalue"].get<double>(), top, 1e-6 * top);
  const double min_eig = lines[1]["min_eigenvalue"];  // the same Lanczos run's other end
  EXPECT_LE(min_eig, top);
  EXPECT_NEAR(j["min_eigenvalue"].get<double>(), min_eig, 1e-6 * std::fabs(top));
  EXPECT_NEAR(j["loss"].get<double>(), loss, 1e-6 * loss);

  // The default activation (relu) on these tanh weights is another loss: the
  // metadata really is what made the two agree.
  ASSERT_EQ(run("hessian --weights " + run_dir + "/model.safetensors --activation relu --subset 128 --samples 2 "
                "--power-iters 0 --sigma 0.01 --gap-samples 1",
                s.dir + "/relu.txt", &text),
            0)
      << text;
  nlohmann::json k = nlohmann::json::parse(text.substr(0, text.find('\n')));
  EXPECT_GT(std::fabs(k["loss"].get<double>() - loss), 1e-4 * loss);
}

TEST(TrainHessianEvery, BadSettingsAreClearErrors) {
  Scratch s;
  std::string text;
  EXPECT_EQ(run("train --limit-train 64 --limit-test 64 --epochs 1 --hessian-every -1 --quiet --out " + s.dir + "/a",
                s.dir + "/a.txt", &text),
            1);
  EXPECT_NE(text.find("--hessian-every"), std::string::npos) << text;
  EXPECT_EQ(run("train --limit-train 64 --limit-test 64 --epochs 1 --activation gelu --quiet --out " + s.dir + "/b",
                s.dir + "/b.txt", &text),
            1);
  EXPECT_NE(text.find("activation"), std::string::npos) << text;
}

}  // namespace
