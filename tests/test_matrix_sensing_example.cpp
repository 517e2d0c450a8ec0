// examples/matrix_sensing.cpp at a tiny size (d 12, r 2): it runs, prints one
// JSON line per method that parses, writes the CSV curves, and full-batch GD
// fits the training measurements (the MSE falls by orders of magnitude) while
// all three methods start from the same U0. Skips when examples are not built.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/cli_test_util.h"

TEST(MatrixSensingExample, TinyRunFitsAndPrintsJson) {
  const std::string exe = std::string(BASIN_BINARY_DIR) + "/examples/matrix_sensing";
  if (!std::filesystem::exists(exe)) GTEST_SKIP() << exe << " not built (BASIN_EXAMPLES off)";
  basin::testing::ScratchDir dir("matrix_sensing");
  const std::string csv = dir.path() + "/ms.csv", out = dir.path() + "/out.txt";
  const std::string cmd = "OMP_WAIT_POLICY=passive " + exe +
                          " --d 12 --r 2 --iters 400 --every 20 --lr 0.02 --sigma 0.02 --init-std 0.1 --csv " + csv +
                          " > " + out;
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::map<std::string, nlohmann::json> last;
  std::istringstream lines(basin::testing::slurp(out));
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line);  // throws (fails) on a line that is not JSON
    last[j.at("method").get<std::string>()] = j;
  }
  ASSERT_EQ(last.size(), 3u);
  // The CSV: iteration 0 is the same U0 for every method; GD's training MSE falls >= 100x.
  std::map<std::string, std::vector<std::vector<double>>> rows;
  std::ifstream f(csv);
  std::string line;
  std::getline(f, line);
  EXPECT_EQ(line, "method,iter,train_mse,val_mse,dist_to_truth");
  while (std::getline(f, line)) {
    std::istringstream is(line);
    std::string method, cell;
    std::getline(is, method, ',');
    std::vector<double> v;
    while (std::getline(is, cell, ',')) v.push_back(std::stod(cell));
    ASSERT_EQ(v.size(), 4u) << line;
    rows[method].push_back(v);
  }
  for (const char* m : {"gd", "wpgd", "nso"}) {
    ASSERT_EQ(rows[m].size(), 21u) << m;  // iterations 0, 20, ..., 400
    EXPECT_EQ(rows[m][0], rows["gd"][0]) << m;
    for (const char* k : {"train_mse", "val_mse", "dist_to_truth"})
      EXPECT_TRUE(last[m].at(k).is_number()) << m << " " << k;
    EXPECT_DOUBLE_EQ(last[m]["train_mse"].get<double>(), rows[m].back()[1]) << m;  // %.6g both
  }
  const double gd0 = rows["gd"].front()[1], gd_end = rows["gd"].back()[1];
  EXPECT_LT(gd_end, gd0 / 100) << "GD should fit the training measurements";
  // NSO / WP-GD take other steps (the noise is not a no-op)
  EXPECT_NE(rows["nso"].back()[1], gd_end);
  EXPECT_NE(rows["wpgd"].back()[1], rows["nso"].back()[1]);
}
