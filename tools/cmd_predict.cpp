// `basin predict --weights W IMAGE...`: the top classes of each image (files, or
// folders read recursively) with softmax probabilities and class names. The
// model, class names and preprocessing come from the weights' metadata (what
// `basin train` stores); images go through the same evaluation transform and
// loader as `basin eval`. Weights without class names print class indices.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "data/image_codec.h"
#include "data/image_folder.h"
#include "data/loader.h"
#include "io/json_text.h"
#include "nn/weights.h"
#include "tools/cli_checks.h"
#include "tools/command.h"
#include "train/class_metrics.h"
#include "train/data_setup.h"
#include "train/model_setup.h"
#include "train/saved_model.h"

namespace fs = std::filesystem;

namespace {

struct PredictCli {
  std::string weights, data, device = "auto";
  std::vector<std::string> inputs;
  int top = 5, workers = 2;
  bool json = false;
};

// The images to label, in the loader's Dataset shape (every label 0).
class FileList : public basin::data::Dataset {
 public:
  FileList(std::vector<std::string> files, std::vector<std::string> names, int channels)
      : files_(std::move(files)), names_(std::move(names)), channels_(channels) {}
  std::int64_t size() const override { return static_cast<std::int64_t>(files_.size()); }
  basin::data::Sample get(std::int64_t i) const override {
    return {basin::data::read_image_file(files_[static_cast<std::size_t>(i)], channels_), 0};
  }
  const std::vector<std::string>& class_names() const override { return names_; }
  int channels() const override { return channels_; }
  std::string description() const override { return "the images to predict"; }
  std::string sample_name(std::int64_t i) const override { return files_[static_cast<std::size_t>(i)]; }

 private:
  std::vector<std::string> files_, names_;
  int channels_;
};

// Files as given; folders: their image files, recursively, in sorted order.
std::vector<std::string> expand_inputs(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const auto& in : inputs) {
    std::error_code ec;
    if (!fs::is_directory(in, ec)) {
      BASIN_CHECK(fs::is_regular_file(in, ec), in << ": no such image file or folder");
      files.push_back(in);
      continue;
    }
    std::vector<std::string> found;
    for (const auto& e : fs::recursive_directory_iterator(in, ec))
      if (e.is_regular_file() && basin::data::is_image_extension(e.path().filename().string()))
        found.push_back(e.path().string());
    BASIN_CHECK(!ec, in << ": cannot list the folder (" << ec.message() << ")");
    BASIN_CHECK(!found.empty(), in << ": no image files in the folder");
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

nlohmann::json top_classes(const float* probs, std::int64_t classes, int k, const std::vector<std::string>& names) {
  nlohmann::json top = nlohmann::json::array();
  for (std::int64_t c : basin::train::top_k_classes(probs, classes, k)) {
    nlohmann::json e{{"index", c}, {"probability", probs[c]}};
    if (!names.empty()) e["class"] = names[static_cast<std::size_t>(c)];
    top.push_back(e);
  }
  return top;
}

void print_table(const std::string& file, const nlohmann::json& top) {
  std::printf("%s\n", file.c_str());
  for (const auto& e : top) {
    const std::string name = e.contains("class") ? e["class"].get<std::string>() : std::to_string(e["index"].get<long long>());
    std::printf("  %6.2f%%  %s\n", 100.0 * e["probability"].get<double>(), name.c_str());
  }
}

void run(const PredictCli& p) {
  using namespace basin;
  const Device device = train::usable_device(p.device);
  train::SavedModel saved = train::resolve_saved_model(p.weights, p.data, {});
  const std::string data = !p.data.empty() ? p.data : !saved.trained_data.empty() ? saved.trained_data : "fashion-mnist";
  saved = train::resolve_saved_model(p.weights, data, {});
  BASIN_CHECK(saved.num_classes > 0, "weights " << p.weights
                                                << ": no 'num_classes' or 'class_names' in the metadata, so the "
                                                   "number of classes is unknown (weights written by basin train have it)");
  const int channels = saved.in_channels > 0 ? saved.in_channels : (train::default_image_size(data) == 28 ? 1 : 3);
  std::vector<std::string> files = expand_inputs(p.inputs);
  std::vector<std::string> names = saved.class_names;
  auto ds = std::make_shared<FileList>(files, names.empty() ? std::vector<std::string>(static_cast<std::size_t>(saved.num_classes)) : names, channels);
  data::LoaderOptions lo;
  lo.batch_size = 64;
  lo.shuffle = false;
  lo.num_workers = p.workers;
  lo.device = device;
  data::DataLoader loader(ds, train::eval_transform(data, saved.image_size, saved.eval_resize), lo);
  saved.config.device = device.str();
  auto model = train::make_run_model(saved.config, channels, saved.image_size, saved.num_classes, device);
  nn::load_weights(*model, p.weights);
  model->eval();
  NoGradGuard no_grad;
  loader.start_epoch(0);
  data::Batch b;
  nlohmann::json all = nlohmann::json::array();
  while (loader.next(b)) {
    const std::vector<float> probs = softmax((*model)(b.images), 1).to_vector();
    for (std::size_t r = 0; r < b.sample_indices.size(); ++r) {
      const std::string& file = files[static_cast<std::size_t>(b.sample_indices[r])];
      nlohmann::json top = top_classes(probs.data() + r * static_cast<std::size_t>(saved.num_classes), saved.num_classes, p.top, names);
      if (p.json) all.push_back({{"file", file}, {"top", top}});
      else print_table(file, top);
    }
  }
  if (p.json) std::printf("%s\n", io::json_text(all).c_str());
}

void setup(CLI::App& app) {
  auto p = std::make_shared<PredictCli>();
  auto* cmd = app.add_subcommand("predict", "Top classes of images (files or folders) with probabilities, from saved weights");
  cmd->add_option("--weights", p->weights, "safetensors weights written by basin train (RUNDIR/model.safetensors)")->required();
  cmd->add_option("images", p->inputs, "Image files or folders (read recursively)")->required();
  cmd->add_option("--data", p->data, "Preprocessing as for this --data (default: the run's, from the weights' metadata)");
  cmd->add_option("--top", p->top, "How many classes to list per image")->capture_default_str()->check(basin::tools::at_least(1));
  cmd->add_flag("--json", p->json, "One JSON array: [{\"file\", \"top\": [{\"index\", \"class\", \"probability\"}]}]");
  cmd->add_option("--workers", p->workers, "Data-loader threads")->capture_default_str()->check(basin::tools::at_least(0));
  cmd->add_option("--device", p->device, "auto | cpu | cuda | cuda:N")->capture_default_str();
  cmd->callback([p] { run(*p); });
}

}  // namespace

BASIN_COMMAND(predict, setup)
