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
#include <cstdint>
#include <map>
#include <string>

#include "nn/state_dict.h"

namespace basin::nn {

struct SafetensorsFile {
  NamedTensors tensors;                          // in file (data offset) order, on the CPU
  std::map<std::string, std::string> metadata;   // "__metadata__"
  // Tensors the file stores as F16, BF16 or F64, by that dtype ("BF16" -> 62): they
  // are float32 here (F16/BF16 exactly; F64 rounded to nearest).
  std::map<std::string, std::int64_t> converted;

  bool has(const std::string& name) const { return find_named(tensors, name) >= 0; }
  // The tensor named `name`; throws naming the file's tensors when absent.
  const Tensor& get(const std::string& name) const;
  // "note: PATH: 62 BF16 tensors read as float32 (exact)", or "" when nothing was converted.
  std::string conversion_note(const std::string& path) const;
};

// Tensors may be float32, int64, int32 or uint8, on any device, strided; names
// must be unique. float_dtype Float16 or BFloat16 stores the float32 tensors as
// F16 / BF16 (round to nearest even; overflow -> inf), halving the file; integer
// tensors are stored as they are.
void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata = {}, DType float_dtype = DType::Float32);
// Reads F32, I64, I32, U8 as they are and F16, BF16, F64 into float32 (recorded in
// SafetensorsFile::converted); anything else is an error naming the tensor.
SafetensorsFile load_safetensors(const std::string& path);

}  // namespace basin::nn
