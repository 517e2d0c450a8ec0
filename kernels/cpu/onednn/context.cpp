// oneDNN engine, streams, scratch buffers and reorders (kernels/cpu/onednn/context.h).
#include "kernels/cpu/onednn/context.h"

#include "tensor/cpu_allocator.h"

namespace basin::kernels::onednn {

const dnnl::engine& engine() {
  static const dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream& stream() {
  thread_local dnnl::stream s(engine());
  return s;
}

Scratch::~Scratch() { cpu_free(p_, size_); }

void* Scratch::get(std::size_t bytes) {
  if (bytes > size_) {
    cpu_free(p_, size_);
    p_ = nullptr;
    size_ = 0;
    std::size_t rounded = (bytes + 63) / 64 * 64;
    p_ = cpu_allocate(rounded);
    size_ = rounded;
  }
  return p_;
}

void Scratch::release_if_large() {
  if (size_ < kCpuCacheMinBytes) return;
  cpu_free(p_, size_);
  p_ = nullptr;
  size_ = 0;
}

namespace {
Scratch* slots() {
  thread_local Scratch s[static_cast<int>(Slot::Count)];
  return s;
}
}  // namespace

void* scratch(Slot s, std::size_t bytes) { return slots()[static_cast<int>(s)].get(bytes == 0 ? 64 : bytes); }

ScratchScope::~ScratchScope() {
  Scratch* s = slots();
  for (int i = 0; i < static_cast<int>(Slot::Count); ++i) s[i].release_if_large();
}

dims dims_of(const Shape& s) { return dims(s.begin(), s.end()); }

dnnl::memory::desc plain_desc(const dims& d) {
  using tag = dnnl::memory::format_tag;
  static const tag tags[] = {tag::undef, tag::a, tag::ab, tag::abc, tag::abcd, tag::abcde, tag::abcdef};
  return dnnl::memory::desc(d, dnnl::memory::data_type::f32, tags[d.size()]);
}

namespace {
void reorder(const dnnl::memory& from, const dnnl::memory& to) {
  // oneDNN's own primitive cache makes re-creating the same reorder cheap.
  dnnl::reorder(from, to).execute(stream(), const_cast<dnnl::memory&>(from), const_cast<dnnl::memory&>(to));
}
}  // namespace

dnnl::memory as_layout(const dnnl::memory::desc& want, const dnnl::memory::desc& have, void* data, Slot slot,
                       bool copy_in) {
  if (want == have) return dnnl::memory(have, engine(), data);
  dnnl::memory m(want, engine(), scratch(slot, want.get_size()));
  if (copy_in) reorder(dnnl::memory(have, engine(), data), m);
  return m;
}

void copy_out(const dnnl::memory& from, const dnnl::memory::desc& have, void* data) {
  if (from.get_desc() == have) return;
  reorder(from, dnnl::memory(have, engine(), data));
}

dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr a;
  a.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return a;
}

void execute(const dnnl::primitive& prim, const dnnl::memory::desc& scratchpad,
             std::unordered_map<int, dnnl::memory> args) {
  args.emplace(DNNL_ARG_SCRATCHPAD, dnnl::memory(scratchpad, engine(), scratch(Slot::Scratchpad, scratchpad.get_size())));
  prim.execute(stream(), args);
  stream().wait();
}

}  // namespace basin::kernels::onednn
