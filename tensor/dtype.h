#pragma once
// Element types. float32 carries all math; the integer types carry labels and
// indices; uint8 carries decoded images. Half types are reserved so that adding
// them later does not renumber anything stored in files.
#include <cstddef>
#include <cstdint>
#include <string>

namespace basin {

enum class DType : std::uint8_t { Float32 = 0, Int32 = 1, Int64 = 2, UInt8 = 3, Float16 = 4, BFloat16 = 5 };

inline std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::Float32: case DType::Int32: return 4;
    case DType::Int64: return 8;
    case DType::UInt8: return 1;
    case DType::Float16: case DType::BFloat16: return 2;
  }
  return 0;
}

inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::Float32: return "float32";
    case DType::Int32: return "int32";
    case DType::Int64: return "int64";
    case DType::UInt8: return "uint8";
    case DType::Float16: return "float16";
    case DType::BFloat16: return "bfloat16";
  }
  return "?";
}

// Maps a C++ type to its DType at compile time (used by Tensor::data<T>()).
template <typename T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::Float32; };
template <> struct dtype_of<std::int32_t> { static constexpr DType value = DType::Int32; };
template <> struct dtype_of<std::int64_t> { static constexpr DType value = DType::Int64; };
template <> struct dtype_of<std::uint8_t> { static constexpr DType value = DType::UInt8; };

}  // namespace basin
