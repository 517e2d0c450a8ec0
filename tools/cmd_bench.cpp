// `basin bench`: training throughput (images/s) of every combination of
// --model x --image-size x --batch-size x --optim, then the fused arena kernels
// in GB/s beside a plain copy. A table on stdout, or one JSON document (--json).
// The measurements are defined in tools/bench_runner.h; bench/torch_reference.py
// times PyTorch on the same configurations.
//
//   basin bench --device cuda --model resnet18,resnet34,resnet50 --image-size 224 --batch-size 32,64,128,256
//   basin bench --device cpu --model resnet18 --image-size 32 --batch-size 8 --iters 2 --json
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "dist/communicator.h"
#include "io/json_text.h"
#include "kernels/conv.h"
#include "tensor/error.h"
#include "tools/bench_dist.h"
#include "tools/bench_runner.h"
#include "tools/cli_checks.h"
#include "tools/command.h"
#include "train/config.h"

namespace basin::tools {
namespace {

struct BenchOptions {
  std::string device = "auto";  // auto: cuda when available
  std::vector<std::string> models;
  std::vector<std::int64_t> image_sizes;
  std::vector<std::int64_t> batch_sizes;
  std::vector<std::string> optims = {"sgd"};
  int warmup = -1;  // -1: per-device default
  int iters = -1;
  std::int64_t arena_numel = -1;  // -1: per-device default; 0: skip the kernel table
  bool no_tf32 = false;
  bool json = false;
  std::string out;  // also write the JSON document here
};

nlohmann::json to_json(const TrainBenchResult& r) {
  nlohmann::json j = {{"kind", "train"},
                      {"framework", "basin"},
                      {"model", r.config.model},
                      {"image_size", r.config.image_size},
                      {"batch_size", r.config.batch_size},
                      {"optimizer", r.config.optimizer},
                      {"precision", "fp32"},
                      {"passes", r.passes},
                      {"step_ms", r.step_ms},
                      {"step_ms_min", r.step_ms_min},
                      {"images_per_s", r.images_per_s},
                      {"params", r.params},
                      {"loss", std::isfinite(r.loss) ? nlohmann::json(r.loss) : nlohmann::json(nullptr)},
                      {"iters", r.config.iters}};
  j["peak_mem_mb"] = r.peak_mem_mb >= 0 ? nlohmann::json(r.peak_mem_mb) : nlohmann::json(nullptr);
  if (r.cpu_cache_misses_per_step >= 0) j["cpu_cache_misses_per_step"] = r.cpu_cache_misses_per_step;
  return j;
}

// Under mpirun: the all-reduce and the scaling table (tools/bench_dist.h) for the
// first --model, --image-size, --batch-size (per process) and --optim.
void run_bench_under_mpi(const BenchOptions& o) {
  dist::Communicator& c = dist::world();
  std::string device = train::resolve_device(o.device);
  if (device == "cuda" && c.size() > 1) device = "cuda:" + std::to_string(c.local_rank());
  DistBenchOptions d;
  d.train.device = train::usable_device(device);
  const bool gpu = d.train.device.is_cuda();
  d.train.model = o.models.empty() ? (gpu ? "resnet34" : "resnet18") : o.models[0];
  d.train.image_size = o.image_sizes.empty() ? (gpu ? 224 : 32) : o.image_sizes[0];
  d.train.batch_size = o.batch_sizes.empty() ? (gpu ? 64 : 8) : o.batch_sizes[0];
  d.train.optimizer = o.optims.empty() ? "sgd" : o.optims[0];
  d.train.warmup = o.warmup >= 0 ? o.warmup : (gpu ? 5 : 1);
  d.train.iters = o.iters > 0 ? o.iters : (gpu ? 20 : 3);
  d.json = o.json;
  kernels::set_conv_allow_tf32(!o.no_tf32);
  run_dist_bench(d);
}

void run_bench(const BenchOptions& o) {
  if (dist::launched_by_mpi()) return run_bench_under_mpi(o);
  const Device dev = train::usable_device(o.device);
  const bool gpu = dev.is_cuda();
  // Defaults: a real measurement on a GPU, seconds on a CPU.
  std::vector<std::string> models = o.models.empty() ? std::vector<std::string>{gpu ? "resnet34" : "resnet18"} : o.models;
  std::vector<std::int64_t> sizes = o.image_sizes.empty() ? std::vector<std::int64_t>{gpu ? 224 : 32} : o.image_sizes;
  std::vector<std::int64_t> batches = o.batch_sizes.empty() ? std::vector<std::int64_t>{gpu ? 64 : 8} : o.batch_sizes;
  const int warmup = o.warmup >= 0 ? o.warmup : (gpu ? 5 : 1);
  const int iters = o.iters > 0 ? o.iters : (gpu ? 20 : 2);
  const std::int64_t arena_numel = o.arena_numel >= 0 ? o.arena_numel : (gpu ? 21800000 : 1000000);
  kernels::set_conv_allow_tf32(!o.no_tf32);
  // TF32 is a tensor-core format: CPU convolutions are fp32 whatever the flag.
  const bool tf32_conv = gpu && !o.no_tf32;

  nlohmann::json doc = {{"framework", "basin"},
                        {"device", dev.str()},
                        {"device_name", bench_device_name(dev)},
                        {"tf32_conv", tf32_conv},
                        {"tf32_matmul", false},
                        {"warmup", warmup},
                        {"iters", iters}};
  doc["train"] = nlohmann::json::array();
  doc["kernels"] = nlohmann::json::array();
  if (!o.json) {
    std::printf("basin bench on %s (conv %s, matmul fp32); median of %d steps after %d warm-up\n\n",
                bench_device_name(dev).c_str(), tf32_conv ? "TF32" : "fp32", iters, warmup);
    std::printf("%-10s %5s %6s %-5s %6s %10s %10s %10s %10s\n", "model", "size", "batch", "optim", "passes",
                "ms/step", "img/s", "peak MiB", "params");
  }
  for (const auto& m : models)
    for (auto s : sizes)
      for (auto b : batches)
        for (const auto& opt : o.optims) {
          TrainBenchConfig c;
          c.model = m;
          c.image_size = s;
          c.batch_size = b;
          c.optimizer = opt;
          c.warmup = warmup;
          c.iters = iters;
          c.device = dev;
          TrainBenchResult r;
          try {
            r = run_train_bench(c);
          } catch (const OutOfMemoryError& e) {  // report it and go on with the other sizes
            bench_release_memory(dev);
            doc["train"].push_back({{"kind", "train"}, {"framework", "basin"}, {"model", m}, {"image_size", s},
                                    {"batch_size", b}, {"optimizer", opt}, {"precision", "fp32"},
                                    {"error", std::string("out of memory: ") + e.what()}});
            if (!o.json) std::printf("%-10s %5lld %6lld %-5s out of memory\n", m.c_str(), (long long)s, (long long)b, opt.c_str());
            continue;
          }
          bench_release_memory(dev);
          doc["train"].push_back(to_json(r));
          if (!o.json) {
            char peak[32] = "-";
            if (r.peak_mem_mb >= 0) std::snprintf(peak, sizeof peak, "%.1f", r.peak_mem_mb);
            std::printf("%-10s %5lld %6lld %-5s %6d %10.3f %10.1f %10s %10lld\n", m.c_str(), (long long)s,
                        (long long)b, opt.c_str(), r.passes, r.step_ms, r.images_per_s, peak, (long long)r.params);
            std::fflush(stdout);
          }
        }
  if (arena_numel > 0) {
    auto ks = run_kernel_bench(dev, arena_numel, gpu ? 50 : 5);
    if (!o.json)
      std::printf("\nfused arena kernels over %lld floats\n%-24s %10s %10s %8s\n", (long long)arena_numel, "kernel",
                  "ms", "GB/s", "of copy");
    for (const auto& k : ks) {
      doc["kernels"].push_back({{"kind", "kernel"}, {"framework", "basin"}, {"name", k.name}, {"numel", k.numel},
                                {"bytes", k.bytes}, {"ms", k.ms}, {"gb_per_s", k.gb_per_s}, {"of_copy", k.of_copy}});
      if (!o.json) std::printf("%-24s %10.4f %10.1f %7.0f%%\n", k.name.c_str(), k.ms, k.gb_per_s, 100 * k.of_copy);
    }
  }
  if (o.json) std::printf("%s\n", io::json_text(doc, 1).c_str());
  if (!o.out.empty()) {
    std::FILE* f = std::fopen(o.out.c_str(), "w");
    BASIN_CHECK(f, "basin bench: cannot write " << o.out);
    std::fprintf(f, "%s\n", io::json_text(doc, 1).c_str());
    std::fclose(f);
  }
}

void setup_bench(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  auto* cmd = app.add_subcommand("bench", "Training throughput, optimizer step cost and fused-kernel bandwidth");
  cmd->add_option("--device", o->device, "cpu, cuda, cuda:N or auto")->capture_default_str();
  cmd->add_option("--model", o->models, "resnet18, resnet34, resnet50 (comma list; default resnet34 on GPU, resnet18 on CPU)")
      ->delimiter(',');
  cmd->add_option("--image-size", o->image_sizes, "input side (<= 64: CIFAR stem, 10 classes); default 224 GPU, 32 CPU")
      ->delimiter(',')->check(at_least(1));
  cmd->add_option("--batch-size", o->batch_sizes, "batch sizes (comma list); default 64 GPU, 8 CPU")->delimiter(',')->check(at_least(1));
  cmd->add_option("--optim", o->optims, "sgd, nso (k=1), sam (comma list)")->delimiter(',')->capture_default_str();
  cmd->add_option("--warmup", o->warmup, "warm-up steps (default 5 GPU, 1 CPU)")->check(at_least(0));
  cmd->add_option("--iters", o->iters, "timed steps (default 20 GPU, 2 CPU)")->check(at_least(1));
  cmd->add_option("--arena-numel", o->arena_numel, "floats in the kernel benchmark's arena; 0 skips it (default 21.8M GPU, 1M CPU)")->check(at_least(0));
  cmd->add_flag("--no-tf32", o->no_tf32, "convolutions in true fp32 (default: TF32 allowed, as PyTorch)");
  cmd->add_flag("--json", o->json, "print one JSON document instead of the table");
  cmd->add_option("--out", o->out, "also write the JSON document to this file");
  cmd->callback([o] { run_bench(*o); });
}

}  // namespace
}  // namespace basin::tools

BASIN_COMMAND(bench, basin::tools::setup_bench)
