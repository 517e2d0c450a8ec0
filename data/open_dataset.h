#pragma once
// open_dataset("fashion-mnist") or open_dataset("/path/to/folder"): the train and
// test datasets a command line names with one word.
#include <functional>
#include <string>

#include "data/dataset.h"

namespace basin::data {

// spec: "fashion-mnist" (Debian's dataset-fashion-mnist files, or
// BASIN_FASHION_MNIST_DIR), or a folder holding train/ and test/ (or val/)
// ImageFolders with the same classes. `channels` applies to image folders
// (Fashion-MNIST is always 1).
// limits: at most that many samples of each split are loaded (0: all). IDX files
// are then read only that far; image folders are listed whole (cheap) and the
// caller takes the first N (train::SubsetDataset).
struct SplitLimits {
  std::int64_t train = 0, test = 0;
};
DatasetPair open_dataset(const std::string& spec, int channels = 3, SplitLimits limits = {});

// One split for evaluation: `split` "train" or "test" (a folder's test/, else
// val/). A folder needs only that split (`basin eval --data DIR` on a folder
// holding just val/); when train/ is there too, both must have the same classes
// as open_dataset requires. `limit` as in SplitLimits.
DatasetPtr open_split(const std::string& spec, const std::string& split, int channels = 3, std::int64_t limit = 0);

// Writes OUT/train/<class>/<index>.png and OUT/test/<class>/<index>.png for the
// two datasets (PNG through a temporary name and a rename, so an interrupted
// export never leaves a half-written PNG under its final name; files already
// present are rewritten). Returns the number of images written. `on_image`, if
// set, is called after each image with the count written so far (both splits).
using ExportProgress = std::function<void(std::int64_t written)>;
std::int64_t export_idx_as_image_folder(const DatasetPair& data, const std::string& out_dir,
                                        const ExportProgress& on_image = nullptr);
// One split: OUT/<class>/<index>.png; on_image gets `before` + the split's count.
std::int64_t export_image_folder_split(const Dataset& data, const std::string& out_dir,
                                       const ExportProgress& on_image = nullptr, std::int64_t before = 0);

}  // namespace basin::data
