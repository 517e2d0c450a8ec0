// ImageFolderDataset (torchvision's layout and class order), channel conversion,
// corrupt files skipped and counted, clear errors for empty folders, and
// open_dataset / export_idx_as_image_folder.
#include <gtest/gtest.h>

#include <algorithm>

#include <filesystem>

#include <stb_image_write.h>

#include "data/idx.h"
#include "data/idx_dataset.h"
#include "data/image_codec.h"
#include "data/image_folder.h"
#include "data/loader.h"
#include "data/open_dataset.h"
#include "data_test_util.h"

using namespace basin;
using namespace basin::data;
using basin::data::testing::expect_error_mentions;
using basin::data::testing::TempDir;
using basin::data::testing::write_bytes;

namespace {
void write_jpeg(const std::string& path, const Image& im) {
  std::vector<std::uint8_t> out;
  stbi_write_jpg_to_func([](void* c, void* d, int n) {
        auto* v = static_cast<std::vector<std::uint8_t>*>(c);
        v->insert(v->end(), static_cast<std::uint8_t*>(d), static_cast<std::uint8_t*>(d) + n);
      }, &out, im.width, im.height, im.channels, im.u8.data(), 95);
  write_file_atomically(path, out);
}
Image solid(int h, int w, std::vector<std::uint8_t> px) {
  std::vector<std::uint8_t> v;
  for (int i = 0; i < h * w; ++i) v.insert(v.end(), px.begin(), px.end());
  return Image::hwc_u8(h, w, static_cast<int>(px.size()), v);
}
// root/{b_dog,a_cat,c_eel}: a gray PNG, an RGB PNG, an RGBA PNG, a JPEG, a corrupt
// "png", a text file, and a nested folder.
void make_tree(const TempDir& d) {
  namespace fs = std::filesystem;
  for (auto c : {"b_dog", "a_cat", "c_eel/nested"}) fs::create_directories(d.path / "root" / c);
  write_png(d / "root/a_cat/1_gray.png", solid(4, 5, {100}));
  write_png(d / "root/a_cat/0_rgb.PNG", solid(4, 5, {10, 20, 30}));
  write_png(d / "root/b_dog/rgba.png", solid(3, 3, {10, 20, 30, 40}));
  write_jpeg(d / "root/b_dog/photo.jpg", solid(8, 8, {200, 100, 50}));
  write_bytes(d / "root/b_dog/zz_broken.png", {0x89, 'P', 'N', 'G', 1, 2, 3});
  write_bytes(d / "root/b_dog/notes.txt", {'h', 'i'});
  write_png(d / "root/c_eel/nested/deep.bmp.png", solid(2, 2, {7, 7, 7}));
}
}  // namespace

TEST(ImageFolder, ClassesSortedFilesRecursiveAndFiltered) {
  TempDir d;
  make_tree(d);
  ImageFolderDataset ds(d / "root", 3);
  EXPECT_EQ(ds.class_names(), (std::vector<std::string>{"a_cat", "b_dog", "c_eel"}));
  ASSERT_EQ(ds.size(), 6);  // notes.txt ignored, nested image found
  std::vector<std::string> names;
  for (std::int64_t i = 0; i < ds.size(); ++i)
    names.push_back(std::filesystem::path(ds.path(i)).filename().string());
  EXPECT_EQ(names, (std::vector<std::string>{"0_rgb.PNG", "1_gray.png", "photo.jpg", "rgba.png", "zz_broken.png",
                                             "deep.bmp.png"}));
  EXPECT_EQ(ds.label(0), 0);
  EXPECT_EQ(ds.label(2), 1);
  EXPECT_EQ(ds.label(5), 2);
}

