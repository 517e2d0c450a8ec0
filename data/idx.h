#pragma once
// IDX files, the format of MNIST and Fashion-MNIST: a magic word (two zero bytes,
// the element type, the number of dimensions), the dimensions as big-endian
// uint32, then the elements. Files may be gzip-compressed (zlib reads both kinds
// through the same gzread). Only unsigned bytes (type 0x08) are supported: that is
// what every image and label file of both datasets holds.
#include <cstdint>
#include <string>
#include <vector>

namespace basin::data {

struct IdxArray {
  std::vector<std::int64_t> dims;
  std::vector<std::uint8_t> data;  // row-major, product(dims) bytes
};

// Reads and validates `path`; any problem throws basin::Error naming the file and
// what is wrong (bad magic, unsupported type, dims, truncated or trailing data,
// corrupt gzip stream, not a regular file). max_items > 0 reads only the first
// max_items entries along dim 0 (dims[0] then says how many were read); memory
// grows with the bytes actually read, never with what the header claims.
IdxArray read_idx(const std::string& path, std::int64_t max_items = 0);
// Writes an unsigned-byte IDX file, gzip-compressed when `gzip` is true.
void write_idx(const std::string& path, const IdxArray& array, bool gzip);

}  // namespace basin::data
