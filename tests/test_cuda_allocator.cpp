// The CUDA caching allocator, the per-device context and the error-check macros.
#include <gtest/gtest.h>

#ifdef BASIN_WITH_CUDA

#include <string>

#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"
#include "tensor/cuda/caching_allocator.h"
#include "tensor/tensor.h"

using namespace basin;

#define REQUIRE_CUDA() \
  if (!basin::cuda_available()) GTEST_SKIP() << "no CUDA device: allocator tests need a GPU"

TEST(CudaAllocator, SteadyStateReusesBlocksWithoutCudaMalloc) {
  REQUIRE_CUDA();
  const std::size_t bytes = 3 * 1000 * 1000 + 7;  // not a multiple of the quantum
  void* first = cuda::allocate(bytes, 0);
  cuda::free(first, 0);
  const cuda::MemoryStats before = cuda::memory_stats(0);
  for (int i = 0; i < 100; ++i) {
    void* p = cuda::allocate(bytes, 0);
    EXPECT_EQ(p, first) << "iteration " << i << ": the cached block was not reused";
    cuda::free(p, 0);
  }
  const cuda::MemoryStats after = cuda::memory_stats(0);
  EXPECT_EQ(after.num_allocs, before.num_allocs) << "steady state called cudaMalloc";
  EXPECT_EQ(after.cached, before.cached);
  EXPECT_EQ(after.in_use, before.in_use);
  EXPECT_EQ(after.num_requests, before.num_requests + 100);
}

TEST(CudaAllocator, TensorsGoThroughTheCacheAndStatsAddUp) {
  REQUIRE_CUDA();
  const cuda::MemoryStats s0 = cuda::memory_stats(0);
  {
    Tensor t = Tensor::empty({1000}, DType::Float32, Device::cuda(0));  // 4000 B -> 4096 B
    const cuda::MemoryStats s1 = cuda::memory_stats(0);
    EXPECT_EQ(s1.in_use, s0.in_use + 4096);
    EXPECT_GE(s1.peak, s1.in_use);
  }
  const cuda::MemoryStats s2 = cuda::memory_stats(0);
  EXPECT_EQ(s2.in_use, s0.in_use);
  EXPECT_GE(s2.cached, 4096u);
  // A loop of same-shaped temporaries: no new cudaMalloc after the first round.
  auto step = [] {
    Tensor a = Tensor::ones({257, 33}, DType::Float32, Device::cuda(0));
    Tensor b = Tensor::zeros({257, 33}, DType::Float32, Device::cuda(0));
  };
  step();
  const std::uint64_t allocs = cuda::memory_stats(0).num_allocs;
  for (int i = 0; i < 50; ++i) step();
  EXPECT_EQ(cuda::memory_stats(0).num_allocs, allocs);
}

TEST(CudaAllocator, EmptyCacheReleasesOnlyUnusedBlocks) {
  REQUIRE_CUDA();
  Tensor keep = Tensor::ones({4096}, DType::Float32, Device::cuda(0));
  { Tensor tmp = Tensor::empty({1 << 20}, DType::Float32, Device::cuda(0)); }
  EXPECT_GE(cuda::memory_stats(0).cached, std::size_t{4} << 20);
  cuda::empty_cache();
  EXPECT_EQ(cuda::memory_stats(0).cached, 0u);
  for (float v : keep.to_vector()) ASSERT_EQ(v, 1.0f);
}

TEST(CudaAllocator, AbsurdRequestThrowsOutOfMemoryWithFigures) {
  REQUIRE_CUDA();
  const std::size_t absurd = std::size_t{1} << 50;  // 1 PiB
  cuda::empty_cache();  // the OOM retry releases the cuDNN workspace: do it first so in_use compares
  const cuda::MemoryStats before = cuda::memory_stats(0);
  try {
    cuda::allocate(absurd, 0);
    FAIL() << "a 1 PiB allocation succeeded";
  } catch (const OutOfMemoryError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find(std::to_string(absurd)), std::string::npos) << m;
    EXPECT_NE(m.find("in use"), std::string::npos) << m;
    EXPECT_NE(m.find("cached"), std::string::npos) << m;
    EXPECT_NE(m.find("peak"), std::string::npos) << m;
  }
  EXPECT_EQ(cuda::memory_stats(0).in_use, before.in_use);
  // Also through a tensor, and the device keeps working afterwards.
  EXPECT_THROW(Tensor::empty({std::int64_t{1} << 48}, DType::Float32, Device::cuda(0)), OutOfMemoryError);
  Tensor ok = Tensor::full({3}, 2.0, DType::Float32, Device::cuda(0));
  EXPECT_EQ(ok.to_vector(), (std::vector<float>{2, 2, 2}));
}

