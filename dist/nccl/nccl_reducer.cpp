// NCCL reducer for CUDA tensors (CUDA builds with NCCL and MPI): one rank per
// GPU. Rank 0 makes the ncclUniqueId, MPI broadcasts it, every rank joins with
// ncclCommInitRank on its device. Collectives are queued on basin's one CUDA
// stream (kernels/cuda/context.h), so they run in order after the backward
// pass's kernels and before the optimizer's, with no extra synchronization.
#include <nccl.h>

#include <string>

#include "dist/mpi/mpi_communicator.h"
#include "kernels/cuda/context.h"
#include "tensor/error.h"

namespace basin::dist {

namespace {

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

  void allreduce(Tensor& t, ReduceOp op) override {
    check_device(t);
    kernels::cuda::DeviceGuard guard(device_);
    check_nccl(ncclAllReduce(t.raw_data(), t.raw_data(), static_cast<std::size_t>(t.numel()), ncclFloat32,
                             op == ReduceOp::Avg ? ncclAvg : ncclSum, comm_, kernels::cuda::stream()),
               "ncclAllReduce");
  }
  void broadcast(Tensor& t, int root) override {
    check_device(t);
    kernels::cuda::DeviceGuard guard(device_);
    check_nccl(ncclBroadcast(t.raw_data(), t.raw_data(), static_cast<std::size_t>(t.numel()), ncclFloat32, root,
                             comm_, kernels::cuda::stream()),
               "ncclBroadcast");
  }

 private:
  void check_device(const Tensor& t) const {
    BASIN_CHECK(t.device().index == device_, "NCCL: the communicator is on cuda:" << device_ << ", the tensor on "
                                                                                  << t.device().str()
                                                                                  << " (one GPU per rank)");
  }
  int device_;
  ncclComm_t comm_ = nullptr;
};

std::unique_ptr<DeviceReducer> make_nccl(MPI_Comm comm, int rank, int size, int device) {
  return std::make_unique<NcclReducer>(comm, rank, size, device);
}

[[maybe_unused]] const bool registered = register_device_reducer(&make_nccl);

}  // namespace

}  // namespace basin::dist
