// Issue #12 class 3, the data walk cannot be fooled: symlink loops and links back
// into the tree, hidden folders, splits and classes whose every image is
// unreadable. Each case checks the exact files and labels an ImageFolder lists
// against the tree the test built (docs/errors.md, "Data folders").
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "data/image_codec.h"
#include "data/image_folder.h"
#include "data/loader.h"
#include "data/open_dataset.h"
#include "data_test_util.h"

namespace fs = std::filesystem;
using namespace basin::data;
using basin::data::testing::expect_error_mentions;
using basin::data::testing::TempDir;
using basin::data::testing::write_bytes;

namespace {

void png(const std::string& path) {
  fs::create_directories(fs::path(path).parent_path());
  write_png(path, Image::hwc_u8(2, 2, 1, {1, 2, 3, 4}));
}

// (class name, path relative to root) of every sample, sorted.
std::vector<std::pair<std::string, std::string>> listing(const ImageFolderDataset& ds, const fs::path& root) {
  std::vector<std::pair<std::string, std::string>> v;
  for (std::int64_t i = 0; i < ds.size(); ++i)
    v.emplace_back(ds.class_names()[static_cast<std::size_t>(ds.label(i))],
                   fs::path(ds.path(i)).lexically_relative(root).string());
  std::sort(v.begin(), v.end());
  return v;
}

using Listing = std::vector<std::pair<std::string, std::string>>;

// root/a/{1,2}.png, root/b/{1,2,3}.png: 5 images in 2 classes.
fs::path two_classes(const TempDir& d) {
  const fs::path root = d.path / "root";
  for (auto f : {"a/1.png", "a/2.png", "b/1.png", "b/2.png", "b/3.png"}) png((root / f).string());
  return root;
}

const Listing kTwoClasses = {{"a", "a/1.png"}, {"a", "a/2.png"}, {"b", "b/1.png"}, {"b", "b/2.png"}, {"b", "b/3.png"}};

}  // namespace

TEST(BadInputWalk, LinkToTheParentInsideAClassCountsNothingTwice) {
  TempDir d;
  const fs::path root = two_classes(d);
  fs::create_directory_symlink("..", root / "a" / "up");  // the train/a/up -> ..
  ImageFolderDataset ds(root.string(), 1);
  EXPECT_EQ(listing(ds, root), kTwoClasses);
}

TEST(BadInputWalk, LinksBackIntoTheTreeAreNotFollowed) {
  TempDir d;
  const fs::path root = two_classes(d);
  fs::create_directory_symlink("../b", root / "a" / "b_link");    // another class's folder
  fs::create_directory_symlink(".", root / "a" / "self");         // itself
  fs::create_directory_symlink(root, root / "b" / "abs_root");    // the root, absolute
  fs::create_directories(root / "a" / "deep" / "er");
  fs::create_directory_symlink("../../..", root / "a" / "deep" / "er" / "loop");  // the root from deep down
  ImageFolderDataset ds(root.string(), 1);
  EXPECT_EQ(listing(ds, root), kTwoClasses);
}

