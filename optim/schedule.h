#pragma once
// Learning-rate schedules as closed forms of the time t (PyTorch's schedulers
// are recursive; their closed forms are what is implemented and tested):
//
//   constant    lr(t) = base
//   step        lr(t) = base * gamma^floor(t / step_size)        (StepLR; the paper: x0.1 every 10 epochs)
//   multistep   lr(t) = base * gamma^(number of milestones <= t) (MultiStepLR)
//   cosine      lr(t) = eta_min + (base - eta_min) (1 + cos(pi min(t, T) / T)) / 2   (CosineAnnealingLR,
//               held at eta_min after T instead of rising again)
//   warm-up     multiplies any of them by start + (1 - start) min(t, W) / W   (LinearLR)
//
// t counts epochs (t = floor(steps / steps_per_epoch)) or, with per_step,
// optimizer steps. Either way the caller passes the number of optimizer steps
// taken so far, so a resumed run needs nothing but the optimizer's step count.
#include <cstdint>
#include <string>
#include <vector>

namespace basin::optim {

class Optimizer;

enum class ScheduleKind { Constant, Step, MultiStep, Cosine };

struct ScheduleOptions {
  ScheduleKind kind = ScheduleKind::Constant;
  double base_lr = 0.01;
  std::int64_t step_size = 10;            // step: units between decays
  double gamma = 0.1;                     // step, multistep
  std::vector<std::int64_t> milestones;   // multistep, increasing
  std::int64_t t_max = 0;                 // cosine: length in units
  double eta_min = 0.0;                   // cosine: final lr
  std::int64_t warmup = 0;                // warm-up length in units (0: none)
  double warmup_start = 0.0;              // warm-up starts at warmup_start * lr
  bool per_step = false;                  // unit: optimizer steps (true) or epochs (false)
  std::int64_t steps_per_epoch = 1;       // for per-epoch schedules
};

ScheduleKind parse_schedule_kind(const std::string& s);  // "constant", "step", "multistep", "cosine"

class LrSchedule {
 public:
  explicit LrSchedule(ScheduleOptions opt);
  // lr after `steps` optimizer steps (the lr for the next step).
  double lr_at(std::int64_t steps) const;
  // The time unit reached after `steps` steps.
  std::int64_t unit_of(std::int64_t steps) const;
  // lr of the time unit t.
  double lr_at_unit(std::int64_t t) const;
  // Sets opt's lr for its next step from its step count.
  void apply(Optimizer& opt) const;
  const ScheduleOptions& options() const { return opt_; }

 private:
  ScheduleOptions opt_;
};

}  // namespace basin::optim
