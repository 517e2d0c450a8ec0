#include "tools/profile_report.h"

#include <cstdio>

#include "io/atomic_file.h"
#ifdef BASIN_WITH_CUDA
#include "tensor/cuda/caching_allocator.h"
#endif

namespace basin::tools {

void report_profile(const Profiler& p, Device device, const std::string& path) {
  std::uint64_t peak = host_peak_rss_bytes();
  std::string what = "host RSS";
#ifdef BASIN_WITH_CUDA
  if (device.is_cuda()) {
    peak = cuda::memory_stats(device.index).peak;
    what = "CUDA allocator, " + device.str();
  }
#else
  (void)device;
#endif
  std::string t = p.table(peak, what);
  std::fprintf(stderr, "\nprofile (each op timed with device syncs around it):\n%s", t.c_str());
  if (!path.empty()) io::write_file_atomic(path, t);
}

}  // namespace basin::tools
