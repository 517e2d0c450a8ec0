#pragma once
// Walking N-d strided tensors on the CPU.
//
// Every CPU kernel that reads or writes views (slices, permutations, stride-0
// broadcasts) needs, for each element in row-major order, the element offset into
// each of its tensors. StridedLoop computes those offsets incrementally, after
// first merging axes that are contiguous in every tensor (so a contiguous tensor
// walks as one flat axis and the inner loop is a plain `off += stride`).
// parallel_for splits a range over OpenMP threads when it is worth it.
#include <array>
#include <cstdint>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "tensor/tensor.h"

namespace basin::kernels::cpu {

// Ranges shorter than this run on one thread: thread start-up costs more.
constexpr std::int64_t kParallelGrain = 1 << 15;

// Calls fn(begin, end) on disjoint sub-ranges of [0, n), in parallel when n is large.
template <typename Fn>
void parallel_for(std::int64_t n, Fn fn, std::int64_t grain = kParallelGrain) {
  if (n <= 0) return;
  if (n < grain) {
    fn(std::int64_t{0}, n);
    return;
  }
#pragma omp parallel
  {
    int nt = 1, id = 0;
#ifdef _OPENMP
    nt = omp_get_num_threads();
    id = omp_get_thread_num();
#endif
    std::int64_t chunk = (n + nt - 1) / nt;
    std::int64_t b = id * chunk, e = b + chunk < n ? b + chunk : n;
    if (b < e) fn(b, e);
  }
}

// Geometry of N tensors that share one shape, with axes merged where possible.
template <size_t N>
struct StridedGeometry {
  Shape shape;
  std::array<Strides, N> strides;

  StridedGeometry(const Shape& s, const std::array<const Strides*, N>& st) {
    // Drop size-1 axes (their stride never matters), then merge axis d into d-1
    // when, for every tensor, stepping d-1 once equals stepping d shape[d] times.
    for (size_t d = 0; d < s.size(); ++d) {
      if (s[d] == 1) continue;
      bool merge = !shape.empty();
      for (size_t t = 0; t < N && merge; ++t) merge = strides[t].back() == (*st[t])[d] * s[d];
      if (merge) {
        shape.back() *= s[d];
        for (size_t t = 0; t < N; ++t) strides[t].back() = (*st[t])[d];
      } else {
        shape.push_back(s[d]);
        for (size_t t = 0; t < N; ++t) strides[t].push_back((*st[t])[d]);
      }
    }
  }
};

// Calls fn(i, offsets) for the elements [begin, end) in row-major order, where
// offsets[t] is the element offset of element i in tensor t.
template <size_t N, typename Fn>
void strided_range(const StridedGeometry<N>& g, std::int64_t begin, std::int64_t end, Fn&& fn) {
  const int nd = static_cast<int>(g.shape.size());
  std::array<std::int64_t, N> off{};
  if (begin >= end) return;  // also covers empty shapes (no division by a 0 size below)
  if (nd == 0) {             // a single element
    fn(begin, off);
    return;
  }
  // Decompose `begin` into a multi-index and the matching offsets.
  std::vector<std::int64_t> idx(nd);
  std::int64_t rem = begin;
  for (int d = nd - 1; d >= 0; --d) {
    idx[d] = rem % g.shape[d];
    rem /= g.shape[d];
    for (size_t t = 0; t < N; ++t) off[t] += idx[d] * g.strides[t][d];
  }
  const std::int64_t inner = g.shape[nd - 1];
  std::array<std::int64_t, N> inner_stride;
  for (size_t t = 0; t < N; ++t) inner_stride[t] = g.strides[t][nd - 1];
  std::int64_t i = begin;
  while (i < end) {
    // Run along the innermost axis, then carry into the outer ones.
    std::int64_t run = inner - idx[nd - 1];
    if (run > end - i) run = end - i;
    for (std::int64_t k = 0; k < run; ++k, ++i) {
      fn(i, off);
      for (size_t t = 0; t < N; ++t) off[t] += inner_stride[t];
    }
    idx[nd - 1] += run;
    for (int d = nd - 1; d > 0 && idx[d] == g.shape[d]; --d) {
      for (size_t t = 0; t < N; ++t) off[t] += g.strides[t][d - 1] - g.shape[d] * g.strides[t][d];
      idx[d] = 0;
      idx[d - 1]++;
    }
  }
}

// fn(i, offsets) for every element of `shape`, split over threads when large.
template <size_t N, typename Fn>
void for_each_strided(const Shape& shape, const std::array<const Strides*, N>& strides, Fn fn) {
  StridedGeometry<N> g(shape, strides);
  parallel_for(numel_of(shape), [&](std::int64_t b, std::int64_t e) { strided_range(g, b, e, fn); });
}

}  // namespace basin::kernels::cpu
