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
    // read_idx's contract: data holds product(dims) bytes. A zero dim may sit
    // next to huge ones, so multiply in 128 bits and stop once past any real size.
    unsigned __int128 n = 1;
    for (std::int64_t d : a.dims) {
      if (d < 0) std::abort();
      if (n != 0 && n < (static_cast<unsigned __int128>(1) << 64)) n *= static_cast<std::uint64_t>(d);
      else if (d == 0) n = 0;
    }
    if (n != a.data.size()) std::abort();
  } catch (const basin::Error&) {
  }
  return 0;
}
