#pragma once
// Progress of one epoch on stderr. On a terminal: one line redrawn in place
// (batch, loss, accuracy, images/s, ETA) at most ~10 times a second. Otherwise
// (a log file, CI): a plain line every `plain_interval_s` seconds, so logs stay
// readable.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace basin::train {

class Progress {
 public:
  // out == nullptr: print nothing.
  Progress(int epoch, int epochs, std::int64_t num_batches, std::FILE* out = stderr, double plain_interval_s = 10.0);
  // After batch `batch` (0-based) with the epoch's running loss/accuracy so far,
  // its speed and the estimated seconds left in the epoch.
  void update(std::int64_t batch, double loss, double accuracy, double images_per_s, double eta_s);
  // Clears the in-place line (before the epoch summary is printed).
  void finish();
  static bool is_terminal(std::FILE* f);

 private:
  std::string line(std::int64_t batch, double loss, double accuracy, double images_per_s, double eta_s) const;

  int epoch_, epochs_;
  std::int64_t num_batches_;
  std::FILE* out_;
  bool tty_;
  double interval_;
  std::chrono::steady_clock::time_point last_;
  bool drawn_ = false;
};

// Progress of any other long pass (evaluation, the Hessian's loss passes, an
// export) on the same rule as Progress: on a terminal one line redrawn in place,
// otherwise a plain line every `plain_interval_s` seconds; out == nullptr prints
// nothing. "eval [######..........] 12/40 batches  2100 img/s  ETA 0:03".
// total == 0 (unknown): no bar and no ETA.
class TaskProgress {
 public:
  TaskProgress(std::string label, std::int64_t total, std::string unit, std::FILE* out = stderr,
               double plain_interval_s = 10.0);
  // `done` units so far (1-based count); `items_per_s` of what the rate counts
  // (images, passes), named by rate_unit.
  void update(std::int64_t done, double items_per_s = 0, const char* rate_unit = nullptr);
  void finish();
  double seconds() const;  // since construction

 private:
  std::string label_, unit_;
  std::int64_t total_;
  std::FILE* out_;
  bool tty_;
  double interval_;
  std::chrono::steady_clock::time_point start_, last_;
  bool drawn_ = false;
};

}  // namespace basin::train
