#pragma once
// The MPI communicator (OpenMPI), and the hook through which the NCCL reducer
// (dist/nccl/, CUDA builds with NCCL) takes over device tensors.
#include <mpi.h>

#include <functional>
#include <memory>

#include "dist/communicator.h"

namespace basin::dist {

// Reduces CUDA tensors on the device; made by dist/nccl/ when built.
class DeviceReducer {
 public:
  virtual ~DeviceReducer() = default;
  virtual void allreduce(Tensor& t, ReduceOp op) = 0;
  // Default: the synchronous allreduce.
  virtual std::unique_ptr<PendingReduce> allreduce_async(Tensor& t, ReduceOp op) {
    allreduce(t, op);
    return std::make_unique<CompletedReduce>();
  }
  virtual void broadcast(Tensor& t, int root) = 0;
  virtual std::string name() const = 0;
};
using DeviceReducerFactory = std::unique_ptr<DeviceReducer> (*)(MPI_Comm comm, int rank, int size, int device);
bool register_device_reducer(DeviceReducerFactory f);

}  // namespace basin::dist
