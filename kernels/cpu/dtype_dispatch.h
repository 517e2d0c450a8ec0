#pragma once
// Runs a generic lambda with the C++ type of a DType: visit_dtype(dt, op, [&](auto tag)
// { using T = typename decltype(tag)::type; ... }). Half types are reserved and
// rejected, naming the op.
#include <cstdint>
#include <type_traits>

#include "tensor/dtype.h"
#include "tensor/error.h"

namespace basin::kernels::cpu {

template <typename T> struct TypeTag { using type = T; };

template <typename Fn>
void visit_dtype(DType dt, const char* op, Fn&& fn) {
  switch (dt) {
    case DType::Float32: fn(TypeTag<float>{}); return;
    case DType::Int32: fn(TypeTag<std::int32_t>{}); return;
    case DType::Int64: fn(TypeTag<std::int64_t>{}); return;
    case DType::UInt8: fn(TypeTag<std::uint8_t>{}); return;
    default: BASIN_FAIL(op << ": dtype " << dtype_name(dt) << " is not supported on the CPU backend");
  }
}

// Value conversion as C/PyTorch casts do (float -> int truncates toward zero);
// going through int64 keeps float -> uint8 defined for negative values (wraps).
template <typename To, typename From>
inline To convert(From v) {
  if constexpr (std::is_same_v<To, std::uint8_t> && std::is_floating_point_v<From>) {
    return static_cast<std::uint8_t>(static_cast<std::int64_t>(v));
  } else {
    return static_cast<To>(v);
  }
}

}  // namespace basin::kernels::cpu
