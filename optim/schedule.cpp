#include "optim/schedule.h"

#include <algorithm>
#include <cmath>

#include "optim/optimizer.h"

namespace basin::optim {

ScheduleKind parse_schedule_kind(const std::string& s) {
  if (s == "constant" || s == "none") return ScheduleKind::Constant;
  if (s == "step") return ScheduleKind::Step;
  if (s == "multistep") return ScheduleKind::MultiStep;
  if (s == "cosine") return ScheduleKind::Cosine;
  BASIN_FAIL("unknown lr schedule '" << s << "' (expected constant, step, multistep or cosine)");
}

LrSchedule::LrSchedule(ScheduleOptions opt) : opt_(std::move(opt)) {
  BASIN_CHECK(opt_.base_lr >= 0, "LrSchedule: base_lr must be >= 0, got " << opt_.base_lr);
  BASIN_CHECK(opt_.steps_per_epoch >= 1, "LrSchedule: steps_per_epoch must be >= 1, got " << opt_.steps_per_epoch);
  BASIN_CHECK(opt_.warmup >= 0 && opt_.warmup_start >= 0 && opt_.warmup_start <= 1,
              "LrSchedule: warm-up needs warmup >= 0 and warmup_start in [0, 1]");
  if (opt_.kind == ScheduleKind::Step)
    BASIN_CHECK(opt_.step_size >= 1, "LrSchedule: step schedule needs step_size >= 1, got " << opt_.step_size);
  if (opt_.kind == ScheduleKind::Cosine)
    BASIN_CHECK(opt_.t_max >= 1, "LrSchedule: cosine schedule needs t_max >= 1, got " << opt_.t_max);
  if (opt_.kind == ScheduleKind::MultiStep)
    BASIN_CHECK(std::is_sorted(opt_.milestones.begin(), opt_.milestones.end()),
                "LrSchedule: multistep milestones must be increasing");
}

std::int64_t LrSchedule::unit_of(std::int64_t steps) const {
  return opt_.per_step ? steps : steps / opt_.steps_per_epoch;
}

double LrSchedule::lr_at_unit(std::int64_t t) const {
  const double base = opt_.base_lr;
  double lr = base;
  switch (opt_.kind) {
    case ScheduleKind::Constant: break;
    case ScheduleKind::Step: lr = base * std::pow(opt_.gamma, static_cast<double>(t / opt_.step_size)); break;
    case ScheduleKind::MultiStep: {
      auto n = std::upper_bound(opt_.milestones.begin(), opt_.milestones.end(), t) - opt_.milestones.begin();
      lr = base * std::pow(opt_.gamma, static_cast<double>(n));
      break;
    }
    case ScheduleKind::Cosine: {
      const double pi = 3.14159265358979323846;
      double f = static_cast<double>(std::min(t, opt_.t_max)) / static_cast<double>(opt_.t_max);
      lr = opt_.eta_min + (base - opt_.eta_min) * (1.0 + std::cos(pi * f)) / 2.0;
      break;
    }
  }
  if (opt_.warmup > 0 && t < opt_.warmup) {
    double w = static_cast<double>(t) / static_cast<double>(opt_.warmup);
    lr *= opt_.warmup_start + (1.0 - opt_.warmup_start) * w;
  }
  return lr;
}

double LrSchedule::lr_at(std::int64_t steps) const { return lr_at_unit(unit_of(steps)); }

void LrSchedule::apply(Optimizer& opt) const { opt.set_lr(lr_at(opt.steps())); }

}  // namespace basin::optim
