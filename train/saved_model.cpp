#include "train/saved_model.h"

#include <cerrno>
#include <cstdlib>

#include "nn/safetensors.h"
#include "train/data_setup.h"

namespace basin::train {

namespace {

// The weights' metadata, read with checks that name the key and the file: a
// value basin would not have written is an error, never a library exception
// (std::stoi) or a silent default.
struct Metadata {
  std::string file;
  std::map<std::string, std::string> entries;

  const std::string* find(const char* key) const {
    auto it = entries.find(key);
    return it == entries.end() ? nullptr : &it->second;
  }
  // `given` (a flag) wins; then the metadata's value, which must be one of `allowed`; else `fallback`.
  std::string choice(const std::string& given, const char* key, const std::vector<std::string>& allowed,
                     const std::string& fallback) const {
    if (!given.empty()) return given;
    const std::string* v = find(key);
    if (!v) return fallback;
    for (const auto& a : allowed)
      if (*v == a) return *v;
    std::string names;
    for (const auto& a : allowed) names += (names.empty() ? "" : ", ") + a;
    BASIN_FAIL("weights " << file << ": metadata '" << key << "' is '" << *v << "' (expected one of " << names << ")");
  }
  // A positive integer of at most `max`, or 0 when the key is absent.
  int positive_int(const char* key, long max) const {
    const std::string* v = find(key);
    if (!v) return 0;
    errno = 0;
    char* end = nullptr;
    const long n = std::strtol(v->c_str(), &end, 10);
    BASIN_CHECK(!v->empty() && *end == '\0' && errno == 0 && n >= 1 && n <= max,
                "weights " << file << ": metadata '" << key << "' is '" << *v << "', not an integer in [1, " << max
                           << "]");
    return static_cast<int>(n);
  }
};

}  // namespace

SavedModel resolve_saved_model(const std::string& weights, const std::string& data_spec, const ModelOverrides& o) {
  Metadata meta{weights, {}};
  if (!weights.empty()) meta.entries = nn::load_safetensors(weights).metadata;
  SavedModel s;
  TrainConfig& c = s.config;
  c.data = data_spec;
  c.model = meta.choice(o.model, "model", {"mlp", "resnet18", "resnet34", "resnet50"}, "mlp");
  // An MLP trained with --hidden '' (no hidden layer) stores "": that is the empty
  // list, not a missing entry; only a file without the key gets the default.
  if (o.hidden) {
    c.hidden = parse_widths(*o.hidden, "--hidden");
  } else if (const std::string* h = meta.find("hidden")) {
    try {
      c.hidden = parse_widths(*h, "hidden");
    } catch (const Error&) {
      BASIN_FAIL("weights " << weights << ": metadata 'hidden' is '" << *h << "' (expected widths such as 256,128)");
    }
  } else {
    c.hidden = {256, 128};
  }
  // Files written before the key existed are ReLU.
  c.activation = meta.choice(o.activation, "activation", {"relu", "tanh"}, "relu");
  c.small_input = meta.choice(o.small_input, "small_input", {"auto", "on", "off"}, "auto");
  s.image_size = o.image_size > 0 ? o.image_size : meta.positive_int("image_size", 65536);
  if (s.image_size <= 0) s.image_size = default_image_size(data_spec);
  c.small_input = resolve_small_input(c.small_input, data_spec, s.image_size);
  return s;
}

}  // namespace basin::train
