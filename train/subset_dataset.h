#pragma once
// The first `n` samples of a dataset, or the samples at given indices (a seeded
// sample, data/seeded_sample.h): --limit-train / --limit-test, quick runs and
// tests on a few hundred images of a big dataset.
#include <algorithm>
#include <vector>

#include "data/dataset.h"

namespace basin::train {

class SubsetDataset : public data::Dataset {
 public:
  SubsetDataset(data::DatasetPtr base, std::int64_t n) : base_(std::move(base)), n_(std::min(n, base_->size())) {}
  // `indices` into base, each in [0, base->size()).
  SubsetDataset(data::DatasetPtr base, std::vector<std::int64_t> indices)
      : base_(std::move(base)), n_(static_cast<std::int64_t>(indices.size())), indices_(std::move(indices)) {
    for (std::int64_t i : indices_)
      BASIN_CHECK(i >= 0 && i < base_->size(), base_->description() << ": subset index " << i << " out of range");
  }
  std::int64_t size() const override { return n_; }
  data::Sample get(std::int64_t index) const override { return base_->get(base_index(index)); }
  const std::vector<std::string>& class_names() const override { return base_->class_names(); }
  int channels() const override { return base_->channels(); }
  std::string description() const override {
    return base_->description() + (indices_.empty() ? " (first " : " (a seeded sample of ") + std::to_string(n_) + ")";
  }
  std::string sample_name(std::int64_t index) const override { return base_->sample_name(base_index(index)); }

 private:
  std::int64_t base_index(std::int64_t index) const {
    BASIN_CHECK(index >= 0 && index < n_, description() << ": sample " << index << " out of range [0, " << n_ << ")");
    return indices_.empty() ? index : indices_[static_cast<std::size_t>(index)];
  }

  data::DatasetPtr base_;
  std::int64_t n_;
  std::vector<std::int64_t> indices_;  // empty: the first n_
};

}  // namespace basin::train
