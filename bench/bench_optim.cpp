// Cost of each arena kernel (ms and effective GB/s) over a ResNet-34-sized
// arena (21.8M floats), and the step time of NSO(k = 1) against SGD with a
// synthetic closure (gradient = W, one streaming pass) so that the optimizer's
// own overhead is what is measured. CPU always, CUDA when a device is present.
//
//   ./build/bench_optim [numel=21800000] [reps=5]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "kernels/arena.h"
#include "optim/nso.h"
#include "optim/sam.h"
#include "optim/sgd.h"
#ifdef BASIN_WITH_CUDA
#include "kernels/cuda/context.h"
#endif

using namespace basin;
using namespace basin::kernels;

namespace {

void sync(Device d) { kernels::synchronize(d); }

// Median milliseconds of `reps` runs after one warm-up.
double time_ms(Device d, int reps, const std::function<void()>& f) {
  f();
  sync(d);
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    auto a = std::chrono::steady_clock::now();
    f();
    sync(d);
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

void row(const char* name, double ms, double bytes) {
  std::printf("  %-28s %9.3f ms  %8.1f GB/s\n", name, ms, bytes / (ms * 1e-3) / 1e9);
}

void bench_device(Device d, std::int64_t n, int reps) {
  std::printf("\n== %s, arena of %lld floats (%.1f MB) ==\n", d.str().c_str(), static_cast<long long>(n), n * 4 / 1e6);
  Tensor w = Tensor::zeros({n}, DType::Float32, d), w0 = Tensor::zeros({n}, DType::Float32, d);
  Tensor g = Tensor::zeros({n}, DType::Float32, d), acc = Tensor::zeros({n}, DType::Float32, d);
  Tensor m = Tensor::zeros({n}, DType::Float32, d), v = Tensor::zeros({n}, DType::Float32, d);
  arena_fill(g, 0.01f);
  const double P = static_cast<double>(n) * 4;  // bytes of one array
  for (auto dist : {noise::Dist::Gaussian, noise::Dist::Laplace, noise::Dist::Uniform, noise::Dist::Binomial}) {
    NoiseSpec ns;
    ns.dist = dist;
    ns.seed = 1;
    ns.sigma = 0.01f;
    std::string name = std::string("perturb (") + noise::dist_name(dist) + ")";
    row(name.c_str(), time_ms(d, reps, [&] { arena_perturb(w, w0, ns, 1.0f); }), 2 * P);
  }
  row("copy", time_ms(d, reps, [&] { arena_copy(w, w0); }), 2 * P);
  row("fill", time_ms(d, reps, [&] { arena_fill(acc, 0.0f); }), P);
  row("accumulate", time_ms(d, reps, [&] { arena_accumulate(acc, g, 0.5f); }), 3 * P);
  row("accumulate_final", time_ms(d, reps, [&] { arena_accumulate_final(acc, m, 0.5f); }), 3 * P);
  row("perturb_along (SAM)", time_ms(d, reps, [&] { arena_perturb_along(w, w0, g, 0.1f, false, 0.0f); }), 3 * P);
  row("sumsq", time_ms(d, reps, [&] { (void)arena_sumsq(g, Tensor(), false, 0.0f); }), P);
  ArenaRanges nd;  // ~ResNet-34: one no-decay range per BatchNorm (gamma, beta) and the fc bias
  for (std::int64_t b = 1000; b < n && nd.size() < 73; b += n / 80) nd.push_back({b, b + 512});
  SgdArgs sa;
  sa.lr = 1e-3f;
  sa.momentum = 0.9f;
  sa.weight_decay = 1e-4f;
  sa.first_step = false;
  row("sgd (momentum, wd, 73 ranges)", time_ms(d, reps, [&] { arena_sgd(w, g, acc, sa, nd); }), 5 * P);
  AdamArgs aa;
  aa.step = 10;
  row("adamw", time_ms(d, reps, [&] { arena_adamw(w, g, m, v, acc, aa, nd); }), 7 * P);

  // Step times with a synthetic closure: grads += W (one streaming pass).
  optim::ArenaRef r;
  r.params = w;
  r.grads = g;
  r.no_decay = nd;
  optim::Closure closure = [&](bool) {
    arena_accumulate(g, w, 1.0f);
    return 0.0f;
  };
  optim::SgdOptions so;
  so.lr = 1e-4;
  so.momentum = 0.9;
  so.weight_decay = 1e-4;
  optim::SGD sgd(r, so);
  double t_sgd = time_ms(d, reps, [&] { sgd.step(closure); });
  optim::NsoOptions no;
  no.k = 1;
  optim::NSO nso(std::make_unique<optim::SGD>(r, so), no);
  double t_nso = time_ms(d, reps, [&] { nso.step(closure); });
  optim::SAM sam(std::make_unique<optim::SGD>(r, so), optim::SamOptions{});
  double t_sam = time_ms(d, reps, [&] { sam.step(closure); });
  std::printf("  step, synthetic closure:  SGD %.3f ms | NSO(k=1) %.3f ms (%.2fx) | SAM %.3f ms (%.2fx)\n", t_sgd,
              t_nso, t_nso / t_sgd, t_sam, t_sam / t_sgd);
  std::printf("  (NSO k=1 = 2 closures + save W0 + 2 perturbs + accumulate + final + restore + SGD)\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t n = argc > 1 ? std::atoll(argv[1]) : 21800000;
  int reps = argc > 2 ? std::atoi(argv[2]) : 5;
  try {
    bench_device(Device::cpu(), n, reps);
    if (cuda_available()) bench_device(Device::cuda(), n, std::max(reps, 20));
    else std::printf("\n(no CUDA device: CUDA kernels not measured)\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_optim: %s\n", e.what());
    return 1;
  }
  return 0;
}
