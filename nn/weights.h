#pragma once
// Weights files: a model's state_dict as safetensors, names as torchvision's.
#include <map>
#include <string>

#include "nn/module.h"

namespace basin::nn {

// Writes model.state_dict() (parameters and buffers) atomically; float_dtype
// Float16 / BFloat16 stores the float tensors as F16 / BF16 (nn/safetensors.h).
void save_weights(const Module& model, const std::string& path,
                  const std::map<std::string, std::string>& metadata = {}, DType float_dtype = DType::Float32);
// Loads a safetensors file into `model` with `options` (strict by default;
// LoadOptions::fine_tune({"fc."}) keeps a new classifier head). The report says
// what was loaded, skipped, missing or unexpected; failures name the file.
// F16/BF16/F64 tensors are read as float32 with a one-line note on stderr.
LoadReport load_weights(Module& model, const std::string& path, const LoadOptions& options = {});

}  // namespace basin::nn
