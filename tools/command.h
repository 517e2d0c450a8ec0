#pragma once
// Each `basin <command>` lives in its own tools/cmd_<command>.cpp and registers
// itself with BASIN_COMMAND, so adding a command never edits main.cpp.
//
//   static void setup_eval(CLI::App& app) {
//     auto* cmd = app.add_subcommand("eval", "Evaluate weights on a dataset");
//     ... options bound to a shared_ptr<Options> ...
//     cmd->callback([opts] { run_eval(*opts); });
//   }
//   BASIN_COMMAND(eval, setup_eval)
//
// A callback reports failure by throwing; main prints "basin <cmd>: <message>"
// and exits with status 1 (2 for usage errors).
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace basin::tools {

struct Command {
  std::string name;
  std::function<void(CLI::App&)> setup;
};

std::vector<Command>& command_registry();

struct CommandRegistrar {
  CommandRegistrar(const char* name, std::function<void(CLI::App&)> setup) {
    command_registry().push_back({name, std::move(setup)});
  }
};

// Exit status a command wants after a successful callback (e.g. training stopped
// by SIGINT exits 130 after saving). 0 unless set.
int& exit_status();

}  // namespace basin::tools

#define BASIN_COMMAND(name, fn) \
  static ::basin::tools::CommandRegistrar basin_command_registrar_##name(#name, fn);
