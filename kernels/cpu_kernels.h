#pragma once
// Which kernels the CPU backend runs for convolution and GEMM (process-wide):
// - Fast: oneDNN (kernels/cpu/onednn/), the vendor primitive library that
//   PyTorch also uses on CPUs; the default in a build with oneDNN (-DBASIN_DNNL).
// - Reference: basin's own kernels (kernels/cpu/: im2col + OpenBLAS sgemm,
//   OpenMP loops). They are the oracle every fast path is tested against
//   (tests/test_onednn_*.cpp), and the only kernels of a build without oneDNN.
// Batch norm and pooling always run basin's kernels: oneDNN's batch norm on the
// plain NCHW layout measured 3-4x slower than basin's (bench/cpu.md).
// The entry points (kernels/conv.cpp, matmul.cpp) make
// the choice for CPU tensors after their argument checks; CUDA is unaffected.
// `basin --cpu-kernels fast|reference <command>` and the environment variable
// BASIN_CPU_KERNELS (read once, at first use) set it.
#include <cstdint>
#include <string>

namespace basin::kernels {

enum class CpuKernels { Fast, Reference };

// Whether this build has the oneDNN fast path.
bool cpu_fast_kernels_built();
// Throws when Fast is asked of a build without oneDNN.
void set_cpu_kernels(CpuKernels k);
CpuKernels cpu_kernels();
// True when the entry points should call the fast path: built and selected.
bool use_cpu_fast_kernels();
// "fast" / "reference" <-> CpuKernels (throws naming the valid words).
CpuKernels parse_cpu_kernels(const std::string& name);
const char* cpu_kernels_name(CpuKernels k);

// Calls into the fast path so far (every fast conv/GEMM call
// counts one): tests check that `reference` really bypasses it.
std::uint64_t cpu_fast_kernel_calls();
void count_cpu_fast_kernel_call();

// Selects kernels for a scope and restores the previous choice after.
class CpuKernelsGuard {
 public:
  explicit CpuKernelsGuard(CpuKernels k) : saved_(cpu_kernels()) { set_cpu_kernels(k); }
  ~CpuKernelsGuard() { set_cpu_kernels(saved_); }
  CpuKernelsGuard(const CpuKernelsGuard&) = delete;
  CpuKernelsGuard& operator=(const CpuKernelsGuard&) = delete;

 private:
  CpuKernels saved_;
};

}  // namespace basin::kernels
