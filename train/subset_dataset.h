#pragma once
// The first `n` samples of a dataset (--limit-train / --limit-test): quick runs
// and tests on a few hundred images of a big dataset.
#include <algorithm>

#include "data/dataset.h"

namespace basin::train {

class SubsetDataset : public data::Dataset {
 public:
  SubsetDataset(data::DatasetPtr base, std::int64_t n) : base_(std::move(base)), n_(std::min(n, base_->size())) {}
  std::int64_t size() const override { return n_; }
  data::Sample get(std::int64_t index) const override {
    BASIN_CHECK(index >= 0 && index < n_, description() << ": sample " << index << " out of range [0, " << n_ << ")");
    return base_->get(index);
  }
  const std::vector<std::string>& class_names() const override { return base_->class_names(); }
  int channels() const override { return base_->channels(); }
  std::string description() const override {
    return base_->description() + " (first " + std::to_string(n_) + ")";
  }
  std::string sample_name(std::int64_t index) const override { return base_->sample_name(index); }

 private:
  data::DatasetPtr base_;
  std::int64_t n_;
};

}  // namespace basin::train
