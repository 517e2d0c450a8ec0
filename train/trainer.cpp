#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <csignal>
#include <sstream>

#include "io/json_text.h"
#include "autograd/backward_hooks.h"
#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "kernels/conv.h"
#include "nn/weights.h"
#include "io/atomic_file.h"
#include "train/bn_freeze.h"
#include "train/checkpoint.h"
#include "train/curvature_log.h"
#include "train/data_parallel.h"
#include "dist/bucketed.h"
#include "optim/perturbed.h"
#include "train/data_setup.h"
#include "train/evaluate.h"
#include "train/model_setup.h"
#include "train/nonfinite.h"
#include "train/progress.h"
#include "train/run_lock.h"
#include "train/saved_model.h"
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

std::map<std::string, std::string> weights_metadata(const TrainConfig& c, const RunData& d) {
  std::map<std::string, std::string> m{{"format", "basin-weights"},
          {"model", c.model},
          {"hidden", join_ints(c.hidden)},
          {"activation", c.activation},
          {"small_input", c.small_input},
          {"base_width", std::to_string(c.base_width)},
          {"num_classes", std::to_string(d.num_classes)},
          {"in_channels", std::to_string(d.channels)},
          {"image_size", std::to_string(d.image_size)},
          {"data", c.data}};
  // What `basin predict` needs to name classes and prepare images as `basin eval` does.
  m["class_names"] = class_names_metadata(d.sets.train->class_names());
  m["preprocess"] = d.test_transform->name();
  if (c.eval_resize > 0) m["eval_resize"] = std::to_string(c.eval_resize);
  return m;
}

// ---- one run, phase by phase ----------------------------------------------------
// Everything one invocation of run_training holds; each phase below takes it.
struct Run {
  Run(TrainConfig config, const TrainOptions& options) : c(std::move(config)), o(options) {}
  const RunDir& dir() const { return res.dir; }

  Clock::time_point t_start = Clock::now();
  TrainConfig c;  // resolved by open_run
  TrainOptions o;  // a copy: ranks other than 0 print nothing
  DataParallel dp;             // the other processes (mpirun); off with one
  const data::Batch* batch = nullptr;  // the step's batch (messages)
  TrainResult res;
  RunLock lock;                // held from the folder's creation (or --resume) to the end
  Device device = Device::cpu();
  RunData d;
  std::shared_ptr<nn::Module> model;
  std::unique_ptr<optim::Optimizer> opt;
  optim::LrSchedule schedule{optim::ScheduleOptions{}};
  std::int64_t nb = 0;         // batches per epoch
  bool has_buffers = false;    // BN running statistics, frozen on all but the first pass of a step
  std::vector<curvature::LabeledBatch> hessian_data;  // --hessian-every
  RunPosition pos;             // what a checkpoint records (train/checkpoint.h)
  Clock::time_point epoch_start;  // when this invocation started (or continued) the epoch
  double seconds_before = 0;   // the epoch's training time in earlier invocations (--resume)
  bool stop = false;           // a signal or --max-steps ended the run
  Clock::time_point log_start;  // since the previous steps.jsonl line or the epoch's start
  std::int64_t log_images = 0;                 // images trained on since then
};

void write_checkpoint(const Run& r, const RunPosition& p) {
  if (!r.dp.is_root()) return;  // rank 0 alone writes the run folder
  CheckpointState s;
  s.model = r.model->state_dict();
  optim::StateMap om;
  r.opt->save_state(om, "");
  for (auto& [k, v] : om) s.optimizer.emplace_back(k, v);
  s.position = p;
  s.config_json = io::json_text(to_json(r.c));
  save_checkpoint(r.dir().checkpoint(), s);
}

// The checkpoint must come from this folder's run: the config it stores is
// compared with config.json (what a --resume may change aside).
void check_checkpoint_config(const Run& r, const std::string& path, const std::string& stored) {
  TrainConfig saved;
  try {
    saved = config_from_json(nlohmann::json::parse(stored));
  } catch (const std::exception& e) {
    BASIN_FAIL("checkpoint " << path << ": its stored config is unreadable: " << e.what());
  }
  const std::vector<std::string> keys = resume_differences(saved, r.c);
  if (keys.empty()) return;
  std::ostringstream os;
  for (size_t i = 0; i < keys.size(); ++i)
    os << (i ? ", " : "") << keys[i] << " (checkpoint " << io::json_text(to_json(saved)[keys[i]]) << ", config.json "
       << io::json_text(to_json(r.c)[keys[i]]) << ")";
  BASIN_FAIL("cannot resume " << r.dir().path << ": checkpoint.safetensors is from another run's config; they differ in "
                              << os.str());
}

