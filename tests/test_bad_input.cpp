// Bad input through the real API: every case is a basin::Error whose message
// names the file (and the tensor, dimension or folder at fault) -- no crash, no
// silent wrong answer, nothing overwritten. docs/errors.md lists each case with
// the message observed here (each test prints it as "[message] ...").
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <map>

#include "data/dataset.h"
#include "data/idx.h"
#include "data/image_codec.h"
#include "data/image_folder.h"
#include "data/open_dataset.h"
#include "data_test_util.h"
#include "nn/models/factory.h"
#include "nn/module.h"
#include "nn/safetensors.h"
#include "nn/weights.h"
#include "tensor/tensor.h"
#include "error_test_util.h"

namespace fs = std::filesystem;
using basin::Error;
using basin::data::testing::read_bytes;
using basin::data::testing::TempDir;
using basin::data::testing::write_bytes;

using basin::testing::expect_error;

namespace {

std::string source_file(const std::string& rel) { return std::string(BASIN_SOURCE_DIR) + "/" + rel; }

basin::nn::ModelOptions mlp_options(std::vector<std::int64_t> hidden) {
  basin::nn::ModelOptions o;
  o.num_classes = 10;
  o.in_channels = 1;
  o.input_features = 1 * 8 * 8;
  o.hidden = std::move(hidden);
  return o;
}

// A safetensors file: 8-byte little-endian header length, JSON, data.
std::vector<std::uint8_t> safetensors_bytes(const std::string& json, std::size_t data_bytes, std::uint64_t hlen = 0) {
  if (hlen == 0) hlen = json.size();
  std::vector<std::uint8_t> b;
  b.reserve(8 + json.size() + data_bytes);
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(hlen >> (8 * i)));
  for (char c : json) b.push_back(static_cast<std::uint8_t>(c));
  b.resize(b.size() + data_bytes, 0);
  return b;
}

std::vector<std::uint8_t> idx_bytes(std::uint8_t type, std::vector<std::uint32_t> dims, std::size_t data_bytes) {
  std::vector<std::uint8_t> b = {0, 0, type, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(d >> s));
  b.resize(b.size() + data_bytes, 7);
  return b;
}

std::vector<std::uint8_t> small_png(int h, int w, int c) {
  std::vector<std::uint8_t> px(static_cast<std::size_t>(h) * w * c);
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint8_t>(i * 37);
  return basin::data::encode_png(basin::data::Image::hwc_u8(h, w, c, px));
}

}  // namespace

// ---- weights files -----------------------------------------------------------------

TEST(BadInputWeights, FileOfAnotherModelNamesMissingAndUnexpectedTensors) {
  TempDir dir;
  auto mlp = basin::nn::make_model("mlp", mlp_options({16}));
  basin::nn::save_weights(*mlp, dir / "mlp.safetensors");
  basin::nn::ModelOptions ro;
  ro.num_classes = 10;
  ro.in_channels = 1;
  ro.cifar_stem = true;
  auto resnet = basin::nn::make_model("resnet18", ro);
  const auto before = resnet->state_dict();
  const float first = before[0].second.contiguous().data<float>()[0];
  expect_error([&] { basin::nn::load_weights(*resnet, dir / "mlp.safetensors"); },
               {"mlp.safetensors", "conv1.weight"});
  // Nothing was half-loaded: the model's first parameter is unchanged.
  EXPECT_EQ(resnet->state_dict()[0].second.contiguous().data<float>()[0], first);
}

TEST(BadInputWeights, WrongShapesNameTheTensorAndBothShapes) {
  TempDir dir;
  auto small = basin::nn::make_model("mlp", mlp_options({16}));
  basin::nn::save_weights(*small, dir / "w.safetensors");
  auto wide = basin::nn::make_model("mlp", mlp_options({32}));
  expect_error([&] { basin::nn::load_weights(*wide, dir / "w.safetensors"); }, {"w.safetensors", "[32, 64]", "[16, 64]"});
  // Non-strict loading does not excuse a wrong shape either (as in PyTorch).
  expect_error([&] { basin::nn::load_weights(*wide, dir / "w.safetensors", basin::nn::LoadOptions::non_strict()); },
               {"w.safetensors", "[16, 64]"});
}

TEST(BadInputWeights, UnsupportedDtypeNamesTheTensorAndDtype) {
  TempDir dir;
  for (const char* dt : {"F8_E4M3", "I16", "U16", "Q4"}) {  // F16/BF16/F64 are read (test_safetensors_dtypes)
    const std::string json = std::string(R"({"fc.weight":{"dtype":")") + dt +
                             R"(","shape":[2],"data_offsets":[0,16]}})";
    write_bytes(dir / "w.safetensors", safetensors_bytes(json, 16));
    expect_error([&] { basin::nn::load_safetensors(dir / "w.safetensors"); }, {"w.safetensors", "fc.weight", dt});
  }
}

