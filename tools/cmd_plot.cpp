// `basin plot RUNDIR [RUNDIR ...]`: one figure (PNG or SVG, by the --out
// extension) of loss, accuracy and Hessian curvature per epoch read from each
// run's metrics.jsonl, runs overlaid (e.g. SGD vs SAM vs NSO): one colour per
// run, named by its folder; train solid, test dashed; the Hessian trace with its
// standard error (hessian_trace_stderr) as error bars; integer epoch ticks. Drawing is
// gnuplot's job (Debian: gnuplot-nox); we only write its data and script. No
// user text reaches a shell or a gnuplot string unescaped: gnuplot runs without a
// shell, in a private mkdtemp folder, on files named by us, and titles and labels
// go in single-quoted strings (tools/gnuplot.h).
//
// `basin plot FILE.csv [FILE.csv ...]` instead draws Hessian spectral densities
// (`basin hessian --density FILE.csv`: columns eigenvalue,density), overlaid, on
// a log density axis as PyHessian does (the bulk near 0 and the outliers differ
// by orders of magnitude).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "io/atomic_file.h"
#include "tensor/error.h"
#include "tools/command.h"
#include "tools/gnuplot.h"

namespace basin::tools {
namespace {

namespace fs = std::filesystem;

struct PlotCmd {
  std::vector<std::string> runs;
  std::string out = "basin_plot.png";
  std::string title;
};

// One line of a panel: the metrics.jsonl key (first present of the aliases),
// whether it is the test split (dashed) and the key of its standard error
// (drawn as error bars), if any.
struct Series {
  std::vector<std::string> aliases;
  bool test = false;
  std::string stderr_key;
};

// One panel: a title and y label, its series, a log y axis, and a scale for the
// y values (accuracy is drawn in percent).
struct Panel {
  std::string ylabel;
  std::vector<Series> series;
  bool log_y = false;
  double scale = 1;
};

const std::vector<Panel>& panels() {
  static const std::vector<Panel> p = {
      {"loss", {{{"train_loss"}, false, ""}, {{"test_loss"}, true, ""}}, true, 1},
      {"accuracy (%)", {{{"train_acc"}, false, ""}, {{"test_acc"}, true, ""}}, false, 100},
      {"Hessian trace", {{{"hessian_trace", "trace"}, false, "hessian_trace_stderr"}}, false, 1},
      {"top eigenvalue", {{{"top_eigenvalue", "hessian_top_eigenvalue"}, false, ""}}, false, 1},
      // Lanczos's most negative Ritz value (train --hessian-every since Lanczos;
      // older runs lack the key, and a panel without data is left out).
      {"most negative eigenvalue", {{{"min_eigenvalue"}, false, ""}}, false, 1},
  };
  return p;
}

// One colour per run (the colour-blind-safe Okabe-Ito palette, then repeats).
const char* run_colour(std::size_t r) {
  static const char* const c[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
                                  "#F0E442"};
  return c[r % (sizeof c / sizeof c[0])];
}

using Points = std::vector<std::pair<double, double>>;  // (epoch, value)
using RunData = std::map<std::string, Points>;           // metrics.jsonl key -> points

// Every numeric key of a run's metrics.jsonl, against its epoch (the line number
// when a line has none).
RunData read_run(const std::string& dir) {
  RunData data;
  const fs::path m = fs::path(dir) / "metrics.jsonl";
  std::ifstream in(m);
  BASIN_CHECK(in, "plot: cannot read " << m.string() << " (is '" << dir << "' a run folder?)");
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
    const double x = j.contains("epoch") && j["epoch"].is_number() ? j["epoch"].get<double>() : lineno;
    for (auto& [k, v] : j.items())
      if (v.is_number() && k != "epoch") data[k].push_back({x, v.get<double>()});
  }
  return data;
}

// The legend name of each run: its folder's base name, less the
// "YYYYmmdd-HHMMSS-" start of basin's default names (train/run_dir.h) unless
// that would make two runs' names the same.
std::vector<std::string> run_names(const std::vector<std::string>& runs) {
  auto base = [](const std::string& dir) {
    fs::path p = fs::absolute(fs::path(dir)).lexically_normal();
    if (p.filename().empty()) p = p.parent_path();
    const std::string n = p.filename().string();
    return n.empty() ? dir : n;
  };
  auto stamped = [](const std::string& n) {
    auto digits = [&](std::size_t a, std::size_t len) {
      for (std::size_t i = a; i < a + len; ++i)
        if (!std::isdigit(static_cast<unsigned char>(n[i]))) return false;
      return true;
    };
    return n.size() > 16 && digits(0, 8) && n[8] == '-' && digits(9, 6) && n[15] == '-';
  };
  std::vector<std::string> full, names;
  for (const auto& r : runs) full.push_back(base(r));
  for (const auto& n : full) names.push_back(stamped(n) ? n.substr(16) : n);
  if (std::set<std::string>(names.begin(), names.end()).size() < names.size()) return full;
  return names;
}

// Writes FILE with "x y" rows (y scaled), or "x y err" when `err` has every x.
bool write_points(const fs::path& file, const Points& pts, double scale, const Points* err) {
  std::map<double, double> e;
  if (err)
    for (auto& [x, v] : *err) e[x] = v;
  const bool bars = err && std::all_of(pts.begin(), pts.end(), [&](const auto& p) { return e.count(p.first) > 0; });
  std::ofstream df(file);
  df.precision(10);
  for (auto& [x, y] : pts) {
    df << x << " " << y * scale;
    if (bars) df << " " << e[x] * scale;
    df << "\n";
  }
  BASIN_CHECK(df.flush(), "plot: cannot write " << file.string());
  return bars;
}

// The gnuplot commands of one panel, or "" when no run has its series. Data
// files are numbered from `file_id` in `dir`.
std::string panel_block(const Panel& p, const std::vector<RunData>& data, const std::vector<std::string>& names,
                        const fs::path& dir, int& file_id) {
  std::ostringstream plot;
  bool any = false, any_test = false;
  for (std::size_t r = 0; r < data.size(); ++r) {
    bool titled = false;  // each run named once per panel (its first series)
    for (const Series& s : p.series) {
      for (const auto& key : s.aliases) {
        auto it = data[r].find(key);
        if (it == data[r].end() || it->second.empty()) continue;
        const std::string f = std::to_string(file_id++) + ".dat";
        auto err = s.stderr_key.empty() ? data[r].end() : data[r].find(s.stderr_key);
        const bool bars = write_points(dir / f, it->second, p.scale, err == data[r].end() ? nullptr : &err->second);
        plot << (any ? ", " : "plot ") << gp_text(f) << (bars ? " using 1:2:3 with yerrorlines" : " using 1:2 with linespoints")
             << " lc rgb " << gp_text(run_colour(r)) << " dt " << (s.test ? 2 : 1) << " lw 2 pt 7 ps 0.7 ";
        plot << (titled ? std::string("notitle") : "title " + gp_text(names[r]));
        any = titled = true;
        any_test = any_test || s.test;
        break;
      }
    }
  }
  if (!any) return "";
  if (any_test)  // what solid and dashed mean, once per panel
    plot << ", keyentry with lines lc rgb '#555555' dt 1 lw 2 title 'train'"
         << ", keyentry with lines lc rgb '#555555' dt 2 lw 2 title 'test'";
  std::ostringstream b;
  b << "set title " << gp_text(p.ylabel) << "\nset ylabel " << gp_text(p.ylabel) << "\n"
    << (p.log_y ? "set logscale y\nset format y '%g'\n" : "unset logscale y\nset format y '%g'\n") << plot.str() << "\n";
  return b.str();
}

// Integer epoch ticks, about ten at most, over all runs' epochs.
std::string epoch_axis(const std::vector<RunData>& data) {
  double hi = 1;
  for (const auto& run : data)
    for (const auto& [k, pts] : run)
      for (const auto& pt : pts) hi = std::max(hi, pt.first);
  const long step = std::max(1L, static_cast<long>(std::ceil(hi / 10)));
  std::ostringstream s;
  s << "set xlabel 'epoch'\nset xrange [0.5:" << hi + 0.5 << "]\nset xtics " << step << "\nset mxtics 1\n"
    << "set format x '%.0f'\n";
  return s.str();
}

bool is_density_csv(const std::string& arg) {
  return fs::path(arg).extension() == ".csv" && fs::is_regular_file(arg);
}

// The (eigenvalue, density) rows of a `basin hessian --density` CSV.
Points read_density(const std::string& file) {
  std::ifstream in(file);
  BASIN_CHECK(in, "plot: cannot read " << file);
  std::string line;
  BASIN_CHECK(std::getline(in, line) && line.rfind("eigenvalue,density", 0) == 0,
              "plot: " << file << " is not a density CSV (its first line must be 'eigenvalue,density')");
  Points pts;
  int lineno = 1;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    double x = 0, y = 0;
    char comma = 0;
    std::istringstream ls(line);
    BASIN_CHECK((ls >> x >> comma >> y) && comma == ',' && std::isfinite(x) && std::isfinite(y),
                "plot: " << file << " line " << lineno << " is not 'eigenvalue,density'");
    pts.push_back({x, y});
  }
  BASIN_CHECK(!pts.empty(), "plot: " << file << " has no rows");
  return pts;
}

