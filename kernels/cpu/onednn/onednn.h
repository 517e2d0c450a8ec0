#pragma once
// The oneDNN fast path of the CPU backend (kernels/cpu_kernels.h): the same
// signatures and contracts as the reference kernels in kernels/cpu/, called by
// the entry points after their argument checks when use_cpu_fast_kernels().
// Built only with oneDNN (BASIN_WITH_DNNL); this header has no oneDNN include.
#include "kernels/conv.h"

namespace basin::kernels::onednn {

// conv.cpp: direct convolutions (oneDNN picks the blocked layout; plain NCHW at
// the boundary). Every Conv2dParams is supported.
void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& out, const Conv2dParams& p);
void conv2d_backward_input(const Tensor& grad_out, const Tensor& w, Tensor& grad_x, const Conv2dParams& p);
void conv2d_backward_weight(const Tensor& x, const Tensor& grad_out, Tensor& grad_w, const Conv2dParams& p);

// matmul.cpp: dnnl_sgemm (oneDNN's JIT GEMM on the OpenMP threads), the same
// contract as kernels::cpu::matmul.
void matmul(const Tensor& a, const Tensor& b, Tensor& out, bool trans_a, bool trans_b, float alpha, float beta);

}  // namespace basin::kernels::onednn
