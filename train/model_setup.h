#pragma once
// The model, optimizer and learning-rate schedule of a run, from its TrainConfig.
#include <functional>
#include <memory>
#include <string>

#include "nn/module.h"
#include "optim/optimizer.h"
#include "optim/schedule.h"
#include "train/config.h"

namespace basin::train {

// Builds the model (torchvision names), moves it to `device` and puts its
// parameters in one arena. `in_channels`, `image_size` and `num_classes` come from
// the data.
std::shared_ptr<nn::Module> make_run_model(const TrainConfig& c, int in_channels, int image_size,
                                           std::int64_t num_classes, Device device);

// Loads --init weights for fine-tuning: every tensor whose name and shape match;
// a classifier head of another shape is skipped. Returns the load report's text.
std::string load_init_weights(nn::Module& model, const std::string& path);

// The optimizer over the model's arena. Perturbation methods wrap SGD with the
// run's momentum and weight decay. steps_per_epoch (an epoch's batches) is the
// unit of a --sigma-schedule ramp. `sync_grads` (data-parallel: the gradient
// all-reduce) runs before every weight update (optim/arena_ref.h).
std::unique_ptr<optim::Optimizer> make_run_optimizer(const TrainConfig& c, nn::Module& model,
                                                     std::int64_t steps_per_epoch = 1,
                                                     std::function<void()> sync_grads = {});

optim::LrSchedule make_run_schedule(const TrainConfig& c, std::int64_t steps_per_epoch);

// Optimizer with schedule, e.g. "nso (sigma 0.01, k 1, gaussian) on sgd lr 0.05 momentum 0.9, cosine".
std::string describe_optimizer(const TrainConfig& c);

}  // namespace basin::train
