// Shape helpers and raw view geometry (no kernels involved).
#include <gtest/gtest.h>

#include "tensor/tensor.h"

using namespace basin;

TEST(Shape, ContiguousStridesAndNumel) {
  EXPECT_EQ(contiguous_strides({2, 3, 4}), (Strides{12, 4, 1}));
  EXPECT_EQ(numel_of({2, 3, 4}), 24);
  EXPECT_EQ(numel_of({}), 1);
  EXPECT_EQ(numel_of({3, 0}), 0);
}

TEST(Shape, BroadcastFollowsNumPyAndNamesTheOp) {
  EXPECT_EQ(broadcast_shapes({4, 1, 3}, {5, 1}, "add"), (Shape{4, 5, 3}));
  try {
    broadcast_shapes({2, 3}, {4}, "mul");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("mul"), std::string::npos) << m;
    EXPECT_NE(m.find("[2, 3]"), std::string::npos) << m;
    EXPECT_NE(m.find("[4]"), std::string::npos) << m;
  }
}

TEST(Shape, InferShapeWithMinusOne) {
  EXPECT_EQ(raw::infer_shape({-1, 4}, 12, "reshape"), (Shape{3, 4}));
  EXPECT_THROW(raw::infer_shape({-1, 5}, 12, "reshape"), Error);
  EXPECT_THROW(raw::infer_shape({-1, -1}, 12, "reshape"), Error);
}

TEST(Shape, ViewStridesOfTransposedTensor) {
  Tensor x = Tensor::empty({2, 3, 4});
  Tensor xt = raw::view_as(x, {4, 3, 2}, {1, 4, 12}, 0);  // full permute
  EXPECT_FALSE(xt.is_contiguous());
  Strides s;
  EXPECT_FALSE(raw::try_view_strides(xt, {24}, &s));  // needs a copy
  Tensor sl = raw::view_as(x, {2, 12}, {12, 1}, 0);
  EXPECT_TRUE(raw::try_view_strides(sl, {2, 3, 4}, &s));
  EXPECT_EQ(s, (Strides{12, 4, 1}));
  // Splitting an axis of a strided (every other row) view is still a view.
  Tensor rows = raw::view_as(x, {1, 4}, {24, 1}, 4);
  EXPECT_TRUE(raw::try_view_strides(rows, {2, 2}, &s));
  EXPECT_EQ(s, (Strides{2, 1}));
}

TEST(Shape, MakeViewRejectsOutOfBounds) {
  Tensor x = Tensor::empty({4});
  EXPECT_THROW(raw::view_as(x, {5}, {1}, 0), Error);
  EXPECT_THROW(raw::view_as(x, {2}, {1}, 3), Error);
  EXPECT_NO_THROW(raw::view_as(x, {0}, {1}, 4));
}
