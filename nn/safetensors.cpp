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
#include "nn/half_float.h"

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
    case DType::Float16: return "F16";
    case DType::BFloat16: return "BF16";
    default: return nullptr;
  }
}

// A dtype as the file stores it: basin's own four, plus the float formats of
// the ecosystem that are read into float32 (PyTorch's F16/BF16 exports, F64).
enum class FileDType { Same, F16, BF16, F64 };

bool parse_st_dtype(const std::string& s, DType* out, FileDType* file, std::uint64_t* elem_size) {
  *file = FileDType::Same;
  if (s == "F32") *out = DType::Float32;
  else if (s == "I64") *out = DType::Int64;
  else if (s == "I32") *out = DType::Int32;
  else if (s == "U8") *out = DType::UInt8;
  else if (s == "F16") *out = DType::Float32, *file = FileDType::F16;
  else if (s == "BF16") *out = DType::Float32, *file = FileDType::BF16;
  else if (s == "F64") *out = DType::Float32, *file = FileDType::F64;
  else return false;
  *elem_size = *file == FileDType::F64 ? 8 : *file == FileDType::Same ? dtype_size(*out) : 2;
  return true;
}

// Widens (F16, BF16: exact) or narrows (F64: nearest) `n` stored values into floats.
void convert_to_float(FileDType from, const unsigned char* src, std::int64_t n, float* dst) {
  for (std::int64_t i = 0; i < n; ++i) {
    if (from == FileDType::F64) {
      double d;
      std::memcpy(&d, src + 8 * i, 8);
      dst[i] = static_cast<float>(d);
    } else {
      std::uint16_t h;
      std::memcpy(&h, src + 2 * i, 2);
      dst[i] = from == FileDType::F16 ? f16_to_float(h) : bf16_to_float(h);
    }
  }
}

// float32 storage as F16/BF16 on request (save_safetensors' float_dtype).
std::vector<std::uint16_t> narrow_floats(const Tensor& host, DType to) {
  const float* p = host.data<float>();
  std::vector<std::uint16_t> out(static_cast<size_t>(host.numel()));
  for (size_t i = 0; i < out.size(); ++i) out[i] = to == DType::Float16 ? float_to_f16(p[i]) : float_to_bf16(p[i]);
  return out;
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
                      const std::map<std::string, std::string>& metadata, DType float_dtype) {
  NoGradGuard no_grad;
  BASIN_CHECK(float_dtype == DType::Float32 || float_dtype == DType::Float16 || float_dtype == DType::BFloat16,
              "save_safetensors(" << path << "): float tensors can be stored as float32, float16 or bfloat16, not "
                                  << dtype_name(float_dtype));
  std::vector<std::vector<std::uint16_t>> narrowed;  // per tensor; empty when stored as is
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<Tensor> host;
  std::set<std::string> names;
  std::uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    BASIN_CHECK(!name.empty() && name != "__metadata__", "save_safetensors(" << path << "): invalid tensor name '" << name << "'");
    BASIN_CHECK(names.insert(name).second, "save_safetensors(" << path << "): duplicate tensor name " << name);
    BASIN_CHECK(t.defined(), "save_safetensors(" << path << "): tensor " << name << " is undefined");
    const bool narrow = t.dtype() == DType::Float32 && float_dtype != DType::Float32;
    const char* dt = st_dtype(narrow ? float_dtype : t.dtype());
    BASIN_CHECK(dt && t.dtype() != DType::Float16 && t.dtype() != DType::BFloat16,
                "save_safetensors(" << path << "): tensor " << name << " has unsupported dtype "
                                    << dtype_name(t.dtype()) << " (F32, I64, I32, U8 only)");
    host.push_back(host_contiguous(t));
    narrowed.push_back(narrow ? narrow_floats(host.back(), float_dtype) : std::vector<std::uint16_t>{});
    std::uint64_t nbytes = narrow ? 2 * static_cast<std::uint64_t>(t.numel()) : t.nbytes();
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
    for (size_t i = 0; i < host.size(); ++i) {
      if (!narrowed[i].empty()) sink(narrowed[i].data(), 2 * narrowed[i].size());
      else if (host[i].nbytes() > 0) sink(host[i].raw_data(), host[i].nbytes());
    }
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
    DType dtype;          // in memory
    FileDType file;       // in the file, when it differs (converted to float32)
    std::uint64_t elem;   // bytes per element in the file
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
    if (!v["dtype"].is_string() || !parse_st_dtype(v["dtype"].get<std::string>(), &e.dtype, &e.file, &e.elem))
      bad("unsupported dtype " + v["dtype"].dump() + " (F32, F16, BF16, F64, I64, I32, U8)");
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
    if (e.end - e.begin != numel * e.elem)
      bad("data_offsets span " + std::to_string(e.end - e.begin) + " bytes but shape " + shape_str(e.shape) + " x " +
          v["dtype"].get<std::string>() + " needs " + std::to_string(numel * e.elem));
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
  std::vector<unsigned char> raw;
  for (const Entry& e : entries) {
    Tensor t = Tensor::empty(e.shape, e.dtype, Device::cpu());
    void* dst = t.raw_data();
    if (e.file != FileDType::Same) {
      raw.resize(e.end - e.begin);
      dst = raw.data();
      ++out.converted[e.file == FileDType::F16 ? "F16" : e.file == FileDType::BF16 ? "BF16" : "F64"];
    }
    if (e.end > e.begin)
      BASIN_CHECK(f.read_at(dst, e.end - e.begin, data_start + e.begin),
                  "load_safetensors(" << path << "): tensor " << e.name << ": read failed");
    if (e.file != FileDType::Same) convert_to_float(e.file, raw.data(), t.numel(), t.data<float>());
    t.set_name(e.name);
    out.tensors.emplace_back(e.name, t);
  }
  return out;
}

std::string SafetensorsFile::conversion_note(const std::string& path) const {
  if (converted.empty()) return "";
  std::ostringstream os;
  os << "note: " << path << ": ";
  bool first = true;
  for (const auto& [dt, n] : converted) {
    os << (first ? "" : ", ") << n << " " << dt << " tensor" << (n == 1 ? "" : "s");
    first = false;
  }
  const bool rounded = converted.count("F64") > 0;
  os << " read as float32 (" << (rounded ? "F64 rounded to nearest" : "exact") << ")";
  return os.str();
}

}  // namespace basin::nn
