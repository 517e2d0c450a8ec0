// IDX reading (plain and gzip), its error messages, IdxDataset, and the real
// Fashion-MNIST from Debian's dataset-fashion-mnist package when installed.
#include <gtest/gtest.h>

#include <filesystem>
#include <numeric>

#include "data/idx.h"
#include "data/idx_dataset.h"
#include "data_test_util.h"

using namespace basin;
using namespace basin::data;
using basin::data::testing::expect_error_mentions;
using basin::data::testing::read_bytes;
using basin::data::testing::TempDir;
using basin::data::testing::write_bytes;

namespace {
IdxArray make_images(int n, int h, int w) {
  IdxArray a;
  a.dims = {n, h, w};
  for (int i = 0; i < n * h * w; ++i) a.data.push_back(static_cast<std::uint8_t>((i * 37 + 11) & 255));
  return a;
}
IdxArray make_labels(int n, int classes) {
  IdxArray a;
  a.dims = {n};
  for (int i = 0; i < n; ++i) a.data.push_back(static_cast<std::uint8_t>(i % classes));
  return a;
}
}  // namespace

TEST(Idx, RoundTripPlainAndGzip) {
  TempDir dir;
  IdxArray a = make_images(5, 3, 4);
  for (bool gz : {false, true}) {
    std::string path = dir / (gz ? "a.idx.gz" : "a.idx");
    write_idx(path, a, gz);
    auto bytes = read_bytes(path);
    if (gz) {
      EXPECT_EQ(bytes[0], 0x1f);  // gzip magic: the file really is compressed
      EXPECT_EQ(bytes[1], 0x8b);
    } else {
      ASSERT_EQ(bytes.size(), 16u + 60u);
      EXPECT_EQ(bytes[2], 0x08);
      EXPECT_EQ(bytes[3], 3);
      EXPECT_EQ(bytes[7], 5);  // big-endian N
    }
    IdxArray b = read_idx(path);
    EXPECT_EQ(b.dims, a.dims);
    EXPECT_EQ(b.data, a.data);
  }
}

TEST(Idx, BadMagicTypeAndDimsAreNamed) {
  TempDir dir;
  write_bytes(dir / "magic.idx", {1, 0, 8, 1, 0, 0, 0, 1, 7});
  expect_error_mentions([&] { read_idx(dir / "magic.idx"); }, {"magic.idx", "bad magic"});
  write_bytes(dir / "type.idx", {0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0});
  expect_error_mentions([&] { read_idx(dir / "type.idx"); }, {"type.idx", "0xd", "not supported"});
  write_bytes(dir / "ndim.idx", {0, 0, 8, 0});
  expect_error_mentions([&] { read_idx(dir / "ndim.idx"); }, {"ndim.idx", "0 dimensions"});
  write_bytes(dir / "short.idx", {0, 0, 8});
  expect_error_mentions([&] { read_idx(dir / "short.idx"); }, {"short.idx", "too short"});
  write_bytes(dir / "hdr.idx", {0, 0, 8, 3, 0, 0, 0, 2, 0, 0});
  expect_error_mentions([&] { read_idx(dir / "hdr.idx"); }, {"hdr.idx", "truncated header"});
  // Dims that multiply past the cap are refused before any allocation.
  write_bytes(dir / "huge.idx", {0, 0, 8, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 2});
  expect_error_mentions([&] { read_idx(dir / "huge.idx"); }, {"huge.idx", "elements"});
  expect_error_mentions([&] { read_idx(dir / "missing.idx"); }, {"missing.idx", "cannot open"});
}

