#include "nn/safetensors.h"

#include "io/json_text.h"
#include "io/atomic_file.h"
#include "io/input_file.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "autograd/grad_mode.h"
#include "kernels/fill_copy.h"

namespace basin::nn {

namespace {

// Raw bytes are written as they lie in memory; safetensors is little-endian.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors I/O assumes a little-endian host");

// Real safetensors files cap the header at 100 MB; so do we.
constexpr std::uint64_t kMaxHeader = 100u << 20;

const char* st_dtype(DType t) {
  switch (t) {
    case DType::Float32: return "F32";
    case DType::Int64: return "I64";
    case DType::Int32: return "I32";
    case DType::UInt8: return "U8";
    default: return nullptr;
  }
}

bool parse_st_dtype(const std::string& s, DType* out) {
  if (s == "F32") *out = DType::Float32;
  else if (s == "I64") *out = DType::Int64;
  else if (s == "I32") *out = DType::Int32;
  else if (s == "U8") *out = DType::UInt8;
  else return false;
  return true;
}

// A contiguous CPU copy of t (t itself when it already is one).
Tensor host_contiguous(const Tensor& t) {
  if (t.device().is_cpu() && t.is_contiguous()) return t;
  Tensor h = Tensor::empty(t.shape(), t.dtype(), Device::cpu());
  kernels::copy(t, h);
  return h;
}

}  // namespace

const Tensor& SafetensorsFile::get(const std::string& name) const {
  long i = find_named(tensors, name);
  if (i < 0) {
    std::ostringstream os;
    for (size_t k = 0; k < tensors.size() && k < 20; ++k) os << (k ? ", " : "") << tensors[k].first;
    if (tensors.size() > 20) os << ", ...";
    BASIN_FAIL("safetensors: no tensor '" << name << "' (file holds " << tensors.size() << ": " << os.str() << ")");
  }
  return tensors[static_cast<size_t>(i)].second;
}

void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata) {
  NoGradGuard no_grad;
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<Tensor> host;
  std::set<std::string> names;
  std::uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    BASIN_CHECK(!name.empty() && name != "__metadata__", "save_safetensors(" << path << "): invalid tensor name '" << name << "'");
    BASIN_CHECK(names.insert(name).second, "save_safetensors(" << path << "): duplicate tensor name " << name);
    BASIN_CHECK(t.defined(), "save_safetensors(" << path << "): tensor " << name << " is undefined");
    const char* dt = st_dtype(t.dtype());
    BASIN_CHECK(dt, "save_safetensors(" << path << "): tensor " << name << " has unsupported dtype "
                                        << dtype_name(t.dtype()) << " (F32, I64, I32, U8 only)");
    host.push_back(host_contiguous(t));
    std::uint64_t nbytes = t.nbytes();
    header[name] = {{"dtype", dt}, {"shape", t.shape()}, {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
  }
  std::string json = io::json_text(header);
  // Pad with spaces so the data starts 8-byte aligned (what the reference writer does).
  while ((json.size() + 8) % 8 != 0) json.push_back(' ');
  std::uint64_t hlen = json.size();

  io::write_file_atomic(path, [&](const io::ByteSink& sink) {
    sink(&hlen, 8);
    sink(json.data(), json.size());
    for (const Tensor& h : host)
      if (h.nbytes() > 0) sink(h.raw_data(), h.nbytes());
  });
}

SafetensorsFile load_safetensors(const std::string& path) {
  io::InputFile f;
  const std::string why = f.open(path);
  BASIN_CHECK(why.empty(), "load_safetensors: cannot open " << path << ": " << why);
  const std::uint64_t fsize = f.size();
  BASIN_CHECK(fsize >= 8, "load_safetensors(" << path << "): file of " << fsize << " bytes is too short for a header");
  std::uint64_t hlen = 0;
  BASIN_CHECK(f.read_at(&hlen, 8, 0), "load_safetensors(" << path << "): cannot read the header length");
  BASIN_CHECK(hlen <= kMaxHeader && hlen <= fsize - 8,
              "load_safetensors(" << path << "): header length " << hlen << " exceeds the file (" << fsize
                                  << " bytes) or the 100 MB limit");
  std::string json(hlen, '\0');
  BASIN_CHECK(hlen == 0 || f.read_at(json.data(), hlen, 8), "load_safetensors(" << path << "): cannot read the header");
  // JSON objects may repeat a key, and the parser keeps the last one: a file
  // with two entries for one tensor would load whichever came last. Refused.
  std::vector<std::set<std::string>> keys;  // one set per open object
  std::string tensor;                       // the top-level key being parsed
  auto no_duplicates = [&](int depth, nlohmann::ordered_json::parse_event_t event, nlohmann::ordered_json& parsed) {
    using E = nlohmann::ordered_json::parse_event_t;
    if (event == E::object_start) keys.emplace_back();
    else if (event == E::object_end && !keys.empty()) keys.pop_back();
    else if (event == E::key && !keys.empty()) {
      const std::string k = parsed.get<std::string>();
      if (depth == 1) tensor = k;
      if (!keys.back().insert(k).second) {
        if (depth == 1 && k == "__metadata__") BASIN_FAIL("load_safetensors(" << path << "): __metadata__ appears twice");
        if (depth == 1) BASIN_FAIL("load_safetensors(" << path << "): duplicate tensor name " << k);
        BASIN_FAIL("load_safetensors(" << path << "): " << (tensor == "__metadata__" ? "__metadata__" : "tensor " + tensor)
                                       << ": duplicate key '" << k << "'");
      }
    }
    return true;
  };
  nlohmann::ordered_json header;
  try {
    header = nlohmann::ordered_json::parse(json, no_duplicates);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    BASIN_FAIL("load_safetensors(" << path << "): header is not valid JSON: " << e.what());
  }
  BASIN_CHECK(header.is_object(), "load_safetensors(" << path << "): header is not a JSON object");
  const std::uint64_t data_start = 8 + hlen;
  const std::uint64_t data_size = fsize - data_start;

  struct Entry {
    std::string name;
    DType dtype;
    Shape shape;
    std::uint64_t begin, end;
  };
  std::vector<Entry> entries;
  SafetensorsFile out;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const auto& v = it.value();
    if (name == "__metadata__") {
      BASIN_CHECK(v.is_object(), "load_safetensors(" << path << "): __metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        BASIN_CHECK(m.value().is_string(), "load_safetensors(" << path << "): metadata '" << m.key() << "' is not a string");
        out.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    auto bad = [&](const std::string& why) {
      BASIN_FAIL("load_safetensors(" << path << "): tensor " << name << ": " << why);
    };
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets"))
      bad("entry needs dtype, shape and data_offsets");
    Entry e;
    e.name = name;
    if (!v["dtype"].is_string() || !parse_st_dtype(v["dtype"].get<std::string>(), &e.dtype))
      bad("unsupported dtype " + v["dtype"].dump() + " (F32, I64, I32, U8 only)");
    if (!v["shape"].is_array()) bad("shape is not an array");
    std::uint64_t numel = 1;
    for (const auto& d : v["shape"]) {
      if (!d.is_number_unsigned()) bad("shape " + v["shape"].dump() + " has a non-integer or negative entry");
      std::uint64_t n = d.get<std::uint64_t>();
      // Each dim, and numel * 8 bytes, must fit an int64 (a zero dim must not
      // let a huge one through, nor numel * dtype_size wrap around to a small size).
      if (n > (std::uint64_t(1) << 58) || (n != 0 && numel > (std::uint64_t(1) << 58) / n))
        bad("shape " + v["shape"].dump() + " overflows");
      numel *= n;
      e.shape.push_back(static_cast<std::int64_t>(n));
    }
    const auto& off = v["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      bad("data_offsets must be two non-negative integers");
    e.begin = off[0].get<std::uint64_t>();
    e.end = off[1].get<std::uint64_t>();
    if (e.begin > e.end || e.end > data_size)
      bad("data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "] outside the " +
          std::to_string(data_size) + " data bytes");
    if (e.end - e.begin != numel * dtype_size(e.dtype))
      bad("data_offsets span " + std::to_string(e.end - e.begin) + " bytes but shape " + shape_str(e.shape) + " x " +
          v["dtype"].get<std::string>() + " needs " + std::to_string(numel * dtype_size(e.dtype)));
    entries.push_back(std::move(e));
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  for (size_t i = 1; i < entries.size(); ++i) {
    const Entry& a = entries[i - 1];
    const Entry& b = entries[i];
    // Empty tensors occupy no bytes and may share an offset with anything.
    BASIN_CHECK(a.end <= b.begin || a.begin == a.end || b.begin == b.end,
                "load_safetensors(" << path << "): tensors " << a.name << " [" << a.begin << ", " << a.end << ") and "
                                    << b.name << " [" << b.begin << ", " << b.end << ") overlap");
  }
  for (const Entry& e : entries) {
    Tensor t = Tensor::empty(e.shape, e.dtype, Device::cpu());
    if (e.end > e.begin)
      BASIN_CHECK(f.read_at(t.raw_data(), e.end - e.begin, data_start + e.begin),
                  "load_safetensors(" << path << "): tensor " << e.name << ": read failed");
    t.set_name(e.name);
    out.tensors.emplace_back(e.name, t);
  }
  return out;
}

}  // namespace basin::nn
