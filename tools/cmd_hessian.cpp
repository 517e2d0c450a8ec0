// `basin hessian`: curvature of a trained model on a fixed subset of its training
// data: trace (Hutchinson or Hutch++, total and per parameter tensor), the top-k
// and most negative eigenvalues (Lanczos), optionally each tensor's top
// eigenvalue (--per-layer) and the spectral density (--density FILE, stochastic
// Lanczos quadrature, CSV), and the perturbation gap E[L(W+U)] - L(W) beside
// (sigma^2/2) tr(H) for each sigma. Prints one JSON object on stdout's first
// line, then a readable table.
#include <cstdio>
#include <iostream>
#include <memory>

#include "io/atomic_file.h"
#include "io/json_text.h"
#include "curvature/model_objective.h"
#include "curvature/report.h"
#include "data/loader.h"
#include "data/open_dataset.h"
#include "nn/weights.h"
#include "tools/cli_checks.h"
#include "tools/command.h"
#include "train/data_setup.h"
#include "train/model_setup.h"
#include "train/progress.h"
#include "train/saved_model.h"

namespace basin::tools {
namespace {

struct HessianCmd {
  std::string model, weights, data = "fashion-mnist", device = "cpu", activation, hidden, small_input;
  int image_size = 0;
  std::int64_t subset = 1000, batch_size = 500, num_classes = 0;
  int samples = 100, lanczos_steps = 20, gap_samples = 100, top_k = 1;
  std::string trace_estimator = "hutchinson", density;
  bool per_layer = false;
  int density_runs = 4, density_steps = 30, density_points = 1000;
  double density_width = 0.01;
  double sigma = 0.01;
  std::vector<double> sigma_list;
  double rel_step = 1e-3;
  bool no_freeze = false, freeze_gap = false, one_sided = false, table_only = false, raw_inputs = false;
  bool quiet = false;
  std::uint64_t seed = 1234;
  bool hidden_given = false;  // --hidden '' is a real value (no hidden layer)
};

// Counts the objective's loss passes on a progress line (TaskProgress: the rule
// of training's bar). Their total depends on when Lanczos converges, so
// the line has no bar and no ETA.
void show_passes(curvature::Objective& f, train::TaskProgress& bar) {
  auto passes = std::make_shared<std::int64_t>(0);
  auto tick = [&bar, passes] {
    ++*passes;
    bar.update(*passes, static_cast<double>(*passes) / bar.seconds(), "passes");
  };
  f.loss_and_grad = [g = f.loss_and_grad, tick](Tensor& grad_out) {
    const float l = g(grad_out);
    tick();
    return l;
  };
  f.loss = [l0 = f.loss, tick] {
    const float l = l0();
    tick();
    return l;
  };
}

void run_hessian(const HessianCmd& o) {
  // Checked before the (slow) data and model setup.
  BASIN_CHECK(o.trace_estimator != "hutchpp" || o.samples >= 3,
              "hessian: --trace-estimator hutchpp needs --samples >= 3 (its HVP budget), got " << o.samples);
  BASIN_CHECK(o.density_width > 0, "hessian: --density-width must be positive, got " << o.density_width);
  const Device dev = train::usable_device(o.device);
  // Model and preprocessing as the run trained them (weights' metadata), flags win.
  train::SavedModel saved =
      train::resolve_saved_model(o.weights, o.data, {o.model, o.hidden_given ? std::optional<std::string>(o.hidden) : std::nullopt,
                                             o.activation, o.small_input, o.image_size});
  data::DatasetPair ds = data::open_dataset(o.data, 3);
  BASIN_CHECK(ds.train && ds.train->size() > 0, "hessian: dataset '" << o.data << "' has no training samples");
  data::LoaderOptions lo;
  lo.batch_size = o.batch_size;
  lo.shuffle = false;  // the first `subset` samples, in file order
  lo.num_workers = 0;
  // The loss must be the one that was trained: `basin train` normalizes
  // Fashion-MNIST (train/data_setup.h), so the same evaluation transform here.
  data::TransformPtr tf = o.raw_inputs ? nullptr : train::eval_transform(o.data, saved.image_size, 0);
  data::DataLoader loader(ds.train, tf, lo);
  loader.start_epoch(0);
  std::vector<curvature::LabeledBatch> batches;
  std::int64_t have = 0;
  data::Batch b;
  while (have < o.subset && loader.next(b)) {
    std::int64_t take = std::min<std::int64_t>(b.labels.numel(), o.subset - have);
    batches.push_back({b.images.slice(0, 0, take).contiguous(), b.labels.slice(0, 0, take).contiguous()});
    have += take;
  }
  BASIN_CHECK(!batches.empty(), "hessian: no batches read from '" << o.data << "'");

  const std::int64_t classes =
      o.num_classes > 0 ? o.num_classes : static_cast<std::int64_t>(ds.train->class_names().size());
  auto model = train::make_run_model(saved.config, static_cast<int>(batches[0].inputs.size(1)), saved.image_size,
                                     classes, dev);
  if (!o.weights.empty()) nn::load_weights(*model, o.weights);
  curvature::Objective f = curvature::model_objective(*model, batches);

  curvature::HessianOptions ho;
  ho.trace_samples = o.samples;
  ho.lanczos_steps = o.lanczos_steps;
  ho.top_k = o.top_k;
  ho.trace_estimator = curvature::parse_trace_estimator(o.trace_estimator);
  ho.per_layer_eigen = o.per_layer;
  ho.density_runs = o.density.empty() ? 0 : o.density_runs;
  ho.density_steps = o.density_steps;
  ho.gap_samples = o.gap_samples;
  ho.sigmas = o.sigma_list.empty() ? std::vector<double>{o.sigma} : o.sigma_list;
  ho.antithetic = !o.one_sided;
  ho.seed = o.seed;
  ho.hvp.rel_step = o.rel_step;
  ho.hvp.freeze_pattern = !o.no_freeze;
  ho.gap_freeze_pattern = o.freeze_gap;
  train::TaskProgress bar("hessian", 0, "loss passes", o.quiet ? nullptr : stderr);
  show_passes(f, bar);
  curvature::HessianReport r = curvature::hessian_report(f, ho);
  bar.finish();
  nlohmann::json j = curvature::to_json(r);
  if (!o.density.empty()) {
    const curvature::DensityGrid g = curvature::density_grid(r.density, o.density_points, o.density_width);
    io::write_file_atomic(o.density, curvature::density_csv(g));
    j["density_file"] = o.density;
    j["density_sigma"] = g.sigma;
  }
  j["model"] = saved.config.model;
  j["weights"] = o.weights;
  j["subset"] = have;
  j["activation"] = saved.config.activation;
  j["gap_pattern_frozen"] = o.freeze_gap;
  j["device"] = dev.str();
  if (!o.table_only) std::cout << io::json_text(j) << "\n";
  std::cout << "\n" << curvature::format_table(r);
}

void setup_hessian(CLI::App& app) {
  auto o = std::make_shared<HessianCmd>();
  auto* cmd = app.add_subcommand("hessian", "Hessian trace, eigenvalues, spectral density and perturbation gap of a trained model");
  cmd->add_option("--model", o->model, "mlp | resnet18 | resnet34 | resnet50 (default: the weights' metadata, else mlp)");
  cmd->add_option("--hidden", o->hidden, "MLP hidden widths, e.g. 256,128 (default: the weights' metadata, else 256,128)")
      ->each([o](const std::string&) { o->hidden_given = true; });
  cmd->add_option("--activation", o->activation, "MLP activation: relu | tanh (default: the weights' metadata, else relu)");
  cmd->add_option("--small-input", o->small_input, "ResNet stem: on | off | auto (default: the weights' metadata)");
  cmd->add_option("--image-size", o->image_size, "input size (default: the weights' metadata, else the dataset's)")->check(at_least(1));
  cmd->add_option("--weights", o->weights, "safetensors weights (from basin train); none = initialization");
  cmd->add_option("--data", o->data, "fashion-mnist or a folder with train/ and test/")->capture_default_str();
  cmd->add_option("--subset", o->subset, "training samples the loss is averaged over")->capture_default_str()->check(at_least(1));
  cmd->add_option("--batch-size", o->batch_size, "batch size of the loss passes")->capture_default_str()->check(at_least(1));
  cmd->add_option("--classes", o->num_classes, "number of classes (default: from the data)")->check(at_least(1));
  cmd->add_option("--samples", o->samples, "HVPs of the trace estimator (Hutchinson: Rademacher samples; hutchpp: >= 3)")
      ->capture_default_str()->check(at_least(1));
  cmd->add_option("--trace-estimator", o->trace_estimator, "hutchinson | hutchpp (Hutch++: lower variance per HVP)")
      ->capture_default_str()->check(CLI::IsMember({"hutchinson", "hutchpp"}));
  cmd->add_option("--lanczos-steps,--power-iters", o->lanczos_steps,
                  "Lanczos step cap for the eigenvalues (0: skip; --power-iters is the old name)")
      ->capture_default_str()->check(at_least(0));
  cmd->add_option("--top-k", o->top_k, "report the K largest eigenvalues (top_eigenvalues)")->capture_default_str()->check(at_least(1));
  cmd->add_flag("--per-layer", o->per_layer, "also each parameter tensor's top eigenvalue (its diagonal block of H)");
  cmd->add_option("--density", o->density, "write the spectral density (stochastic Lanczos quadrature) to FILE as CSV");
  cmd->add_option("--density-runs", o->density_runs, "--density: random start vectors")->capture_default_str()->check(at_least(1));
  cmd->add_option("--density-steps", o->density_steps, "--density: Lanczos steps per start")->capture_default_str()->check(at_least(1));
  cmd->add_option("--density-points", o->density_points, "--density: grid points in the CSV")->capture_default_str()->check(at_least(2));
  cmd->add_option("--density-width", o->density_width, "--density: Gaussian width relative to the spectrum's range")
      ->capture_default_str();
  cmd->add_option("--sigma", o->sigma, "perturbation std")->capture_default_str();
  cmd->add_option("--sigma-list", o->sigma_list, "several sigmas, e.g. 0.005,0.01,0.02")->delimiter(',');
  cmd->add_option("--gap-samples", o->gap_samples, "perturbations per sigma")->capture_default_str()->check(at_least(0));
  cmd->add_flag("--one-sided", o->one_sided, "gap from L(W+U) alone (default: antithetic pairs +U, -U)");
  cmd->add_flag("--no-freeze", o->no_freeze, "do not pin the ReLU pattern while differencing");
  cmd->add_flag("--freeze-gap", o->freeze_gap,
                "evaluate the gap's L(W +- U) with the ReLU pattern pinned at W (isolates kink crossings)");
  cmd->add_option("--rel-step", o->rel_step, "finite-difference step relative to |W|")->capture_default_str();
  cmd->add_option("--seed", o->seed, "seed of the random vectors")->capture_default_str();
  cmd->add_option("--device", o->device, "cpu | cuda | cuda:N")->capture_default_str();
  cmd->add_flag("--table-only", o->table_only, "print only the table");
  cmd->add_flag("--quiet", o->quiet, "no progress line on stderr");
  cmd->add_flag("--raw-inputs", o->raw_inputs, "pixels in [0, 1] without the training normalization");
  cmd->callback([o] { run_hessian(*o); });
}

}  // namespace
BASIN_COMMAND(hessian, setup_hessian)
}  // namespace basin::tools
