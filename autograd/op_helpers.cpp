#include "autograd/op_helpers.h"

#include <algorithm>

namespace basin::detail {

Tensor expand_raw(const Tensor& x, const Shape& shape, const char* op) {
  if (x.shape() == shape) return x;
  const int n = static_cast<int>(shape.size()), k = x.dim();
  BASIN_CHECK(n >= k, op << ": cannot broadcast shape " << shape_str(x.shape()) << " to " << shape_str(shape));
  Strides st(n, 0);
  for (int i = 0; i < k; ++i) {
    std::int64_t s = x.shape()[i], d = shape[n - k + i];
    BASIN_CHECK(s == d || s == 1, op << ": cannot broadcast shape " << shape_str(x.shape()) << " to "
                                     << shape_str(shape));
    st[n - k + i] = s == 1 ? 0 : x.strides()[i];
  }
  return raw::view_as(x, shape, st, x.offset());
}

Shape drop_axes(const Shape& s, const std::vector<int>& axes) {
  Shape out;
  for (int i = 0; i < static_cast<int>(s.size()); ++i)
    if (std::find(axes.begin(), axes.end(), i) == axes.end()) out.push_back(s[i]);
  return out;
}

std::vector<int> normalize_axes(const std::vector<int>& axes, int dim, const char* op) {
  std::vector<int> out;
  if (axes.empty()) {
    for (int i = 0; i < dim; ++i) out.push_back(i);
    return out;
  }
  for (int a : axes) {
    int n = normalize_axis(a, dim, op);
    BASIN_CHECK(std::find(out.begin(), out.end(), n) == out.end(), op << ": axis " << a << " given twice");
    out.push_back(n);
  }
  if (dim == 0) return {};  // axis 0 / -1 of a 0-d tensor: nothing to reduce
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace basin::detail
