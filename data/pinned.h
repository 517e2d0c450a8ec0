#pragma once
// Page-locked host memory for batches bound for a GPU: the copy to the device is
// then a straight DMA, queued without waiting. Implemented with the CUDA runtime
// in data/cuda/pinned.cpp (CUDA builds); elsewhere (data/pinned_fallback.cpp) it
// reports "unavailable" and the loader uses ordinary memory.
#include <cstddef>

namespace basin::data {

// nullptr when pinned memory cannot be had (no CUDA build, no device, out of it).
// `device` is made current in the calling thread first (loader workers would
// otherwise create a context on cuda:0 when training on cuda:N).
void* pinned_alloc(std::size_t nbytes, int device);
void pinned_free(void* p, int device);

// Queues a copy of nbytes from pinned `src` to device memory `dst` on `device`'s
// kernel stream (kernels/cuda/context.h) and returns without waiting. `fence`
// (an opaque event, created on first use, nullptr initially) is then recorded
// behind the copy: src must not be overwritten before pinned_fence_wait(fence).
void pinned_upload(void* dst, const void* src, std::size_t nbytes, int device, void*& fence);
// Blocks until the copy behind `fence` has finished (no-op for nullptr). Never throws.
void pinned_fence_wait(void* fence);
void pinned_fence_destroy(void* fence);

}  // namespace basin::data
