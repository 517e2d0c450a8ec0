#include "optim/sigma_schedule.h"

#include <algorithm>
#include <cmath>

#include "tensor/error.h"

namespace basin::optim {

SigmaRamp parse_sigma_ramp(const std::string& s, const char* who) {
  for (SigmaRamp r : {SigmaRamp::Constant, SigmaRamp::Linear, SigmaRamp::Exponential})
    if (s == sigma_ramp_name(r)) return r;
  BASIN_FAIL(who << ": unknown --sigma-schedule '" << s << "' (constant, linear, exponential)");
}

const char* sigma_ramp_name(SigmaRamp r) {
  switch (r) {
    case SigmaRamp::Constant: return "constant";
    case SigmaRamp::Linear: return "linear";
    case SigmaRamp::Exponential: return "exponential";
  }
  return "?";
}

void check_sigma_schedule(const SigmaSchedule& s, const char* who) {
  BASIN_CHECK(s.ramp_units >= 1 && s.steps_per_unit >= 1,
              who << ": sigma schedule needs ramp_units and steps_per_unit >= 1, got " << s.ramp_units << " and "
                  << s.steps_per_unit);
  BASIN_CHECK(std::isfinite(s.start) && s.start >= 0, who << ": --sigma-start must be >= 0, got " << s.start);
  BASIN_CHECK(s.kind != SigmaRamp::Exponential || s.start > 0,
              who << ": --sigma-schedule exponential needs --sigma-start > 0, got " << s.start);
}

double sigma_at(const SigmaSchedule& s, double sigma, std::int64_t steps) {
  if (s.kind == SigmaRamp::Constant || s.ramp_units <= 1) return sigma;
  const std::int64_t unit = std::max<std::int64_t>(0, steps) / std::max<std::int64_t>(1, s.steps_per_unit);
  const double a = static_cast<double>(std::min(unit, s.ramp_units - 1)) / static_cast<double>(s.ramp_units - 1);
  if (a >= 1.0) return sigma;
  if (s.kind == SigmaRamp::Linear) return s.start + (sigma - s.start) * a;
  return s.start * std::pow(sigma / s.start, a);
}

}  // namespace basin::optim
