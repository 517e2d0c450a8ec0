#include "nn/weights.h"

#include "nn/safetensors.h"

namespace basin::nn {

void save_weights(const Module& model, const std::string& path, const std::map<std::string, std::string>& metadata) {
  save_safetensors(path, model.state_dict(), metadata);
}

LoadReport load_weights(Module& model, const std::string& path, const LoadOptions& options) {
  SafetensorsFile f = load_safetensors(path);
  try {
    return model.load_state_dict(f.tensors, options);
  } catch (const Error& e) {
    throw Error(std::string("loading weights from ") + path + ": " + e.what());
  }
}

}  // namespace basin::nn