// --resume: model and optimizer state and the position from the checkpoint;
// metrics.jsonl is cut back to the epochs the checkpoint has finished, whose
// last line gives the result's figures.
void resume_run(Run& r) {
  const std::string path = r.dir().checkpoint();
  CheckpointState s = load_checkpoint(path);
  check_checkpoint_config(r, path, s.config_json);
  try {
    r.model->load_state_dict(s.model);
    optim::StateMap om(s.optimizer.begin(), s.optimizer.end());
    r.opt->load_state(om, "");
  } catch (const std::exception& e) {
    BASIN_FAIL("checkpoint " << path << " does not fit this run's model/optimizer: " << e.what());
  }
  r.pos = s.position;
  if (!r.dp.is_root()) {
    r.pos.stats = RunningStats{};  // the checkpoint holds the sums of all ranks: rank 0 carries them on
    return;
  }
  truncate_metrics(r.dir(), r.pos.epoch);
  write_summary_csv(r.dir());
  truncate_steps(r.dir(), r.pos.step);
  if (r.pos.epoch > 0) r.res.last = read_epoch_metrics(r.dir(), r.pos.epoch);
  logf(r.o.log, "resuming " + r.dir().path + " at epoch " + std::to_string(r.pos.epoch + 1) + ", batch " +
                    std::to_string(r.pos.batch) + " (step " + std::to_string(r.pos.step) + ")");
}

void log_run_header(const Run& r) {
  const RunData& d = r.d;
  logf(r.o.log, "basin train: " + r.c.model + " (" + with_commas(r.model->num_parameters()) + " parameters) on " +
                    r.device.str() + "; " + d.sets.train->description() + ": " + with_commas(d.sets.train->size()) +
                    " training / " + with_commas(d.sets.test->size()) + " test images, " +
                    std::to_string(d.num_classes) + " classes, " + std::to_string(d.image_size) + "x" +
                    std::to_string(d.image_size) + "x" + std::to_string(d.channels));
  logf(r.o.log, "  " + describe_optimizer(r.c) + "; " + std::to_string(r.c.epochs) + " epochs of " +
                    std::to_string(r.nb) + " batches of " + std::to_string(r.d.train->options().batch_size) + "; writing " +
                    r.dir().path);
  if (r.dp.on())
    logf(r.o.log, "  data-parallel: " + std::to_string(r.dp.size()) + " processes (" + r.dp.comm->backend() + "), " +
                      std::to_string(r.d.train->options().batch_size) + " per process, global batch " +
                      std::to_string(r.d.train->global_batch_size()) + "; perturbation noise per rank: " +
                      r.c.rank_noise + "; gradient all-reduce " +
                      (r.dp.reducer ? "overlapped with backward, " + std::to_string(r.dp.reducer->buckets().size()) +
                                          " bucket(s)"
                                    : std::string("after backward")));
  if (r.c.sync_bn) {
    const int layers = count_batchnorm_layers(*r.model);
    logf(r.o.log, layers == 0      ? std::string("  --sync-bn: the model has no batch norm; nothing to synchronize")
                  : r.dp.bn_sync ? "  --sync-bn: " + std::to_string(layers) +
                                       " batch-norm layer(s) normalize with the global batch's statistics"
                                 : std::string("  --sync-bn: one process; its batch statistics are the global ones"));
  }
}

// A new run's folder, once everything else is validated: created (or an empty
// one taken), locked, checked again under the lock (another process may have
// started there meanwhile), then config.json. A failure here removes a folder
// this process created, so no half-made run folder is left behind.
void create_run_folder(Run& r) {
  const std::string& path = r.dir().path;
  const bool created = !path_exists(path);
  try {
    make_dirs(path);
    r.lock = RunLock(path);
    check_fresh_run_folder(path, /*we_hold_the_lock=*/true);
    write_config(r.dir(), r.c);
  } catch (...) {
    r.lock = RunLock();
    if (created) remove_new_run_folder(path);
    throw;
  }
}

std::string at_step(const Run& r, const data::Batch& b);

