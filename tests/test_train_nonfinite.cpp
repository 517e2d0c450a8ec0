// train/nonfinite.h: the trainer's check that names the parameter whose gradient
// went NaN or Inf (issue #8: "which tensor went non-finite").
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "kernels/fill_copy.h"
#include "nn/models/factory.h"
#include "train/nonfinite.h"

using namespace basin;

namespace {
void poison(nn::ParameterArena& arena, const std::string& name, std::int64_t element, float value) {
  const nn::ArenaSegment* s = arena.find(name);
  ASSERT_NE(s, nullptr) << name;
  Tensor g = arena.grad_view(*s).reshape({-1}).slice(0, element, element + 1);
  g.fill_(value);
}
}  // namespace

TEST(TrainNonFinite, NamesTheFirstParameterWithANonFiniteGradient) {
  nn::ModelOptions o;
  o.input_features = 12;
  o.hidden = {8, 6};
  o.num_classes = 3;
  auto model = nn::make_model("mlp", o);
  nn::ParameterArena& arena = model->finalize_arena(Device::cpu());
  arena.grads().fill_(0.5);
  EXPECT_EQ(train::first_nonfinite_grad(arena), "");

  poison(arena, "layers.2.weight", 7, std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(train::first_nonfinite_grad(arena), "layers.2.weight");

  arena.grads().fill_(0.5);
  poison(arena, "layers.4.bias", 2, std::numeric_limits<float>::infinity());
  EXPECT_EQ(train::first_nonfinite_grad(arena), "layers.4.bias");

  // +Inf and -Inf in one tensor would cancel in a careless check: still found.
  arena.grads().fill_(0.5);
  poison(arena, "layers.0.weight", 0, std::numeric_limits<float>::infinity());
  poison(arena, "layers.0.weight", 1, -std::numeric_limits<float>::infinity());
  EXPECT_EQ(train::first_nonfinite_grad(arena), "layers.0.weight");
}
