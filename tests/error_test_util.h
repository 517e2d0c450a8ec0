#pragma once
// One way for tests to say "this must fail with a message naming these things".
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "tensor/error.h"

namespace basin::testing {

// Runs fn, expects an exception of type E whose message mentions every part, and
// prints the message ("[message] ...") so docs/errors.md can quote what users see.
template <typename E = ::basin::Error, typename Fn>
void expect_error(Fn fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "expected an error mentioning " << (parts.empty() ? "" : parts[0]);
  } catch (const E& e) {
    const std::string m = e.what();
    std::printf("[message] %s\n", m.c_str());
    for (const auto& p : parts) EXPECT_NE(m.find(p), std::string::npos) << "'" << p << "' not in: " << m;
  }
}

}  // namespace basin::testing
