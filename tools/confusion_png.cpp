#include "tools/confusion_png.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "tensor/error.h"
#include "tools/gnuplot.h"

namespace basin::tools {

namespace {

namespace fs = std::filesystem;

// "set xtics ('a' 0, 'b' 1, ...)": each class name at its index.
std::string name_tics(const char* axis, const std::vector<std::string>& names, std::int64_t classes) {
  std::string s = std::string("set ") + axis + " (";
  for (std::int64_t c = 0; c < classes; ++c) {
    const auto i = static_cast<std::size_t>(c);
    s += (c ? ", " : "") + gp_text(i < names.size() ? names[i] : std::to_string(c)) + " " + std::to_string(c);
  }
  return s + ")";
}

// m.dat: row-normalised shares as a gnuplot matrix; counts.dat: "x y count".
void write_cells(const train::ClassTally& t, const fs::path& dir) {
  std::ofstream m(dir / "m.dat"), n(dir / "counts.dat");
  for (std::int64_t r = 0; r < t.classes; ++r) {
    const double row = static_cast<double>(std::max<std::int64_t>(1, t.class_count(r)));
    for (std::int64_t p = 0; p < t.classes; ++p) {
      const std::int64_t k = t.confusion[static_cast<std::size_t>(r * t.classes + p)];
      m << (p ? " " : "") << static_cast<double>(k) / row;
      if (k) n << p << " " << r << " " << k << "\n";
    }
    m << "\n";
  }
  BASIN_CHECK(m.flush() && n.flush(), "eval --confusion: cannot write the plot data in " << dir.string());
}

}  // namespace

void write_confusion_png(const train::ClassTally& t, const std::vector<std::string>& names, const std::string& out) {
  BASIN_CHECK(gnuplot_on_path(), "eval --confusion " << out
                                     << ": drawing a PNG needs gnuplot (Debian: apt-get install gnuplot-nox); "
                                        "a .csv name writes the matrix without it");
  ScratchFolder tmp;
  write_cells(t, tmp.path());
  const std::int64_t side = std::max<std::int64_t>(640, 48 * t.classes + 320);
  char acc[64];
  std::snprintf(acc, sizeof acc, "%.2f%%", 100 * t.stats.accuracy());
  std::ostringstream gp;
  gp << "set encoding utf8\nset terminal pngcairo size " << side << "," << side << " font 'sans,12' noenhanced\n"
     << "set output 'confusion.png'\n"
     << "set title " << gp_text("confusion matrix: " + std::to_string(t.stats.count) + " images, top-1 " + acc) << "\n"
     << "set xlabel 'predicted class'\nset ylabel 'true class'\n"
     << name_tics("xtics", names, t.classes) << " rotate by 45 right\n"
     << name_tics("ytics", names, t.classes) << "\n"
     << "set xrange [-0.5:" << t.classes - 0.5 << "]\nset yrange [" << t.classes - 0.5 << ":-0.5]\n"
     << "set size square\nset palette defined (0 '#ffffff', 1 '#6baed6', 2 '#2171b5')\nset cbrange [0:1]\n"
     << "set cblabel 'share of the true class'\nunset key\n"
     << "plot 'm.dat' matrix with image";
  if (t.classes <= 30) gp << ", 'counts.dat' using 1:2:3 with labels font 'sans,10'";
  gp << "\n";
  render_gnuplot(tmp.path(), gp.str(), "confusion.png", out, "eval --confusion");
}

}  // namespace basin::tools
