#pragma once
// BASIN_HD marks a small function that both the host compiler and nvcc compile:
// host+device and force-inlined under nvcc, plain inline elsewhere. Headers that
// write one formula for the CPU loops and the CUDA kernels (kernels/philox.h,
// kernels/elementwise_math.h, kernels/arena_math.h) use it.
#if defined(__CUDACC__)
#define BASIN_HD __host__ __device__ __forceinline__
#else
#define BASIN_HD inline
#endif
