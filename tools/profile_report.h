#pragma once
// `--profile` for train and eval: the per-op table of autograd/profiler.h plus the
// memory peak (the CUDA caching allocator's on a GPU, the process's RSS on the CPU).
#include <string>

#include "autograd/profiler.h"

namespace basin::tools {

// Prints the table on stderr and, when `path` is not empty, writes it there too.
void report_profile(const Profiler& p, Device device, const std::string& path);

}  // namespace basin::tools
