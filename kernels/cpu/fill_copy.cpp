// CPU fill and copy/cast over arbitrary strides.
#include "kernels/cpu/dtype_dispatch.h"
#include "kernels/cpu/strided.h"
#include "kernels/fill_copy.h"

namespace basin::kernels::cpu {

void fill(Tensor& out, double value) {
  visit_dtype(out.dtype(), "fill", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T v = convert<T>(value);
    T* p = static_cast<T*>(out.raw_data());
    for_each_strided<1>(out.shape(), {&out.strides()}, [&](std::int64_t, const auto& off) { p[off[0]] = v; });
  });
}

void copy(const Tensor& src, Tensor& dst) {
  visit_dtype(src.dtype(), "copy", [&](auto stag) {
    using S = typename decltype(stag)::type;
    visit_dtype(dst.dtype(), "copy", [&](auto dtag) {
      using D = typename decltype(dtag)::type;
      const S* s = static_cast<const S*>(src.raw_data());
      D* d = static_cast<D*>(dst.raw_data());
      for_each_strided<2>(dst.shape(), {&dst.strides(), &src.strides()},
                          [&](std::int64_t, const auto& off) { d[off[0]] = convert<D>(s[off[1]]); });
    });
  });
}

}  // namespace basin::kernels::cpu
