#pragma once
// The noise level of NSO / WP-SGD over training (the paper's Remark 3.1 and the
// authors' code: sigma ramped up per epoch, at a linear or exponential rate, to
// the value it would have as a constant). A closed form of the step count, like
// the learning-rate schedules of optim/schedule.h, so a resumed run needs only
// the optimizer's step count to draw the sigma the uninterrupted run would.
//
// With u = floor(steps / steps_per_unit) (epochs, or steps with steps_per_unit 1)
// and a = min(u, ramp_units - 1) / (ramp_units - 1) (1 when ramp_units is 1):
//   constant     sigma(t) = sigma
//   linear       sigma(t) = start + (sigma - start) a
//   exponential  sigma(t) = start (sigma / start)^a          (start > 0)
// so the first unit runs at `start` and unit ramp_units - 1 and later at sigma.
#include <cstdint>
#include <string>

namespace basin::optim {

enum class SigmaRamp { Constant, Linear, Exponential };

struct SigmaSchedule {
  SigmaRamp kind = SigmaRamp::Constant;
  double start = 0.0;                // sigma of the first unit (linear, exponential)
  std::int64_t ramp_units = 1;       // units from start to sigma (>= 1)
  std::int64_t steps_per_unit = 1;   // optimizer steps per unit (an epoch's batches)
};

// "constant" | "linear" | "exponential" (throws naming `who` otherwise).
SigmaRamp parse_sigma_ramp(const std::string& s, const char* who);
const char* sigma_ramp_name(SigmaRamp r);

// Throws naming `who` when the schedule cannot run (exponential from start <= 0,
// ramp_units or steps_per_unit < 1, a negative start).
void check_sigma_schedule(const SigmaSchedule& s, const char* who);

// sigma after `steps` optimizer steps (the sigma of the next step). Constant
// returns `sigma` itself, so a constant schedule changes nothing.
double sigma_at(const SigmaSchedule& s, double sigma, std::int64_t steps);

}  // namespace basin::optim
