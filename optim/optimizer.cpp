#include "optim/optimizer.h"

#include <algorithm>
#include <cstring>

#include "kernels/fill_copy.h"

namespace basin::optim {

void ArenaRef::check(const char* who) const {
  BASIN_CHECK(params.defined() && grads.defined(), who << ": the arena's params or grads are undefined");
  BASIN_CHECK(params.dtype() == DType::Float32 && grads.dtype() == DType::Float32,
              who << ": the arena must be float32 (params " << params.str() << ", grads " << grads.str() << ")");
  BASIN_CHECK(params.is_contiguous() && grads.is_contiguous(), who << ": the arena must be contiguous");
  BASIN_CHECK(params.numel() == grads.numel() && params.device() == grads.device(),
              who << ": params " << params.str() << " and grads " << grads.str() << " do not match");
  kernels::check_ranges(who, no_decay, params.numel());
  kernels::check_ranges(who, layout, params.numel());
}

std::int64_t ArenaRef::packed_numel() const {
  if (layout.empty()) return numel();
  std::int64_t n = 0;
  for (const auto& [b, e] : layout) n += e - b;
  return n;
}

kernels::ArenaRanges merge_ranges(kernels::ArenaRanges r) {
  std::sort(r.begin(), r.end());
  kernels::ArenaRanges out;
  for (const auto& x : r) {
    if (x.first >= x.second) continue;
    if (!out.empty() && x.first <= out.back().second) out.back().second = std::max(out.back().second, x.second);
    else out.push_back(x);
  }
  return out;
}

BaseOptimizer::BaseOptimizer(ArenaRef arena, const char* who) : arena_(std::move(arena)) { arena_.check(who); }

float BaseOptimizer::step(const Closure& closure) {
  arena_.clear_grads();
  float loss = closure(true);
  update();
  return loss;
}

namespace {
// A rank-1 view of a contiguous tensor (without autograd's reshape).
Tensor flat_view(const Tensor& t) {
  BASIN_CHECK(t.is_contiguous(), "optimizer state: expected a contiguous tensor, got " << t.str());
  return Tensor::make_view(t.storage(), {t.numel()}, {1}, t.offset(), t.dtype());
}
}  // namespace

Tensor copy_flat(const Tensor& t) {
  Tensor out = Tensor::empty({t.numel()}, DType::Float32, t.device());
  kernels::arena_copy(out, flat_view(t));
  return out;
}

void load_flat(Tensor& dst, const Tensor& src, const std::string& key) {
  BASIN_CHECK(src.dtype() == DType::Float32 && src.numel() == dst.numel(),
              "load_state: '" << key << "' is " << src.str() << ", expected float32 with " << dst.numel()
                              << " elements");
  Tensor s = src.device() == dst.device() ? src : src.to(dst.device());
  if (!s.is_contiguous()) s = s.contiguous();
  kernels::arena_copy(dst, flat_view(s));
}

namespace {
// [begin, begin + n) of the contiguous flat float32 tensor t, as a view.
Tensor range_view(const Tensor& t, std::int64_t begin, std::int64_t n) {
  return Tensor::make_view(t.storage(), {n}, {1}, t.offset() + begin, DType::Float32);
}
}  // namespace

Tensor ArenaRef::pack(const Tensor& t) const {
  BASIN_CHECK(t.numel() == numel(), "optimizer state: " << t.str() << " is not arena-shaped (" << numel() << ")");
  if (layout.empty()) return copy_flat(t);
  Tensor src = flat_view(t);
  Tensor out = Tensor::empty({packed_numel()}, DType::Float32, t.device());
  std::int64_t pos = 0;
  for (const auto& [b, e] : layout) {
    Tensor dst = range_view(out, pos, e - b);
    kernels::copy(range_view(src, b, e - b), dst);
    pos += e - b;
  }
  return out;
}

void ArenaRef::unpack(Tensor& dst, const Tensor& src, const std::string& key) const {
  if (layout.empty()) return load_flat(dst, src, key);
  BASIN_CHECK(src.dtype() == DType::Float32 && src.numel() == packed_numel(),
              "load_state: '" << key << "' is " << src.str() << ", expected float32 with " << packed_numel()
                              << " elements (one per parameter)");
  Tensor s = src.device() == dst.device() ? src : src.to(dst.device());
  if (!s.is_contiguous()) s = s.contiguous();
  s = flat_view(s);
  kernels::arena_fill(dst, 0.0f);  // the padding
  std::int64_t pos = 0;
  for (const auto& [b, e] : layout) {
    Tensor d = range_view(dst, b, e - b);
    kernels::copy(range_view(s, pos, e - b), d);
    pos += e - b;
  }
}

Tensor int_scalar(std::int64_t v) { return Tensor::from_vector(std::vector<std::int64_t>{v}, {1}); }

const Tensor& find_state(const StateMap& m, const std::string& key) {
  auto it = m.find(key);
  BASIN_CHECK(it != m.end(), "load_state: the state has no entry '" << key << "'");
  return it->second;
}

std::int64_t read_int(const StateMap& m, const std::string& key) {
  Tensor t = find_state(m, key);
  BASIN_CHECK(t.numel() == 1 && (t.dtype() == DType::Int64 || t.dtype() == DType::Float32),
              "load_state: '" << key << "' must hold one int64, got " << t.str());
  if (!t.device().is_cpu()) t = t.to(Device::cpu());
  if (t.dtype() == DType::Float32) return static_cast<std::int64_t>(*t.data<float>());
  return *t.data<std::int64_t>();
}

}  // namespace basin::optim
