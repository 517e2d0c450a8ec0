// `basin convert IN OUT --dtype f32|f16|bf16`: rewrites a safetensors weights file
// with its float tensors stored in another precision. F16/BF16 halve the file
// (round to nearest even); f32 widens an F16/BF16/F64 file from elsewhere back to
// what basin writes. Integer tensors (num_batches_tracked) and the metadata (class
// names, preprocessing) are kept as they are.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "nn/safetensors.h"
#include "tools/command.h"

namespace {

struct ConvertCli {
  std::string in, out, dtype = "bf16";
};

void run(const ConvertCli& c) {
  using namespace basin;
  DType to = DType::Float32;
  if (c.dtype == "f16" || c.dtype == "float16") to = DType::Float16;
  else if (c.dtype == "bf16" || c.dtype == "bfloat16") to = DType::BFloat16;
  else BASIN_CHECK(c.dtype == "f32" || c.dtype == "float32", "--dtype must be f32, f16 or bf16, got " << c.dtype);
  nn::SafetensorsFile f = nn::load_safetensors(c.in);
  if (const std::string note = f.conversion_note(c.in); !note.empty()) std::fprintf(stderr, "%s\n", note.c_str());
  std::int64_t floats = 0;
  for (const auto& [name, t] : f.tensors) floats += t.dtype() == DType::Float32;
  nn::save_safetensors(c.out, f.tensors, f.metadata, to);
  std::error_code ec;
  const auto in_bytes = std::filesystem::file_size(c.in, ec), out_bytes = std::filesystem::file_size(c.out, ec);
  std::printf("wrote %s: %zu tensors, %lld float ones as %s (%.1f MB -> %.1f MB)\n", c.out.c_str(), f.tensors.size(),
              static_cast<long long>(floats), to == DType::Float32 ? "F32" : to == DType::Float16 ? "F16" : "BF16",
              static_cast<double>(in_bytes) / 1e6, static_cast<double>(out_bytes) / 1e6);
}

void setup(CLI::App& app) {
  auto c = std::make_shared<ConvertCli>();
  auto* cmd = app.add_subcommand("convert", "Rewrite a safetensors weights file with float tensors as F32, F16 or BF16");
  cmd->add_option("input", c->in, "safetensors file to read (F32, F16, BF16 or F64 floats)")->required()->check(CLI::ExistingFile);
  cmd->add_option("output", c->out, "safetensors file to write")->required();
  cmd->add_option("--dtype", c->dtype, "Storage of the float tensors: f32 | f16 | bf16 (round to nearest even)")
      ->capture_default_str();
  cmd->callback([c] { run(*c); });
}

}  // namespace

BASIN_COMMAND(convert, setup)
