#pragma once
// Rebuilding the model a weights file holds. `basin train` writes the model's
// shape and preprocessing into the weights' safetensors metadata (model, hidden,
// activation, small_input, image_size, ...); `basin eval` and `basin hessian`
// read it back here, so they evaluate the same function on the same inputs the
// run trained, and flags given on the command line still win.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/transforms.h"
#include "nn/module.h"
#include "train/config.h"

namespace basin::train {

// Command-line choices; empty / 0 / nullopt means "from the weights' metadata,
// else default". `hidden` is optional because "" is a real value (no hidden layer).
struct ModelOverrides {
  std::string model;
  std::optional<std::string> hidden;
  std::string activation, small_input;
  int image_size = 0;
  int base_width = 0;  // ResNets; 0: the metadata's "base_width", else 64 (torchvision)
};

struct SavedModel {
  TrainConfig config;  // model, hidden, activation, small_input, base_width, data filled in
  int image_size = 0;
  // From the metadata when present (weights from elsewhere may lack them):
  std::vector<std::string> class_names;  // "class_names", a JSON array of strings
  std::int64_t num_classes = 0;          // "num_classes", else class_names' size, else 0
  int in_channels = 0;                   // "in_channels" (1: grayscale), else 0
  int eval_resize = 0;                   // "eval_resize" (0: the default S*8/7)
  std::string trained_data;              // "data": the --data the run trained on, else ""
};

// The weights metadata's "class_names" entry for `names` (a JSON array string).
std::string class_names_metadata(const std::vector<std::string>& names);

// Reads `weights` metadata (a file without metadata, e.g. exported from PyTorch,
// falls back to the defaults) and resolves image size and stem for `data_spec`.
// A metadata value basin would not write (image_size "abc", model "vgg") throws
// naming the key and the file.
SavedModel resolve_saved_model(const std::string& weights, const std::string& data_spec, const ModelOverrides& o);

}  // namespace basin::train
