// libFuzzer target: the image path a training run takes for every file of an
// image folder: decode (structure checks, then stb_image) into 1 or 3 channels,
// then the train and eval transform pipelines. Any input must give a well-formed
// tensor-ready image or throw basin::Error (CorruptSampleError) -- never crash or
// read out of bounds inside stb_image.
#include <cstdint>
#include <cstdlib>

#include "data/image_codec.h"
#include "data/transforms.h"
#include "tensor/error.h"

using namespace basin::data;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto train = train_pipeline(32);
  static const auto eval = eval_pipeline(24);
  const int channels = (size > 0 && (data[size - 1] & 1)) ? 3 : 1;  // both conversions
  try {
    // Big decodes are legal but slow (stb fills the whole buffer, the transforms
    // read all of it): a 64 Ki-value cap (e.g. 128x128 RGBA) keeps each input
    // around a millisecond under ASan; the size check itself is still fuzzed.
    Image img = decode_image(data, size, channels, "fuzz-input", std::int64_t{1} << 16);
    if (img.height <= 0 || img.width <= 0 || img.channels != channels || img.u8.size() != img.numel()) std::abort();
    Image a = (*train)(img, 1, 0, size);
    Image b = (*eval)(img, 1, 0, size);
    if (a.height != 32 || a.width != 32 || b.height != 24 || b.width != 24) std::abort();
  } catch (const basin::Error&) {
  }
  return 0;
}
