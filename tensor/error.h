#pragma once
// basin reports bad input with exceptions whose messages say what went wrong,
// in which op, with which shapes or files. BASIN_CHECK(cond, stream-expression)
// builds such a message only when the check fails.
#include <sstream>
#include <stdexcept>
#include <string>

namespace basin {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Raised when a device allocation fails even after the cache was emptied.
struct OutOfMemoryError : Error {
  using Error::Error;
};

}  // namespace basin

#define BASIN_CHECK(cond, msg)                                   \
  do {                                                           \
    if (!(cond)) {                                               \
      std::ostringstream basin_check_os_;                        \
      basin_check_os_ << msg;                                    \
      throw ::basin::Error(basin_check_os_.str());               \
    }                                                            \
  } while (0)

#define BASIN_FAIL(msg) BASIN_CHECK(false, msg)
