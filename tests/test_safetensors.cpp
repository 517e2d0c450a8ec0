// safetensors: round trip of every supported dtype, atomic write, and
// validation of hostile files (every error names the file and tensor).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>

#include "nn/layers.h"
#include "nn/safetensors.h"
#include "nn/weights.h"

using namespace basin;
using namespace basin::nn;

namespace {
std::string tmp_path(const std::string& name) { return std::string(BASIN_BINARY_DIR) + "/st_" + name + ".safetensors"; }

void write_raw(const std::string& path, const std::string& header, const std::string& data) {
  std::ofstream f(path, std::ios::binary);
  std::uint64_t n = header.size();
  f.write(reinterpret_cast<const char*>(&n), 8);
  f << header << data;
}

std::string load_error(const std::string& path) {
  try {
    load_safetensors(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Safetensors, RoundTripAllDtypesAndMetadata) {
  std::string p = tmp_path("roundtrip");
  Tensor f32 = Tensor::from_vector(std::vector<float>{1.5f, -2.f, 3.25f, 0.f, 1e-30f, -7.f}, {2, 3});
  Tensor i64 = Tensor::from_vector(std::vector<std::int64_t>{-1, 1ll << 40}, {2});
  Tensor i32 = Tensor::from_vector(std::vector<std::int32_t>{7}, {1});
  Tensor u8 = Tensor::from_vector(std::vector<std::uint8_t>{0, 255, 3}, {3});
  Tensor scalar = Tensor::full({}, 42.0, DType::Int64);
  Tensor strided = f32.t();  // non-contiguous view is written in logical order
  save_safetensors(p, {{"f", f32}, {"i64", i64}, {"i32", i32}, {"u8", u8}, {"s", scalar}, {"ft", strided}},
                   {{"epoch", "3"}});
  SafetensorsFile f = load_safetensors(p);
  EXPECT_EQ(f.metadata.at("epoch"), "3");
  EXPECT_EQ(f.get("f").to_vector(), f32.to_vector());
  EXPECT_EQ(f.get("i64").to_int_vector(), i64.to_int_vector());
  EXPECT_EQ(f.get("i32").to_int_vector(), std::vector<std::int64_t>{7});
  EXPECT_EQ(f.get("u8").dtype(), DType::UInt8);
  EXPECT_EQ(f.get("u8").to_int_vector(), (std::vector<std::int64_t>{0, 255, 3}));
  EXPECT_EQ(f.get("s").shape(), Shape{});
  EXPECT_EQ(f.get("ft").shape(), (Shape{3, 2}));
  EXPECT_EQ(f.get("ft").to_vector(), strided.to_vector());
  EXPECT_THROW(f.get("nope"), Error);
  // The data section starts 8-byte aligned.
  std::ifstream in(p, std::ios::binary);
  std::uint64_t n = 0;
  in.read(reinterpret_cast<char*>(&n), 8);
  EXPECT_EQ(n % 8, 0u);
  std::remove(p.c_str());
}

TEST(Safetensors, RejectsBadInputNamingFileAndTensor) {
  std::string p = tmp_path("bad");
  write_raw(p, "", "");
  EXPECT_NE(load_error(p).find("JSON"), std::string::npos);
  {
    std::ofstream f(p, std::ios::binary);
    f << "abc";
  }
  EXPECT_NE(load_error(p).find("too short"), std::string::npos);
  {
    std::ofstream f(p, std::ios::binary);
    std::uint64_t n = 1000;
    f.write(reinterpret_cast<const char*>(&n), 8);
    f << "{}";
  }
  EXPECT_NE(load_error(p).find("exceeds"), std::string::npos);
  auto expect = [&](const std::string& header, const std::string& data, const std::string& needle) {
    write_raw(p, header, data);
    std::string e = load_error(p);
    EXPECT_NE(e.find(needle), std::string::npos) << header << " -> " << e;
    EXPECT_NE(e.find(p), std::string::npos) << e;
  };
  std::string eight(8, '\0');
  expect(R"({"w":{"dtype":"I16","shape":[4],"data_offsets":[0,8]}})", eight, "unsupported dtype");
  expect(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", eight, "needs 12");
  expect(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", eight, "outside");
  expect(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", eight, "negative");
  expect(R"({"w":{"dtype":"F32","shape":[2]}})", eight, "data_offsets");
  expect(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
         eight, "overlap");
  expect(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}, "__metadata__": {"k": 3}})", eight, "metadata");
  EXPECT_NE(load_error(tmp_path("does_not_exist")).find("cannot open"), std::string::npos);
  std::remove(p.c_str());
}

TEST(Safetensors, AtomicWriteReplacesAndLeavesNoTemp) {
  std::string p = tmp_path("atomic");
  save_safetensors(p, {{"a", Tensor::ones({3})}});
  save_safetensors(p, {{"b", Tensor::zeros({2})}});
  SafetensorsFile f = load_safetensors(p);
  EXPECT_FALSE(f.has("a"));
  EXPECT_TRUE(f.has("b"));
  // A failing save (unsupported dtype) leaves the old file intact.
  EXPECT_THROW(save_safetensors(p, {{"h", Tensor::zeros({2}, DType::Float16)}}), Error);
  EXPECT_THROW(save_safetensors(p, {{"x", Tensor::ones({1})}, {"x", Tensor::ones({1})}}), Error);
  EXPECT_TRUE(load_safetensors(p).has("b"));
  std::ifstream tmp(p + ".tmp." + std::to_string(::getpid()));
  EXPECT_FALSE(tmp.good());
  EXPECT_THROW(save_safetensors("/nonexistent_dir/x.safetensors", {{"a", Tensor::ones({1})}}), Error);
  std::remove(p.c_str());
}

TEST(Safetensors, WeightsRoundTripIntoModel) {
  std::string p = tmp_path("weights");
  InitRng r1(1), r2(2);
  Linear a(4, 3, true, r1), b(4, 3, true, r2);
  save_weights(a, p);
  auto rep = load_weights(b, p);
  EXPECT_EQ(rep.loaded.size(), 2u);
  EXPECT_EQ(b.weight().to_vector(), a.weight().to_vector());
  InitRng r3(3);
  Linear c(4, 5, true, r3);
  try {
    load_weights(c, p);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(p), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("weight"), std::string::npos);
  }
  std::remove(p.c_str());
}
