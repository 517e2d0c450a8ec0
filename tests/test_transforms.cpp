// Transforms against hand-computed results and PyTorch's antialiased bilinear
// interpolation (values produced with torch.nn.functional.interpolate(...,
// mode="bilinear", align_corners=False, antialias=True), torchvision's Resize).
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "data/transforms.h"

using namespace basin;
using namespace basin::data;

namespace {
Image u8_image(int h, int w, int c, std::vector<std::uint8_t> v) { return Image::hwc_u8(h, w, c, std::move(v)); }
Image ramp_u8(int h, int w, int c) {
  std::vector<std::uint8_t> v(static_cast<size_t>(h) * w * c);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::uint8_t>((i * 29 + 3) & 255);
  return u8_image(h, w, c, v);
}
}  // namespace

TEST(Transforms, HorizontalFlipReversesColumnsInBothLayouts) {
  Image im = u8_image(2, 3, 2, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  Image f = flip_horizontal(im);
  EXPECT_EQ(f.u8, (std::vector<std::uint8_t>{5, 6, 3, 4, 1, 2, 11, 12, 9, 10, 7, 8}));
  Image g = Image::chw_f32(1, 3, 1, {1, 2, 3});
  EXPECT_EQ(flip_horizontal(g).f32, (std::vector<float>{3, 2, 1}));
  // p = 1 always flips, p = 0 never.
  EXPECT_EQ((*random_horizontal_flip(1.0))(im).u8, f.u8);
  EXPECT_EQ((*random_horizontal_flip(0.0))(im).u8, im.u8);
}

TEST(Transforms, CropPadsWithZerosOutsideTheImage) {
  Image im = u8_image(2, 2, 1, {1, 2, 3, 4});
  Image c = crop(im, -1, -1, 3, 3);
  EXPECT_EQ(c.u8, (std::vector<std::uint8_t>{0, 0, 0, 0, 1, 2, 0, 3, 4}));
  Image d = crop(im, 1, 0, 2, 2);
  EXPECT_EQ(d.u8, (std::vector<std::uint8_t>{3, 4, 0, 0}));
}

TEST(Transforms, RandomCropWithPaddingPicksEachWindowOfThePaddedImage) {
  Image im = u8_image(2, 2, 1, {1, 2, 3, 4});
  auto rc = random_crop(2, 1);  // padded image is 4x4: 3x3 possible windows
  std::set<std::vector<std::uint8_t>> seen;
  for (int i = 0; i < 300; ++i) {
    Image out = (*rc)(im, 7, 0, static_cast<std::uint64_t>(i));
    bool matches = false;
    for (int t = -1; t <= 1; ++t)
      for (int l = -1; l <= 1; ++l) matches |= crop(im, t, l, 2, 2).u8 == out.u8;
    EXPECT_TRUE(matches);
    seen.insert(out.u8);
  }
  EXPECT_EQ(seen.size(), 9u);
  EXPECT_THROW((*random_crop(5, 1))(im), Error);  // 4x4 after padding < 5
}

TEST(Transforms, CenterCropMatchesTorchvisionOffsets) {
  std::vector<std::uint8_t> v(25);
  for (int i = 0; i < 25; ++i) v[i] = static_cast<std::uint8_t>(i);
  Image im = u8_image(5, 5, 1, v);
  // top = int(round((5 - 2) / 2)) = round(1.5) = 2 (half to even, as Python).
  EXPECT_EQ((*center_crop(2))(im).u8, (std::vector<std::uint8_t>{12, 13, 17, 18}));
  EXPECT_EQ((*center_crop(3))(im).u8, (std::vector<std::uint8_t>{6, 7, 8, 11, 12, 13, 16, 17, 18}));
  // Larger than the image: zero padding around it.
  Image small = u8_image(1, 1, 1, {9});
  EXPECT_EQ((*center_crop(3))(small).u8, (std::vector<std::uint8_t>{0, 0, 0, 0, 9, 0, 0, 0, 0}));
}

TEST(Transforms, ToTensorAndNormalize) {
  Image im = u8_image(1, 2, 3, {0, 51, 255, 102, 153, 204});
  Image t = (*to_tensor())(im);
  ASSERT_FALSE(t.is_u8());
  std::vector<float> expect = {0.0f, 102 / 255.f, 51 / 255.f, 153 / 255.f, 1.0f, 204 / 255.f};
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(t.f32[i], expect[i]);
  Image n = (*normalize({0.5f, 0.25f, 0.0f}, {0.5f, 0.25f, 2.0f}))(t);
  for (int i = 0; i < 6; ++i) {
    const float m[] = {0.5f, 0.25f, 0.0f}, s[] = {0.5f, 0.25f, 2.0f};
    EXPECT_NEAR(n.f32[i], (expect[i] - m[i / 2]) / s[i / 2], 1e-6);
  }
  EXPECT_THROW((*normalize())(im), Error);                   // needs ToTensor first
  EXPECT_THROW((*normalize({0.1f, 0.2f}, {1, 1}))(t), Error);  // 2 means, 3 channels
}

TEST(Transforms, ResizeOfAConstantImageStaysConstant) {
  Image im = u8_image(7, 5, 3, std::vector<std::uint8_t>(105, 77));
  for (auto [h, w] : std::vector<std::pair<int, int>>{{3, 2}, {20, 13}, {7, 1}, {1, 9}}) {
    Image r = resize_bilinear(im, h, w);
    EXPECT_EQ(r.height, h);
    EXPECT_EQ(r.width, w);
    for (auto p : r.u8) ASSERT_EQ(p, 77);
  }
  Image f = Image::chw_f32(6, 4, 1, std::vector<float>(24, 0.3f));
  for (float v : resize_bilinear(f, 5, 9).f32) ASSERT_NEAR(v, 0.3f, 1e-6);
}

TEST(Transforms, BilinearMatchesTorchOnRamps) {
  // 2x2 ramp upsampled to 4x4: out(y, x) = g[x] + 2 g[y], g = 0, 1/4, 3/4, 1.
  Image ramp = Image::chw_f32(2, 2, 1, {0, 1, 2, 3});
  Image up = resize_bilinear(ramp, 4, 4);
  const float g[] = {0, 0.25f, 0.75f, 1};
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) EXPECT_NEAR(up.f32[y * 4 + x], g[x] + 2 * g[y], 1e-6) << y << "," << x;
  // Downsampling is antialiased (triangle filter widened by the scale), as torch.
  std::vector<float> v(16);
  for (int i = 0; i < 16; ++i) v[i] = std::pow(static_cast<float>(i), 1.5f);
  Image down = resize_bilinear(Image::chw_f32(4, 4, 1, v), 2, 2);
  const float torch_down[] = {8.4634f, 13.0415f, 31.9770f, 39.5857f};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(down.f32[i], torch_down[i], 2e-4);
  std::vector<float> z(35);
  for (int i = 0; i < 35; ++i) z[i] = static_cast<float>(i);
  Image mixed = resize_bilinear(Image::chw_f32(5, 7, 1, z), 3, 2);
  const float torch_mixed[] = {4.581395f, 7.418604f, 15.581395f, 18.418606f, 26.581394f, 29.418602f};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(mixed.f32[i], torch_mixed[i], 1e-4);
}

