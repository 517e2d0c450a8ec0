#include "tools/bench_dist.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <cstdio>
#include <vector>

#include <nlohmann/json.hpp>

#include "dist/bucketed.h"
#include "dist/communicator.h"
#include "io/json_text.h"
#include "kernels/fill_copy.h"

namespace basin::tools {

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Median seconds of one bucketed all-reduce of n floats (every rank in step).
double time_allreduce(dist::Communicator& c, Device dev, std::int64_t n, int iters) {
  Tensor t = Tensor::empty({n}, DType::Float32, dev);
  kernels::fill(t, 1.0f);
  std::vector<double> s;
  for (int i = 0; i < iters + 1; ++i) {
    c.barrier();
    const double a = now_s();
    dist::allreduce_bucketed(c, t, dist::ReduceOp::Sum);
    volatile float probe = t.to(Device::cpu()).data<float>()[0];  // waits for the device, too
    (void)probe;
    if (i > 0) s.push_back(now_s() - a);  // the first call sets up (NCCL's communicator)
  }
  std::sort(s.begin(), s.end());
  return s[s.size() / 2];
}

}  // namespace

void run_dist_bench(const DistBenchOptions& o) {
  dist::Communicator& c = dist::world();
  const int n = c.size();
  const bool root = c.rank() == 0;
  const Device dev = o.train.device;
  nlohmann::json doc = {{"framework", "basin"}, {"processes", n}, {"backend", c.backend()}, {"device", dev.str()}};

  // ---- all-reduce bandwidth -------------------------------------------------------
  if (root && !o.json)
    std::printf("all-reduce over %d processes (%s, %s); median of 5\n%10s %10s %12s %12s\n", n, c.backend().c_str(),
                dev.str().c_str(), "MiB", "ms", "algbw GB/s", "busbw GB/s");
  doc["allreduce"] = nlohmann::json::array();
  for (std::int64_t numel : {std::int64_t{1} << 18, std::int64_t{1} << 22, std::int64_t{1} << 24}) {
    const double s = time_allreduce(c, dev, numel, 5);
    const double bytes = static_cast<double>(numel) * 4;
    // NCCL's convention: algbw = bytes / time; busbw = algbw * 2 (N - 1) / N, the
    // rate each link carries in a ring all-reduce (comparable across N).
    const double alg = bytes / s / 1e9, bus = alg * 2.0 * (n - 1) / n;
    doc["allreduce"].push_back({{"bytes", bytes}, {"ms", s * 1e3}, {"algbw_gb_per_s", alg}, {"busbw_gb_per_s", bus}});
    if (root && !o.json) std::printf("%10.1f %10.3f %12.2f %12.2f\n", bytes / (1 << 20), s * 1e3, alg, bus);
  }

  // ---- scaling: 1, 2, ..., N processes (the first n ranks; the others wait) ---------
  const TrainBenchConfig& t = o.train;
  doc["scaling"] = nlohmann::json::array();
  // SGD and AdamW: each N > 1 twice, the all-reduce after backward and overlapped
  // with it (the trainer's --overlap-grads off / on).
  const bool overlap = t.optimizer == "sgd" || t.optimizer == "adamw";
  if (root && !o.json) {
    std::printf("\ndata-parallel %s %lldpx, %lld per process, %s\n%10s %12s %10s %10s %11s", t.model.c_str(),
                (long long)t.image_size, (long long)t.batch_size, t.optimizer.c_str(), "processes", "global batch",
                "ms/step", "img/s", "efficiency");
    if (overlap) std::printf(" %14s %14s %11s", "overlap ms/step", "overlap img/s", "efficiency");
    std::printf("\n");
  }
  double one = 0;
  for (int k = 1; k <= n; ++k) {
    std::unique_ptr<dist::Communicator> sub = c.split(c.rank() < k);
    double ms[2] = {0, 0};  // after backward, overlapped
    if (sub) {
      dist::Communicator* s = sub.get();
      for (int v = 0; v < (overlap && k > 1 ? 2 : 1); ++v) {
        TrainBenchConfig cfg = t;
        // One process: no reduction at all (today's single-process step).
        if (k > 1 && v == 0) cfg.reduce_grads = [s](Tensor& g) { dist::allreduce_bucketed(*s, g, dist::ReduceOp::Avg); };
        if (k > 1 && v == 1) cfg.overlap_comm = s;
        ms[v] = run_train_bench(cfg).step_ms;
      }
      sub->allreduce_sum(ms, 2);  // the mean over the ranks (they wait for each other every step)
      ms[0] /= k;
      ms[1] /= k;
    }
    c.barrier();
    if (!root) continue;
    const double ips = static_cast<double>(t.batch_size * k) / (ms[0] * 1e-3);
    if (k == 1) one = ips;
    const double eff = one > 0 ? ips / (one * k) : 0;
    nlohmann::json row = {{"processes", k}, {"global_batch", t.batch_size * k}, {"step_ms", ms[0]},
                          {"images_per_s", ips}, {"efficiency", eff}};
    const double ips_o = ms[1] > 0 ? static_cast<double>(t.batch_size * k) / (ms[1] * 1e-3) : 0;
    const double eff_o = one > 0 ? ips_o / (one * k) : 0;
    if (ms[1] > 0) {
      row["step_ms_overlap"] = ms[1];
      row["images_per_s_overlap"] = ips_o;
      row["efficiency_overlap"] = eff_o;
    }
    doc["scaling"].push_back(row);
    if (!o.json) {
      std::printf("%10d %12lld %10.2f %10.1f %10.0f%%", k, (long long)(t.batch_size * k), ms[0], ips, 100 * eff);
      if (ms[1] > 0) std::printf(" %14.2f %14.1f %10.0f%%", ms[1], ips_o, 100 * eff_o);
      std::printf("\n");
    }
    std::fflush(stdout);
  }
  if (root && o.json) std::printf("%s\n", io::json_text(doc, 1).c_str());
}

}  // namespace basin::tools
