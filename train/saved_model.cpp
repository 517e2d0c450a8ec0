#include "train/saved_model.h"

#include "nn/safetensors.h"
#include "train/data_setup.h"

namespace basin::train {

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
  c.small_input = resolve_small_input(c.small_input, data_spec, s.image_size);
  return s;
}

}  // namespace basin::train
