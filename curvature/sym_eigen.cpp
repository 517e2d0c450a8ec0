#include "curvature/sym_eigen.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "tensor/error.h"

namespace basin::curvature {
namespace {

// Sorts values ascending and permutes the eigenvector columns alike.
void sort_ascending(SymEigen& r) {
  const int n = r.n;
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return r.values[a] < r.values[b]; });
  SymEigen s;
  s.n = n;
  s.values.resize(n);
  s.vectors.resize(static_cast<std::size_t>(n) * n);
  for (int k = 0; k < n; ++k) {
    s.values[k] = r.values[order[k]];
    for (int i = 0; i < n; ++i) s.vectors[static_cast<std::size_t>(i) * n + k] = r.vec(i, order[k]);
  }
  r = std::move(s);
}

}  // namespace

SymEigen tridiagonal_eigen(const std::vector<double>& diag, const std::vector<double>& off) {
  const int n = static_cast<int>(diag.size());
  BASIN_CHECK(n == 0 || static_cast<int>(off.size()) == n - 1,
              "tridiagonal_eigen: " << n << " diagonal entries need " << n - 1 << " off-diagonal ones, got "
                                    << off.size());
  SymEigen r;
  r.n = n;
  r.values = diag;
  r.vectors.assign(static_cast<std::size_t>(n) * n, 0.0);
  for (int i = 0; i < n; ++i) r.vectors[static_cast<std::size_t>(i) * n + i] = 1.0;
  if (n == 0) return r;
  std::vector<double> e(n, 0.0);  // e[i] couples i and i + 1; e[n - 1] = 0
  for (int i = 0; i + 1 < n; ++i) e[i] = off[i];
  std::vector<double>& d = r.values;
  auto z = [&](int row, int col) -> double& { return r.vectors[static_cast<std::size_t>(row) * n + col]; };
  const double eps = std::numeric_limits<double>::epsilon();
  for (int l = 0; l < n; ++l) {
    int iter = 0, m = l;
    do {
      // The first negligible off-diagonal at or after l splits the matrix.
      for (m = l; m < n - 1; ++m) {
        const double dd = std::fabs(d[m]) + std::fabs(d[m + 1]);
        if (std::fabs(e[m]) <= eps * dd) break;
      }
      if (m == l) break;
      BASIN_CHECK(++iter <= 60, "tridiagonal_eigen: no convergence after 60 QL sweeps");
      // Implicit shift from the leading 2 x 2 block, then a chase of Givens rotations.
      double g = (d[l + 1] - d[l]) / (2.0 * e[l]);
      double rr = std::hypot(g, 1.0);
      g = d[m] - d[l] + e[l] / (g + std::copysign(rr, g));
      double s = 1, c = 1, p = 0;
      int i = m - 1;
      bool underflow = false;
      for (; i >= l; --i) {
        double f = s * e[i];
        const double b = c * e[i];
        rr = std::hypot(f, g);
        e[i + 1] = rr;
        if (rr == 0.0) {  // recover from underflow: deflate and restart
          d[i + 1] -= p;
          e[m] = 0.0;
          underflow = true;
          break;
        }
        s = f / rr;
        c = g / rr;
        g = d[i + 1] - p;
        rr = (d[i] - g) * s + 2.0 * c * b;
        p = s * rr;
        d[i + 1] = g + p;
        g = c * rr - b;
        for (int k = 0; k < n; ++k) {
          f = z(k, i + 1);
          z(k, i + 1) = s * z(k, i) + c * f;
          z(k, i) = c * z(k, i) - s * f;
        }
      }
      if (underflow) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0.0;
    } while (m != l);
  }
  sort_ascending(r);
  return r;
}

SymEigen symmetric_eigen(std::vector<double> a, int n) {
  BASIN_CHECK(n >= 0 && a.size() == static_cast<std::size_t>(n) * n,
              "symmetric_eigen: expected " << n << " x " << n << " entries, got " << a.size());
  auto at = [&](int i, int j) -> double& { return a[static_cast<std::size_t>(i) * n + j]; };
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) at(i, j) = at(j, i) = 0.5 * (at(i, j) + at(j, i));
  SymEigen r;
  r.n = n;
  r.vectors.assign(static_cast<std::size_t>(n) * n, 0.0);
  for (int i = 0; i < n; ++i) r.vectors[static_cast<std::size_t>(i) * n + i] = 1.0;
  auto v = [&](int i, int j) -> double& { return r.vectors[static_cast<std::size_t>(i) * n + j]; };
  double total = 0;
  for (double x : a) total += x * x;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double offd = 0;
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j) offd += at(i, j) * at(i, j);
    if (offd <= 1e-30 * total || offd == 0.0) break;
    for (int p = 0; p < n; ++p)
      for (int q = p + 1; q < n; ++q) {
        const double apq = at(p, q);
        if (apq == 0.0) continue;
        // The rotation in the (p, q) plane that zeroes a_pq (the smaller angle).
        const double theta = (at(q, q) - at(p, p)) / (2.0 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1.0));
        const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
        for (int k = 0; k < n; ++k) {  // A <- A J (columns p, q)
          const double akp = at(k, p), akq = at(k, q);
          at(k, p) = c * akp - s * akq;
          at(k, q) = s * akp + c * akq;
        }
        for (int k = 0; k < n; ++k) {  // A <- J^T A (rows p, q)
          const double apk = at(p, k), aqk = at(q, k);
          at(p, k) = c * apk - s * aqk;
          at(q, k) = s * apk + c * aqk;
        }
        for (int k = 0; k < n; ++k) {  // V <- V J
          const double vkp = v(k, p), vkq = v(k, q);
          v(k, p) = c * vkp - s * vkq;
          v(k, q) = s * vkp + c * vkq;
        }
      }
  }
  r.values.resize(n);
  for (int i = 0; i < n; ++i) r.values[i] = at(i, i);
  sort_ascending(r);
  return r;
}

}  // namespace basin::curvature
