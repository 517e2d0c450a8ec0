// NCCL reducer for CUDA tensors (CUDA builds with NCCL and MPI): one rank per
// GPU. Rank 0 makes the ncclUniqueId, MPI broadcasts it, every rank joins with
// ncclCommInitRank on its device. Every collective runs on one communication
// stream of the communicator's own, in the order it was issued: an event recorded
// on basin's stream (kernels/cuda/context.h) makes the communication stream wait
// until the operand is written, the collective runs there, and basin's stream
// waits on an event recorded after it, at once for the blocking calls
// (allreduce, broadcast) or at wait() for allreduce_async (the gradient buckets
// reduced while backward runs), so later kernels see the reduced values. One
// stream for all of them matters: NCCL operations of one communicator must run
// in the same order on every rank, and two streams could let a later blocking
// all-reduce (--sync-bn's statistics during backward) start on the GPU before
// an earlier bucket's, which can hang (NCCL gives no guarantee that two of its
// kernels progress concurrently).
#include <nccl.h>

#include <string>

#include "dist/mpi/mpi_communicator.h"
#include "kernels/cuda/context.h"
#include "tensor/error.h"

namespace basin::dist {

namespace {

cudaEvent_t record_event(cudaStream_t s) {
  cudaEvent_t e = nullptr;
  BASIN_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
  BASIN_CUDA_CHECK(cudaEventRecord(e, s));
  return e;
}

// An all-reduce queued on the communication stream; `done` is recorded after it.
class NcclPending final : public PendingReduce {
 public:
  NcclPending(int device, cudaEvent_t done) : device_(device), done_(done) {}
  ~NcclPending() override {
    if (done_) {
      try {
        wait();
      } catch (...) {
      }
    }
  }
  bool test() override { return !done_ || cudaEventQuery(done_) == cudaSuccess; }
  void wait() override {
    if (!done_) return;
    kernels::cuda::DeviceGuard guard(device_);
    cudaEvent_t e = done_;
    done_ = nullptr;
    // The event may be destroyed once the wait is queued (CUDA keeps it alive).
    BASIN_CUDA_CHECK(cudaStreamWaitEvent(kernels::cuda::stream(), e, 0));
    BASIN_CUDA_CHECK(cudaEventDestroy(e));
  }

 private:
  int device_;
  cudaEvent_t done_;
};

void check_nccl(ncclResult_t rc, const char* what) {
  BASIN_CHECK(rc == ncclSuccess, "NCCL: " << what << " failed: " << ncclGetErrorString(rc));
}

class NcclReducer final : public DeviceReducer {
 public:
  NcclReducer(MPI_Comm comm, int rank, int size, int device) : device_(device) {
    ncclUniqueId id;
    if (rank == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
    BASIN_CHECK(MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, comm) == MPI_SUCCESS, "MPI: broadcasting the NCCL id failed");
    kernels::cuda::DeviceGuard guard(device_);
    check_nccl(ncclCommInitRank(&comm_, size, id, rank), "ncclCommInitRank");
  }
  ~NcclReducer() override {
    if (comm_) ncclCommDestroy(comm_);
  }
  std::string name() const override { return "nccl"; }

  void allreduce(Tensor& t, ReduceOp op) override { allreduce_async(t, op)->wait(); }
  std::unique_ptr<PendingReduce> allreduce_async(Tensor& t, ReduceOp op) override {
    check_device(t);
    kernels::cuda::DeviceGuard guard(device_);
    cudaStream_t s = comm_stream_after_basin();
    check_nccl(ncclAllReduce(t.raw_data(), t.raw_data(), static_cast<std::size_t>(t.numel()), ncclFloat32,
                             op == ReduceOp::Avg ? ncclAvg : ncclSum, comm_, s),
               "ncclAllReduce");
    return std::make_unique<NcclPending>(device_, record_event(s));
  }
  void broadcast(Tensor& t, int root) override {
    check_device(t);
    kernels::cuda::DeviceGuard guard(device_);
    cudaStream_t s = comm_stream_after_basin();
    check_nccl(ncclBroadcast(t.raw_data(), t.raw_data(), static_cast<std::size_t>(t.numel()), ncclFloat32, root,
                             comm_, s),
               "ncclBroadcast");
    NcclPending(device_, record_event(s)).wait();
  }

 private:
  void check_device(const Tensor& t) const {
    BASIN_CHECK(t.device().index == device_, "NCCL: the communicator is on cuda:" << device_ << ", the tensor on "
                                                                                  << t.device().str()
                                                                                  << " (one GPU per rank)");
  }
  // The communication stream, made to wait for everything queued on basin's
  // stream so far. Made once and kept for the process, like basin's own stream
  // (kernels/cuda/context.h: destroying streams after the driver shut down crashes).
  cudaStream_t comm_stream_after_basin() {
    if (!comm_stream_) BASIN_CUDA_CHECK(cudaStreamCreateWithFlags(&comm_stream_, cudaStreamNonBlocking));
    cudaEvent_t ready = record_event(kernels::cuda::stream());
    BASIN_CUDA_CHECK(cudaStreamWaitEvent(comm_stream_, ready, 0));
    BASIN_CUDA_CHECK(cudaEventDestroy(ready));
    return comm_stream_;
  }
  int device_;
  ncclComm_t comm_ = nullptr;
  cudaStream_t comm_stream_ = nullptr;
};

std::unique_ptr<DeviceReducer> make_nccl(MPI_Comm comm, int rank, int size, int device) {
  return std::make_unique<NcclReducer>(comm, rank, size, device);
}

[[maybe_unused]] const bool registered = register_device_reducer(&make_nccl);

}  // namespace

}  // namespace basin::dist
