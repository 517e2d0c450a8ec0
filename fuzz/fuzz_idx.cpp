// libFuzzer target: data::read_idx on arbitrary bytes (plain and gzip paths both
// go through zlib's gzread). Any input must give an IdxArray whose size matches
// its dims, or a basin::Error -- never a crash, a leak or undefined behaviour.
#include <cstdint>
#include <cstdlib>

#include "data/idx.h"
#include "fuzz/fuzz_util.h"
#include "tensor/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = basin::fuzz::write_input("idx", data, size);
  try {
    basin::data::IdxArray a = basin::data::read_idx(path);
    std::int64_t n = 1;
    for (std::int64_t d : a.dims) n *= d;
    if (static_cast<std::size_t>(n) != a.data.size()) std::abort();  // read_idx's contract
  } catch (const basin::Error&) {
  }
  return 0;
}
