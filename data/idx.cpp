#include "data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "io/input_file.h"
#include "tensor/error.h"

namespace basin::data {

namespace {
// Bigger than any MNIST-family file by far; protects against a header that
// claims billions of elements.
constexpr std::int64_t kMaxElements = std::int64_t{1} << 32;

// A gzip or plain IDX stream opened from a regular file only (a FIFO or device
// would block or never end).
class IdxReader {
 public:
  explicit IdxReader(const std::string& path) : path_(path) {
    io::InputFile in;
    const std::string why = in.open(path);
    BASIN_CHECK(why.empty(), "IDX file " << path << ": cannot open (" << why << ")");
    file_size_ = in.size();
    f_ = gzdopen(in.fd(), "rb");
    BASIN_CHECK(f_, "IDX file " << path << ": cannot open (" << std::strerror(errno) << ")");
    in.release();  // gzclose closes it
  }
  ~IdxReader() { gzclose(f_); }
  IdxReader(const IdxReader&) = delete;
  IdxReader& operator=(const IdxReader&) = delete;

  // Up to n bytes appended to `out`, in chunks: memory grows with the bytes that
  // really follow, never with what a header claims. Returns the count read.
  std::size_t read(std::vector<std::uint8_t>& out, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
      const unsigned want = static_cast<unsigned>(std::min<std::size_t>(n - got, 1 << 20));
      const std::size_t at = out.size();
      out.resize(at + want);
      const int r = gzread(f_, out.data() + at, want);
      if (r < 0) {
        int code = 0;
        const char* msg = gzerror(f_, &code);
        BASIN_FAIL("IDX file " << path_ << ": corrupt gzip stream (" << (msg ? msg : "unknown zlib error") << ")");
      }
      out.resize(at + static_cast<std::size_t>(r));
      got += static_cast<std::size_t>(r);
      if (r == 0) break;
    }
    // gzread reports a stream cut short as a clean end plus an error state.
    int code = 0;
    const char* msg = gzerror(f_, &code);
    BASIN_CHECK(code == Z_OK || code == Z_STREAM_END,
                "IDX file " << path_ << ": corrupt or truncated gzip stream (" << (msg ? msg : "?") << ")");
    return got;
  }
  bool plain() const { return gzdirect(f_) == 1; }
  std::uint64_t file_size() const { return file_size_; }

 private:
  std::string path_;
  gzFile f_ = nullptr;
  std::uint64_t file_size_ = 0;
};
}  // namespace

IdxArray read_idx(const std::string& path, std::int64_t max_items) {
  IdxReader in(path);
  std::vector<std::uint8_t> b;
  in.read(b, 4);
  BASIN_CHECK(b.size() >= 4, "IDX file " << path << ": " << b.size() << " bytes, too short for the 4-byte magic");
  BASIN_CHECK(b[0] == 0 && b[1] == 0, "IDX file " << path << ": bad magic (first two bytes are "
                                                  << int(b[0]) << ", " << int(b[1]) << ", expected 0, 0)");
  BASIN_CHECK(b[2] == 0x08, "IDX file " << path << ": element type 0x" << std::hex << int(b[2]) << std::dec
                                        << " is not supported (only unsigned bytes, 0x08)");
  const int ndim = b[3];
  BASIN_CHECK(ndim >= 1 && ndim <= 4, "IDX file " << path << ": bad magic, " << ndim << " dimensions (expected 1 to 4)");
  const std::size_t header = 4 + 4 * static_cast<std::size_t>(ndim);
  in.read(b, header - 4);
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
  // Only the first max_items along dim 0 are read (--limit-train N of a file
  // that declares millions); the rest of the file is neither read nor checked.
  std::int64_t want = total;
  const bool limited = max_items > 0 && max_items < a.dims[0];
  if (limited) {
    want = total / a.dims[0] * max_items;
    a.dims[0] = max_items;
  }
  // A plain file's size is known: a header promising more than follows is
  // refused before anything is allocated for it.
  if (in.plain() && !limited) {
    const std::uint64_t have = in.file_size() - std::min<std::uint64_t>(in.file_size(), header);
    BASIN_CHECK(have >= static_cast<std::uint64_t>(total), "IDX file " << path << ": truncated, the dims promise " << total
                                         << " bytes of data but only " << have << " follow the header");
  }
  a.data.reserve(static_cast<std::size_t>(std::min<std::int64_t>(want, in.plain() ? want : (std::int64_t{1} << 24))));
  const std::int64_t have = static_cast<std::int64_t>(in.read(a.data, static_cast<std::size_t>(want)));
  BASIN_CHECK(have >= want, "IDX file " << path << ": truncated, the dims promise " << want
                                        << " bytes of data but only " << have << " follow the header");
  if (!limited) {
    std::vector<std::uint8_t> extra;
    const std::size_t more = in.read(extra, 1 << 16);
    BASIN_CHECK(more == 0, "IDX file " << path << ": " << (more < (1u << 16) ? std::to_string(more) : "65536 or more")
                                       << " unexpected bytes after the data that the dims describe");
  }
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
