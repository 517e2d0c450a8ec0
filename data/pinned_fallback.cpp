// Pinned memory in builds without CUDA: never available (see data/pinned.h).
#include "data/pinned.h"

#ifndef BASIN_WITH_CUDA
namespace basin::data {
void* pinned_alloc(std::size_t) { return nullptr; }
void pinned_free(void*) {}
}  // namespace basin::data
#endif
