#pragma once
// Image: one decoded sample on its way from a file to a batch. Datasets hand out
// 8-bit HWC pixels (what decoders produce); ToTensor turns them into float CHW in
// [0, 1] (what the model eats). Geometric transforms work on either layout, so a
// pipeline may crop before or after ToTensor, as in torchvision.
#include <cstdint>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace basin::data {

// Largest width * height * channels we agree to hold (256 Mi values): a header that
// claims more, or a transform that would produce more (Resize of a 1x20000 image),
// is a CorruptSampleError rather than an allocation.
constexpr std::int64_t kMaxImageValues = std::int64_t{1} << 28;

enum class ImageLayout { HWC_U8, CHW_F32 };

struct Image {
  int height = 0, width = 0, channels = 0;
  ImageLayout layout = ImageLayout::HWC_U8;
  std::vector<std::uint8_t> u8;  // HWC, used when layout == HWC_U8
  std::vector<float> f32;        // CHW, used when layout == CHW_F32

  static Image hwc_u8(int h, int w, int c, std::vector<std::uint8_t> pixels);
  static Image chw_f32(int h, int w, int c, std::vector<float> values);
  bool is_u8() const { return layout == ImageLayout::HWC_U8; }
  std::size_t numel() const { return static_cast<std::size_t>(height) * width * channels; }
  std::string str() const;  // "uint8 HWC 28x28x1"
};

// Writes `img` as float CHW into dst (numel() floats). 8-bit pixels are scaled by
// 1/255, which is what ToTensor does, so a pipeline without ToTensor still yields
// model input in [0, 1].
void write_chw_float(const Image& img, float* dst);
// float32 [C, H, W] CPU tensor of the image (through write_chw_float).
Tensor image_to_tensor(const Image& img);

}  // namespace basin::data
