// libFuzzer target: train::load_checkpoint (safetensors container + checkpoint
// metadata: format, version, position, running sums, checksum) on arbitrary bytes.
// Any input must load or throw basin::Error.
#include <cstdint>

#include "fuzz/fuzz_util.h"
#include "tensor/error.h"
#include "train/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = basin::fuzz::write_input("checkpoint", data, size);
  try {
    basin::train::CheckpointState s = basin::train::load_checkpoint(path);
    (void)s;
  } catch (const basin::Error&) {
  }
  return 0;
}
