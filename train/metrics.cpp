#include "train/metrics.h"

#include <cstdio>
#include <utility>

namespace basin::train {

nlohmann::json to_json(const StepMetrics& m) {
  return nlohmann::json{{"epoch", m.epoch},
                        {"step", m.step},
                        {"loss", m.has_loss ? nlohmann::json(m.loss) : nlohmann::json()},
                        {"lr", m.lr},
                        {"images_per_s", m.images_per_s}};
}

nlohmann::json to_json(const EpochMetrics& m) {
  nlohmann::json j{{"epoch", m.epoch},         {"lr", m.lr},
                   {"train_loss", m.train_loss}, {"train_acc", m.train_acc},
                   {"test_loss", m.test_loss},   {"test_acc", m.test_acc},
                   {"seconds", m.seconds},       {"images_per_s", m.images_per_s}};
  if (m.skipped_batches) j["skipped_batches"] = m.skipped_batches;
  if (m.has_hessian) {
    j["hessian_trace"] = m.hessian_trace;
    j["hessian_trace_stderr"] = m.hessian_trace_stderr;
    j["top_eigenvalue"] = m.top_eigenvalue;
    j["min_eigenvalue"] = m.min_eigenvalue;
    j["hessian_loss"] = m.hessian_loss;
    j["hessian_seconds"] = m.hessian_seconds;
  }
  return j;
}

EpochMetrics metrics_from_json(const nlohmann::json& j) {
  EpochMetrics m;
  m.epoch = j.at("epoch").get<int>();
  for (auto [key, field] : {std::pair<const char*, double*>{"lr", &m.lr}, {"train_loss", &m.train_loss},
                            {"train_acc", &m.train_acc}, {"test_loss", &m.test_loss}, {"test_acc", &m.test_acc},
                            {"seconds", &m.seconds}, {"images_per_s", &m.images_per_s}})
    *field = j.at(key).get<double>();
  m.skipped_batches = j.value("skipped_batches", std::int64_t{0});
  if (j.contains("hessian_trace")) {
    m.has_hessian = true;
    for (auto [key, field] : {std::pair<const char*, double*>{"hessian_trace", &m.hessian_trace},
                              {"hessian_trace_stderr", &m.hessian_trace_stderr},
                              {"top_eigenvalue", &m.top_eigenvalue}, {"hessian_loss", &m.hessian_loss},
                              {"hessian_seconds", &m.hessian_seconds}})
      *field = j.at(key).get<double>();
    m.min_eigenvalue = j.value("min_eigenvalue", 0.0);  // absent in runs from before Lanczos
  }
  return m;
}

std::string epoch_line(const EpochMetrics& m, int epochs) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "epoch %d/%d  lr %.4g  train loss %.4f acc %.2f%%  test loss %.4f acc %.2f%%  %.1f s  %.0f img/s",
                m.epoch, epochs, m.lr, m.train_loss, 100 * m.train_acc, m.test_loss, 100 * m.test_acc, m.seconds,
                m.images_per_s);
  std::string s = buf;
  if (m.has_hessian) {
    char h[128];
    std::snprintf(h, sizeof h, "  tr(H) %.4g +- %.2g  lambda_max %.4g", m.hessian_trace, m.hessian_trace_stderr,
                  m.top_eigenvalue);
    s += h;
  }
  if (m.skipped_batches) s += "  (" + std::to_string(m.skipped_batches) + " non-finite batches skipped)";
  return s;
}

}  // namespace basin::train
