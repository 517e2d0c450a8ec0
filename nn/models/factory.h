#pragma once
// Builds a model by name: "mlp", "resnet18", "resnet34", "resnet50".
#include <memory>
#include <string>
#include <vector>

#include "nn/models/options.h"
#include "nn/module.h"

namespace basin::nn {

std::shared_ptr<Module> make_model(const std::string& name, const ModelOptions& options);
// The names make_model accepts.
std::vector<std::string> model_names();

}  // namespace basin::nn
