#include "autograd/profiler.h"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <vector>

#include "kernels/dispatch.h"

namespace basin {

namespace {
thread_local Profiler* g_active = nullptr;
}

Profiler* Profiler::active() { return g_active; }

void Profiler::add(const std::string& phase, const std::string& name, double ms) {
  ProfileEntry& e = entries_[{phase, name}];
  e.ms += ms;
  e.calls += 1;
}

std::string Profiler::table(std::uint64_t peak_bytes, const std::string& peak_what) const {
  std::map<std::string, std::vector<std::pair<std::string, ProfileEntry>>> by_phase;
  std::map<std::string, double> totals;
  for (const auto& [key, e] : entries_) {
    by_phase[key.first].push_back({key.second, e});
    totals[key.first] += e.ms;
  }
  std::ostringstream os;
  char line[160];
  for (auto& [phase, rows] : by_phase) {
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.ms > b.second.ms; });
    std::snprintf(line, sizeof line, "%-9s %-22s %10s %12s %10s %7s\n", phase.c_str(), "op", "calls", "total ms",
                  "ms/call", "share");
    os << line;
    for (const auto& [name, e] : rows) {
      std::snprintf(line, sizeof line, "%-9s %-22s %10lld %12.2f %10.4f %6.1f%%\n", "", name.c_str(),
                    static_cast<long long>(e.calls), e.ms, e.ms / static_cast<double>(e.calls),
                    totals[phase] > 0 ? 100.0 * e.ms / totals[phase] : 0.0);
      os << line;
    }
    std::snprintf(line, sizeof line, "%-9s %-22s %10s %12.2f\n\n", "", "total", "", totals[phase]);
    os << line;
  }
  if (peak_bytes) {
    std::snprintf(line, sizeof line, "peak memory (%s): %.1f MiB\n", peak_what.c_str(),
                  static_cast<double>(peak_bytes) / (1024.0 * 1024.0));
    os << line;
  }
  return os.str();
}

ProfileScope::ProfileScope(Profiler& p) : prev_(g_active) { g_active = &p; }
ProfileScope::~ProfileScope() { g_active = prev_; }

ProfileTimer::ProfileTimer(const char* phase, const std::string& name, Device device)
    : p_(g_active), phase_(phase), device_(device) {
  if (!p_) return;
  name_ = name;
  kernels::synchronize(device_);  // earlier queued work is not this op's
  t0_ = std::chrono::steady_clock::now();
}

ProfileTimer::~ProfileTimer() {
  if (!p_) return;
  try {
    kernels::synchronize(device_);
  } catch (...) {
    return;  // an error is already on its way; the table is not worth masking it
  }
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0_).count();
  p_->add(phase_, name_, ms);
}

std::uint64_t host_peak_rss_bytes() {
  struct rusage ru {};
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return static_cast<std::uint64_t>(ru.ru_maxrss) * 1024;  // Linux reports KiB
}

}  // namespace basin
