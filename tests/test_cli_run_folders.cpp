// Issue #12 class 2: a run folder is created fresh or resumed, never reused, and
// has one writer at a time. Through the built `basin` binary: --out onto a
// finished run, onto a folder with an unrelated file, onto a file; a folder
// locked by this test process or by a running basin refuses a second writer
// naming the holder's PID; resuming twice, and resuming after a simulated crash
// (duplicate, later and torn metrics lines), leaves one metrics line per epoch.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/cli_test_util.h"
#include "train/run_dir.h"

namespace fs = std::filesystem;
using basin::testing::basin_binary;
using basin::testing::slurp;

namespace {

std::string scratch() {
  static basin::testing::ScratchDir dir("cli_run_folders");
  return dir.path();
}

basin::testing::CliRun run(const std::string& args) { return basin::testing::run_basin_logged(args, scratch()); }

std::string tiny(const std::string& out, int epochs = 2) { return basin::testing::tiny_train_args(out, epochs); }

std::vector<int> metric_epochs(const std::string& run_dir) {
  std::vector<int> v;
  std::istringstream is(slurp(run_dir + "/metrics.jsonl"));
  for (std::string line; std::getline(is, line);) v.push_back(nlohmann::json::parse(line).at("epoch").get<int>());
  return v;
}

// Holds an exclusive flock on DIR/.lock with this process's PID in it, as basin does.
struct HeldLock {
  int fd;
  explicit HeldLock(const std::string& dir) : fd(::open((dir + "/.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    EXPECT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
    const std::string pid = std::to_string(::getpid()) + "\n";
    EXPECT_EQ(::ftruncate(fd, 0), 0);
    EXPECT_EQ(::pwrite(fd, pid.data(), pid.size(), 0), static_cast<ssize_t>(pid.size()));
  }
  ~HeldLock() { ::close(fd); }
};

}  // namespace

TEST(CliRunFolders, OutOntoAnyNonEmptyFolderIsRefusedAndNothingChanges) {
  if (!fs::exists(basin_binary())) GTEST_SKIP() << "no basin binary";
  const std::string done = scratch() + "/finished";
  ASSERT_EQ(run(tiny(done, 1)).status, 0);
  const std::string config = slurp(done + "/config.json"), model = slurp(done + "/model.safetensors"),
                    metrics = slurp(done + "/metrics.jsonl");
  // A finished run (with or without its checkpoint), a failed start, unrelated files.
  basin::testing::CliRun r = run(tiny(done, 1) + " --lr 0.1");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("already holds a run (checkpoint.safetensors); continue it with --resume"), std::string::npos);
  const std::string no_ckpt = scratch() + "/no_ckpt";
  fs::create_directories(no_ckpt);
  fs::copy_file(done + "/config.json", no_ckpt + "/config.json");
  fs::copy_file(done + "/model.safetensors", no_ckpt + "/model.safetensors");
  r = run(tiny(no_ckpt, 1));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("already holds a run that cannot be resumed (config.json, model.safetensors"), std::string::npos);
  for (const char* name : {"notes.txt", ".hidden", "sub"}) {
    const std::string d = scratch() + "/unrelated_" + std::string(name[0] == '.' ? "h" : name);
    fs::create_directories(d);
    if (std::string(name) == "sub") fs::create_directories(d + "/sub");
    else std::ofstream(d + "/" + name) << "mine";
    r = run(tiny(d, 1));
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("--out " + d + " is not empty (it holds " + name + ")"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(d + "/config.json"));
  }
  std::ofstream(scratch() + "/a_file") << "x";
  r = run(tiny(scratch() + "/a_file", 1));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("exists and is not a folder"), std::string::npos);
  EXPECT_EQ(slurp(done + "/config.json"), config);
  EXPECT_EQ(slurp(done + "/model.safetensors"), model);
  EXPECT_EQ(slurp(done + "/metrics.jsonl"), metrics);
  // An empty folder is a fresh folder.
  fs::create_directories(scratch() + "/empty");
  EXPECT_EQ(run(tiny(scratch() + "/empty", 1)).status, 0);
}

