#pragma once
// Keeping batch-norm running statistics still during a forward pass.
//
// The perturbation optimizers evaluate several points per step, and the running
// statistics must move once per step (optim/optimizer.h's BatchNorm policy). On
// the passes with update_bn_stats == false, BN still normalizes with the batch's
// statistics (train mode) but its running buffers must not change. RunningStatsFreeze
// copies every buffer of the model before the pass and writes the copies back
// after it, through Module::load_state_dict, which also tells BatchNorm2d to
// re-read num_batches_tracked. The effect is exactly that of momentum 0 for the
// pass, and it needs nothing from the layers. A model without buffers (the MLP)
// costs nothing.
#include "nn/module.h"

namespace basin::train {

class RunningStatsFreeze {
 public:
  // active == false: does nothing.
  RunningStatsFreeze(nn::Module& model, bool active);
  ~RunningStatsFreeze() noexcept(false);
  RunningStatsFreeze(const RunningStatsFreeze&) = delete;
  RunningStatsFreeze& operator=(const RunningStatsFreeze&) = delete;

 private:
  nn::Module& model_;
  nn::NamedTensors saved_;
};

}  // namespace basin::train
