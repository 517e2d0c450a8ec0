// The `basin` command line: train, eval, data, hessian, inspect, bench, ...
// Commands register themselves (tools/command.h); this file only parses and
// turns exceptions into one readable line and an exit status.
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "dist/communicator.h"
#include "kernels/cpu_kernels.h"
#include "tensor/error.h"
#include "tools/cli_checks.h"
#include "tools/command.h"

namespace basin::tools {

std::vector<Command>& command_registry() {
  static std::vector<Command> registry;
  return registry;
}

int& exit_status() {
  static int status = 0;
  return status;
}

}  // namespace basin::tools

namespace {

// OpenMP's threads busy-wait between parallel regions unless
// OMP_WAIT_POLICY=passive, and libgomp reads that variable once, when it loads,
// before main. Spinning threads take the cores from each other and from
// everything else running: on the shared 2-core machine the default MLP run
// trained at 856 img/s spinning and 18,600 img/s passive (bench/cpu.md), while
// on a quiet machine passive costs next to nothing. So `basin` started without
// the variable sets it and re-executes itself (same process id and arguments);
// a value the user sets is kept. If the exec fails, basin runs on as it is.
void ensure_passive_openmp_wait(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  if (setenv("OMP_WAIT_POLICY", "passive", 1) != 0) return;
  execv("/proc/self/exe", argv);
}

// glibc serves blocks above a dynamic threshold with mmap and returns freed
// memory to the system, so every training step faulted its activations in
// afresh (the kernel zeroes each new page): layers' forward passes ran up to 2x
// slower than their backward (bench/cpu.md). Blocks of 1 MiB and more now come
// from basin's own cache (tensor/cpu_allocator.h), which reuses them without
// growing past its bound; this keeps the C library doing the same for the
// smaller ones (up to glibc's maximum threshold, 32 MiB, for anything else that
// calls malloc, e.g. oneDNN's primitives).
void keep_freed_memory_for_reuse() {
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace basin::tools;
  ensure_passive_openmp_wait(argv);
  keep_freed_memory_for_reuse();
  CLI::App app{"basin: train, evaluate and inspect flat-minima models (NSO, SAM, SGD) on CPU or CUDA"};
  app.set_version_flag("--version", std::string("basin ") + BASIN_VERSION, "Print basin's version and exit");
  app.require_subcommand(1);
  // Process-wide, so it belongs to no one command; fallthrough lets it follow the
  // command's name too (`basin train --cpu-kernels reference`).
  app.fallthrough();
  app.add_option_function<std::string>(
         "--cpu-kernels", [](const std::string& k) { basin::kernels::set_cpu_kernels(basin::kernels::parse_cpu_kernels(k)); },
         std::string("CPU kernels for convolution and GEMM: fast (oneDNN) or reference (basin's own, "
                     "the oracle); default ") +
             basin::kernels::cpu_kernels_name(basin::kernels::cpu_kernels()))
      ->check(CLI::IsMember({"fast", "reference"}));
  auto& registry = command_registry();
  std::sort(registry.begin(), registry.end(), [](const Command& a, const Command& b) { return a.name < b.name; });
  for (auto& c : registry) c.setup(app);
  refuse_nonfinite_floats(app);  // every float flag of every command (tools/cli_checks.h)
  int rc = 0;
  try {
    app.parse(argc, argv);
    rc = exit_status();
  } catch (const CLI::ParseError& e) {
    rc = app.exit(e);
  } catch (const std::exception& e) {
    std::string cmd = app.get_subcommands().empty() ? "" : " " + app.get_subcommands()[0]->get_name();
    // Under mpirun every rank may speak: say which one.
    std::string rank = basin::dist::world_started() && basin::dist::world().size() > 1
                           ? " [rank " + std::to_string(basin::dist::world().rank()) + "]"
                           : "";
    std::fprintf(stderr, "basin%s%s: error: %s\n", cmd.c_str(), rank.c_str(), e.what());
    rc = 1;
  }
  // MPI: finalize when every rank ends alike, else abort so that the others end too.
  basin::dist::finish(rc);
  return rc;
}
