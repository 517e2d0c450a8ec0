#include "optim/registry.h"

#include <sstream>

#include "optim/adamw.h"
#include "optim/nso.h"
#include "optim/sam.h"
#include "optim/sgd.h"

namespace basin::optim {

namespace {

using Dist = kernels::noise::Dist;

// ---- builders ----------------------------------------------------------------
std::unique_ptr<BaseOptimizer> build_sgd(ArenaRef arena, const OptimizerSettings& s) {
  SgdOptions o;
  o.lr = s.lr;
  o.momentum = s.momentum;
  o.weight_decay = s.weight_decay;
  return std::make_unique<SGD>(std::move(arena), o);
}

std::unique_ptr<Optimizer> build_adamw(ArenaRef arena, const OptimizerSettings& s) {
  AdamOptions o;
  o.lr = s.lr;
  o.weight_decay = s.weight_decay;
  return std::make_unique<AdamW>(std::move(arena), o);
}

std::unique_ptr<Optimizer> build_nso(ArenaRef arena, const OptimizerSettings& s, bool two_point) {
  NsoOptions o;
  o.sigma = s.sigma;
  o.k = s.k;
  o.dist = s.noise;
  o.two_point = two_point;
  o.seed = s.seed;
  o.clean_pass = s.lambda > 0;  // lambda 0: no clean pass, today's step unchanged
  o.lambda = s.lambda;
  o.schedule = s.sigma_schedule;
  return std::make_unique<NSO>(build_sgd(std::move(arena), s), o);
}

std::unique_ptr<Optimizer> build_sam(ArenaRef arena, const OptimizerSettings& s, SamKind kind) {
  SamOptions o;
  o.kind = kind;
  o.rho = s.rho;
  o.sigma = s.sigma;
  o.dist = s.noise;
  o.seed = s.seed;
  return std::make_unique<SAM>(build_sgd(std::move(arena), s), o);
}

// ---- descriptions ------------------------------------------------------------
std::string describe_sgd(const OptimizerSettings& s) {
  std::ostringstream os;
  os << "sgd lr " << s.lr << " momentum " << s.momentum << " weight decay " << s.weight_decay;
  return os.str();
}

std::string describe_adamw(const OptimizerSettings& s) {
  std::ostringstream os;
  os << "adamw lr " << s.lr << " weight decay " << s.weight_decay;
  return os.str();
}

std::string describe_nso(const char* name, const OptimizerSettings& s) {
  std::ostringstream os;
  os << name << " (sigma " << s.sigma;
  if (s.sigma_schedule.kind != SigmaRamp::Constant)
    os << " " << sigma_ramp_name(s.sigma_schedule.kind) << " from " << s.sigma_schedule.start << " over "
       << s.sigma_schedule.ramp_units << " epochs";
  os << ", k " << s.k << ", " << kernels::noise::dist_name(s.noise);
  if (s.lambda > 0) os << ", lambda " << s.lambda;
  os << ") on " << describe_sgd(s);
  return os.str();
}

std::string describe_sam(const char* name, const OptimizerSettings& s) {
  std::ostringstream os;
  os << name << " (rho " << s.rho << ") on " << describe_sgd(s);
  return os.str();
}

std::string describe_rsam(const OptimizerSettings& s) {
  std::ostringstream os;
  os << "rsam (rho " << s.rho << ", sigma " << s.sigma << ", " << kernels::noise::dist_name(s.noise) << ") on "
     << describe_sgd(s);
  return os.str();
}

}  // namespace

const std::vector<OptimizerEntry>& optimizer_table() {
  static const std::vector<OptimizerEntry> table{
      {"sgd", describe_sgd,
       [](ArenaRef a, const OptimizerSettings& s) -> std::unique_ptr<Optimizer> { return build_sgd(std::move(a), s); }},
      {"adamw", describe_adamw, build_adamw},
      {"nso", [](const OptimizerSettings& s) { return describe_nso("nso", s); },
       [](ArenaRef a, const OptimizerSettings& s) { return build_nso(std::move(a), s, /*two_point=*/true); }},
      {"wpsgd", [](const OptimizerSettings& s) { return describe_nso("wpsgd", s); },
       [](ArenaRef a, const OptimizerSettings& s) { return build_nso(std::move(a), s, /*two_point=*/false); }},
      {"sam", [](const OptimizerSettings& s) { return describe_sam("sam", s); },
       [](ArenaRef a, const OptimizerSettings& s) { return build_sam(std::move(a), s, SamKind::SAM); }},
      {"usam", [](const OptimizerSettings& s) { return describe_sam("usam", s); },
       [](ArenaRef a, const OptimizerSettings& s) { return build_sam(std::move(a), s, SamKind::USAM); }},
      {"asam", [](const OptimizerSettings& s) { return describe_sam("asam", s); },
       [](ArenaRef a, const OptimizerSettings& s) { return build_sam(std::move(a), s, SamKind::ASAM); }},
      {"rsam", describe_rsam,
       [](ArenaRef a, const OptimizerSettings& s) { return build_sam(std::move(a), s, SamKind::RSAM); }},
  };
  return table;
}

const OptimizerEntry* find_optimizer(const std::string& name) {
  for (const auto& e : optimizer_table())
    if (name == e.name) return &e;
  return nullptr;
}

std::string optimizer_list() {
  std::string s;
  for (const auto& e : optimizer_table()) s += (s.empty() ? "" : ", ") + std::string(e.name);
  return s;
}

Dist parse_noise(const std::string& s, const char* who) {
  for (Dist d : {Dist::Gaussian, Dist::Laplace, Dist::Uniform, Dist::Binomial, Dist::Cauchy})
    if (s == kernels::noise::dist_name(d)) return d;
  BASIN_FAIL(who << ": unknown --noise '" << s << "' (gaussian, laplace, uniform, binomial, cauchy)");
}

}  // namespace basin::optim
