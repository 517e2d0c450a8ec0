// LR schedules against their closed forms, per epoch and per step, with warm-up.
#include <gtest/gtest.h>

#include <cmath>

#include "optim/schedule.h"
#include "optim/sgd.h"

using namespace basin;
using namespace basin::optim;

TEST(OptimSchedule, StepDecaysTenfoldEveryNEpochs) {
  ScheduleOptions o;
  o.kind = ScheduleKind::Step;
  o.base_lr = 0.01;
  o.step_size = 10;
  o.gamma = 0.1;
  o.steps_per_epoch = 7;
  LrSchedule s(o);
  for (int epoch = 0; epoch < 35; ++epoch)
    for (int b = 0; b < 7; ++b)
      EXPECT_NEAR(s.lr_at(epoch * 7 + b), 0.01 * std::pow(0.1, epoch / 10), 1e-15) << epoch;
  EXPECT_NEAR(s.lr_at(69), 1e-2, 1e-15);  // last step of epoch 9
  EXPECT_NEAR(s.lr_at(70), 1e-3, 1e-15);  // epoch 10
  EXPECT_NEAR(s.lr_at(69), s.lr_at(63), 0);
}

TEST(OptimSchedule, MultiStepCountsMilestonesPassed) {
  ScheduleOptions o;
  o.kind = ScheduleKind::MultiStep;
  o.base_lr = 1.0;
  o.milestones = {3, 5, 9};
  o.gamma = 0.5;
  o.per_step = true;
  LrSchedule s(o);
  const double want[] = {1, 1, 1, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.125, 0.125};
  for (int t = 0; t < 11; ++t) EXPECT_DOUBLE_EQ(s.lr_at(t), want[t]) << t;
}

TEST(OptimSchedule, CosineWithWarmup) {
  ScheduleOptions o;
  o.kind = ScheduleKind::Cosine;
  o.base_lr = 0.2;
  o.eta_min = 0.01;
  o.t_max = 50;
  o.per_step = true;
  LrSchedule plain(o);
  for (int t = 0; t <= 60; ++t) {
    double want = 0.01 + 0.19 * (1 + std::cos(M_PI * std::min(t, 50) / 50.0)) / 2;
    EXPECT_NEAR(plain.lr_at(t), want, 1e-15) << t;
  }
  EXPECT_DOUBLE_EQ(plain.lr_at(0), 0.2);
  EXPECT_NEAR(plain.lr_at(25), 0.105, 1e-15);
  o.warmup = 5;
  o.warmup_start = 0.2;
  LrSchedule warm(o);
  for (int t = 0; t < 10; ++t) {
    double f = t < 5 ? 0.2 + 0.8 * t / 5.0 : 1.0;
    EXPECT_NEAR(warm.lr_at(t), plain.lr_at(t) * f, 1e-15) << t;
  }
}

TEST(OptimSchedule, AppliesToAnOptimizerFromItsStepCount) {
  Tensor p = Tensor::from_vector(std::vector<float>{1, 2}, {2}), g = Tensor::from_vector(std::vector<float>{0, 0}, {2});
  ArenaRef r;
  r.params = p;
  r.grads = g;
  SGD sgd(r, SgdOptions{});
  ScheduleOptions o;
  o.kind = ScheduleKind::Step;
  o.base_lr = 0.5;
  o.step_size = 2;
  o.per_step = true;
  LrSchedule s(o);
  for (int t = 0; t < 5; ++t) {
    s.apply(sgd);
    EXPECT_DOUBLE_EQ(sgd.lr(), 0.5 * std::pow(0.1, t / 2));
    sgd.step([](bool) { return 0.0f; });
  }
}

TEST(OptimSchedule, BadOptionsThrow) {
  ScheduleOptions o;
  o.kind = ScheduleKind::Cosine;
  EXPECT_THROW(LrSchedule{o}, Error);  // t_max 0
  o.kind = ScheduleKind::MultiStep;
  o.milestones = {5, 2};
  EXPECT_THROW(LrSchedule{o}, Error);
  EXPECT_THROW(parse_schedule_kind("exponential"), Error);
  EXPECT_EQ(parse_schedule_kind("cosine"), ScheduleKind::Cosine);
}
