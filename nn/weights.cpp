#include "nn/weights.h"

#include <cstdio>

#include "nn/safetensors.h"

namespace basin::nn {

void save_weights(const Module& model, const std::string& path, const std::map<std::string, std::string>& metadata,
                  DType float_dtype) {
  save_safetensors(path, model.state_dict(), metadata, float_dtype);
}

LoadReport load_weights(Module& model, const std::string& path, const LoadOptions& options) {
  SafetensorsFile f = load_safetensors(path);
  if (const std::string note = f.conversion_note(path); !note.empty()) std::fprintf(stderr, "%s\n", note.c_str());
  try {
    return model.load_state_dict(f.tensors, options);
  } catch (const Error& e) {
    throw Error(std::string("loading weights from ") + path + ": " + e.what());
  }
}

}  // namespace basin::nn
