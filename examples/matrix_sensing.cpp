// Over-parameterized matrix sensing with basin as a library (the NSO paper's
// section 5 and Figure 6; the setting of Li, Ma and Zhang, COLT 2018): basin's
// tensors, autograd and optimizers used for something other than images.
//
// Ground truth X* = U* U*^T, d x d, rank r, U* with N(0, 1/d) entries (so X* is
// close to a rank-r projection, ||X*||_F ~ sqrt r). Measurements y_i = <A_i, X*>,
// A_i = (B_i + B_i^T) / 2 with B_i standard Gaussian, i = 1..m; a validation set
// of fresh measurements. The model is a full d x d factor U (over-parameterized:
// rank d where r suffices), loss f(U) = 1/m sum_i (<A_i, U U^T> - y_i)^2, trained
// by full-batch
//   gd    plain gradient descent             (optim::SGD, no momentum)
//   wpgd  the gradient at U + V, V ~ N(0, sigma^2) per entry, once (optim::make_wpsgd)
//   nso   (grad f(U + V) + grad f(U - V)) / 2                        (optim::NSO, k = 1)
// from the same Gaussian initialization U0 (entries N(0, init_std^2)), for the
// same number of iterations (NSO evaluates two gradients per iteration). With this
// A, E <A, D>^2 = ||D||_F^2 for a symmetric D, so the validation MSE estimates
// ||U U^T - X*||_F^2.
//
// The paper's sizes were lost from our copy of its text. Li, Ma and Zhang use
// d = 100, r = 5, m = 5 d r = 2500 measurements (--d 100 --r 5: each gradient
// reads a 2500 x 10000 matrix twice, minutes on free cores but too slow on this
// shared 2-core machine); the defaults are that setting scaled down to d = 50,
// r = 3, m = 5 d r = 750 (seconds). --lr, --sigma, --init-std and --iters were
// chosen here (docs/results.md): the paper's lr and sigma grids are lost too.
//
//   ./matrix_sensing [--d 50] [--r 3] [--m 0 (5 d r)] [--m-val 1000] [--iters 1000]
//                    [--lr 0.02] [--sigma 0.02] [--init-std 0.1] [--every 10]
//                    [--seed 0] [--csv matrix_sensing.csv] [--methods gd,wpgd,nso]
// Prints one JSON line per method at the end:
//   {"method": "gd", "train_mse": ..., "val_mse": ..., "dist_to_truth": ...}
// and writes every --every iterations to --csv: method,iter,train_mse,val_mse,dist_to_truth.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "autograd/grad_mode.h"  // NoGradGuard
#include "autograd/ops.h"        // matmul, sub, square, mean
#include "nn/init.h"             // InitRng, normal_
#include "nn/module.h"           // Module, register_parameter, finalize_arena
#include "optim/nso.h"           // NSO, make_wpsgd
#include "optim/sgd.h"

using namespace basin;

namespace {

struct Options {
  std::int64_t d = 50, r = 3, m = 0, m_val = 1000;
  int iters = 1000, every = 10;
  double lr = 0.02, sigma = 0.02, init_std = 0.1;
  std::uint64_t seed = 0;
  std::string csv = "matrix_sensing.csv", methods = "gd,wpgd,nso";
};

// The model: one d x d parameter U; forward maps measurement matrices, flattened
// as the rows of A [n, d*d], to their predictions A vec(U U^T) [n, 1].
class Factor : public nn::Module {
 public:
  Factor(std::int64_t d, float init_std, nn::InitRng& rng) : nn::Module("Factor"), d_(d) {
    Tensor u = Tensor::empty({d, d});
    nn::normal_(u, 0.0f, init_std, rng);
    u_ = register_parameter("U", u);
  }
  Tensor forward(const Tensor& a) override { return matmul(a, gram().reshape({d_ * d_, 1})); }
  Tensor gram() const { return matmul(u_, u_.t()); }  // U U^T

