#pragma once
// Hutch++ trace estimation (Meyer, Musco, Musco and Woodruff 2021): with a
// budget of m HVPs, k = m / 3 of them sketch the dominant range, Q = orth(H S)
// for k Rademacher columns S; k more give tr(Q^T H Q) exactly; the remaining
// m - 2k are Hutchinson samples of the deflated rest, tr((I - QQ^T) H (I - QQ^T)),
// with Rademacher g projected as y = (I - QQ^T) g. When a few eigenvalues carry
// most of ||H||_F (Hessians of trained networks: a handful of outliers and a
// bulk near zero), the deflated rest has a far smaller Frobenius norm, hence a far
// smaller Hutchinson variance 2 ||.||_F^2 / samples, at the same HVP count.
//
// Per-block traces tr(H_bb) from the same HVPs: with R = I - QQ^T,
//   tr_b(H) = tr_b(Q M Q^T) + 2 tr_b(Q Q^T H R) + tr_b(R H R),   M = Q^T H Q,
// where the first two are exact given Q and HQ: sum over i in b of
// sum_j Q_ij (2 (HQ)_ij - (QM)_ij), and the last is estimated without bias by
// the block part of y (.) R H y. The block values sum to the total.
#include "curvature/estimators.h"

namespace basin::curvature {

// options.samples = the HVP budget m (>= 3). TraceResult::values are the total
// per residual sample (low-rank part + y^T H y); stderr_ is their standard error
// (the low-rank part is exact given the sketch, so this understates the spread
// over sketches; docs/curvature.md).
TraceResult hutchpp_trace(Objective& f, const TraceOptions& options = {});

}  // namespace basin::curvature
