// The `basin` command line: train, eval, data, hessian, inspect, bench, ...
// Commands register themselves (tools/command.h); this file only parses and
// turns exceptions into one readable line and an exit status.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>

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

int main(int argc, char** argv) {
  using namespace basin::tools;
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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::string cmd = app.get_subcommands().empty() ? "" : " " + app.get_subcommands()[0]->get_name();
    std::fprintf(stderr, "basin%s: error: %s\n", cmd.c_str(), e.what());
    return 1;
  }
  return exit_status();
}
