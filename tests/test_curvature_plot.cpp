// `basin plot` end to end: two fake runs -> a PNG (checked by its signature) and
// an SVG; a missing metrics file is an error naming it. Skips visibly without
// gnuplot or without the basin binary.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

namespace fs = std::filesystem;

namespace {

std::string basin_bin() { return std::string(BASIN_BINARY_DIR) + "/basin"; }

void write_run(const fs::path& dir, double scale) {
  fs::create_directories(dir);
  std::ofstream m(dir / "metrics.jsonl");
  for (int e = 1; e <= 5; ++e)
    m << "{\"epoch\":" << e << ",\"train_loss\":" << scale / e << ",\"test_loss\":" << 1.5 * scale / e
      << ",\"train_acc\":" << 1 - 0.1 / e << ",\"test_acc\":" << 0.9 - 0.1 / e
      << ",\"hessian_trace\":" << 100 * scale / e << ",\"hessian_trace_stderr\":" << 5 * scale / e << "}\n";
}

}  // namespace

TEST(CurvaturePlot, BasinPlotWritesPngAndSvg) {
  if (std::system("command -v gnuplot > /dev/null 2>&1") != 0) GTEST_SKIP() << "gnuplot not installed";
  if (!fs::exists(basin_bin())) GTEST_SKIP() << "basin binary not built: " << basin_bin();
  // One folder per process: suites running side by side must not share it.
  fs::path tmp = fs::temp_directory_path() / ("basin_test_plot_" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  write_run(tmp / "sgd", 1.0);
  write_run(tmp / "nso", 0.7);
  const std::string png = (tmp / "cmp.png").string(), svg = (tmp / "cmp.svg").string();
  ASSERT_EQ(std::system((basin_bin() + " plot " + (tmp / "sgd").string() + " " + (tmp / "nso").string() +
                         " --out " + png + " > /dev/null").c_str()),
            0);
  std::ifstream f(png, std::ios::binary);
  char sig[8] = {};
  f.read(sig, 8);
  EXPECT_EQ(std::string(sig + 1, 3), "PNG");
  ASSERT_EQ(std::system((basin_bin() + " plot " + (tmp / "sgd").string() + " --out " + svg + " > /dev/null").c_str()),
            0);
  std::ifstream s(svg);
  std::string text((std::istreambuf_iterator<char>(s)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("<svg"), std::string::npos);
  // Legends name the run by its folder and say what solid (train) and dashed
  // (test) mean; panels are titled, not labelled with JSON keys.
  for (const char* label : {">sgd<", ">train<", ">test<", ">Hessian trace<", ">accuracy (%)<"})
    EXPECT_NE(text.find(label), std::string::npos) << label;
  EXPECT_EQ(text.find("train_loss"), std::string::npos);
  // basin's default folder names lose their timestamp in the legend; a trailing
  // slash does not hide the name.
  write_run(tmp / "20261206-101500-mlp-sam", 0.5);
  ASSERT_EQ(std::system((basin_bin() + " plot " + (tmp / "20261206-101500-mlp-sam").string() + "/ " +
                         (tmp / "sgd").string() + " --out " + svg + " > /dev/null").c_str()),
            0);
  std::ifstream s2(svg);
  const std::string text2((std::istreambuf_iterator<char>(s2)), std::istreambuf_iterator<char>());
  EXPECT_NE(text2.find(">mlp-sam<"), std::string::npos);
  EXPECT_EQ(text2.find("20261206"), std::string::npos);
  // A folder without metrics.jsonl fails with status 1.
  EXPECT_NE(std::system((basin_bin() + " plot " + tmp.string() + " --out " + png + " 2> /dev/null").c_str()), 0);
  fs::remove_all(tmp);
}
