#include "data/idx.h"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "tensor/error.h"

namespace basin::data {

namespace {
// Bigger than any MNIST-family file by far; protects against a header that
// claims billions of elements.
constexpr std::int64_t kMaxElements = std::int64_t{1} << 32;

std::vector<std::uint8_t> read_all(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  BASIN_CHECK(f, "IDX file " << path << ": cannot open (" << std::strerror(errno) << ")");
  std::unique_ptr<gzFile_s, int (*)(gzFile)> guard(f, gzclose);
  std::vector<std::uint8_t> bytes;
  std::vector<std::uint8_t> chunk(1 << 16);  // 64 KiB: big enough for speed, cheap per call
  for (;;) {
    int n = gzread(f, chunk.data(), static_cast<unsigned>(chunk.size()));
    if (n < 0) {
      int code = 0;
      const char* msg = gzerror(f, &code);
      BASIN_FAIL("IDX file " << path << ": corrupt gzip stream (" << (msg ? msg : "unknown zlib error") << ")");
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + n);
    BASIN_CHECK(static_cast<std::int64_t>(bytes.size()) <= kMaxElements + 64,
                "IDX file " << path << ": larger than " << kMaxElements << " bytes");
  }
  // gzread reports a stream cut short as a clean end plus an error state.
  int code = 0;
  const char* msg = gzerror(f, &code);
  BASIN_CHECK(code == Z_OK || code == Z_STREAM_END,
              "IDX file " << path << ": corrupt or truncated gzip stream (" << (msg ? msg : "?") << ")");
  return bytes;
}
}  // namespace

IdxArray read_idx(const std::string& path) {
  std::vector<std::uint8_t> b = read_all(path);
  BASIN_CHECK(b.size() >= 4, "IDX file " << path << ": " << b.size() << " bytes, too short for the 4-byte magic");
  BASIN_CHECK(b[0] == 0 && b[1] == 0, "IDX file " << path << ": bad magic (first two bytes are "
                                                  << int(b[0]) << ", " << int(b[1]) << ", expected 0, 0)");
  BASIN_CHECK(b[2] == 0x08, "IDX file " << path << ": element type 0x" << std::hex << int(b[2]) << std::dec
                                        << " is not supported (only unsigned bytes, 0x08)");
  const int ndim = b[3];
  BASIN_CHECK(ndim >= 1 && ndim <= 4, "IDX file " << path << ": bad magic, " << ndim << " dimensions (expected 1 to 4)");
  const std::size_t header = 4 + 4 * static_cast<std::size_t>(ndim);
  BASIN_CHECK(b.size() >= header, "IDX file " << path << ": truncated header (" << b.size() << " bytes for "
                                              << ndim << " dimensions)");
  IdxArray a;
  std::int64_t total = 1;
  for (int d = 0; d < ndim; ++d) {
    const std::uint8_t* p = &b[4 + 4 * d];
    std::int64_t v = (std::int64_t{p[0]} << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
    a.dims.push_back(v);
    BASIN_CHECK(v == 0 || total <= kMaxElements / v,
                "IDX file " << path << ": dims claim more than " << kMaxElements << " elements");
    total *= v;
  }
  const std::int64_t have = static_cast<std::int64_t>(b.size() - header);
  BASIN_CHECK(have >= total, "IDX file " << path << ": truncated, the dims promise " << total
                                         << " bytes of data but only " << have << " follow the header");
  BASIN_CHECK(have == total, "IDX file " << path << ": " << (have - total)
                                         << " unexpected bytes after the data that the dims describe");
  a.data.assign(b.begin() + header, b.end());
  return a;
}

void write_idx(const std::string& path, const IdxArray& a, bool gzip) {
  BASIN_CHECK(!a.dims.empty() && a.dims.size() <= 4, "write_idx " << path << ": " << a.dims.size() << " dimensions");
  std::int64_t total = 1;
  for (auto d : a.dims) total *= d;
  BASIN_CHECK(total == static_cast<std::int64_t>(a.data.size()),
              "write_idx " << path << ": dims describe " << total << " bytes, data has " << a.data.size());
  std::vector<std::uint8_t> bytes = {0, 0, 0x08, static_cast<std::uint8_t>(a.dims.size())};
  for (auto d : a.dims)
    for (int s = 24; s >= 0; s -= 8) bytes.push_back(static_cast<std::uint8_t>(d >> s));
  bytes.insert(bytes.end(), a.data.begin(), a.data.end());
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    BASIN_CHECK(f, "write_idx: cannot create " << path);
    int n = bytes.empty() ? 0 : gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    int rc = gzclose(f);
    BASIN_CHECK(n == static_cast<int>(bytes.size()) && rc == Z_OK, "write_idx: writing " << path << " failed");
  } else {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    BASIN_CHECK(f, "write_idx: cannot create " << path);
    std::size_t n = std::fwrite(bytes.data(), 1, bytes.size(), f);
    int rc = std::fclose(f);
    BASIN_CHECK(n == bytes.size() && rc == 0, "write_idx: writing " << path << " failed");
  }
}

}  // namespace basin::data
