// CPU kernels against naive loops: odd sizes, size 1, empty tensors, strided and
// broadcast inputs, every GEMM transpose with batch broadcasting, softmax and
// cross-entropy against their formulas, and the random fills' keys and moments.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "kernels/elementwise.h"
#include "kernels/fill_copy.h"
#include "kernels/matmul.h"
#include "kernels/philox.h"
#include "kernels/random.h"
#include "kernels/reduce.h"
#include "kernels/softmax.h"

using namespace basin;
using namespace basin::kernels;

namespace {

Tensor rand_tensor(const Shape& s, std::uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  Tensor t = Tensor::empty(s);
  random_fill(t, Distribution::Uniform, {seed, 7}, lo, hi);
  return t;
}

// Element at a multi-index of a (possibly strided) CPU float tensor.
float at(const Tensor& t, const std::vector<std::int64_t>& idx) {
  std::int64_t off = 0;
  for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * t.strides()[d];
  return t.data<float>()[off];
}

// Calls fn(multi-index) for every element of `shape`, row-major.
void for_each_index(const Shape& shape, const std::function<void(const std::vector<std::int64_t>&)>& fn) {
  if (numel_of(shape) == 0) return;
  std::vector<std::int64_t> idx(shape.size(), 0);
  while (true) {
    fn(idx);
    int d = static_cast<int>(shape.size()) - 1;
    while (d >= 0 && ++idx[d] == shape[d]) idx[d--] = 0;
    if (d < 0) return;
  }
}

}  // namespace

TEST(KernelsCpu, BinaryOnStridedAndBroadcastInputsMatchesNaive) {
  Tensor base = rand_tensor({5, 7}, 1);
  Tensor a = raw::view_as(base, {7, 5}, {1, 7}, 0);  // transposed
  Tensor row = rand_tensor({5}, 2);
  Tensor b = raw::view_as(row, {7, 5}, {0, 1}, 0);  // broadcast rows
  for (BinaryOp op : {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div, BinaryOp::Maximum,
                      BinaryOp::Minimum, BinaryOp::Lt, BinaryOp::Ge}) {
    Tensor out = Tensor::empty({7, 5});
    binary(op, a, b, out);
    for_each_index({7, 5}, [&](const std::vector<std::int64_t>& i) {
      float x = at(a, i), y = at(b, i), expect = 0;
      switch (op) {
        case BinaryOp::Add: expect = x + y; break;
        case BinaryOp::Sub: expect = x - y; break;
        case BinaryOp::Mul: expect = x * y; break;
        case BinaryOp::Div: expect = x / y; break;
        case BinaryOp::Maximum: expect = std::max(x, y); break;
        case BinaryOp::Minimum: expect = std::min(x, y); break;
        case BinaryOp::Lt: expect = x < y; break;
        case BinaryOp::Ge: expect = x >= y; break;
        default: break;
      }
      EXPECT_FLOAT_EQ(at(out, i), expect) << op_name(op);
    });
  }
}

TEST(KernelsCpu, ReluBackwardPassesGradientWhereInputIsPositive) {
  Tensor base = rand_tensor({5, 7}, 11);
  Tensor g = raw::view_as(base, {7, 5}, {1, 7}, 0);  // transposed
  Tensor x = Tensor::from_vector(std::vector<float>{-2.0f, -0.0f, 0.0f, 1e-30f, 3.0f}, {5});
  Tensor xb = raw::view_as(x, {7, 5}, {0, 1}, 0);  // broadcast rows
  Tensor out = Tensor::empty({7, 5});
  relu_backward(g, xb, out);
  for_each_index({7, 5}, [&](const std::vector<std::int64_t>& i) {
    float expect = i[1] >= 3 ? at(g, i) : 0.0f;  // only the strictly positive inputs pass the gradient
    EXPECT_EQ(at(out, i), expect);
  });
  Tensor bad = Tensor::empty({7, 4});
  EXPECT_THROW(relu_backward(g, xb, bad), Error);
}

