// MPI communicator: MPI_Init_thread on construction (FUNNELED: only the training
// thread calls MPI; the data loader's threads never do), MPI_COMM_WORLD (or a
// split() of it) for the
// collectives, a shared-memory split for the local rank. CUDA tensors go to the
// device reducer (NCCL) when one is built in, else through host copies.
#include "dist/mpi/mpi_communicator.h"

#include <cstdio>
#include <vector>

#include "kernels/fill_copy.h"
#include "tensor/error.h"

namespace basin::dist {

namespace {

DeviceReducerFactory& device_reducer_factory() {
  static DeviceReducerFactory f = nullptr;
  return f;
}

void check_mpi(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  BASIN_FAIL("MPI: " << what << " failed: " << std::string(msg, static_cast<std::size_t>(len)));
}

// MPI_Iallreduce in flight on a host tensor (kept alive by the handle).
class MpiPending final : public PendingReduce {
 public:
  MpiPending(Tensor t, MPI_Request req, float scale) : t_(std::move(t)), req_(req), scale_(scale) {}
  ~MpiPending() override {
    if (!done_) MPI_Wait(&req_, MPI_STATUS_IGNORE);
  }
  bool test() override {
    if (done_) return true;
    int flag = 0;
    check_mpi(MPI_Test(&req_, &flag, MPI_STATUS_IGNORE), "MPI_Test");
    if (flag) complete();
    return done_;
  }
  void wait() override {
    if (done_) return;
    check_mpi(MPI_Wait(&req_, MPI_STATUS_IGNORE), "MPI_Wait");
    complete();
  }

 private:
  void complete() {
    done_ = true;
    if (scale_ == 1.0f) return;
    float* p = t_.data<float>();
    for (std::int64_t i = 0; i < t_.numel(); ++i) p[i] *= scale_;
  }
  Tensor t_;
  MPI_Request req_;
  float scale_;
  bool done_ = false;
};

// A CUDA tensor without a device reducer: the synchronous host-staged
// allreduce, run at wait() (waits come in start order, so ranks still pair up).
class DeferredReduce final : public PendingReduce {
 public:
  DeferredReduce(Communicator& comm, Tensor t, ReduceOp op) : comm_(comm), t_(std::move(t)), op_(op) {}
  ~DeferredReduce() override {
    if (!done_) {
      try {
        wait();
      } catch (...) {
      }
    }
  }
  void wait() override {
    if (done_) return;
    done_ = true;
    comm_.allreduce(t_, op_);
  }

 private:
  Communicator& comm_;
  Tensor t_;
  ReduceOp op_;
  bool done_ = false;
};

class MpiCommunicator final : public Communicator {
 public:
  // The world (MPI_Init_thread first), or a sub-communicator made by split().
  explicit MpiCommunicator(MPI_Comm comm = MPI_COMM_WORLD) : comm_(comm) {
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited) {
      int provided = 0;
      check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    }
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    MPI_Comm local;
    check_mpi(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local),
              "MPI_Comm_split_type");
    MPI_Comm_rank(local, &local_rank_);
    MPI_Comm_free(&local);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  std::string backend() const override { return reducer_ ? "mpi+" + reducer_->name() : "mpi"; }

