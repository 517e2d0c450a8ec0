#pragma once
// BASIN_CPU_FAST_PATH(device, fn, args...): in an entry point, after its checks,
// returns kernels::onednn::fn(args...) when `device` is the CPU and the fast
// path is built and selected (kernels/cpu_kernels.h); else does nothing, and
// the entry point goes on to BASIN_DISPATCH (the reference CPU kernels, or CUDA).
#include "kernels/cpu_kernels.h"

#ifdef BASIN_WITH_DNNL
#include "kernels/cpu/onednn/onednn.h"
#define BASIN_CPU_FAST_PATH(device, fn, ...)                                 \
  do {                                                                       \
    if ((device).is_cpu() && ::basin::kernels::use_cpu_fast_kernels())       \
      return ::basin::kernels::onednn::fn(__VA_ARGS__);                      \
  } while (0)
#else
#define BASIN_CPU_FAST_PATH(device, fn, ...) \
  do {                                       \
  } while (0)
#endif
