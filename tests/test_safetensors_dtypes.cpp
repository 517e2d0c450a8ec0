// Weights from the ecosystem: F16, BF16 and F64 safetensors tensors read into
// float32 (checked bit for bit against hand-computed values), float32 saved as
// F16/BF16 with round-to-nearest-even (checked against the two neighbouring
// representable values), and BatchNorm files without num_batches_tracked.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>

#include "cli_test_util.h"
#include "nn/half_float.h"
#include "nn/layers.h"
#include "nn/safetensors.h"
#include "nn/weights.h"

using namespace basin;
using namespace basin::nn;

namespace {

std::uint32_t bits(float f) { return float_bits(f); }

// A safetensors file holding one tensor `name` of `dtype` with these raw bytes.
void write_one(const std::string& path, const std::string& name, const std::string& dtype, std::size_t n,
               const std::string& raw) {
  std::string json = R"({")" + name + R"(":{"dtype":")" + dtype + R"(","shape":[)" + std::to_string(n) +
                     R"(],"data_offsets":[0,)" + std::to_string(raw.size()) + "]}}";
  std::ofstream f(path, std::ios::binary);
  std::uint64_t hlen = json.size();
  f.write(reinterpret_cast<const char*>(&hlen), 8);
  f << json << raw;
}

template <typename T>
std::string raw_of(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

// The file's header JSON (to see which dtype save_safetensors wrote).
std::string header_of(const std::string& path) {
  std::string all = basin::testing::slurp(path);
  std::uint64_t hlen = 0;
  std::memcpy(&hlen, all.data(), 8);
  return all.substr(8, hlen);
}

}  // namespace

TEST(SafetensorsDtypes, F16ReadsExactlyIncludingSubnormalsInfNan) {
  basin::testing::ScratchDir dir("st_f16");
  const std::string p = dir.path() + "/h.safetensors";
  // Expected float32 bit patterns, worked out by hand from the F16 fields.
  const std::vector<std::pair<std::uint16_t, std::uint32_t>> cases = {
      {0x3C00, 0x3F800000u},  // 1.0
      {0xC000, 0xC0000000u},  // -2.0
      {0x3555, 0x3EAAA000u},  // 0.333251953125 = 0x555 * 2^-12
      {0x7BFF, 0x477FE000u},  // 65504, the largest F16
      {0x0400, 0x38800000u},  // 2^-14, the smallest normal
      {0x0001, 0x33800000u},  // 2^-24, the smallest subnormal
      {0x03FF, 0x387FC000u},  // 1023 * 2^-24, the largest subnormal
      {0x8001, 0xB3800000u},  // -2^-24
      {0x0000, 0x00000000u},  // +0
      {0x8000, 0x80000000u},  // -0
      {0x7C00, 0x7F800000u},  // +inf
      {0xFC00, 0xFF800000u},  // -inf
      {0x7E00, 0x7FC00000u},  // quiet NaN
  };
  std::vector<std::uint16_t> h;
  for (auto& c : cases) h.push_back(c.first);
  write_one(p, "w", "F16", h.size(), raw_of(h));
  SafetensorsFile f = load_safetensors(p);
  const Tensor& t = f.get("w");
  ASSERT_EQ(t.dtype(), DType::Float32);
  ASSERT_EQ(t.numel(), static_cast<std::int64_t>(cases.size()));
  const float* v = t.data<float>();
  for (size_t i = 0; i < cases.size(); ++i)
    EXPECT_EQ(bits(v[i]), cases[i].second) << "F16 0x" << std::hex << cases[i].first;
  EXPECT_TRUE(std::isnan(v[cases.size() - 1]));
  EXPECT_EQ(f.converted.at("F16"), 1);
  EXPECT_EQ(f.conversion_note(p), "note: " + p + ": 1 F16 tensor read as float32 (exact)");
}

TEST(SafetensorsDtypes, BF16AndF64ReadIntoFloat32) {
  basin::testing::ScratchDir dir("st_bf16");
  const std::string p = dir.path() + "/b.safetensors";
  // BF16 is the top half of a float32: 0x3F80 -> 0x3F800000 (1.0), etc.
  std::vector<std::uint16_t> b = {0x3F80, 0xC0A0, 0x4049, 0x0001, 0x7F80, 0xFF80, 0x7FC0, 0x8000};
  std::vector<double> d = {0.1, 1e40, -1e40, 1.0 + std::ldexp(1.0, -24), 1.0 + 3 * std::ldexp(1.0, -24),
                           std::ldexp(1.0, -149), 1e-50, std::numeric_limits<double>::quiet_NaN()};
  std::string rb = raw_of(b), rd = raw_of(d);
  std::string json = R"({"b":{"dtype":"BF16","shape":[8],"data_offsets":[0,16]},)"
                     R"("d":{"dtype":"F64","shape":[2,4],"data_offsets":[16,80]},)"
                     R"("n":{"dtype":"I64","shape":[1],"data_offsets":[80,88]}})";
  std::int64_t seven = 7;
  {
    std::ofstream f(p, std::ios::binary);
    std::uint64_t hlen = json.size();
    f.write(reinterpret_cast<const char*>(&hlen), 8);
    f << json << rb << rd << std::string(reinterpret_cast<const char*>(&seven), 8);
  }
  SafetensorsFile f = load_safetensors(p);
  const float* vb = f.get("b").data<float>();
  const std::vector<std::uint32_t> want_b = {0x3F800000u, 0xC0A00000u, 0x40490000u, 0x00010000u,
                                             0x7F800000u, 0xFF800000u, 0x7FC00000u, 0x80000000u};
  for (size_t i = 0; i < want_b.size(); ++i) EXPECT_EQ(bits(vb[i]), want_b[i]) << i;
  EXPECT_EQ(vb[0], 1.0f);
  EXPECT_EQ(vb[1], -5.0f);
  EXPECT_EQ(vb[2], 3.140625f);
  const Tensor& td = f.get("d");
  EXPECT_EQ(td.shape(), (Shape{2, 4}));
  const float* vd = td.data<float>();
  EXPECT_EQ(bits(vd[0]), 0x3DCCCCCDu);               // 0.1 to nearest float
  EXPECT_EQ(bits(vd[1]), 0x7F800000u);               // beyond FLT_MAX: inf
  EXPECT_EQ(bits(vd[2]), 0xFF800000u);
  EXPECT_EQ(vd[3], 1.0f);                            // tie -> even (1.0)
  EXPECT_EQ(vd[4], 1.0f + std::ldexp(1.0f, -22));    // tie -> even (mantissa ...10)
  EXPECT_EQ(bits(vd[5]), 0x00000001u);               // smallest float subnormal
  EXPECT_EQ(bits(vd[6]), 0x00000000u);               // underflows to 0
  EXPECT_TRUE(std::isnan(vd[7]));
  EXPECT_EQ(f.get("n").dtype(), DType::Int64);       // integers stay integers
  EXPECT_EQ(f.get("n").to_int_vector()[0], 7);
  EXPECT_EQ(f.converted.size(), 2u);
  EXPECT_EQ(f.conversion_note(p), "note: " + p + ": 1 BF16 tensor, 1 F64 tensor read as float32 (F64 rounded to nearest)");
  // A wrong byte count for the file's dtype is still an error naming it.
  write_one(p, "w", "F16", 3, std::string(4, '\0'));
  try {
    load_safetensors(p);
    ADD_FAILURE() << "3 x F16 in 4 bytes loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("F16 needs 6"), std::string::npos) << e.what();
  }
}

TEST(SafetensorsDtypes, EveryF16AndBF16ValueRoundTripsThroughFloat32) {
  for (std::uint32_t h = 0; h < 0x10000u; ++h) {
    const auto x = static_cast<std::uint16_t>(h);
    const float f = f16_to_float(x), g = bf16_to_float(x);
    if (std::isnan(f)) EXPECT_TRUE(std::isnan(f16_to_float(float_to_f16(f))));
    else ASSERT_EQ(float_to_f16(f), x) << std::hex << h;
    if (std::isnan(g)) EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(g))));
    else ASSERT_EQ(float_to_bf16(g), x) << std::hex << h;
  }
}

