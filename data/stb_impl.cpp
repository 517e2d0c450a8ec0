// The one translation unit that compiles stb_image and stb_image_write (Debian's
// libstb-dev ships them as single headers). Everything else includes them for
// declarations only and goes through data/image_codec.h.
//
// stb_image 2.27 trusts its input more than a training run over scraped folders
// should: data/image_codec.cpp validates JPEG Huffman tables, PNG chunk lengths
// and the image size before any bytes reach stbi_load_from_memory.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#endif

#define STBI_MAX_DIMENSIONS (1 << 16)
// Formats basin does not read are compiled out: decoding goes by content, not by
// extension, so every compiled-in decoder is reachable from any file in a folder
// (and the HDR one loops forever on truncated RLE scanlines, CVE-2021-42715).
#define STBI_NO_PSD
#define STBI_NO_HDR
#define STBI_NO_PIC
#define STBI_NO_STDIO  // files are read by us, decoded from memory
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>

#define STBI_WRITE_NO_STDIO
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>

#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
