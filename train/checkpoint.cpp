#include "train/checkpoint.h"

#include <zlib.h>

#include <cstdio>
#include <limits>
#include <map>
#include <type_traits>
#include <nlohmann/json.hpp>

#include "io/json_text.h"
#include "autograd/grad_mode.h"
#include "kernels/fill_copy.h"
#include "nn/safetensors.h"

namespace basin::train {

namespace {

constexpr const char* kFormat = "basin-checkpoint";
constexpr const char* kVersion = "1";
const std::string kModelPrefix = "model.";
const std::string kOptimPrefix = "optimizer.";

Tensor host_contiguous(const Tensor& t) {
  if (t.device().is_cpu() && t.is_contiguous()) return t;
  Tensor h = Tensor::empty(t.shape(), t.dtype(), Device::cpu());
  kernels::copy(t, h);
  return h;
}

// CRC-32 of everything the file says, in a fixed order.
std::string checksum(const nn::NamedTensors& host, const std::map<std::string, std::string>& meta) {
  uLong crc = crc32(0L, Z_NULL, 0);
  auto feed = [&](const void* p, std::size_t n) {
    const Bytef* b = static_cast<const Bytef*>(p);
    while (n > 0) {
      uInt chunk = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
      crc = crc32(crc, b, chunk);
      b += chunk;
      n -= chunk;
    }
  };
  for (const auto& [name, t] : host) {
    std::string head = name + '\0' + dtype_name(t.dtype()) + '\0' + shape_str(t.shape()) + '\0';
    feed(head.data(), head.size());
    if (t.nbytes()) feed(t.raw_data(), t.nbytes());
  }
  for (const auto& [k, v] : meta) {
    if (k == "checksum") continue;
    std::string kv = k + '\0' + v + '\0';
    feed(kv.data(), kv.size());
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08lx", static_cast<unsigned long>(crc));
  return buf;
}

// The fields of the "position" record, in one list that writing and reading share.
template <class Position, class Visit>
void for_each_position_field(Position& p, Visit&& visit) {
  visit("epoch", p.epoch);
  visit("batch", p.batch);
  visit("step", p.step);
  visit("loss_sum", p.stats.loss_sum);
  visit("correct", p.stats.correct);
  visit("count", p.stats.count);
  visit("seconds", p.seconds);
  visit("skipped", p.skipped);
}

// Counters must be non-negative integers in their field's range: json's get<int>()
// on 1e300 or 1e19 is an out-of-range float-to-int cast (undefined behaviour).
void read_position(const nlohmann::json& j, RunPosition& p) {
  for_each_position_field(p, [&](const char* key, auto& field) {
    using T = std::decay_t<decltype(field)>;
    const auto& v = j.at(key);
    if constexpr (std::is_floating_point_v<T>) {
      BASIN_CHECK(v.is_number(), "'" << key << "' is " << v.dump() << ", not a number");
      field = v.get<double>();
    } else {
      constexpr auto max = std::numeric_limits<T>::max();
      BASIN_CHECK(v.is_number_unsigned() && v.get<std::uint64_t>() <= static_cast<std::uint64_t>(max),
                  "'" << key << "' is " << v.dump() << ", not an integer in [0, " << max << "]");
      field = static_cast<T>(v.get<std::uint64_t>());
    }
  });
}

}  // namespace

void save_checkpoint(const std::string& path, const CheckpointState& s) {
  NoGradGuard no_grad;
  nn::NamedTensors host;
  for (const auto& [n, t] : s.model) host.emplace_back(kModelPrefix + n, host_contiguous(t));
  for (const auto& [n, t] : s.optimizer) host.emplace_back(kOptimPrefix + n, host_contiguous(t));

  nlohmann::json pos = nlohmann::json::object();
  for_each_position_field(s.position, [&](const char* key, const auto& field) { pos[key] = field; });
  std::map<std::string, std::string> meta{
      {"format", kFormat}, {"version", kVersion}, {"position", io::json_text(pos)}, {"config", s.config_json}};
  meta["checksum"] = checksum(host, meta);

  // The checksum covers names, dtypes, shapes, bytes and metadata; the file itself
  // is an ordinary safetensors file written durably (temp, fsync, rename).
  nn::save_safetensors(path, host, meta);
}

CheckpointState load_checkpoint(const std::string& path) {
  nn::SafetensorsFile f;
  try {
    f = nn::load_safetensors(path);
  } catch (const std::exception& e) {
    BASIN_FAIL("checkpoint " << path << " is unreadable or corrupt: " << e.what());
  }
  auto meta_get = [&](const char* key) -> const std::string& {
    auto it = f.metadata.find(key);
    BASIN_CHECK(it != f.metadata.end(),
                "checkpoint " << path << " is not a basin checkpoint (no '" << key << "' in its metadata)");
    return it->second;
  };
  BASIN_CHECK(meta_get("format") == kFormat, "checkpoint " << path << " is not a basin checkpoint (format '"
                                                           << meta_get("format") << "')");
  BASIN_CHECK(meta_get("version") == kVersion,
              "checkpoint " << path << " has version " << meta_get("version") << ", this basin reads " << kVersion);
  std::string stored = meta_get("checksum");
  std::string computed = checksum(f.tensors, f.metadata);
  BASIN_CHECK(stored == computed, "checkpoint " << path << " is corrupt: checksum mismatch (stored " << stored
                                                << ", contents give " << computed
                                                << "); it was damaged after being written");
  CheckpointState s;
  for (const auto& [name, t] : f.tensors) {
    if (name.rfind(kModelPrefix, 0) == 0) s.model.emplace_back(name.substr(kModelPrefix.size()), t);
    else if (name.rfind(kOptimPrefix, 0) == 0) s.optimizer.emplace_back(name.substr(kOptimPrefix.size()), t);
    else BASIN_FAIL("checkpoint " << path << ": unexpected tensor '" << name << "'");
  }
  try {
    read_position(nlohmann::json::parse(meta_get("position")), s.position);
  } catch (const std::exception& e) {
    BASIN_FAIL("checkpoint " << path << ": bad position record: " << e.what());
  }
  s.config_json = meta_get("config");
  return s;
}

}  // namespace basin::train
