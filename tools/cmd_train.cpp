// `basin train`: train a model on Fashion-MNIST or an image folder (train/trainer.h).
// With no arguments it trains the built-in default: Fashion-MNIST, an MLP
// 784-256-128-10 with SGD (momentum 0.9) and a cosine schedule for 4 epochs on
// the CPU (a small-input ResNet-18 when a GPU is present).
#include <cstdio>
#include <memory>

#include "dist/communicator.h"
#include "io/json_text.h"
#include "optim/registry.h"
#include "tools/cli_checks.h"
#include "tools/command.h"
#include "tools/profile_report.h"
#include "train/run_dir.h"
#include "train/trainer.h"

namespace {

using basin::train::TrainConfig;

struct TrainCli {
  TrainConfig c;
  std::string resume;
  std::string hidden = "256,128";
  double lr = 0;  // c.lr only when --lr is given (TrainConfig::lr is optional)
  bool no_shuffle = false;
  bool quiet = false;
  bool profile = false;
  CLI::App* cmd = nullptr;
};

bool given(CLI::App* cmd, const char* name) { return cmd->count(name) > 0; }

void run(TrainCli& cli) {
  TrainConfig c = cli.c;
  bool resume = !cli.resume.empty();
  if (resume) {
    basin::train::RunDir dir{cli.resume};
    TrainConfig saved = basin::train::read_config(dir);
    // A resumed run is the saved run; only how it runs may change.
    if (given(cli.cmd, "--epochs")) saved.epochs = c.epochs;
    if (given(cli.cmd, "--workers")) saved.workers = c.workers;
    if (given(cli.cmd, "--device")) saved.device = c.device;
    if (given(cli.cmd, "--log-every")) saved.log_every = c.log_every;
    saved.json = c.json;
    saved.max_steps = c.max_steps;  // a limit of the interrupted invocation does not carry over
    saved.out = cli.resume;
    for (const CLI::Option* opt : cli.cmd->get_options()) {
      const std::string& n = opt->get_name();
      if (opt->count() == 0 || n == "--resume" || n == "--epochs" || n == "--workers" || n == "--json" ||
          n == "--device" || n == "--max-steps" || n == "--log-every" || n == "--quiet" || n == "--profile" || n == "--help")
        continue;
      std::fprintf(stderr, "basin train: warning: %s is ignored with --resume (the run keeps its config.json)\n",
                   n.c_str());
    }
    c = saved;
  } else {
    c.hidden = basin::train::parse_widths(cli.hidden);
    if (given(cli.cmd, "--lr")) c.lr = cli.lr;
    c.shuffle = !cli.no_shuffle;
  }
  basin::train::TrainOptions o;
  o.resume = resume;
  if (cli.quiet) o.progress = nullptr;
  basin::Profiler profiler;
  std::unique_ptr<basin::ProfileScope> profiling;
  if (cli.profile) profiling = std::make_unique<basin::ProfileScope>(profiler);
  basin::train::TrainResult r = basin::train::run_training(c, o);
  // Data-parallel (mpirun): rank 0 speaks for the run; the exit status is everyone's.
  const bool root = !basin::dist::world_started() || basin::dist::world().rank() == 0;
  if (r.interrupted) basin::tools::exit_status() = 130;
  if (!root) return;
  if (cli.profile) {
    profiling.reset();
    basin::tools::report_profile(profiler, basin::Device::parse(r.config.device), r.dir.path + "/profile.txt");
  }
  if (r.interrupted) {
    std::fprintf(stderr, "\nbasin train: interrupted (signal) at epoch %d, step %lld; checkpoint written.\n"
                         "Continue with: basin train --resume %s\n",
                 r.epochs_done + 1, static_cast<long long>(r.steps), r.dir.path.c_str());
    basin::tools::exit_status() = 130;
  } else {
    std::fprintf(stderr, "run written to %s", r.dir.path.c_str());
    if (r.last) std::fprintf(stderr, " (test accuracy %.2f%%)", 100 * r.last->test_acc);
    std::fprintf(stderr, "\n");
  }
  if (r.config.json) std::printf("%s\n", basin::io::json_text(basin::train::summary_json(r)).c_str());
  else if (!r.interrupted) std::printf("%s\n", r.dir.path.c_str());
  std::fflush(stdout);
}

void add_data_options(CLI::App* cmd, TrainCli& cli) {
  TrainConfig& c = cli.c;
  auto g_data = "Data";
  cmd->add_option("--data", c.data, "'fashion-mnist' or a folder holding train/ and test/ (or val/), one sub-folder per class")
      ->capture_default_str()->group(g_data);
  cmd->add_option("--limit-train", c.limit_train, "Use only the first N training images (0: all)")->group(g_data);
  cmd->add_option("--limit-test", c.limit_test, "Use only the first N test images (0: all)")->group(g_data);
  cmd->add_option("--augment", c.augment, "Training augmentation: none | flip-crop (random crop + horizontal flip)")
      ->capture_default_str()->group(g_data);
  cmd->add_option("--image-size", c.image_size, "Input size S (SxS); 0: the dataset's (28 for Fashion-MNIST, 224 for folders)")
      ->group(g_data);
  cmd->add_option("--eval-resize", c.eval_resize, "Folders: resize the shorter side to R before the centre crop at evaluation (0: S*8/7)")
      ->group(g_data);
  cmd->add_option("--workers", c.workers, "Data-loader threads")->capture_default_str()->group(g_data);
  cmd->add_flag("--no-shuffle", cli.no_shuffle, "Keep the training set's order (default: a seeded shuffle per epoch)")
      ->group(g_data);
}

void add_model_options(CLI::App* cmd, TrainCli& cli) {
  TrainConfig& c = cli.c;
  auto g_model = "Model";
  cmd->add_option("--model", c.model, "mlp | resnet18 | resnet34 | resnet50 (auto: mlp on the CPU, resnet18 on a GPU)")
      ->capture_default_str()->group(g_model);
  cmd->add_option("--hidden", cli.hidden, "MLP hidden widths, comma-separated")->capture_default_str()->group(g_model);
  cmd->add_option("--activation", c.activation, "MLP activation: relu | tanh")->capture_default_str()->group(g_model);
  cmd->add_option("--small-input", c.small_input,
                  "ResNet stem: on = 3x3 stride-1 convolution without max-pool (small images), off = torchvision's 7x7/2 + "
                  "max-pool, auto = on for Fashion-MNIST and images <= 64")
      ->capture_default_str()->group(g_model);
  cmd->add_option("--base-width", c.base_width, "ResNet: channels of the first stage; stages have W, 2W, 4W, 8W "
                                                 "(64: torchvision's ResNets; 16 or 8 train on a CPU)")
      ->capture_default_str()->group(g_model);
  cmd->add_option("--init", c.init, "Start from these safetensors weights (fine-tuning): every tensor whose name and shape "
                                   "match is loaded; a classifier head of another shape is skipped and reported")
      ->group(g_model);
}

void add_optimizer_options(CLI::App* cmd, TrainCli& cli) {
  TrainConfig& c = cli.c;
  auto g_opt = "Optimizer";
  cmd->add_option("--optimizer", c.optimizer, basin::optim::optimizer_list() + " (the perturbation methods run on SGD with "
                                                                     "--momentum and --weight-decay)")
      ->capture_default_str()->group(g_opt);
  cmd->add_option("--lr", cli.lr, "Learning rate (default 0.05; 0.001 for adamw)")->group(g_opt);
  cmd->add_option("--momentum", c.momentum, "SGD momentum")->capture_default_str()->group(g_opt);
  cmd->add_option("--weight-decay", c.weight_decay, "Weight decay (not applied to biases and norm parameters)")
      ->capture_default_str()->group(g_opt);
  cmd->add_option("--schedule", c.schedule, "Learning-rate schedule: none | step (x gamma every --step-size epochs) | cosine (per step, to 0)")
      ->capture_default_str()->group(g_opt);
  cmd->add_option("--step-size", c.step_size, "step schedule: epochs between decays (0: epochs/3)")->group(g_opt);
  cmd->add_option("--gamma", c.gamma, "step schedule: decay factor")->capture_default_str()->group(g_opt);
  cmd->add_option("--warmup-epochs", c.warmup_epochs, "Linear learning-rate warm-up length in epochs")->group(g_opt);
  cmd->add_option("--sigma", c.sigma, "nso / wpsgd / rsam: standard deviation of the weight noise (absolute)")
      ->capture_default_str()->group(g_opt);
  cmd->add_option("--k", c.k, "nso / wpsgd: perturbations per step (nso evaluates +U and -U for each)")
      ->capture_default_str()->group(g_opt);
  cmd->add_option("--rho", c.rho, "sam / usam / asam / rsam: perturbation radius")->capture_default_str()->group(g_opt);
  cmd->add_option("--noise", c.noise, "Noise distribution: gaussian | laplace | uniform | binomial (all with std sigma) | "
                                     "cauchy (scale sigma: quartiles +-sigma)")
      ->capture_default_str()->group(g_opt);
  cmd->add_option("--nso-lambda", c.nso_lambda, "nso / wpsgd: weight L of the clean gradient, g = L grad f(W) + (1 - L) "
                                               "(average of the perturbed gradients); L > 0 adds a pass at W per step")
      ->capture_default_str()->group(g_opt);
  cmd->add_option("--sigma-schedule", c.sigma_schedule, "nso / wpsgd: constant | linear | exponential: sigma ramped per "
                                                       "epoch from --sigma-start up to --sigma over --sigma-ramp-epochs")
      ->capture_default_str()->group(g_opt);
  cmd->add_option("--sigma-start", c.sigma_start, "--sigma-schedule: sigma of the first epoch (exponential: > 0)")
      ->capture_default_str()->group(g_opt);
  cmd->add_option("--sigma-ramp-epochs", c.sigma_ramp_epochs, "--sigma-schedule: epochs of the ramp (0: --epochs)")
      ->capture_default_str()->group(g_opt);
  cmd->add_option("--label-smoothing", c.label_smoothing, "Label smoothing of the training loss")->group(g_opt);
}

void add_curvature_options(CLI::App* cmd, TrainCli& cli) {
  TrainConfig& c = cli.c;
  auto g_curv = "Curvature";
  cmd->add_option("--hessian-every", c.hessian_every,
                  "Every N epochs, log the Hessian trace (Hutchinson, with stderr) and top eigenvalue of the training "
                  "loss into metrics.jsonl (0: never; see docs/curvature.md)")
      ->capture_default_str()->group(g_curv);
  cmd->add_option("--hessian-subset", c.hessian_subset, "--hessian-every: measure on the first N training images (no augmentation)")
      ->capture_default_str()->group(g_curv);
  cmd->add_option("--hessian-samples", c.hessian_samples, "--hessian-every: Hutchinson samples")
      ->capture_default_str()->group(g_curv);
  cmd->add_option("--hessian-lanczos-steps,--hessian-power-iters", c.hessian_power_iters,
                  "--hessian-every: Lanczos step cap for the top eigenvalue (0: no eigenvalue; --hessian-power-iters is "
                  "the old name)")
      ->capture_default_str()->group(g_curv);
}

void add_run_options(CLI::App* cmd, TrainCli& cli) {
  TrainConfig& c = cli.c;
  auto g_run = "Run";
  cmd->add_option("--epochs", c.epochs, "Epochs")->capture_default_str()->group(g_run);
  cmd->add_option("--batch-size", c.batch_size, "Batch size (per process under mpirun: the global batch is N times it)")
      ->capture_default_str()->group(g_run);
  cmd->add_option("--rank-noise", c.rank_noise,
                  "Under mpirun, perturbation noise (nso, wpsgd, rsam): independent = each rank draws its own "
                  "(k x N perturbations per step) | shared = the same on all ranks (N ranks = one process at the "
                  "global batch)")
      ->capture_default_str()->check(CLI::IsMember({"independent", "shared"}))->group(g_run);
  cmd->add_option("--overlap-grads", c.overlap_grads,
                  "Under mpirun with sgd or adamw: all-reduce gradient buckets while backward runs (on) or after "
                  "it (off); other optimizers always reduce after their last pass")
      ->capture_default_str()->check(CLI::IsMember({"on", "off"}))->group(g_run);
  cmd->add_option("--bucket-mb", c.bucket_mb, "Under mpirun: gradient all-reduce bucket size in MiB (DDP's bucket_cap_mb)")
      ->capture_default_str()->check(CLI::Range(0.001, 8192.0))->group(g_run);
  cmd->add_flag("--sync-bn", c.sync_bn,
                "Under mpirun: batch norm normalizes with the statistics of the global batch (all ranks; "
                "SyncBatchNorm), not each rank's shard; 5 small all-reduces per BN layer and step")
      ->group(g_run);
  cmd->add_option("--max-steps", c.max_steps, "Stop after N optimizer steps in all (with a checkpoint; --resume continues)")
      ->group(g_run);
  cmd->add_option("--log-every", c.log_every, "A line in RUNDIR/steps.jsonl every N steps: epoch, step, loss, lr, img/s (0: none)")
      ->capture_default_str()->check(basin::tools::at_least(0))->group(g_run);
  cmd->add_option("--seed", c.seed, "Seed of initialization, data order, augmentation and noise")
      ->capture_default_str()->group(g_run);
  cmd->add_option("--device", c.device, "auto | cpu | cuda | cuda:N")->capture_default_str()->group(g_run);
  cmd->add_option("--tf32", c.tf32, "on | off: TF32 tensor cores for CUDA convolutions (default on, as PyTorch; "
                                    "curvature always runs without)")
      ->check(CLI::IsMember({"on", "off"}))->group(g_run);
  cmd->add_option("--on-nonfinite", c.on_nonfinite, "A NaN/Inf loss: stop (with a message naming epoch and step) | skip the batch")
      ->capture_default_str()->group(g_run);
  cmd->add_option("--out", c.out, "Run folder (default: runs/<timestamp>-<model>-<optimizer>)")->group(g_run);
  cmd->add_option("--resume", cli.resume, "Continue the run in this folder from its checkpoint (its config.json is used; "
                                          "--epochs, --max-steps, --workers and --device may be given)")
      ->group(g_run);
  cmd->add_flag("--profile", cli.profile,
                "Time every layer's forward and every op's backward; print the table and write RUNDIR/profile.txt")
      ->group(g_run);
  cmd->add_flag("--json", c.json, "Print a one-line JSON summary on stdout at the end")->group(g_run);
  cmd->add_flag("--quiet", cli.quiet, "No progress bar (epoch lines are still printed)")->group(g_run);
}

void setup(CLI::App& app) {
  auto cli = std::make_shared<TrainCli>();
  auto* cmd = app.add_subcommand(
      "train",
      "Train a model. With no options: Fashion-MNIST, MLP 784-256-128-10, SGD momentum 0.9, cosine schedule, "
      "4 epochs on the CPU (a small-input ResNet-18 when a GPU is present). Writes a run folder with "
      "config.json, metrics.jsonl, checkpoint.safetensors and model.safetensors.");
  cli->cmd = cmd;
  add_data_options(cmd, *cli);
  add_model_options(cmd, *cli);
  add_optimizer_options(cmd, *cli);
  add_curvature_options(cmd, *cli);
  add_run_options(cmd, *cli);
  cmd->callback([cli] { run(*cli); });
}

}  // namespace

BASIN_COMMAND(train, setup)
