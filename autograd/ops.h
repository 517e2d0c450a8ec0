#pragma once
// Differentiable ops on tensors: the functions users and nn/ layers call. Each is
// defined next to its backward (autograd/*_ops.cpp). Broadcasting follows NumPy;
// gradients of broadcast inputs are summed back to the input's shape.
#include <vector>

#include "tensor/tensor.h"

namespace basin {

// elementwise, broadcasting
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, float s);
Tensor mul(const Tensor& a, float s);
Tensor pow(const Tensor& a, float exponent);
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor square(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);

// comparisons (not differentiable): float32 1/0
Tensor eq(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, float s);
Tensor operator-(const Tensor& a, float s);
Tensor operator*(const Tensor& a, float s);
Tensor operator/(const Tensor& a, float s);
Tensor operator*(float s, const Tensor& a);
Tensor operator-(const Tensor& x);

// reductions
Tensor sum(const Tensor& x);  // all elements -> shape []
Tensor sum(const Tensor& x, const std::vector<int>& axes, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, const std::vector<int>& axes, bool keepdim = false);
Tensor max(const Tensor& x, int axis, bool keepdim = false);  // gradient to the (first) max
Tensor argmax(const Tensor& x, int axis);                      // int64, not differentiable
// Sums `g` over broadcast axes so it has `shape` (the backward of broadcasting).
Tensor sum_to(const Tensor& g, const Shape& shape);

// linear algebra
Tensor matmul(const Tensor& a, const Tensor& b);  // [M,K]@[K,N], or batched [B,M,K]@[B,K,N]
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);  // x @ W^T + b, bias may be undefined

// softmax family (along `axis`, default last) and the classification loss
Tensor softmax(const Tensor& x, int axis = -1);
Tensor log_softmax(const Tensor& x, int axis = -1);
// logits [N, C], labels int64 [N]; mean over N; label smoothing as PyTorch.
Tensor cross_entropy(const Tensor& logits, const Tensor& labels, float label_smoothing = 0.0f);

// joins
Tensor cat(const std::vector<Tensor>& xs, int axis);

}  // namespace basin