TEST(KernelsCpu, UnaryScalarAxpyAndLargeParallelSizes) {
  const std::int64_t n = 100003;  // odd, above the parallel grain
  Tensor x = rand_tensor({n}, 3, 0.1f, 2.0f);
  Tensor out = Tensor::empty({n});
  unary(UnaryOp::Log, x, out);
  const float* xp = x.data<float>();
  const float* op = out.data<float>();
  for (std::int64_t i = 0; i < n; i += 997) EXPECT_FLOAT_EQ(op[i], std::log(xp[i]));
  unary(UnaryOp::Sigmoid, x, out);
  for (std::int64_t i = 0; i < n; i += 997) EXPECT_NEAR(op[i], 1 / (1 + std::exp(-xp[i])), 1e-7);
  scalar(BinaryOp::Sub, x, 1.0f, out, true);  // 1 - x
  for (std::int64_t i = 0; i < n; i += 997) EXPECT_FLOAT_EQ(op[i], 1.0f - xp[i]);
  Tensor acc = Tensor::ones({n});
  axpy(-2.0f, x, acc);
  for (std::int64_t i = 0; i < n; i += 997) EXPECT_FLOAT_EQ(acc.data<float>()[i], 1.0f - 2.0f * xp[i]);
  // Sigmoid is stable at extremes.
  Tensor big = Tensor::from_vector(std::vector<float>{-200, 200}, {2});
  Tensor s = Tensor::empty({2});
  unary(UnaryOp::Sigmoid, big, s);
  EXPECT_EQ(s.to_vector(), (std::vector<float>{0, 1}));
}

TEST(KernelsCpu, EmptyAndSizeOneTensors) {
  Tensor e = Tensor::empty({0, 4});
  Tensor eo = Tensor::empty({0, 4});
  binary(BinaryOp::Add, e, e, eo);
  fill(eo, 3.0);
  Tensor one = Tensor::full({1, 1}, 2.0);
  Tensor o = Tensor::empty({1, 1});
  unary(UnaryOp::Sqrt, one, o);
  EXPECT_FLOAT_EQ(o.item(), std::sqrt(2.0f));
  Tensor r = Tensor::empty({1, 4});
  reduce(ReduceOp::Sum, e, {0}, r);
  EXPECT_EQ(r.to_vector(), std::vector<float>(4, 0.0f));  // empty sum is 0
  reduce(ReduceOp::Mean, e, {0}, r);
  EXPECT_TRUE(std::isnan(r.to_vector()[0]));  // empty mean is NaN
  EXPECT_THROW(reduce(ReduceOp::Max, e, {0}, r), Error);
}

TEST(KernelsCpu, ReduceEveryAxisSetMatchesNaive) {
  Tensor base = rand_tensor({3, 5, 4}, 4);
  Tensor x = raw::view_as(base, {4, 3, 5}, {1, 20, 4}, 0);  // permuted view
  for (std::vector<int> axes : std::vector<std::vector<int>>{{0}, {1}, {2}, {0, 2}, {1, 2}, {0, 1, 2}}) {
    for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min}) {
      Shape ks = x.shape();
      for (int a : axes) ks[a] = 1;
      Tensor out = Tensor::empty(ks);
      reduce(op, x, axes, out);
      for_each_index(ks, [&](const std::vector<std::int64_t>& o) {
        double acc = op == ReduceOp::Max ? -1e30 : op == ReduceOp::Min ? 1e30 : 0;
        int count = 0;
        for_each_index(x.shape(), [&](const std::vector<std::int64_t>& i) {
          for (int d = 0; d < 3; ++d)
            if (ks[d] != 1 && i[d] != o[d]) return;
          double v = at(x, i);
          ++count;
          if (op == ReduceOp::Max) acc = std::max(acc, v);
          else if (op == ReduceOp::Min) acc = std::min(acc, v);
          else acc += v;
        });
        if (op == ReduceOp::Mean) acc /= count;
        EXPECT_NEAR(at(out, o), acc, 1e-5);
      });
    }
  }
}

TEST(KernelsCpu, LongSumIsParallelAndAccurate) {
  const std::int64_t n = 1 << 20;
  Tensor x = Tensor::full({n}, 0.1);
  Tensor out = Tensor::empty({1});
  reduce(ReduceOp::Sum, x, {0}, out);
  EXPECT_NEAR(out.item(), 0.1f * n, 1e-2);  // float accumulation would drift far more
}

TEST(KernelsCpu, ArgmaxFirstOnTies) {
  Tensor x = Tensor::from_vector(std::vector<float>{1, 4, 4, 2, 9, 9, -1, 0}, {2, 4});
  Tensor out = Tensor::empty({2, 1}, DType::Int64);
  argmax(x, 1, out);
  EXPECT_EQ(out.to_int_vector(), (std::vector<std::int64_t>{1, 0}));
}

