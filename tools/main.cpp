// The `basin` command line: train, eval, data, hessian, inspect, bench, ...
// Commands register themselves (tools/command.h); this file only parses and
// turns exceptions into one readable line and an exit status.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>

#include "dist/communicator.h"
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

int main(int argc, char** argv) {
  using namespace basin::tools;
  CLI::App app{"basin: train, evaluate and inspect flat-minima models (NSO, SAM, SGD) on CPU or CUDA"};
  app.set_version_flag("--version", std::string("basin ") + BASIN_VERSION, "Print basin's version and exit");
  app.require_subcommand(1);
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
