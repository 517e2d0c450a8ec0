#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <csignal>
#include <sstream>

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "nn/weights.h"
#include "io/atomic_file.h"
#include "train/bn_freeze.h"
#include "train/checkpoint.h"
#include "train/curvature_log.h"
#include "train/data_setup.h"
#include "train/evaluate.h"
#include "train/model_setup.h"
#include "train/nonfinite.h"
#include "train/progress.h"
#include "train/signals.h"

namespace basin::train {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

void logf(std::FILE* f, const std::string& s) {
  if (!f) return;
  std::fprintf(f, "%s\n", s.c_str());
  std::fflush(f);
}

std::string with_commas(std::int64_t n) {
  std::string s = std::to_string(n), out;
  int k = 0;
  for (auto it = s.rbegin(); it != s.rend(); ++it, ++k) {
    if (k && k % 3 == 0) out.insert(out.begin(), ',');
    out.insert(out.begin(), *it);
  }
  return out;
}

// The state of the run that a checkpoint captures.
struct Position {
  int epoch = 0;           // 0-based
  std::int64_t batch = 0;  // next batch in the epoch
  std::int64_t step = 0;
  RunningStats stats;
  double seconds = 0;
  std::int64_t skipped = 0;
};

void write_checkpoint(const RunDir& dir, const TrainConfig& c, nn::Module& model, const optim::Optimizer& opt,
                      const Position& p) {
  CheckpointState s;
  s.model = model.state_dict();
  optim::StateMap om;
  opt.save_state(om, "");
  for (auto& [k, v] : om) s.optimizer.emplace_back(k, v);
  s.epoch = p.epoch;
  s.batch = p.batch;
  s.step = p.step;
  s.partial = p.stats;
  s.partial_seconds = p.seconds;
  s.partial_skipped = p.skipped;
  s.config_json = to_json(c).dump();
  save_checkpoint(dir.checkpoint(), s);
}

std::map<std::string, std::string> weights_metadata(const TrainConfig& c, const RunData& d) {
  return {{"format", "basin-weights"},
          {"model", c.model},
          {"hidden", join_ints(c.hidden)},
          {"activation", c.activation},
          {"small_input", c.small_input},
          {"num_classes", std::to_string(d.num_classes)},
          {"in_channels", std::to_string(d.channels)},
          {"image_size", std::to_string(d.image_size)},
          {"data", c.data}};
}

}  // namespace

nlohmann::json summary_json(const TrainResult& r) {
  return nlohmann::json{{"run_dir", r.dir.path},
                        {"model", r.config.model},
                        {"optimizer", r.config.optimizer},
                        {"device", r.config.device},
                        {"epochs", r.epochs_done},
                        {"steps", r.steps},
                        {"train_loss", r.last.train_loss},
                        {"train_acc", r.last.train_acc},
                        {"test_loss", r.last.test_loss},
                        {"test_acc", r.last.test_acc},
                        {"images_per_s", r.last.images_per_s},
                        {"seconds", r.seconds},
                        {"skipped_batches", r.skipped_batches},
                        {"interrupted", r.interrupted},
                        {"stopped_at_max_steps", r.stopped_at_max_steps}};
}

namespace {
TrainResult run_training_impl(TrainConfig c, const TrainOptions& o);
}  // namespace

// Out of memory is the one failure whose fix depends on the run's settings: say
// which, keep the allocator's figures, and point at the usual remedy.
TrainResult run_training(TrainConfig c, const TrainOptions& o) {
  const std::string model = c.model, device = c.device;
  const std::int64_t batch = c.batch_size;
  try {
    return run_training_impl(std::move(c), o);
  } catch (const OutOfMemoryError& e) {
    std::ostringstream os;
    os << "out of memory training " << model << " with batch size " << batch << " on " << device << ": "
       << e.what() << ". Try a smaller --batch-size (the last checkpoint, if any, is intact)";
    throw OutOfMemoryError(os.str());
  }
}

