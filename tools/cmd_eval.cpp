// `basin eval --model M --weights FILE --data DIR`: loss and accuracy of saved
// weights on a dataset's test split, printed as one JSON line
// {"loss": ..., "accuracy": ..., "count": ...}. Settings a run stored in the
// weights' metadata (MLP widths, stem, image size) are used unless given.
#include <cstdio>
#include <memory>
#include <sstream>

#include "io/json_text.h"
#include "data/loader.h"
#include "data/open_dataset.h"
#include "nn/safetensors.h"
#include "nn/weights.h"
#include "tools/cli_checks.h"
#include "tools/command.h"
#include "tools/profile_report.h"
#include "train/saved_model.h"
#include "train/config.h"
#include "train/data_setup.h"
#include "train/evaluate.h"
#include "train/model_setup.h"
#include "train/subset_dataset.h"

namespace {

struct EvalCli {
  std::string model, weights, data = "fashion-mnist", hidden, small_input, device = "auto", split = "test";
  int image_size = 0, eval_resize = 0, workers = 2;
  std::int64_t batch_size = 256, limit = 0;
  bool profile = false;
  bool hidden_given = false;  // --hidden '' is a real value (no hidden layer)
};

void run(const EvalCli& e) {
  using namespace basin;
  BASIN_CHECK(!e.weights.empty(), "--weights FILE is required");
  const Device device = train::usable_device(e.device);  // before reading anything: the error names --device
  train::SavedModel saved =
      train::resolve_saved_model(e.weights, e.data, {e.model, e.hidden_given ? std::optional<std::string>(e.hidden) : std::nullopt, "",
                                                   e.small_input, e.image_size});
  train::TrainConfig& c = saved.config;
  const int image_size = saved.image_size;
  c.device = device.str();
  BASIN_CHECK(e.split == "test" || e.split == "train", "--split must be test or train, got " << e.split);

  data::DatasetPair sets =
      data::open_dataset(e.data, 3, {e.split == "train" ? e.limit : 0, e.split == "test" ? e.limit : 0});
  data::DatasetPtr ds = e.split == "test" ? sets.test : sets.train;
  if (e.limit > 0) ds = std::make_shared<train::SubsetDataset>(ds, e.limit);
  data::LoaderOptions lo;
  lo.batch_size = e.batch_size;
  lo.shuffle = false;
  lo.num_workers = e.workers;
  lo.device = device;
  data::DataLoader loader(ds, train::eval_transform(e.data, image_size, e.eval_resize), lo);
  auto model = train::make_run_model(c, ds->channels(), image_size, ds->num_classes(), device);
  nn::load_weights(*model, e.weights);
  Profiler profiler;
  std::unique_ptr<ProfileScope> profiling;
  if (e.profile) profiling = std::make_unique<ProfileScope>(profiler);
  train::RunningStats s = train::evaluate(*model, loader);
  if (e.profile) {
    profiling.reset();
    tools::report_profile(profiler, device, "");
  }
  nlohmann::json j{{"loss", s.loss()}, {"accuracy", s.accuracy()}, {"count", s.count}};
  std::printf("%s\n", io::json_text(j).c_str());
}

void setup(CLI::App& app) {
  auto e = std::make_shared<EvalCli>();
  auto* cmd = app.add_subcommand("eval", "Evaluate saved weights on a dataset; prints {\"loss\", \"accuracy\", \"count\"}");
  cmd->add_option("--model", e->model, "mlp | resnet18 | resnet34 | resnet50 (default: from the weights' metadata, else mlp)");
  cmd->add_option("--weights", e->weights, "safetensors weights (e.g. RUNDIR/model.safetensors)")->required();
  cmd->add_option("--data", e->data, "'fashion-mnist' or a folder with train/ and test/ (or val/)")->capture_default_str();
  cmd->add_option("--split", e->split, "test | train")->capture_default_str();
  cmd->add_option("--hidden", e->hidden, "MLP widths (default: from the weights' metadata, else 256,128)")
      ->each([e](const std::string&) { e->hidden_given = true; });
  cmd->add_option("--small-input", e->small_input, "ResNet stem: on | off | auto (default: from the weights' metadata)");
  cmd->add_option("--image-size", e->image_size, "Input size (default: from the weights' metadata, else the dataset's)")
      ->check(basin::tools::at_least(1));
  cmd->add_option("--eval-resize", e->eval_resize, "Folders: resize the shorter side to R before the centre crop (0: S*8/7)")
      ->check(basin::tools::at_least(0));
  cmd->add_option("--batch-size", e->batch_size, "Batch size")->capture_default_str()->check(basin::tools::at_least(1));
  cmd->add_option("--limit", e->limit, "Evaluate only the first N images (0: all)")->check(basin::tools::at_least(0));
  cmd->add_option("--workers", e->workers, "Data-loader threads")->capture_default_str()->check(basin::tools::at_least(0));
  cmd->add_flag("--profile", e->profile, "Time every layer's forward pass; print the table on stderr");
  cmd->add_option("--device", e->device, "auto | cpu | cuda | cuda:N")->capture_default_str();
  cmd->callback([e] { run(*e); });
}

}  // namespace

BASIN_COMMAND(eval, setup)
