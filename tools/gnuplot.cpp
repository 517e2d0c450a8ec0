#include "tools/gnuplot.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "io/atomic_file.h"
#include "tensor/error.h"

namespace basin::tools {

namespace fs = std::filesystem;

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

ScratchFolder::ScratchFolder() {
  std::string tmpl = (fs::temp_directory_path() / "basin_plot_XXXXXX").string();
  BASIN_CHECK(::mkdtemp(tmpl.data()), "plot: cannot create a temporary folder " << tmpl << ": " << std::strerror(errno));
  path_ = tmpl;
}

ScratchFolder::~ScratchFolder() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

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

void render_gnuplot(const fs::path& dir, const std::string& script, const std::string& made,
                    const std::string& out, const char* who) {
  BASIN_CHECK(gnuplot_on_path(),
              who << ": gnuplot not found (Debian: apt-get install gnuplot-nox; scripts/install-deps.sh installs it)");
  {
    std::ofstream f(dir / "plot.gp");
    f << script;
    BASIN_CHECK(f.flush(), who << ": cannot write " << (dir / "plot.gp").string());
  }
  const int rc = run_gnuplot(dir);
  BASIN_CHECK(rc == 0, who << ": gnuplot failed (status " << rc << ")");
  const fs::path file = dir / made;
  std::error_code ec;
  BASIN_CHECK(fs::is_regular_file(file, ec) && fs::file_size(file, ec) > 0, who << ": gnuplot wrote nothing");
  std::ifstream in(file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  io::write_file_atomic(out, bytes, io::Durability::RenameOnly);
}

}  // namespace basin::tools
