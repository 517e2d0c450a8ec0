#pragma once
// Image transforms in torchvision's vocabulary (Resize, CenterCrop,
// RandomResizedCrop, RandomCrop, RandomHorizontalFlip, ToTensor, Normalize),
// composable with Compose. A transform's randomness comes from the SampleRng it
// is handed, which the loader keys by (seed, epoch, sample index): augmentation
// is reproducible and independent of worker count and thread timing.
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "data/image.h"
#include "data/sample_rng.h"

namespace basin::data {

class Transform {
 public:
  virtual ~Transform() = default;
  virtual void apply(Image& img, SampleRng& rng) const = 0;
  virtual std::string name() const = 0;
  // Convenience for callers with no randomness of their own (tests, eval).
  Image operator()(Image img, std::uint64_t seed = 0, std::uint64_t epoch = 0, std::uint64_t index = 0) const;
};
using TransformPtr = std::shared_ptr<const Transform>;

class Compose : public Transform {
 public:
  explicit Compose(std::vector<TransformPtr> steps) : steps_(std::move(steps)) {}
  void apply(Image& img, SampleRng& rng) const override;
  std::string name() const override;  // "Compose(Resize(256), CenterCrop(224), ...)"
  const std::vector<TransformPtr>& steps() const { return steps_; }

 private:
  std::vector<TransformPtr> steps_;
};

// ---- the transforms ---------------------------------------------------------------
// Shorter side to `size`, the longer one to int(size * long / short), bilinear with
// torchvision's antialias (a triangle filter widened by the scale when shrinking).
TransformPtr resize(int size);
// Exact output size (height, width), same filter.
TransformPtr resize_to(int height, int width);
// size x size from the centre; an image smaller than that is padded with zeros.
TransformPtr center_crop(int size);
// Random area fraction in `scale` and aspect ratio in `ratio` (log-uniform), 10
// attempts then a centre crop fallback, resized to size x size (torchvision).
TransformPtr random_resized_crop(int size, std::array<double, 2> scale = {0.08, 1.0},
                                 std::array<double, 2> ratio = {3.0 / 4.0, 4.0 / 3.0});
// Zero padding of `padding` pixels on every side, then a random size x size window.
TransformPtr random_crop(int size, int padding = 0);
TransformPtr random_horizontal_flip(double p = 0.5);
// uint8 HWC -> float CHW in [0, 1]. A float image passes through unchanged.
TransformPtr to_tensor();
// (x - mean[c]) / std[c] on a float CHW image (one value broadcasts to all channels).
TransformPtr normalize(std::vector<float> mean = {0.485f, 0.456f, 0.406f},
                       std::vector<float> std = {0.229f, 0.224f, 0.225f});

// ---- pipelines ---------------------------------------------------------------------
// Evaluation: resize the shorter side to R (default round(S * 8 / 7), i.e. 256 for
// 224), centre-crop S, ToTensor, then Normalize when mean/std are given.
std::shared_ptr<Compose> eval_pipeline(int size, int resize_to_size = 0, std::vector<float> mean = {},
                                       std::vector<float> std = {});
// Training on photos: RandomResizedCrop(S) + flip + ToTensor (+ Normalize).
std::shared_ptr<Compose> train_pipeline(int size, std::vector<float> mean = {}, std::vector<float> std = {});
// Training on small fixed-size images (Fashion-MNIST, CIFAR): RandomCrop(S, pad) + flip.
std::shared_ptr<Compose> small_train_pipeline(int size, int padding, std::vector<float> mean = {},
                                              std::vector<float> std = {});

// ---- the geometry underneath (exposed for tests and for datasets) -------------------
// Window [top, top+h) x [left, left+w); pixels outside the image read as zero.
Image crop(const Image& img, int top, int left, int h, int w);
Image flip_horizontal(const Image& img);
Image resize_bilinear(const Image& img, int out_h, int out_w);

struct CropBox {
  int top, left, height, width;
};
// torchvision's RandomResizedCrop.get_params.
CropBox random_resized_crop_box(int height, int width, std::array<double, 2> scale, std::array<double, 2> ratio,
                                SampleRng& rng);

}  // namespace basin::data
