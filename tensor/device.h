#pragma once
// Where a tensor's bytes live. A CUDA build still runs on machines with no GPU:
// finding no device is a fact callers can query (cuda_available()), not an error.
#include <string>

namespace basin {

enum class DeviceType { CPU, CUDA };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  static Device cpu() { return {DeviceType::CPU, 0}; }
  static Device cuda(int i = 0) { return {DeviceType::CUDA, i}; }
  // Parses "cpu", "cuda", "cuda:1". Throws on anything else.
  static Device parse(const std::string& s);

  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  bool operator==(const Device& o) const { return type == o.type && (is_cpu() || index == o.index); }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const;
};

// True when this binary was built with the CUDA backend.
bool cuda_compiled();
// True when built with CUDA and at least one device can be used right now.
bool cuda_available();
// Number of usable CUDA devices (0 without CUDA).
int cuda_device_count();

}  // namespace basin
