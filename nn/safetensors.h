#pragma once
// safetensors files (https://github.com/huggingface/safetensors): an 8-byte
// little-endian header length N, N bytes of JSON
//   {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"key": "value"}}
// then the raw little-endian tensor bytes (offsets relative to the data start).
// This is the format of basin's weights and checkpoints, and what PyTorch users
// export, so names follow torchvision's state_dict keys.
//
// Writing is atomic: a temporary file in the same folder, then rename, so a
// crash never leaves a half-written file under the real name. Reading trusts
// nothing: every error names the file and, where it applies, the tensor.
#include <map>
#include <string>

#include "nn/state_dict.h"

namespace basin::nn {

struct SafetensorsFile {
  NamedTensors tensors;                          // in file (data offset) order, on the CPU
  std::map<std::string, std::string> metadata;   // "__metadata__"

  bool has(const std::string& name) const { return find_named(tensors, name) >= 0; }
  // The tensor named `name`; throws naming the file's tensors when absent.
  const Tensor& get(const std::string& name) const;
};

// Supported dtypes: F32, I64, I32, U8 (anything else is an error naming the tensor).
// Tensors may live on any device and be strided; names must be unique.
void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata = {});
SafetensorsFile load_safetensors(const std::string& path);

}  // namespace basin::nn
