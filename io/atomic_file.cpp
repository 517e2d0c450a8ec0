#include "io/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "tensor/error.h"

namespace basin::io {

namespace {

std::string parent_dir(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

void write_all(int fd, const void* data, std::size_t n, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    BASIN_CHECK(w > 0, "writing " << path << " failed: " << std::strerror(errno));
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

}  // namespace

void write_file_atomic(const std::string& path, const std::function<void(const ByteSink&)>& write,
                       Durability durability) {
  const bool fsync_on = durability == Durability::Fsync;
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  BASIN_CHECK(fd >= 0, "cannot create " << tmp << ": " << std::strerror(errno));
  try {
    write([&](const void* data, std::size_t n) { write_all(fd, data, n, tmp); });
    BASIN_CHECK(!fsync_on || ::fsync(fd) == 0, "fsync of " << tmp << " failed: " << std::strerror(errno));
  } catch (...) {
    ::close(fd);
    std::remove(tmp.c_str());
    throw;
  }
  BASIN_CHECK(::close(fd) == 0, "closing " << tmp << " failed: " << std::strerror(errno));
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    BASIN_FAIL("cannot rename " << tmp << " to " << path << ": " << std::strerror(err));
  }
  if (!fsync_on) return;
  // Make the rename itself durable.
  int dfd = ::open(parent_dir(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void write_file_atomic(const std::string& path, const void* data, std::size_t n, Durability durability) {
  write_file_atomic(path, [&](const ByteSink& sink) { sink(data, n); }, durability);
}

void write_file_atomic(const std::string& path, const std::string& content, Durability durability) {
  write_file_atomic(path, content.data(), content.size(), durability);
}

void append_line_durable(const std::string& path, const std::string& line) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  BASIN_CHECK(fd >= 0, "cannot open " << path << " for appending: " << std::strerror(errno));
  std::string l = line + "\n";
  try {
    write_all(fd, l.data(), l.size(), path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::fsync(fd);
  ::close(fd);
}

}  // namespace basin::io
