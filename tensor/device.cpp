#include "tensor/device.h"

#include "tensor/error.h"

namespace basin {

Device Device::parse(const std::string& s) {
  if (s == "cpu") return cpu();
  if (s == "cuda") return cuda(0);
  if (s.rfind("cuda:", 0) == 0) {
    try {
      return cuda(std::stoi(s.substr(5)));
    } catch (const std::exception&) {
    }
  }
  BASIN_FAIL("unknown device '" << s << "' (expected cpu, cuda or cuda:N)");
}

std::string Device::str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }

// Without the CUDA backend these are the answers; tensor/cuda/device_cuda.cpp
// provides the real ones in CUDA builds.
#ifndef BASIN_WITH_CUDA
bool cuda_compiled() { return false; }
bool cuda_available() { return false; }
int cuda_device_count() { return 0; }
#endif

}  // namespace basin
