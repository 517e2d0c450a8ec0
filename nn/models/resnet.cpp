#include "nn/models/resnet.h"

#include <sstream>

#include "autograd/ops.h"

namespace basin::nn {

namespace {
std::shared_ptr<Sequential> make_downsample(std::int64_t in, std::int64_t out, int stride, InitRng& rng) {
  auto ds = std::make_shared<Sequential>();
  ds->push_back(std::make_shared<Conv2d>(in, out, 1, stride, 0, false, rng));
  ds->push_back(std::make_shared<BatchNorm2d>(out));
  return ds;
}
}  // namespace

BasicBlock::BasicBlock(std::int64_t inplanes, std::int64_t planes, int stride, bool downsample, InitRng& rng)
    : Module("BasicBlock") {
  conv1_ = register_module("conv1", std::make_shared<Conv2d>(inplanes, planes, 3, stride, 1, false, rng));
  bn1_ = register_module("bn1", std::make_shared<BatchNorm2d>(planes));
  relu_ = register_module("relu", std::make_shared<ReLU>());
  conv2_ = register_module("conv2", std::make_shared<Conv2d>(planes, planes, 3, 1, 1, false, rng));
  bn2_ = register_module("bn2", std::make_shared<BatchNorm2d>(planes));
  if (downsample) downsample_ = register_module("downsample", make_downsample(inplanes, planes * expansion, stride, rng));
}

Tensor BasicBlock::forward(const Tensor& x) {
  Tensor out = (*relu_)((*bn1_)((*conv1_)(x)));
  out = (*bn2_)((*conv2_)(out));
  Tensor identity = downsample_ ? (*downsample_)(x) : x;
  return (*relu_)(out + identity);
}

Bottleneck::Bottleneck(std::int64_t inplanes, std::int64_t planes, int stride, bool downsample, InitRng& rng)
    : Module("Bottleneck") {
  conv1_ = register_module("conv1", std::make_shared<Conv2d>(inplanes, planes, 1, 1, 0, false, rng));
  bn1_ = register_module("bn1", std::make_shared<BatchNorm2d>(planes));
  conv2_ = register_module("conv2", std::make_shared<Conv2d>(planes, planes, 3, stride, 1, false, rng));
  bn2_ = register_module("bn2", std::make_shared<BatchNorm2d>(planes));
  conv3_ = register_module("conv3", std::make_shared<Conv2d>(planes, planes * expansion, 1, 1, 0, false, rng));
  bn3_ = register_module("bn3", std::make_shared<BatchNorm2d>(planes * expansion));
  relu_ = register_module("relu", std::make_shared<ReLU>());
  if (downsample) downsample_ = register_module("downsample", make_downsample(inplanes, planes * expansion, stride, rng));
}

Tensor Bottleneck::forward(const Tensor& x) {
  Tensor out = (*relu_)((*bn1_)((*conv1_)(x)));
  out = (*relu_)((*bn2_)((*conv2_)(out)));
  out = (*bn3_)((*conv3_)(out));
  Tensor identity = downsample_ ? (*downsample_)(x) : x;
  return (*relu_)(out + identity);
}

ResNet::ResNet(ResNetBlock block, std::array<int, 4> layers, const ModelOptions& opt)
    : Module("ResNet"), block_(block), opt_(opt) {
  BASIN_CHECK(opt.num_classes > 0 && opt.in_channels > 0,
              "ResNet: num_classes and in_channels must be positive, got " << opt.num_classes << ", " << opt.in_channels);
  BASIN_CHECK(opt.base_width >= 1, "ResNet: base_width must be positive, got " << opt.base_width);
  InitRng rng(opt.seed);
  const std::int64_t w = opt.base_width;
  inplanes_ = w;
  if (opt.cifar_stem)
    conv1_ = register_module("conv1", std::make_shared<Conv2d>(opt.in_channels, w, 3, 1, 1, false, rng));
  else
    conv1_ = register_module("conv1", std::make_shared<Conv2d>(opt.in_channels, w, 7, 2, 3, false, rng));
  bn1_ = register_module("bn1", std::make_shared<BatchNorm2d>(w));
  relu_ = register_module("relu", std::make_shared<ReLU>());
  if (!opt.cifar_stem) maxpool_ = register_module("maxpool", std::make_shared<MaxPool2d>(3, 2, 1));
  const std::int64_t planes[4] = {w, 2 * w, 4 * w, 8 * w};
  for (int i = 0; i < 4; ++i)
    layer_[i] = register_module("layer" + std::to_string(i + 1), make_layer(planes[i], layers[i], i == 0 ? 1 : 2, rng));
  avgpool_ = register_module("avgpool", std::make_shared<AdaptiveAvgPool2d>(1, 1));
  std::int64_t expansion = block == ResNetBlock::Basic ? BasicBlock::expansion : Bottleneck::expansion;
  fc_ = register_module("fc", std::make_shared<Linear>(8 * w * expansion, opt.num_classes, true, rng));

  // torchvision's second pass: convolutions kaiming_normal(fan_out, relu), BN 1/0
  // (already so by construction), optionally zero the last BN of each block.
  for (auto& [name, m] : named_modules()) {
    if (auto* conv = dynamic_cast<Conv2d*>(m)) {
      Tensor w = conv->weight();
      kaiming_normal_fan_out_relu_(w, rng);
    }
  }
  if (opt.zero_init_residual) {
    for (auto& [name, m] : named_modules()) {
      BatchNorm2d* bn = nullptr;
      if (auto* b = dynamic_cast<BasicBlock*>(m)) bn = &b->last_bn();
      if (auto* b = dynamic_cast<Bottleneck*>(m)) bn = &b->last_bn();
      if (bn) {
        Tensor w = bn->weight();
        w.zero_();
      }
    }
  }
}

std::shared_ptr<Sequential> ResNet::make_layer(std::int64_t planes, int blocks, int stride, InitRng& rng) {
  auto seq = std::make_shared<Sequential>();
  std::int64_t expansion = block_ == ResNetBlock::Basic ? BasicBlock::expansion : Bottleneck::expansion;
  bool downsample = stride != 1 || inplanes_ != planes * expansion;
  for (int b = 0; b < blocks; ++b) {
    int s = b == 0 ? stride : 1;
    bool ds = b == 0 && downsample;
    if (block_ == ResNetBlock::Basic)
      seq->push_back(std::make_shared<BasicBlock>(inplanes_, planes, s, ds, rng));
    else
      seq->push_back(std::make_shared<Bottleneck>(inplanes_, planes, s, ds, rng));
    inplanes_ = planes * expansion;
  }
  return seq;
}

Tensor ResNet::forward(const Tensor& x) {
  BASIN_CHECK(x.dim() == 4 && x.shape()[1] == opt_.in_channels,
              "ResNet: input " << shape_str(x.shape()) << " is not [N, " << opt_.in_channels << ", H, W]");
  Tensor y = (*relu_)((*bn1_)((*conv1_)(x)));
  if (maxpool_) y = (*maxpool_)(y);
  for (auto& l : layer_) y = (*l)(y);
  y = (*avgpool_)(y).flatten(1);
  return (*fc_)(y);
}

std::string ResNet::extra_repr() const {
  std::ostringstream os;
  os << (block_ == ResNetBlock::Basic ? "BasicBlock" : "Bottleneck") << ", classes=" << opt_.num_classes
     << ", in_channels=" << opt_.in_channels << (opt_.cifar_stem ? ", cifar stem" : "");
  if (opt_.base_width != 64) os << ", base_width=" << opt_.base_width;
  return os.str();
}

std::shared_ptr<ResNet> resnet18(const ModelOptions& opt) {
  return std::make_shared<ResNet>(ResNetBlock::Basic, std::array<int, 4>{2, 2, 2, 2}, opt);
}
std::shared_ptr<ResNet> resnet34(const ModelOptions& opt) {
  return std::make_shared<ResNet>(ResNetBlock::Basic, std::array<int, 4>{3, 4, 6, 3}, opt);
}
std::shared_ptr<ResNet> resnet50(const ModelOptions& opt) {
  return std::make_shared<ResNet>(ResNetBlock::Bottleneck, std::array<int, 4>{3, 4, 6, 3}, opt);
}

}  // namespace basin::nn
