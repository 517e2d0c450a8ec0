#pragma once
// Data-parallel training's view of the other processes: who we are (rank, size,
// local rank on this machine) and the few collectives training needs. Three
// implementations, one chosen per process by world():
//   single  one process (no mpirun): every collective is the identity;
//   mpi     processes started by mpirun (OpenMPI; dist/mpi/), host buffers reduced
//           by MPI, CUDA buffers staged through the host;
//   nccl    the same MPI processes with CUDA tensors reduced by NCCL on the
//           device (dist/nccl/; the ncclUniqueId travels over MPI).
// The MPI and NCCL code is not in libbasin: it is linked into the `basin` command
// (and the dist tests) as an object library that registers itself with world(),
// so libbasin and its installed package need no MPI.
#include <cstdint>
#include <memory>
#include <string>

#include "tensor/tensor.h"

namespace basin::dist {

enum class ReduceOp { Sum, Avg };

// A collective in flight (Communicator::allreduce_async). Its buffer must stay
// untouched until wait() returned. A handle dropped without wait() waits.
class PendingReduce {
 public:
  virtual ~PendingReduce() = default;
  // Drives progress without blocking (MPI_Test); true once the result is in place.
  virtual bool test() { return false; }
  // Returns when the result is in place: on the host, or (NCCL) for all work
  // queued on basin's CUDA stream from now on.
  virtual void wait() = 0;
};

// A collective that already ran (the synchronous fallback).
class CompletedReduce final : public PendingReduce {
 public:
  bool test() override { return true; }
  void wait() override {}
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Rank among the processes on this machine (picks the GPU: cuda:local_rank).
  virtual int local_rank() const = 0;
  // "single", "mpi" or "mpi+nccl".
  virtual std::string backend() const = 0;

  // Reduces the contiguous float32 `t` across all ranks, in place, on t's device.
  // Every rank must call it with the same number of elements.
  virtual void allreduce(Tensor& t, ReduceOp op) = 0;
  // allreduce() started now and finished by the handle's wait(); collectives
  // still pair up across ranks in the order they are started. Default: the
  // synchronous allreduce (single process: nothing). MPI: MPI_Iallreduce on host
  // tensors; NCCL: on its own stream, after the work queued so far.
  virtual std::unique_ptr<PendingReduce> allreduce_async(Tensor& t, ReduceOp op);
  // Sums n host values across ranks in place (counts, flags, running sums).
  virtual void allreduce_sum(double* v, int n) = 0;
  virtual void allreduce_sum(std::int64_t* v, int n) = 0;
  // Maxima of n host values (stop flags: any rank asking makes all stop).
  virtual void allreduce_max(std::int64_t* v, int n) = 0;
  // Copies root's contiguous `t` (float32 or int64, any device) into every rank's `t`.
  virtual void broadcast(Tensor& t, int root) = 0;
  virtual void barrier() = 0;
  // Ends every process of the job (an error on this rank; the others would wait
  // forever in their next collective otherwise).
  [[noreturn]] virtual void abort(int code) = 0;
  // Orderly end (every rank calls it).
  virtual void finalize() = 0;
  // A communicator of the ranks that pass member = true (collective: every rank
  // calls it); null on the others. `basin bench` times 1..N processes with it.
  virtual std::unique_ptr<Communicator> split(bool member) = 0;
};

// The process's communicator, made on first use: MPI when the process was
// started by an MPI launcher (launched_by_mpi()), else the single process. A
// build without MPI started by mpirun throws, saying what to install.
Communicator& world();
// Whether world() was made (and with which size) without making it.
bool world_started();
// OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_SIZE... say this process is one of more
// than one; or BASIN_DIST=mpi under `mpirun -np 1` (the reduction path with one rank).
bool launched_by_mpi();
// How many processes the launcher started (1 when none).
int launcher_size();

// The end of the program: finalize() when rc is 0 or 130 (all ranks agreed to
// stop), else abort(rc) so that the other ranks end too. Nothing when world()
// was never made or is the single process.
void finish(int rc);

// ---- backends register themselves (dist/mpi/) -------------------------------------
using Factory = std::unique_ptr<Communicator> (*)();
// Returns true (for a static initializer).
bool register_mpi_factory(Factory f);
bool have_mpi();

}  // namespace basin::dist
