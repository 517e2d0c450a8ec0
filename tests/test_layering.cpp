// tensor/ is the bottom layer: none of its files may include a project header
// from another folder (kernels/, autograd/, ...). Tensor members that need those
// layers are declared in tensor/tensor.h and defined above (docs/01, "Layering");
// this test keeps the include arrows pointing down.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// Every `#include "path"` in `file`, as "file:line: path".
std::vector<std::string> quoted_includes(const fs::path& file, const std::string& rel) {
  static const std::regex include_re(R"re(^\s*#\s*include\s*"([^"]+)")re");
  std::vector<std::string> out;
  std::ifstream in(file);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::smatch m;
    if (std::regex_search(line, m, include_re)) out.push_back(rel + ":" + std::to_string(n) + ": " + m[1].str());
  }
  return out;
}

}  // namespace

TEST(Layering, TensorIncludesNothingAboveIt) {
  const fs::path root = fs::path(BASIN_SOURCE_DIR);
  int files = 0, includes = 0;
  std::vector<std::string> upward;
  for (const auto& entry : fs::recursive_directory_iterator(root / "tensor")) {
    if (!entry.is_regular_file()) continue;
    std::string ext = entry.path().extension().string();
    if (ext != ".h" && ext != ".cpp" && ext != ".cu" && ext != ".cuh") continue;
    ++files;
    for (const std::string& inc : quoted_includes(entry.path(), fs::relative(entry.path(), root).string())) {
      ++includes;
      std::string target = inc.substr(inc.rfind(": ") + 2);
      if (target.rfind("tensor/", 0) != 0) upward.push_back(inc);
    }
  }
  // The walk must have seen the folder (a wrong root would pass vacuously).
  EXPECT_GE(files, 10);
  EXPECT_GE(includes, 10);
  for (const std::string& u : upward) ADD_FAILURE() << "tensor/ includes from above it: " << u;
}