TEST(KernelsCpu, MatmulAllTransposesAndBatchBroadcastMatchNaive) {
  const std::int64_t M = 3, K = 5, N = 4, B = 2;
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb)
      for (int batch_a : {0, 1, 2})      // 0: 2-D, 1: batch of 1, 2: batch of B
        for (int batch_b : {0, 1, 2}) {
          Shape sa = ta ? Shape{K, M} : Shape{M, K}, sb = tb ? Shape{N, K} : Shape{K, N};
          if (batch_a) sa.insert(sa.begin(), batch_a == 1 ? 1 : B);
          if (batch_b) sb.insert(sb.begin(), batch_b == 1 ? 1 : B);
          bool batched = batch_a || batch_b;
          Tensor a = rand_tensor(sa, 10 + ta), b = rand_tensor(sb, 20 + tb);
          Shape so = batched ? Shape{B, M, N} : Shape{M, N};
          Tensor out = Tensor::full(so, 0.5);
          const float alpha = 1.5f, beta = batched ? 0.0f : 2.0f;
          Tensor before = Tensor::full(so, 0.5);
          matmul(a, b, out, ta, tb, alpha, beta);
          for (std::int64_t bi = 0; bi < (batched ? B : 1); ++bi)
            for (std::int64_t i = 0; i < M; ++i)
              for (std::int64_t j = 0; j < N; ++j) {
                double s = 0;
                for (std::int64_t k = 0; k < K; ++k) {
                  std::vector<std::int64_t> ia = ta ? std::vector<std::int64_t>{k, i} : std::vector<std::int64_t>{i, k};
                  std::vector<std::int64_t> ib = tb ? std::vector<std::int64_t>{j, k} : std::vector<std::int64_t>{k, j};
                  if (batch_a) ia.insert(ia.begin(), batch_a == 1 ? 0 : bi);
                  if (batch_b) ib.insert(ib.begin(), batch_b == 1 ? 0 : bi);
                  s += static_cast<double>(at(a, ia)) * at(b, ib);
                }
                std::vector<std::int64_t> io = batched ? std::vector<std::int64_t>{bi, i, j} : std::vector<std::int64_t>{i, j};
                EXPECT_NEAR(at(out, io), alpha * s + beta * 0.5, 1e-5)
                    << "ta " << ta << " tb " << tb << " batch_a " << batch_a << " batch_b " << batch_b;
              }
        }
}

TEST(KernelsCpu, MatmulEmptyInnerDimensionAndShapeErrors) {
  Tensor a = Tensor::empty({2, 0}), b = Tensor::empty({0, 3});
  Tensor out = Tensor::full({2, 3}, 9.0);
  matmul(a, b, out);
  EXPECT_EQ(out.to_vector(), std::vector<float>(6, 0.0f));
  Tensor bad = Tensor::empty({4, 3});
  EXPECT_THROW(matmul(Tensor::empty({2, 3}), bad, out), Error);
  EXPECT_THROW(matmul(Tensor::empty({2, 3}), Tensor::empty({3, 3}).t(), out), Error);  // not contiguous
}

TEST(KernelsCpu, SoftmaxRowsSumToOneAndLogSoftmaxMatches) {
  Tensor x = rand_tensor({7, 13}, 30, -30, 30);
  Tensor p = Tensor::empty({7, 13}), lp = Tensor::empty({7, 13});
  softmax(x, p, false);
  softmax(x, lp, true);
  std::vector<float> pv = p.to_vector(), lv = lp.to_vector(), xv = x.to_vector();
  for (int i = 0; i < 7; ++i) {
    double s = 0, mx = -1e30;
    for (int j = 0; j < 13; ++j) mx = std::max<double>(mx, xv[i * 13 + j]);
    double z = 0;
    for (int j = 0; j < 13; ++j) z += std::exp(xv[i * 13 + j] - mx);
    for (int j = 0; j < 13; ++j) {
      s += pv[i * 13 + j];
      EXPECT_NEAR(lv[i * 13 + j], xv[i * 13 + j] - mx - std::log(z), 1e-4);
    }
    EXPECT_NEAR(s, 1.0, 1e-5);
  }
  // Huge logits do not overflow.
  Tensor big = Tensor::from_vector(std::vector<float>{1000, 1000}, {1, 2});
  Tensor pb = Tensor::empty({1, 2});
  softmax(big, pb, false);
  EXPECT_EQ(pb.to_vector(), (std::vector<float>{0.5f, 0.5f}));
}

