#pragma once
// A per-op time table for `basin train --profile` / `basin eval --profile`.
// While a ProfileScope is alive on a thread, every leaf Module's forward call
// (nn/module.cpp) and every backward node (autograd/engine.cpp) is timed and
// summed under (phase, name). Each timed region synchronizes its device before
// and after, so on a GPU the time is the op's own kernels (and the run is a bit
// slower than without profiling: queued work no longer overlaps the host).
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "tensor/device.h"

namespace basin {

struct ProfileEntry {
  double ms = 0;
  std::int64_t calls = 0;
};

class Profiler {
 public:
  // The profiler installed on this thread, or nullptr (the common, free case).
  static Profiler* active();
  void add(const std::string& phase, const std::string& name, double ms);
  const std::map<std::pair<std::string, std::string>, ProfileEntry>& entries() const { return entries_; }
  // Rows sorted by time within each phase, with totals and shares; `peak_bytes`
  // (device memory or host RSS) is printed below when non-zero.
  std::string table(std::uint64_t peak_bytes = 0, const std::string& peak_what = "") const;

 private:
  std::map<std::pair<std::string, std::string>, ProfileEntry> entries_;
};

class ProfileScope {
 public:
  explicit ProfileScope(Profiler& p);
  ~ProfileScope();
  ProfileScope(const ProfileScope&) = delete;
  ProfileScope& operator=(const ProfileScope&) = delete;

 private:
  Profiler* prev_;
};

// Times one region into the active profiler (no-op when there is none).
class ProfileTimer {
 public:
  ProfileTimer(const char* phase, const std::string& name, Device device);
  ~ProfileTimer();
  ProfileTimer(const ProfileTimer&) = delete;
  ProfileTimer& operator=(const ProfileTimer&) = delete;

 private:
  Profiler* p_;
  const char* phase_;
  std::string name_;
  Device device_;
  std::chrono::steady_clock::time_point t0_;
};

// Peak resident memory of this process in bytes (getrusage), for CPU runs.
std::uint64_t host_peak_rss_bytes();

}  // namespace basin
