#include "tools/cli_checks.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

namespace basin::tools {

namespace {

// The one float check: strtod accepts what CLI11 accepts (nan, inf, hex floats,
// 1e999 -> HUGE_VAL), so testing its result catches every non-finite spelling.
std::string finite_number(std::string& s) {
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str()) return {};  // not a number at all: CLI11's conversion names that
  if (!std::isfinite(v) || (errno == ERANGE && std::fabs(v) > 1))
    return "'" + s + "' is not a finite number";
  return {};
}

void add_finite_check(CLI::App& app) {
  for (CLI::Option* opt : app.get_options())
    if (opt->get_type_name() == "FLOAT") opt->check(CLI::Validator(finite_number, "", "finite"));
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) add_finite_check(*sub);
}

}  // namespace

void refuse_nonfinite_floats(CLI::App& app) { add_finite_check(app); }

CLI::Validator at_least(long long min) {
  return CLI::Validator(
      [min](std::string& s) -> std::string {
        errno = 0;
        char* end = nullptr;
        const long long v = std::strtoll(s.c_str(), &end, 10);
        if (end == s.c_str() || *end != '\0') return {};  // not an integer: CLI11's conversion names that
        if (errno == ERANGE || v < min) return "must be at least " + std::to_string(min) + ", got " + s;
        return {};
      },
      "", ">=" + std::to_string(min));
}

}  // namespace basin::tools
