// kill -9 at a random moment of a real training process, then --resume: the run
// continues from its last atomic checkpoint and ends, on the CPU, with weights
// and metrics bitwise identical to an uninterrupted run (issue #8). The moment
// is drawn after the first checkpoint exists, so each trial exercises resume;
// three trials cover kills during an epoch, during evaluation and around the
// checkpoint write itself.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/cli_test_util.h"

namespace {

using basin::testing::basin_binary;
using basin::testing::slurp;

// Small but long enough (several epochs, ~0.1-0.3 s each) for kills to land inside.
std::string run_args(const std::string& out) {
  return "train --limit-train 768 --limit-test 256 --hidden 32 --epochs 6 --batch-size 32 --workers 2 "
         "--optimizer nso --sigma 0.01 --augment flip-crop --seed 11 --quiet --out " + out;
}

}  // namespace

TEST(TrainKill, Sigkill9ThenResumeGivesBitwiseTheSameWeights) {
  if (!std::filesystem::exists(basin_binary())) GTEST_SKIP() << "no basin binary at " << basin_binary();
  basin::testing::ScratchDir scratch("train_kill");
  const std::string ref = scratch.path() + "/ref";
  basin::testing::CliRun r = basin::testing::run_basin(run_args(ref), scratch.path());
  ASSERT_EQ(r.status, 0) << r.err;
  // Kill moments are drawn over the time epochs 2..6 took in the reference run
  // (CI under sanitizers is many times slower than a release build).
  double later_epochs_s = 0;
  {
    std::istringstream lines(slurp(ref + "/metrics.jsonl"));
    int epoch = 0;
    for (std::string line; std::getline(lines, line); ++epoch)
      if (epoch > 0) later_epochs_s += nlohmann::json::parse(line)["seconds"].get<double>();
  }
  const int run_ms = std::max(50, static_cast<int>(later_epochs_s * 1000));
  const std::string ref_weights = slurp(ref + "/model.safetensors");
  ASSERT_FALSE(ref_weights.empty());

  std::mt19937 rng(20261123);
  int resumed = 0;
  for (int trial = 0; trial < 3; ++trial) {
    const std::string out = scratch.path() + "/killed" + std::to_string(trial);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      std::string cmd = "OMP_WAIT_POLICY=passive exec " + basin_binary() + " " + run_args(out) + " > /dev/null 2>&1";
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Wait for the first checkpoint, then kill at a random moment of the rest of the run.
    const std::string ckpt = out + "/checkpoint.safetensors";
    for (int i = 0; i < 1200 && !std::filesystem::exists(ckpt); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, run_ms)(rng)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFEXITED(status)) {
      // It finished before the kill landed: nothing to resume, but it must match.
      EXPECT_EQ(WEXITSTATUS(status), 0);
      EXPECT_EQ(slurp(out + "/model.safetensors"), ref_weights) << "trial " << trial;
      continue;
    }
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    ++resumed;
    basin::testing::CliRun res = basin::testing::run_basin("train --resume " + out + " --quiet", scratch.path());
    ASSERT_EQ(res.status, 0) << "trial " << trial << ": " << res.err;
    EXPECT_EQ(slurp(out + "/model.safetensors"), ref_weights) << "trial " << trial << ": weights differ after resume";
    // One metrics line per epoch: none lost, none written twice by the resume.
    const std::string metrics = slurp(out + "/metrics.jsonl");
    EXPECT_EQ(std::count(metrics.begin(), metrics.end(), '\n'), 6) << "trial " << trial << ":\n" << metrics;
  }
  std::printf("[kill -9] %d of 3 trials killed mid-run and resumed\n", resumed);
  EXPECT_GE(resumed, 1) << "no trial was killed before the run finished; the run is too short to test resume";
}