// float -> F16/BF16 picks the nearer neighbour, the even one on a tie: checked
// against the representable values on both sides (exact in double).
TEST(SafetensorsDtypes, NarrowingRoundsToNearestEven) {
  std::mt19937 rng(5);
  auto check = [](float x, std::uint16_t h, float (*widen)(std::uint16_t)) {
    const double err = std::fabs(static_cast<double>(widen(h)) - x);
    for (int step : {-1, 1}) {
      const auto n = static_cast<std::uint16_t>(h + step);
      const float w = widen(n);
      if (std::isnan(w) || ((n ^ h) & 0x8000u)) continue;  // past inf or across the sign
      const double e2 = std::fabs(static_cast<double>(w) - x);
      ASSERT_LE(err, e2) << x << " -> 0x" << std::hex << h;
      if (err == e2) {
        ASSERT_EQ(h & 1u, 0u) << "tie not to even: " << x;
      }
    }
  };
  for (int i = 0; i < 200000; ++i) {
    const float x = bits_float(rng());
    if (!std::isfinite(x)) continue;
    if (std::fabs(x) < 65504.0f) check(x, float_to_f16(x), f16_to_float);
    if (std::fabs(x) < 3.3e38f) check(x, float_to_bf16(x), bf16_to_float);
  }
  // Hand-picked ties and edges.
  EXPECT_EQ(float_to_bf16(1.0f + std::ldexp(1.0f, -8)), 0x3F80);      // tie -> even
  EXPECT_EQ(float_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3F82);  // tie -> even (up)
  EXPECT_EQ(float_to_f16(1.0f + std::ldexp(1.0f, -11)), 0x3C00);
  EXPECT_EQ(float_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
  EXPECT_EQ(float_to_f16(65519.0f), 0x7BFF);
  EXPECT_EQ(float_to_f16(65520.0f), 0x7C00);                          // tie at the top -> inf
  EXPECT_EQ(float_to_f16(std::ldexp(1.0f, -25)), 0x0000);             // half the smallest subnormal: tie -> 0
  EXPECT_EQ(float_to_f16(1.5f * std::ldexp(1.0f, -25)), 0x0001);
  EXPECT_EQ(float_to_f16(-std::ldexp(1.0f, -24)), 0x8001);
  EXPECT_EQ(float_to_f16(std::ldexp(1023.5f, -24)), 0x0400);          // rounds up into the normals
  EXPECT_EQ(float_to_bf16(std::numeric_limits<float>::max()), 0x7F80);
  EXPECT_EQ(float_to_f16(-std::numeric_limits<float>::infinity()), 0xFC00);
}

TEST(SafetensorsDtypes, SavesFloatsAsF16OrBF16OnRequest) {
  basin::testing::ScratchDir dir("st_save_half");
  const std::string p = dir.path() + "/w.safetensors";
  const std::vector<float> vals = {1.0f, 1.0f + 3 * std::ldexp(1.0f, -8), -0.0f, 70000.0f, 0.1f};
  NamedTensors ts = {{"w", Tensor::from_vector(vals, {5})},
                     {"n", Tensor::from_vector(std::vector<std::int64_t>{3}, {})}};
  save_safetensors(p, ts, {{"k", "v"}}, DType::BFloat16);
  EXPECT_NE(header_of(p).find(R"("w":{"dtype":"BF16","shape":[5],"data_offsets":[0,10]})"), std::string::npos)
      << header_of(p);
  EXPECT_NE(header_of(p).find(R"("n":{"dtype":"I64")"), std::string::npos);
  SafetensorsFile b = load_safetensors(p);
  EXPECT_EQ(b.metadata.at("k"), "v");
  std::vector<float> got = b.get("w").to_vector();
  for (size_t i = 0; i < vals.size(); ++i) EXPECT_EQ(bits(got[i]), bits(bf16_to_float(float_to_bf16(vals[i])))) << i;
  EXPECT_EQ(got[1], 1.0f + std::ldexp(1.0f, -6));
  EXPECT_EQ(b.get("n").to_int_vector()[0], 3);

  save_safetensors(p, ts, {}, DType::Float16);
  EXPECT_NE(header_of(p).find(R"("dtype":"F16")"), std::string::npos);
  got = load_safetensors(p).get("w").to_vector();
  EXPECT_EQ(got[0], 1.0f);
  EXPECT_EQ(got[3], std::numeric_limits<float>::infinity());  // beyond F16's range
  EXPECT_EQ(bits(got[4]), bits(f16_to_float(0x2E66)));        // 0.1 -> 0x2E66 (0.0999755859375)
  EXPECT_THROW(save_safetensors(p, ts, {}, DType::Int32), Error);
}

TEST(SafetensorsDtypes, BatchNormLoadsStrictlyWithoutNumBatchesTracked) {
  basin::testing::ScratchDir dir("st_nbt");
  const std::string p = dir.path() + "/bn.safetensors";
  auto make = [] {
    auto m = std::make_shared<Sequential>();
    InitRng rng(3);
    m->push_back(std::make_shared<Conv2d>(1, 2, 3, 1, 1, false, rng));
    m->push_back(std::make_shared<BatchNorm2d>(2));
    return m;
  };
  auto src = make();
  NamedTensors sd;
  for (auto& [name, t] : src->state_dict()) {
    if (name == "1.num_batches_tracked") continue;  // as many converted files are
    Tensor c = t.contiguous();
    if (name == "1.running_mean") c = Tensor::from_vector(std::vector<float>{0.5f, -0.25f}, {2});
    sd.emplace_back(name, c);
  }
  save_safetensors(p, sd);

  auto dst = make();
  auto bn = std::dynamic_pointer_cast<BatchNorm2d>(dst->child("1"));
  ASSERT_TRUE(bn);
  Tensor(bn->num_batches_tracked()).fill_(4);
  LoadReport rep = load_weights(*dst, p);  // strict (the default)
  EXPECT_TRUE(rep.missing.empty());
  EXPECT_EQ(rep.kept, std::vector<std::string>{"1.num_batches_tracked"});
  EXPECT_EQ(rep.loaded.size(), 5u);  // conv weight; bn weight, bias, running_mean, running_var
  EXPECT_EQ(bn->running_mean().to_vector(), (std::vector<float>{0.5f, -0.25f}));
  EXPECT_EQ(bn->num_batches_tracked().to_int_vector()[0], 4);  // kept, as PyTorch does

  // Only that buffer is optional: a file without running_var still fails strictly.
  NamedTensors no_var;
  for (auto& [n, t] : sd)
    if (n != "1.running_var") no_var.emplace_back(n, t);
  EXPECT_THROW(dst->load_state_dict(no_var), Error);
  EXPECT_EQ(dst->load_state_dict(no_var, LoadOptions::non_strict()).missing,
            std::vector<std::string>{"1.running_var"});
}

TEST(SafetensorsDtypes, ConvertCommandWritesBF16AndReadsItBack) {
  basin::testing::ScratchDir dir("st_convert");
  const std::string in = dir.path() + "/w.safetensors", half = dir.path() + "/w16.safetensors",
                    back = dir.path() + "/w32.safetensors";
  NamedTensors ts = {{"fc.weight", Tensor::from_vector(std::vector<float>{1.0f, 0.1f, -3.0f, 2.5f}, {2, 2})},
                     {"bn.num_batches_tracked", Tensor::from_vector(std::vector<std::int64_t>{9}, {})}};
  save_safetensors(in, ts, {{"classes", "a,b"}});
  auto r = basin::testing::run_basin("convert " + in + " " + half + " --dtype bf16", dir.path());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("2 tensors, 1 float ones as BF16"), std::string::npos) << r.out;
  EXPECT_NE(header_of(half).find(R"("fc.weight":{"dtype":"BF16")"), std::string::npos) << header_of(half);
  r = basin::testing::run_basin("convert " + half + " " + back + " --dtype f32", dir.path());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("1 BF16 tensor read as float32 (exact)"), std::string::npos) << r.err;
  SafetensorsFile f = load_safetensors(back);
  EXPECT_EQ(f.metadata.at("classes"), "a,b");
  EXPECT_EQ(f.get("fc.weight").to_vector(), (std::vector<float>{1.0f, bf16_to_float(0x3DCD), -3.0f, 2.5f}));
  EXPECT_EQ(f.get("bn.num_batches_tracked").to_int_vector()[0], 9);
  r = basin::testing::run_basin("convert " + in + " " + back + " --dtype f8", dir.path());
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("--dtype must be f32, f16 or bf16"), std::string::npos) << r.err;
}
