// scripts/reproduce/tables.sh and figure3.sh at --smoke scale (1 seed, width-4
// ResNet-18, 64 images, 1-2 epochs): each runs end to end with this build's basin and
// prints its tables with one row per method holding numbers in range (accuracies in
// [0, 100], a finite trace per Hutchinson estimate), and figure3.sh draws its plot.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cli_test_util.h"

namespace {

using basin::testing::ScratchDir;
using basin::testing::slurp;

struct Script {
  int status = -1;
  std::string out, err;
};

Script run_script(const std::string& script, const std::string& out, const std::string& scratch) {
  const std::string o = scratch + "/stdout", e = scratch + "/stderr";
  const std::string cmd = "BASIN='" + basin::testing::basin_binary() + "' bash '" + std::string(BASIN_SOURCE_DIR) +
                          "/scripts/reproduce/" + script + "' --smoke --out '" + out + "' > '" + o + "' 2> '" + e + "'";
  const int rc = std::system(cmd.c_str());
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, slurp(o), slurp(e)};
}

// The cells of the markdown row that starts with "| NAME |" in the block after `title`.
std::vector<std::vector<std::string>> rows_after(const std::string& text, const std::string& title) {
  std::vector<std::vector<std::string>> rows;
  const auto at = text.find(title);
  if (at == std::string::npos) return rows;
  std::istringstream in(text.substr(at));
  std::string line;
  std::getline(in, line);  // the title
  bool in_table = false;
  while (std::getline(in, line)) {
    if (line.rfind("|", 0) != 0) {
      if (in_table) break;
      continue;
    }
    in_table = true;
    if (line.rfind("| method", 0) == 0 || line.rfind("| epoch", 0) == 0 || line.rfind("|---", 0) == 0) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line.substr(1));
    for (std::string c; std::getline(ss, c, '|');) cells.push_back(std::regex_replace(c, std::regex("^ +| +$"), ""));
    rows.push_back(cells);
  }
  return rows;
}

double first_number(const std::string& cell) { return std::stod(cell); }  // "12.50 +- 1.0" -> 12.5

}  // namespace

TEST(ReproduceScripts, TablesSmokePrintsThreeTablesWithEveryMethod) {
  ScratchDir dir("reproduce_tables");
  const std::string out = dir.path() + "/tables";
  Script s = run_script("tables.sh", out, dir.path());
  ASSERT_EQ(s.status, 0) << s.err;
  EXPECT_EQ(slurp(out + "/tables.md"), s.out);
  const std::vector<std::string> methods{"SGD", "WP-SGD", "SAM", "ASAM", "NSO"};
  for (const char* title : {"Table 1: equal epochs", "Table 2: equal gradient evaluations"}) {
    auto rows = rows_after(s.out, title);
    ASSERT_EQ(rows.size(), methods.size()) << title << "\n" << s.out;
    for (size_t i = 0; i < rows.size(); ++i) {
      ASSERT_EQ(rows[i].size(), 7u) << s.out;
      EXPECT_EQ(rows[i][0], methods[i]);
      const double acc = first_number(rows[i][3]);
      EXPECT_GE(acc, 0);
      EXPECT_LE(acc, 100);
      EXPECT_TRUE(std::isfinite(first_number(rows[i][5])));  // tr(H)
      EXPECT_TRUE(std::isfinite(first_number(rows[i][6])));  // lambda_1
    }
    // Equal gradient evaluations: every row spends the same budget.
    if (std::string(title).find("Table 2") == 0) {
      for (const auto& r : rows) EXPECT_EQ(r[2], rows[0][2]) << r[0];
    }
  }
  // Table 1: SGD 1 epoch = 1 gradient pass, NSO (k = 1) 1 epoch = 2.
  auto t1 = rows_after(s.out, "Table 1: equal epochs");
  EXPECT_EQ(t1[0][2], "1");
  EXPECT_EQ(t1[4][2], "2");
  auto t3 = rows_after(s.out, "Table 3: transfer");
  ASSERT_EQ(t3.size(), methods.size()) << s.out;
  for (size_t i = 0; i < t3.size(); ++i) {
    EXPECT_EQ(t3[i][0], methods[i]);
    EXPECT_GE(first_number(t3[i][1]), 0);
    EXPECT_LE(first_number(t3[i][1]), 100);
  }
  // The fine-tunings started from the pre-trained backbone with a fresh head.
  const std::string ft = slurp(out + "/logs/ft-nso-s1.log");
  EXPECT_NE(ft.find("backbone 120 of 120"), std::string::npos) << ft;
  EXPECT_NE(ft.find("skipped (2): fc.weight"), std::string::npos) << ft;
  // A second run into the same folder is refused (runs are never overwritten).
  Script again = run_script("tables.sh", out, dir.path());
  EXPECT_NE(again.status, 0);
  EXPECT_NE(again.err.find("not empty"), std::string::npos) << again.err;
}

TEST(ReproduceScripts, Figure3SmokeLogsTheTracePerEpochAndPlots) {
  ScratchDir dir("reproduce_figure3");
  const std::string out = dir.path() + "/fig";
  Script s = run_script("figure3.sh", out, dir.path());
  ASSERT_EQ(s.status, 0) << s.err;
  auto rows = rows_after(s.out, "");
  ASSERT_EQ(rows.size(), 2u) << s.out;  // --smoke: 2 epochs, the trace after each
  for (const auto& r : rows) {
    ASSERT_EQ(r.size(), 10u) << s.out;  // epoch, 3 traces, 3 top eigenvalues, 3 accuracies
    for (int c = 1; c <= 6; ++c) EXPECT_TRUE(std::isfinite(first_number(r[c]))) << s.out;
    for (int c = 4; c <= 6; ++c) EXPECT_NE(first_number(r[c]), 0.0) << "lambda_1 measured: " << s.out;
  }
  if (std::system("command -v gnuplot > /dev/null 2>&1") == 0) {
    EXPECT_GT(std::filesystem::file_size(out + "/figure3.png"), 1000u);
  }
}
