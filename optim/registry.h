#pragma once
// Every optimizer basin builds by name, in one table: `basin train --optimizer`
// (train/model_setup.cpp) and `basin bench --optimizer` (tools/bench_runner.cpp)
// both build through it, so a method added here is available to both, with its
// description. Each row: the name, how to describe the run's settings in one
// line, and how to build the optimizer over an arena.
//
//   sgd    SGD (optim/sgd.h)                     lr, momentum, weight_decay
//   adamw  AdamW (optim/adamw.h)                 lr, weight_decay
//   nso    NSO, +U and -U (optim/nso.h)          on sgd; sigma, k, noise, seed, lambda, sigma_schedule
//   wpsgd  NSO one-point (WP-SGD)                on sgd; sigma, k, noise, seed, lambda, sigma_schedule
//   sam, usam, asam (optim/sam.h)                on sgd; rho
//   rsam   (optim/sam.h)                         on sgd; rho, sigma, noise, seed
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "optim/optimizer.h"
#include "optim/sigma_schedule.h"

namespace basin::optim {

// The settings of every method in the table; each builder reads the ones it
// uses. The perturbation methods wrap SGD with lr, momentum and weight_decay.
struct OptimizerSettings {
  double lr = 0.01;
  double momentum = 0.0;
  double weight_decay = 0.0;
  double sigma = 0.01;  // nso, wpsgd, rsam: standard deviation of every noise element
  int k = 1;            // nso, wpsgd: perturbations per step
  kernels::noise::Dist noise = kernels::noise::Dist::Gaussian;  // nso, wpsgd, rsam
  double lambda = 0.0;  // nso, wpsgd: weight of a clean gradient at W (> 0 adds that pass)
  SigmaSchedule sigma_schedule;  // nso, wpsgd: sigma over training (constant: sigma)
  double rho = 0.05;       // sam family: radius
  std::uint64_t seed = 0;  // nso, wpsgd, rsam: noise key
};

struct OptimizerEntry {
  const char* name;
  // e.g. "nso (sigma 0.01, k 1, gaussian) on sgd lr 0.05 momentum 0.9 weight decay 0.0005"
  std::string (*describe)(const OptimizerSettings& s);
  std::unique_ptr<Optimizer> (*build)(ArenaRef arena, const OptimizerSettings& s);
};

// The table, in the order help texts list the names.
const std::vector<OptimizerEntry>& optimizer_table();
// The row named `name`, or nullptr.
const OptimizerEntry* find_optimizer(const std::string& name);
// "sgd, adamw, nso, wpsgd, sam, usam, asam, rsam" (for messages).
std::string optimizer_list();

// gaussian | laplace | uniform | binomial | cauchy (kernels::noise::dist_name's names);
// throws "<who>: unknown noise '<s>' (...)" otherwise.
kernels::noise::Dist parse_noise(const std::string& s, const char* who);

}  // namespace basin::optim
