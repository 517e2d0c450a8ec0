#pragma once
// Page-locked host memory for batches bound for a GPU: the copy to the device is
// then a straight DMA. Implemented with cudaHostAlloc in data/cuda/pinned.cpp (CUDA
// builds); elsewhere (data/pinned_fallback.cpp) it reports "unavailable" and the
// loader uses ordinary memory.
#include <cstddef>

namespace basin::data {

// nullptr when pinned memory cannot be had (no CUDA build, no device, out of it).
void* pinned_alloc(std::size_t nbytes);
void pinned_free(void* p);

}  // namespace basin::data
