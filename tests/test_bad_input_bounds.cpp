// Issue #12 class 4, resources are bounded before the work: file sizes are
// checked before reading, decoded and transformed sizes before allocating, IDX
// files read only as far as a limit needs, batches capped at the dataset, and
// FIFOs, sockets and devices refused instead of hung on. Classes 6's weights
// files share the "not a regular file" refusal (docs/errors.md lists messages).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "data/dataset.h"
#include "data/idx.h"
#include "data/idx_dataset.h"
#include "data/image_codec.h"
#include "data/image_folder.h"
#include "data/loader.h"
#include "data/open_dataset.h"
#include "data/transforms.h"
#include "data_test_util.h"
#include "nn/safetensors.h"
#include "error_test_util.h"

namespace fs = std::filesystem;
using namespace basin::data;
using basin::data::testing::TempDir;
using basin::data::testing::write_bytes;

using basin::testing::expect_error;

namespace {

std::vector<std::uint8_t> idx_header(std::vector<std::uint32_t> dims) {
  std::vector<std::uint8_t> b = {0, 0, 0x08, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(d >> s));
  return b;
}

void write_gz(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_TRUE(f);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(f);
}

// An images file declaring `declared` 28x28 images but holding only `present`
// (image i filled with byte i), and a labels file declaring as many.
void fake_mnist(const std::string& images, const std::string& labels, std::uint32_t declared, std::uint32_t present,
                bool gzip) {
  std::vector<std::uint8_t> im = idx_header({declared, 28, 28}), lb = idx_header({declared});
  for (std::uint32_t i = 0; i < present; ++i) {
    im.insert(im.end(), 28 * 28, static_cast<std::uint8_t>(i));
    lb.push_back(static_cast<std::uint8_t>(i % 10));
  }
  if (gzip) {
    write_gz(images, im);
    write_gz(labels, lb);
  } else {
    write_bytes(images, im);
    write_bytes(labels, lb);
  }
}

// write_png into a folder made on demand.
void png_at(const std::string& path, const Image& im) {
  fs::create_directories(fs::path(path).parent_path());
  write_png(path, im);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST(BadInputBounds, HugeImageFileIsRefusedBeforeItIsRead) {
  TempDir d;
  // 2.5 GB and 600 MB of junk as sparse files: reading them would take seconds and the memory.
  for (auto [name, bytes] : {std::pair{"junk.png", 2'500'000'000LL}, std::pair{"big.jpg", 600'000'000LL}}) {
    const std::string p = d / name;
    write_bytes(p, {0x89, 'P', 'N', 'G'});
    fs::resize_file(p, static_cast<std::uintmax_t>(bytes));
    const auto t0 = std::chrono::steady_clock::now();
    expect_error<CorruptSampleError>([&] { read_image_file(p, 3); }, {name, std::to_string(bytes) + " bytes", "limit"});
    EXPECT_LT(seconds_since(t0), 0.5) << "the file was read";
  }
}

TEST(BadInputBounds, SpecialFilesAreRefusedNotHungOn) {
  TempDir d;
  const std::string fifo = d / "fifo.png";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string sock = d / "sock.png";
  int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock.c_str());
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string link_to_fifo = d / "link.png";
  fs::create_symlink(fifo, link_to_fifo);
  // Images: a CorruptSampleError the loader may skip.
  expect_error<CorruptSampleError>([&] { read_image_file(fifo, 3); }, {"fifo.png", "FIFO, not a regular file"});
  expect_error<CorruptSampleError>([&] { read_image_file(sock, 3); }, {"sock.png", "socket"});
  expect_error<CorruptSampleError>([&] { read_image_file(link_to_fifo, 3); }, {"link.png", "FIFO"});
  expect_error<CorruptSampleError>([&] { read_image_file("/dev/zero", 3); }, {"/dev/zero", "character device"});
  expect_error<CorruptSampleError>([&] { read_image_file(d.path.string(), 3); }, {"folder"});
  // IDX and weights files: fatal errors naming the file.
  expect_error([&] { read_idx(fifo); }, {"IDX file", "fifo.png", "FIFO"});
  expect_error([&] { read_idx("/dev/zero"); }, {"/dev/zero", "character device"});
  expect_error([&] { basin::nn::load_safetensors(fifo); }, {"fifo.png", "FIFO"});
  expect_error([&] { basin::nn::load_safetensors("/dev/zero"); }, {"/dev/zero", "character device"});
  expect_error([&] { basin::nn::load_safetensors(sock); }, {"sock.png", "socket"});
  expect_error([&] { basin::nn::load_safetensors(d.path.string()); }, {"folder"});
  ::close(s);
  // A FIFO with an image name in a class folder is skipped like a corrupt file.
  png_at(d / "root/a/ok.png", Image::hwc_u8(2, 2, 1, {1, 2, 3, 4}));
  ASSERT_EQ(::mkfifo((d / "root/a/pipe.png").c_str(), 0600), 0);
  ImageFolderDataset ds(d / "root", 1);
  EXPECT_EQ(ds.size(), 1);  // not a regular file: not listed
}

TEST(BadInputBounds, LongThinImagesAreSkippedBeforeTheResizeAllocates) {
  // A valid 1x20000 PNG at the default 224 would resize to 256 x 5120000 x 3.
  const auto thin = Image::hwc_u8(1, 20000, 3, std::vector<std::uint8_t>(60000, 9));
  const auto tall = Image::hwc_u8(30000, 2, 1, std::vector<std::uint8_t>(60000, 9));
  auto eval = eval_pipeline(224);
  expect_error<CorruptSampleError>([&] { (*eval)(thin); }, {"1x20000", "limit 268435456"});
  expect_error<CorruptSampleError>([&] { (*eval)(tall); }, {"30000x2"});
  expect_error<CorruptSampleError>([&] { resize_bilinear(thin, 20000, 20000); }, {"20000x20000"});
  expect_error<CorruptSampleError>([&] { crop(tall, 0, 0, 70000, 70000); }, {"70000x70000"});
  // Within bounds the same pipeline works: 3x40 -> 224x224.
  Image ok = (*eval)(Image::hwc_u8(3, 40, 3, std::vector<std::uint8_t>(360, 9)));
  EXPECT_EQ(ok.height, 224);
  EXPECT_EQ(ok.width, 224);
  // Through the loader: the thin image is skipped with one warning, the others train.
  TempDir d;
  png_at(d / "root/a/thin.png", thin);
  png_at(d / "root/a/ok.png", Image::hwc_u8(4, 4, 3, std::vector<std::uint8_t>(48, 9)));
  png_at(d / "root/b/ok.png", Image::hwc_u8(5, 4, 3, std::vector<std::uint8_t>(60, 9)));
  auto ds = std::make_shared<ImageFolderDataset>(d / "root", 3);
  LoaderOptions lo;
  lo.shuffle = false;
  lo.num_workers = 1;
  DataLoader loader(ds, eval_pipeline(224), lo);  // the default image size
  ::testing::internal::CaptureStderr();
  std::int64_t rows = 0;
  for (int epoch = 0; epoch < 2; ++epoch) {
    loader.start_epoch(epoch);
    Batch b;
    while (loader.next(b)) rows += b.labels.numel();
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  std::printf("[message] %s", err.c_str());
  EXPECT_EQ(rows, 4);
  EXPECT_NE(err.find("warning: skipping " + (d / "root/a/thin.png") + ": Resize"), std::string::npos) << err;
  EXPECT_EQ(err.find("thin.png"), err.rfind("thin.png")) << "warned more than once: " << err;
}

TEST(BadInputBounds, IdxDeclaringMillionsLoadsOnlyWhatTheLimitNeeds) {
  TempDir d;
  for (bool gz : {false, true}) {
    const std::string im = d / (gz ? "im.gz" : "im"), lb = d / (gz ? "lb.gz" : "lb");
    fake_mnist(im, lb, 5'000'000, 12, gz);
    const auto t0 = std::chrono::steady_clock::now();
    IdxArray a = read_idx(im, 10);
    EXPECT_EQ(a.dims, (std::vector<std::int64_t>{10, 28, 28}));
    ASSERT_EQ(a.data.size(), 10u * 784);
    EXPECT_EQ(a.data[9 * 784], 9);
    IdxDataset ds(im, lb, {}, "", 7);
    EXPECT_EQ(ds.size(), 7);
    EXPECT_EQ(ds.get(6).label, 6);
    EXPECT_LT(seconds_since(t0), 1.0);
    // Without a limit the file is what it is: truncated, said before allocating for 5M images.
    expect_error([&] { read_idx(im); }, {gz ? "im.gz" : "im", "truncated", "3920000000"});
    // A limit past what the file holds is truncation too.
    expect_error([&] { read_idx(im, 13); }, {"truncated", std::to_string(13 * 784)});
  }
  // open_dataset passes --limit-train / --limit-test down to the IDX reader.
  const std::string dir = d / "fm";
  fs::create_directories(dir);
  fake_mnist(dir + "/train-images-idx3-ubyte.gz", dir + "/train-labels-idx1-ubyte.gz", 5'000'000, 20, true);
  fake_mnist(dir + "/t10k-images-idx3-ubyte.gz", dir + "/t10k-labels-idx1-ubyte.gz", 3'000'000, 20, true);
  const char* old = std::getenv("BASIN_FASHION_MNIST_DIR");
  const std::string saved = old ? old : "";
  ::setenv("BASIN_FASHION_MNIST_DIR", dir.c_str(), 1);
  DatasetPair p = open_dataset("fashion-mnist", 1, {16, 5});
  EXPECT_EQ(p.train->size(), 16);
  EXPECT_EQ(p.test->size(), 5);
  expect_error([&] { open_dataset("fashion-mnist", 1, {16, 0}); }, {"t10k-images", "truncated"});
  if (old) ::setenv("BASIN_FASHION_MNIST_DIR", saved.c_str(), 1);
  else ::unsetenv("BASIN_FASHION_MNIST_DIR");
}

TEST(BadInputBounds, BatchSizeIsCappedAtTheDatasetSize) {
  TempDir d;
  for (int i = 0; i < 7; ++i) png_at(d / ("root/a/" + std::to_string(i) + ".png"), Image::hwc_u8(3, 3, 1, std::vector<std::uint8_t>(9, 1)));
  auto ds = std::make_shared<ImageFolderDataset>(d / "root", 1);
  for (std::int64_t bs : {std::int64_t{10'000'000}, std::int64_t{1} << 40, std::int64_t{8}, std::int64_t{7}}) {
    for (bool drop_last : {false, true}) {
      LoaderOptions lo;
      lo.batch_size = bs;
      lo.drop_last = drop_last;
      DataLoader loader(ds, nullptr, lo);
      EXPECT_EQ(loader.options().batch_size, 7) << bs;
      EXPECT_EQ(loader.num_batches(), 1) << bs;
      loader.start_epoch(0);
      Batch b;
      ASSERT_TRUE(loader.next(b));
      EXPECT_EQ(b.images.shape(), (basin::Shape{7, 1, 3, 3}));
      EXPECT_FALSE(loader.next(b));
    }
  }
  // Below the dataset size nothing changes: 3 + 3 + 1.
  LoaderOptions lo;
  lo.batch_size = 3;
  DataLoader loader(ds, nullptr, lo);
  EXPECT_EQ(loader.num_batches(), 3);
}
