#pragma once
// Checks on command-line values, shared by every command, so a bad value is
// refused at parse time with a message naming the flag (CLI11 prefixes the
// flag: "--lr: ...", exit status 105):
//   * refuse_nonfinite_floats(app): every floating-point flag of every command
//     (any option CLI11 types as FLOAT, lists included) refuses nan, inf, -inf
//     and values that overflow to infinity (1e999). main() applies it once after
//     the commands are set up, so a float flag added later is covered too.
//   * at_least(n): an integer flag's lower bound, e.g. cmd->add_option(...)->check(at_least(1)).
#include <CLI/CLI.hpp>

namespace basin::tools {

void refuse_nonfinite_floats(CLI::App& app);

// Integers >= `min` (each element, for lists).
CLI::Validator at_least(long long min);

}  // namespace basin::tools
