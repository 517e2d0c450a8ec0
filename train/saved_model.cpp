#include "train/saved_model.h"

#include <cerrno>
#include <cstdlib>

#include "io/json_text.h"
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

// "class_names": a JSON array of strings, else an error naming the key and the file.
std::vector<std::string> class_names_of(const Metadata& meta) {
  const std::string* v = meta.find("class_names");
  if (!v) return {};
  nlohmann::json j = nlohmann::json::parse(*v, nullptr, /*allow_exceptions=*/false);
  bool ok = j.is_array();
  for (const auto& e : j) ok = ok && e.is_string();
  BASIN_CHECK(ok, "weights " << meta.file << ": metadata 'class_names' is not a JSON array of strings");
  return j.get<std::vector<std::string>>();
}

// What the run stored beside the model's shape: class names and preprocessing.
void read_data_entries(const Metadata& meta, SavedModel& s) {
  s.class_names = class_names_of(meta);
  s.num_classes = meta.positive_int("num_classes", 1 << 24);
  if (s.num_classes == 0) s.num_classes = static_cast<std::int64_t>(s.class_names.size());
  BASIN_CHECK(s.class_names.empty() || static_cast<std::int64_t>(s.class_names.size()) == s.num_classes,
              "weights " << meta.file << ": metadata 'class_names' holds " << s.class_names.size()
                         << " names for 'num_classes' " << s.num_classes);
  s.in_channels = meta.positive_int("in_channels", 4);
  s.eval_resize = meta.positive_int("eval_resize", 65536);
  if (const std::string* d = meta.find("data")) s.trained_data = *d;
}

}  // namespace

std::string class_names_metadata(const std::vector<std::string>& names) { return io::json_text(nlohmann::json(names)); }

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
  // Files written before the key existed (and torchvision exports) are width 64.
  c.base_width = o.base_width > 0 ? o.base_width : meta.positive_int("base_width", 4096);
  if (c.base_width <= 0) c.base_width = 64;
  s.image_size = o.image_size > 0 ? o.image_size : meta.positive_int("image_size", 65536);
  if (s.image_size <= 0) s.image_size = default_image_size(data_spec);
  c.small_input = resolve_small_input(c.small_input, data_spec, s.image_size);
  read_data_entries(meta, s);
  return s;
}

}  // namespace basin::train