// Data-parallel: the processes of this run and the per-process batch. A new run
// records world_size; a resumed one with another number of processes keeps the
// global batch (batch_size * world_size), so that its data order, schedule and
// position (counted in global samples) stay those of the checkpoint.
void join_processes(Run& r) {
  TrainConfig& c = r.c;
  r.dp.comm = &dist::world();
  if (!r.dp.is_root()) r.o.log = r.o.progress = nullptr;
  const int n = r.dp.size();
  if (r.o.resume && c.world_size != n) {
    const std::int64_t global = c.batch_size * c.world_size;
    BASIN_CHECK(global % n == 0, "cannot resume " << (c.out.empty() ? std::string("the run") : c.out) << " on " << n
                                                  << " processes: its global batch " << global << " ("
                                                  << c.world_size << " x " << c.batch_size << ") is not a multiple of "
                                                  << n);
    logf(r.o.log, "resuming on " + std::to_string(n) + " processes (the run had " + std::to_string(c.world_size) +
                      "): " + std::to_string(global / n) + " per process keeps the global batch of " +
                      std::to_string(global));
    c.batch_size = global / n;
  }
  c.world_size = n;
}

// --rank-noise independent: every rank but 0 draws its perturbations under its
// own seed (rank 0's is the run's, as with one process).
void key_noise_by_rank(Run& r) {
  auto* p = dynamic_cast<optim::PerturbedOptimizer*>(r.opt.get());
  if (!p || !r.dp.on() || r.c.rank_noise != "independent") return;
  p->set_seed(dist::rank_noise_seed(r.c.seed, r.dp.rank()));
}

// Setup: the run folder is locked and holds a checkpoint when resuming, and is new
// or empty otherwise; the device is usable; then data, model (with --init weights),
// optimizer and schedule, in that order; then the resumed state, or the new run
// folder with its config.json (created only now, when everything else passed).
void open_run(Run& r) {
  TrainConfig& c = r.c;
  join_processes(r);
  c.resolve();
  r.res.dir.path = c.out.empty() ? broadcast_string(r.dp, default_run_dir(c)) : c.out;
  const RunDir& dir = r.dir();
  if (r.o.resume) {
    if (r.dp.is_root()) r.lock = RunLock(dir.path);  // a second writer (two --resume) fails here, naming the holder
    BASIN_CHECK(path_exists(dir.checkpoint()), "cannot resume from " << dir.path << ": no checkpoint.safetensors there");
  } else if (r.dp.is_root()) {
    check_fresh_run_folder(dir.path);
  }
  r.device = usable_device(rank_device(r.dp, c.device));

  kernels::set_conv_allow_tf32(c.tf32);  // --tf32 (curvature logging turns it off for itself)
  r.d = make_run_data(c, r.device, r.dp.rank(), r.dp.size());
  r.model = make_run_model(c, r.d.channels, r.d.image_size, r.d.num_classes, r.device);
  if (!c.init.empty() && !r.o.resume) logf(r.o.log, "init from " + c.init + ": " + load_init_weights(*r.model, c.init));
  std::function<void()> sync;
  if (r.dp.on() && c.overlap_grads == "on" && overlap_capable_optimizer(c.optimizer)) {
    r.dp.reducer = make_overlapped_reducer(r.dp, r.model->arena(), c.bucket_mb);
    sync = [&r] { finish_overlapped_sync(r.dp, r.model->arena(), r.batch ? at_step(r, *r.batch) : std::string()); };
  } else if (r.dp.on()) {
    sync = [&r] {
      const std::string where = r.batch ? at_step(r, *r.batch) : std::string();
      Tensor grads = r.model->arena().grads();
      sync_gradients(r.dp, grads, where);
    };
  }
  if (r.dp.on() && c.sync_bn && count_batchnorm_layers(*r.model) > 0) r.dp.bn_sync = make_batchnorm_sync(r.dp);
  r.nb = r.d.train->num_batches();
  r.opt = make_run_optimizer(c, *r.model, r.nb, std::move(sync));
  r.schedule = make_run_schedule(c, r.nb);
  r.has_buffers = !r.model->named_buffers().empty();

  if (c.hessian_every > 0) r.hessian_data = hessian_batches(c, r.d, r.device);

  if (r.o.resume) resume_run(r);
  else if (r.dp.is_root()) create_run_folder(r);
  key_noise_by_rank(r);
  broadcast_model(r.dp, *r.model);
  r.res.config = c;
  r.res.epochs_done = r.pos.epoch;
  r.res.steps = r.pos.step;
  log_run_header(r);
}

