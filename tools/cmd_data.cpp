// `basin data export-idx --out DIR`: writes Fashion-MNIST as an image folder
// (DIR/train/<class>/NNNNN.png, DIR/test/<class>/NNNNN.png), the layout
// `basin train --data DIR` reads, e.g. to try the folder pipeline on known data.
#include <cstdio>
#include <memory>

#include "data/open_dataset.h"
#include "tools/command.h"
#include "train/progress.h"
#include "train/subset_dataset.h"

namespace {

struct DataCli {
  std::string out, source = "fashion-mnist";
  std::int64_t limit = 0;
  bool quiet = false;
};

void export_idx(const DataCli& d) {
  using namespace basin;
  BASIN_CHECK(!d.out.empty(), "--out DIR is required");
  data::DatasetPair p = data::open_dataset(d.source, 1, {d.limit, d.limit});
  if (d.limit > 0) {
    p.train = std::make_shared<train::SubsetDataset>(p.train, d.limit);
    p.test = std::make_shared<train::SubsetDataset>(p.test, d.limit);
  }
  train::TaskProgress bar("export", p.train->size() + p.test->size(), "images", d.quiet ? nullptr : stderr);
  std::int64_t n = data::export_idx_as_image_folder(p, d.out, [&bar](std::int64_t written) {
    bar.update(written, static_cast<double>(written) / bar.seconds(), "img");
  });
  bar.finish();
  std::fprintf(stderr, "wrote %lld images to %s/train and %s/test\n", static_cast<long long>(n), d.out.c_str(),
               d.out.c_str());
}

void setup(CLI::App& app) {
  auto d = std::make_shared<DataCli>();
  auto* cmd = app.add_subcommand("data", "Dataset utilities");
  cmd->require_subcommand(1);
  auto* ex = cmd->add_subcommand("export-idx", "Write Fashion-MNIST (IDX files) as a PNG image folder with train/ and test/");
  ex->add_option("--out", d->out, "Destination folder")->required();
  ex->add_option("--limit", d->limit, "Export only the first N images of each split (0: all)");
  ex->add_flag("--quiet", d->quiet, "No progress bar on stderr");
  ex->callback([d] { export_idx(*d); });
}

}  // namespace

BASIN_COMMAND(data, setup)
