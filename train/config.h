#pragma once
// TrainConfig: every setting of a training run, in one flat struct. The command
// line fills it (tools/cmd_train.cpp), resolve() turns "auto" values into concrete
// ones, and the run folder keeps it as config.json, from which --resume rebuilds
// exactly the same run.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tensor/device.h"

namespace basin::train {

struct TrainConfig {
  // ---- data ---------------------------------------------------------------------
  std::string data = "fashion-mnist";   // "fashion-mnist" or a folder with train/ and test/ (or val/)
  std::int64_t limit_train = 0;         // use only the first N training images (0: all)
  std::int64_t limit_test = 0;          // use only the first N test images (0: all)
  std::string augment = "none";         // none | flip-crop
  int image_size = 0;                   // 0: the dataset's own size (28 for Fashion-MNIST, 224 for folders)
  int eval_resize = 0;                  // 0: round(image_size * 8 / 7) for folders; none for Fashion-MNIST
  int workers = 2;                      // data-loader threads
  bool shuffle = true;

  // ---- model ----------------------------------------------------------------------
  std::string model = "auto";           // auto | mlp | resnet18 | resnet34 | resnet50
  std::vector<std::int64_t> hidden = {256, 128};  // MLP widths
  std::string activation = "relu";      // MLP activation: relu | tanh
  std::string small_input = "auto";     // ResNet 3x3 stem without max-pool: auto | on | off
  std::int64_t base_width = 64;         // ResNet stage widths W, 2W, 4W, 8W (torchvision: 64)
  std::string init;                     // safetensors weights to start from (fine-tuning)

  // ---- optimizer ----------------------------------------------------------------------
  std::string optimizer = "sgd";        // a name of optim/registry.h (sgd, adamw, nso, wpsgd, sam, ...)
  std::optional<double> lr;             // not given: 0.05 for the SGD family, 1e-3 for adamw (resolve())
  double momentum = 0.9;
  double weight_decay = 5e-4;
  std::string schedule = "cosine";      // none | step | cosine | ...
  int step_size = 0;                    // step schedule: epochs between decays (0: epochs / 3)
  double gamma = 0.1;                   // step schedule: decay factor
  int warmup_epochs = 0;
  double sigma = 0.01;                  // NSO / WP-SGD / RSAM noise standard deviation
  int k = 1;                            // NSO: perturbations per step
  double rho = 0.05;                    // SAM family radius
  std::string noise = "gaussian";       // gaussian | laplace | uniform | binomial | cauchy
  double nso_lambda = 0.0;              // nso / wpsgd: weight of the clean gradient at W (> 0: one more pass a step)
  std::string sigma_schedule = "constant";  // nso / wpsgd: constant | linear | exponential, per epoch up to sigma
  double sigma_start = 0.0;             // sigma of the first epoch of a linear / exponential schedule
  int sigma_ramp_epochs = 0;            // epochs from sigma_start to sigma (0: --epochs, set by resolve())
  double label_smoothing = 0.0;

  // ---- schedule of the run --------------------------------------------------------------
  int epochs = 4;
  std::int64_t batch_size = 128;
  std::int64_t max_steps = 0;           // stop (with a checkpoint) after this many steps in total (0: no limit)
  std::int64_t log_every = 50;          // a steps.jsonl line every N steps (0: none)
  std::uint64_t seed = 0;
  std::string device = "auto";          // auto | cpu | cuda | cuda:N
  std::string on_nonfinite = "stop";    // stop | skip: what a NaN/Inf loss does
  bool tf32 = true;                     // --tf32 on|off: TF32 CUDA convolutions (PyTorch's default); curvature: always off

  // ---- data-parallel training (mpirun -np N; docs/train.md) ------------------------
  // batch_size is per process; the global batch is batch_size * world_size.
  int world_size = 1;                   // processes of the run (set by the trainer, not a flag)
  std::string rank_noise = "independent";  // independent | shared: perturbation noise per rank or the same on all
  std::string overlap_grads = "on";     // on | off: SGD/AdamW gradient all-reduce overlapped with backward
  double bucket_mb = 25;                // gradient all-reduce bucket size in MiB (PyTorch DDP's bucket_cap_mb)
  bool sync_bn = false;                 // batch norm with the global batch's statistics (SyncBatchNorm)

  // ---- curvature logging (curvature/report.h) -----------------------------------------
  int hessian_every = 0;                // every N epochs: Hessian trace + top eigenvalue into metrics (0: never)
  std::int64_t hessian_subset = 1000;   // on the first N training images, no augmentation
  int hessian_samples = 20;             // Hutchinson samples (the trace's stderr is logged too)
  int hessian_power_iters = 20;         // --hessian-lanczos-steps: Lanczos step cap (0: no eigenvalue); old name kept in JSON

  // ---- output ---------------------------------------------------------------------
  std::string out;                      // run folder ("" : runs/<timestamp>-<model>-<optimizer>)
  bool json = false;                    // print a one-line JSON summary on stdout at the end

  // Replaces "auto" values with concrete ones (device from the hardware, model
  // from the device, lr from the optimizer, ...), then validate()s.
  void resolve();
  // Throws basin::Error naming the first bad setting.
  void validate() const;
};

nlohmann::json to_json(const TrainConfig& c);
// Missing keys keep their defaults; unknown keys are an error naming them.
TrainConfig config_from_json(const nlohmann::json& j);

// The settings in which `a` and `b` differ, by config.json key, leaving out those a
// --resume may change (epochs, max_steps, workers, device, json, out; and
// batch_size and world_size when their product, the global batch, is the same).
std::vector<std::string> resume_differences(const TrainConfig& a, const TrainConfig& b);

// "256,128" <-> {256, 128}
std::string join_ints(const std::vector<std::int64_t>& v);
// MLP widths (--hidden): positive integers, comma-separated ("" is no hidden
// layer); anything else throws naming `flag`.
std::vector<std::int64_t> parse_widths(const std::string& s, const char* flag = "--hidden");

// The rules behind "auto", one place each: resolve() and `basin eval`, `hessian`,
// `inspect` and `bench` use these. Other values come back unchanged.
// --device auto: "cuda" when a usable CUDA device is present, else "cpu".
std::string resolve_device(const std::string& device);
// The device every command that takes --device runs on: resolve_device, then
// parse, then check it is usable. Throws naming --device and the build ("--device
// cuda but no usable CUDA device (this build: CPU only); use --device cpu"), so no
// command reaches the CUDA allocator's raw driver error.
Device usable_device(const std::string& device);
// --small-input auto: "on" (ResNet's 3x3 stride-1 stem without max-pool) for
// Fashion-MNIST and for images of at most 64x64, else "off". image_size 0 is the
// dataset's own size (28 for Fashion-MNIST, 224 for folders); data "" is none.
std::string resolve_small_input(const std::string& small_input, const std::string& data, int image_size);

// The names accepted by each choice option (used by --help and validate()).
// Optimizer names are optim/registry.h's table (find_optimizer, optimizer_list).
const std::vector<std::string>& schedule_names();
const std::vector<std::string>& noise_names();
const std::vector<std::string>& sigma_schedule_names();

}  // namespace basin::train
