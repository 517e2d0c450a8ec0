// `basin plot RUNDIR [RUNDIR ...]`: one figure (PNG or SVG, by the --out
// extension) of loss, accuracy and Hessian curvature per epoch read from each
// run's metrics.jsonl, runs overlaid (e.g. SGD vs SAM vs NSO). Drawing is
// gnuplot's job (Debian: gnuplot-nox); we only write its data and script.
#include <cstdio>
#include <cstdlib>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tensor/error.h"
#include "tools/command.h"

namespace basin::tools {
namespace {

namespace fs = std::filesystem;

struct PlotCmd {
  std::vector<std::string> runs;
  std::string out = "basin_plot.png";
  std::string title;
};

// One panel: a y label and the metrics.jsonl keys drawn in it (first present wins
// per alias group, e.g. the Hessian trace is "hessian_trace" or "trace").
struct Panel {
  std::string ylabel;
  std::vector<std::vector<std::string>> series;  // alias groups
  bool log_y = false;
};

const std::vector<Panel>& panels() {
  static const std::vector<Panel> p = {
      {"loss", {{"train_loss"}, {"test_loss"}}, true},
      {"accuracy", {{"train_acc"}, {"test_acc"}}, false},
      {"Hessian trace", {{"hessian_trace", "trace"}}, false},
      {"top eigenvalue", {{"top_eigenvalue", "hessian_top_eigenvalue"}}, false},
  };
  return p;
}

std::string gp_quote(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o + "\"";
}

void run_plot(const PlotCmd& o) {
  BASIN_CHECK(std::system("command -v gnuplot > /dev/null 2>&1") == 0,
              "plot: gnuplot not found (Debian: apt-get install gnuplot-nox; scripts/install-deps.sh installs it)");
  const std::string ext = fs::path(o.out).extension().string();
  BASIN_CHECK(ext == ".png" || ext == ".svg", "plot: --out must end in .png or .svg, got '" << o.out << "'");
  fs::path tmp = fs::temp_directory_path() / ("basin_plot_" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  // runs[r][key] = (x, y) points
  std::vector<std::map<std::string, std::vector<std::pair<double, double>>>> data(o.runs.size());
  for (std::size_t r = 0; r < o.runs.size(); ++r) {
    fs::path m = fs::path(o.runs[r]) / "metrics.jsonl";
    std::ifstream in(m);
    BASIN_CHECK(in, "plot: cannot read " << m.string() << " (is '" << o.runs[r] << "' a run folder?)");
    std::string line;
    int lineno = 0;
    while (std::getline(in, line)) {
      ++lineno;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(line);
      } catch (const std::exception& e) {
        BASIN_CHECK(false, "plot: " << m.string() << " line " << lineno << " is not JSON: " << e.what());
      }
      double x = j.contains("epoch") && j["epoch"].is_number() ? j["epoch"].get<double>() : lineno;
      for (auto& [k, v] : j.items())
        if (v.is_number() && k != "epoch") data[r][k].push_back({x, v.get<double>()});
    }
  }
  std::ostringstream gp;
  gp << (ext == ".png" ? "set terminal pngcairo size 1400,1000 noenhanced\n" : "set terminal svg size 1400,1000 noenhanced\n");
  gp << "set output " << gp_quote(o.out) << "\n";
  std::vector<std::string> blocks;
  int file_id = 0;
  for (const Panel& p : panels()) {
    std::ostringstream plot;
    bool any = false;
    for (std::size_t r = 0; r < o.runs.size(); ++r) {
      for (const auto& aliases : p.series) {
        for (const auto& key : aliases) {
          auto it = data[r].find(key);
          if (it == data[r].end() || it->second.empty()) continue;
          fs::path f = tmp / (std::to_string(file_id++) + ".dat");
          std::ofstream df(f);
          for (auto& [x, y] : it->second) df << x << " " << y << "\n";
          std::string label = fs::path(o.runs[r]).filename().string();
          if (label.empty()) label = o.runs[r];
          plot << (any ? ", " : "plot ") << gp_quote(f.string()) << " using 1:2 with linespoints title "
               << gp_quote(label + " " + key);
          any = true;
          break;
        }
      }
    }
    if (!any) continue;
    std::ostringstream b;
    b << "set title " << gp_quote(p.ylabel) << "\nset xlabel \"epoch\"\nset ylabel " << gp_quote(p.ylabel) << "\n"
      << (p.log_y ? "set logscale y\n" : "unset logscale y\n") << "set key outside bottom center horizontal\n"
      << plot.str() << "\n";
    blocks.push_back(b.str());
  }
  BASIN_CHECK(!blocks.empty(), "plot: no known metrics (train_loss, test_acc, hessian_trace, ...) in the runs");
  const int cols = blocks.size() > 1 ? 2 : 1, rows = static_cast<int>((blocks.size() + 1) / 2);
  gp << "set grid\nset multiplot layout " << rows << "," << cols;
  if (!o.title.empty()) gp << " title " << gp_quote(o.title);
  gp << "\n";
  for (const auto& b : blocks) gp << b;
  gp << "unset multiplot\n";
  fs::path script = tmp / "plot.gp";
  std::ofstream(script) << gp.str();
  const std::string cmd = "gnuplot " + gp_quote(script.string()) + " 2>&1";
  int rc = std::system(cmd.c_str());
  std::error_code ec;
  fs::remove_all(tmp, ec);
  BASIN_CHECK(rc == 0, "plot: gnuplot failed (status " << rc << ")");
  BASIN_CHECK(fs::exists(o.out) && fs::file_size(o.out) > 0, "plot: gnuplot wrote nothing to " << o.out);
  std::printf("wrote %s (%zu panels, %zu runs)\n", o.out.c_str(), blocks.size(), o.runs.size());
}

void setup_plot(CLI::App& app) {
  auto o = std::make_shared<PlotCmd>();
  auto* cmd = app.add_subcommand("plot", "Plot loss, accuracy and Hessian trace per epoch of runs (gnuplot)");
  cmd->add_option("runs", o->runs, "run folders holding metrics.jsonl")->required();
  cmd->add_option("--out,-o", o->out, "output file, .png or .svg")->capture_default_str();
  cmd->add_option("--title", o->title, "figure title");
  cmd->callback([o] { run_plot(*o); });
}

}  // namespace
BASIN_COMMAND(plot, setup_plot)
}  // namespace basin::tools