namespace {
TrainResult run_training_impl(TrainConfig c, const TrainOptions& o) {
  const auto t_start = Clock::now();
  c.resolve();
  TrainResult res;
  res.dir.path = c.out.empty() ? default_run_dir(c) : c.out;
  const RunDir& dir = res.dir;
  if (o.resume) {
    BASIN_CHECK(path_exists(dir.checkpoint()), "cannot resume from " << dir.path << ": no checkpoint.safetensors there");
  } else {
    BASIN_CHECK(!path_exists(dir.checkpoint()),
                dir.path << " already holds a run (checkpoint.safetensors); continue it with --resume " << dir.path
                         << ", or choose another --out");
  }
  const Device device = Device::parse(c.device);
  BASIN_CHECK(device.is_cpu() || cuda_available(),
              "train: --device " << c.device << " but no usable CUDA device (this build: "
                                 << (cuda_compiled() ? "with CUDA" : "CPU only") << "); use --device cpu");

  RunData d = make_run_data(c, device);
  auto model = make_run_model(c, d.channels, d.image_size, d.num_classes, device);
  if (!c.init.empty() && !o.resume) {
    std::string report = load_init_weights(*model, c.init);
    logf(o.log, "init from " + c.init + ": " + report);
  }
  auto opt = make_run_optimizer(c, *model);
  const std::int64_t nb = d.train->num_batches();
  optim::LrSchedule schedule = make_run_schedule(c, nb);
  const bool has_buffers = !model->named_buffers().empty();

  Position pos;
  if (o.resume) {
    CheckpointState s = load_checkpoint(dir.checkpoint());
    try {
      model->load_state_dict(s.model);
      optim::StateMap om(s.optimizer.begin(), s.optimizer.end());
      opt->load_state(om, "");
    } catch (const std::exception& e) {
      BASIN_FAIL("checkpoint " << dir.checkpoint() << " does not fit this run's model/optimizer: " << e.what());
    }
    pos.epoch = s.epoch;
    pos.batch = s.batch;
    pos.step = s.step;
    pos.stats = s.partial;
    pos.seconds = s.partial_seconds;
    pos.skipped = s.partial_skipped;
    truncate_metrics(dir, pos.epoch);
    logf(o.log, "resuming " + dir.path + " at epoch " + std::to_string(pos.epoch + 1) + ", batch " +
                    std::to_string(pos.batch) + " (step " + std::to_string(pos.step) + ")");
  } else {
    make_dirs(dir.path);
    write_config(dir, c);
  }
  res.config = c;
  res.epochs_done = pos.epoch;
  res.steps = pos.step;

  logf(o.log, "basin train: " + c.model + " (" + with_commas(model->num_parameters()) + " parameters) on " +
                  device.str() + "; " + d.sets.train->description() + ": " + with_commas(d.sets.train->size()) +
                  " training / " + with_commas(d.sets.test->size()) + " test images, " +
                  std::to_string(d.num_classes) + " classes, " + std::to_string(d.image_size) + "x" +
                  std::to_string(d.image_size) + "x" + std::to_string(d.channels));
  logf(o.log, "  " + describe_optimizer(c) + "; " + std::to_string(c.epochs) + " epochs of " + std::to_string(nb) +
                  " batches of " + std::to_string(c.batch_size) + "; writing " + dir.path);

  std::vector<curvature::LabeledBatch> hessian_data;
  if (c.hessian_every > 0) hessian_data = hessian_batches(c, d, device);

  StopSignalGuard signals;
  const float smoothing = static_cast<float>(c.label_smoothing);
  const bool skip_nonfinite = c.on_nonfinite == "skip";
  model->train();

  for (int epoch = pos.epoch; epoch < c.epochs; ++epoch) {
    if (epoch != pos.epoch || pos.batch == 0) {
      if (epoch != pos.epoch) {
        pos.stats = {};
        pos.seconds = 0;
        pos.skipped = 0;
      }
      pos.epoch = epoch;
      pos.batch = 0;
    }
    d.train->start_epoch(epoch, pos.batch);
    Progress progress(epoch + 1, c.epochs, nb, o.progress, o.plain_progress_interval_s);
    auto t_epoch = Clock::now();
    const double seconds_before = pos.seconds;
    const std::int64_t count_before = pos.stats.count;
    data::Batch b;
    bool stop = false;
    while (d.train->next(b)) {
      schedule.apply(*opt);
      // Loss and accuracy are taken from the pass that updates BN statistics
      // (the first one: at W for SGD/SAM, at W + U_1 for NSO).
      bool recorded = false;
      double batch_loss = 0;
      std::int64_t batch_correct = 0;
      auto closure = [&](bool update_bn_stats) -> float {
        RunningStatsFreeze freeze(*model, has_buffers && !update_bn_stats);
        Tensor logits = (*model)(b.images);
        Tensor loss = cross_entropy(logits, b.labels, smoothing);
        float l = loss.item();
        if (!std::isfinite(l)) {
          std::ostringstream os;
          os << "non-finite training loss (" << l << ") at epoch " << epoch + 1 << ", step " << pos.step + 1
             << " (batch " << b.index + 1 << " of " << nb << ")";
          throw NonFiniteLossError(os.str());
        }
        loss.backward();
        if (std::string bad = first_nonfinite_grad(model->arena()); !bad.empty()) {
          std::ostringstream os;
          os << "non-finite gradient of " << bad << " (loss " << l << ") at epoch " << epoch + 1 << ", step "
             << pos.step + 1 << " (batch " << b.index + 1 << " of " << nb << ")";
          throw NonFiniteLossError(os.str());
        }
        if (!recorded) {
          recorded = true;
          batch_loss = l;
          batch_correct = count_correct(logits, b.labels);
        }
        return l;
      };
      nn::NamedTensors before;
      if (skip_nonfinite) {
        NoGradGuard ng;
        for (const auto& [n, t] : model->state_dict()) before.emplace_back(n, t.clone());
      }
      try {
        opt->step(closure);
      } catch (const NonFiniteLossError& e) {
        if (!skip_nonfinite)
          BASIN_FAIL(e.what() << "; the last checkpoint is " << (path_exists(dir.checkpoint()) ? dir.checkpoint() : "none")
                              << ". Lower --lr, or pass --on-nonfinite skip to skip such batches");
        NoGradGuard ng;
        model->load_state_dict(before);
        model->zero_grad();
        ++pos.skipped;
        logf(o.log, std::string("warning: ") + e.what() + "; batch skipped");
      }
      if (recorded) pos.stats.add(batch_loss, batch_correct, b.labels.numel());
      ++pos.step;
      pos.batch = b.index + 1;
      pos.seconds = seconds_before + since(t_epoch);
      double ips = pos.seconds > 0 ? static_cast<double>(pos.stats.count) / pos.seconds : 0;
      double eta = pos.batch > 0 ? pos.seconds / static_cast<double>(pos.batch) * static_cast<double>(nb - pos.batch) : NAN;
      progress.update(b.index, pos.stats.loss(), pos.stats.accuracy(), ips, eta);

      if (StopSignalGuard::requested()) {
        res.interrupted = true;
        stop = true;
      }
      if (c.max_steps > 0 && pos.step >= c.max_steps) {
        res.stopped_at_max_steps = true;
        stop = true;
      }
      if (stop && pos.batch < nb) {
        progress.finish();
        write_checkpoint(dir, c, *model, *opt, pos);
        res.steps = pos.step;
        res.skipped_batches += pos.skipped;
        if (res.stopped_at_max_steps && !res.interrupted) {
          nn::save_weights(*model, dir.model(), weights_metadata(c, d));
          logf(o.log, "stopped after --max-steps " + std::to_string(c.max_steps) + " at epoch " +
                          std::to_string(epoch + 1) + ", batch " + std::to_string(pos.batch) + "; continue with: basin train --resume " + dir.path);
        }
        res.seconds = since(t_start);
        return res;
      }
    }
    (void)count_before;
    progress.finish();

    // ---- epoch end: evaluate, log, checkpoint --------------------------------------
    EpochMetrics m;
    m.epoch = epoch + 1;
    m.lr = opt->lr();
    m.train_loss = pos.stats.loss();
    m.train_acc = pos.stats.accuracy();
    m.seconds = pos.seconds;
    m.images_per_s = pos.seconds > 0 ? static_cast<double>(pos.stats.count) / pos.seconds : 0;
    m.skipped_batches = pos.skipped;
    RunningStats t = evaluate(*model, *d.test);
    m.test_loss = t.loss();
    m.test_acc = t.accuracy();
    if (c.hessian_every > 0 && (epoch + 1) % c.hessian_every == 0) measure_hessian(c, *model, hessian_data, m);
    io::append_line_durable(dir.metrics(), to_json(m).dump());
    logf(o.log, epoch_line(m, c.epochs));
    res.last = m;
    res.epochs_done = epoch + 1;
    res.skipped_batches += pos.skipped;
    Position next;
    next.epoch = epoch + 1;
    next.step = pos.step;
    write_checkpoint(dir, c, *model, *opt, next);
    pos = next;
    res.steps = pos.step;
    if (stop) break;
  }
  if (!res.interrupted) nn::save_weights(*model, dir.model(), weights_metadata(c, d));
  res.seconds = since(t_start);
  return res;
}
}  // namespace

}  // namespace basin::train