// Starts epoch pos.epoch at batch pos.batch (not 0 only when resuming inside it).
void begin_epoch(Run& r) {
  r.d.train->start_epoch(r.pos.epoch, r.pos.batch);
  r.epoch_start = Clock::now();
  r.seconds_before = r.pos.seconds;
  r.log_start = r.epoch_start;  // a steps.jsonl speed covers training only, not evaluation or setup
  r.log_images = 0;
}

// " at epoch 2, step 123 (batch 7 of 469)": where a non-finite loss or gradient appeared.
std::string at_step(const Run& r, const data::Batch& b) {
  std::ostringstream os;
  os << " at epoch " << r.pos.epoch + 1 << ", step " << r.pos.step + 1 << " (batch " << b.index + 1 << " of "
     << r.nb << ")";
  return os.str();
}

// What a step records: loss and accuracy of its first pass, the one that updates
// BN statistics (at W for SGD/SAM, at W + U_1 for NSO).
struct StepRecord {
  bool recorded = false;
  double loss = 0;
  std::int64_t correct = 0;
};

// One forward and backward pass on the batch: the optimizer's closure (SAM and
// NSO call it more than once a step). A non-finite loss or gradient throws.
// Data-parallel, a non-finite value is held back (DataParallel::nonfinite) until
// the gradient all-reduce, where all ranks learn of it and stop together; a
// shard with no rows this step contributes a zero gradient. With --sync-bn
// (dp.bn_sync) every rank runs every forward and backward, whatever its rows or
// loss: batch norm's all-reduces meet the other ranks' there.
float forward_backward(Run& r, const data::Batch& b, bool update_bn_stats, StepRecord& rec) {
  if (b.empty() && !r.dp.bn_sync) return 0.0f;
  auto nonfinite = [&r](const std::string& msg) {
    if (!r.dp.on()) throw NonFiniteLossError(msg);
    if (r.dp.nonfinite.empty()) r.dp.nonfinite = msg;
  };
  RunningStatsFreeze freeze(*r.model, r.has_buffers && !update_bn_stats);
  if (b.empty()) {
    // Zero rows through the model: the global statistics, and a zero gradient.
    Tensor none = Tensor::zeros({0, r.d.channels, r.d.image_size, r.d.image_size}, DType::Float32, r.device);
    Tensor out = sum((*r.model)(none));
    BackwardObserverGuard observe(r.dp.reducer.get());
    out.backward();
    return 0.0f;
  }
  Tensor logits = (*r.model)(b.images);
  Tensor loss = cross_entropy(logits, b.labels, static_cast<float>(r.c.label_smoothing));
  float l = loss.item();
  const bool finite = std::isfinite(l);
  if (!finite) {
    std::ostringstream os;
    os << "non-finite training loss (" << l << ")" << at_step(r, b);
    nonfinite(os.str());
    if (!r.dp.bn_sync) return l;
  }
  {
    // Overlapped (dp.reducer): buckets are in flight when backward returns, so the
    // gradient is checked only after the all-reduce (finish_overlapped_sync).
    BackwardObserverGuard observe(r.dp.reducer.get());
    loss.backward();
  }
  if (!finite) return l;
  if (r.dp.reducer) {
    // checked at the update
  } else if (std::string bad = first_nonfinite_grad(r.model->arena()); !bad.empty()) {
    std::ostringstream os;
    os << "non-finite gradient of " << bad << " (loss " << l << ")" << at_step(r, b);
    nonfinite(os.str());
    return l;
  }
  if (!rec.recorded) rec = {true, l, count_correct(logits, b.labels)};
  return l;
}

