// `basin hessian`'s Lanczos, Hutch++, per-layer and density options end to end
// on a tiny trained MLP, `basin plot` of the density CSV, and the old flag names
// (--power-iters, --hessian-power-iters) still accepted beside the new ones.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/cli_test_util.h"

namespace fs = std::filesystem;
using basin::testing::CliRun;
using basin::testing::slurp;

namespace {

std::string scratch() {
  static basin::testing::ScratchDir dir("hessian_cli");
  return dir.path();
}

CliRun run(const std::string& args) { return basin::testing::run_basin(args, scratch()); }

// A 1-epoch MLP that also logged its curvature under the new flag name.
const std::string& weights() {
  static const std::string w = [] {
    const std::string d = scratch() + "/run";
    CliRun r = run(basin::testing::tiny_train_args(d, 1) +
                   " --hessian-every 1 --hessian-subset 32 --hessian-samples 2 --hessian-lanczos-steps 4");
    EXPECT_EQ(r.status, 0) << r.err;
    const auto m = nlohmann::json::parse(slurp(d + "/metrics.jsonl"));
    EXPECT_TRUE(m.contains("top_eigenvalue")) << m.dump();
    return d + "/model.safetensors";
  }();
  return w;
}

}  // namespace

TEST(HessianCli, TopKHutchppPerLayerAndDensity) {
  if (!fs::exists(basin::testing::basin_binary())) GTEST_SKIP() << "no basin binary";
  const std::string csv = scratch() + "/density.csv";
  CliRun r = run("hessian --weights " + weights() +
                 " --subset 32 --samples 6 --trace-estimator hutchpp --top-k 3 --lanczos-steps 12 --per-layer"
                 " --density " + csv + " --density-runs 2 --density-steps 8 --gap-samples 1 --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
  EXPECT_EQ(j["trace_estimator"], "hutchpp");
  ASSERT_EQ(j["top_eigenvalues"].size(), 3u);
  const std::vector<double> top = j["top_eigenvalues"].get<std::vector<double>>();
  EXPECT_GE(top[0], top[1]);
  EXPECT_GE(top[1], top[2]);
  EXPECT_DOUBLE_EQ(j["top_eigenvalue"].get<double>(), top[0]);
  EXPECT_LE(j["min_eigenvalue"].get<double>(), top[2]);
  EXPECT_EQ(j["power_iters"], j["lanczos_steps"]);
  ASSERT_FALSE(j["per_layer"].empty());
  for (const auto& l : j["per_layer"]) {
    EXPECT_TRUE(l.contains("top_eigenvalue")) << l.dump();
    // A diagonal block's top eigenvalue never exceeds the whole Hessian's
    // (up to the Lanczos estimates' slack on this 12-step run).
    EXPECT_LE(l["top_eigenvalue"].get<double>(), 1.05 * top[0] + 1e-6) << l.dump();
  }
  EXPECT_EQ(j["density_file"], csv);
  EXPECT_NE(r.out.find("min eigenvalue"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("top eigenvalues"), std::string::npos) << r.out;
  // The CSV: header, 1000 rows, density >= 0 integrating to ~1 (trapezoid).
  std::istringstream in(slurp(csv));
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line, "eigenvalue,density");
  std::vector<double> x, y;
  while (std::getline(in, line)) {
    const auto c = line.find(',');
    x.push_back(std::stod(line.substr(0, c)));
    y.push_back(std::stod(line.substr(c + 1)));
    EXPECT_GE(y.back(), 0.0);
  }
  ASSERT_EQ(x.size(), 1000u);
  double integral = 0;
  for (std::size_t i = 1; i < x.size(); ++i) integral += 0.5 * (x[i] - x[i - 1]) * (y[i] + y[i - 1]);
  EXPECT_NEAR(integral, 1.0, 1e-3);

  if (std::system("command -v gnuplot > /dev/null 2>&1") != 0) GTEST_SKIP() << "gnuplot not installed";
  const std::string svg = scratch() + "/density.svg";
  CliRun p = run("plot " + csv + " --out " + svg);
  ASSERT_EQ(p.status, 0) << p.err;
  const std::string text = slurp(svg);
  EXPECT_NE(text.find("<svg"), std::string::npos);
  EXPECT_NE(text.find("Hessian spectral density"), std::string::npos);
  // Run folders and density files do not mix in one figure.
  CliRun mixed = run("plot " + csv + " " + scratch() + "/run --out " + svg);
  EXPECT_NE(mixed.status, 0);
  EXPECT_NE(mixed.err.find("not both"), std::string::npos) << mixed.err;
}

TEST(HessianCli, OldPowerItersFlagCapsLanczosAndBadEstimatorIsRefused) {
  if (!fs::exists(basin::testing::basin_binary())) GTEST_SKIP() << "no basin binary";
  CliRun r = run("hessian --weights " + weights() + " --subset 32 --samples 2 --power-iters 3 --gap-samples 1 --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
  EXPECT_LE(j["lanczos_steps"].get<int>(), 4);  // top_k 1: at least 2k + 2 = 4 steps allowed
  EXPECT_EQ(j["trace_estimator"], "hutchinson");
  CliRun bad = run("hessian --weights " + weights() + " --subset 32 --trace-estimator nope");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("trace-estimator"), std::string::npos) << bad.err;
  CliRun small = run("hessian --weights " + weights() + " --subset 32 --trace-estimator hutchpp --samples 2");
  EXPECT_NE(small.status, 0);
  EXPECT_NE(small.err.find("--samples >= 3"), std::string::npos) << small.err;
}

// `basin plot` of a run that logged its curvature draws the trace, the top and
// the most negative eigenvalue panels (train --hessian-every logs both ends of
// the same Lanczos run).
TEST(HessianCli, PlotOfALoggedRunDrawsBothEigenvaluePanels) {
  if (!fs::exists(basin::testing::basin_binary())) GTEST_SKIP() << "no basin binary";
  const std::string run_dir = fs::path(weights()).parent_path().string();
  const auto m = nlohmann::json::parse(slurp(run_dir + "/metrics.jsonl"));
  ASSERT_TRUE(m.contains("min_eigenvalue")) << m.dump();
  EXPECT_LE(m["min_eigenvalue"].get<double>(), m["top_eigenvalue"].get<double>());
  if (std::system("command -v gnuplot > /dev/null 2>&1") != 0) GTEST_SKIP() << "gnuplot not installed";
  const std::string svg = scratch() + "/run_plot.svg";
  CliRun p = run("plot " + run_dir + " --out " + svg);
  ASSERT_EQ(p.status, 0) << p.err;
  const std::string text = slurp(svg);
  EXPECT_NE(text.find("Hessian trace"), std::string::npos);
  EXPECT_NE(text.find("top eigenvalue"), std::string::npos);
  EXPECT_NE(text.find("most negative eigenvalue"), std::string::npos);
}
