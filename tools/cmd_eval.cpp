// `basin eval --model M --weights FILE --data DIR`: loss and accuracy of saved
// weights on a dataset's test split, printed as one JSON line
// {"loss", "accuracy", "top5", "top5_k", "count", "per_class": [...]}. "top5" is
// top-k accuracy with k = min(5, classes) ("top5_k" says which k). --per-class
// prints a per-class table on stderr; --confusion FILE writes the confusion
// matrix as CSV (or, for a .png name, draws it through gnuplot). Settings a run stored in the weights' metadata (MLP widths,
// stem, image size) are used unless given. A folder needs only the split it is
// evaluated on (only val/ is enough).
#include <cstdio>
#include <memory>
#include <sstream>

#include "io/atomic_file.h"
#include "io/json_text.h"
#include "data/loader.h"
#include "data/open_dataset.h"
#include "nn/safetensors.h"
#include "nn/weights.h"
#include "tools/cli_checks.h"
#include "tools/command.h"
#include "tools/confusion_png.h"
#include "tools/profile_report.h"
#include "train/saved_model.h"
#include "train/config.h"
#include "train/data_setup.h"
#include "train/class_metrics.h"
#include "train/evaluate.h"
#include "train/model_setup.h"
#include "train/subset_dataset.h"

namespace {

struct EvalCli {
  std::string model, weights, data = "fashion-mnist", hidden, small_input, device = "auto", split = "test";
  std::string confusion;  // CSV path, or empty
  bool per_class = false;
  int image_size = 0, eval_resize = 0, workers = 2;
  std::int64_t batch_size = 256, limit = 0;
  std::uint64_t seed = 0;
  bool profile = false, quiet = false;
  bool hidden_given = false;  // --hidden '' is a real value (no hidden layer)
};

void report(const EvalCli& e, const basin::train::ClassTally& t, const std::vector<std::string>& names) {
  using namespace basin;
  const bool png = e.confusion.size() > 4 && e.confusion.compare(e.confusion.size() - 4, 4, ".png") == 0;
  if (png) tools::write_confusion_png(t, names, e.confusion);
  else if (!e.confusion.empty()) io::write_file_atomic(e.confusion, train::confusion_csv(t, names));
  if (e.per_class) std::fprintf(stderr, "%s", train::per_class_table(t, names).c_str());
  const train::RunningStats& s = t.stats;
  nlohmann::json j{{"loss", s.loss()}, {"accuracy", s.accuracy()}, {"top5", t.top_k_accuracy()},
                   {"top5_k", t.k},    {"count", s.count},       {"per_class", train::per_class_json(t, names)}};
  std::printf("%s\n", io::json_text(j).c_str());
}

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

  data::DatasetPtr ds = data::open_split(e.data, e.split, 3, e.limit);
  ds = train::limit_split(e.data, ds, e.limit, e.seed, e.split == "test");
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
  const train::ClassTally t = train::evaluate_by_class(*model, loader, ds->num_classes(), e.quiet ? nullptr : stderr);
  if (e.profile) {
    profiling.reset();
    tools::report_profile(profiler, device, "");
  }
  report(e, t, ds->class_names());
}

void setup(CLI::App& app) {
  auto e = std::make_shared<EvalCli>();
  auto* cmd = app.add_subcommand("eval", "Evaluate saved weights on a dataset; prints {\"loss\", \"accuracy\", \"top5\", \"count\", \"per_class\"}");
  cmd->add_option("--model", e->model, "mlp | resnet18 | resnet34 | resnet50 (default: from the weights' metadata, else mlp)");
  cmd->add_option("--weights", e->weights, "safetensors weights (e.g. RUNDIR/model.safetensors)")->required();
  cmd->add_option("--data", e->data, "'fashion-mnist' or a folder with test/ or val/ (and train/ for --split train)")->capture_default_str();
  cmd->add_option("--split", e->split, "test | train")->capture_default_str();
  cmd->add_option("--hidden", e->hidden, "MLP widths (default: from the weights' metadata, else 256,128)")
      ->each([e](const std::string&) { e->hidden_given = true; });
  cmd->add_option("--small-input", e->small_input, "ResNet stem: on | off | auto (default: from the weights' metadata)");
  cmd->add_option("--image-size", e->image_size, "Input size (default: from the weights' metadata, else the dataset's)")
      ->check(basin::tools::at_least(1));
  cmd->add_option("--eval-resize", e->eval_resize, "Folders: resize the shorter side to R before the centre crop (0: S*8/7)")
      ->check(basin::tools::at_least(0));
  cmd->add_option("--batch-size", e->batch_size, "Batch size")->capture_default_str()->check(basin::tools::at_least(1));
  cmd->add_option("--limit", e->limit, "Evaluate N images (0: all): Fashion-MNIST's first N, a folder's seeded sample "
                                       "(train --limit-test with the same --seed)")->check(basin::tools::at_least(0));
  cmd->add_option("--seed", e->seed, "Seed of --limit's sample on a folder (the run's --seed)")->capture_default_str();
  cmd->add_option("--workers", e->workers, "Data-loader threads")->capture_default_str()->check(basin::tools::at_least(0));
  cmd->add_option("--confusion", e->confusion, "Write the confusion matrix to FILE as CSV (rows: true class, columns: predicted), or draw it when FILE ends in .png (gnuplot)");
  cmd->add_flag("--per-class", e->per_class, "Print per-class accuracy as a table on stderr (always in the JSON)");
  cmd->add_flag("--quiet", e->quiet, "No progress bar on stderr");
  cmd->add_flag("--profile", e->profile, "Time every layer's forward pass; print the table on stderr");
  cmd->add_option("--device", e->device, "auto | cpu | cuda | cuda:N")->capture_default_str();
  cmd->callback([e] { run(*e); });
}

}  // namespace

BASIN_COMMAND(eval, setup)