// One optimizer step on the batch at the scheduled learning rate. With
// --on-nonfinite skip, a non-finite loss or gradient puts back the weights from
// before the step and the batch counts as skipped; otherwise it ends the run.
StepRecord train_step(Run& r, const data::Batch& b) {
  r.schedule.apply(*r.opt);
  const bool skip_nonfinite = r.c.on_nonfinite == "skip";
  nn::NamedTensors before;
  if (skip_nonfinite) {
    NoGradGuard ng;
    for (const auto& [n, t] : r.model->state_dict()) before.emplace_back(n, t.clone());
  }
  StepRecord rec;
  r.batch = &b;
  r.dp.local_rows = b.empty() ? 0 : b.labels.numel();
  r.dp.nonfinite.clear();
  if (r.dp.reducer) start_overlapped_step(r.dp);
  try {
    r.opt->step([&](bool update_bn_stats) { return forward_backward(r, b, update_bn_stats, rec); });
  } catch (const NonFiniteLossError& e) {
    const RunDir& dir = r.dir();
    if (!skip_nonfinite)
      BASIN_FAIL(e.what() << "; the last checkpoint is " << (path_exists(dir.checkpoint()) ? dir.checkpoint() : "none")
                          << ". Lower --lr, or pass --on-nonfinite skip to skip such batches");
    NoGradGuard ng;
    r.model->load_state_dict(before);
    r.model->zero_grad();
    ++r.pos.skipped;
    logf(r.o.log, std::string("warning: ") + e.what() + "; batch skipped");
  }
  if (rec.recorded) r.pos.stats.add(rec.loss, rec.correct, b.labels.numel());
  ++r.pos.step;
  r.pos.batch = b.index + 1;
  return rec;
}

// Every --log-every steps: a steps.jsonl line (durable, as metrics.jsonl's).
void log_step(Run& r, const data::Batch& b, const StepRecord& rec) {
  if (!r.dp.is_root()) return;
  r.log_images += b.labels.numel() * r.dp.size();  // data-parallel: rank 0's rows times the processes
  if (r.c.log_every <= 0 || r.pos.step % r.c.log_every != 0) return;
  StepMetrics m;
  m.epoch = r.pos.epoch + 1;
  m.step = r.pos.step;
  m.has_loss = rec.recorded;
  m.loss = rec.loss;
  m.lr = r.opt->lr();
  const double s = since(r.log_start);
  m.images_per_s = s > 0 ? static_cast<double>(r.log_images) / s : 0;
  io::append_line_durable(r.dir().steps(), io::json_text(to_json(m)));
  r.log_start = Clock::now();
  r.log_images = 0;
}

// The epoch's training time so far, then the progress line with speed and ETA.
void update_progress(Run& r, Progress& progress, const data::Batch& b) {
  RunPosition& p = r.pos;
  p.seconds = r.seconds_before + since(r.epoch_start);
  // Data-parallel: rank 0's own sums, its speed times the processes (a guide; the
  // epoch line has the exact figures).
  double ips = p.seconds > 0 ? static_cast<double>(p.stats.count * r.dp.size()) / p.seconds : 0;
  double eta = p.batch > 0 ? p.seconds / static_cast<double>(p.batch) * static_cast<double>(r.nb - p.batch) : NAN;
  progress.update(b.index, p.stats.loss(), p.stats.accuracy(), ips, eta);
}

// True once SIGINT/SIGTERM arrived or --max-steps is reached (the result says which).
// Data-parallel: a signal on any rank stops all of them after the same step.
bool stop_requested(Run& r) {
  if (any_rank(r.dp, StopSignalGuard::requested())) r.res.interrupted = r.stop = true;
  if (r.c.max_steps > 0 && r.pos.step >= r.c.max_steps) r.res.stopped_at_max_steps = r.stop = true;
  return r.stop;
}

// A stop inside an epoch: a checkpoint where the run stands (and, for --max-steps,
// the weights so far); --resume continues from here.
TrainResult stop_mid_epoch(Run& r) {
  average_buffers(r.dp, *r.model);
  RunPosition all = r.pos;
  all.stats = sum_over_ranks(r.dp, r.pos.stats);
  write_checkpoint(r, all);
  r.res.steps = r.pos.step;
  r.res.skipped_batches += r.pos.skipped;
  if (r.res.stopped_at_max_steps && !r.res.interrupted && r.dp.is_root()) {
    nn::save_weights(*r.model, r.dir().model(), weights_metadata(r.c, r.d));
    logf(r.o.log, "stopped after --max-steps " + std::to_string(r.c.max_steps) + " at epoch " +
                      std::to_string(r.pos.epoch + 1) + ", batch " + std::to_string(r.pos.batch) +
                      "; continue with: basin train --resume " + r.dir().path);
  }
  r.res.seconds = since(r.t_start);
  return std::move(r.res);
}

