#pragma once
// Shared by the fuzz targets: the readers under test take a path (as the real
// commands do), so each input is written to one per-process scratch file first.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace basin::fuzz {

inline const std::string& write_input(const char* tag, const std::uint8_t* data, std::size_t size) {
  static const std::string path = [tag] {
    const char* dir = std::getenv("TMPDIR");
    std::string p = std::string(dir && *dir ? dir : "/tmp") + "/basin_fuzz_" + tag + "_" + std::to_string(::getpid());
    static std::string to_remove;
    to_remove = p;
    std::atexit([] { std::remove(to_remove.c_str()); });
    return p;
  }();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();  // the harness, not the reader, failed: stop loudly
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

}  // namespace basin::fuzz
