#pragma once
// Shared state of the oneDNN fast path: one CPU engine, a stream per thread,
// scratch buffers per thread (blocked copies of operands and oneDNN's
// scratchpad), and a per-shape cache of
// primitive descriptors and primitives (creating them costs far more than a
// small convolution, so each shape builds its primitives once, as PyTorch does).
#include <oneapi/dnnl/dnnl.hpp>

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "tensor/tensor.h"

namespace basin::kernels::onednn {

const dnnl::engine& engine();
dnnl::stream& stream();  // this thread's

// A grow-only 64-byte aligned buffer from basin's CPU allocator.
class Scratch {
 public:
  Scratch() = default;
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  void* get(std::size_t bytes);
  // Gives a large buffer back to the allocator's cache (tensor/cpu_allocator.h).
  void release_if_large();

 private:
  void* p_ = nullptr;
  std::size_t size_ = 0;
};
// This thread's scratch buffers by role: operands in oneDNN's layout
// (Src, Dst, Weights) and the primitives' scratchpad.
enum class Slot { Src, Dst, Weights, Scratchpad, Count };
void* scratch(Slot s, std::size_t bytes);

// Held for the length of one fast-path operation: at its end this thread's
// large scratch buffers go back to the CPU allocator's cache. They are the size
// of whole activations (ResNet-34's stem, batch 32: 103 MB in oneDNN's blocked
// layout); kept for the whole run they would sit beside the activations at the
// memory peak, returned they are reused by the next operation or tensor of that
// size, from the cache, without faulting pages in again.
class ScratchScope {
 public:
  ScratchScope() = default;
  ~ScratchScope();
  ScratchScope(const ScratchScope&) = delete;
  ScratchScope& operator=(const ScratchScope&) = delete;
};

using dims = dnnl::memory::dims;
dims dims_of(const Shape& s);
// A plain (row-major, "abcd"-style) float descriptor of `d`.
dnnl::memory::desc plain_desc(const dims& d);

// An operand in the layout a primitive wants: the tensor's own buffer when the
// layouts agree, else a scratch buffer filled (copy_in) by a reorder from it.
dnnl::memory as_layout(const dnnl::memory::desc& want, const dnnl::memory::desc& have, void* data, Slot slot,
                       bool copy_in);
// Copies `from` (in a primitive's layout) into the plain buffer `data` when they
// differ (the result of as_layout(..., copy_in = false)).
void copy_out(const dnnl::memory& from, const dnnl::memory::desc& have, void* data);

// Per-shape cache: get<T>(key, make) returns the entry for key, built once by
// make(). Entries live until the process ends (a model has few shapes).
template <typename T>
class PrimitiveCache {
 public:
  template <typename Make>
  const T& get(const std::string& key, Make make) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) it = map_.emplace(key, std::make_unique<T>(make())).first;
    return *it->second;
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<T>> map_;
};

// Runs `prim` with `args` plus the user scratchpad the descriptor asks for, and waits.
void execute(const dnnl::primitive& prim, const dnnl::memory::desc& scratchpad,
             std::unordered_map<int, dnnl::memory> args);
// A primitive attribute with a user-managed scratchpad (see execute()).
dnnl::primitive_attr user_scratchpad();

}  // namespace basin::kernels::onednn
