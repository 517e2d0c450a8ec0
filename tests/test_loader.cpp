// DataLoader: order, coverage, determinism across worker counts, drop_last,
// resuming mid-epoch, errors from workers, skipping, and shutdown mid-epoch.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "data/loader.h"

using namespace basin;
using namespace basin::data;

namespace {
// Sample i is a 2x3 gray image whose first two pixels encode i (low, high byte)
// and the rest vary, so a random crop visibly moves them; label i % 5.
class CountingDataset : public Dataset {
 public:
  explicit CountingDataset(std::int64_t n, int sleep_us = 0, std::int64_t bad = -1, std::int64_t corrupt = -1)
      : n_(n), sleep_us_(sleep_us), bad_(bad), corrupt_(corrupt) {}
  std::int64_t size() const override { return n_; }
  Sample get(std::int64_t i) const override {
    ++calls;
    if (sleep_us_) std::this_thread::sleep_for(std::chrono::microseconds(sleep_us_));
    if (i == bad_) throw Error("cannot parse item_" + std::to_string(i) + ".bin: bad header");
    if (i == corrupt_) throw CorruptSampleError("image item_" + std::to_string(i) + ".png: corrupt");
    std::vector<std::uint8_t> px = {static_cast<std::uint8_t>(i & 255), static_cast<std::uint8_t>(i >> 8), 7, 9, 11, 13};
    return {Image::hwc_u8(2, 3, 1, px), i % 5};
  }
  const std::vector<std::string>& class_names() const override { return names_; }
  int channels() const override { return 1; }
  std::string description() const override { return "counting"; }
  mutable std::atomic<std::int64_t> calls{0};

 private:
  std::int64_t n_;
  int sleep_us_;
  std::int64_t bad_, corrupt_;
  std::vector<std::string> names_ = {"a", "b", "c", "d", "e"};
};

LoaderOptions opts(std::int64_t bs, int workers, std::uint64_t seed = 3) {
  LoaderOptions o;
  o.batch_size = bs;
  o.num_workers = workers;
  o.prefetch = 2;
  o.seed = seed;
  return o;
}

struct EpochRecord {
  std::vector<std::int64_t> indices;
  std::vector<float> pixels;
  std::vector<std::int64_t> sizes;
};

EpochRecord run_epoch(DataLoader& l, std::int64_t epoch, std::int64_t start = 0) {
  EpochRecord r;
  l.start_epoch(epoch, start);
  Batch b;
  while (l.next(b)) {
    EXPECT_EQ(b.images.dtype(), DType::Float32);
    EXPECT_EQ(b.labels.dtype(), DType::Int64);
    EXPECT_TRUE(b.images.is_contiguous());
    const std::int64_t n = b.images.size(0);
    r.sizes.push_back(n);
    const float* px = b.images.data<float>();
    const std::int64_t* lab = b.labels.data<std::int64_t>();
    for (std::int64_t k = 0; k < n; ++k) {
      r.indices.push_back(b.sample_indices[k]);
      EXPECT_EQ(lab[k], b.sample_indices[k] % 5);
    }
    r.pixels.insert(r.pixels.end(), px, px + b.images.numel());
  }
  return r;
}
}  // namespace

TEST(DataLoader, EveryIndexOncePerEpochAndImagesMatchIndices) {
  auto ds = std::make_shared<CountingDataset>(103);
  DataLoader l(ds, nullptr, opts(10, 3));
  EXPECT_EQ(l.num_batches(), 11);
  EpochRecord r = run_epoch(l, 0);
  ASSERT_EQ(r.indices.size(), 103u);
  EXPECT_EQ(std::set<std::int64_t>(r.indices.begin(), r.indices.end()).size(), 103u);
  EXPECT_EQ(r.sizes.back(), 3);
  // Without a transform the rows are the raw pixels / 255 (ToTensor), in order.
  for (size_t k = 0; k < r.indices.size(); ++k) {
    EXPECT_FLOAT_EQ(r.pixels[k * 6] * 255.0f, static_cast<float>(r.indices[k] & 255));
    EXPECT_FLOAT_EQ(r.pixels[k * 6 + 1] * 255.0f, static_cast<float>(r.indices[k] >> 8));
  }
  EXPECT_NE(r.indices, DataLoader::epoch_order(103, 3, 0, false));  // shuffled
}

TEST(DataLoader, SameBatchesForAnyWorkerCountDifferentAcrossEpochs) {
  auto ds = std::make_shared<CountingDataset>(64);
  auto tf = std::make_shared<Compose>(std::vector<TransformPtr>{random_crop(2, 1), random_horizontal_flip()});
  DataLoader l0(ds, tf, opts(8, 0)), l1(ds, tf, opts(8, 1)), l3(ds, tf, opts(8, 3));
  for (std::int64_t e : {0, 1}) {
    EpochRecord a = run_epoch(l0, e), b = run_epoch(l1, e), c = run_epoch(l3, e);
    EXPECT_EQ(a.indices, b.indices);
    EXPECT_EQ(a.indices, c.indices);
    EXPECT_EQ(a.pixels, b.pixels);  // augmentation too, bit for bit
    EXPECT_EQ(a.pixels, c.pixels);
  }
  EXPECT_NE(run_epoch(l3, 0).indices, run_epoch(l3, 1).indices);
  EXPECT_EQ(run_epoch(l3, 5).indices, run_epoch(l1, 5).indices);
  DataLoader other_seed(ds, tf, opts(8, 2, 4));
  EXPECT_NE(run_epoch(other_seed, 0).indices, run_epoch(l1, 0).indices);
}

