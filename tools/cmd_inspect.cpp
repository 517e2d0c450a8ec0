// `basin inspect --model M [--image-size S]`: the model layer by layer (name,
// type, output shape, parameters, multiply-accumulates) from one forward pass
// on zeros (nn/summary.h).
#include <cstdio>
#include <memory>

#include "nn/models/factory.h"
#include "nn/summary.h"
#include "tools/cli_checks.h"
#include "tools/command.h"
#include "train/config.h"

namespace {

struct InspectCli {
  std::string model = "resnet18", hidden = "256,128", small_input = "auto";
  int image_size = 0, in_channels = 0;
  std::int64_t num_classes = 0, base_width = 64;
};

void run(const InspectCli& i) {
  using namespace basin;
  bool mlp = i.model == "mlp";
  int size = i.image_size > 0 ? i.image_size : (mlp ? 28 : 224);
  int channels = i.in_channels > 0 ? i.in_channels : (mlp ? 1 : 3);
  nn::ModelOptions o;
  o.num_classes = i.num_classes > 0 ? i.num_classes : (mlp ? 10 : 1000);
  o.in_channels = channels;
  o.input_features = static_cast<std::int64_t>(channels) * size * size;
  o.hidden = train::parse_widths(i.hidden);
  BASIN_CHECK(i.small_input == "auto" || i.small_input == "on" || i.small_input == "off",
              "--small-input must be auto, on or off, got " << i.small_input);
  o.cifar_stem = train::resolve_small_input(i.small_input, "", size) == "on";
  o.base_width = i.base_width;
  auto model = nn::make_model(i.model, o);
  nn::ModelSummary s = nn::summarize(*model, {1, channels, size, size});
  std::printf("%s", s.str().c_str());
}

void setup(CLI::App& app) {
  auto i = std::make_shared<InspectCli>();
  auto* cmd = app.add_subcommand("inspect", "Print a model layer by layer: output shapes, parameters, MACs");
  cmd->add_option("--model", i->model, "mlp | resnet18 | resnet34 | resnet50")->capture_default_str();
  cmd->add_option("--image-size", i->image_size, "Input size S (SxS); default 224 (28 for mlp)")->check(basin::tools::at_least(1));
  cmd->add_option("--in-channels", i->in_channels, "Input channels; default 3 (1 for mlp)")->check(basin::tools::at_least(1));
  cmd->add_option("--num-classes", i->num_classes, "Classes; default 1000 (10 for mlp)")->check(basin::tools::at_least(1));
  cmd->add_option("--hidden", i->hidden, "MLP hidden widths")->capture_default_str();
  cmd->add_option("--small-input", i->small_input, "ResNet stem: on | off | auto (on for images <= 64)")->capture_default_str();
  cmd->add_option("--base-width", i->base_width, "ResNet: first-stage channels W (stages W, 2W, 4W, 8W)")
      ->capture_default_str()->check(basin::tools::at_least(1));
  cmd->callback([i] { run(*i); });
}

}  // namespace

BASIN_COMMAND(inspect, setup)