 private:
  std::int64_t d_;
  Tensor u_;
};

// n symmetric Gaussian measurement matrices (B + B^T) / 2, flattened: [n, d*d].
Tensor measurements(std::int64_t n, std::int64_t d, nn::InitRng& rng) {
  Tensor b = Tensor::empty({n, d * d});
  nn::normal_(b, 0.0f, 1.0f, rng);
  Tensor a = Tensor::empty({n, d * d});
  const float* pb = b.data<float>();
  float* pa = a.data<float>();
  for (std::int64_t k = 0; k < n; ++k)
    for (std::int64_t i = 0; i < d; ++i)
      for (std::int64_t j = 0; j < d; ++j)
        pa[k * d * d + i * d + j] = 0.5f * (pb[k * d * d + i * d + j] + pb[k * d * d + j * d + i]);
  return a;
}

Tensor mse(const Tensor& pred, const Tensor& y) { return mean(square(sub(pred, y))); }

// A JSON number, or null for NaN / Inf (a diverged run still prints valid JSON).
std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

struct Problem {
  Tensor a, y, a_val, y_val, x_star;
};

Problem make_problem(const Options& o) {
  nn::InitRng rng(o.seed * 1000 + 1);  // the problem's stream, apart from the models'
  Tensor us = Tensor::empty({o.d, o.r});
  nn::normal_(us, 0.0f, static_cast<float>(1.0 / std::sqrt(double(o.d))), rng);
  NoGradGuard ng;
  Problem p;
  p.x_star = matmul(us, us.t());
  Tensor xs = p.x_star.reshape({o.d * o.d, 1});
  p.a = measurements(o.m, o.d, rng);
  p.y = matmul(p.a, xs);
  p.a_val = measurements(o.m_val, o.d, rng);
  p.y_val = matmul(p.a_val, xs);
  return p;
}

struct Final {
  double train = 0, val = 0, dist = 0;
};

// Trains one method from U0 (seed-determined, the same for every method) and
// appends its curve to the CSV.
Final run(const std::string& method, const Options& o, const Problem& p, std::FILE* csv) {
  nn::InitRng init(o.seed * 1000 + 2);
  auto model = std::make_shared<Factor>(o.d, static_cast<float>(o.init_std), init);
  optim::SgdOptions sgd;
  sgd.lr = o.lr;  // full-batch GD: no momentum, no weight decay
  auto base = std::make_unique<optim::SGD>(optim::arena_ref(model->finalize_arena(Device::cpu())), sgd);
  std::unique_ptr<optim::Optimizer> opt;
  if (method == "gd") {
    opt = std::move(base);
  } else if (method == "wpgd") {
    opt = optim::make_wpsgd(std::move(base), o.sigma, o.seed);
  } else {
    optim::NsoOptions nso;
    nso.sigma = o.sigma;
    nso.k = 1;
    nso.seed = o.seed;
    opt = std::make_unique<optim::NSO>(std::move(base), nso);
  }
  auto measure = [&]() {
    NoGradGuard ng;
    Final f;
    f.train = mse((*model)(p.a), p.y).item();
    f.val = mse((*model)(p.a_val), p.y_val).item();
    f.dist = std::sqrt(sum(square(sub(model->gram(), p.x_star))).item());
    return f;
  };
  Final f = measure();
  for (int it = 0; it <= o.iters; ++it) {
    if (it % o.every == 0 || it == o.iters) {
      f = measure();
      if (csv)
        std::fprintf(csv, "%s,%d,%s,%s,%s\n", method.c_str(), it, num(f.train).c_str(), num(f.val).c_str(),
                     num(f.dist).c_str());
      if (!std::isfinite(f.train)) break;  // diverged: --lr too large
    }
    if (it == o.iters) break;
    opt->step([&](bool) {
      Tensor loss = mse((*model)(p.a), p.y);
      loss.backward();
      return loss.item();
    });
  }
  return f;
}

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--help" || k == "-h") return false;
    if (i + 1 >= argc) {
      std::fprintf(stderr, "matrix_sensing: %s needs a value\n", k.c_str());
      return false;
    }
    const char* v = argv[++i];
    if (k == "--d") o.d = std::atoll(v);
    else if (k == "--r") o.r = std::atoll(v);
    else if (k == "--m") o.m = std::atoll(v);
    else if (k == "--m-val") o.m_val = std::atoll(v);
    else if (k == "--iters") o.iters = std::atoi(v);
    else if (k == "--every") o.every = std::atoi(v);
    else if (k == "--lr") o.lr = std::atof(v);
    else if (k == "--sigma") o.sigma = std::atof(v);
    else if (k == "--init-std") o.init_std = std::atof(v);
    else if (k == "--seed") o.seed = std::strtoull(v, nullptr, 10);
    else if (k == "--csv") o.csv = v;
    else if (k == "--methods") o.methods = v;
    else {
      std::fprintf(stderr, "matrix_sensing: unknown option %s\n", k.c_str());
      return false;
    }
  }
  if (o.m == 0) o.m = 5 * o.d * o.r;
  if (o.d < 1 || o.r < 1 || o.r > o.d || o.m < 1 || o.m_val < 1 || o.iters < 0 || o.every < 1 || !(o.lr > 0) ||
      !(o.sigma >= 0) || !(o.init_std > 0)) {
    std::fprintf(stderr, "matrix_sensing: need 1 <= r <= d, m, m-val, every >= 1, iters >= 0, lr > 0, sigma >= 0, "
                         "init-std > 0\n");
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    std::fprintf(stderr, "usage: matrix_sensing [--d 50] [--r 3] [--m 5dr] [--m-val 1000] [--iters 1000] [--lr 0.02] "
                         "[--sigma 0.02] [--init-std 0.1] [--every 10] [--seed 0] [--csv FILE] [--methods gd,wpgd,nso]\n");
    return 2;
  }
  const Problem p = make_problem(o);
  std::FILE* csv = o.csv.empty() ? nullptr : std::fopen(o.csv.c_str(), "w");
  if (!o.csv.empty() && !csv) {
    std::fprintf(stderr, "matrix_sensing: cannot write %s\n", o.csv.c_str());
    return 1;
  }
  if (csv) std::fprintf(csv, "method,iter,train_mse,val_mse,dist_to_truth\n");
  std::fprintf(stderr, "matrix sensing: d %lld, r %lld, m %lld, m_val %lld, iters %d, lr %g, sigma %g, init std %g\n",
               static_cast<long long>(o.d), static_cast<long long>(o.r), static_cast<long long>(o.m),
               static_cast<long long>(o.m_val), o.iters, o.lr, o.sigma, o.init_std);
  for (const char* method : {"gd", "wpgd", "nso"}) {
    if (("," + o.methods + ",").find(std::string(",") + method + ",") == std::string::npos) continue;
    const Final f = run(method, o, p, csv);
    std::printf("{\"method\": \"%s\", \"train_mse\": %s, \"val_mse\": %s, \"dist_to_truth\": %s}\n", method,
                num(f.train).c_str(), num(f.val).c_str(), num(f.dist).c_str());
    std::fflush(stdout);
  }
  if (csv) std::fclose(csv);
  return 0;
}
