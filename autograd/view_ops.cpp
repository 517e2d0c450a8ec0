// Differentiable views, the Tensor members declared in tensor/tensor.h (view,
// reshape, flatten, permute, transpose, slice, select, expand, unsqueeze,
// squeeze): each builds a raw view (shared storage, new geometry; tensor/tensor.cpp)
// and records how to map the view's gradient back to the input's shape. Recording
// is autograd's job, so they are defined here (docs/01, "Layering").
#include <algorithm>

#include "autograd/function.h"
#include "autograd/op_helpers.h"
#include "kernels/fill_copy.h"

namespace basin {

namespace {
std::vector<Tensor> one(Tensor g) { return std::vector<Tensor>{std::move(g)}; }

// Backward of the views that pick a sub-block (slice, select): a zero tensor of the
// input's shape with the gradient written into the same sub-block.
Tensor scatter_into_zeros(const Tensor& g, const Shape& in_shape, const Shape& view_shape,
                          const Strides& view_strides_in_contig, std::int64_t offset) {
  Tensor full = Tensor::zeros(in_shape, DType::Float32, g.device());
  Tensor region = raw::view_as(full, view_shape, view_strides_in_contig, offset);
  kernels::copy(g, region);
  return full;
}
}  // namespace

Tensor Tensor::view(const Shape& shape) const {
  Shape s = raw::infer_shape(shape, numel(), "view");
  Strides st;
  BASIN_CHECK(raw::try_view_strides(*this, s, &st),
              "view: a tensor of shape " << shape_str(this->shape()) << " with strides " << shape_str(strides())
                                         << " cannot be viewed as " << shape_str(s)
                                         << " without a copy (use reshape)");
  Tensor out = raw::view_as(*this, s, st, offset());
  Shape in = this->shape();
  return record("view", out, {*this}, [in](const Tensor& g) { return one(g.reshape(in)); });
}

Tensor Tensor::reshape(const Shape& shape) const {
  Shape s = raw::infer_shape(shape, numel(), "reshape");
  Strides st;
  if (raw::try_view_strides(*this, s, &st)) {
    Tensor out = raw::view_as(*this, s, st, offset());
    Shape in = this->shape();
    return record("reshape", out, {*this}, [in](const Tensor& g) { return one(g.reshape(in)); });
  }
  return contiguous().view(s);  // both steps record their own nodes
}

Tensor Tensor::flatten(int start_axis) const {
  int a = normalize_axis(start_axis, dim(), "flatten");
  Shape s(shape().begin(), shape().begin() + a);
  std::int64_t rest = 1;
  for (int i = a; i < dim(); ++i) rest *= shape()[i];
  s.push_back(rest);
  return reshape(s);
}

Tensor Tensor::permute(const std::vector<int>& dims) const {
  BASIN_CHECK(static_cast<int>(dims.size()) == dim(),
              "permute: " << dims.size() << " axes given for a tensor of shape " << shape_str(shape()));
  std::vector<int> p(dims.size()), inverse(dims.size());
  std::vector<bool> seen(dims.size(), false);
  Shape s(dims.size());
  Strides st(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    p[i] = normalize_axis(dims[i], dim(), "permute");
    BASIN_CHECK(!seen[p[i]], "permute: axis " << dims[i] << " repeated for shape " << shape_str(shape()));
    seen[p[i]] = true;
    s[i] = shape()[p[i]];
    st[i] = strides()[p[i]];
    inverse[p[i]] = static_cast<int>(i);
  }
  Tensor out = raw::view_as(*this, s, st, offset());
  return record("permute", out, {*this}, [inverse](const Tensor& g) { return one(g.permute(inverse)); });
}

Tensor Tensor::transpose(int a, int b) const {
  if (dim() == 0) return permute({});
  int ia = normalize_axis(a, dim(), "transpose"), ib = normalize_axis(b, dim(), "transpose");
  std::vector<int> p(dim());
  for (int i = 0; i < dim(); ++i) p[i] = i;
  std::swap(p[ia], p[ib]);
  return permute(p);
}

Tensor Tensor::slice(int axis, std::int64_t start, std::int64_t end, std::int64_t step) const {
  BASIN_CHECK(dim() > 0, "slice: cannot slice a 0-d tensor");
  int a = normalize_axis(axis, dim(), "slice");
  BASIN_CHECK(step > 0, "slice: step must be positive, got " << step);
  const std::int64_t n = shape()[a];
  // Python semantics: negative indices count from the end, then clamp to [0, n].
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<std::int64_t>(start, 0, n);
  end = std::clamp<std::int64_t>(end, start, n);
  Shape s = shape();
  Strides st = strides();
  s[a] = (end - start + step - 1) / step;
  st[a] = strides()[a] * step;
  Tensor out = raw::view_as(*this, s, st, offset() + start * strides()[a]);
  Shape in = shape();
  return record("slice", out, {*this}, [in, a, start, step, s](const Tensor& g) {
    Strides cs = contiguous_strides(in);
    Strides vs = cs;
    vs[a] = cs[a] * step;
    return one(scatter_into_zeros(g, in, s, vs, start * cs[a]));
  });
}

Tensor Tensor::select(int axis, std::int64_t index) const {
  BASIN_CHECK(dim() > 0, "select: cannot select from a 0-d tensor");
  int a = normalize_axis(axis, dim(), "select");
  const std::int64_t n = shape()[a];
  BASIN_CHECK(index >= -n && index < n,
              "select: index " << index << " is out of range for axis " << axis << " of shape " << shape_str(shape()));
  if (index < 0) index += n;
  Shape s = shape();
  Strides st = strides();
  s.erase(s.begin() + a);
  st.erase(st.begin() + a);
  Tensor out = raw::view_as(*this, s, st, offset() + index * strides()[a]);
  Shape in = shape();
  return record("select", out, {*this}, [in, a, index, s](const Tensor& g) {
    Strides cs = contiguous_strides(in);
    Strides vs = cs;
    vs.erase(vs.begin() + a);
    return one(scatter_into_zeros(g, in, s, vs, index * cs[a]));
  });
}

Tensor Tensor::expand(const Shape& shape) const {
  // -1 keeps the input's size on that axis (as torch.expand).
  Shape s = shape;
  const int n = static_cast<int>(s.size()), k = dim();
  BASIN_CHECK(n >= k, "expand: cannot expand shape " << shape_str(this->shape()) << " to " << shape_str(shape));
  for (int i = 0; i < k; ++i)
    if (s[n - k + i] == -1) s[n - k + i] = this->shape()[i];
  Tensor out = detail::expand_raw(*this, s, "expand");
  Shape in = this->shape();
  return record("expand", out, {*this}, [in](const Tensor& g) { return one(sum_to(g, in)); });
}

Tensor Tensor::unsqueeze(int axis) const {
  int a = normalize_axis(axis, dim() + 1, "unsqueeze");
  Shape s = shape();
  Strides st = strides();
  std::int64_t stride = a < dim() ? strides()[a] * shape()[a] : 1;
  s.insert(s.begin() + a, 1);
  st.insert(st.begin() + a, stride);
  Tensor out = raw::view_as(*this, s, st, offset());
  Shape in = shape();
  return record("unsqueeze", out, {*this}, [in](const Tensor& g) { return one(g.reshape(in)); });
}

// As torch.squeeze(dim): removes the axis when its size is 1, else returns the input.
Tensor Tensor::squeeze(int axis) const {
  int a = normalize_axis(axis, dim(), "squeeze");
  if (dim() == 0 || shape()[a] != 1) return *this;
  Shape s = shape();
  Strides st = strides();
  s.erase(s.begin() + a);
  st.erase(st.begin() + a);
  Tensor out = raw::view_as(*this, s, st, offset());
  Shape in = shape();
  return record("squeeze", out, {*this}, [in](const Tensor& g) { return one(g.reshape(in)); });
}

}  // namespace basin
