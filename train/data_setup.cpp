#include "train/data_setup.h"

#include "data/open_dataset.h"
#include "data/seeded_sample.h"
#include "train/subset_dataset.h"

namespace basin::train {

namespace {

bool is_fashion(const std::string& spec) { return spec == "fashion-mnist" || spec == "fashion_mnist" || spec == "fmnist"; }

const std::vector<float> kFashionMean{0.2860f}, kFashionStd{0.3530f};
const std::vector<float> kImageNetMean{0.485f, 0.456f, 0.406f}, kImageNetStd{0.229f, 0.224f, 0.225f};

}  // namespace

data::DatasetPtr limit_split(const std::string& data_spec, data::DatasetPtr ds, std::int64_t n, std::uint64_t seed,
                             bool test_split) {
  if (n <= 0 || n >= ds->size()) return ds;
  if (is_fashion(data_spec)) return std::make_shared<SubsetDataset>(ds, n);
  const std::uint64_t stream = seed * 2 + (test_split ? 1 : 0);
  return std::make_shared<SubsetDataset>(ds, data::seeded_sample(ds->size(), n, stream));
}

int default_image_size(const std::string& data_spec) { return is_fashion(data_spec) ? 28 : 224; }

data::TransformPtr eval_transform(const std::string& data_spec, int image_size, int eval_resize) {
  if (image_size <= 0) image_size = default_image_size(data_spec);
  if (is_fashion(data_spec)) {
    std::vector<data::TransformPtr> steps;
    if (image_size != 28) steps.push_back(data::resize_to(image_size, image_size));
    steps.push_back(data::to_tensor());
    steps.push_back(data::normalize(kFashionMean, kFashionStd));
    return std::make_shared<data::Compose>(std::move(steps));
  }
  return data::eval_pipeline(image_size, eval_resize, kImageNetMean, kImageNetStd);
}

RunData make_run_data(const TrainConfig& c, Device device, int rank, int world) {
  RunData r;
  r.sets = data::open_dataset(c.data, 3, {c.limit_train, c.limit_test});
  r.sets.train = limit_split(c.data, r.sets.train, c.limit_train, c.seed, false);
  r.sets.test = limit_split(c.data, r.sets.test, c.limit_test, c.seed, true);
  BASIN_CHECK(r.sets.train->size() > 0, "dataset " << c.data << ": the training set is empty");
  BASIN_CHECK(r.sets.test->size() > 0, "dataset " << c.data << ": the test set is empty");
  r.channels = r.sets.train->channels();
  r.num_classes = r.sets.train->num_classes();
  r.image_size = c.image_size > 0 ? c.image_size : default_image_size(c.data);
  const int s = r.image_size;

  if (is_fashion(c.data)) {
    std::vector<data::TransformPtr> steps;
    if (s != 28) steps.push_back(data::resize_to(s, s));
    if (c.augment == "flip-crop") {
      steps.push_back(data::random_crop(s, std::max(1, s / 14)));
      steps.push_back(data::random_horizontal_flip());
    }
    steps.push_back(data::to_tensor());
    steps.push_back(data::normalize(kFashionMean, kFashionStd));
    r.train_transform = std::make_shared<data::Compose>(std::move(steps));
  } else if (c.augment == "flip-crop") {
    r.train_transform = data::train_pipeline(s, kImageNetMean, kImageNetStd);
  } else {
    r.train_transform = data::eval_pipeline(s, c.eval_resize, kImageNetMean, kImageNetStd);
  }
  r.test_transform = eval_transform(c.data, s, c.eval_resize);

  data::LoaderOptions lo;
  lo.batch_size = c.batch_size;
  lo.shuffle = c.shuffle;
  lo.num_workers = c.workers;
  lo.seed = c.seed;
  lo.device = device;
  lo.shard_rank = rank;
  lo.shard_count = world;
  r.train = std::make_unique<data::DataLoader>(r.sets.train, r.train_transform, lo);
  data::LoaderOptions to = lo;
  to.shuffle = false;
  r.test = std::make_unique<data::DataLoader>(r.sets.test, r.test_transform, to);
  return r;
}

}  // namespace basin::train
