#include "train/class_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "train/progress.h"

namespace basin::train {

namespace {

// Whether class a is ranked before class b (see the header's ranking rule).
bool ranks_before(float la, std::int64_t a, float lb, std::int64_t b) {
  const bool na = std::isnan(la), nb = std::isnan(lb);
  if (na || nb) return na && (!nb || a < b);
  return la > lb || (la == lb && a < b);
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return q + "\"";
}

}  // namespace

std::vector<std::int64_t> top_k_classes(const float* row, std::int64_t classes, std::int64_t k) {
  std::vector<std::int64_t> idx(static_cast<std::size_t>(classes));
  std::iota(idx.begin(), idx.end(), std::int64_t{0});
  const auto n = static_cast<std::ptrdiff_t>(std::min(std::max<std::int64_t>(k, 0), classes));
  std::partial_sort(idx.begin(), idx.begin() + n, idx.end(),
                    [row](std::int64_t a, std::int64_t b) { return ranks_before(row[a], a, row[b], b); });
  idx.resize(static_cast<std::size_t>(n));
  return idx;
}

ClassTally::ClassTally(std::int64_t num_classes, std::int64_t top_k)
    : classes(num_classes),
      k(std::min(top_k, num_classes)),
      confusion(static_cast<std::size_t>(num_classes * num_classes), 0) {
  BASIN_CHECK(num_classes >= 1 && top_k >= 1, "ClassTally: " << num_classes << " classes, k " << top_k);
}

void ClassTally::add(const Tensor& logits, const Tensor& labels, double mean_loss) {
  const std::vector<float> l = logits.detach().to_vector();
  const std::vector<std::int64_t> y = labels.to_int_vector();
  BASIN_CHECK(l.size() == y.size() * static_cast<std::size_t>(classes),
              "ClassTally: logits of " << l.size() << " values for " << y.size() << " labels and " << classes
                                       << " classes");
  std::int64_t correct = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    BASIN_CHECK(y[i] >= 0 && y[i] < classes, "ClassTally: label " << y[i] << " outside [0, " << classes << ")");
    const std::vector<std::int64_t> top = top_k_classes(l.data() + i * static_cast<std::size_t>(classes), classes, k);
    correct += top[0] == y[i];
    top_k_correct += std::find(top.begin(), top.end(), y[i]) != top.end();
    ++confusion[static_cast<std::size_t>(y[i] * classes + top[0])];
  }
  stats.add(mean_loss, correct, static_cast<std::int64_t>(y.size()));
}

std::int64_t ClassTally::class_count(std::int64_t c) const {
  const auto* r = confusion.data() + c * classes;
  return std::accumulate(r, r + classes, std::int64_t{0});
}

std::int64_t ClassTally::class_correct(std::int64_t c) const {
  return confusion[static_cast<std::size_t>(c * classes + c)];
}

double ClassTally::top_k_accuracy() const {
  return stats.count ? static_cast<double>(top_k_correct) / static_cast<double>(stats.count) : 0.0;
}

ClassTally evaluate_by_class(nn::Module& model, data::DataLoader& loader, std::int64_t num_classes,
                             std::FILE* progress) {
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  ClassTally t(num_classes);
  loader.start_epoch(0);
  data::Batch b;
  TaskProgress bar("eval", loader.num_batches(), "batches", progress);
  for (std::int64_t done = 1; loader.next(b); ++done) {
    Tensor logits = model(b.images);
    t.add(logits, b.labels, cross_entropy(logits, b.labels).item());
    bar.update(done, static_cast<double>(t.stats.count) / bar.seconds(), "img");
  }
  bar.finish();
  model.train(was_training);
  return t;
}

nlohmann::json per_class_json(const ClassTally& t, const std::vector<std::string>& names) {
  nlohmann::json a = nlohmann::json::array();
  for (std::int64_t c = 0; c < t.classes; ++c) {
    const std::int64_t n = t.class_count(c);
    nlohmann::json acc = nullptr;
    if (n) acc = static_cast<double>(t.class_correct(c)) / static_cast<double>(n);
    const std::string name = c < static_cast<std::int64_t>(names.size()) ? names[static_cast<std::size_t>(c)]
                                                                         : std::to_string(c);
    a.push_back({{"class", name}, {"index", c}, {"accuracy", acc}, {"count", n}});
  }
  return a;
}

std::string per_class_table(const ClassTally& t, const std::vector<std::string>& names) {
  std::size_t w = 5;
  for (const auto& n : names) w = std::max(w, n.size());
  std::string out;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%10s %10s %9s\n", "count", "correct", "accuracy");
  out += std::string("class") + std::string(w - 5 + 1, ' ') + buf;
  for (std::int64_t c = 0; c < t.classes; ++c) {
    const std::string name = c < static_cast<std::int64_t>(names.size()) ? names[static_cast<std::size_t>(c)]
                                                                         : std::to_string(c);
    const std::int64_t n = t.class_count(c), k = t.class_correct(c);
    if (n) std::snprintf(buf, sizeof buf, "%10lld %10lld %8.2f%%\n", static_cast<long long>(n),
                         static_cast<long long>(k), 100.0 * static_cast<double>(k) / static_cast<double>(n));
    else std::snprintf(buf, sizeof buf, "%10d %10d %9s\n", 0, 0, "-");
    out += name + std::string(w - std::min(w, name.size()) + 1, ' ') + buf;
  }
  return out;
}

std::string confusion_csv(const ClassTally& t, const std::vector<std::string>& names) {
  auto name = [&](std::int64_t c) {
    return csv_field(c < static_cast<std::int64_t>(names.size()) ? names[static_cast<std::size_t>(c)]
                                                                  : std::to_string(c));
  };
  std::string out = "true\\predicted";
  for (std::int64_t c = 0; c < t.classes; ++c) out += "," + name(c);
  out += "\n";
  for (std::int64_t r = 0; r < t.classes; ++r) {
    out += name(r);
    for (std::int64_t c = 0; c < t.classes; ++c)
      out += "," + std::to_string(t.confusion[static_cast<std::size_t>(r * t.classes + c)]);
    out += "\n";
  }
  return out;
}

}  // namespace basin::train
