#include "train/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace basin::train {

namespace {

std::string format_eta(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  long t = static_cast<long>(s + 0.5);
  char buf[32];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
  return buf;
}

}  // namespace

bool Progress::is_terminal(std::FILE* f) { return f && ::isatty(::fileno(f)); }

Progress::Progress(int epoch, int epochs, std::int64_t num_batches, std::FILE* out, double plain_interval_s)
    : epoch_(epoch), epochs_(epochs), num_batches_(num_batches), out_(out), tty_(is_terminal(out)),
      interval_(plain_interval_s), last_(std::chrono::steady_clock::now()) {}

std::string Progress::line(std::int64_t batch, double loss, double accuracy, double images_per_s,
                           double eta_s) const {
  std::int64_t done = batch + 1;
  double frac = num_batches_ ? static_cast<double>(done) / static_cast<double>(num_batches_) : 1.0;
  std::string bar;
  if (tty_) {
    constexpr int kWidth = 24;
    bar = std::string(static_cast<size_t>(frac * kWidth), '#');
    bar.resize(kWidth, '.');
    bar = " [" + bar + "]";
  }
  char buf[256];
  std::snprintf(buf, sizeof buf, "epoch %d/%d%s batch %lld/%lld  loss %.4f  acc %.2f%%  %.0f img/s  ETA %s", epoch_,
                epochs_, bar.c_str(), static_cast<long long>(done), static_cast<long long>(num_batches_), loss,
                100 * accuracy, images_per_s, format_eta(eta_s).c_str());
  return buf;
}

void Progress::update(std::int64_t batch, double loss, double accuracy, double images_per_s, double eta_s) {
  if (!out_) return;
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_).count();
  bool last_batch = batch + 1 == num_batches_;
  if (tty_) {
    if (since < 0.1 && !last_batch && drawn_) return;
    last_ = now;
    std::fprintf(out_, "\r%s\x1b[K", line(batch, loss, accuracy, images_per_s, eta_s).c_str());
    std::fflush(out_);
    drawn_ = true;
  } else {
    if (since < interval_) return;
    last_ = now;
    std::fprintf(out_, "%s\n", line(batch, loss, accuracy, images_per_s, eta_s).c_str());
    std::fflush(out_);
  }
}

void Progress::finish() {
  if (out_ && tty_ && drawn_) {
    std::fprintf(out_, "\r\x1b[K");
    std::fflush(out_);
  }
  drawn_ = false;
}

TaskProgress::TaskProgress(std::string label, std::int64_t total, std::string unit, std::FILE* out,
                           double plain_interval_s)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), out_(out), tty_(Progress::is_terminal(out)),
      interval_(plain_interval_s), start_(std::chrono::steady_clock::now()), last_(start_) {}

void TaskProgress::update(std::int64_t done, double items_per_s, const char* rate_unit) {
  if (!out_) return;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_).count();
  const bool last = total_ > 0 && done >= total_;
  if (tty_ ? (since < 0.1 && !last && drawn_) : since < interval_) return;
  last_ = now;
  std::string s = label_;
  if (tty_ && total_ > 0) {
    constexpr int kWidth = 24;
    const double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
    std::string bar(static_cast<size_t>(frac * kWidth), '#');
    bar.resize(kWidth, '.');
    s += " [" + bar + "]";
  }
  s += " " + std::to_string(done) + (total_ > 0 ? "/" + std::to_string(total_) : std::string()) + " " + unit_;
  char buf[96];
  if (rate_unit && items_per_s > 0) {
    std::snprintf(buf, sizeof buf, "  %.0f %s/s", items_per_s, rate_unit);
    s += buf;
  }
  if (total_ > 0 && done > 0) {
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    s += "  ETA " + format_eta(elapsed / static_cast<double>(done) * static_cast<double>(total_ - done));
  }
  std::fprintf(out_, tty_ ? "\r%s\x1b[K" : "%s\n", s.c_str());
  std::fflush(out_);
  drawn_ = tty_;
}

double TaskProgress::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void TaskProgress::finish() {
  if (out_ && tty_ && drawn_) {
    std::fprintf(out_, "\r\x1b[K");
    std::fflush(out_);
  }
  drawn_ = false;
}

}  // namespace basin::train
