#pragma once
// A tiny image folder for CLI tests: train/ and test/, 48 Fashion-MNIST PNGs each
// (10 classes), exported once per test binary under that binary's scratch folder.
#include <memory>
#include <string>

#include "data/open_dataset.h"
#include "train/subset_dataset.h"

namespace basin::testing {

inline std::string make_tiny_image_folder(const std::string& dir) {
  data::DatasetPair p = data::open_dataset("fashion-mnist", 1);
  p.train = std::make_shared<train::SubsetDataset>(p.train, 48);
  p.test = std::make_shared<train::SubsetDataset>(p.test, 48);
  data::export_idx_as_image_folder(p, dir);
  return dir;
}

}  // namespace basin::testing