  void allreduce(Tensor& t, ReduceOp op) override {
    check_flat(t, DType::Float32, "allreduce");
    if (t.numel() == 0) return;
    if (t.device().is_cuda() && device_reducer(t.device())) return reducer_->allreduce(t, op);
    Tensor h = t.device().is_cpu() ? t : t.to(Device::cpu());
    float* p = h.data<float>();
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, p, static_cast<int>(h.numel()), MPI_FLOAT, MPI_SUM, comm_),
              "MPI_Allreduce");
    if (op == ReduceOp::Avg) {
      const float inv = 1.0f / static_cast<float>(size_);
      for (std::int64_t i = 0; i < h.numel(); ++i) p[i] *= inv;
    }
    if (!t.device().is_cpu()) kernels::copy(h, t);
  }
  std::unique_ptr<PendingReduce> allreduce_async(Tensor& t, ReduceOp op) override {
    check_flat(t, DType::Float32, "allreduce_async");
    if (t.numel() == 0) return std::make_unique<CompletedReduce>();
    if (t.device().is_cuda()) {
      if (device_reducer(t.device())) return reducer_->allreduce_async(t, op);
      return std::make_unique<DeferredReduce>(*this, t, op);
    }
    MPI_Request req = MPI_REQUEST_NULL;
    check_mpi(MPI_Iallreduce(MPI_IN_PLACE, t.data<float>(), static_cast<int>(t.numel()), MPI_FLOAT, MPI_SUM, comm_,
                             &req),
              "MPI_Iallreduce");
    return std::make_unique<MpiPending>(t, req, op == ReduceOp::Avg ? 1.0f / static_cast<float>(size_) : 1.0f);
  }
  void allreduce_sum(double* v, int n) override {
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_DOUBLE, MPI_SUM, comm_), "MPI_Allreduce");
  }
  void allreduce_sum(std::int64_t* v, int n) override {
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_INT64_T, MPI_SUM, comm_), "MPI_Allreduce");
  }
  void allreduce_max(std::int64_t* v, int n) override {
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_INT64_T, MPI_MAX, comm_), "MPI_Allreduce");
  }
  void broadcast(Tensor& t, int root) override {
    BASIN_CHECK(t.dtype() == DType::Float32 || t.dtype() == DType::Int64,
                "broadcast: float32 or int64 tensors only, got " << t.str());
    check_flat(t, t.dtype(), "broadcast");
    if (t.numel() == 0) return;
    if (t.device().is_cuda() && t.dtype() == DType::Float32 && device_reducer(t.device()))
      return reducer_->broadcast(t, root);
    Tensor h = t.device().is_cpu() ? t : t.to(Device::cpu());
    check_mpi(MPI_Bcast(h.raw_data(), static_cast<int>(h.nbytes()), MPI_BYTE, root, comm_), "MPI_Bcast");
    if (!t.device().is_cpu()) kernels::copy(h, t);
  }
  void barrier() override { check_mpi(MPI_Barrier(comm_), "MPI_Barrier"); }
  std::unique_ptr<Communicator> split(bool member) override {
    MPI_Comm sub = MPI_COMM_NULL;
    check_mpi(MPI_Comm_split(comm_, member ? 0 : MPI_UNDEFINED, rank_, &sub), "MPI_Comm_split");
    if (sub == MPI_COMM_NULL) return nullptr;
    return std::make_unique<MpiCommunicator>(sub);
  }
  [[noreturn]] void abort(int code) override {
    std::fflush(stdout);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);
  }
  ~MpiCommunicator() override {
    if (comm_ == MPI_COMM_WORLD) return;  // the world ends with finalize()
    reducer_.reset();
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Comm_free(&comm_);
  }
  void finalize() override {
    reducer_.reset();
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }

 private:
  static void check_flat(const Tensor& t, DType dt, const char* who) {
    BASIN_CHECK(t.defined() && t.dtype() == dt && t.is_contiguous(),
                who << ": expected a contiguous " << dtype_name(dt) << " tensor, got " << t.str());
    BASIN_CHECK(t.numel() <= (std::int64_t{1} << 31) - 1, who << ": " << t.numel() << " elements is past MPI's int count");
  }
  // The NCCL reducer for the device of the first CUDA tensor seen (one GPU per rank).
  DeviceReducer* device_reducer(Device d) {
    if (!reducer_ && device_reducer_factory()) reducer_ = device_reducer_factory()(comm_, rank_, size_, d.index);
    return reducer_.get();
  }

  MPI_Comm comm_;
  int rank_ = 0, size_ = 1, local_rank_ = 0;
  std::unique_ptr<DeviceReducer> reducer_;
};

std::unique_ptr<Communicator> make_mpi() { return std::make_unique<MpiCommunicator>(); }

[[maybe_unused]] const bool registered = register_mpi_factory(&make_mpi);

}  // namespace

bool register_device_reducer(DeviceReducerFactory f) {
  device_reducer_factory() = f;
  return true;
}

}  // namespace basin::dist
