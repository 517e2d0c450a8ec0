// Data-parallel training end to end: `mpirun -np 2 basin train` against one
// process on the MLP (Fashion-MNIST, a few steps). The equivalences of
// docs/train.md ("Data-parallel training"), rank 0's sole writing, resuming
// with another number of processes, and a killed rank ending the job.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "cli_test_util.h"
#include "nn/safetensors.h"

namespace basin {
namespace {

using testing::CliRun;
using testing::ScratchDir;
namespace fs = std::filesystem;

// mpirun -np N basin ARGS (N = 0: basin alone). OMP_NUM_THREADS=1: 2 ranks on
// CI's 2 cores.
CliRun run_np(int np, const std::string& args, const std::string& scratch) {
  static int n = 0;
  const std::string o = scratch + "/np_out" + std::to_string(++n), e = o + ".err";
  const std::string launcher = np > 0 ? std::string(BASIN_MPIRUN) + " -np " + std::to_string(np) + " " : "";
  const std::string cmd = "OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive " + launcher + testing::basin_binary() + " " +
                          args + " > " + o + " 2> " + e;
  const int rc = std::system(cmd.c_str());
  CliRun r;
  r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.out = testing::slurp(o);
  r.err = testing::slurp(e);
  return r;
}

// 129 training images: with a global batch of 32 the last batch holds one image
// (rank 1's part of it is empty), 5 steps an epoch.
std::string train_args(const std::string& out, int batch, const std::string& extra = "--lr 0.1") {
  return "train --device cpu --limit-train 129 --limit-test 40 --hidden 16 --workers 1 --quiet --epochs 2 --batch-size " +
         std::to_string(batch) + " --out '" + out + "' " + extra;
}

// max |a - b| over every tensor of two weight files.
double max_abs_diff(const std::string& a, const std::string& b) {
  nn::SafetensorsFile fa = nn::load_safetensors(a), fb = nn::load_safetensors(b);
  EXPECT_EQ(fa.tensors.size(), fb.tensors.size());
  double m = 0;
  for (const auto& [name, ta] : fa.tensors) {
    const Tensor& tb = fb.get(name);
    if (ta.dtype() != DType::Float32) continue;
    EXPECT_EQ(ta.numel(), tb.numel()) << name;
    for (std::int64_t i = 0; i < ta.numel(); ++i)
      m = std::max(m, std::fabs(static_cast<double>(ta.data<float>()[i]) - tb.data<float>()[i]));
  }
  return m;
}

// Float summation order alone: 2 x 16 rows against 32 differ by rounding only.
constexpr double kSameRun = 2e-5;

void expect_ok(const CliRun& r, const std::string& what) {
  ASSERT_EQ(r.status, 0) << what << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err;
}

TEST(DistCli, TwoRanksOfBatchBAreOneProcessOf2B) {
  ScratchDir s("dist_sgd");
  const std::string one = s.path() + "/one", two = s.path() + "/two", half = s.path() + "/half";
  expect_ok(run_np(0, train_args(one, 32), s.path()), "1 x 32");
  CliRun r = run_np(2, train_args(two, 16), s.path());
  expect_ok(r, "2 x 16");
  EXPECT_NE(r.err.find("global batch 32"), std::string::npos) << r.err;
  const double d = max_abs_diff(one + "/model.safetensors", two + "/model.safetensors");
  std::printf("[measure] SGD, 2 ranks x 16 vs 1 process x 32, 10 steps: max |dW| = %.3g\n", d);
  EXPECT_LT(d, kSameRun);
  // The tolerance can tell runs apart: one process at batch 16 is another run.
  expect_ok(run_np(0, train_args(half, 16), s.path()), "1 x 16");
  EXPECT_GT(max_abs_diff(one + "/model.safetensors", half + "/model.safetensors"), 100 * kSameRun);
  // AdamW too (its update divides by sqrt(v): a check of the averaged gradient's scale).
  const std::string a1 = s.path() + "/a1", a2 = s.path() + "/a2";
  expect_ok(run_np(0, train_args(a1, 32, "--optimizer adamw --lr 0.001"), s.path()), "adamw 1 x 32");
  expect_ok(run_np(2, train_args(a2, 16, "--optimizer adamw --lr 0.001"), s.path()), "adamw 2 x 16");
  const double da = max_abs_diff(a1 + "/model.safetensors", a2 + "/model.safetensors");
  std::printf("[measure] AdamW, 2 ranks x 16 vs 1 process x 32: max |dW| = %.3g\n", da);
  EXPECT_LT(da, 1e-4);
}

// The overlapped all-reduce (buckets reduced while backward runs, the default
// for SGD and AdamW) against the reduction after backward: bitwise the same
// weights with 2 ranks, tiny buckets (many of them) and uneven shards (the last
// step's rank 1 has no rows and runs no backward).
TEST(DistCli, OverlappedAllreduceIsBitwiseTheReductionAfterBackward) {
  ScratchDir s("dist_overlap");
  for (const std::string opt : {"--lr 0.1", "--optimizer adamw --lr 0.001"}) {
    const std::string on = s.path() + "/on", off = s.path() + "/off";
    fs::remove_all(on);
    fs::remove_all(off);
    CliRun r = run_np(2, train_args(on, 16, opt + " --overlap-grads on --bucket-mb 0.002"), s.path());
    expect_ok(r, "overlap on, " + opt);
    EXPECT_NE(r.err.find("overlapped with backward"), std::string::npos) << r.err;
    CliRun k = run_np(2, train_args(off, 16, opt + " --overlap-grads off"), s.path());
    expect_ok(k, "overlap off, " + opt);
    EXPECT_NE(k.err.find("all-reduce after backward"), std::string::npos) << k.err;
    EXPECT_EQ(max_abs_diff(on + "/model.safetensors", off + "/model.safetensors"), 0.0) << opt;
  }
  // Perturbation methods reduce after their last pass whatever the flag says.
  CliRun n = run_np(2, train_args(s.path() + "/sam", 16, "--lr 0.1 --optimizer sam --overlap-grads on"), s.path());
  expect_ok(n, "sam");
  EXPECT_NE(n.err.find("all-reduce after backward"), std::string::npos) << n.err;
}

// BASIN_DIST=mpi under mpirun -np 1: the whole reduction path with one rank (the
// GPU check of the NCCL reducer runs this on one GPU) changes nothing, bit for bit.
TEST(DistCli, OneRankThroughMpiIsBitwiseOneProcess) {
  ScratchDir s("dist_one");
  const std::string plain = s.path() + "/plain", forced = s.path() + "/forced";
  expect_ok(run_np(0, train_args(plain, 32, "--lr 0.1 --optimizer nso --k 2"), s.path()), "plain");
  const std::string cmd = "BASIN_DIST=mpi OMP_NUM_THREADS=1 " + std::string(BASIN_MPIRUN) + " -np 1 " +
                          testing::basin_binary() + " " + train_args(forced, 32, "--lr 0.1 --optimizer nso --k 2") +
                          " 2> '" + s.path() + "/forced.err'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << testing::slurp(s.path() + "/forced.err");
  EXPECT_NE(testing::slurp(s.path() + "/forced.err").find("1 processes (mpi)"), std::string::npos)
      << testing::slurp(s.path() + "/forced.err");
  EXPECT_EQ(max_abs_diff(plain + "/model.safetensors", forced + "/model.safetensors"), 0.0);
}

TEST(DistCli, NsoSharedNoiseIsOneProcessIndependentIsNot) {
  ScratchDir s("dist_nso");
  const std::string nso = "--lr 0.1 --optimizer nso --sigma 0.05 --k 2";
  const std::string one = s.path() + "/one", shared = s.path() + "/shared", indep = s.path() + "/indep";
  expect_ok(run_np(0, train_args(one, 32, nso), s.path()), "nso 1 x 32");
  expect_ok(run_np(2, train_args(shared, 16, nso + " --rank-noise shared"), s.path()), "nso shared");
  expect_ok(run_np(2, train_args(indep, 16, nso + " --rank-noise independent"), s.path()), "nso independent");
  const double ds = max_abs_diff(one + "/model.safetensors", shared + "/model.safetensors");
  const double di = max_abs_diff(one + "/model.safetensors", indep + "/model.safetensors");
  std::printf("[measure] NSO k=2: shared noise vs 1 process max |dW| = %.3g; independent: %.3g\n", ds, di);
  EXPECT_LT(ds, kSameRun);
  EXPECT_GT(di, 100 * kSameRun);  // rank 1 drew other perturbations
}

TEST(DistCli, OnlyRankZeroWrites) {
  ScratchDir s("dist_writes");
  const std::string one = s.path() + "/one", two = s.path() + "/two";
  expect_ok(run_np(0, train_args(one, 32, "--lr 0.1 --log-every 1"), s.path()), "1 x 32");
  const std::string cwd = s.path() + "/cwd";
  fs::create_directories(cwd);
  // From an empty folder and with no --out: the default run folder (a timestamp)
  // must be one folder, named once by rank 0.
  std::string cmd = "cd '" + cwd + "' && OMP_NUM_THREADS=1 " + std::string(BASIN_MPIRUN) + " -np 2 " +
                    testing::basin_binary() +
                    " train --device cpu --limit-train 129 --limit-test 40 --hidden 16 --workers 1 --quiet --epochs 1 "
                    "--batch-size 16 --log-every 1 > out.txt 2> err.txt";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << testing::slurp(cwd + "/err.txt");
  std::set<std::string> runs;
  for (const auto& e : fs::directory_iterator(cwd + "/runs")) runs.insert(e.path().filename().string());
  ASSERT_EQ(runs.size(), 1u) << "every rank made its own run folder";
  // stdout: the run folder once (rank 0 speaks for the run).
  const std::string out = testing::slurp(cwd + "/out.txt");
  EXPECT_EQ(out, "runs/" + *runs.begin() + "\n");
  // The same files as one process writes, and steps.jsonl written once per step.
  expect_ok(run_np(2, train_args(two, 16, "--lr 0.1 --log-every 1"), s.path()), "2 x 16");
  std::set<std::string> f1, f2;
  for (const auto& e : fs::directory_iterator(one)) f1.insert(e.path().filename().string());
  for (const auto& e : fs::directory_iterator(two)) f2.insert(e.path().filename().string());
  EXPECT_EQ(f1, f2);
  EXPECT_EQ(testing::slurp(one + "/metrics.jsonl").size() > 0, true);
  auto lines = [](const std::string& t) { return std::count(t.begin(), t.end(), '\n'); };
  EXPECT_EQ(lines(testing::slurp(two + "/steps.jsonl")), 10);   // 2 epochs x 5 steps, one line each
  EXPECT_EQ(lines(testing::slurp(two + "/metrics.jsonl")), 2);
}

TEST(DistCli, ResumeWithAnotherNumberOfProcesses) {
  ScratchDir s("dist_resume");
  const std::string full = s.path() + "/full", a = s.path() + "/a", b = s.path() + "/b";
  expect_ok(run_np(0, train_args(full, 32), s.path()), "uninterrupted 1 x 32");
  // 2 processes, stopped after 3 steps, continued by one process (batch 32 per process)...
  expect_ok(run_np(2, train_args(a, 16, "--lr 0.1 --max-steps 3"), s.path()), "2 x 16, 3 steps");
  CliRun r = run_np(0, "train --quiet --resume '" + a + "'", s.path());
  expect_ok(r, "resume on 1");
  EXPECT_NE(r.err.find("32 per process keeps the global batch of 32"), std::string::npos) << r.err;
  // ... and one process stopped after 7 steps (inside epoch 2), continued by two.
  expect_ok(run_np(0, train_args(b, 32, "--lr 0.1 --max-steps 7"), s.path()), "1 x 32, 7 steps");
  expect_ok(run_np(2, "train --quiet --resume '" + b + "'", s.path()), "resume on 2");
  const double da = max_abs_diff(full + "/model.safetensors", a + "/model.safetensors");
  const double db = max_abs_diff(full + "/model.safetensors", b + "/model.safetensors");
  std::printf("[measure] resumed 2 -> 1 processes: max |dW| = %.3g; 1 -> 2: %.3g\n", da, db);
  EXPECT_LT(da, kSameRun);
  EXPECT_LT(db, kSameRun);
  // A global batch the new number of processes cannot split is refused.
  const std::string c = s.path() + "/c";
  expect_ok(run_np(0, train_args(c, 33, "--lr 0.1 --max-steps 1"), s.path()), "1 x 33");
  CliRun bad = run_np(2, "train --quiet --resume '" + c + "'", s.path());
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("is not a multiple of 2"), std::string::npos) << bad.err;
}

// A non-finite loss reaches every rank at the step's all-reduce: stop ends the
// job with the message (no rank left waiting), skip skips the batch on all ranks.
TEST(DistCli, NonFiniteLossStopsOrSkipsOnEveryRank) {
  ScratchDir s("dist_nonfinite");
  const std::string stop = s.path() + "/stop", skip = s.path() + "/skip";
  CliRun r = run_np(2, train_args(stop, 16, "--lr 1e30"), s.path());
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("non-finite training loss"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[rank "), std::string::npos) << r.err;  // (the first rank to abort ends the others)
  EXPECT_FALSE(fs::exists(stop + "/model.safetensors"));
  CliRun k = run_np(2, train_args(skip, 16, "--lr 1e30 --on-nonfinite skip"), s.path());
  expect_ok(k, "skip");
  EXPECT_NE(k.err.find("batch skipped"), std::string::npos) << k.err;
  // The same with the reduction after backward (the flag travels with the rows).
  CliRun o = run_np(2, train_args(s.path() + "/off", 16, "--lr 1e30 --overlap-grads off"), s.path());
  EXPECT_NE(o.status, 0);
  EXPECT_NE(o.err.find("non-finite training loss"), std::string::npos) << o.err;
}

// Starts `cmd` (exec'd by sh, so the pid is mpirun's); returns the pid.
pid_t spawn(const std::string& cmd) {
  pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

// The pid of the process of `rank` among mpirun's children (0 if none yet).
pid_t rank_pid(pid_t mpirun, int rank) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    int ppid = 0;
    char state = 0;
    if (std::sscanf(line.c_str() + close + 1, " %c %d", &state, &ppid) != 2 || ppid != mpirun) continue;
    const std::string env = testing::slurp((e.path() / "environ").string());
    if (env.find(std::string("OMPI_COMM_WORLD_RANK=") + std::to_string(rank) + '\0') != std::string::npos)
      return static_cast<pid_t>(std::stoi(name));
  }
  return 0;
}

// Waits up to `seconds` for pid; its wait status, or -1 on timeout (then killed).
int wait_for(pid_t pid, double seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    int st = 0;
    if (waitpid(pid, &st, WNOHANG) == pid) return st;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGKILL);
  int st = 0;
  waitpid(pid, &st, 0);
  return -1;
}

// A long run (thousands of steps) under mpirun, whose rank 1 gets `sig` once
// steps are being taken.
struct SignalledRun {
  int status = -1;
  std::string err;
  bool rank_found = false;
};
SignalledRun signal_rank_one(const std::string& out, int sig, const std::string& scratch) {
  const std::string err = scratch + "/signal.err";
  const std::string cmd = "env OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive " + std::string(BASIN_MPIRUN) + " -np 2 " +
                          testing::basin_binary() +
                          " train --device cpu --limit-train 64 --limit-test 16 --hidden 16 --workers 0 --quiet --epochs 5000 "
                          "--batch-size 8 --log-every 1 --out '" + out + "' > /dev/null 2> '" + err + "'";
  pid_t mpirun = spawn(cmd);
  SignalledRun r;
  // Once steps.jsonl has lines, both ranks are inside the training loop.
  for (int i = 0; i < 600 && testing::slurp(out + "/steps.jsonl").size() < 10; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  pid_t victim = rank_pid(mpirun, 1);
  r.rank_found = victim > 0;
  if (victim > 0) kill(victim, sig);
  const int st = wait_for(mpirun, 60);
  r.status = st < 0 ? -2 : (WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  r.err = testing::slurp(err);
  return r;
}

TEST(DistCli, KilledRankEndsTheOthersNamingIt) {
  ScratchDir s("dist_kill");
  SignalledRun r = signal_rank_one(s.path() + "/run", SIGKILL, s.path());
  ASSERT_TRUE(r.rank_found) << r.err;
  ASSERT_NE(r.status, -2) << "the job hung after rank 1 was killed:\n" << r.err;
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("rank 1"), std::string::npos) << r.err;
  std::printf("[message] rank 1 killed -> mpirun exit %d: %s\n", r.status, r.err.c_str());
}

TEST(DistCli, SigtermOnOneRankStopsAllWithACheckpoint) {
  ScratchDir s("dist_term");
  const std::string run = s.path() + "/run";
  SignalledRun r = signal_rank_one(run, SIGTERM, s.path());
  ASSERT_TRUE(r.rank_found) << r.err;
  ASSERT_NE(r.status, -2) << "the job hung after SIGTERM on rank 1:\n" << r.err;
  EXPECT_TRUE(fs::exists(run + "/checkpoint.safetensors")) << r.err;
  EXPECT_NE(r.err.find("interrupted"), std::string::npos) << r.err;
  EXPECT_EQ(r.status, 130) << r.err;
}


// max |a - b| over the tensors of two weight files whose name contains `part`
// ("running_": batch norm's running statistics).
double max_abs_diff_of(const std::string& a, const std::string& b, const std::string& part) {
  nn::SafetensorsFile fa = nn::load_safetensors(a), fb = nn::load_safetensors(b);
  double m = 0;
  int seen = 0;
  for (const auto& [name, ta] : fa.tensors) {
    if (name.find(part) == std::string::npos || ta.dtype() != DType::Float32) continue;
    ++seen;
    const Tensor& tb = fb.get(name);
    for (std::int64_t i = 0; i < ta.numel(); ++i)
      m = std::max(m, std::fabs(static_cast<double>(ta.data<float>()[i]) - tb.data<float>()[i]));
  }
  EXPECT_GT(seen, 0) << "no tensor named *" << part << "* in " << a;
  return m;
}

// --sync-bn: a small ResNet (batch norm everywhere) on 2 ranks x 8 normalizes
// with the global batch's statistics, so it ends with the weights and running
// statistics of one process x 16; without the flag each rank's shard statistics
// make another run. 33 images: two full steps, then one row (rank 1 has none and
// must still join every batch-norm all-reduce, forward and backward). A small
// --lr: a tiny-batch ResNet amplifies rounding differences from step to step.
TEST(DistCli, SyncBatchNormTwoRanksOfBatchBAreOneProcessOf2B) {
  ScratchDir s("dist_syncbn");
  auto args = [&](const std::string& out, int batch, const std::string& extra) {
    return "train --device cpu --model resnet18 --base-width 4 --limit-train 33 --limit-test 16 --workers 1 --quiet "
           "--epochs 1 --lr 0.01 --batch-size " + std::to_string(batch) + " --out '" + out + "' " + extra;
  };
  const std::string one = s.path() + "/one", sync = s.path() + "/sync", local = s.path() + "/local";
  expect_ok(run_np(0, args(one, 16, ""), s.path()), "1 x 16");
  CliRun r = run_np(2, args(sync, 8, "--sync-bn"), s.path());
  expect_ok(r, "2 x 8 --sync-bn");
  EXPECT_NE(r.err.find("normalize with the global batch's statistics"), std::string::npos) << r.err;
  expect_ok(run_np(2, args(local, 8, ""), s.path()), "2 x 8");
  const std::string w1 = one + "/model.safetensors";
  const double d = max_abs_diff(w1, sync + "/model.safetensors");
  const double dr = max_abs_diff_of(w1, sync + "/model.safetensors", "running_");
  const double dl = max_abs_diff(w1, local + "/model.safetensors");
  const double dlr = max_abs_diff_of(w1, local + "/model.safetensors", "running_");
  const double dw = max_abs_diff_of(w1, sync + "/model.safetensors", "weight");
  const double dlw = max_abs_diff_of(w1, local + "/model.safetensors", "weight");
  std::printf("[measure] ResNet-18/4, 2 ranks x 8 vs 1 process x 16, 3 steps: --sync-bn max |d| = %.3g (weights "
              "%.3g, running stats %.3g); without it %.3g (weights %.3g, running stats %.3g)\n",
              d, dw, dr, dl, dlw, dlr);
  EXPECT_LT(d, 1e-4);
  EXPECT_LT(dr, 1e-4);
  EXPECT_GT(dl, 100 * d);
  // One process: --sync-bn changes nothing (the batch statistics are global already).
  CliRun o = run_np(0, args(s.path() + "/one_sync", 16, "--sync-bn"), s.path());
  expect_ok(o, "1 x 16 --sync-bn");
  EXPECT_NE(o.err.find("--sync-bn: one process"), std::string::npos) << o.err;
  EXPECT_EQ(max_abs_diff(w1, s.path() + "/one_sync/model.safetensors"), 0.0);
}

}  // namespace
}  // namespace basin
