#include "data/image_codec.h"

#include "io/atomic_file.h"
#include "io/input_file.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <stb_image.h>
#include <stb_image_write.h>
#include <unistd.h>

#include "data/dataset.h"

namespace basin::data {

namespace {
std::string hex(int v) {
  char b[8];
  std::snprintf(b, sizeof b, "0x%02X", v & 0xFF);
  return b;
}
bool is_sof(int m) { return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC; }
}  // namespace

std::string check_jpeg_structure(const std::uint8_t* b, std::size_t n) {
  if (n < 4 || b[0] != 0xFF || b[1] != 0xD8) return "not a JPEG (no SOI marker)";
  std::size_t pos = 2;
  while (pos < n) {
    if (b[pos] != 0xFF) return "byte " + hex(b[pos]) + " at offset " + std::to_string(pos) + " where a marker belongs";
    while (pos < n && b[pos] == 0xFF) ++pos;  // fill bytes
    if (pos >= n) break;
    const int m = b[pos++];
    if (m == 0xD9) return "";                            // EOI
    if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue;  // no length field
    if (pos + 2 > n) return "segment " + hex(m) + " cut off before its length";
    const std::size_t len = (std::size_t{b[pos]} << 8) | b[pos + 1];
    if (len < 2 || pos + len > n)
      return "segment " + hex(m) + " claims " + std::to_string(len) + " bytes but " + std::to_string(n - pos) +
             " remain";
    const std::size_t end = pos + len;
    if (m == 0xC4) {  // DHT: one or more tables of (class/id, 16 counts, symbols)
      std::size_t p = pos + 2;
      while (p < end) {
        const int tc = b[p] >> 4, th = b[p] & 15;
        if (tc > 1 || th > 3) return "Huffman table with invalid class " + std::to_string(tc) + " / id " + std::to_string(th);
        if (p + 17 > end) return "Huffman table cut off in its code counts";
        int codes = 0;
        for (int i = 1; i <= 16; ++i) codes += b[p + i];
        if (codes > 256) return "Huffman table with " + std::to_string(codes) + " codes (at most 256)";
        p += 17 + codes;
        if (p > end) return "Huffman table symbols run past the DHT segment";
      }
    } else if (is_sof(m)) {
      if (len < 8) return "frame header too short";
      const int h = (b[pos + 3] << 8) | b[pos + 4], w = (b[pos + 5] << 8) | b[pos + 6], nc = b[pos + 7];
      if (h == 0 || w == 0 || nc == 0 || nc > 4 || len < 8 + 3 * std::size_t(nc))
        return "bad frame header (" + std::to_string(w) + "x" + std::to_string(h) + ", " + std::to_string(nc) +
               " components)";
    }
    pos = end;
    if (m == 0xDA) {  // entropy-coded data up to the next real marker
      while (pos < n) {
        if (b[pos] == 0xFF && pos + 1 < n) {
          const int nx = b[pos + 1];
          if (nx == 0x00 || (nx >= 0xD0 && nx <= 0xD7) || nx == 0xFF) {
            pos += (nx == 0xFF) ? 1 : 2;
            continue;
          }
          break;
        }
        ++pos;
      }
    }
  }
  return "";  // a missing EOI is common (truncated downloads); stb copes with it
}

std::string check_png_structure(const std::uint8_t* b, std::size_t n) {
  static const std::uint8_t sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (n < 8 || !std::equal(sig, sig + 8, b)) return "not a PNG (bad signature)";
  // stb_image reports an oversized IHDR only as "unknown image type": say it here.
  if (n >= 24 && std::equal(b + 12, b + 16, "IHDR")) {
    const std::uint32_t w = (std::uint32_t{b[16]} << 24) | (b[17] << 16) | (b[18] << 8) | b[19];
    const std::uint32_t h = (std::uint32_t{b[20]} << 24) | (b[21] << 16) | (b[22] << 8) | b[23];
    if (w == 0 || h == 0 || std::uint64_t{w} * h * 4 > static_cast<std::uint64_t>(kMaxImageValues))
      return "implausible size " + std::to_string(w) + "x" + std::to_string(h) + " (limit " +
             std::to_string(kMaxImageValues) + " values)";
  }
  std::size_t pos = 8;
  while (pos + 8 <= n) {
    const std::uint32_t len = (std::uint32_t{b[pos]} << 24) | (b[pos + 1] << 16) | (b[pos + 2] << 8) | b[pos + 3];
    const std::string type(reinterpret_cast<const char*>(b + pos + 4), 4);
    if (len > 0x7FFFFFFFu || pos + 12 + std::size_t{len} > n)
      return "chunk '" + type + "' claims " + std::to_string(len) + " bytes but " + std::to_string(n - pos - 8) +
             " remain";
    pos += 12 + std::size_t{len};
    if (type == "IEND") return "";
  }
  return "no IEND chunk (file truncated)";
}

std::string check_pnm_header(const std::uint8_t* b, std::size_t n) {
  if (n < 2 || b[0] != 'P' || (b[1] != '5' && b[1] != '6')) return "not a binary PGM/PPM (no P5/P6)";
  // stb_image 2.27 reads width, height and maxval with an int that overflows
  // (undefined behaviour) past 10 digits; it skips whitespace and # comments
  // between them exactly as here.
  auto space = [](std::uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  std::size_t pos = 2;
  for (int field = 0; field < 3; ++field) {
    for (;;) {
      while (pos < n && space(b[pos])) ++pos;
      if (pos >= n || b[pos] != '#') break;
      while (pos < n && b[pos] != '\n' && b[pos] != '\r') ++pos;
    }
    int digits = 0;
    long value = 0;
    while (pos < n && b[pos] >= '0' && b[pos] <= '9') {
      value = value * 10 + (b[pos++] - '0');
      if (++digits > 9) return "PGM/PPM header number with more than 9 digits";
    }
    // 16-bit samples: stb 2.27 converts their channel count with its 8-bit
    // routine and then reads twice the buffer it allocated (heap overflow).
    if (field == 2 && value > 255)
      return "16-bit PGM/PPM (maxval " + std::to_string(value) + ") is not supported; convert it to 8 bits";
  }
  return "";
}

Image decode_image(const std::uint8_t* data, std::size_t size, int channels, const std::string& name,
                   std::int64_t max_values) {
  BASIN_CHECK(channels == 1 || channels == 3, "decode_image: " << channels << " channels requested (1 or 3)");
  if (size == 0) throw CorruptSampleError("image " + name + ": empty file");
  if (size > 0x7FFFFFFF) throw CorruptSampleError("image " + name + ": file larger than 2 GiB");
  std::string problem;
  // stb_image takes any run of 0xFF fill bytes before SOI for a JPEG (and tries
  // JPEG first): validate from the last fill byte, as stb will parse it.
  std::size_t fill = 0;
  while (fill < size && data[fill] == 0xFF) ++fill;
  if (fill >= 1 && fill < size && data[fill] == 0xD8) problem = check_jpeg_structure(data + fill - 1, size - fill + 1);
  else if (size >= 4 && data[0] == 0x89 && data[1] == 'P') problem = check_png_structure(data, size);
  else if (size >= 2 && data[0] == 'P' && (data[1] == '5' || data[1] == '6')) problem = check_pnm_header(data, size);
  if (!problem.empty()) throw CorruptSampleError("image " + name + ": corrupt, " + problem);
  const int len = static_cast<int>(size);
  int w = 0, h = 0, comp = 0;
  if (!stbi_info_from_memory(data, len, &w, &h, &comp))
    throw CorruptSampleError("image " + name + ": not a readable image (" +
                             std::string(stbi_failure_reason() ? stbi_failure_reason() : "unknown format") + ")");
  const std::int64_t values = std::int64_t{w} * h * std::max(comp, 4);
  if (w <= 0 || h <= 0 || values > max_values)
    throw CorruptSampleError("image " + name + ": implausible size " + std::to_string(w) + "x" + std::to_string(h) +
                             " (limit " + std::to_string(max_values) + " values)");
  int w2 = 0, h2 = 0, c2 = 0;
  std::uint8_t* px = stbi_load_from_memory(data, len, &w2, &h2, &c2, channels);
  if (!px)
    throw CorruptSampleError("image " + name + ": cannot decode (" +
                             std::string(stbi_failure_reason() ? stbi_failure_reason() : "?") + ")");
  std::vector<std::uint8_t> v(px, px + static_cast<std::size_t>(w2) * h2 * channels);
  stbi_image_free(px);
  return Image::hwc_u8(h2, w2, channels, std::move(v));
}

Image read_image_file(const std::string& path, int channels) {
  io::InputFile f;
  const std::string why = f.open(path);
  if (!why.empty()) throw CorruptSampleError("image " + path + ": cannot open (" + why + ")");
  // Bounded before a byte is read: no image the decoder accepts is this large.
  if (f.size() > kMaxImageFileBytes)
    throw CorruptSampleError("image " + path + ": file of " + std::to_string(f.size()) + " bytes (limit " +
                             std::to_string(kMaxImageFileBytes) + ")");
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(f.size()));
  if (!bytes.empty() && !f.read_at(bytes.data(), bytes.size(), 0))
    throw CorruptSampleError("image " + path + ": read error (or the file shrank while being read)");
  return decode_image(bytes.data(), bytes.size(), channels, path);
}

std::vector<std::uint8_t> encode_png(const Image& img) {
  BASIN_CHECK(img.is_u8() && img.height > 0 && img.width > 0, "encode_png: needs an 8-bit image, got " << img.str());
  std::vector<std::uint8_t> out;
  auto sink = [](void* ctx, void* data, int n) {
    auto* v = static_cast<std::vector<std::uint8_t>*>(ctx);
    v->insert(v->end(), static_cast<std::uint8_t*>(data), static_cast<std::uint8_t*>(data) + n);
  };
  int ok = stbi_write_png_to_func(sink, &out, img.width, img.height, img.channels, img.u8.data(),
                                  img.width * img.channels);
  BASIN_CHECK(ok, "encode_png: stb_image_write failed on a " << img.str() << " image");
  return out;
}

void write_file_atomically(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  // Exports write tens of thousands of PNGs: atomic rename, no fsync per file.
  io::write_file_atomic(path, bytes.data(), bytes.size(), io::Durability::RenameOnly);
}

void write_png(const std::string& path, const Image& img) { write_file_atomically(path, encode_png(img)); }

}  // namespace basin::data
