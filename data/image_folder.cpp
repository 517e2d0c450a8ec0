#include "data/image_folder.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <utility>

#include <sys/stat.h>

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

// Image formats people keep in datasets that stb_image cannot decode: listed so a
// folder of them gets a note with a count instead of silently shrinking.
std::string unsupported_image_extension(const std::string& filename) {
  auto dot = filename.rfind('.');
  if (dot == std::string::npos) return "";
  std::string ext = filename.substr(dot + 1);
  for (auto& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  static const char* kExt[] = {"webp", "tif", "tiff", "heic", "heif", "avif", "jxl", "jp2", "j2k",
                               "svg", "ico",  "psd",  "dng",  "cr2",  "nef", "arw", "exr"};
  return std::find(std::begin(kExt), std::end(kExt), ext) != std::end(kExt) ? ext : "";
}

namespace {

bool is_hidden(const fs::path& p) {
  const std::string n = p.filename().string();
  return !n.empty() && n[0] == '.';
}

// True when `p` is `root` or lies under it (both canonical).
bool is_within(const fs::path& p, const fs::path& root) {
  auto q = p.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++q)
    if (q == p.end() || *q != *r) return false;
  return true;
}

// The walk of one ImageFolder root. Every folder is entered at most once, known
// by (device, inode), so no link or bind mount can make it loop or count an image
// twice. A symlinked folder is followed only when it leads outside the root: one
// that leads back into the tree (train/a/up -> ..) would list other classes'
// images under this class, so it is skipped with a warning.
class Walk {
 public:
  explicit Walk(const fs::path& root) : root_(root) {
    std::error_code ec;
    canonical_root_ = fs::canonical(root, ec);
    if (ec) canonical_root_ = fs::absolute(root);
    enter(root);
  }

  // Whether the folder entry `e` may be walked: not hidden, not a symlink back
  // into the tree, not a folder entered before. Warns about the folders it refuses.
  bool may_enter(const fs::directory_entry& e) {
    if (is_hidden(e.path())) return false;
    std::error_code ec;
    if (e.is_symlink(ec)) {
      const fs::path target = fs::canonical(e.path(), ec);
      if (ec) return false;  // dangling
      if (is_within(target, canonical_root_)) {
        std::fprintf(stderr, "warning: ImageFolder %s: not following %s, a link back into the dataset (-> %s)\n",
                     root_.string().c_str(), e.path().string().c_str(), target.string().c_str());
        return false;
      }
    }
    if (!enter(e.path())) {
      std::fprintf(stderr, "warning: ImageFolder %s: not following %s, a folder already listed (a link loop)\n",
                   root_.string().c_str(), e.path().string().c_str());
      return false;
    }
    return true;
  }

  // Sorted recursive listing of the image files under `dir`, like torchvision's
  // sorted(os.walk(...)); hidden entries (.ipynb_checkpoints, .DS_Store) left out.
  void collect(const fs::path& dir, std::vector<std::string>& out) {
    std::vector<fs::directory_entry> entries;
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
      entries.push_back(*it);
    BASIN_CHECK(!ec, "ImageFolder: cannot list " << dir.string() << " (" << ec.message() << ")");
    std::sort(entries.begin(), entries.end(), by_name);
    for (auto& e : entries) {
      std::error_code ec2;
      if (is_hidden(e.path())) continue;
      if (e.is_directory(ec2)) {
        if (may_enter(e)) collect(e.path(), out);
      } else if (e.is_regular_file(ec2)) {
        const std::string name = e.path().filename().string();
        if (is_image_extension(name)) out.push_back(e.path().string());  // a symlinked file counts where the link sits
        else if (std::string ext = unsupported_image_extension(name); !ext.empty()) ++unsupported_[ext];
      }
    }
  }

  static bool by_name(const fs::directory_entry& a, const fs::directory_entry& b) {
    return a.path().filename() < b.path().filename();
  }

  // Files left out for their format, by extension ("webp" -> 12).
  const std::map<std::string, std::int64_t>& unsupported() const { return unsupported_; }

 private:
  // Records the folder's (device, inode); false when it was entered before.
  bool enter(const fs::path& dir) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) return false;
    return seen_.insert({static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)}).second;
  }

  fs::path root_, canonical_root_;
  std::set<std::pair<std::uint64_t, std::uint64_t>> seen_;
  std::map<std::string, std::int64_t> unsupported_;
};

}  // namespace

ImageFolderDataset::ImageFolderDataset(const std::string& root, int channels) : root_(root), channels_(channels) {
  BASIN_CHECK(channels == 1 || channels == 3, "ImageFolder " << root << ": " << channels << " channels (1 or 3)");
  std::error_code ec;
  BASIN_CHECK(fs::is_directory(root, ec), "ImageFolder: " << root << " is not a folder");
  std::vector<fs::directory_entry> dirs;
  for (auto it = fs::directory_iterator(root, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code ec2;
    if (it->is_directory(ec2) && !is_hidden(it->path())) dirs.push_back(*it);
  }
  BASIN_CHECK(!ec, "ImageFolder: cannot list " << root << " (" << ec.message() << ")");
  std::sort(dirs.begin(), dirs.end(), Walk::by_name);
  Walk walk(root);
  std::vector<fs::path> class_dirs;
  for (auto& d : dirs)
    if (walk.may_enter(d)) {
      classes_.push_back(d.path().filename().string());
      class_dirs.push_back(d.path());
    }
  BASIN_CHECK(!classes_.empty(), "ImageFolder " << root << ": no class folders (expected " << root
                                                << "/<class>/<image>)");
  std::vector<std::string> empty;
  for (std::size_t c = 0; c < classes_.size(); ++c) {
    std::vector<std::string> files;
    walk.collect(class_dirs[c], files);
    if (files.empty()) empty.push_back(classes_[c]);
    class_size_.push_back(static_cast<std::int64_t>(files.size()));
    for (auto& f : files) {
      files_.push_back(std::move(f));
      labels_.push_back(static_cast<std::int64_t>(c));
    }
  }
  class_bad_.assign(classes_.size(), 0);
  if (!walk.unsupported().empty()) {
    std::string list;
    for (const auto& [ext, n] : walk.unsupported()) {
      list += (list.empty() ? "" : ", ") + std::to_string(n) + " ." + ext;
      unsupported_files_ += n;
    }
    std::fprintf(stderr, "note: ImageFolder %s: %lld file(s) in an unsupported format left out (%s); "
                 "basin decodes jpg jpeg png bmp tga gif ppm pgm\n",
                 root.c_str(), static_cast<long long>(unsupported_files_), list.c_str());
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
    if (warned_.insert(index).second) {
      std::fprintf(stderr, "warning: skipping %s\n", e.what());
      const auto c = static_cast<std::size_t>(labels_[index]);
      if (++class_bad_[c] == class_size_[c])
        std::fprintf(stderr, "warning: ImageFolder %s: class %s has no readable image left (all %lld unreadable)\n",
                     root_.c_str(), classes_[c].c_str(), static_cast<long long>(class_size_[c]));
    }
    throw;
  }
}

std::int64_t ImageFolderDataset::num_bad_files() const {
  std::lock_guard<std::mutex> lk(warn_mu_);
  return static_cast<std::int64_t>(warned_.size());
}

}  // namespace basin::data