TEST(BadInputWeights, WrongDtypeForAParameterIsAnErrorNotAConversion) {
  TempDir dir;
  auto mlp = basin::nn::make_model("mlp", mlp_options({16}));
  basin::nn::NamedTensors state = mlp->state_dict();
  const float before = state[0].second.contiguous().data<float>()[0];
  basin::nn::NamedTensors as_int;
  for (const auto& [name, t] : state)
    as_int.emplace_back(name, name == "layers.0.weight" ? basin::Tensor::zeros(t.shape(), basin::DType::Int32) : t);
  basin::nn::save_safetensors(dir / "w.safetensors", as_int);
  expect_error([&] { basin::nn::load_weights(*mlp, dir / "w.safetensors"); },
               {"w.safetensors", "layers.0.weight", "int32", "float32"});
  EXPECT_EQ(mlp->state_dict()[0].second.contiguous().data<float>()[0], before);
}

TEST(BadInputWeights, DataOffsetsThatDisagreeWithShapeAndDtype) {
  TempDir dir;
  // 2x3 float32 needs 24 bytes; the offsets give 20.
  write_bytes(dir / "w.safetensors",
              safetensors_bytes(R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}})", 24));
  expect_error([&] { basin::nn::load_safetensors(dir / "w.safetensors"); }, {"w.safetensors", "w"});
  // Offsets past the end of the file.
  write_bytes(dir / "w.safetensors",
              safetensors_bytes(R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}})", 8));
  expect_error([&] { basin::nn::load_safetensors(dir / "w.safetensors"); }, {"w.safetensors", "w"});
  // A shape whose element count overflows.
  write_bytes(dir / "w.safetensors",
              safetensors_bytes(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,8]}})", 8));
  expect_error([&] { basin::nn::load_safetensors(dir / "w.safetensors"); }, {"w.safetensors"});
}

TEST(BadInputWeights, TruncatedHeader) {
  TempDir dir;
  auto mlp = basin::nn::make_model("mlp", mlp_options({16}));
  basin::nn::save_weights(*mlp, dir / "full.safetensors");
  const auto full = read_bytes(dir / "full.safetensors");
  // Shorter than the 8-byte length field.
  write_bytes(dir / "w.safetensors", std::vector<std::uint8_t>(full.begin(), full.begin() + 5));
  expect_error([&] { basin::nn::load_safetensors(dir / "w.safetensors"); }, {"w.safetensors"});
  // Cut inside the JSON header (what an interrupted copy leaves).
  write_bytes(dir / "w.safetensors", std::vector<std::uint8_t>(full.begin(), full.begin() + 40));
  expect_error([&] { basin::nn::load_safetensors(dir / "w.safetensors"); }, {"w.safetensors"});
  // Cut inside the tensor data.
  write_bytes(dir / "w.safetensors", std::vector<std::uint8_t>(full.begin(), full.end() - 10));
  expect_error([&] { basin::nn::load_weights(*mlp, dir / "w.safetensors"); }, {"w.safetensors"});
  // A header that is not JSON at all.
  write_bytes(dir / "w.safetensors", safetensors_bytes("{\"w\": [1, 2", 0));
  expect_error([&] { basin::nn::load_safetensors(dir / "w.safetensors"); }, {"w.safetensors", "JSON"});
  // Zero bytes.
  write_bytes(dir / "w.safetensors", {});
  expect_error([&] { basin::nn::load_safetensors(dir / "w.safetensors"); }, {"w.safetensors"});
}

TEST(BadInputWeights, HeaderLengthPastEndOfFile) {
  TempDir dir;
  const std::string json = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  for (std::uint64_t hlen : {std::uint64_t{json.size() + 100}, std::uint64_t{1} << 40, ~std::uint64_t{0}}) {
    write_bytes(dir / "w.safetensors", safetensors_bytes(json, 4, hlen));
    expect_error([&] { basin::nn::load_safetensors(dir / "w.safetensors"); }, {"w.safetensors"});
  }
}

TEST(BadInputWeights, MissingFileNamesThePath) {
  TempDir dir;
  auto mlp = basin::nn::make_model("mlp", mlp_options({16}));
  expect_error([&] { basin::nn::load_weights(*mlp, dir / "nope.safetensors"); }, {"nope.safetensors"});
}

// ---- IDX files ---------------------------------------------------------------------

