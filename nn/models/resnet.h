#pragma once
// ResNet-18/34 (BasicBlock) and ResNet-50 (Bottleneck) with torchvision's
// architecture (v1.5: the stride sits on the 3x3 convolution of a bottleneck),
// module names and initialization, so state_dicts exchange with torchvision:
//   conv1, bn1, layer1.0.conv1, layer1.0.bn1, ..., layer2.0.downsample.0 (conv),
//   layer2.0.downsample.1 (bn), ..., fc.
#include <array>
#include <memory>

#include "nn/layers.h"
#include "nn/models/options.h"

namespace basin::nn {

class BasicBlock : public Module {
 public:
  static constexpr std::int64_t expansion = 1;
  BasicBlock(std::int64_t inplanes, std::int64_t planes, int stride, bool downsample, InitRng& rng);
  Tensor forward(const Tensor& x) override;
  BatchNorm2d& last_bn() { return *bn2_; }

 private:
  std::shared_ptr<Conv2d> conv1_, conv2_;
  std::shared_ptr<BatchNorm2d> bn1_, bn2_;
  std::shared_ptr<ReLU> relu_;
  std::shared_ptr<Sequential> downsample_;
};

class Bottleneck : public Module {
 public:
  static constexpr std::int64_t expansion = 4;
  Bottleneck(std::int64_t inplanes, std::int64_t planes, int stride, bool downsample, InitRng& rng);
  Tensor forward(const Tensor& x) override;
  BatchNorm2d& last_bn() { return *bn3_; }

 private:
  std::shared_ptr<Conv2d> conv1_, conv2_, conv3_;
  std::shared_ptr<BatchNorm2d> bn1_, bn2_, bn3_;
  std::shared_ptr<ReLU> relu_;
  std::shared_ptr<Sequential> downsample_;
};

enum class ResNetBlock { Basic, Bottleneck };

class ResNet : public Module {
 public:
  ResNet(ResNetBlock block, std::array<int, 4> layers, const ModelOptions& opt);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

 private:
  std::shared_ptr<Sequential> make_layer(std::int64_t planes, int blocks, int stride, InitRng& rng);

  ResNetBlock block_;
  std::int64_t inplanes_ = 64;
  ModelOptions opt_;
  std::shared_ptr<Conv2d> conv1_;
  std::shared_ptr<BatchNorm2d> bn1_;
  std::shared_ptr<ReLU> relu_;
  std::shared_ptr<MaxPool2d> maxpool_;  // null with the CIFAR stem
  std::array<std::shared_ptr<Sequential>, 4> layer_;
  std::shared_ptr<AdaptiveAvgPool2d> avgpool_;
  std::shared_ptr<Linear> fc_;
};

std::shared_ptr<ResNet> resnet18(const ModelOptions& opt = {});
std::shared_ptr<ResNet> resnet34(const ModelOptions& opt = {});
std::shared_ptr<ResNet> resnet50(const ModelOptions& opt = {});

}  // namespace basin::nn
