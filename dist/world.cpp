#include "dist/communicator.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

#include "tensor/error.h"

namespace basin::dist {

namespace {

class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  std::string backend() const override { return "single"; }
  void allreduce(Tensor&, ReduceOp) override {}
  void allreduce_sum(double*, int) override {}
  void allreduce_sum(std::int64_t*, int) override {}
  void allreduce_max(std::int64_t*, int) override {}
  void broadcast(Tensor&, int) override {}
  void barrier() override {}
  [[noreturn]] void abort(int code) override { std::exit(code); }
  void finalize() override {}
  std::unique_ptr<Communicator> split(bool member) override {
    return member ? std::make_unique<SingleProcess>() : nullptr;
  }
};

Factory& mpi_factory() {
  static Factory f = nullptr;
  return f;
}

std::unique_ptr<Communicator>& the_world() {
  static std::unique_ptr<Communicator> w;
  return w;
}

int env_int(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : 0;
}

}  // namespace

std::unique_ptr<PendingReduce> Communicator::allreduce_async(Tensor& t, ReduceOp op) {
  allreduce(t, op);
  return std::make_unique<CompletedReduce>();
}

bool register_mpi_factory(Factory f) {
  mpi_factory() = f;
  return true;
}

bool have_mpi() { return mpi_factory() != nullptr; }

int launcher_size() {
  // OpenMPI's mpirun, then MPICH/Hydra and Slurm's PMI, then PMIx.
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"}) {
    const int n = env_int(v);
    if (n > 0) return n;
  }
  return 1;
}

// BASIN_DIST=mpi: MPI (and NCCL) even for one process, so that one GPU can run
// the whole reduction path (the N = 1 check of the NCCL reducer).
bool launched_by_mpi() {
  const char* force = std::getenv("BASIN_DIST");
  return launcher_size() > 1 || (force && std::strcmp(force, "mpi") == 0 && launcher_size() == 1 &&
                                 std::getenv("OMPI_COMM_WORLD_SIZE"));
}

Communicator& world() {
  static std::mutex mu;
  std::lock_guard<std::mutex> lk(mu);
  auto& w = the_world();
  if (w) return *w;
  if (launched_by_mpi()) {
    BASIN_CHECK(have_mpi(), "this process was started by mpirun (" << launcher_size()
                                << " processes) but this basin was built without MPI: install OpenMPI "
                                   "(Debian: apt-get install libopenmpi-dev openmpi-bin) and rebuild "
                                   "(cmake -DBASIN_MPI=ON, or bash scripts/build.sh), or run without mpirun");
    w = mpi_factory()();
  } else {
    w = std::make_unique<SingleProcess>();
  }
  return *w;
}

bool world_started() { return the_world() != nullptr; }

void finish(int rc) {
  auto& w = the_world();
  if (!w || w->backend() == "single") return;
  if (rc == 0 || rc == 130) w->finalize();
  else w->abort(rc);
}

}  // namespace basin::dist
