#pragma once
// Named tensor collections (a model's state) and the rules for loading one into
// a model: strict (everything must match), non-strict (missing and unexpected
// names are reported, not fatal) and fine-tuning (tensors whose shape differs,
// or whose names start with given prefixes such as "fc.", are skipped and
// reported, so an ImageNet checkpoint loads into a 10-class model).
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace basin::nn {

// Ordered (name, tensor) pairs; order is the module's registration order.
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// Index of `name` in `ts`, or -1.
long find_named(const NamedTensors& ts, const std::string& name);

struct LoadOptions {
  // Missing or unexpected names throw (after the whole report is built).
  bool strict = true;
  // Tensors whose shape differs from the model's are skipped and reported in
  // `skipped` instead of failing (the "all but a mismatched head" mode).
  bool skip_mismatched = false;
  // Names starting with any of these are neither loaded nor required
  // (e.g. {"fc."} to keep a freshly initialized classifier).
  std::vector<std::string> skip_prefixes;

  static LoadOptions non_strict() { LoadOptions o; o.strict = false; return o; }
  // Fine-tuning: strict about the body, skipping any head whose shape differs.
  static LoadOptions fine_tune(std::vector<std::string> prefixes = {}) {
    LoadOptions o;
    o.skip_mismatched = true;
    o.skip_prefixes = std::move(prefixes);
    return o;
  }
};

struct ShapeMismatch {
  std::string name;
  Shape expected;  // the model's
  Shape got;       // the file's
};

struct LoadReport {
  std::vector<std::string> loaded;
  std::vector<std::string> missing;      // in the model, not in the state
  std::vector<std::string> unexpected;   // in the state, not in the model
  std::vector<ShapeMismatch> mismatched; // wrong shape and not skipped
  std::vector<std::string> skipped;      // by prefix or by skip_mismatched (with the reason)
  std::vector<std::string> kept;         // optional buffers absent from the state, left as they were
                                         // (BatchNorm's num_batches_tracked, as in PyTorch)

  bool ok() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  // Multi-line human summary ("loaded 122 tensors; skipped: fc.weight (shape ...)").
  std::string str() const;
};

}  // namespace basin::nn