TEST(ImageFolder, UnsupportedFormatsAreCountedInOneNote) {
  TempDir d;
  make_tree(d);
  write_bytes(d / "root/a_cat/scan.TIF", {'I', 'I', 42, 0});
  write_bytes(d / "root/b_dog/x.webp", {'R', 'I', 'F', 'F'});
  write_bytes(d / "root/c_eel/nested/y.webp", {'R', 'I', 'F', 'F'});
  ::testing::internal::CaptureStderr();
  ImageFolderDataset ds(d / "root", 3);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(ds.size(), 6);  // the same images as without them
  EXPECT_EQ(ds.num_unsupported_files(), 3);
  EXPECT_NE(err.find("3 file(s) in an unsupported format left out (1 .tif, 2 .webp)"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << "one line: " << err;
  // Without them: no note at all.
  TempDir clean;
  make_tree(clean);
  ::testing::internal::CaptureStderr();
  ImageFolderDataset plain(clean / "root", 3);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(plain.num_unsupported_files(), 0);
  EXPECT_EQ(unsupported_image_extension("a.JPG"), "");
  EXPECT_EQ(unsupported_image_extension("a.HEIC"), "heic");
}

TEST(ImageFolder, ConvertsGrayRgbRgbaToTheRequestedChannels) {
  TempDir d;
  make_tree(d);
  ImageFolderDataset rgb(d / "root", 3), gray(d / "root", 1);
  Sample s = rgb.get(1);  // gray PNG -> 3 equal channels
  EXPECT_EQ(s.image.channels, 3);
  EXPECT_EQ(s.image.height, 4);
  EXPECT_EQ(s.image.width, 5);
  EXPECT_EQ((std::vector<std::uint8_t>(s.image.u8.begin(), s.image.u8.begin() + 3)),
            (std::vector<std::uint8_t>{100, 100, 100}));
  Sample a = rgb.get(3);  // RGBA -> RGB drops alpha
  EXPECT_EQ((std::vector<std::uint8_t>(a.image.u8.begin(), a.image.u8.begin() + 3)),
            (std::vector<std::uint8_t>{10, 20, 30}));
  Sample g = gray.get(0);  // RGB -> luma (77 r + 150 g + 29 b) >> 8
  EXPECT_EQ(g.image.channels, 1);
  EXPECT_EQ(g.image.u8[0], 18);
  Sample j = rgb.get(2);
  EXPECT_NEAR(j.image.u8[0], 200, 3);
  EXPECT_NEAR(j.image.u8[1], 100, 3);
  EXPECT_NEAR(j.image.u8[2], 50, 3);
}

TEST(ImageFolder, CorruptFileIsSkippedCountedAndNamed) {
  TempDir d;
  make_tree(d);
  auto ds = std::make_shared<ImageFolderDataset>(d / "root", 3);
  try {
    ds->get(4);
    FAIL() << "expected CorruptSampleError";
  } catch (const CorruptSampleError& e) {
    EXPECT_NE(std::string(e.what()).find("zz_broken.png"), std::string::npos) << e.what();
  }
  LoaderOptions opt;
  opt.batch_size = 4;
  opt.num_workers = 2;
  opt.shuffle = false;
  DataLoader loader(ds, std::make_shared<Compose>(std::vector<TransformPtr>{resize_to(6, 6)}), opt);
  for (int epoch = 0; epoch < 2; ++epoch) {
    loader.start_epoch(epoch);
    Batch b;
    std::int64_t rows = 0, skipped = 0;
    while (loader.next(b)) {
      rows += b.images.size(0);
      skipped += b.skipped;
      EXPECT_EQ(b.images.shape(), (Shape{b.images.size(0), 3, 6, 6}));
    }
    EXPECT_EQ(rows, 5);
    EXPECT_EQ(skipped, 1);
    EXPECT_EQ(loader.skipped_this_epoch(), 1);  // counted again every epoch
  }
  EXPECT_EQ(ds->num_bad_files(), 1);  // but warned about once
}

TEST(ImageFolder, EmptyFoldersAreClearErrors) {
  TempDir d;
  std::filesystem::create_directories(d.path / "none");
  expect_error_mentions([&] { ImageFolderDataset(d / "none"); }, {"none", "no class folders"});
  std::filesystem::create_directories(d.path / "some/cat");
  std::filesystem::create_directories(d.path / "some/dog");
  write_png(d / "some/cat/x.png", solid(2, 2, {1}));
  write_bytes(d / "some/dog/readme.txt", {'x'});
  expect_error_mentions([&] { ImageFolderDataset(d / "some"); }, {"some", "no images", "dog"});
  expect_error_mentions([&] { ImageFolderDataset(d / "missing"); }, {"missing", "not a folder"});
}

TEST(OpenDataset, FolderWithTrainAndValSplits) {
  TempDir d;
  for (auto split : {"train", "val"})
    for (auto c : {"x", "y"}) {
      std::filesystem::create_directories(d.path / split / c);
      write_png(d / (std::string(split) + "/" + c + "/0.png"), solid(2, 2, {5, 6, 7}));
    }
  DatasetPair p = open_dataset(d.path.string(), 3);
  EXPECT_EQ(p.train->size(), 2);
  EXPECT_EQ(p.test->size(), 2);
  EXPECT_EQ(p.test->class_names(), (std::vector<std::string>{"x", "y"}));
  std::filesystem::create_directories(d.path / "val/z");
  write_png(d / "val/z/0.png", solid(2, 2, {5, 6, 7}));
  expect_error_mentions([&] { open_dataset(d.path.string()); }, {"same class folders"});
  expect_error_mentions([&] { open_dataset(d / "nope"); }, {"nope"});
  expect_error_mentions([&] { open_dataset(d / "train"); }, {"no train/"});
}

TEST(OpenDataset, ExportIdxAsImageFolderRoundTrips) {
  TempDir d;
  IdxArray im, lb;
  im.dims = {7, 3, 4};
  for (int i = 0; i < 84; ++i) im.data.push_back(static_cast<std::uint8_t>(i * 3));
  lb.dims = {7};
  for (int i = 0; i < 7; ++i) lb.data.push_back(static_cast<std::uint8_t>(i % 10));
  write_idx(d / "im", im, false);
  write_idx(d / "lb", lb, false);
  auto ds = std::make_shared<IdxDataset>(d / "im", d / "lb", fashion_mnist_class_names());
  EXPECT_EQ(export_idx_as_image_folder({ds, ds}, d / "out"), 14);
  EXPECT_TRUE(std::filesystem::exists(d / "out/train/T-shirt_top/00000.png"));
  EXPECT_TRUE(std::filesystem::exists(d / "out/test/Shirt/00006.png"));
  for (auto& e : std::filesystem::recursive_directory_iterator(d / "out"))
    EXPECT_EQ(e.path().string().find(".part"), std::string::npos) << e.path();
  // Read back as an ImageFolder: every exported pixel and label survives. Only the
  // 7 classes that have images exist as folders.
  ImageFolderDataset back(d / "out/train", 1);
  ASSERT_EQ(back.size(), 7);
  for (std::int64_t i = 0; i < 7; ++i) {
    const auto name = std::filesystem::path(back.path(i)).stem().string();
    const int src = std::stoi(name);
    EXPECT_EQ(back.get(i).image.u8, ds->get(src).image.u8);
    EXPECT_EQ(back.class_names()[back.label(i)], fashion_mnist_class_names()[src % 10]);
  }
}