TEST(DataLoader, DropLastAndNoShuffle) {
  auto ds = std::make_shared<CountingDataset>(25);
  LoaderOptions o = opts(10, 2);
  o.drop_last = true;
  o.shuffle = false;
  DataLoader l(ds, nullptr, o);
  EXPECT_EQ(l.num_batches(), 2);
  EpochRecord r = run_epoch(l, 0);
  EXPECT_EQ(r.sizes, (std::vector<std::int64_t>{10, 10}));
  std::vector<std::int64_t> expect(20);
  for (int i = 0; i < 20; ++i) expect[i] = i;
  EXPECT_EQ(r.indices, expect);
}

TEST(DataLoader, StartBatchResumesMidEpoch) {
  auto ds = std::make_shared<CountingDataset>(50);
  auto tf = random_crop(2, 1);
  DataLoader l(ds, tf, opts(7, 2));
  EpochRecord full = run_epoch(l, 2);
  EpochRecord tail = run_epoch(l, 2, 3);
  ASSERT_EQ(tail.indices.size(), 50u - 21u);
  EXPECT_TRUE(std::equal(tail.indices.begin(), tail.indices.end(), full.indices.begin() + 21));
  EXPECT_TRUE(std::equal(tail.pixels.begin(), tail.pixels.end(), full.pixels.begin() + 21 * 4));
  EXPECT_TRUE(run_epoch(l, 2, l.num_batches()).indices.empty());
  EXPECT_THROW(l.start_epoch(2, l.num_batches() + 1), Error);
}

TEST(DataLoader, WorkerErrorsReachTheConsumerWithTheName) {
  auto ds = std::make_shared<CountingDataset>(30, 0, /*bad=*/17);
  for (int workers : {0, 2}) {
    LoaderOptions o = opts(4, workers);
    o.shuffle = false;
    DataLoader l(ds, nullptr, o);
    l.start_epoch(0);
    Batch b;
    int good = 0;
    try {
      while (l.next(b)) ++good;
      FAIL() << "expected the worker's error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("item_17.bin"), std::string::npos) << e.what();
    }
    EXPECT_EQ(good, 4);  // batches 0..3 arrived, batch 4 holds sample 17
  }
  // A transform error names the sample too.
  auto small = std::make_shared<CountingDataset>(4);
  DataLoader l(small, random_crop(9), opts(2, 1));
  l.start_epoch(0);
  Batch b;
  try {
    l.next(b);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("counting sample"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("RandomCrop"), std::string::npos) << e.what();
  }
}

TEST(DataLoader, CorruptSamplesAreLeftOutAndCounted) {
  auto ds = std::make_shared<CountingDataset>(20, 0, -1, /*corrupt=*/6);
  LoaderOptions o = opts(4, 2);
  o.shuffle = false;
  DataLoader l(ds, nullptr, o);
  EpochRecord r = run_epoch(l, 0);
  EXPECT_EQ(r.sizes, (std::vector<std::int64_t>{4, 3, 4, 4, 4}));
  EXPECT_EQ(l.skipped_this_epoch(), 1);
  EXPECT_EQ(std::count(r.indices.begin(), r.indices.end(), 6), 0);
}

TEST(DataLoader, DestroyedMidEpochStopsPromptly) {
  auto ds = std::make_shared<CountingDataset>(100000, /*sleep_us=*/200);
  const auto t0 = std::chrono::steady_clock::now();
  {
    DataLoader l(ds, nullptr, opts(64, 3));
    l.start_epoch(0);
    Batch b;
    ASSERT_TRUE(l.next(b));
    ASSERT_TRUE(l.next(b));
  }  // workers are mid-batch here
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(secs, 5.0);
  // Bounded prefetch: at most the 2 delivered + 2 ahead + 3 in flight batches were decoded.
  EXPECT_LE(ds->calls.load(), 7 * 64);
  // A loader destroyed before any epoch, or restarted mid-epoch, is fine too.
  DataLoader idle(ds, nullptr, opts(64, 2));
  DataLoader restarted(ds, nullptr, opts(64, 2));
  restarted.start_epoch(0);
  restarted.start_epoch(1);
  Batch b;
  ASSERT_TRUE(restarted.next(b));
  EXPECT_EQ(b.index, 0);
}

TEST(DataLoader, MismatchedSampleSizesAreAClearError) {
  class Ragged : public CountingDataset {
   public:
    Ragged() : CountingDataset(4) {}
    Sample get(std::int64_t i) const override {
      return {Image::hwc_u8(1 + static_cast<int>(i), 1, 1, std::vector<std::uint8_t>(1 + i, 0)), 0};
    }
  };
  DataLoader l(std::make_shared<Ragged>(), nullptr, opts(4, 1));
  l.start_epoch(0);
  Batch b;
  try {
    l.next(b);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Resize"), std::string::npos) << e.what();
  }
}