TEST(KernelsCpu, SoftmaxBackwardMatchesJacobian) {
  Tensor x = rand_tensor({2, 4}, 31, -2, 2), dy = rand_tensor({2, 4}, 32);
  for (bool log : {false, true}) {
    Tensor y = Tensor::empty({2, 4}), dx = Tensor::empty({2, 4});
    softmax(x, y, log);
    softmax_backward(y, dy, dx, log);
    Tensor p = Tensor::empty({2, 4});
    softmax(x, p, false);
    std::vector<float> pv = p.to_vector(), g = dy.to_vector(), d = dx.to_vector();
    for (int n = 0; n < 2; ++n)
      for (int i = 0; i < 4; ++i) {
        double s = 0;  // sum_j dy_j * dy_j/dx_i
        for (int j = 0; j < 4; ++j) {
          double pj = pv[n * 4 + j], pi = pv[n * 4 + i];
          double jac = log ? ((i == j) - pi) : pj * ((i == j) - pi);
          s += g[n * 4 + j] * jac;
        }
        EXPECT_NEAR(d[n * 4 + i], s, 1e-5) << "log " << log;
      }
  }
}

TEST(KernelsCpu, CrossEntropyWithSmoothingMatchesFormula) {
  const int N = 5, C = 4;
  Tensor x = rand_tensor({N, C}, 33, -3, 3);
  Tensor labels = Tensor::from_vector(std::vector<std::int64_t>{0, 3, 1, 1, 2}, {N});
  for (float eps : {0.0f, 0.1f, 1.0f}) {
    Tensor loss = Tensor::empty({1}), logp = Tensor::empty({N, C});
    cross_entropy(x, labels, eps, loss, logp);
    std::vector<float> xv = x.to_vector();
    std::vector<std::int64_t> lv = labels.to_int_vector();
    double total = 0;
    for (int n = 0; n < N; ++n) {
      double z = 0;
      for (int c = 0; c < C; ++c) z += std::exp(static_cast<double>(xv[n * C + c]));
      for (int c = 0; c < C; ++c) {
        double target = (c == lv[n] ? 1.0 - eps : 0.0) + eps / C;
        total -= target * (xv[n * C + c] - std::log(z));
      }
    }
    EXPECT_NEAR(loss.item(), total / N, 1e-5) << "eps " << eps;
    Tensor g = Tensor::full({1}, 2.0), dl = Tensor::empty({N, C});
    cross_entropy_backward(logp, labels, eps, g, dl);
    std::vector<float> dv = dl.to_vector();
    for (int n = 0; n < N; ++n) {
      double rs = 0;
      for (int c = 0; c < C; ++c) rs += dv[n * C + c];
      EXPECT_NEAR(rs, 0.0, 1e-6);  // softmax and target both sum to 1
    }
  }
}

TEST(KernelsCpu, CrossEntropyRejectsOutOfRangeLabelsNamingThem) {
  Tensor x = Tensor::zeros({3, 4}), loss = Tensor::empty({1}), logp = Tensor::empty({3, 4});
  for (std::int64_t bad : {4, -1}) {
    Tensor labels = Tensor::from_vector(std::vector<std::int64_t>{0, 1, bad}, {3});
    try {
      cross_entropy(x, labels, 0.0f, loss, logp);
      FAIL() << "expected an error";
    } catch (const Error& e) {
      std::string m = e.what();
      EXPECT_NE(m.find("label " + std::to_string(bad)), std::string::npos) << m;
      EXPECT_NE(m.find("index 2"), std::string::npos) << m;
    }
  }
}

