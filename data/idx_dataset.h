#pragma once
// IdxDataset: an images file [N, H, W] and a labels file [N] in IDX format
// (MNIST, Fashion-MNIST), held in memory (Fashion-MNIST train is 47 MB).
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/idx.h"

namespace basin::data {

// Where Debian's dataset-fashion-mnist package installs the four files;
// BASIN_FASHION_MNIST_DIR overrides it.
std::string fashion_mnist_dir();
const std::vector<std::string>& fashion_mnist_class_names();

class IdxDataset : public Dataset {
 public:
  // Throws basin::Error naming the file when either file is bad, when the image
  // and label counts differ, or when a label is >= the number of classes.
  // Without class names, the classes are "0".."max label". max_samples > 0 reads
  // only the first max_samples images and labels (--limit-train): a file that
  // declares millions costs what the limit needs, not what the header claims.
  IdxDataset(const std::string& images_path, const std::string& labels_path,
             std::vector<std::string> class_names = {}, std::string description = "", std::int64_t max_samples = 0);
  // split: "train" or "test" ("t10k"); dir defaults to fashion_mnist_dir().
  static std::shared_ptr<IdxDataset> fashion_mnist(const std::string& split, const std::string& dir = "",
                                                   std::int64_t max_samples = 0);

  std::int64_t size() const override { return n_; }
  Sample get(std::int64_t index) const override;
  const std::vector<std::string>& class_names() const override { return classes_; }
  int channels() const override { return 1; }
  std::string description() const override { return description_; }
  int height() const { return h_; }
  int width() const { return w_; }
  const std::uint8_t* pixels(std::int64_t index) const { return images_.data() + index * h_ * w_; }
  std::uint8_t label(std::int64_t index) const { return labels_[index]; }

 private:
  std::int64_t n_ = 0;
  int h_ = 0, w_ = 0;
  std::vector<std::uint8_t> images_, labels_;
  std::vector<std::string> classes_;
  std::string description_;
};

}  // namespace basin::data
