// DataLoader sharding (data-parallel training): N shards of a global batch are
// exactly the one-process batch of N * batch_size, position r, r + N, ... to
// shard r, with the same augmentation per sample; every shard takes the same
// number of batches, an empty part of the last batch included.
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "data/loader.h"

using namespace basin;
using namespace basin::data;

namespace {

// Sample i: a 4x4 gray image whose pixels encode i, label i % 3.
class IndexDataset : public Dataset {
 public:
  explicit IndexDataset(std::int64_t n) : n_(n) {}
  std::int64_t size() const override { return n_; }
  Sample get(std::int64_t i) const override {
    std::vector<std::uint8_t> px(16);
    for (int k = 0; k < 16; ++k) px[k] = static_cast<std::uint8_t>((i * 7 + k * 13) & 255);
    return {Image::hwc_u8(4, 4, 1, px), i % 3};
  }
  const std::vector<std::string>& class_names() const override { return names_; }
  int channels() const override { return 1; }
  std::string description() const override { return "index"; }

 private:
  std::int64_t n_;
  std::vector<std::string> names_ = {"a", "b", "c"};
};

struct Rows {
  std::vector<std::int64_t> indices;
  std::vector<std::vector<float>> pixels;  // per row
};

// Batch b's rows for every batch of epoch 1.
std::vector<Rows> epoch_rows(std::int64_t n, std::int64_t bs, int rank, int count, int workers) {
  LoaderOptions o;
  o.batch_size = bs;
  o.num_workers = workers;
  o.seed = 11;
  o.shard_rank = rank;
  o.shard_count = count;
  // A random crop: a sample's augmentation must not depend on the shard it lands in.
  TransformPtr t = std::make_shared<Compose>(std::vector<TransformPtr>{random_crop(4, 1), to_tensor()});
  DataLoader l(std::make_shared<IndexDataset>(n), t, o);
  l.start_epoch(1);
  std::vector<Rows> out;
  Batch b;
  while (l.next(b)) {
    Rows r;
    EXPECT_EQ(b.index, static_cast<std::int64_t>(out.size()));
    if (!b.empty()) {
      const std::int64_t rows = b.images.size(0), per = b.images.numel() / rows;
      EXPECT_EQ(b.labels.numel(), rows);
      for (std::int64_t k = 0; k < rows; ++k) {
        r.indices.push_back(b.sample_indices[k]);
        r.pixels.emplace_back(b.images.data<float>() + k * per, b.images.data<float>() + (k + 1) * per);
      }
    } else {
      EXPECT_EQ(b.labels.numel(), 0);
    }
    out.push_back(std::move(r));
  }
  EXPECT_EQ(static_cast<std::int64_t>(out.size()), l.num_batches());
  return out;
}

TEST(DataLoaderShard, ShardsInterleaveTheOneProcessBatch) {
  const std::int64_t n = 50, bs = 4;
  for (int count : {2, 3}) {
    const std::vector<Rows> one = epoch_rows(n, bs * count, 0, 1, 2);
    std::vector<std::vector<Rows>> shards;
    for (int r = 0; r < count; ++r) shards.push_back(epoch_rows(n, bs, r, count, r % 2));
    for (int r = 0; r < count; ++r) ASSERT_EQ(shards[r].size(), one.size()) << "shard " << r << " of " << count;
    for (std::size_t b = 0; b < one.size(); ++b) {
      const Rows& all = one[b];
      std::size_t total = 0;
      for (int r = 0; r < count; ++r) {
        const Rows& mine = shards[r][b];
        total += mine.indices.size();
        for (std::size_t j = 0; j < mine.indices.size(); ++j) {
          const std::size_t pos = static_cast<std::size_t>(r) + j * static_cast<std::size_t>(count);
          ASSERT_LT(pos, all.indices.size());
          EXPECT_EQ(mine.indices[j], all.indices[pos]) << "batch " << b << " shard " << r << " row " << j;
          EXPECT_EQ(mine.pixels[j], all.pixels[pos]) << "augmentation of sample " << mine.indices[j];
        }
      }
      EXPECT_EQ(total, all.indices.size()) << "batch " << b;
    }
  }
}

TEST(DataLoaderShard, EmptyPartOfTheLastBatchIsStillDelivered) {
  // 9 samples, global batch 2 x 4 = 8: the last batch holds one sample, shard 1 none.
  const std::vector<Rows> s0 = epoch_rows(9, 4, 0, 2, 0), s1 = epoch_rows(9, 4, 1, 2, 1);
  ASSERT_EQ(s0.size(), 2u);
  ASSERT_EQ(s1.size(), 2u);
  EXPECT_EQ(s0[1].indices.size(), 1u);
  EXPECT_TRUE(s1[1].indices.empty());
  EXPECT_EQ(s0[0].indices.size() + s1[0].indices.size(), 8u);
}

TEST(DataLoaderShard, BadShardIsRefused) {
  LoaderOptions o;
  o.shard_rank = 2;
  o.shard_count = 2;
  EXPECT_THROW(DataLoader(std::make_shared<IndexDataset>(4), nullptr, o), Error);
}

}  // namespace
