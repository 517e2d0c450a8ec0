// Image decoding, including the structural checks that keep hostile files away
// from stb_image 2.27's known memory-safety bugs, and atomic PNG writing.
#include <gtest/gtest.h>

#include <filesystem>

#include <stb_image_write.h>

#include "data/dataset.h"
#include "data/image_codec.h"
#include "data_test_util.h"

using namespace basin;
using namespace basin::data;
using basin::data::testing::TempDir;

namespace {
Image rgb_image(int h, int w) {
  std::vector<std::uint8_t> v(static_cast<size_t>(h) * w * 3);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::uint8_t>(i * 7);
  return Image::hwc_u8(h, w, 3, v);
}
std::vector<std::uint8_t> encode_jpeg(const Image& im) {
  std::vector<std::uint8_t> out;
  stbi_write_jpg_to_func([](void* c, void* d, int n) {
        auto* v = static_cast<std::vector<std::uint8_t>*>(c);
        v->insert(v->end(), static_cast<std::uint8_t*>(d), static_cast<std::uint8_t*>(d) + n);
      }, &out, im.width, im.height, im.channels, im.u8.data(), 90);
  return out;
}
// A DHT segment right after SOI with the given class/id byte and code counts.
std::vector<std::uint8_t> with_dht(const std::vector<std::uint8_t>& jpeg, std::uint8_t tc_th, int per_length) {
  std::vector<std::uint8_t> seg = {tc_th};
  int total = 0;
  for (int i = 0; i < 16; ++i) seg.push_back(static_cast<std::uint8_t>(per_length)), total += per_length;
  for (int i = 0; i < total; ++i) seg.push_back(static_cast<std::uint8_t>(i));
  const std::size_t len = seg.size() + 2;
  std::vector<std::uint8_t> out = {0xFF, 0xD8, 0xFF, 0xC4, static_cast<std::uint8_t>(len >> 8),
                                   static_cast<std::uint8_t>(len)};
  out.insert(out.end(), seg.begin(), seg.end());
  out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
  return out;
}
void expect_corrupt(const std::vector<std::uint8_t>& bytes, const std::string& what) {
  try {
    decode_image(bytes.data(), bytes.size(), 3, "crafted.jpg");
    ADD_FAILURE() << "expected CorruptSampleError mentioning " << what;
  } catch (const CorruptSampleError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("crafted.jpg"), std::string::npos) << m;
    EXPECT_NE(m.find(what), std::string::npos) << m;
  }
}
}  // namespace

TEST(ImageCodec, PngRoundTripIsExactAndJpegIsClose) {
  Image im = rgb_image(9, 7);
  auto png = encode_png(im);
  EXPECT_TRUE(check_png_structure(png.data(), png.size()).empty());
  Image back = decode_image(png.data(), png.size(), 3, "x.png");
  EXPECT_EQ(back.u8, im.u8);
  Image flat = Image::hwc_u8(8, 8, 3, std::vector<std::uint8_t>(192, 120));
  auto jpg = encode_jpeg(flat);
  EXPECT_TRUE(check_jpeg_structure(jpg.data(), jpg.size()).empty());
  Image j = decode_image(jpg.data(), jpg.size(), 3, "x.jpg");
  ASSERT_EQ(j.height, 8);
  for (auto p : j.u8) EXPECT_NEAR(p, 120, 2);
}

TEST(ImageCodec, JpegWithOversizedHuffmanTableIsRejected) {
  auto jpg = encode_jpeg(rgb_image(8, 8));
  // 16 lengths x 17 codes = 272 > 256: stb 2.27 would overflow in stbi__build_huffman.
  expect_corrupt(with_dht(jpg, 0x00, 17), "272 codes");
  // 16 x 16 = 256 codes is the legal maximum: the structure check lets it through
  // (stb may still refuse the table, but safely).
  EXPECT_TRUE(check_jpeg_structure(with_dht(jpg, 0x00, 16).data(), with_dht(jpg, 0x00, 16).size()).empty());
  expect_corrupt(with_dht(jpg, 0x24, 1), "invalid class 2");
  expect_corrupt(with_dht(jpg, 0x05, 1), "id 5");
}

