#pragma once
// What `basin bench` measures (tools/cmd_bench.cpp parses and prints; this does
// the work, so the numbers have one definition):
//
//   run_train_bench    training throughput: forward + backward + optimizer step
//                      on one fixed synthetic batch already on the device; median
//                      wall time of a step with the device synchronized after
//                      each step; images/s = batch / that time; peak device
//                      memory from the caching allocator over warm-up + timed steps.
//   run_kernel_bench   the fused arena kernels (kernels/arena.h) over an
//                      arena of n floats, in GB/s of bytes each must move, beside
//                      a plain copy (cudaMemcpy device-to-device, memcpy on CPU).
//
// bench/torch_reference.py times PyTorch the same way (same optimizer settings,
// same loss read per closure evaluation), so the two sets of JSON compare 1:1.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dist/communicator.h"
#include "tensor/tensor.h"

namespace basin::tools {

struct TrainBenchConfig {
  std::string model = "resnet18";  // nn::make_model name
  std::int64_t image_size = 32;    // <= 64: CIFAR stem and 10 classes; else ImageNet stem, 1000 classes
  std::int64_t batch_size = 8;
  std::string optimizer = "sgd";   // a name of optim/registry.h (nso: k 1, sigma 0.01; sam: rho 0.05); SGD lr 0.1 m 0.9 wd 5e-4
  int warmup = 1;
  int iters = 2;
  Device device = Device::cpu();
  // Data-parallel (`mpirun -np N basin bench`): the gradient all-reduce, run
  // before every update as the trainer does (optim ArenaRef::sync_grads).
  std::function<void(Tensor& grads)> reduce_grads;
  // Instead of reduce_grads: the gradient all-reduce overlapped with backward
  // (dist/overlapped_reducer.h, the trainer's --overlap-grads on) over this
  // communicator, averaging; SGD and AdamW only (one backward per step).
  dist::Communicator* overlap_comm = nullptr;
};

struct TrainBenchResult {
  TrainBenchConfig config;
  int passes = 1;               // forward+backward evaluations per step
  double step_ms = 0;           // median
  double step_ms_min = 0;
  double images_per_s = 0;      // batch / median step
  // The allocator's high-water mark (MiB) from the warm-up on: CUDA's caching
  // allocator, or on the CPU the large blocks (tensor/cpu_allocator.h; the C
  // library's small blocks and the libraries' own memory are not in it).
  double peak_mem_mb = -1;
  // CPU: large-block requests per timed step that the allocator's cache could
  // not serve (fresh pages to fault in); 0 in a steady training loop. -1 on CUDA.
  double cpu_cache_misses_per_step = -1;
  std::int64_t params = 0;
  float loss = 0;               // last step's reported loss (sanity: finite)
};

struct KernelBenchResult {
  std::string name;             // copy, arena_perturb, ...
  std::int64_t numel = 0;
  double bytes = 0;             // bytes the kernel must read + write
  double ms = 0;                // median
  double gb_per_s = 0;
  double of_copy = 0;           // gb_per_s / copy's gb_per_s
};

// Classes used for a given input size (10 for CIFAR-sized inputs, else 1000).
std::int64_t bench_num_classes(std::int64_t image_size);

TrainBenchResult run_train_bench(const TrainBenchConfig& cfg);
std::vector<KernelBenchResult> run_kernel_bench(Device device, std::int64_t numel, int iters);

// Device description for the report ("cpu (2 threads)", "NVIDIA H100 80GB HBM3, sm_90").
std::string bench_device_name(Device device);
// Frees cached device memory between configurations (no-op on CPU).
void bench_release_memory(Device device);

}  // namespace basin::tools
