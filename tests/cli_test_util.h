#pragma once
// Helpers for tests that run the built `basin` binary (BASIN_BINARY_DIR/basin)
// as a user would: a scratch folder removed when the test binary exits, and
// run_basin() capturing exit status, stdout and stderr.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace basin::testing {

inline const std::string& basin_binary() {
  static const std::string path = std::string(BASIN_BINARY_DIR) + "/basin";
  return path;
}

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// /tmp/basin_test_<name>_<pid>, created empty and removed with the object.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name)
      : path_((std::filesystem::temp_directory_path() / ("basin_test_" + name + "_" + std::to_string(::getpid())))
                  .string()) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct CliRun {
  int status = -1;  // exit status; -1 when killed by a signal
  std::string out, err;
};

// Runs `basin ARGS` through the shell; output files go to `scratch`.
inline CliRun run_basin(const std::string& args, const std::string& scratch) {
  static int n = 0;
  const std::string o = scratch + "/cli_out" + std::to_string(++n), e = o + ".err";
  const std::string cmd = "OMP_WAIT_POLICY=passive " + basin_binary() + " " + args + " > " + o + " 2> " + e;
  const int rc = std::system(cmd.c_str());
  CliRun r;
  r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.out = slurp(o);
  r.err = slurp(e);
  return r;
}

// run_basin that also prints "[message] basin ARGS -> exit N: STDERR", so
// docs/errors.md can quote what users see.
inline CliRun run_basin_logged(const std::string& args, const std::string& scratch) {
  CliRun r = run_basin(args, scratch);
  std::printf("[message] basin %s -> exit %d: %s", args.c_str(), r.status, r.err.c_str());
  return r;
}

// A quick, quiet MLP run on 64 Fashion-MNIST images (batches of 32: 2 steps an
// epoch) into `out`.
inline std::string tiny_train_args(const std::string& out, int epochs) {
  return "train --limit-train 64 --limit-test 32 --hidden 16 --batch-size 32 --workers 1 --quiet --epochs " +
         std::to_string(epochs) + " --out '" + out + "'";
}

}  // namespace basin::testing