TEST(CliRunFolders, ALockedFolderRefusesASecondWriterNamingThePid) {
  if (!fs::exists(basin_binary())) GTEST_SKIP() << "no basin binary";
  const std::string d = scratch() + "/locked";
  ASSERT_EQ(run(tiny(d, 1)).status, 0);
  const std::string pid = "PID " + std::to_string(::getpid());
  {
    HeldLock lock(d);
    for (const std::string& args : {"train --resume " + d + " --epochs 2 --quiet", tiny(d, 1)}) {
      basin::testing::CliRun r = run(args);
      EXPECT_NE(r.status, 0);
      EXPECT_NE(r.err.find(d + " is in use by another basin process (" + pid), std::string::npos) << r.err;
    }
    const std::string empty = scratch() + "/locked_empty";
    fs::create_directories(empty);
    HeldLock lock2(empty);
    basin::testing::CliRun r = run(tiny(empty, 1));
    EXPECT_NE(r.err.find("in use by another basin process (" + pid), std::string::npos) << r.err;
    EXPECT_EQ(metric_epochs(d), std::vector<int>{1});
  }
  // Released (as when the holder exits, kill -9 included): the stale .lock does not block.
  EXPECT_EQ(run("train --resume " + d + " --epochs 2 --quiet").status, 0);
  EXPECT_EQ(metric_epochs(d), (std::vector<int>{1, 2}));
}

TEST(CliRunFolders, ARunningBasinHoldsItsFolderAgainstResumeAndOut) {
  if (!fs::exists(basin_binary())) GTEST_SKIP() << "no basin binary";
  const std::string d = scratch() + "/running";
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string cmd = basin_binary() + " train --limit-train 4000 --limit-test 32 --hidden 64 --batch-size 8 "
                            "--workers 1 --quiet --epochs 50 --out " + d + " > /dev/null 2>&1";
    ::execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // config.json is written under the lock: once it exists, the lock is held.
  for (int i = 0; i < 600 && !fs::exists(d + "/config.json"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(fs::exists(d + "/config.json"));
  for (const std::string& args : {"train --resume " + d + " --quiet", tiny(d, 1)}) {
    basin::testing::CliRun r = run(args);
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("in use by another basin process (PID " + std::to_string(pid) + ","), std::string::npos)
        << r.err;
  }
  ::kill(pid, SIGKILL);
  int st = 0;
  ::waitpid(pid, &st, 0);
}

TEST(CliRunFolders, ResumeAfterACrashLeavesOneMetricsLinePerEpoch) {
  if (!fs::exists(basin_binary())) GTEST_SKIP() << "no basin binary";
  const std::string ref = scratch() + "/crash_ref", d = scratch() + "/crash";
  ASSERT_EQ(run(tiny(ref, 3)).status, 0);
  // Stopped inside epoch 2 (step 3 of 6): checkpoint at epoch 2, batch 1; one metrics line.
  ASSERT_EQ(run(tiny(d, 3) + " --max-steps 3").status, 0);
  ASSERT_EQ(metric_epochs(d), std::vector<int>{1});
  const std::string line1 = slurp(d + "/metrics.jsonl");
  // What a crash, a second writer or a full disk could leave: a repeat, a line of
  // an epoch the checkpoint has not finished, and a torn line without newline.
  std::ofstream(d + "/metrics.jsonl", std::ios::app)
      << line1 << R"({"epoch":2,"test_acc":0.5})" << "\n" << R"({"epoch": 1e300})" << "\n" << R"({"epoch":3,"tr)";
  ASSERT_EQ(run("train --resume " + d + " --quiet").status, 0);
  EXPECT_EQ(metric_epochs(d), (std::vector<int>{1, 2, 3}));
  // Resuming the finished run again, twice: still one line per epoch.
  for (int i = 0; i < 2; ++i) ASSERT_EQ(run("train --resume " + d + " --quiet").status, 0);
  EXPECT_EQ(metric_epochs(d), (std::vector<int>{1, 2, 3}));
  // And the figures are the uninterrupted run's.
  std::istringstream a(slurp(ref + "/metrics.jsonl")), b(slurp(d + "/metrics.jsonl"));
  for (std::string la, lb; std::getline(a, la) && std::getline(b, lb);)
    EXPECT_EQ(nlohmann::json::parse(la)["test_acc"], nlohmann::json::parse(lb)["test_acc"]);
  EXPECT_EQ(slurp(ref + "/model.safetensors"), slurp(d + "/model.safetensors"));
  // summary.csv is rebuilt from metrics.jsonl: one row per epoch, the same rows.
  const std::string summary = slurp(d + "/summary.csv");
  EXPECT_EQ(summary, slurp(ref + "/summary.csv"));
  EXPECT_EQ(std::count(summary.begin(), summary.end(), '\n'), 4);  // header + 3 epochs
}