TEST(Idx, TruncatedAndTrailingDataAreNamed) {
  TempDir dir;
  IdxArray a = make_images(4, 2, 2);
  write_idx(dir / "full.idx", a, false);
  auto bytes = read_bytes(dir / "full.idx");
  auto cut = bytes;
  cut.resize(bytes.size() - 3);
  write_bytes(dir / "cut.idx", cut);
  expect_error_mentions([&] { read_idx(dir / "cut.idx"); }, {"cut.idx", "truncated", "16 bytes", "13"});
  auto longer = bytes;
  longer.push_back(9);
  write_bytes(dir / "long.idx", longer);
  expect_error_mentions([&] { read_idx(dir / "long.idx"); }, {"long.idx", "1 unexpected bytes"});
  // A gzip stream cut in the middle: zlib's error is reported with the file name.
  IdxArray big = make_images(50, 28, 28);
  write_idx(dir / "big.idx.gz", big, true);
  auto gz = read_bytes(dir / "big.idx.gz");
  gz.resize(gz.size() / 2);
  write_bytes(dir / "cut.idx.gz", gz);
  expect_error_mentions([&] { read_idx(dir / "cut.idx.gz"); }, {"cut.idx.gz"});
}

TEST(IdxDataset, LoadsImagesAndLabels) {
  TempDir dir;
  write_idx(dir / "img.gz", make_images(6, 3, 2), true);
  write_idx(dir / "lab", make_labels(6, 3), false);
  IdxDataset ds(dir / "img.gz", dir / "lab");
  EXPECT_EQ(ds.size(), 6);
  EXPECT_EQ(ds.num_classes(), 3);
  EXPECT_EQ(ds.channels(), 1);
  EXPECT_EQ(ds.class_names()[2], "2");
  Sample s = ds.get(4);
  EXPECT_EQ(s.label, 1);
  ASSERT_TRUE(s.image.is_u8());
  EXPECT_EQ(s.image.height, 3);
  EXPECT_EQ(s.image.width, 2);
  for (int k = 0; k < 6; ++k) EXPECT_EQ(s.image.u8[k], static_cast<std::uint8_t>(((4 * 6 + k) * 37 + 11) & 255));
  EXPECT_THROW(ds.get(6), Error);
}

TEST(IdxDataset, MismatchedCountsAndBadLabelsAreNamed) {
  TempDir dir;
  write_idx(dir / "img", make_images(6, 2, 2), false);
  write_idx(dir / "lab5", make_labels(5, 3), false);
  expect_error_mentions([&] { IdxDataset(dir / "img", dir / "lab5"); }, {"6 images", "5 labels", "img", "lab5"});
  write_idx(dir / "lab6", make_labels(6, 4), false);
  expect_error_mentions([&] { IdxDataset(dir / "img", dir / "lab6", {"a", "b", "c"}); }, {"lab6", "label 3", "3 classes"});
  expect_error_mentions([&] { IdxDataset(dir / "lab6", dir / "lab6"); }, {"lab6", "expected 3 dims"});
}

TEST(IdxDataset, RealFashionMnist) {
  const std::string dir = fashion_mnist_dir();
  if (!std::filesystem::exists(dir + "/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Fashion-MNIST not installed in " << dir << " (Debian package dataset-fashion-mnist)";
  auto train = IdxDataset::fashion_mnist("train");
  auto test = IdxDataset::fashion_mnist("test");
  EXPECT_EQ(train->size(), 60000);
  EXPECT_EQ(test->size(), 10000);
  EXPECT_EQ(train->height(), 28);
  EXPECT_EQ(train->width(), 28);
  EXPECT_EQ(train->num_classes(), 10);
  EXPECT_EQ(train->class_names()[9], "Ankle_boot");
  std::vector<int> count(10, 0);
  for (std::int64_t i = 0; i < train->size(); ++i) {
    ASSERT_LT(train->label(i), 10);
    ++count[train->label(i)];
  }
  for (int c : count) EXPECT_EQ(c, 6000);  // Fashion-MNIST is balanced
  // Checksums computed independently with Python's gzip module.
  Sample s0 = train->get(0);
  EXPECT_EQ(s0.label, 9);
  EXPECT_EQ(std::accumulate(s0.image.u8.begin(), s0.image.u8.end(), 0L), 76247);
  EXPECT_EQ(train->label(1), 0);
  Sample t0 = test->get(0);
  EXPECT_EQ(t0.label, 9);
  EXPECT_EQ(std::accumulate(t0.image.u8.begin(), t0.image.u8.end(), 0L), 33456);
}
