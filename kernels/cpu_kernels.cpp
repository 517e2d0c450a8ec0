// The process-wide choice between the oneDNN fast path and basin's reference
// CPU kernels (kernels/cpu_kernels.h).
#include "kernels/cpu_kernels.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "tensor/error.h"

namespace basin::kernels {

namespace {
CpuKernels initial() {
  CpuKernels k = cpu_fast_kernels_built() ? CpuKernels::Fast : CpuKernels::Reference;
  const char* env = std::getenv("BASIN_CPU_KERNELS");
  if (env && *env) {
    try {
      k = parse_cpu_kernels(env);
    } catch (const std::exception& e) {  // a bad environment must not abort a program at start-up
      std::fprintf(stderr, "basin: warning: BASIN_CPU_KERNELS ignored: %s\n", e.what());
    }
  }
  return k;
}
std::atomic<int>& setting() {
  static std::atomic<int> s{static_cast<int>(initial())};
  return s;
}
std::atomic<std::uint64_t> g_fast_calls{0};
}  // namespace

bool cpu_fast_kernels_built() {
#ifdef BASIN_WITH_DNNL
  return true;
#else
  return false;
#endif
}

void set_cpu_kernels(CpuKernels k) {
  BASIN_CHECK(k == CpuKernels::Reference || cpu_fast_kernels_built(),
              "--cpu-kernels fast: this build of basin has no oneDNN (configure with -DBASIN_DNNL=ON and "
              "libdnnl-dev installed); use --cpu-kernels reference");
  setting().store(static_cast<int>(k));
}

CpuKernels cpu_kernels() { return static_cast<CpuKernels>(setting().load()); }

bool use_cpu_fast_kernels() { return cpu_fast_kernels_built() && cpu_kernels() == CpuKernels::Fast; }

CpuKernels parse_cpu_kernels(const std::string& name) {
  if (name == "fast") {
    BASIN_CHECK(cpu_fast_kernels_built(), "cpu kernels 'fast': this build of basin has no oneDNN (-DBASIN_DNNL)");
    return CpuKernels::Fast;
  }
  if (name == "reference") return CpuKernels::Reference;
  BASIN_FAIL("cpu kernels must be 'fast' or 'reference', got '" << name << "'");
  return CpuKernels::Reference;  // not reached
}

const char* cpu_kernels_name(CpuKernels k) { return k == CpuKernels::Fast ? "fast" : "reference"; }

std::uint64_t cpu_fast_kernel_calls() { return g_fast_calls.load(); }
void count_cpu_fast_kernel_call() { g_fast_calls.fetch_add(1, std::memory_order_relaxed); }

}  // namespace basin::kernels
