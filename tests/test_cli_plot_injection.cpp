// Issue #12 class 1, no user text reaches an interpreter: `basin plot` with
// hostile names in every place a name can appear (run folder, its parent, title,
// --out, labels derived from them) draws the figure and runs nothing. The names
// hold backticks, $(...), quotes of both kinds, newlines, backslashes, gnuplot's
// own syntax and non-UTF-8 bytes; each would run `touch` through a shell or
// gnuplot's backtick substitution if it were interpreted. basin is run here with
// an argv (fork + execv), so the test's own shell cannot be the one that runs it,
// and with a private TMPDIR, which must be empty afterwards (temp folders are
// removed on success and on failure).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/cli_test_util.h"

namespace fs = std::filesystem;

namespace {

struct Result {
  int status = -1;
  std::string err;
};

Result run_argv(const std::vector<std::string>& args, const std::string& tmpdir, const std::string& cwd) {
  const std::string err_path = cwd + "/stderr.txt";
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::chdir(cwd.c_str()) != 0) ::_exit(120);
    const int fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) ::_exit(121);
    ::dup2(fd, 2);
    ::dup2(fd, 1);
    ::setenv("TMPDIR", tmpdir.c_str(), 1);
    std::vector<char*> argv;
    std::string bin = basin::testing::basin_binary();
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  Result r;
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.err = basin::testing::slurp(err_path);
  return r;
}

void write_run(const fs::path& dir) {
  fs::create_directories(dir);
  std::ofstream m(dir / "metrics.jsonl");
  for (int e = 1; e <= 3; ++e)
    m << "{\"epoch\":" << e << ",\"train_loss\":" << 1.0 / e << ",\"test_acc\":" << 0.5 + 0.1 * e << "}\n";
}

bool has_gnuplot() {
  for (const char* d : {"/usr/bin/gnuplot", "/usr/local/bin/gnuplot", "/bin/gnuplot"})
    if (::access(d, X_OK) == 0) return true;
  return false;
}

}  // namespace

TEST(CliPlotInjection, HostileNamesInEveryPlaceRunNothing) {
  if (!fs::exists(basin::testing::basin_binary())) GTEST_SKIP() << "no basin binary";
  if (!has_gnuplot()) GTEST_SKIP() << "gnuplot not installed";
  basin::testing::ScratchDir scratch("plot_injection");
  const fs::path root = scratch.path();
  const fs::path tmpdir = root / "tmp";
  fs::create_directories(tmpdir);
  // Each name would create root/pwned_<n> if a shell or gnuplot ran any part of it.
  // (Relative paths: the marker lands in basin's working folder, root.)
  const std::vector<std::string> hostile = {
      "a`touch pwned_1`b",
      "a$(touch pwned_2)b",
      "q'`touch pwned_3`'q",
      "dq\"`touch pwned_4`\"dq",
      "nl\n`touch pwned_5`\nnl",
      "bs\\\"`touch pwned_6`\\",
      "gp'; system('touch pwned_7'); print '",
      "gp\"; system(\"touch pwned_8\"); print \"",
      std::string("u\xff\xfe`touch pwned_9`\xc3"),
      "dollar $HOME ${PATH} %s %n",
  };
  int n = 0;
  for (const std::string& name : hostile) {
    ++n;
    SCOPED_TRACE("case " + std::to_string(n));
    const fs::path parent = root / ("p" + std::to_string(n) + "_" + name);  // a data file path holds it too
    const fs::path run = parent / ("run_" + name);
    write_run(run);
    const fs::path run2 = root / ("r2_" + std::to_string(n) + name);
    write_run(run2);
    const std::string out = (root / ("out" + std::to_string(n) + name + ".png")).string();
    Result r = run_argv({"plot", run.string(), run2.string(), "--title", name, "--out", out}, tmpdir.string(),
                        root.string());
    EXPECT_EQ(r.status, 0) << r.err;
    std::ifstream png(out, std::ios::binary);
    char sig[4] = {};
    png.read(sig, 4);
    EXPECT_EQ(std::string(sig + 1, 3), "PNG") << "no PNG at " << out;
    // An SVG with the same names: the text lands in the file, escaped, not run.
    const std::string svg = (root / ("out" + std::to_string(n) + name + ".svg")).string();
    r = run_argv({"plot", run.string(), "--title", name, "--out", svg}, tmpdir.string(), root.string());
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(fs::exists(svg));
  }
  for (int i = 1; i <= static_cast<int>(hostile.size()); ++i)
    EXPECT_FALSE(fs::exists(root / ("pwned_" + std::to_string(i)))) << "case " << i << " ran a command";
  EXPECT_TRUE(fs::is_empty(tmpdir)) << "a temp folder was left in TMPDIR";
  // The failure paths clean up too: a missing run, a run without known metrics,
  // an output folder that does not exist.
  const fs::path empty_run = root / "no_metrics`touch pwned_x`";
  fs::create_directories(empty_run);
  std::ofstream(empty_run / "metrics.jsonl") << "{\"epoch\": 1, \"other\": 2}\n";
  const std::vector<std::vector<std::string>> failing = {
      {"plot", (root / "missing`touch pwned_x`").string(), "--out", (root / "x.png").string()},
      {"plot", empty_run.string(), "--out", (root / "y.png").string()},
      {"plot", (root / "r2_1a`touch pwned_1`b").string(), "--out", (root / "nodir/`touch pwned_x`/z.png").string()},
  };
  for (const auto& args : failing) {
    Result r = run_argv(args, tmpdir.string(), root.string());
    EXPECT_NE(r.status, 0) << args[1];
    std::printf("[message] basin plot ... -> exit %d: %s", r.status, r.err.c_str());
  }
  EXPECT_FALSE(fs::exists(root / "pwned_x"));
  EXPECT_TRUE(fs::is_empty(tmpdir)) << "a temp folder was left after a failure";
}
