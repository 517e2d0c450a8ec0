#include "train/run_dir.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <vector>

#include "io/json_text.h"
#include "tensor/error.h"
#include "io/atomic_file.h"
#include "train/run_lock.h"

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

namespace {

// The folder's entries but . and .. and .lock, sorted.
std::vector<std::string> entries_of(const std::string& path) {
  std::vector<std::string> names;
  DIR* d = ::opendir(path.c_str());
  BASIN_CHECK(d, "cannot list " << path << ": " << std::strerror(errno));
  while (const dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != ".." && n != ".lock") names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

// The epoch of a metrics line, or 0 when the line is torn or has none.
int epoch_of(const std::string& line, nlohmann::json* parsed) {
  try {
    nlohmann::json j = nlohmann::json::parse(line);
    if (!j.is_object() || !j.contains("epoch") || !j["epoch"].is_number_unsigned()) return 0;
    const auto e = j["epoch"].get<std::uint64_t>();
    if (e < 1 || e > 1000000000) return 0;
    if (parsed) *parsed = std::move(j);
    return static_cast<int>(e);
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

void check_fresh_run_folder(const std::string& path, bool we_hold_the_lock) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return;
  BASIN_CHECK(S_ISDIR(st.st_mode), "--out " << path << " exists and is not a folder");
  if (!we_hold_the_lock && path_exists(RunLock::file_in(path))) RunLock probe(path);  // names the PID of a running writer
  const std::vector<std::string> names = entries_of(path);
  if (names.empty()) return;
  RunDir dir{path};
  BASIN_CHECK(!path_exists(dir.checkpoint()), path << " already holds a run (checkpoint.safetensors); continue it with --resume "
                                                   << path << ", or choose another --out");
  std::string listed;
  for (size_t i = 0; i < names.size() && i < 3; ++i) listed += (i ? ", " : "") + names[i];
  if (names.size() > 3) listed += ", ... (" + std::to_string(names.size()) + " entries)";
  BASIN_CHECK(!path_exists(dir.config()), path << " already holds a run that cannot be resumed (" << listed
                                               << "; no checkpoint.safetensors); a run folder is never reused: "
                                                  "choose another --out, or remove the folder");
  BASIN_FAIL("--out " << path << " is not empty (it holds " << listed
                      << "); a run folder is created fresh: choose a new or empty folder");
}

void remove_new_run_folder(const std::string& path) {
  const RunDir dir{path};
  for (const std::string& f : {RunLock::file_in(path), dir.config(), dir.metrics(), dir.steps(), dir.checkpoint(), dir.model()})
    ::unlink(f.c_str());
  ::rmdir(path.c_str());  // fails, harmlessly, if anything else is there
}

void write_config(const RunDir& dir, const TrainConfig& c) {
  io::write_file_atomic(dir.config(), io::json_text(to_json(c), 2) + "\n");
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
  int next = 1;  // the epoch whose line comes next
  while (std::getline(f, line))
    if (next <= last_epoch && epoch_of(line, nullptr) == next) {
      kept += line + "\n";
      ++next;
    }
  f.close();
  io::write_file_atomic(dir.metrics(), kept);
}

void truncate_steps(const RunDir& dir, std::int64_t last_step) {
  std::ifstream f(dir.steps());
  if (!f) return;
  std::string line, kept;
  std::int64_t previous = 0;  // lines in increasing step order; anything else (a torn line) is dropped
  while (std::getline(f, line)) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("step") || !j["step"].is_number_integer()) continue;
    const auto step = j["step"].get<std::int64_t>();
    if (step > previous && step <= last_step) {
      kept += line + "\n";
      previous = step;
    }
  }
  f.close();
  io::write_file_atomic(dir.steps(), kept);
}

std::optional<EpochMetrics> read_epoch_metrics(const RunDir& dir, int epoch) {
  std::ifstream f(dir.metrics());
  nlohmann::json j;
  for (std::string line; std::getline(f, line);)
    if (epoch_of(line, &j) == epoch) {
      try {
        return metrics_from_json(j);
      } catch (const std::exception&) {
        return std::nullopt;  // a line basin did not write: no figure rather than a made-up one
      }
    }
  return std::nullopt;
}

void write_summary_csv(const RunDir& dir) {
  std::ifstream f(dir.metrics());
  std::string csv = "epoch,train_loss,eval_loss,eval_top1,lr\n";
  nlohmann::json j;
  int next = 1;
  for (std::string line; std::getline(f, line);) {
    if (epoch_of(line, &j) != next) continue;
    EpochMetrics m;
    try {
      m = metrics_from_json(j);
    } catch (const std::exception&) {
      continue;  // a line basin did not write: no row rather than made-up figures
    }
    char row[160];
    std::snprintf(row, sizeof row, "%d,%.9g,%.9g,%.9g,%.9g\n", m.epoch, m.train_loss, m.test_loss, 100 * m.test_acc,
                  m.lr);
    csv += row;
    ++next;
  }
  io::write_file_atomic(dir.summary(), csv);
}

}  // namespace basin::train
