#pragma once
// Closed-form objectives for the curvature tests (test_curvature*.cpp): a
// quadratic W^T A W / 2 (H = A exactly, any symmetric spectrum including
// negative eigenvalues) and a separable quartic sum c_i w_i^4 / 4. Computed on
// the host in double, so they are independent of the kernels the estimators use.
#include <cmath>
#include <random>
#include <vector>

#include "curvature/objective.h"
#include "kernels/fill_copy.h"

namespace curvature_test {

using namespace basin;
using namespace basin::curvature;


// Symmetric A = Q diag(eigs) Q^T with a random orthogonal Q (Gram-Schmidt).
inline std::vector<double> make_spd(const std::vector<double>& eigs, unsigned seed) {
  const int n = static_cast<int>(eigs.size());
  std::mt19937 rng(seed);
  std::normal_distribution<double> nd;
  std::vector<std::vector<double>> q(n, std::vector<double>(n));
  for (int i = 0; i < n; ++i) {
    for (double& x : q[i]) x = nd(rng);
    for (int j = 0; j < i; ++j) {
      double d = 0;
      for (int k = 0; k < n; ++k) d += q[i][k] * q[j][k];
      for (int k = 0; k < n; ++k) q[i][k] -= d * q[j][k];
    }
    double nn = 0;
    for (double x : q[i]) nn += x * x;
    for (double& x : q[i]) x /= std::sqrt(nn);
  }
  std::vector<double> a(n * n, 0.0);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      for (int k = 0; k < n; ++k) a[i * n + j] += q[k][i] * eigs[k] * q[k][j];
  return a;
}

inline void write(Tensor& dst, const std::vector<double>& v) {
  std::vector<float> f(v.begin(), v.end());
  kernels::copy(Tensor::from_vector(f, {static_cast<std::int64_t>(f.size())}), dst);
}

inline std::vector<double> read(const Tensor& t) {
  std::vector<float> f = t.to_vector();
  return std::vector<double>(f.begin(), f.end());
}

inline Tensor params_from(const std::vector<double>& w, Device dev) {
  Tensor p = Tensor::empty({static_cast<std::int64_t>(w.size())}, DType::Float32, dev);
  write(p, w);
  return p;
}

struct Quadratic {
  int n;
  std::vector<double> a;  // row-major n x n, symmetric
  std::vector<double> mv(const std::vector<double>& w) const {
    std::vector<double> out(n, 0.0);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) out[i] += a[i * n + j] * w[j];
    return out;
  }
  double trace() const {
    double t = 0;
    for (int i = 0; i < n; ++i) t += a[i * n + i];
    return t;
  }
  Objective objective(const std::vector<double>& w0, Device dev = Device::cpu()) const {
    Objective f;
    f.params = params_from(w0, dev);
    Tensor p = f.params;
    auto loss_of = [this](const std::vector<double>& w) {
      auto aw = mv(w);
      double l = 0;
      for (int i = 0; i < n; ++i) l += 0.5 * w[i] * aw[i];
      return l;
    };
    f.loss = [p, loss_of] { return static_cast<float>(loss_of(read(p))); };
    f.loss_and_grad = [this, p, loss_of](Tensor& g) {
      auto w = read(p);
      write(g, mv(w));
      return static_cast<float>(loss_of(w));
    };
    return f;
  }
};

struct Quartic {
  std::vector<double> c;
  Objective objective(const std::vector<double>& w0) const {
    Objective f;
    f.params = params_from(w0, Device::cpu());
    Tensor p = f.params;
    auto loss_of = [this](const std::vector<double>& w) {
      double l = 0;
      for (std::size_t i = 0; i < w.size(); ++i) l += 0.25 * c[i] * std::pow(w[i], 4);
      return l;
    };
    f.loss = [p, loss_of] { return static_cast<float>(loss_of(read(p))); };
    f.loss_and_grad = [this, p, loss_of](Tensor& g) {
      auto w = read(p);
      std::vector<double> gr(w.size());
      for (std::size_t i = 0; i < w.size(); ++i) gr[i] = c[i] * w[i] * w[i] * w[i];
      write(g, gr);
      return static_cast<float>(loss_of(w));
    };
    return f;
  }
};

inline std::vector<double> random_vec(int n, unsigned seed, double scale = 1.0) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> nd(0.0, scale);
  std::vector<double> v(n);
  for (double& x : v) x = nd(rng);
  return v;
}

inline double rel_err(const std::vector<double>& got, const std::vector<double>& want) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    num += (got[i] - want[i]) * (got[i] - want[i]);
    den += want[i] * want[i];
  }
  return std::sqrt(num / den);
}

inline std::vector<double> linspace_eigs(int n, double hi, double lo) {
  std::vector<double> e(n);
  for (int i = 0; i < n; ++i) e[i] = hi - (hi - lo) * i / (n - 1);
  return e;
}

}  // namespace curvature_test
