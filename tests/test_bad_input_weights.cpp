// Issue #12 class 6, weights files: a safetensors header naming one tensor (or
// any key) twice is refused, naming it and the file; --init fails unless the
// whole backbone matched, and reports matched/skipped/missing counts.
#include <gtest/gtest.h>

#include <filesystem>

#include "tensor/error.h"
#include "data_test_util.h"
#include "nn/models/factory.h"
#include "nn/safetensors.h"
#include "nn/weights.h"
#include "train/model_setup.h"
#include "error_test_util.h"

using basin::data::testing::TempDir;
using basin::data::testing::write_bytes;

using basin::testing::expect_error;

namespace {

std::vector<std::uint8_t> st_bytes(const std::string& json, std::size_t data_bytes) {
  std::vector<std::uint8_t> b;
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(json.size() >> (8 * i)));
  b.insert(b.end(), json.begin(), json.end());
  b.resize(b.size() + data_bytes, 0);
  return b;
}

basin::nn::ModelOptions mlp(std::vector<std::int64_t> hidden, std::int64_t classes = 10) {
  basin::nn::ModelOptions o;
  o.num_classes = classes;
  o.in_channels = 1;
  o.input_features = 64;
  o.hidden = std::move(hidden);
  o.seed = 7;
  return o;
}

}  // namespace

TEST(BadInputWeights, DuplicateNamesInTheHeaderAreRefused) {
  TempDir d;
  const std::string w = R"("w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]})";
  const std::string w2 = R"("w": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]})";
  const std::string v = R"("v": {"dtype": "F32", "shape": [1], "data_offsets": [12, 16]})";
  struct Case {
    std::string json, mentions;
  };
  const std::vector<Case> cases = {
      {"{" + w + ", " + w2 + "}", "duplicate tensor name w"},                      // last one would win
      {"{" + w + ", " + v + ", " + w + "}", "duplicate tensor name w"},            // identical, not adjacent
      {R"({"__metadata__": {"a": "1"}, )" + w + R"(, "__metadata__": {"a": "2"}})", "__metadata__ appears twice"},
      {R"({"__metadata__": {"a": "1", "a": "2"}, )" + w + "}", "__metadata__: duplicate key 'a'"},
      {R"({"w": {"dtype": "F32", "dtype": "I32", "shape": [2], "data_offsets": [0, 8]}})", "tensor w: duplicate key 'dtype'"},
  };
  for (const auto& c : cases) {
    const std::string path = d / "dup.safetensors";
    write_bytes(path, st_bytes(c.json, 16));
    expect_error([&] { basin::nn::load_safetensors(path); }, {path, c.mentions});
  }
  // Same keys in different objects are fine (every entry has a dtype).
  write_bytes(d / "ok.safetensors", st_bytes("{" + w + ", " + v + "}", 16));
  EXPECT_EQ(basin::nn::load_safetensors(d / "ok.safetensors").tensors.size(), 2u);
}

TEST(BadInputWeights, InitMustMatchTheWholeBackbone) {
  TempDir d;
  auto model = basin::nn::make_model("mlp", mlp({16, 16}));
  struct Case {
    std::vector<std::int64_t> hidden;
    std::int64_t classes;
    std::vector<std::string> mentions;
  };
  // Other widths: nothing or only part of the backbone has the model's shapes.
  const std::vector<Case> bad = {
      {{32, 32}, 10, {"matched 1, skipped 5", "backbone 0 of 4"}},  // only the head's bias fits
      {{16, 32}, 10, {"backbone 2 of 4", "layers.2.weight"}},      // first layer only
      {{32, 16}, 10, {"backbone 1 of 4", "layers.0.weight"}},  // layers.2.bias alone fits
  };
  for (const auto& c : bad) {
    const std::string path = d / "other.safetensors";
    basin::nn::save_weights(*basin::nn::make_model("mlp", mlp(c.hidden, c.classes)), path);
    std::vector<std::string> parts = c.mentions;
    parts.push_back("--init " + path);
    parts.push_back("do not fit");
    expect_error([&] { basin::train::load_init_weights(*model, path); }, parts);
  }
  // Same backbone, another head (5 classes): loads, with counts.
  const std::string ok = d / "five.safetensors";
  basin::nn::save_weights(*basin::nn::make_model("mlp", mlp({16, 16}, 5)), ok);
  const std::string report = basin::train::load_init_weights(*model, ok);
  std::printf("[message] %s\n", report.c_str());
  EXPECT_NE(report.find("matched 4, skipped 2, missing 0; backbone 4 of 4 (head layers.4.)"), std::string::npos) << report;
  // A file of the same model loads everything.
  const std::string same = d / "same.safetensors";
  basin::nn::save_weights(*model, same);
  EXPECT_NE(basin::train::load_init_weights(*model, same).find("matched 6, skipped 0"), std::string::npos);
}