TEST(ImageCodec, JpegSegmentsRunningPastTheEndAreRejected) {
  auto jpg = encode_jpeg(rgb_image(8, 8));
  std::vector<std::uint8_t> cut(jpg.begin(), jpg.begin() + 30);  // inside the quantization tables
  expect_corrupt(cut, "remain");
  std::vector<std::uint8_t> lying = {0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xF0, 'J', 'F', 'I', 'F'};
  expect_corrupt(lying, "claims 65520 bytes");
  std::vector<std::uint8_t> zero_size = {0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0, 0, 0, 8, 1, 1, 0x11, 0};
  expect_corrupt(zero_size, "bad frame header");
}

TEST(ImageCodec, PngWithLyingChunkLengthOrHugeSizeIsRejected) {
  auto png = encode_png(rgb_image(4, 4));
  // The first chunk after the signature is IHDR; find IDAT and make its length lie.
  std::size_t pos = 8;
  while (std::string(reinterpret_cast<char*>(&png[pos + 4]), 4) != "IDAT") {
    std::size_t len = (png[pos] << 24) | (png[pos + 1] << 16) | (png[pos + 2] << 8) | png[pos + 3];
    pos += 12 + len;
  }
  auto lying = png;
  lying[pos] = 0x7F, lying[pos + 1] = 0xFF, lying[pos + 2] = 0xFF, lying[pos + 3] = 0x00;
  expect_corrupt(lying, "chunk 'IDAT' claims");
  auto truncated = png;
  truncated.resize(png.size() - 12);  // IEND gone
  expect_corrupt(truncated, "no IEND");
  // IHDR claiming 10000 x 10000 RGB: within stb's own limits (2^30 bytes, 2^16
  // per side), past ours (2^28 values): refused before stb allocates 300 MB.
  auto huge = png;
  for (int k : {16, 20}) huge[k] = 0, huge[k + 1] = 0, huge[k + 2] = 0x27, huge[k + 3] = 0x10;
  expect_corrupt(huge, "implausible size 10000x10000");
}

TEST(ImageCodec, GarbageAndEmptyFilesAreCorruptSamples) {
  std::vector<std::uint8_t> junk = {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'};
  expect_corrupt(junk, "not a readable image");
  expect_corrupt({}, "empty file");
  EXPECT_THROW(read_image_file("/nonexistent/basin/x.png", 3), CorruptSampleError);
}

TEST(ImageCodec, ChannelConversion) {
  Image gray = Image::hwc_u8(1, 2, 1, {100, 200});
  auto g = encode_png(gray);
  EXPECT_EQ(decode_image(g.data(), g.size(), 3, "g").u8, (std::vector<std::uint8_t>{100, 100, 100, 200, 200, 200}));
  Image rgba = Image::hwc_u8(1, 1, 4, {10, 20, 30, 40});
  auto a = encode_png(rgba);
  EXPECT_EQ(decode_image(a.data(), a.size(), 3, "a").u8, (std::vector<std::uint8_t>{10, 20, 30}));
  // stb's luma: (77 r + 150 g + 29 b) >> 8 = (770 + 3000 + 870) >> 8 = 18.
  EXPECT_EQ(decode_image(a.data(), a.size(), 1, "a").u8, (std::vector<std::uint8_t>{18}));
}

TEST(ImageCodec, WritePngLeavesNoTemporaryFile) {
  TempDir dir;
  write_png(dir / "a.png", rgb_image(3, 3));
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path)) {
    ++files;
    EXPECT_EQ(e.path().filename(), "a.png");
  }
  EXPECT_EQ(files, 1);
  EXPECT_EQ(read_image_file(dir / "a.png", 3).u8, rgb_image(3, 3).u8);
  EXPECT_THROW(write_png(dir / "no/such/dir/a.png", rgb_image(3, 3)), Error);
}