TEST(BadInputIdx, WrongMagic) {
  TempDir dir;
  auto b = idx_bytes(0x08, {2, 2}, 4);
  b[0] = 0x1F;  // e.g. a gzip file renamed without .gz is fine; this is neither
  b[1] = 0x00;
  write_bytes(dir / "x.idx", b);
  expect_error([&] { basin::data::read_idx(dir / "x.idx"); }, {"x.idx", "magic"});
  write_bytes(dir / "x.idx", idx_bytes(0x0D, {2, 2}, 16));  // float elements: unsupported
  expect_error([&] { basin::data::read_idx(dir / "x.idx"); }, {"x.idx", "0xd"});
  write_bytes(dir / "x.idx", idx_bytes(0x08, {1, 1, 1, 1, 1, 1}, 1));  // 6 dimensions
  expect_error([&] { basin::data::read_idx(dir / "x.idx"); }, {"x.idx", "6 dimensions"});
  write_bytes(dir / "x.idx", {0, 0});
  expect_error([&] { basin::data::read_idx(dir / "x.idx"); }, {"x.idx"});
}

TEST(BadInputIdx, WrongSizes) {
  TempDir dir;
  write_bytes(dir / "x.idx", idx_bytes(0x08, {10, 28, 28}, 100));  // truncated data
  expect_error([&] { basin::data::read_idx(dir / "x.idx"); }, {"x.idx", "truncated"});
  write_bytes(dir / "x.idx", idx_bytes(0x08, {2, 2}, 9));  // trailing bytes
  expect_error([&] { basin::data::read_idx(dir / "x.idx"); }, {"x.idx"});
  auto b = idx_bytes(0x08, {2, 2, 2}, 0);  // header cut inside the dims
  b.resize(9);
  write_bytes(dir / "x.idx", b);
  expect_error([&] { basin::data::read_idx(dir / "x.idx"); }, {"x.idx", "truncated header"});
  write_bytes(dir / "x.idx", idx_bytes(0x08, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}, 16));  // absurd dims
  expect_error([&] { basin::data::read_idx(dir / "x.idx"); }, {"x.idx"});
  write_bytes(dir / "x.idx.gz", {0x1F, 0x8B, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9});  // corrupt gzip
  expect_error([&] { basin::data::read_idx(dir / "x.idx.gz"); }, {"x.idx.gz"});
}

// ---- images ------------------------------------------------------------------------

TEST(BadInputImage, ZeroByteCorruptAndTruncated) {
  using basin::data::CorruptSampleError;
  using basin::data::decode_image;
  expect_error<CorruptSampleError>([] { decode_image(nullptr, 0, 3, "empty.png"); }, {"empty.png", "empty"});
  std::vector<std::uint8_t> junk(300);
  for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<std::uint8_t>(i * 131 + 7);
  expect_error<CorruptSampleError>([&] { decode_image(junk.data(), junk.size(), 3, "junk.jpg"); }, {"junk.jpg"});
  junk[0] = 0xFF;  // a JPEG SOI followed by garbage
  junk[1] = 0xD8;
  expect_error<CorruptSampleError>([&] { decode_image(junk.data(), junk.size(), 3, "junk.jpg"); },
                                   {"junk.jpg", "corrupt"});
  const auto png = small_png(6, 5, 3);
  expect_error<CorruptSampleError>([&] { decode_image(png.data(), png.size() / 2, 3, "half.png"); }, {"half.png"});
  const auto jpg = read_bytes(source_file("fuzz/corpus/image/rgb.jpg"));
  ASSERT_GT(jpg.size(), 100u);
  expect_error<CorruptSampleError>([&] { decode_image(jpg.data(), jpg.size() / 3, 3, "third.jpg"); }, {"third.jpg"});
}

TEST(BadInputImage, HostileHeadersAreRejectedBeforeStbImage) {
  // The committed regression inputs (also replayed by scripts/fuzz.sh): DHT
  // segments with 257 and 300 codes (stb_image 2.27 writes past its 257-entry
  // table on those), a bad class/id, a segment shorter than its counts, a
  // segment or chunk past the end, a PGM whose width overflows stb's int parser
  // and a 16-bit PGM that stb reads past its buffer, and a 257-code DHT in a
  // JPEG whose SOI follows 0xFF fill bytes (the last three found by fuzz_image).
  for (const char* f : {"jpeg_dht_300_codes.jpg", "jpeg_dht_257_codes.jpg", "jpeg_dht_bad_class.jpg",
                        "jpeg_dht_short_segment.jpg", "jpeg_segment_past_end.jpg", "png_chunk_past_end.png", "pnm_width_int_overflow.pgm",
                        "pgm_16bit_to_rgb_overread.pgm", "jpeg_fill_bytes_before_soi_dht_overflow.jpg"}) {
    const auto b = read_bytes(source_file(std::string("fuzz/regressions/image/") + f));
    ASSERT_FALSE(b.empty()) << f;
    expect_error<basin::data::CorruptSampleError>([&] { basin::data::decode_image(b.data(), b.size(), 3, f); },
                                                  {f, "corrupt"});
  }
}

