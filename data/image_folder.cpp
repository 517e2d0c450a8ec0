#include "data/image_folder.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>

#include "data/image_codec.h"

namespace fs = std::filesystem;

namespace basin::data {

bool is_image_extension(const std::string& filename) {
  auto dot = filename.rfind('.');
  if (dot == std::string::npos) return false;
  std::string ext = filename.substr(dot + 1);
  for (auto& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  static const char* kExt[] = {"jpg", "jpeg", "png", "bmp", "tga", "gif", "ppm", "pgm"};
  return std::find(std::begin(kExt), std::end(kExt), ext) != std::end(kExt);
}

namespace {
// Sorted recursive listing, like torchvision's sorted(os.walk(...)) with
// followlinks=True.
void collect(const fs::path& dir, std::vector<std::string>& out) {
  std::vector<fs::directory_entry> entries;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    entries.push_back(*it);
  BASIN_CHECK(!ec, "ImageFolder: cannot list " << dir.string() << " (" << ec.message() << ")");
  std::sort(entries.begin(), entries.end(),
            [](const fs::directory_entry& a, const fs::directory_entry& b) { return a.path().filename() < b.path().filename(); });
  for (auto& e : entries) {
    std::error_code ec2;
    if (e.is_directory(ec2))
      collect(e.path(), out);
    else if (e.is_regular_file(ec2) && is_image_extension(e.path().filename().string()))
      out.push_back(e.path().string());
  }
}
}  // namespace

ImageFolderDataset::ImageFolderDataset(const std::string& root, int channels) : root_(root), channels_(channels) {
  BASIN_CHECK(channels == 1 || channels == 3, "ImageFolder " << root << ": " << channels << " channels (1 or 3)");
  std::error_code ec;
  BASIN_CHECK(fs::is_directory(root, ec), "ImageFolder: " << root << " is not a folder");
  for (auto it = fs::directory_iterator(root, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code ec2;
    if (it->is_directory(ec2)) classes_.push_back(it->path().filename().string());
  }
  BASIN_CHECK(!ec, "ImageFolder: cannot list " << root << " (" << ec.message() << ")");
  BASIN_CHECK(!classes_.empty(), "ImageFolder " << root << ": no class folders (expected " << root
                                                << "/<class>/<image>)");
  std::sort(classes_.begin(), classes_.end());
  std::vector<std::string> empty;
  for (std::size_t c = 0; c < classes_.size(); ++c) {
    std::vector<std::string> files;
    collect(fs::path(root) / classes_[c], files);
    if (files.empty()) empty.push_back(classes_[c]);
    for (auto& f : files) {
      files_.push_back(std::move(f));
      labels_.push_back(static_cast<std::int64_t>(c));
    }
  }
  if (!empty.empty()) {
    std::string list;
    for (auto& e : empty) list += (list.empty() ? "" : ", ") + e;
    BASIN_FAIL("ImageFolder " << root << ": no images (jpg jpeg png bmp tga gif ppm pgm) in class folder"
                              << (empty.size() > 1 ? "s " : " ") << list);
  }
}

Sample ImageFolderDataset::get(std::int64_t index) const {
  BASIN_CHECK(index >= 0 && index < size(), "ImageFolder " << root_ << ": index " << index << " out of range [0, "
                                                           << size() << ")");
  try {
    return {read_image_file(files_[index], channels_), labels_[index]};
  } catch (const CorruptSampleError& e) {
    std::lock_guard<std::mutex> lk(warn_mu_);
    if (warned_.insert(index).second) std::fprintf(stderr, "warning: skipping %s\n", e.what());
    throw;
  }
}

std::int64_t ImageFolderDataset::num_bad_files() const {
  std::lock_guard<std::mutex> lk(warn_mu_);
  return static_cast<std::int64_t>(warned_.size());
}

}  // namespace basin::data