// One panel: the densities overlaid, log y from 1e-8 of the highest peak (a log
// axis cannot show the Gaussian tails' zeros: values below the floor are drawn
// on it).
std::string density_script(const std::vector<std::string>& files, const std::vector<std::string>& names,
                           const fs::path& dir) {
  std::vector<Points> all;
  double peak = 0;
  for (const auto& file : files) {
    all.push_back(read_density(file));
    for (const auto& p : all.back()) peak = std::max(peak, p.second);
  }
  BASIN_CHECK(peak > 0, "plot: the density files hold no positive density");
  const double floor = 1e-8 * peak;
  std::ostringstream plot;
  for (std::size_t r = 0; r < all.size(); ++r) {
    for (auto& p : all[r]) p.second = std::max(p.second, floor);
    const std::string f = std::to_string(r) + ".dat";
    write_points(dir / f, all[r], 1, nullptr);
    plot << (r ? ", " : "plot ") << gp_text(f) << " using 1:2 with lines lc rgb " << gp_text(run_colour(r))
         << " lw 2 title " << gp_text(names[r]);
  }
  std::ostringstream s;
  s.precision(10);
  s << "set xlabel 'eigenvalue'\nset ylabel 'density'\nset logscale y\nset format y '%g'\nset yrange [" << floor
    << ":*]\n" << plot.str() << "\n";
  return s.str();
}

