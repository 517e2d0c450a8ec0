#pragma once
// Decoding image files (JPEG, PNG, BMP, TGA, GIF, PNM through stb_image) with the
// checks stb_image 2.27 lacks, and writing PNGs (stb_image_write).
#include <cstdint>
#include <string>
#include <vector>

#include "data/image.h"

namespace basin::data {

// kMaxImageValues (data/image.h) bounds what a header may claim. Files are bounded
// too, before they are read: 512 MiB is more than any image within
// kMaxImageValues takes uncompressed (BMP, PPM), so only junk is refused.
constexpr std::uint64_t kMaxImageFileBytes = std::uint64_t{1} << 29;

// Empty when the JPEG's marker structure is safe to hand to stb_image, else what
// is wrong: a segment running past the end, or a Huffman table (DHT) with a bad
// class/id or more than 256 codes (stb 2.27 overflows its tables on those).
std::string check_jpeg_structure(const std::uint8_t* data, std::size_t size);
// Empty when every PNG chunk length fits in the file, else what is wrong.
std::string check_png_structure(const std::uint8_t* data, std::size_t size);

// Empty when a binary PGM/PPM header is safe for stb_image 2.27 (numbers short
// enough for its int parser, 8-bit samples only), else what is wrong.
std::string check_pnm_header(const std::uint8_t* data, std::size_t size);

// Decodes an encoded image into 8-bit HWC with `channels` channels (1 or 3; gray,
// RGB and RGBA sources are converted). Throws CorruptSampleError naming `name`,
// also when width * height * max(channels, 4) exceeds `max_values` (the fuzzer
// lowers it to keep each input fast).
Image decode_image(const std::uint8_t* data, std::size_t size, int channels, const std::string& name,
                   std::int64_t max_values = kMaxImageValues);
// Reads and decodes a file (an unreadable file is a CorruptSampleError too, as is
// one that is not a regular file or is larger than kMaxImageFileBytes).
Image read_image_file(const std::string& path, int channels);

// PNG bytes of an 8-bit HWC image.
std::vector<std::uint8_t> encode_png(const Image& img);
// Writes bytes to `path` through a temporary name in the same folder and a rename,
// so an interrupted run never leaves a half-written file under the final name.
void write_file_atomically(const std::string& path, const std::vector<std::uint8_t>& bytes);
void write_png(const std::string& path, const Image& img);

}  // namespace basin::data