TEST(Transforms, ResizeShorterSideKeepsAspect) {
  Image im = ramp_u8(4, 10, 1);
  Image r = (*resize(2))(im);
  EXPECT_EQ(r.height, 2);
  EXPECT_EQ(r.width, 5);
  Image tall = (*resize(3))(ramp_u8(10, 4, 3));
  EXPECT_EQ(tall.width, 3);
  EXPECT_EQ(tall.height, 7);  // int(3 * 10 / 4) = 7
}

TEST(Transforms, EvalPipelineLeavesAnSxSImageUnchangedWhenRIsS) {
  Image im = ramp_u8(32, 32, 3);
  Image out = (*eval_pipeline(32, 32))(im);
  Image ref = (*to_tensor())(im);
  ASSERT_EQ(out.f32.size(), ref.f32.size());
  EXPECT_EQ(out.f32, ref.f32);  // bit for bit
  // Default R = round(S * 8 / 7): 224 -> 256.
  EXPECT_EQ(eval_pipeline(224)->steps()[0]->name(), "Resize(256)");
  Image big = (*eval_pipeline(16))(ramp_u8(40, 30, 3));
  EXPECT_EQ(big.height, 16);
  EXPECT_EQ(big.width, 16);
}

TEST(Transforms, RandomResizedCropIsDeterministicPerKeyAndInBounds) {
  Image im = ramp_u8(40, 60, 3);
  auto rrc = random_resized_crop(16);
  Image a = (*rrc)(im, 5, 2, 11), b = (*rrc)(im, 5, 2, 11);
  EXPECT_EQ(a.u8, b.u8);
  EXPECT_EQ(a.height, 16);
  EXPECT_EQ(a.width, 16);
  int differ = 0;
  for (std::uint64_t i = 0; i < 20; ++i) differ += (*rrc)(im, 5, 2, i).u8 != a.u8;
  EXPECT_GE(differ, 18);  // other samples get other crops
  EXPECT_NE((*rrc)(im, 5, 3, 11).u8, a.u8);  // and other epochs too
  for (std::uint64_t i = 0; i < 500; ++i) {
    SampleRng rng(1, 0, i);
    CropBox c = random_resized_crop_box(40, 60, {0.08, 1.0}, {3.0 / 4, 4.0 / 3}, rng);
    ASSERT_GE(c.top, 0);
    ASSERT_GE(c.left, 0);
    ASSERT_LE(c.top + c.height, 40);
    ASSERT_LE(c.left + c.width, 60);
    const double frac = static_cast<double>(c.height) * c.width / (40.0 * 60.0);
    EXPECT_GT(frac, 0.06);
    const double r = static_cast<double>(c.width) / c.height;
    EXPECT_TRUE(r > 0.6 && r < 1.6) << r;
  }
}

TEST(Transforms, RandomResizedCropFallsBackToACenterCrop) {
  // scale > 1 can never fit: after 10 attempts, the widest allowed centred window.
  SampleRng rng(0, 0, 0);
  CropBox c = random_resized_crop_box(10, 20, {2.0, 3.0}, {3.0 / 4, 4.0 / 3}, rng);
  EXPECT_EQ(c.height, 10);
  EXPECT_EQ(c.width, 13);  // round(10 * 4/3)
  EXPECT_EQ(c.top, 0);
  EXPECT_EQ(c.left, 3);
  CropBox d = random_resized_crop_box(20, 10, {2.0, 3.0}, {3.0 / 4, 4.0 / 3}, rng);
  EXPECT_EQ(d.width, 10);
  EXPECT_EQ(d.height, 13);  // round(10 / (3/4))
  EXPECT_EQ(d.top, 3);
}

TEST(Transforms, ComposeRunsInOrder) {
  auto c = std::make_shared<Compose>(std::vector<TransformPtr>{center_crop(2), to_tensor(), normalize({0.5f}, {0.5f})});
  Image out = (*c)(u8_image(2, 2, 1, {0, 255, 255, 0}));
  EXPECT_EQ(out.f32, (std::vector<float>{-1, 1, 1, -1}));
  EXPECT_NE(c->name().find("CenterCrop(2)"), std::string::npos);
}
