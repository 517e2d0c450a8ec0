#include "nn/module.h"

#include "autograd/profiler.h"

#include <sstream>

#include "autograd/grad_mode.h"
#include "kernels/fill_copy.h"

namespace basin::nn {

namespace {
thread_local ForwardObserver* g_observer = nullptr;

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

// Copies `src` (any device, any dtype) into the live tensor `dst` in place.
void copy_into(const Tensor& src, const Tensor& dst) {
  Tensor d = dst;
  kernels::copy(src, d);
}
}  // namespace

long find_named(const NamedTensors& ts, const std::string& name) {
  for (size_t i = 0; i < ts.size(); ++i)
    if (ts[i].first == name) return static_cast<long>(i);
  return -1;
}

std::string LoadReport::str() const {
  std::ostringstream os;
  os << "loaded " << loaded.size() << " tensors";
  auto list = [&os](const char* what, const std::vector<std::string>& names) {
    if (names.empty()) return;
    os << "\n  " << what << " (" << names.size() << "):";
    for (const auto& n : names) os << " " << n;
  };
  list("missing", missing);
  list("unexpected", unexpected);
  if (!mismatched.empty()) {
    os << "\n  wrong shape (" << mismatched.size() << "):";
    for (const auto& m : mismatched)
      os << " " << m.name << " (model " << shape_str(m.expected) << ", given " << shape_str(m.got) << ")";
  }
  list("skipped", skipped);
  list("kept (not in the state; optional, as in PyTorch)", kept);
  return os.str();
}

Module::~Module() = default;

Tensor Module::operator()(const Tensor& x) {
  Tensor y;
  if (Profiler::active() && children_.empty()) {
    // Leaf layers only, so a block's time is not counted again in its parent.
    ProfileTimer timer("forward", type_name_, x.device());
    y = forward(x);
  } else {
    y = forward(x);
  }
  if (g_observer) g_observer->after_forward(*this, x, y);
  return y;
}

std::int64_t Module::macs(const Shape&, const Shape&) const { return 0; }

void Module::check_new_name(const std::string& name) const {
  BASIN_CHECK(!name.empty() && name.find('.') == std::string::npos,
              type_name_ << ": invalid member name '" << name << "' (empty or contains '.')");
  BASIN_CHECK(find_named(params_, name) < 0 && find_named(buffers_, name) < 0 && !child(name),
              type_name_ << ": member '" << name << "' registered twice");
}

Tensor Module::register_parameter(const std::string& name, Tensor t) {
  check_new_name(name);
  BASIN_CHECK(t.defined(), type_name_ << ": parameter '" << name << "' is undefined");
  BASIN_CHECK(t.dtype() == DType::Float32, type_name_ << ": parameter '" << name << "' must be float32");
  t.set_requires_grad(true);
  params_.emplace_back(name, t);
  return t;
}

Tensor Module::register_buffer(const std::string& name, Tensor t) {
  check_new_name(name);
  BASIN_CHECK(t.defined(), type_name_ << ": buffer '" << name << "' is undefined");
  buffers_.emplace_back(name, t);
  return t;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> m) {
  check_new_name(name);
  BASIN_CHECK(m, type_name_ << ": child module '" << name << "' is null");
  children_.emplace_back(name, std::move(m));
}

std::shared_ptr<Module> Module::child(const std::string& name) const {
  for (const auto& [n, m] : children_)
    if (n == name) return m;
  return nullptr;
}

void Module::collect(const std::string& prefix, bool params, bool buffers, NamedTensors& out) const {
  if (params)
    for (const auto& [n, t] : params_) out.emplace_back(prefix + n, t);
  if (buffers)
    for (const auto& [n, t] : buffers_) out.emplace_back(prefix + n, t);
  for (const auto& [n, m] : children_) m->collect(prefix + n + ".", params, buffers, out);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect("", true, false, out);
  return out;
}

NamedTensors Module::named_buffers() const {
  NamedTensors out;
  collect("", false, true, out);
  return out;
}

NamedTensors Module::state_dict() const {
  NamedTensors out;
  collect("", true, true, out);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [n, t] : named_parameters()) out.push_back(t);
  return out;
}

std::int64_t Module::num_parameters() const {
  std::int64_t n = 0;
  for (auto& [name, t] : named_parameters()) n += t.numel();
  return n;
}

std::vector<std::pair<std::string, Module*>> Module::named_modules() {
  std::vector<std::pair<std::string, Module*>> out;
  // Depth-first, children in registration order.
  std::function<void(const std::string&, Module*)> walk = [&](const std::string& prefix, Module* m) {
    for (auto& [n, c] : m->children_) {
      std::string name = prefix.empty() ? n : prefix + "." + n;
      out.emplace_back(name, c.get());
      walk(name, c.get());
    }
  };
  walk("", this);
  return out;
}

void Module::train(bool on) {
  training_ = on;
  on_mode_changed();
  for (auto& [n, m] : children_) m->train(on);
}

