#pragma once
// A layer-by-layer table of a model (what `basin inspect` prints): for each
// module called during one forward pass on an input of the given shape, its
// dotted name, type, output shape, own parameter count and multiply-accumulates.
// The forward runs in eval mode under NoGradGuard on zeros, on the model's device.
#include <cstdint>
#include <string>
#include <vector>

#include "nn/module.h"

namespace basin::nn {

struct SummaryRow {
  std::string name;   // "layer1.0.conv1" ("" for the model itself)
  std::string type;   // "Conv2d"
  std::string config; // extra_repr()
  Shape output;
  std::int64_t params = 0;  // parameters owned directly by this module (not children)
  std::int64_t macs = 0;    // this module's own MACs (convolutions and linear layers)
  int depth = 0;            // nesting level, 0 for top-level children
};

struct ModelSummary {
  std::vector<SummaryRow> rows;  // in call order; a module called twice appears twice
  std::int64_t total_params = 0;
  std::int64_t trainable_params = 0;
  std::int64_t total_macs = 0;
  Shape input, output;
  // A printable table with totals.
  std::string str() const;
};

// `input` includes the batch axis, e.g. {1, 3, 224, 224}. Restores the model's mode.
ModelSummary summarize(Module& model, const Shape& input);

}  // namespace basin::nn
