#include "train/model_setup.h"

#include <algorithm>
#include <sstream>

#include "nn/models/factory.h"
#include "nn/weights.h"
#include "optim/registry.h"

namespace basin::train {

namespace {

// The run's optimizer settings, for optim's name -> builder table.
optim::OptimizerSettings optimizer_settings(const TrainConfig& c, std::int64_t steps_per_epoch = 1) {
  optim::OptimizerSettings s;
  s.lr = c.lr.value();
  s.momentum = c.momentum;
  s.weight_decay = c.weight_decay;
  s.sigma = c.sigma;
  s.k = c.k;
  s.noise = optim::parse_noise(c.noise, "train");
  s.lambda = c.nso_lambda;
  s.sigma_schedule.kind = optim::parse_sigma_ramp(c.sigma_schedule, "train");
  s.sigma_schedule.start = c.sigma_start;
  s.sigma_schedule.ramp_units = std::max(1, c.sigma_ramp_epochs);
  s.sigma_schedule.steps_per_unit = std::max<std::int64_t>(1, steps_per_epoch);
  s.rho = c.rho;
  s.seed = c.seed;
  return s;
}

const optim::OptimizerEntry& find_run_optimizer(const TrainConfig& c) {
  const optim::OptimizerEntry* e = optim::find_optimizer(c.optimizer);
  BASIN_CHECK(e, "train: unknown --optimizer '" << c.optimizer << "' (" << optim::optimizer_list() << ")");
  return *e;
}

}  // namespace

std::shared_ptr<nn::Module> make_run_model(const TrainConfig& c, int in_channels, int image_size,
                                           std::int64_t num_classes, Device device) {
  nn::ModelOptions o;
  o.num_classes = num_classes;
  o.in_channels = in_channels;
  o.cifar_stem = c.small_input == "on";
  o.base_width = c.base_width;
  o.input_features = static_cast<std::int64_t>(in_channels) * image_size * image_size;
  o.hidden = c.hidden;
  o.activation = c.activation;
  o.seed = c.seed;
  auto model = nn::make_model(c.model, o);
  model->to(device);
  model->finalize_arena(device);
  return model;
}

std::string load_init_weights(nn::Module& model, const std::string& path) {
  // The classifier head is the layer holding the model's last parameter (fc.,
  // layers.N.): only it may be skipped for its shape. Everything else, the
  // backbone, must load, or the "fine-tuned" run would silently train from scratch.
  const nn::NamedTensors params = model.named_parameters();
  std::string head = params.empty() ? "" : params.back().first;
  head = head.substr(0, head.rfind('.') + 1);
  auto in_head = [&head](const std::string& name) { return !head.empty() && name.rfind(head, 0) == 0; };
  nn::LoadReport r = nn::load_weights(model, path, nn::LoadOptions::fine_tune());
  std::int64_t backbone = 0, backbone_loaded = 0;
  for (const auto& [name, t] : model.state_dict()) backbone += in_head(name) ? 0 : 1;
  for (const auto& name : r.loaded) backbone_loaded += in_head(name) ? 0 : 1;
  std::ostringstream counts;
  counts << "matched " << r.loaded.size() << ", skipped " << r.skipped.size() << ", missing " << r.missing.size()
         << "; backbone " << backbone_loaded << " of " << backbone << " (head " << (head.empty() ? "none" : head)
         << ")";
  BASIN_CHECK(backbone_loaded == backbone && !r.loaded.empty(),
              "--init " << path << ": the weights do not fit this model's backbone (" << counts.str()
                        << "); only the classifier head may differ. " << r.str());
  return counts.str() + "; " + r.str();
}

std::unique_ptr<optim::Optimizer> make_run_optimizer(const TrainConfig& c, nn::Module& model,
                                                     std::int64_t steps_per_epoch,
                                                     std::function<void()> sync_grads) {
  optim::ArenaRef arena = optim::arena_ref(model.arena());
  arena.sync_grads = std::move(sync_grads);
  return find_run_optimizer(c).build(std::move(arena), optimizer_settings(c, steps_per_epoch));
}

optim::LrSchedule make_run_schedule(const TrainConfig& c, std::int64_t steps_per_epoch) {
  optim::ScheduleOptions s;
  s.base_lr = c.lr.value();
  s.steps_per_epoch = std::max<std::int64_t>(1, steps_per_epoch);
  s.warmup = c.warmup_epochs;
  if (c.schedule == "none") {
    s.kind = optim::ScheduleKind::Constant;
  } else if (c.schedule == "step") {
    s.kind = optim::ScheduleKind::Step;
    s.step_size = c.step_size;
    s.gamma = c.gamma;
  } else if (c.schedule == "cosine") {
    // Per step: with a few epochs, a per-epoch cosine would waste the first one.
    s.kind = optim::ScheduleKind::Cosine;
    s.per_step = true;
    s.t_max = static_cast<std::int64_t>(c.epochs) * s.steps_per_epoch;
    s.warmup = static_cast<std::int64_t>(c.warmup_epochs) * s.steps_per_epoch;
  } else {
    BASIN_FAIL("train: unknown --schedule '" << c.schedule << "'");
  }
  return optim::LrSchedule(s);
}

std::string describe_optimizer(const TrainConfig& c) {
  return find_run_optimizer(c).describe(optimizer_settings(c)) + ", " + c.schedule + " schedule";
}

}  // namespace basin::train
