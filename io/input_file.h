#pragma once
// Opening a file the user named (image, IDX, weights) for reading. Only regular
// files are accepted: a FIFO, socket or device would block the reader forever or
// never end. The open itself is non-blocking, so even a FIFO swapped in between a
// check and the open cannot hang us, and the type and size come from fstat on the
// opened descriptor, before a byte is read.
#include <cstddef>
#include <cstdint>
#include <string>

namespace basin::io {

class InputFile {
 public:
  InputFile() = default;
  ~InputFile();
  InputFile(InputFile&& o) noexcept : fd_(o.fd_), size_(o.size_) { o.fd_ = -1; }
  InputFile& operator=(InputFile&& o) noexcept;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  // Opens `path` (blocking reads once it is known to be a regular file). Returns
  // "" on success, else why not: the strerror text, or e.g. "is a FIFO, not a
  // regular file".
  std::string open(const std::string& path);
  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  std::uint64_t size() const { return size_; }  // from fstat at open
  // Reads exactly n bytes at `offset`; false on a short read or an I/O error.
  bool read_at(void* buf, std::size_t n, std::uint64_t offset) const;
  // Hands the descriptor over (e.g. to gzdopen, which closes it).
  int release();

 private:
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

// "regular file", "folder", "FIFO", "socket", "character device", ... of a st_mode.
std::string file_kind(unsigned mode);

}  // namespace basin::io
