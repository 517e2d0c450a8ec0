#pragma once
// Drawing through gnuplot without a shell, for `basin plot` and `basin eval
// --confusion FILE.png`: gnuplot runs by fork + execvp in a private mkdtemp
// folder on files named by basin, and every user string reaches the script only
// through gp_text's single-quoted strings.
#include <filesystem>
#include <string>

namespace basin::tools {

// `s` as a gnuplot single-quoted string (quotes included): '' doubles a quote,
// control characters become spaces, bytes that are not UTF-8 become '?'.
std::string gp_text(const std::string& s);

// A folder from mkdtemp (unpredictable name, mode 0700), removed with everything
// in it when this goes out of scope.
class ScratchFolder {
 public:
  ScratchFolder();
  ~ScratchFolder();
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

bool gnuplot_on_path();
// Runs `gnuplot plot.gp` inside `dir` without a shell. Returns the exit status.
int run_gnuplot(const std::filesystem::path& dir);

// Writes `script` as DIR/plot.gp, runs gnuplot there (throwing, prefixed by
// `who`, when it is missing or fails), and copies DIR/made (the file the script
// sets as output) to `out` atomically.
void render_gnuplot(const std::filesystem::path& dir, const std::string& script, const std::string& made,
                    const std::string& out, const char* who);

}  // namespace basin::tools
