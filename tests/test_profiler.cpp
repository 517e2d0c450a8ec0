// autograd/profiler.h: while a ProfileScope is alive, every leaf layer's forward
// and every backward node is counted and timed under its name; outside it
// nothing is recorded.
#include <gtest/gtest.h>

#include "autograd/ops.h"
#include "autograd/profiler.h"
#include "nn/models/factory.h"

using namespace basin;

TEST(Profiler, CountsLeafForwardsAndBackwardNodesOnlyInsideTheScope) {
  nn::ModelOptions o;
  o.input_features = 6;
  o.hidden = {5, 4};  // three Linear layers, two ReLUs
  o.num_classes = 3;
  auto model = nn::make_model("mlp", o);
  Tensor x = Tensor::full({2, 6}, 0.5f);
  Tensor labels = Tensor::from_vector(std::vector<std::int64_t>{0, 2}, {2});

  Profiler p;
  {
    ProfileScope scope(p);
    cross_entropy((*model)(x), labels).backward();
  }
  cross_entropy((*model)(x), labels).backward();  // outside: not recorded

  auto calls = [&](const char* phase, const char* name) {
    auto it = p.entries().find({phase, name});
    return it == p.entries().end() ? std::int64_t{0} : it->second.calls;
  };
  EXPECT_EQ(calls("forward", "Linear"), 3);
  EXPECT_EQ(calls("forward", "ReLU"), 2);
  EXPECT_EQ(calls("forward", "MLP"), 0);  // containers are not leaves: no double counting
  EXPECT_EQ(calls("backward", "linear"), 3);
  EXPECT_EQ(calls("backward", "relu"), 2);
  EXPECT_EQ(calls("backward", "cross_entropy"), 1);
  for (const auto& [key, e] : p.entries()) EXPECT_GE(e.ms, 0.0) << key.second;
  std::string t = p.table(1 << 20, "host RSS");
  EXPECT_NE(t.find("Linear"), std::string::npos) << t;
  EXPECT_NE(t.find("peak memory (host RSS): 1.0 MiB"), std::string::npos) << t;
}
