#include "io/json_text.h"

namespace basin::io {

bool is_utf8(const std::string& s) {
  // Exactly the rule json_text applies: nlohmann's strict dump refuses what is not UTF-8.
  try {
    (void)nlohmann::json(s).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

}  // namespace basin::io
