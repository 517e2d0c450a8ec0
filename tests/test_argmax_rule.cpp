// argmax's comparison rule (kernels/argmax_rule.h), shared by the CPU loop and the
// CUDA kernel: the first maximum on ties, the first NaN over everything (as
// torch.argmax). Checked as a fold and through the CPU backend.
#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "kernels/argmax_rule.h"
#include "kernels/reduce.h"

namespace basin {
namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

std::int64_t fold(const std::vector<float>& v) {
  std::int64_t arg = 0;
  for (size_t j = 1; j < v.size(); ++j)
    if (kernels::argmax_takes(v[j], v[static_cast<size_t>(arg)])) arg = static_cast<std::int64_t>(j);
  return arg;
}

std::int64_t cpu_argmax(const std::vector<float>& v) {
  Tensor x = Tensor::from_vector(v, {static_cast<std::int64_t>(v.size())});
  Tensor out = Tensor::empty({1}, DType::Int64, Device::cpu());  // argmax keeps the axis
  kernels::argmax(x, 0, out);
  return out.data<std::int64_t>()[0];
}

TEST(ArgmaxRule, FirstNaNThenFirstMaximum) {
  struct Case {
    std::vector<float> v;
    std::int64_t want;  // torch.argmax(torch.tensor(v))
  };
  for (const Case& c : {Case{{kNaN, 5.0f, 1.0f}, 0}, Case{{1.0f, 7.0f, kNaN, 9.0f}, 2},
                        Case{{1.0f, kNaN, 3.0f, kNaN, kInf}, 1}, Case{{kNaN, kNaN}, 0},
                        Case{{2.0f, 5.0f, 5.0f, 1.0f}, 1}, Case{{-kInf, -kInf}, 0}, Case{{3.0f}, 0},
                        Case{{-1.0f, -0.0f, 0.0f}, 1}, Case{{kInf, kNaN}, 1}}) {
    EXPECT_EQ(fold(c.v), c.want);
    EXPECT_EQ(cpu_argmax(c.v), c.want);
  }
}

TEST(ArgmaxRule, TheRuleItself) {
  EXPECT_TRUE(kernels::argmax_takes(2.0f, 1.0f));
  EXPECT_FALSE(kernels::argmax_takes(1.0f, 1.0f));  // ties keep the earlier index
  EXPECT_TRUE(kernels::argmax_takes(kNaN, kInf));   // a NaN takes over
  EXPECT_FALSE(kernels::argmax_takes(kNaN, kNaN));  // but not from an earlier NaN
  EXPECT_FALSE(kernels::argmax_takes(kInf, kNaN));
}

}  // namespace
}  // namespace basin
