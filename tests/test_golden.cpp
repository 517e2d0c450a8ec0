// Conformance with PyTorch: per-layer cases and whole models (MLP, ResNet-18/34/50)
// against fixtures written by tests/golden/make_fixtures.py (PyTorch 1.13, float64).
//
// Error measure: for each compared tensor, max_i |ours_i - ref_i| / max_i |ref_i|
// (error relative to the tensor's scale; elementwise relative error is
// meaningless for entries near zero). Tolerance: 1e-4 on the CPU, 1e-3 on CUDA
// (cuDNN picks different summation orders). Large gradients are compared on 64
// sampled entries plus a projection <g, r> onto a probe vector r, normalized by
// |g| |r|, so an error anywhere in g shows. The largest error per model is printed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "autograd/nn_ops.h"
#include "autograd/ops.h"
#include "kernels/conv.h"
#include "nn/models/factory.h"
#include "nn/safetensors.h"

using namespace basin;
using namespace basin::nn;

namespace {

const std::string kDir = std::string(BASIN_SOURCE_DIR) + "/tests/golden/";

// ---- the fixture script's deterministic generator, bit for bit -----------------
std::uint64_t fnv1a64(const std::string& s) {
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001B3ull;
  }
  return h;
}
std::uint64_t splitmix64(std::uint64_t x) {
  std::uint64_t z = x + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
std::vector<float> det_uniform(const std::string& name, std::int64_t n, double lo, double hi) {
  std::vector<float> v(static_cast<size_t>(n));
  std::uint64_t base = fnv1a64(name);
  for (std::int64_t i = 0; i < n; ++i) {
    double u = static_cast<double>(splitmix64(base + static_cast<std::uint64_t>(i)) >> 40) / double(1 << 24);
    v[static_cast<size_t>(i)] = static_cast<float>(lo + (hi - lo) * u);
  }
  return v;
}

double rel_err(const std::vector<float>& ours, const std::vector<float>& ref) {
  EXPECT_EQ(ours.size(), ref.size());
  double d = 0, m = 0;
  for (size_t i = 0; i < ref.size() && i < ours.size(); ++i) {
    if (!std::isfinite(ours[i])) return INFINITY;
    d = std::max(d, std::fabs(double(ours[i]) - double(ref[i])));
    m = std::max(m, std::fabs(double(ref[i])));
  }
  return m > 0 ? d / m : d;
}

struct ErrTracker {
  double tol;
  double worst = 0;
  std::string worst_name;
  void check(const std::string& what, double err) {
    EXPECT_LE(err, tol) << what;
    if (err > worst || worst_name.empty()) {
      worst = err;
      worst_name = what;
    }
  }
  void check(const std::string& what, const Tensor& ours, const Tensor& ref) {
    ASSERT_TRUE(ours.defined()) << what << ": undefined";
    // Full gradients are stored flattened; everything else with its shape.
    ASSERT_EQ(ours.numel(), ref.numel()) << what << ": " << shape_str(ours.shape()) << " vs " << shape_str(ref.shape());
    check(what, rel_err(ours.to_vector(), ref.to_vector()));
  }
};

Tensor on(const Tensor& t, Device d) { return t.to(d); }
Tensor param(const Tensor& t, Device d) {
  Tensor p = t.to(d).detach().clone();
  p.set_requires_grad(true);
  return p;
}

// ---- per-layer cases ---------------------------------------------------------------
void run_layer_cases(Device dev, double tol) {
  SafetensorsFile f = load_safetensors(kDir + "layers.safetensors");
  ErrTracker e{tol, 0.0, ""};
  auto g = [&](const std::string& n) { return f.get(n); };
  auto check_all = [&](const std::string& c, const Tensor& y, std::vector<std::pair<std::string, Tensor>> ins) {
    e.check(c + "/y", y, g(c + "/y"));
    y.backward(on(g(c + "/gy"), dev));
    for (auto& [n, t] : ins) e.check(c + "/d" + n, t.grad(), g(c + "/d" + n));
  };
  {
    Tensor x = param(g("linear/x"), dev), w = param(g("linear/w"), dev), b = param(g("linear/b"), dev);
    check_all("linear", linear(x, w, b), {{"x", x}, {"w", w}, {"b", b}});
  }
  for (std::string c : {"conv_s2p1", "conv_groups", "conv_1x1s2", "conv_7x7s2p3"}) {
    Tensor x = param(g(c + "/x"), dev), w = param(g(c + "/w"), dev);
    Tensor b = f.has(c + "/b") ? param(g(c + "/b"), dev) : Tensor();
    auto p = Conv2dParams::square(static_cast<int>(g(c + "/stride").to_int_vector()[0]),
                                  static_cast<int>(g(c + "/padding").to_int_vector()[0]), 1,
                                  static_cast<int>(g(c + "/groups").to_int_vector()[0]));
    std::vector<std::pair<std::string, Tensor>> ins{{"x", x}, {"w", w}};
    if (b.defined()) ins.push_back({"b", b});
    check_all(c, conv2d(x, w, b, p), ins);
  }
  for (bool train : {true, false}) {
    std::string c = train ? "bn_train" : "bn_eval";
    Tensor x = param(g(c + "/x"), dev), w = param(g(c + "/w"), dev), b = param(g(c + "/b"), dev);
    Tensor rm = g(c + "/running_mean").to(dev).clone(), rv = g(c + "/running_var").to(dev).clone();
    check_all(c, batch_norm(x, rm, rv, w, b, train, 0.1f, 1e-5f), {{"x", x}, {"w", w}, {"b", b}});
    e.check(c + "/running_mean_after", rm, g(c + "/running_mean_after"));
    e.check(c + "/running_var_after", rv, g(c + "/running_var_after"));
  }
  {
    Tensor x = param(g("maxpool_k3s2p1/x"), dev);
    check_all("maxpool_k3s2p1", max_pool2d(x, Pool2dParams::square(3, 2, 1)), {{"x", x}});
  }
  for (auto [c, h, w] : {std::tuple<std::string, int, int>{"avgpool_1x1", 1, 1}, {"avgpool_2x3", 2, 3}}) {
    Tensor x = param(g(c + "/x"), dev);
    check_all(c, adaptive_avg_pool2d(x, h, w), {{"x", x}});
  }
  for (auto [c, eps] : {std::pair<std::string, float>{"ce_ls0", 0.0f}, {"ce_ls2", 0.2f}}) {
    Tensor logits = param(g(c + "/logits"), dev);
    Tensor loss = cross_entropy(logits, on(g(c + "/labels"), dev), eps);
    e.check(c + "/loss", loss.reshape({1}), g(c + "/loss"));
    loss.backward();
    e.check(c + "/dlogits", logits.grad(), g(c + "/dlogits"));
  }
  std::printf("[golden] layers on %s: largest relative error %.3g (%s), tolerance %.0e\n", dev.str().c_str(),
              e.worst, e.worst_name.c_str(), tol);
}

// ---- whole models --------------------------------------------------------------------
struct ModelCase {
  const char* fixture;
  const char* model;
  ModelOptions opt;
  // Multiplies the CPU/CUDA tolerance. 1 everywhere except ResNet-50, whose
  // layer4 batch norms normalize over only 2x4x4 = 32 values per channel and
  // amplify float32 rounding: measured worst 1.08e-4 (layer4.2.bn1.weight grad).
  double tol_scale = 1.0;
};

ModelOptions opts(std::int64_t in_ch, bool cifar, std::int64_t features = 0, std::vector<std::int64_t> hidden = {},
                  const char* act = "relu") {
  ModelOptions o;
  o.num_classes = 10;
  o.in_channels = in_ch;
  o.cifar_stem = cifar;
  o.input_features = features;
  o.hidden = hidden;
  o.activation = act;
  return o;
}

std::vector<ModelCase> model_cases() {
  return {
      {"mlp_relu", "mlp", opts(1, false, 64, {32, 16}, "relu")},
      {"mlp_tanh", "mlp", opts(1, false, 64, {24}, "tanh")},
      {"resnet18_cifar", "resnet18", opts(3, true)},
      {"resnet18_imagenet", "resnet18", opts(3, false)},
      {"resnet18_gray_cifar", "resnet18", opts(1, true)},
      {"resnet34_cifar", "resnet34", opts(3, true)},
      {"resnet50_cifar", "resnet50", opts(3, true), 2.0},
  };
}

// The generated state of the fixture, as the script built it.
NamedTensors generated_state(Module& m, const SafetensorsFile& f) {
  NamedTensors state;
  for (auto& [name, t] : m.state_dict()) {
    const Tensor& gen = f.get("gen/" + name);
    if (gen.dtype() == DType::Int64) {
      state.emplace_back(name, Tensor::full(t.shape(), double(gen.to_int_vector()[0]), DType::Int64));
    } else {
      auto r = gen.to_vector();
      state.emplace_back(name, Tensor::from_vector(det_uniform(name, t.numel(), r[0], r[1]), t.shape()));
    }
  }
  return state;
}

// Pins the ReLU kinks the fixture recorded: after each ReLU module call, inputs
// that were within the fixture's `kink` of 0 get a value of the exact side, and
// the output there the reference's sign (0, or the least positive normal float
// where it was 0), so ReLU's backward mask (taken from its saved output)
// matches the reference.
struct KinkPinner : ForwardObserver {
  const SafetensorsFile* f;
  std::string mode;
  int calls = 0;
  int pinned = 0;
  void after_forward(Module& m, const Tensor& in, const Tensor& out) override {
    if (m.type_name() != "ReLU") return;
    std::string key = mode + "/kinks/" + std::to_string(calls++);
    if (!f->has(key)) return;
    auto v = f->get(key).to_int_vector();  // [m, 2]: flat index, sign
    ASSERT_TRUE(in.device().is_cpu() && in.is_contiguous()) << "kink pinning needs a contiguous CPU input";
    ASSERT_TRUE(out.device().is_cpu() && out.is_contiguous() && out.numel() == in.numel()) << key;
    float* p = in.data<float>();
    float* q = out.data<float>();
    for (size_t i = 0; i + 1 < v.size(); i += 2) {
      ASSERT_LT(v[i], in.numel()) << key;
      p[v[i]] = v[i + 1] > 0 ? 1e-3f : -1e-3f;
      q[v[i]] = v[i + 1] > 0 ? std::max(q[v[i]], std::numeric_limits<float>::min()) : 0.0f;
      ++pinned;
    }
  }
};

void run_model_case(const ModelCase& c, Device dev, double tol) {
  SafetensorsFile f = load_safetensors(kDir + c.fixture + ".safetensors");
  auto model = make_model(c.model, c.opt);
  NamedTensors state = generated_state(*model, f);
  model->to(dev);
  ParameterArena& arena = model->finalize_arena(dev);
  Tensor x = f.get("input").to(dev), labels = f.get("labels").to(dev);
  float smoothing = std::stof(f.metadata.at("label_smoothing"));
  ErrTracker e{tol, 0.0, ""};
  for (std::string mode : {"train", "eval"}) {
    model->load_state_dict(state);  // strict
    arena.zero_grad();
    model->train(mode == "train");
    KinkPinner pin;
    pin.f = &f;
    pin.mode = mode;
    Tensor logits;
    {
      // On CUDA the kinks stay unpinned (its tolerance is 10x looser).
      ObserveForward observe(dev.is_cpu() ? &pin : nullptr);
      logits = (*model)(x);
    }
    Tensor loss = cross_entropy(logits, labels, smoothing);
    loss.backward();
    e.check(mode + "/logits", logits, f.get(mode + "/logits"));
    e.check(mode + "/loss", loss.reshape({1}), f.get(mode + "/loss"));
    for (const auto& seg : arena.segments()) {
      // The gradient must have landed in the grad arena, not in a fresh tensor.
      Tensor g = arena.grad_view(seg);
      std::string full = mode + "/grad/" + seg.name;
      if (f.has(full)) {
        e.check(full, g, f.get(full));
        continue;
      }
      auto gv = g.to_vector();
      auto idx = f.get(mode + "/grad_idx/" + seg.name).to_int_vector();
      std::vector<float> sample;
      for (auto i : idx) sample.push_back(gv[static_cast<size_t>(i)]);
      double m = 0;
      for (float v : gv) m = std::max(m, double(std::fabs(v)));
      auto ref_sample = f.get(mode + "/grad_sample/" + seg.name).to_vector();
      double d = 0;
      for (size_t i = 0; i < sample.size(); ++i) d = std::max(d, std::fabs(double(sample[i]) - ref_sample[i]));
      e.check(mode + "/grad_sample/" + seg.name, m > 0 ? d / m : d);
      auto proj = f.get(mode + "/grad_proj/" + seg.name).to_vector();  // <g,r>, |g|, |r|
      auto r = det_uniform("probe/" + seg.name, seg.numel, -1.0, 1.0);
      double dot = 0, nrm = 0;
      for (size_t i = 0; i < gv.size(); ++i) {
        dot += double(gv[i]) * r[i];
        nrm += double(gv[i]) * gv[i];
      }
      e.check(mode + "/grad_proj/" + seg.name, std::fabs(dot - proj[0]) / (double(proj[1]) * proj[2]));
      e.check(mode + "/grad_norm/" + seg.name, std::fabs(std::sqrt(nrm) - proj[1]) / proj[1]);
    }
    if (mode == "train") {
      for (auto& [name, b] : model->named_buffers()) {
        std::string key = "train/buffer/" + name;
        if (!f.has(key)) continue;
        if (b.dtype() == DType::Int64)
          EXPECT_EQ(b.to_int_vector()[0], f.get(key).to_int_vector()[0]) << name;
        else
          e.check(key, b, f.get(key));
      }
    }
  }
  std::printf("[golden] %-20s on %s: largest relative error %.3g (%s), tolerance %.0e\n", c.fixture,
              dev.str().c_str(), e.worst, e.worst_name.c_str(), tol);
}

void PrintTo(const ModelCase& c, std::ostream* os) { *os << c.fixture; }

class GoldenModel : public ::testing::TestWithParam<ModelCase> {};

}  // namespace

TEST(Golden, LayersCpu) { run_layer_cases(Device::cpu(), 1e-4); }

TEST(Golden, LayersCuda) {
  if (!cuda_available()) GTEST_SKIP() << "no CUDA device: golden layer cases not run on CUDA";
  kernels::Tf32Guard no_tf32;  // a float64 reference: true float32 convolutions
  run_layer_cases(Device::cuda(), 1e-3);
}

TEST_P(GoldenModel, Cpu) { run_model_case(GetParam(), Device::cpu(), 1e-4 * GetParam().tol_scale); }

TEST_P(GoldenModel, Cuda) {
  if (!cuda_available()) GTEST_SKIP() << "no CUDA device: golden model " << GetParam().fixture << " not run on CUDA";
  kernels::Tf32Guard no_tf32;  // a float64 reference: true float32 convolutions
  run_model_case(GetParam(), Device::cuda(), 1e-3 * GetParam().tol_scale);
}

INSTANTIATE_TEST_SUITE_P(Models, GoldenModel, ::testing::ValuesIn(model_cases()),
                         [](const ::testing::TestParamInfo<ModelCase>& i) { return std::string(i.param.fixture); });