TEST(CudaContext, HandlesAreCreatedOnceAndWorkspaceGrows) {
  REQUIRE_CUDA();
  EXPECT_EQ(kernels::cuda::stream(), kernels::cuda::stream());
  EXPECT_NE(kernels::cuda::cublas_handle(), nullptr);
  EXPECT_NE(kernels::cuda::cudnn_handle(), nullptr);
  cudaStream_t s = nullptr;
  BASIN_CUBLAS_CHECK(cublasGetStream(kernels::cuda::cublas_handle(), &s));
  EXPECT_EQ(s, kernels::cuda::stream());
  void* w1 = kernels::cuda::workspace(1000);
  EXPECT_NE(w1, nullptr);
  EXPECT_EQ(kernels::cuda::workspace(10), w1) << "a smaller request must reuse the workspace";
  void* w2 = kernels::cuda::workspace(std::size_t{8} << 20);
  EXPECT_NE(w2, nullptr);
  BASIN_CUDA_CHECK(cudaMemsetAsync(w2, 0, std::size_t{8} << 20, kernels::cuda::stream()));
  EXPECT_NO_THROW(kernels::cuda::synchronize());
}

TEST(CudaContext, EmptyCacheReleasesTheWorkspace) {
  REQUIRE_CUDA();
  const std::size_t bytes = std::size_t{16} << 20;
  cuda::empty_cache();
  const std::size_t base = cuda::memory_stats(0).in_use;
  ASSERT_NE(kernels::cuda::workspace(bytes), nullptr);
  EXPECT_GE(cuda::memory_stats(0).in_use, base + bytes);
  cuda::empty_cache();  // the context's release hook gives the workspace back, then the cache frees it
  EXPECT_EQ(cuda::memory_stats(0).in_use, base);
  EXPECT_EQ(cuda::memory_stats(0).cached, 0u);
  void* again = kernels::cuda::workspace(bytes);  // and it is made again on demand
  BASIN_CUDA_CHECK(cudaMemsetAsync(again, 0, bytes, kernels::cuda::stream()));
  EXPECT_NO_THROW(kernels::cuda::synchronize());
}

TEST(CudaCheck, MacrosNameTheCallTheStatusAndTheLine) {
  REQUIRE_CUDA();
  try {
    BASIN_CUDA_CHECK(cudaSetDevice(100000));
    FAIL() << "cudaSetDevice(100000) succeeded";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("cudaSetDevice(100000)"), std::string::npos) << m;
    EXPECT_NE(m.find("cudaErrorInvalidDevice"), std::string::npos) << m;
    EXPECT_NE(m.find("test_cuda_allocator.cpp"), std::string::npos) << m;
  }
  cudaGetLastError();
  try {
    float* nothing = nullptr;
    BASIN_CUDA_CHECK(cudaMemcpy(nothing, nothing, 16, static_cast<cudaMemcpyKind>(12345)));
    FAIL() << "a memcpy with an invalid direction succeeded";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("cudaMemcpy("), std::string::npos) << m;
    EXPECT_NE(m.find("cudaError"), std::string::npos) << m;
  }
  cudaGetLastError();  // leave no error behind for the next test
  try {
    float one = 1.0f;
    // m = -1 is invalid for every GEMM.
    BASIN_CUBLAS_CHECK(cublasSgemm(kernels::cuda::cublas_handle(), CUBLAS_OP_N, CUBLAS_OP_N, -1, 1, 1, &one, nullptr,
                                   1, nullptr, 1, &one, nullptr, 1));
    FAIL() << "cublasSgemm with m = -1 succeeded";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("cublasSgemm"), std::string::npos) << m;
    EXPECT_NE(m.find("CUBLAS_STATUS_INVALID_VALUE"), std::string::npos) << m;
  }
  cudnnTensorDescriptor_t desc = nullptr;
  BASIN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&desc));
  try {
    // Negative sizes are CUDNN_STATUS_BAD_PARAM.
    BASIN_CUDNN_CHECK(cudnnSetTensor4dDescriptor(desc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, -1, 1, 1, 1));
    FAIL() << "a tensor descriptor with n = -1 was accepted";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("cudnnSetTensor4dDescriptor"), std::string::npos) << m;
    EXPECT_NE(m.find("CUDNN_STATUS_BAD_PARAM"), std::string::npos) << m;
  }
  BASIN_CUDNN_CHECK(cudnnDestroyTensorDescriptor(desc));
  try {
    curandGenerator_t gen = nullptr;
    BASIN_CURAND_CHECK(curandCreateGenerator(&gen, static_cast<curandRngType_t>(12345)));
    FAIL() << "curandCreateGenerator accepted an unknown generator type";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("curandCreateGenerator"), std::string::npos) << m;
    EXPECT_NE(m.find("CURAND_STATUS_"), std::string::npos) << m;
  }
}

#else  // !BASIN_WITH_CUDA

TEST(CudaAllocator, SkippedInThisBuild) { GTEST_SKIP() << "no CUDA device: this build of basin has no CUDA backend"; }

#endif
