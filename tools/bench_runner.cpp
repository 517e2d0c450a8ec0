// The measurements behind `basin bench` (see tools/bench_runner.h).
#include "tools/bench_runner.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <sstream>

#include "autograd/backward_hooks.h"
#include "autograd/ops.h"
#include "dist/overlapped_reducer.h"
#include "tensor/cpu_allocator.h"
#include "kernels/random.h"
#include "nn/models/factory.h"
#include "kernels/arena.h"
#include "optim/registry.h"
#include "tensor/error.h"

#ifdef BASIN_WITH_CUDA
#include <cuda_runtime.h>

#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"
#include "tensor/cuda/caching_allocator.h"
#endif

namespace basin::tools {
namespace {

void sync(Device d) { kernels::synchronize(d); }

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Median ms of `iters` calls of f (device synchronized after each) after 2 warm-ups.
double time_kernel_ms(Device d, int iters, const std::function<void()>& f) {
  for (int i = 0; i < 2; ++i) f();
  sync(d);
  std::vector<double> t;
  for (int i = 0; i < std::max(iters, 1); ++i) {
    const double a = now_ms();
    f();
    sync(d);
    t.push_back(now_ms() - a);
  }
  return median(t);
}

// Any optimizer of optim's table, with fixed settings: SGD lr 0.1, momentum 0.9,
// weight decay 5e-4 (under the perturbation methods too), NSO sigma 0.01 k 1,
// SAM rho 0.05.
std::unique_ptr<optim::Optimizer> make_optimizer(const std::string& name, const optim::ArenaRef& ref) {
  const optim::OptimizerEntry* e = optim::find_optimizer(name);
  BASIN_CHECK(e, "basin bench: unknown optimizer '" << name << "' (" << optim::optimizer_list() << ")");
  optim::OptimizerSettings s;
  s.lr = 0.1;
  s.momentum = 0.9;
  s.weight_decay = 5e-4;
  s.sigma = 0.01;
  s.k = 1;
  s.rho = 0.05;
  return e->build(ref, s);
}

}  // namespace

std::int64_t bench_num_classes(std::int64_t image_size) { return image_size <= 64 ? 10 : 1000; }

TrainBenchResult run_train_bench(const TrainBenchConfig& cfg) {
  BASIN_CHECK(cfg.batch_size > 0 && cfg.image_size >= 8 && cfg.iters > 0 && cfg.warmup >= 0,
              "basin bench: need batch_size > 0, image_size >= 8, iters > 0, warmup >= 0; got batch "
                  << cfg.batch_size << ", image " << cfg.image_size << ", iters " << cfg.iters << ", warmup "
                  << cfg.warmup);
  TrainBenchResult r;
  r.config = cfg;
  const Device dev = cfg.device;
  const std::int64_t classes = bench_num_classes(cfg.image_size);

  nn::ModelOptions mo;
  mo.num_classes = classes;
  mo.in_channels = 3;
  mo.cifar_stem = cfg.image_size <= 64;
  auto model = nn::make_model(cfg.model, mo);
  model->to(dev);
  model->train();
  auto& arena = model->finalize_arena(dev);
  r.params = arena.numel();
  optim::ArenaRef ref = optim::arena_ref(arena);
  if (cfg.reduce_grads) {
    Tensor grads = arena.grads();
    ref.sync_grads = [grads, f = cfg.reduce_grads]() mutable { f(grads); };
  }
  std::unique_ptr<dist::OverlappedReducer> reducer;
  if (cfg.overlap_comm) {
    BASIN_CHECK(cfg.optimizer == "sgd" || cfg.optimizer == "adamw",
                "basin bench: the overlapped all-reduce is for sgd and adamw, not " << cfg.optimizer);
    std::vector<dist::ReducerParam> params;
    for (std::size_t i = 0; i < arena.segments().size(); ++i)
      params.push_back({arena.tensors()[i].impl_ptr().get(), arena.segments()[i].offset, arena.segments()[i].numel});
    reducer = std::make_unique<dist::OverlappedReducer>(*cfg.overlap_comm, arena.grads(), std::move(params));
    ref.sync_grads = [&reducer] { reducer->finish(); };
  }
  const float overlap_scale = cfg.overlap_comm ? 1.0f / static_cast<float>(cfg.overlap_comm->size()) : 1.0f;
  auto opt = make_optimizer(cfg.optimizer, std::move(ref));
  r.passes = opt->passes_per_step();

  // Synthetic batch, made once on the device: N(0, 1) images, labels i mod classes.
  Tensor x = Tensor::empty({cfg.batch_size, 3, cfg.image_size, cfg.image_size}, DType::Float32, dev);
  kernels::random_fill(x, kernels::Distribution::Normal, {1234, 0}, 0.0f, 1.0f);
  std::vector<std::int64_t> labels(static_cast<std::size_t>(cfg.batch_size));
  for (std::int64_t i = 0; i < cfg.batch_size; ++i) labels[static_cast<std::size_t>(i)] = i % classes;
  Tensor y = Tensor::from_vector(labels, {cfg.batch_size}, dev);

  // BatchNorm running statistics move on every pass here (the trainer freezes them
  // on the extra passes); the cost is the same either way.
  const optim::Closure closure = [&](bool) {
    if (reducer) reducer->start_step(overlap_scale);  // equal shards: each rank's gradient weighs 1/N
    Tensor loss = cross_entropy((*model)(x), y);
    {
      BackwardObserverGuard observe(reducer.get());
      loss.backward();
    }
    return loss.item();  // one sync per pass, as PyTorch's loss.item() in the reference
  };

  bench_release_memory(dev);
#ifdef BASIN_WITH_CUDA
  if (dev.is_cuda()) cuda::reset_peak(dev.index);
#endif
  if (dev.is_cpu()) cpu_allocator_reset_recent_peak();
  for (int i = 0; i < cfg.warmup; ++i) r.loss = opt->step(closure);
  sync(dev);
  const std::int64_t misses_before = cpu_allocator_stats().misses;
  std::vector<double> t;
  for (int i = 0; i < cfg.iters; ++i) {
    const double a = now_ms();
    r.loss = opt->step(closure);
    sync(dev);
    t.push_back(now_ms() - a);
  }
  r.step_ms = median(t);
  r.step_ms_min = *std::min_element(t.begin(), t.end());
  r.images_per_s = static_cast<double>(cfg.batch_size) / (r.step_ms * 1e-3);
#ifdef BASIN_WITH_CUDA
  if (dev.is_cuda()) r.peak_mem_mb = static_cast<double>(cuda::memory_stats(dev.index).peak) / (1024.0 * 1024.0);
#endif
  if (dev.is_cpu()) {
    const CpuAllocatorStats st = cpu_allocator_stats();
    r.peak_mem_mb = static_cast<double>(st.recent_peak_bytes) / (1024.0 * 1024.0);
    r.cpu_cache_misses_per_step = static_cast<double>(st.misses - misses_before) / cfg.iters;
  }
  return r;
}

std::vector<KernelBenchResult> run_kernel_bench(Device d, std::int64_t n, int iters) {
  using namespace basin::kernels;
  BASIN_CHECK(n > 0, "basin bench: arena size must be positive, got " << n);
  Tensor w = Tensor::zeros({n}, DType::Float32, d), w0 = Tensor::zeros({n}, DType::Float32, d);
  Tensor g = Tensor::zeros({n}, DType::Float32, d), acc = Tensor::zeros({n}, DType::Float32, d);
  Tensor buf = Tensor::zeros({n}, DType::Float32, d);
  random_fill(w0, Distribution::Normal, {1, 1}, 0.0f, 0.05f);
  random_fill(g, Distribution::Normal, {1, 2}, 0.0f, 0.01f);
  arena_copy(w, w0);
  const NoiseSpec noise{noise::Dist::Gaussian, 7, 1, 0.01f};
  SgdArgs sgd;
  sgd.lr = 0.1f;
  sgd.momentum = 0.9f;
  sgd.weight_decay = 5e-4f;
  sgd.first_step = false;
  const ArenaRanges no_decay;
  const double f = 4.0 * static_cast<double>(n);  // bytes of one float array

  std::vector<KernelBenchResult> out;
  auto add = [&](const char* name, double bytes, const std::function<void()>& fn) {
    KernelBenchResult k;
    k.name = name;
    k.numel = n;
    k.bytes = bytes;
    k.ms = time_kernel_ms(d, iters, fn);
    k.gb_per_s = bytes / (k.ms * 1e-3) / 1e9;
    out.push_back(k);
  };
  // The ceiling: a plain copy of one array (read + write).
  add("copy", 2 * f, [&] {
#ifdef BASIN_WITH_CUDA
    if (d.is_cuda()) {
      BASIN_CUDA_CHECK(cudaMemcpyAsync(w.raw_data(), w0.raw_data(), static_cast<std::size_t>(f),
                                       cudaMemcpyDeviceToDevice, kernels::cuda::stream()));
      return;
    }
#endif
    std::memcpy(w.raw_data(), w0.raw_data(), static_cast<std::size_t>(f));
  });
  add("arena_perturb", 2 * f, [&] { arena_perturb(w, w0, noise, 1.0f); });
  add("arena_copy", 2 * f, [&] { arena_copy(w, w0); });
  add("arena_accumulate", 3 * f, [&] { arena_accumulate(acc, g, 0.5f, 1.0f); });
  add("arena_accumulate_final", 3 * f, [&] { arena_accumulate_final(acc, g, 0.5f); });
  add("arena_perturb_along", 3 * f, [&] { arena_perturb_along(w, w0, g, 0.05f, false, 0.01f); });
  add("arena_sgd_momentum", 5 * f, [&] { arena_sgd(w, g, buf, sgd, no_decay); });
  const double copy = out.front().gb_per_s;
  for (auto& k : out) k.of_copy = copy > 0 ? k.gb_per_s / copy : 0;
  return out;
}

std::string bench_device_name(Device d) {
#ifdef BASIN_WITH_CUDA
  if (d.is_cuda()) {
    cudaDeviceProp p{};
    BASIN_CUDA_CHECK(cudaGetDeviceProperties(&p, d.index));
    std::ostringstream s;
    s << p.name << ", sm_" << p.major << p.minor << ", " << p.multiProcessorCount << " SMs";
    return s.str();
  }
#endif
  (void)d;
  std::ostringstream s;
  s << "cpu (" << omp_get_max_threads() << " threads)";
  return s.str();
}

void bench_release_memory(Device d) {
  sync(d);
  if (d.is_cpu()) cpu_release_cached();
#ifdef BASIN_WITH_CUDA
  if (d.is_cuda()) cuda::empty_cache(d.index);
#endif
}

}  // namespace basin::tools