// Epoch end: evaluate, append the metrics line and log it, then checkpoint at the
// start of the next epoch.
// Data-parallel: BN statistics averaged first (evaluation and the checkpoint then
// see the same model on every rank), each rank evaluates its shard of the test
// set, and the sums of all ranks make the figures; rank 0 writes them.
void end_epoch(Run& r) {
  const RunPosition& p = r.pos;
  average_buffers(r.dp, *r.model);
  const RunningStats train = sum_over_ranks(r.dp, p.stats);
  EpochMetrics m;
  m.epoch = p.epoch + 1;
  m.lr = r.opt->lr();
  m.train_loss = train.loss();
  m.train_acc = train.accuracy();
  m.seconds = p.seconds;
  m.images_per_s = p.seconds > 0 ? static_cast<double>(train.count) / p.seconds : 0;
  m.skipped_batches = p.skipped;
  RunningStats t = sum_over_ranks(r.dp, evaluate(*r.model, *r.d.test, p.epoch, r.o.progress));
  m.test_loss = t.loss();
  m.test_acc = t.accuracy();
  if (r.c.hessian_every > 0 && m.epoch % r.c.hessian_every == 0) measure_hessian(r.c, *r.model, r.hessian_data, m);
  if (r.dp.is_root()) {
    io::append_line_durable(r.dir().metrics(), io::json_text(to_json(m)));
    write_summary_csv(r.dir());
  }
  logf(r.o.log, epoch_line(m, r.c.epochs));
  r.res.last = m;
  r.res.epochs_done = m.epoch;
  r.res.skipped_batches += p.skipped;
  RunPosition next;
  next.epoch = m.epoch;
  next.step = p.step;
  write_checkpoint(r, next);
  r.pos = next;
  r.res.steps = next.step;
}

// The run is over (all epochs, or a stop at an epoch's end): the final weights,
// unless a signal stopped it before the last epoch ended. A signal in the last
// step stops nothing: the run is complete, so it ends as a complete run does.
TrainResult finish_run(Run& r) {
  if (r.res.interrupted && r.pos.epoch >= r.c.epochs) {
    r.res.interrupted = false;
    logf(r.o.log, "a stop signal arrived in the last step; the run is complete, writing its final weights");
  }
  if (!r.res.interrupted && r.dp.is_root()) nn::save_weights(*r.model, r.dir().model(), weights_metadata(r.c, r.d));
  r.res.seconds = since(r.t_start);
  return std::move(r.res);
}

TrainResult run_training_impl(TrainConfig c, const TrainOptions& o) {
  Run r(std::move(c), o);
  open_run(r);
  nn::BatchNormSyncGuard bn_sync(r.dp.bn_sync.get());  // --sync-bn (null: each rank's own statistics)
  StopSignalGuard signals;
  r.model->train();
  while (r.pos.epoch < r.c.epochs && !r.stop) {
    Progress progress(r.pos.epoch + 1, r.c.epochs, r.nb, o.progress, o.plain_progress_interval_s);
    begin_epoch(r);
    data::Batch b;
    while (r.d.train->next(b)) {
      log_step(r, b, train_step(r, b));
      update_progress(r, progress, b);
      if (o.after_step) o.after_step(r.pos);
      if (stop_requested(r) && r.pos.batch < r.nb) {
        progress.finish();
        return stop_mid_epoch(r);
      }
    }
    progress.finish();
    end_epoch(r);
  }
  return finish_run(r);
}
}  // namespace

nlohmann::json summary_json(const TrainResult& r) {
  // A figure that does not exist is null, never a made-up 0.
  auto figure = [&](double EpochMetrics::*f) { return r.last ? nlohmann::json((*r.last).*f) : nlohmann::json(); };
  return nlohmann::json{{"run_dir", r.dir.path},
                        {"model", r.config.model},
                        {"optimizer", r.config.optimizer},
                        {"device", r.config.device},
                        {"epochs", r.epochs_done},
                        {"steps", r.steps},
                        {"train_loss", figure(&EpochMetrics::train_loss)},
                        {"train_acc", figure(&EpochMetrics::train_acc)},
                        {"test_loss", figure(&EpochMetrics::test_loss)},
                        {"test_acc", figure(&EpochMetrics::test_acc)},
                        {"images_per_s", figure(&EpochMetrics::images_per_s)},
                        {"seconds", r.seconds},
                        {"skipped_batches", r.skipped_batches},
                        {"interrupted", r.interrupted},
                        {"stopped_at_max_steps", r.stopped_at_max_steps}};
}


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

}  // namespace basin::train
