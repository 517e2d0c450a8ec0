#include "train/saved_model.h"

#include <sstream>

#include "nn/safetensors.h"
#include "train/data_setup.h"

namespace basin::train {

std::vector<std::int64_t> parse_widths(const std::string& s, const char* flag) {
  std::vector<std::int64_t> v;
  std::stringstream ss(s);
  for (std::string p; std::getline(ss, p, ',');) {
    try {
      std::size_t used = 0;
      long long w = std::stoll(p, &used);
      BASIN_CHECK(used == p.size() && w > 0, "");
      v.push_back(w);
    } catch (const std::exception&) {
      BASIN_FAIL(flag << " '" << s << "': expected comma-separated positive widths such as 256,128");
    }
  }
  BASIN_CHECK(!v.empty(), flag << " '" << s << "': expected comma-separated positive widths such as 256,128");
  return v;
}

SavedModel resolve_saved_model(const std::string& weights, const std::string& data_spec, const ModelOverrides& o) {
  std::map<std::string, std::string> meta;
  if (!weights.empty()) meta = nn::load_safetensors(weights).metadata;
  auto pick = [&](const std::string& given, const char* key, const std::string& fallback) {
    if (!given.empty()) return given;
    auto it = meta.find(key);
    return it == meta.end() || it->second.empty() ? fallback : it->second;
  };
  SavedModel s;
  TrainConfig& c = s.config;
  c.data = data_spec;
  c.model = pick(o.model, "model", "mlp");
  c.hidden = parse_widths(pick(o.hidden, "hidden", "256,128"), "--hidden");
  c.activation = pick(o.activation, "activation", "relu");  // files written before the key existed are ReLU
  c.small_input = pick(o.small_input, "small_input", "auto");
  s.image_size = o.image_size > 0 ? o.image_size : std::stoi(pick("", "image_size", "0"));
  if (s.image_size <= 0) s.image_size = default_image_size(data_spec);
  if (c.small_input == "auto") c.small_input = (data_spec == "fashion-mnist" || s.image_size <= 64) ? "on" : "off";
  return s;
}

}  // namespace basin::train
