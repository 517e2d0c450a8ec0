#pragma once
// Weights files: a model's state_dict as safetensors, names as torchvision's.
#include <map>
#include <string>

#include "nn/module.h"

namespace basin::nn {

// Writes model.state_dict() (parameters and buffers) atomically.
void save_weights(const Module& model, const std::string& path,
                  const std::map<std::string, std::string>& metadata = {});
// Loads a safetensors file into `model` with `options` (strict by default;
// LoadOptions::fine_tune({"fc."}) keeps a new classifier head). The report says
// what was loaded, skipped, missing or unexpected; failures name the file.
LoadReport load_weights(Module& model, const std::string& path, const LoadOptions& options = {});

}  // namespace basin::nn
