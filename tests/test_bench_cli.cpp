// `basin bench` through the real binary: the tiny CPU configuration finishes and
// its --json document carries the fields gpu-check.sh and the comparison with
// bench/torch_reference.py read, with values that make sense.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace {

struct CliRun {
  int status = -1;
  std::string out;
};

std::string basin_binary() { return std::string(BASIN_BINARY_DIR) + "/basin"; }

CliRun run_cli(const std::string& args) {
  CliRun r;
  const std::string cmd = basin_binary() + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

TEST(BenchCli, TinyCpuRunReportsThroughputAndKernels) {
  ASSERT_TRUE(std::filesystem::exists(basin_binary())) << "build the basin target first: " << basin_binary();
  CliRun r = run_cli("bench --device cpu --model resnet18 --image-size 32 --batch-size 2 --warmup 0 --iters 1 "
              "--optim sgd,nso --arena-numel 4096 --json");
  ASSERT_EQ(r.status, 0) << r.out;
  nlohmann::json doc = nlohmann::json::parse(r.out);  // nothing but the document on stdout
  EXPECT_EQ(doc.at("framework"), "basin");
  EXPECT_EQ(doc.at("device"), "cpu");
  EXPECT_EQ(doc.at("tf32_matmul"), false);
  EXPECT_EQ(doc.at("tf32_conv"), false);  // TF32 exists on GPUs only

  const auto& train = doc.at("train");
  ASSERT_EQ(train.size(), 2u);
  for (const auto& t : train) {
    EXPECT_EQ(t.at("model"), "resnet18");
    EXPECT_EQ(t.at("image_size"), 32);
    EXPECT_EQ(t.at("batch_size"), 2);
    EXPECT_EQ(t.at("precision"), "fp32");
    // torchvision's resnet18 with the CIFAR stem and 10 classes has 11,173,962
    // parameters (PyTorch counts it so; bench/torch_reference.py prints it too).
    EXPECT_EQ(t.at("params"), 11173962);
    const double ms = t.at("step_ms"), ips = t.at("images_per_s");
    EXPECT_GT(ms, 0.0);
    EXPECT_NEAR(ips, 2.0 / (ms * 1e-3), 1e-6 * ips);
    EXPECT_TRUE(t.at("loss").is_number()) << "loss must be finite: " << t.dump();
    // On the CPU: the large blocks' high-water mark (tensor/cpu_allocator.h),
    // which holds at least the optimizer's state (SGD's momentum, NSO's too: one
    // float per parameter; the arenas themselves are allocated by nn/arena.cpp).
    ASSERT_TRUE(t.at("peak_mem_mb").is_number()) << t.dump();
    EXPECT_GE(t.at("peak_mem_mb").get<double>(), 11173962 * 4 / (1024.0 * 1024.0));
    ASSERT_TRUE(t.at("cpu_cache_misses_per_step").is_number()) << t.dump();
    EXPECT_GE(t.at("cpu_cache_misses_per_step").get<double>(), 0.0);
  }
  EXPECT_EQ(train[0].at("optimizer"), "sgd");
  EXPECT_EQ(train[0].at("passes"), 1);
  EXPECT_EQ(train[1].at("optimizer"), "nso");
  EXPECT_EQ(train[1].at("passes"), 2);

  const auto& kernels = doc.at("kernels");
  ASSERT_EQ(kernels.size(), 7u);
  EXPECT_EQ(kernels[0].at("name"), "copy");
  EXPECT_DOUBLE_EQ(kernels[0].at("of_copy").get<double>(), 1.0);
  for (const auto& k : kernels) {
    EXPECT_EQ(k.at("numel"), 4096);
    EXPECT_GE(k.at("bytes").get<double>(), 2 * 4 * 4096.0);
    EXPECT_GT(k.at("gb_per_s").get<double>(), 0.0) << k.dump();
  }
}

TEST(BenchCli, BadArgumentsFailWithAMessage) {
  ASSERT_TRUE(std::filesystem::exists(basin_binary())) << basin_binary();
  CliRun r = run_cli("bench --device cpu --optim adam --batch-size 1 --iters 1 --arena-numel 0");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("unknown optimizer 'adam'"), std::string::npos) << r.out;
  r = run_cli("bench --device cpu --model resnet99 --batch-size 1 --iters 1 --arena-numel 0");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("resnet99"), std::string::npos) << r.out;
}

}  // namespace