TEST(KernelsCpu, RandomSameKeySameValuesOtherStreamOtherValues) {
  for (auto dist : {Distribution::Uniform, Distribution::Normal, Distribution::Laplace, Distribution::Rademacher,
                    Distribution::Bernoulli}) {
    Tensor a = Tensor::empty({1001}), b = Tensor::empty({1001}), c = Tensor::empty({1001});
    float p0 = dist == Distribution::Bernoulli ? 0.5f : 0.0f;
    random_fill(a, dist, {42, 3}, p0, 1.0f);
    random_fill(b, dist, {42, 3}, p0, 1.0f);
    random_fill(c, dist, {42, 4}, p0, 1.0f);
    EXPECT_EQ(a.to_vector(), b.to_vector());
    std::vector<float> av = a.to_vector(), cv = c.to_vector();
    int same = 0;
    for (size_t i = 0; i < av.size(); ++i) same += av[i] == cv[i];
    // Two-valued distributions agree by chance on about half the elements.
    EXPECT_LT(same, dist == Distribution::Rademacher || dist == Distribution::Bernoulli ? 600 : 5);
    // A prefix of a longer fill equals a shorter fill: element i depends only on i.
    Tensor shortt = Tensor::empty({7});
    random_fill(shortt, dist, {42, 3}, p0, 1.0f);
    for (int i = 0; i < 7; ++i) EXPECT_EQ(shortt.to_vector()[i], av[i]);
  }
}

TEST(KernelsCpu, RandomMomentsMatchTheDistributions) {
  const std::int64_t n = 100000;
  struct Case {
    Distribution d;
    float a, b;
    double mean, var;
  };
  // Laplace(a, b): variance 2 b^2; Uniform[a, b): (b-a)^2 / 12; Rademacher: b^2.
  for (Case c : {Case{Distribution::Uniform, -1, 3, 1.0, 16.0 / 12}, Case{Distribution::Normal, 2, 0.5, 2.0, 0.25},
                 Case{Distribution::Laplace, -1, 2, -1.0, 8.0}, Case{Distribution::Rademacher, 1, 3, 1.0, 9.0},
                 Case{Distribution::Bernoulli, 0.3f, 0, 0.3, 0.21}}) {
    Tensor t = Tensor::empty({n});
    random_fill(t, c.d, {7, 11}, c.a, c.b);
    std::vector<float> v = t.to_vector();
    double m = 0, m2 = 0;
    for (float x : v) m += x;
    m /= n;
    for (float x : v) m2 += (x - m) * (x - m);
    m2 /= n - 1;
    // 5 standard errors: the mean's is sqrt(var / n); the variance's is within
    // sqrt((kurtosis - 1) / n) * var, kurtosis <= 6 (Laplace) here.
    EXPECT_NEAR(m, c.mean, 5 * std::sqrt(c.var / n)) << static_cast<int>(c.d);
    EXPECT_NEAR(m2, c.var, 5 * std::sqrt(5.0 / n) * c.var) << static_cast<int>(c.d);
  }
  // Uniform stays in [a, b); Bernoulli is 0/1.
  Tensor u = Tensor::empty({n});
  random_fill(u, Distribution::Uniform, {1, 1}, 2, 3);
  for (float x : u.to_vector()) ASSERT_TRUE(x >= 2 && x < 3) << x;
}

TEST(KernelsCpu, RandomFollowsThePhiloxScheme) {
  // Element i = word i % 4 of philox::block(seed, stream, i / 4): check Uniform
  // against the documented formula directly.
  Tensor t = Tensor::empty({9});
  random_fill(t, Distribution::Uniform, {123, 456}, 0, 1);
  std::vector<float> v = t.to_vector();
  for (int i = 0; i < 9; ++i) {
    philox::U32x4 w = philox::block(123, 456, i / 4);
    std::uint32_t word = i % 4 == 0 ? w.x : i % 4 == 1 ? w.y : i % 4 == 2 ? w.z : w.w;
    EXPECT_EQ(v[i], static_cast<float>(word >> 8) / 16777216.0f);
  }
}

TEST(KernelsCpu, CopyAndFillWithManyStridedLayouts) {
  Tensor src = rand_tensor({4, 3, 5}, 40);
  Tensor perm = raw::view_as(src, {5, 4, 3}, {1, 15, 5}, 0);
  Tensor dst = Tensor::empty({5, 4, 3});
  copy(perm, dst);
  for_each_index({5, 4, 3}, [&](const std::vector<std::int64_t>& i) { EXPECT_EQ(at(dst, i), at(perm, i)); });
  Tensor big = Tensor::zeros({6, 8});
  Tensor every_other = raw::view_as(big, {3, 4}, {16, 2}, 1);
  fill(every_other, 1.0);
  float total = 0;
  for (float v : big.to_vector()) total += v;
  EXPECT_EQ(total, 12.0f);
  EXPECT_EQ(big.to_vector()[1], 1.0f);
  EXPECT_EQ(big.to_vector()[0], 0.0f);
}