void run_plot(const PlotCmd& o) {
  BASIN_CHECK(gnuplot_on_path(),
              "plot: gnuplot not found (Debian: apt-get install gnuplot-nox; scripts/install-deps.sh installs it)");
  const std::string ext = fs::path(o.out).extension().string();
  BASIN_CHECK(ext == ".png" || ext == ".svg", "plot: --out must end in .png or .svg, got '" << o.out << "'");
  const std::size_t csvs = static_cast<std::size_t>(std::count_if(o.runs.begin(), o.runs.end(), is_density_csv));
  if (csvs > 0) {
    BASIN_CHECK(csvs == o.runs.size(), "plot: give either run folders or density CSV files, not both");
    ScratchFolder tmp;
    const std::string out_name = "plot" + ext;
    std::ostringstream gp;
    gp << "set encoding utf8\n"
       << (ext == ".png" ? "set terminal pngcairo size 1000,700 font 'sans,13' noenhanced\n"
                         : "set terminal svg size 1000,700 font 'sans,13' noenhanced\n")
       << "set output " << gp_text(out_name) << "\nset grid\n"
       << "set title " << gp_text(o.title.empty() ? std::string("Hessian spectral density") : o.title) << "\n"
       << density_script(o.runs, run_names(o.runs), tmp.path());
    render_gnuplot(tmp.path(), gp.str(), out_name, o.out, "plot");
    std::printf("wrote %s (%zu densit%s)\n", o.out.c_str(), csvs, csvs == 1 ? "y" : "ies");
    return;
  }
  // Everything gnuplot reads or writes lies in this folder under names we chose
  // (0.dat, plot.gp, plot.png); the output is copied to --out afterwards.
  ScratchFolder tmp;
  std::vector<RunData> data;
  for (const auto& r : o.runs) data.push_back(read_run(r));
  const std::vector<std::string> names = run_names(o.runs);
  std::vector<std::string> blocks;
  int file_id = 0;
  for (const Panel& p : panels()) {
    std::string b = panel_block(p, data, names, tmp.path(), file_id);
    if (!b.empty()) blocks.push_back(std::move(b));
  }
  BASIN_CHECK(!blocks.empty(), "plot: no known metrics (train_loss, test_acc, hessian_trace, ...) in the runs");
  const std::string out_name = "plot" + ext;
  std::ostringstream gp;
  gp << "set encoding utf8\n"
     << (ext == ".png" ? "set terminal pngcairo size 1400,1000 font 'sans,13' noenhanced\n"
                       : "set terminal svg size 1400,1000 font 'sans,13' noenhanced\n")
     << "set output " << gp_text(out_name) << "\n";
  const int cols = blocks.size() > 1 ? 2 : 1, rows = static_cast<int>((blocks.size() + 1) / 2);
  gp << "set grid\nset key outside right top vertical Left reverse\n" << epoch_axis(data) << "set multiplot layout " << rows
     << "," << cols;
  if (!o.title.empty()) gp << " title " << gp_text(o.title);
  gp << "\n";
  for (const auto& b : blocks) gp << b;
  gp << "unset multiplot\n";
  render_gnuplot(tmp.path(), gp.str(), out_name, o.out, "plot");
  std::printf("wrote %s (%zu panel%s, %zu run%s)\n", o.out.c_str(), blocks.size(), blocks.size() == 1 ? "" : "s",
              o.runs.size(), o.runs.size() == 1 ? "" : "s");
}

void setup_plot(CLI::App& app) {
  auto o = std::make_shared<PlotCmd>();
  auto* cmd = app.add_subcommand(
      "plot", "Plot loss, accuracy and Hessian trace per epoch of runs, or Hessian spectral densities (gnuplot)");
  cmd->add_option("runs", o->runs, "run folders holding metrics.jsonl, or density CSVs from basin hessian --density")
      ->required();
  cmd->add_option("--out,-o", o->out, "output file, .png or .svg")->capture_default_str();
  cmd->add_option("--title", o->title, "figure title");
  cmd->callback([o] { run_plot(*o); });
}

}  // namespace
BASIN_COMMAND(plot, setup_plot)
}  // namespace basin::tools
