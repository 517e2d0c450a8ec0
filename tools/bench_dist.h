#pragma once
// `mpirun -np N basin bench`: the all-reduce's bandwidth over buffers of a few
// sizes, and data-parallel training throughput at 1, 2, ..., N processes (the
// first k ranks, split off the world; the others wait) at the same per-process
// batch, with the scaling efficiency img/s(k) / (k img/s(1)).
#include <cstdint>
#include <string>

#include "tools/bench_runner.h"

namespace basin::tools {

struct DistBenchOptions {
  TrainBenchConfig train;      // per process; device already chosen for this rank
  bool json = false;
};

// Rank 0 prints the tables (or one JSON document); every rank must call it.
void run_dist_bench(const DistBenchOptions& o);

}  // namespace basin::tools
