// libFuzzer target: nn::load_safetensors on arbitrary bytes. Any input must load
// (every tensor's bytes inside the file, names unique) or throw basin::Error --
// never crash, leak, read out of bounds or let a JSON library exception escape.
#include <cstdint>
#include <cstdlib>

#include "fuzz/fuzz_util.h"
#include "nn/safetensors.h"
#include "tensor/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = basin::fuzz::write_input("safetensors", data, size);
  try {
    basin::nn::SafetensorsFile f = basin::nn::load_safetensors(path);
    std::size_t total = 0;
    for (const auto& [name, t] : f.tensors) total += t.nbytes();
    if (total > size) std::abort();  // tensors cannot hold more bytes than the file
  } catch (const basin::Error&) {
  }
  return 0;
}
