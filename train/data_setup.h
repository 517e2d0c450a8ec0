#pragma once
// Datasets, transforms and loaders of a run, from its TrainConfig.
//   Fashion-MNIST: 28x28 grayscale, normalized with its mean/std (0.2860, 0.3530);
//                  flip-crop: 2-pixel padded random crop + horizontal flip.
//   Image folders: 224 (or --image-size) RGB, ImageNet mean/std (what pretrained
//                  weights expect); evaluation resizes to --eval-resize (default
//                  size * 8/7) and centre-crops; flip-crop: RandomResizedCrop + flip.
#include <memory>

#include "data/loader.h"
#include "train/config.h"

namespace basin::train {

struct RunData {
  data::DatasetPair sets;
  data::TransformPtr train_transform, test_transform;
  int channels = 1;
  int image_size = 28;
  std::int64_t num_classes = 0;
  std::unique_ptr<data::DataLoader> train, test;
};

// Opens the datasets (with --limit-*), builds the transforms and loaders on `device`.
// Data-parallel: this process is shard `rank` of `world` for both loaders
// (c.batch_size rows per process of each global batch; data/loader.h).
RunData make_run_data(const TrainConfig& c, Device device, int rank = 0, int world = 1);

// The evaluation transform for `data_spec` (also used by `basin eval`).
data::TransformPtr eval_transform(const std::string& data_spec, int image_size, int eval_resize);
// --limit-train / --limit-test / eval's --limit: at most n samples of `ds` (0:
// all). Fashion-MNIST (whose files are in no class order) keeps its first n, read
// no further; an image folder (listed class by class) takes a seeded sample
// across classes (data/seeded_sample.h), the test split from another stream.
data::DatasetPtr limit_split(const std::string& data_spec, data::DatasetPtr ds, std::int64_t n, std::uint64_t seed,
                             bool test_split);
// The image size used when --image-size is 0.
int default_image_size(const std::string& data_spec);

}  // namespace basin::train
