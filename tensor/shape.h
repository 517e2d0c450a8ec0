#pragma once
// Shapes and strides are small vectors of int64 (element counts, not bytes).
#include <cstdint>
#include <string>
#include <vector>

namespace basin {

using Shape = std::vector<std::int64_t>;
using Strides = std::vector<std::int64_t>;

std::int64_t numel_of(const Shape& s);
// Row-major (C order) strides for a shape.
Strides contiguous_strides(const Shape& s);
// "[2, 3, 4]"
std::string shape_str(const Shape& s);
// Normalizes a possibly negative axis against `dim`; throws naming `op` if out of range.
int normalize_axis(int axis, int dim, const char* op);
// NumPy broadcasting of two shapes; throws naming `op` and both shapes on mismatch.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

}  // namespace basin