TEST(BadInputImage, Huge30000x30000HeaderIsRejectedWithoutAllocating) {
  for (const char* f : {"jpeg_30000x30000.jpg", "png_30000x30000.png"}) {
    const auto b = read_bytes(source_file(std::string("fuzz/regressions/image/") + f));
    ASSERT_FALSE(b.empty()) << f;
    expect_error<basin::data::CorruptSampleError>([&] { basin::data::decode_image(b.data(), b.size(), 3, "huge"); },
                                                  {"huge", "implausible size 30000x30000"});
  }
}

TEST(BadInputImage, SixteenBitPngDecodesToItsHighByte) {
  // 16-bit PNGs are valid input, not an error: stb_image keeps the high byte.
  // gray16.png holds (x * 3000 + y * 700) mod 65536 at (x, y), 4x4.
  const auto b = read_bytes(source_file("fuzz/corpus/image/gray16.png"));
  ASSERT_FALSE(b.empty());
  const auto img = basin::data::decode_image(b.data(), b.size(), 1, "gray16.png");
  ASSERT_EQ(img.height, 4);
  ASSERT_EQ(img.width, 4);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) EXPECT_EQ(img.u8[y * 4 + x], ((x * 3000 + y * 700) % 65536) >> 8) << x << "," << y;
}

TEST(BadInputImage, CmykJpegDecodesToRgb) {
  // CMYK JPEGs (Adobe, inverted as Photoshop writes them) are converted, not
  // rejected: cmyk_red.jpg is 8x8 of C=0 M=255 Y=255 K=0, i.e. red.
  const auto b = read_bytes(source_file("fuzz/corpus/image/cmyk_red.jpg"));
  ASSERT_FALSE(b.empty());
  const auto img = basin::data::decode_image(b.data(), b.size(), 3, "cmyk_red.jpg");
  ASSERT_EQ(img.height, 8);
  ASSERT_EQ(img.width, 8);
  ASSERT_EQ(img.channels, 3);
  for (int i = 0; i < 64; ++i) {
    EXPECT_GE(img.u8[i * 3 + 0], 245) << i;
    EXPECT_LE(img.u8[i * 3 + 1], 10) << i;
    EXPECT_LE(img.u8[i * 3 + 2], 10) << i;
  }
}

// ---- data folders --------------------------------------------------------------------

TEST(BadInputFolder, MissingAndEmptyDataFolder) {
  TempDir dir;
  expect_error([&] { basin::data::ImageFolderDataset ds(dir / "missing"); }, {"missing"});
  expect_error([&] { basin::data::open_dataset(dir / "missing"); }, {"missing"});
  fs::create_directories(dir / "empty");
  expect_error([&] { basin::data::ImageFolderDataset ds(dir / "empty"); }, {"empty", "no class folders"});
  expect_error([&] { basin::data::open_dataset(dir / "empty"); }, {"empty", "train"});
}

TEST(BadInputFolder, ClassFolderWithoutImages) {
  TempDir dir;
  write_bytes(dir / "root/cat/a.png", small_png(4, 4, 3));
  fs::create_directories(dir / "root/dog");
  write_bytes(dir / "root/dog/notes.txt", {'h', 'i'});
  expect_error([&] { basin::data::ImageFolderDataset ds(dir / "root"); }, {"dog", "no images"});
}

TEST(BadInputFolder, CorruptImageInFolderNamesTheFile) {
  TempDir dir;
  write_bytes(dir / "root/cat/good.png", small_png(4, 4, 3));
  write_bytes(dir / "root/cat/zero.png", {});
  write_bytes(dir / "root/dog/bad.jpg", {0xFF, 0xD8, 0xFF, 0xC4, 0x01, 0x00, 0x00});
  basin::data::ImageFolderDataset ds(dir / "root", 3);
  ASSERT_EQ(ds.size(), 3);
  int bad = 0;
  for (std::int64_t i = 0; i < ds.size(); ++i) {
    const std::string name = fs::path(ds.path(i)).filename().string();
    if (name == "good.png") {
      EXPECT_NO_THROW(ds.get(i));
    } else {
      ++bad;
      expect_error<basin::data::CorruptSampleError>([&] { ds.get(i); }, {name});
    }
  }
  EXPECT_EQ(bad, 2);
  EXPECT_EQ(ds.num_bad_files(), 2);
}
