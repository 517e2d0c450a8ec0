// Progress lines (train/progress.h) on a stream that is not a terminal: what a
// log file or CI sees. Plain lines only (no carriage return, no escape codes,
// no bar), at most one per interval; nothing at all for a null stream.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "train/progress.h"

using basin::train::TaskProgress;

namespace {

// Everything written to `f` so far.
std::string contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  for (int c; (c = std::fgetc(f)) != EOF;) s += static_cast<char>(c);
  return s;
}

}  // namespace

TEST(TaskProgress, NotATerminalGivesPlainLinesWithoutBarOrEscapes) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  ASSERT_FALSE(basin::train::Progress::is_terminal(f));
  TaskProgress p("eval", 4, "batches", f, /*plain_interval_s=*/0.0);
  for (int done = 1; done <= 4; ++done) p.update(done, 100, "img");
  p.finish();
  const std::string s = contents(f);
  std::fclose(f);
  EXPECT_EQ(s.find('\r'), std::string::npos) << s;
  EXPECT_EQ(s.find('\x1b'), std::string::npos) << s;
  EXPECT_EQ(s.find('['), std::string::npos) << s;  // the bar is for terminals
  EXPECT_NE(s.find("eval 1/4 batches  100 img/s  ETA "), std::string::npos) << s;
  EXPECT_NE(s.find("eval 4/4 batches  100 img/s  ETA 0:00\n"), std::string::npos) << s;
}

TEST(TaskProgress, PlainLinesWaitForTheIntervalAndUnknownTotalsHaveNoEta) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  TaskProgress quiet("export", 10, "images", f, /*plain_interval_s=*/3600.0);
  for (int done = 1; done <= 10; ++done) quiet.update(done, 5, "img");
  quiet.finish();
  EXPECT_EQ(contents(f), "");  // a short task in a log: no line at all
  TaskProgress open("hessian", 0, "loss passes", f, 0.0);
  open.update(7);
  EXPECT_EQ(contents(f), "hessian 7 loss passes\n");
  std::fclose(f);
}

TEST(TaskProgress, NullStreamPrintsNothing) {
  TaskProgress p("eval", 3, "batches", nullptr, 0.0);
  p.update(1, 1, "img");  // must not touch a stream
  p.finish();
  SUCCEED();
}
