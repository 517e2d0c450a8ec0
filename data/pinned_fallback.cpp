// Pinned memory in builds without CUDA: never available (see data/pinned.h), so
// the loader never holds a pinned buffer to upload from.
#include "data/pinned.h"

#ifndef BASIN_WITH_CUDA
#include "tensor/error.h"

namespace basin::data {
void* pinned_alloc(std::size_t, int) { return nullptr; }
void pinned_free(void*, int) {}
void pinned_upload(void*, const void*, std::size_t, int, void*&) {
  BASIN_FAIL("pinned_upload: this build of basin has no CUDA backend");
}
void pinned_fence_wait(void*) {}
void pinned_fence_destroy(void*) {}
}  // namespace basin::data
#endif
