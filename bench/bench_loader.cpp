// Loader throughput: images/s for Fashion-MNIST with RandomCrop(28, 4) + flip,
// and for a folder of JPEGs at 224 with RandomResizedCrop + flip, per worker
// count. Usage: bench_loader [JPEG_FOLDER] [--images N] [--workers 1,2]
// Without a folder, 512 synthetic 320x256 JPEGs are written to a temp folder.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <stb_image_write.h>

#include "data/idx_dataset.h"
#include "data/image_codec.h"
#include "data/image_folder.h"
#include "data/loader.h"

using namespace basin;
using namespace basin::data;
namespace fs = std::filesystem;

namespace {
double images_per_second(DatasetPtr ds, TransformPtr tf, int workers, std::int64_t max_images) {
  LoaderOptions o;
  o.batch_size = 64;
  o.num_workers = workers;
  o.prefetch = 4;
  DataLoader loader(std::move(ds), std::move(tf), o);
  loader.start_epoch(0);
  Batch b;
  std::int64_t n = 0;
  const auto t0 = std::chrono::steady_clock::now();
  while (n < max_images && loader.next(b)) n += b.images.size(0);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return n / s;
}

std::string make_jpeg_folder(int count) {
  fs::path root = fs::temp_directory_path() / ("basin_bench_jpegs_" + std::to_string(count));
  if (fs::exists(root / "c1")) return root.string();
  for (int c = 0; c < 2; ++c) fs::create_directories(root / ("c" + std::to_string(c)));
  std::vector<std::uint8_t> px(320 * 256 * 3);
  for (int i = 0; i < count; ++i) {
    for (size_t k = 0; k < px.size(); ++k) px[k] = static_cast<std::uint8_t>((k * (i + 3) / 7 + (k / 960) * 5) & 255);
    std::vector<std::uint8_t> out;
    stbi_write_jpg_to_func([](void* ctx, void* d, int n) {
          auto* v = static_cast<std::vector<std::uint8_t>*>(ctx);
          v->insert(v->end(), static_cast<std::uint8_t*>(d), static_cast<std::uint8_t*>(d) + n);
        }, &out, 320, 256, 3, px.data(), 90);
    write_file_atomically((root / ("c" + std::to_string(i % 2)) / (std::to_string(i) + ".jpg")).string(), out);
  }
  return root.string();
}
}  // namespace

int main(int argc, char** argv) {
  std::string folder;
  std::int64_t max_images = 4096;
  std::vector<int> workers = {1, 2};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--images" && i + 1 < argc) max_images = std::atoll(argv[++i]);
    else if (a == "--workers" && i + 1 < argc) {
      workers.clear();
      for (std::string s = argv[++i]; !s.empty();) {
        auto comma = s.find(',');
        workers.push_back(std::atoi(s.substr(0, comma).c_str()));
        s = comma == std::string::npos ? "" : s.substr(comma + 1);
      }
    } else folder = a;
  }
  try {
    if (fs::exists(fashion_mnist_dir() + "/train-images-idx3-ubyte.gz")) {
      auto fm = IdxDataset::fashion_mnist("train");
      auto tf = small_train_pipeline(28, 4, {0.2860f}, {0.3530f});
      for (int w : workers)
        std::printf("fashion-mnist  RandomCrop(28,4)+flip   workers=%d  %10.0f images/s\n", w,
                    images_per_second(fm, tf, w, max_images * 8));
    } else {
      std::printf("fashion-mnist: not installed in %s, skipped\n", fashion_mnist_dir().c_str());
    }
    if (folder.empty()) folder = make_jpeg_folder(512);
    auto jpegs = std::make_shared<ImageFolderDataset>(folder, 3);
    auto tf = train_pipeline(224, {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f});
    for (int w : workers)
      std::printf("jpeg folder    RandomResizedCrop(224)+flip  workers=%d  %10.0f images/s  (%s, %lld files)\n", w,
                  images_per_second(jpegs, tf, w, std::min<std::int64_t>(max_images, jpegs->size())),
                  folder.c_str(), static_cast<long long>(jpegs->size()));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_loader: %s\n", e.what());
    return 1;
  }
  return 0;
}
