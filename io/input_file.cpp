#include "io/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace basin::io {

std::string file_kind(unsigned mode) {
  if (S_ISREG(mode)) return "regular file";
  if (S_ISDIR(mode)) return "folder";
  if (S_ISFIFO(mode)) return "FIFO";
  if (S_ISSOCK(mode)) return "socket";
  if (S_ISCHR(mode)) return "character device";
  if (S_ISBLK(mode)) return "block device";
  return "special file";
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

InputFile& InputFile::operator=(InputFile&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_, size_ = o.size_;
    o.fd_ = -1;
  }
  return *this;
}

std::string InputFile::open(const std::string& path) {
  if (fd_ >= 0) ::close(fd_), fd_ = -1;
  // A stat first keeps devices from being opened at all (opening some has side
  // effects); the fstat after the open is what we trust.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::strerror(errno);
  if (!S_ISREG(st.st_mode)) return "is a " + file_kind(st.st_mode) + ", not a regular file";
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return std::strerror(errno);
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const std::string why = S_ISREG(st.st_mode) ? std::strerror(errno) : "is a " + file_kind(st.st_mode) + ", not a regular file";
    ::close(fd);
    return why;
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  fd_ = fd;
  size_ = static_cast<std::uint64_t>(st.st_size);
  return "";
}

bool InputFile::read_at(void* buf, std::size_t n, std::uint64_t offset) const {
  auto* p = static_cast<char*>(buf);
  while (n > 0) {
    const ssize_t r = ::pread(fd_, p, n, static_cast<off_t>(offset));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r, n -= static_cast<std::size_t>(r), offset += static_cast<std::uint64_t>(r);
  }
  return true;
}

int InputFile::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

}  // namespace basin::io
