#include "data/open_dataset.h"

#include <cstdio>
#include <filesystem>

#include "data/idx_dataset.h"
#include "data/image_codec.h"
#include "data/image_folder.h"

namespace fs = std::filesystem;

namespace basin::data {

DatasetPair open_dataset(const std::string& spec, int channels, SplitLimits limits) {
  if (spec == "fashion-mnist" || spec == "fashion_mnist" || spec == "fmnist") {
    const std::string dir = fashion_mnist_dir();
    BASIN_CHECK(fs::exists(dir + "/train-images-idx3-ubyte.gz"),
                "fashion-mnist: no files in " << dir
                                              << " (install Debian's dataset-fashion-mnist package, or set "
                                                 "BASIN_FASHION_MNIST_DIR to a folder with the four .gz files)");
    return {IdxDataset::fashion_mnist("train", dir, limits.train), IdxDataset::fashion_mnist("test", dir, limits.test)};
  }
  std::error_code ec;
  BASIN_CHECK(fs::is_directory(spec, ec), "dataset '" << spec
                                                      << "': neither 'fashion-mnist' nor a folder with train/ and test/");
  const fs::path root(spec);
  BASIN_CHECK(fs::is_directory(root / "train", ec),
              "dataset " << spec << ": no train/ folder (expected " << spec << "/train/<class>/<image>)");
  fs::path test = root / "test";
  if (!fs::is_directory(test, ec)) test = root / "val";
  BASIN_CHECK(fs::is_directory(test, ec), "dataset " << spec << ": no test/ or val/ folder next to train/");
  auto tr = std::make_shared<ImageFolderDataset>((root / "train").string(), channels);
  auto te = std::make_shared<ImageFolderDataset>(test.string(), channels);
  BASIN_CHECK(tr->class_names() == te->class_names(),
              "dataset " << spec << ": train/ has " << tr->num_classes() << " classes and " << test.filename().string()
                         << "/ has " << te->num_classes()
                         << " with different names; both need the same class folders");
  return {tr, te};
}

DatasetPtr open_split(const std::string& spec, const std::string& split, int channels, std::int64_t limit) {
  BASIN_CHECK(split == "test" || split == "train", "split must be test or train, got " << split);
  const bool test = split == "test";
  std::error_code ec;
  const fs::path root(spec);
  fs::path dir = root / split;
  if (test && !fs::is_directory(dir, ec)) dir = root / "val";
  const bool folder = fs::is_directory(root, ec);
  // Fashion-MNIST, or a folder with both splits: open_dataset's checks apply.
  if (!folder || (fs::is_directory(root / "train", ec) && fs::is_directory(dir, ec))) {
    DatasetPair p = open_dataset(spec, channels, {test ? 0 : limit, test ? limit : 0});
    return test ? p.test : p.train;
  }
  BASIN_CHECK(fs::is_directory(dir, ec), "dataset " << spec << ": no " << (test ? "test/ or val/" : "train/")
                                                    << " folder (expected " << spec << "/"
                                                    << (test ? "test" : "train") << "/<class>/<image>)");
  return std::make_shared<ImageFolderDataset>(dir.string(), channels);
}

std::int64_t export_image_folder_split(const Dataset& data, const std::string& out_dir,
                                       const ExportProgress& on_image, std::int64_t before) {
  const auto& names = data.class_names();
  // Class folders are made on first use: an empty one would make the export
  // unreadable as an ImageFolder (which refuses classes without images).
  std::vector<bool> made(names.size(), false);
  const std::int64_t n = data.size();
  const int width = std::max<int>(5, static_cast<int>(std::to_string(n).size()));
  for (std::int64_t i = 0; i < n; ++i) {
    Sample s = data.get(i);
    const auto c = static_cast<std::size_t>(s.label);
    BASIN_CHECK(c < names.size(), "export: " << data.sample_name(i) << " has label " << s.label << " but only "
                                            << names.size() << " classes");
    if (!made[c]) {
      std::error_code ec;
      fs::create_directories(fs::path(out_dir) / names[c], ec);
      BASIN_CHECK(!ec, "export: cannot create " << (fs::path(out_dir) / names[c]).string() << " (" << ec.message()
                                                << ")");
      made[c] = true;
    }
    std::string name = std::to_string(i);
    name = std::string(static_cast<std::size_t>(std::max<int>(0, width - static_cast<int>(name.size()))), '0') + name + ".png";
    write_png((fs::path(out_dir) / names[c] / name).string(), s.image);
    if (on_image) on_image(before + i + 1);
  }
  return n;
}

std::int64_t export_idx_as_image_folder(const DatasetPair& data, const std::string& out_dir,
                                        const ExportProgress& on_image) {
  BASIN_CHECK(data.train && data.test, "export: needs both a train and a test dataset");
  std::int64_t n = export_image_folder_split(*data.train, (fs::path(out_dir) / "train").string(), on_image);
  return n + export_image_folder_split(*data.test, (fs::path(out_dir) / "test").string(), on_image, n);
}

}  // namespace basin::data
