#pragma once
// What `basin eval` and `basin predict` report beyond loss and top-1 accuracy:
// the k best classes of a row of logits, top-k accuracy, per-class accuracy and
// the confusion matrix (rows: true class, columns: predicted class).
//
// Ranking rule, the argmax rule (kernels/argmax_rule.h) extended to k places:
// higher logits first, a NaN before any number, ties to the lower class index.
// So top_k_classes(row, C, 1)[0] is argmax(row) and top-1 agrees with
// count_correct (train/evaluate.h) bitwise.
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/loader.h"
#include "nn/module.h"
#include "train/metrics.h"

namespace basin::train {

// The min(k, classes) best class indices of `row`, best first.
std::vector<std::int64_t> top_k_classes(const float* row, std::int64_t classes, std::int64_t k);

struct ClassTally {
  std::int64_t classes = 0;
  std::int64_t k = 5;               // top-k width actually used: min(5, classes)
  RunningStats stats;               // loss, top-1 correct, count
  std::int64_t top_k_correct = 0;
  std::vector<std::int64_t> confusion;  // classes x classes, row-major [true][predicted]

  explicit ClassTally(std::int64_t num_classes, std::int64_t top_k = 5);
  // Adds a batch: `logits` [N, classes], `labels` [N] (any device), `mean_loss` its mean loss.
  void add(const Tensor& logits, const Tensor& labels, double mean_loss);
  std::int64_t class_count(std::int64_t c) const;    // samples whose true class is c
  std::int64_t class_correct(std::int64_t c) const;  // ... predicted as c
  double top_k_accuracy() const;
};

// evaluate() (train/evaluate.h) with the tally: same loss and top-1 figures.
// `progress`: where an "eval" progress line goes (nullptr: none).
ClassTally evaluate_by_class(nn::Module& model, data::DataLoader& loader, std::int64_t num_classes,
                             std::FILE* progress = nullptr);

// [{"class": name, "index": i, "accuracy": a or null (no samples), "count": n}, ...]
nlohmann::json per_class_json(const ClassTally& t, const std::vector<std::string>& names);
// An aligned table: class, count, correct, accuracy; one line per class.
std::string per_class_table(const ClassTally& t, const std::vector<std::string>& names);
// CSV: header "true\predicted,<names...>", then one row per true class. Names
// with a comma, quote or line break are quoted (RFC 4180).
std::string confusion_csv(const ClassTally& t, const std::vector<std::string>& names);

}  // namespace basin::train