void Module::notify_loaded() {
  on_state_loaded();
  for (auto& [n, m] : children_) m->notify_loaded();
}

LoadReport Module::load_state_dict(const NamedTensors& state, const LoadOptions& opt) {
  NoGradGuard no_grad;
  LoadReport rep;
  auto skipped_by_prefix = [&opt](const std::string& name) {
    for (const auto& p : opt.skip_prefixes)
      if (starts_with(name, p)) return true;
    return false;
  };
  NamedTensors mine = state_dict();
  const std::set<std::string> optional = optional_buffer_names();
  // Plan first, copy after: a failing strict load leaves the model untouched.
  std::vector<std::pair<const Tensor*, const Tensor*>> copies;
  for (const auto& [name, t] : mine) {
    if (skipped_by_prefix(name)) {
      rep.skipped.push_back(name + " (prefix)");
      continue;
    }
    long i = find_named(state, name);
    if (i < 0) {
      (optional.count(name) ? rep.kept : rep.missing).push_back(name);
      continue;
    }
    const Tensor& src = state[static_cast<size_t>(i)].second;
    BASIN_CHECK(src.defined(), "load_state_dict: tensor " << name << " is undefined");
    if (src.shape() != t.shape()) {
      if (opt.skip_mismatched)
        rep.skipped.push_back(name + " (model " + shape_str(t.shape()) + ", given " + shape_str(src.shape()) + ")");
      else
        rep.mismatched.push_back({name, t.shape(), src.shape()});
      continue;
    }
    // copy() would convert silently: an int32 tensor where the model holds
    // float32 means the file is not what the user thinks it is.
    BASIN_CHECK(src.dtype() == t.dtype(), "load_state_dict into " << type_name_ << ": tensor " << name << " is "
                                                                  << dtype_name(src.dtype()) << " in the given state, "
                                                                  << dtype_name(t.dtype()) << " in the model");
    copies.emplace_back(&src, &t);
    rep.loaded.push_back(name);
  }
  for (const auto& [name, t] : state) {
    if (find_named(mine, name) >= 0) continue;
    if (skipped_by_prefix(name))
      rep.skipped.push_back(name + " (prefix, not in model)");
    else
      rep.unexpected.push_back(name);
  }
  // Wrong shapes are fatal in both modes (as in PyTorch); missing/unexpected only when strict.
  bool fail = !rep.mismatched.empty() || (opt.strict && (!rep.missing.empty() || !rep.unexpected.empty()));
  BASIN_CHECK(!fail, "load_state_dict into " << type_name_ << " failed: " << rep.str());
  for (const auto& [src, dst] : copies) copy_into(*src, *dst);
  notify_loaded();
  return rep;
}

std::set<std::string> Module::optional_buffer_names() {
  std::set<std::string> out;
  auto add = [&out](const std::string& prefix, const Module& m) {
    for (const auto& [name, t] : m.buffers_)
      if (m.buffer_is_optional(name)) out.insert(prefix.empty() ? name : prefix + "." + name);
  };
  add("", *this);
  for (const auto& [prefix, m] : named_modules()) add(prefix, *m);
  return out;
}

Device Module::device() const {
  NamedTensors s = state_dict();
  return s.empty() ? Device::cpu() : s.front().second.device();
}

void Module::to(Device device) {
  NoGradGuard no_grad;
  for (const auto& [name, b] : named_buffers()) {
    if (b.device() == device) continue;
    Tensor moved = Tensor::empty(b.shape(), b.dtype(), device);
    kernels::copy(b, moved);
    rebind_impl(b, moved);
  }
  if (arena_) {
    finalize_arena(device);
    return;
  }
  for (const auto& [name, p] : named_parameters()) {
    if (p.device() == device) continue;
    Tensor moved = Tensor::empty(p.shape(), p.dtype(), device);
    kernels::copy(p, moved);
    Tensor g = p.grad();
    rebind_impl(p, moved);
    if (g.defined()) {
      Tensor gm = Tensor::empty(g.shape(), g.dtype(), device);
      kernels::copy(g, gm);
      Tensor(p).set_grad(gm);
    }
  }
}

ParameterArena& Module::finalize_arena(Device device) {
  auto fresh = std::make_unique<ParameterArena>(named_parameters(), device);
  if (arena_)
    *arena_ = std::move(*fresh);  // keep the address callers hold
  else
    arena_ = std::move(fresh);
  return *arena_;
}

ParameterArena& Module::arena() {
  BASIN_CHECK(arena_, type_name_ << ": no parameter arena (call finalize_arena(device) after building the model)");
  return *arena_;
}

void Module::zero_grad() {
  if (arena_) {
    arena_->zero_grad();
    return;
  }
  for (const auto& [name, p] : named_parameters()) {
    Tensor g = p.grad();
    if (g.defined()) kernels::fill(g, 0.0);
  }
}

ObserveForward::ObserveForward(ForwardObserver* obs) : prev_(g_observer) { g_observer = obs; }
ObserveForward::~ObserveForward() { g_observer = prev_; }

}  // namespace basin::nn