TEST(RunDirMetrics, TruncateKeepsTheFirstWellFormedLineOfEachEpochInOrder) {
  const std::string d = scratch() + "/truncate";
  fs::create_directories(d);
  std::ofstream(d + "/metrics.jsonl") << R"({"epoch":1,"a":1})" "\n" R"({"epoch":1,"a":2})" "\n" R"(not json)" "\n"
                                      << R"({"epoch":"2"})" "\n" R"({"epoch":-2})" "\n" R"({"epoch":2,"a":3})" "\n"
                                      << R"({"epoch":4,"a":4})" "\n" R"({"epoch":3,"a":5})" "\n" R"({"epoch":3,"a)";
  basin::train::truncate_metrics({d}, 3);
  EXPECT_EQ(slurp(d + "/metrics.jsonl"), R"({"epoch":1,"a":1})" "\n" R"({"epoch":2,"a":3})" "\n" R"({"epoch":3,"a":5})" "\n");
  basin::train::truncate_metrics({d}, 1);
  EXPECT_EQ(slurp(d + "/metrics.jsonl"), R"({"epoch":1,"a":1})" "\n");
  EXPECT_FALSE(basin::train::read_epoch_metrics({d}, 1));  // not a line basin wrote: no figures
}

// summary.csv: timm's columns, one row per epoch in order, from the first
// well-formed line of each epoch; eval_top1 in percent.
TEST(RunDirMetrics, SummaryCsvHasTimmsColumnsAndOneRowPerEpoch) {
  const std::string d = scratch() + "/summary";
  fs::create_directories(d);
  auto line = [](int epoch, double train_loss, double test_loss, double test_acc, double lr) {
    basin::train::EpochMetrics m;
    m.epoch = epoch;
    m.train_loss = train_loss;
    m.test_loss = test_loss;
    m.test_acc = test_acc;
    m.lr = lr;
    return nlohmann::json(basin::train::to_json(m)).dump() + "\n";
  };
  std::ofstream(d + "/metrics.jsonl") << line(1, 2.5, 2.25, 0.5, 0.1) << line(1, 9, 9, 0.9, 9)  // a repeat
                                      << R"({"epoch":2,"a":1})" "\n"                              // not basin's
                                      << line(2, 1.5, 1.75, 0.625, 0.05) << line(3, 1, 1, 1, 0) << R"({"epoch":3,"tr)";
  basin::train::write_summary_csv({d});
  EXPECT_EQ(slurp(d + "/summary.csv"),
            "epoch,train_loss,eval_loss,eval_top1,lr\n1,2.5,2.25,50,0.1\n2,1.5,1.75,62.5,0.05\n3,1,1,100,0\n");
  fs::remove(d + "/metrics.jsonl");  // no metrics yet: the header alone
  basin::train::write_summary_csv({d});
  EXPECT_EQ(slurp(d + "/summary.csv"), "epoch,train_loss,eval_loss,eval_top1,lr\n");
}
