// cat: copies each input into its slab of the output; the backward hands each
// input its slab of the gradient.
#include "autograd/op_helpers.h"
#include "kernels/fill_copy.h"

namespace basin {

Tensor cat(const std::vector<Tensor>& xs, int axis_in) {
  BASIN_CHECK(!xs.empty(), "cat: no tensors given");
  const Tensor& first = xs[0];
  BASIN_CHECK(first.defined() && first.dim() > 0, "cat: inputs must have at least one axis");
  int axis = normalize_axis(axis_in, first.dim(), "cat");
  Shape out_shape = first.shape();
  out_shape[axis] = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Tensor& x = xs[i];
    BASIN_CHECK(x.defined(), "cat: input " << i << " is undefined");
    BASIN_CHECK(x.dtype() == first.dtype(), "cat: input " << i << " is " << dtype_name(x.dtype()) << ", input 0 is "
                                                          << dtype_name(first.dtype()));
    BASIN_CHECK(x.device() == first.device(), "cat: input " << i << " is on " << x.device().str() << ", input 0 on "
                                                            << first.device().str());
    bool ok = x.dim() == first.dim();
    for (int d = 0; ok && d < x.dim(); ++d) ok = d == axis || x.shape()[d] == first.shape()[d];
    BASIN_CHECK(ok, "cat: input " << i << " has shape " << shape_str(x.shape()) << ", incompatible with input 0 "
                                  << shape_str(first.shape()) << " along axis " << axis_in);
    out_shape[axis] += x.shape()[axis];
  }
  Tensor out = Tensor::empty(out_shape, first.dtype(), first.device());
  std::vector<std::int64_t> starts;
  std::int64_t at = 0;
  for (const Tensor& x : xs) {
    starts.push_back(at);
    Tensor slab = out.slice(axis, at, at + x.shape()[axis]);  // out does not require grad: a plain view
    kernels::copy(x.detach(), slab);
    at += x.shape()[axis];
  }
  std::vector<std::int64_t> sizes;
  for (const Tensor& x : xs) sizes.push_back(x.shape()[axis]);
  return record("cat", out, xs, [axis, starts, sizes](const Tensor& g) {
    std::vector<Tensor> grads;
    for (size_t i = 0; i < starts.size(); ++i) grads.push_back(g.slice(axis, starts[i], starts[i] + sizes[i]).contiguous());
    return grads;
  });
}

}  // namespace basin
