#include "data/idx_dataset.h"

#include <algorithm>
#include <cstdlib>

#include "tensor/error.h"

namespace basin::data {

std::string fashion_mnist_dir() {
  const char* env = std::getenv("BASIN_FASHION_MNIST_DIR");
  return env && *env ? env : "/usr/share/datasets/fashion-mnist";
}

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> names = {"T-shirt_top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle_boot"};
  return names;
}

IdxDataset::IdxDataset(const std::string& images_path, const std::string& labels_path,
                       std::vector<std::string> class_names, std::string description, std::int64_t max_samples)
    : classes_(std::move(class_names)), description_(std::move(description)) {
  IdxArray im = read_idx(images_path, max_samples);
  IdxArray lb = read_idx(labels_path, max_samples);
  BASIN_CHECK(im.dims.size() == 3, "IDX images file " << images_path << ": expected 3 dims [N, H, W], found "
                                                      << im.dims.size());
  BASIN_CHECK(lb.dims.size() == 1, "IDX labels file " << labels_path << ": expected 1 dim [N], found "
                                                      << lb.dims.size());
  BASIN_CHECK(im.dims[1] > 0 && im.dims[2] > 0 && im.dims[1] <= 65535 && im.dims[2] <= 65535,
              "IDX images file " << images_path << ": bad image size " << im.dims[1] << "x" << im.dims[2]);
  BASIN_CHECK(im.dims[0] == lb.dims[0], "IDX files disagree: " << im.dims[0] << " images in " << images_path
                                                               << " but " << lb.dims[0] << " labels in "
                                                               << labels_path);
  n_ = im.dims[0];
  h_ = static_cast<int>(im.dims[1]);
  w_ = static_cast<int>(im.dims[2]);
  images_ = std::move(im.data);
  labels_ = std::move(lb.data);
  int max_label = labels_.empty() ? -1 : *std::max_element(labels_.begin(), labels_.end());
  if (classes_.empty())
    for (int c = 0; c <= max_label; ++c) classes_.push_back(std::to_string(c));
  for (std::int64_t i = 0; i < n_; ++i)
    BASIN_CHECK(labels_[i] < classes_.size(), "IDX labels file " << labels_path << ": label " << int(labels_[i])
                                                                  << " at index " << i << " but only "
                                                                  << classes_.size() << " classes");
  if (description_.empty()) description_ = images_path;
}

std::shared_ptr<IdxDataset> IdxDataset::fashion_mnist(const std::string& split, const std::string& dir_in,
                                                      std::int64_t max_samples) {
  const std::string dir = dir_in.empty() ? fashion_mnist_dir() : dir_in;
  std::string prefix;
  if (split == "train")
    prefix = "train";
  else if (split == "test" || split == "t10k")
    prefix = "t10k";
  else
    BASIN_FAIL("fashion-mnist: unknown split '" << split << "' (train or test)");
  return std::make_shared<IdxDataset>(dir + "/" + prefix + "-images-idx3-ubyte.gz",
                                      dir + "/" + prefix + "-labels-idx1-ubyte.gz", fashion_mnist_class_names(),
                                      "fashion-mnist " + split + " (" + dir + ")", max_samples);
}

Sample IdxDataset::get(std::int64_t index) const {
  BASIN_CHECK(index >= 0 && index < n_, description_ << ": index " << index << " out of range [0, " << n_ << ")");
  const std::size_t hw = static_cast<std::size_t>(h_) * w_;
  std::vector<std::uint8_t> px(images_.begin() + index * hw, images_.begin() + (index + 1) * hw);
  return {Image::hwc_u8(h_, w_, 1, std::move(px)), labels_[index]};
}

}  // namespace basin::data
