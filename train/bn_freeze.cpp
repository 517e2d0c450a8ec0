#include "train/bn_freeze.h"

#include <exception>

#include "autograd/grad_mode.h"

namespace basin::train {

RunningStatsFreeze::RunningStatsFreeze(nn::Module& model, bool active) : model_(model) {
  if (!active) return;
  NoGradGuard no_grad;
  for (const auto& [name, t] : model.named_buffers()) saved_.emplace_back(name, t.clone());
}

RunningStatsFreeze::~RunningStatsFreeze() noexcept(false) {
  if (saved_.empty()) return;
  NoGradGuard no_grad;
  // During unwinding, a failed restore must not terminate the process.
  if (std::uncaught_exceptions() > 0) {
    try {
      model_.load_state_dict(saved_, nn::LoadOptions::non_strict());
    } catch (...) {
    }
    return;
  }
  model_.load_state_dict(saved_, nn::LoadOptions::non_strict());
}

}  // namespace basin::train
