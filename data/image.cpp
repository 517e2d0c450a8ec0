#include "data/image.h"

#include <sstream>

namespace basin::data {

Image Image::hwc_u8(int h, int w, int c, std::vector<std::uint8_t> pixels) {
  BASIN_CHECK(h >= 0 && w >= 0 && c > 0 &&
                  pixels.size() == static_cast<std::size_t>(h) * static_cast<std::size_t>(w) * c,
              "Image::hwc_u8: " << pixels.size() << " bytes for " << h << "x" << w << "x" << c);
  Image im;
  im.height = h, im.width = w, im.channels = c;
  im.layout = ImageLayout::HWC_U8;
  im.u8 = std::move(pixels);
  return im;
}

Image Image::chw_f32(int h, int w, int c, std::vector<float> values) {
  BASIN_CHECK(h >= 0 && w >= 0 && c > 0 &&
                  values.size() == static_cast<std::size_t>(h) * static_cast<std::size_t>(w) * c,
              "Image::chw_f32: " << values.size() << " values for " << c << "x" << h << "x" << w);
  Image im;
  im.height = h, im.width = w, im.channels = c;
  im.layout = ImageLayout::CHW_F32;
  im.f32 = std::move(values);
  return im;
}

std::string Image::str() const {
  std::ostringstream os;
  if (is_u8())
    os << "uint8 HWC " << height << "x" << width << "x" << channels;
  else
    os << "float32 CHW " << channels << "x" << height << "x" << width;
  return os.str();
}

void write_chw_float(const Image& img, float* dst) {
  if (!img.is_u8()) {
    std::copy(img.f32.begin(), img.f32.end(), dst);
    return;
  }
  const std::size_t hw = static_cast<std::size_t>(img.height) * img.width;
  const int c = img.channels;
  for (int ch = 0; ch < c; ++ch)
    for (std::size_t p = 0; p < hw; ++p) dst[ch * hw + p] = img.u8[p * c + ch] * (1.0f / 255.0f);
}

Tensor image_to_tensor(const Image& img) {
  Tensor t = Tensor::empty({img.channels, img.height, img.width}, DType::Float32);
  write_chw_float(img, t.data<float>());
  return t;
}

}  // namespace basin::data
