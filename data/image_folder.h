#pragma once
// ImageFolderDataset: torchvision's ImageFolder. ROOT/<class>/<...>/<image>; the
// class folders sorted by name give the label indices; files are found
// recursively in sorted order and kept when their extension (any case) is one of
// jpg jpeg png bmp tga gif ppm pgm. Hidden entries (names starting with '.':
// .ipynb_checkpoints, .git, .DS_Store) are neither classes nor images. Every
// folder is listed at most once (by device and inode); a symlinked folder is
// followed only when it leads outside ROOT (a link back into the tree is skipped
// with a warning), so each image counts once, under the class it sits in.
// Images decode on demand (in loader workers) to `channels` channels. An
// unreadable or corrupt image makes get() throw CorruptSampleError, after printing
// one warning per file for the whole run (and one when a class has no readable
// image left).
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace basin::data {

class ImageFolderDataset : public Dataset {
 public:
  // Throws basin::Error when root is missing, has no class folders, or a class
  // folder has no images (torchvision refuses those too).
  explicit ImageFolderDataset(const std::string& root, int channels = 3);

  std::int64_t size() const override { return static_cast<std::int64_t>(files_.size()); }
  Sample get(std::int64_t index) const override;
  const std::vector<std::string>& class_names() const override { return classes_; }
  int channels() const override { return channels_; }
  std::string description() const override { return root_; }
  std::string sample_name(std::int64_t index) const override { return files_.at(index); }

  const std::string& path(std::int64_t index) const { return files_[index]; }
  std::int64_t label(std::int64_t index) const { return labels_[index]; }
  // Files that failed to decode so far (each warned about once).
  std::int64_t num_bad_files() const;
  // Files with an image extension basin cannot decode (.webp, .tif, ...) that the
  // listing left out; the constructor prints a one-line note with the count.
  std::int64_t num_unsupported_files() const { return unsupported_files_; }

 private:
  std::string root_;
  int channels_;
  std::vector<std::string> classes_;
  std::vector<std::string> files_;
  std::vector<std::int64_t> labels_;
  std::vector<std::int64_t> class_size_;  // images per class
  std::int64_t unsupported_files_ = 0;
  mutable std::mutex warn_mu_;
  mutable std::set<std::int64_t> warned_;
  mutable std::vector<std::int64_t> class_bad_;  // unreadable images per class so far
};

bool is_image_extension(const std::string& filename);
// The lower-case extension when `filename` is an image format basin cannot decode
// (webp, tif, tiff, heic, avif, ...), else "".
std::string unsupported_image_extension(const std::string& filename);

}  // namespace basin::data
