#include "train/run_dir.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "tensor/error.h"
#include "io/atomic_file.h"

namespace basin::train {

bool path_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

void make_dirs(const std::string& path) {
  BASIN_CHECK(!path.empty(), "run folder: empty path");
  std::string cur;
  std::stringstream ss(path);
  std::string part;
  if (path[0] == '/') cur = "/";
  while (std::getline(ss, part, '/')) {
    if (part.empty()) continue;
    cur += part;
    if (::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST)
      BASIN_FAIL("cannot create folder " << cur << ": " << std::strerror(errno));
    cur += "/";
  }
  struct stat st;
  BASIN_CHECK(::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode), path << " exists and is not a folder");
}

std::string default_run_dir(const TrainConfig& c) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  std::string base = std::string("runs/") + stamp + "-" + c.model + "-" + c.optimizer;
  std::string p = base;
  for (int i = 2; path_exists(p); ++i) p = base + "-" + std::to_string(i);
  return p;
}

void write_config(const RunDir& dir, const TrainConfig& c) {
  io::write_file_atomic(dir.config(), to_json(c).dump(2) + "\n");
}

TrainConfig read_config(const RunDir& dir) {
  std::ifstream f(dir.config());
  BASIN_CHECK(f, "cannot resume from " << dir.path << ": no " << dir.config()
                                         << " (is it a run folder written by basin train?)");
  nlohmann::json j;
  try {
    f >> j;
  } catch (const std::exception& e) {
    BASIN_FAIL(dir.config() << " is not valid JSON: " << e.what());
  }
  try {
    return config_from_json(j);
  } catch (const Error& e) {
    BASIN_FAIL(dir.config() << ": " << e.what());
  }
}

void truncate_metrics(const RunDir& dir, int last_epoch) {
  std::ifstream f(dir.metrics());
  if (!f) return;
  std::string line, kept;
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    try {
      auto j = nlohmann::json::parse(line);
      if (j.value("epoch", 0) > last_epoch) continue;
    } catch (const std::exception&) {
      continue;  // a torn last line from a crash
    }
    kept += line + "\n";
  }
  f.close();
  io::write_file_atomic(dir.metrics(), kept);
}

}  // namespace basin::train
