#include "nn/summary.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

#include "autograd/grad_mode.h"

namespace basin::nn {

namespace {

struct Recorder : ForwardObserver {
  std::map<const Module*, std::string> names;
  std::vector<SummaryRow> rows;
  void after_forward(Module& m, const Tensor& in, const Tensor& out) override {
    auto it = names.find(&m);
    if (it == names.end()) return;  // the root or a module outside the model
    SummaryRow r;
    r.name = it->second;
    r.type = m.type_name();
    r.config = m.extra_repr();
    r.output = out.shape();
    r.depth = static_cast<int>(std::count(r.name.begin(), r.name.end(), '.'));
    // Own parameters only: children report theirs.
    std::int64_t own = m.num_parameters();
    for (auto& [n, c] : m.named_children()) own -= c->num_parameters();
    r.params = own;
    r.macs = m.macs(in.shape(), out.shape());
    rows.push_back(std::move(r));
  }
};

std::string human(std::int64_t n) {
  char buf[32];
  if (n >= 1000000000) std::snprintf(buf, sizeof buf, "%.2fG", n / 1e9);
  else if (n >= 1000000) std::snprintf(buf, sizeof buf, "%.2fM", n / 1e6);
  else if (n >= 1000) std::snprintf(buf, sizeof buf, "%.1fK", n / 1e3);
  else std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(n));
  return buf;
}

}  // namespace

ModelSummary summarize(Module& model, const Shape& input) {
  BASIN_CHECK(!input.empty(), "summarize: input shape must include the batch axis");
  ModelSummary s;
  s.input = input;
  Recorder rec;
  for (auto& [name, m] : model.named_modules()) rec.names[m] = name;
  bool was_training = model.is_training();
  model.eval();
  Tensor out;
  {
    NoGradGuard no_grad;
    ObserveForward observe(&rec);
    try {
      out = model(Tensor::zeros(input, DType::Float32, model.device()));
    } catch (...) {
      model.train(was_training);
      throw;
    }
  }
  model.train(was_training);
  s.rows = std::move(rec.rows);
  s.output = out.shape();
  s.total_params = model.num_parameters();
  for (auto& [n, p] : model.named_parameters())
    if (p.requires_grad()) s.trainable_params += p.numel();
  for (const auto& r : s.rows) s.total_macs += r.macs;
  return s;
}

std::string ModelSummary::str() const {
  std::size_t wname = 5, wtype = 4;
  for (const auto& r : rows) {
    wname = std::max(wname, r.name.size());
    wtype = std::max(wtype, r.type.size());
  }
  std::ostringstream os;
  char line[512];
  std::snprintf(line, sizeof line, "%-*s  %-*s  %-22s %12s %12s\n", static_cast<int>(wname), "layer",
                static_cast<int>(wtype), "type", "output", "params", "MACs");
  os << line;
  for (const auto& r : rows) {
    std::snprintf(line, sizeof line, "%-*s  %-*s  %-22s %12lld %12s\n", static_cast<int>(wname), r.name.c_str(),
                  static_cast<int>(wtype), r.type.c_str(), shape_str(r.output).c_str(),
                  static_cast<long long>(r.params), r.macs ? human(r.macs).c_str() : "-");
    os << line;
  }
  os << "input " << shape_str(input) << " -> output " << shape_str(output) << "\n";
  os << "parameters: " << total_params << " (" << human(total_params) << "), trainable " << trainable_params << "\n";
  os << "MACs per forward: " << total_macs << " (" << human(total_macs) << ")\n";
  return os.str();
}

}  // namespace basin::nn
