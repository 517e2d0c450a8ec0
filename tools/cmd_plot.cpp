// `basin plot RUNDIR [RUNDIR ...]`: one figure (PNG or SVG, by the --out
// extension) of loss, accuracy and Hessian curvature per epoch read from each
// run's metrics.jsonl, runs overlaid (e.g. SGD vs SAM vs NSO). Drawing is
// gnuplot's job (Debian: gnuplot-nox); we only write its data and script. No
// user text reaches a shell or a gnuplot string unescaped: gnuplot runs without a
// shell, in a private mkdtemp folder, on files named by us, and titles and labels
// go in single-quoted strings (see gp_text).
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "io/atomic_file.h"
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

// Text for a gnuplot single-quoted string: the only sequence gnuplot interprets
// there is '' (one quote); no backslash escapes, no backtick command
// substitution (which double-quoted strings do). A newline would end the
// command, so control characters become spaces, and bytes that are not UTF-8
// become '?' (cairo draws UTF-8 only).
std::string gp_text(const std::string& s) {
  std::string clean;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    for (int k = 1; k < len; ++k)
      if (i + k >= s.size() || (static_cast<unsigned char>(s[i + k]) >> 6) != 2) len = 0;
    if (len == 0) {
      clean += '?';
      ++i;
    } else if (len == 1) {
      clean += (c < 0x20 || c == 0x7F) ? ' ' : static_cast<char>(c);
      ++i;
    } else {
      clean.append(s, i, static_cast<std::size_t>(len));
      i += static_cast<std::size_t>(len);
    }
  }
  std::string o = "'";
  for (char c : clean) {
    if (c == '\'') o += '\'';
    o += c;
  }
  return o + "'";
}

// A folder from mkdtemp (unpredictable name, mode 0700), removed with everything
// in it however run_plot leaves.
class ScratchFolder {
 public:
  ScratchFolder() {
    std::string tmpl = (fs::temp_directory_path() / "basin_plot_XXXXXX").string();
    BASIN_CHECK(::mkdtemp(tmpl.data()), "plot: cannot create a temporary folder " << tmpl << ": " << std::strerror(errno));
    path_ = tmpl;
  }
  ~ScratchFolder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

bool gnuplot_on_path() {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  std::string d;
  while (std::getline(dirs, d, ':'))
    if (::access(((d.empty() ? "." : d) + "/gnuplot").c_str(), X_OK) == 0) return true;
  return false;
}

// Runs `gnuplot plot.gp` inside `dir` without a shell (fork + execvp with an argv):
// no name the user chose is ever on a command line. Returns the exit status.
int run_gnuplot(const fs::path& dir) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  BASIN_CHECK(pid >= 0, "plot: cannot start gnuplot: " << std::strerror(errno));
  if (pid == 0) {
    if (::chdir(dir.c_str()) != 0) ::_exit(126);
    char prog[] = "gnuplot", script[] = "plot.gp";
    char* argv[] = {prog, script, nullptr};
    ::execvp(prog, argv);
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

void run_plot(const PlotCmd& o) {
  BASIN_CHECK(gnuplot_on_path(),
              "plot: gnuplot not found (Debian: apt-get install gnuplot-nox; scripts/install-deps.sh installs it)");
  const std::string ext = fs::path(o.out).extension().string();
  BASIN_CHECK(ext == ".png" || ext == ".svg", "plot: --out must end in .png or .svg, got '" << o.out << "'");
  // Everything gnuplot reads or writes lies in this folder under names we chose
  // (0.dat, plot.gp, plot.png); the output is copied to --out afterwards.
  ScratchFolder tmp;
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
  const std::string out_name = "plot" + ext;
  std::ostringstream gp;
  gp << "set encoding utf8\n";
  gp << (ext == ".png" ? "set terminal pngcairo size 1400,1000 noenhanced\n" : "set terminal svg size 1400,1000 noenhanced\n");
  gp << "set output " << gp_text(out_name) << "\n";
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
          const std::string f = std::to_string(file_id++) + ".dat";
          std::ofstream df(tmp.path() / f);
          for (auto& [x, y] : it->second) df << x << " " << y << "\n";
          BASIN_CHECK(df.flush(), "plot: cannot write " << (tmp.path() / f).string());
          std::string label = fs::path(o.runs[r]).filename().string();
          if (label.empty()) label = o.runs[r];
          plot << (any ? ", " : "plot ") << gp_text(f) << " using 1:2 with linespoints title "
               << gp_text(label + " " + key);
          any = true;
          break;
        }
      }
    }
    if (!any) continue;
    std::ostringstream b;
    b << "set title " << gp_text(p.ylabel) << "\nset xlabel 'epoch'\nset ylabel " << gp_text(p.ylabel) << "\n"
      << (p.log_y ? "set logscale y\n" : "unset logscale y\n") << "set key outside bottom center horizontal\n"
      << plot.str() << "\n";
    blocks.push_back(b.str());
  }
  BASIN_CHECK(!blocks.empty(), "plot: no known metrics (train_loss, test_acc, hessian_trace, ...) in the runs");
  const int cols = blocks.size() > 1 ? 2 : 1, rows = static_cast<int>((blocks.size() + 1) / 2);
  gp << "set grid\nset multiplot layout " << rows << "," << cols;
  if (!o.title.empty()) gp << " title " << gp_text(o.title);
  gp << "\n";
  for (const auto& b : blocks) gp << b;
  gp << "unset multiplot\n";
  {
    std::ofstream script(tmp.path() / "plot.gp");
    script << gp.str();
    BASIN_CHECK(script.flush(), "plot: cannot write " << (tmp.path() / "plot.gp").string());
  }
  const int rc = run_gnuplot(tmp.path());
  BASIN_CHECK(rc == 0, "plot: gnuplot failed (status " << rc << ")");
  const fs::path made = tmp.path() / out_name;
  std::error_code ec;
  BASIN_CHECK(fs::is_regular_file(made, ec) && fs::file_size(made, ec) > 0, "plot: gnuplot wrote nothing");
  std::ifstream in(made, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  io::write_file_atomic(o.out, bytes, io::Durability::RenameOnly);
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