TEST(BadInputWalk, AClassFolderLinkingToAnotherClassIsNotAClass) {
  TempDir d;
  const fs::path root = two_classes(d);
  fs::create_directory_symlink("a", root / "c");
  ImageFolderDataset ds(root.string(), 1);
  EXPECT_EQ(ds.class_names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(listing(ds, root), kTwoClasses);
}

TEST(BadInputWalk, LinksOutsideTheTreeAreFollowedOnceAndFilesLinksCount) {
  TempDir d;
  const fs::path root = two_classes(d);
  const fs::path outside = d.path / "elsewhere";
  png((outside / "x.png").string());
  png((outside / "sub" / "y.png").string());
  fs::create_directory_symlink("..", outside / "sub" / "loop");     // a loop outside the tree
  fs::create_directory_symlink(outside, root / "a" / "more");        // followed
  fs::create_directory_symlink(outside, root / "a" / "more_again");  // same folder: listed once
  fs::create_symlink(outside / "x.png", root / "b" / "linked.png");  // a linked file counts where it sits
  fs::create_directory_symlink(d.path / "nowhere", root / "b" / "dangling");
  ImageFolderDataset ds(root.string(), 1);
  Listing want = kTwoClasses;
  want.push_back({"a", "a/more/sub/y.png"});
  want.push_back({"a", "a/more/x.png"});
  want.push_back({"b", "b/linked.png"});
  std::sort(want.begin(), want.end());
  EXPECT_EQ(listing(ds, root), want);
}

TEST(BadInputWalk, HiddenFoldersAndFilesAreNeitherClassesNorImages) {
  TempDir d;
  const fs::path root = two_classes(d);
  png((root / ".ipynb_checkpoints" / "1-checkpoint.png").string());
  png((root / ".git" / "objects" / "x.png").string());
  png((root / "a" / ".ipynb_checkpoints" / "2-checkpoint.png").string());
  png((root / "a" / ".hidden.png").string());
  write_bytes((root / "b" / ".DS_Store").string(), {0, 0, 0, 1});
  write_bytes((root / ".DS_Store").string(), {0, 0, 0, 1});
  ImageFolderDataset ds(root.string(), 1);
  EXPECT_EQ(ds.class_names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(listing(ds, root), kTwoClasses);
  // A folder holding only hidden folders has no classes.
  fs::create_directories(d.path / "only_hidden" / ".git");
  png((d.path / "only_hidden" / ".git" / "z.png").string());
  expect_error_mentions([&] { ImageFolderDataset((d.path / "only_hidden").string(), 1); }, {"no class folders"});
}

TEST(BadInputWalk, ASplitWhoseEveryImageIsUnreadableIsAnError) {
  TempDir d;
  for (auto f : {"test/a/1.png", "test/a/2.png", "test/b/1.jpg"}) write_bytes(d / f, {'j', 'u', 'n', 'k'});
  for (auto f : {"train/a/1.png", "train/b/1.png"}) png(d / f);
  DatasetPair p = open_dataset(d.path.string(), 1);
  for (int workers : {0, 2}) {
    for (std::int64_t bs : {1, 2, 64}) {
      LoaderOptions lo;
      lo.batch_size = bs;
      lo.num_workers = workers;
      lo.shuffle = false;
      DataLoader loader(p.test, nullptr, lo);
      loader.start_epoch(0);
      Batch b;
      expect_error_mentions([&] { while (loader.next(b)) ADD_FAILURE() << "a batch from junk"; },
                            {"every image", "unreadable", "3 skipped"});
    }
  }
  // The readable split still loads, and one bad image among good ones is skipped, not fatal.
  write_bytes(d / "train/b/2.png", {'j'});
  DatasetPair q = open_dataset(d.path.string(), 1);
  DataLoader loader(q.train, nullptr, LoaderOptions{});
  loader.start_epoch(0);
  Batch b;
  std::int64_t rows = 0;
  while (loader.next(b)) rows += b.labels.numel();
  EXPECT_EQ(rows, 2);
  EXPECT_EQ(loader.skipped_this_epoch(), 1);
}

TEST(BadInputWalk, AClassThatLosesAllItsImagesIsNamed) {
  TempDir d;
  png(d / "root/a/1.png");
  png(d / "root/a/2.png");
  write_bytes(d / "root/cat/1.png", {'x'});
  write_bytes(d / "root/cat/2.jpg", {0xFF, 0xD8, 0xFF});
  write_bytes(d / "root/dog/1.png", {'x'});
  png(d / "root/dog/2.png");
  auto ds = std::make_shared<ImageFolderDataset>(d / "root", 1);
  LoaderOptions lo;
  lo.num_workers = 0;
  ::testing::internal::CaptureStderr();
  {
    DataLoader loader(ds, nullptr, lo);
    loader.start_epoch(0);
    Batch b;
    while (loader.next(b)) {
    }
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  std::printf("[message] %s", err.c_str());
  EXPECT_NE(err.find("class cat has no readable image left (all 2 unreadable)"), std::string::npos) << err;
  EXPECT_EQ(err.find("class dog has no"), std::string::npos) << err;  // dog keeps one image
  EXPECT_EQ(err.find("class a has no"), std::string::npos) << err;
}
