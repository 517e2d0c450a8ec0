#include "data/transforms.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "data/dataset.h"

namespace basin::data {

Image Transform::operator()(Image img, std::uint64_t seed, std::uint64_t epoch, std::uint64_t index) const {
  SampleRng rng(seed, epoch, index);
  apply(img, rng);
  return img;
}

void Compose::apply(Image& img, SampleRng& rng) const {
  for (auto& s : steps_) s->apply(img, rng);
}

std::string Compose::name() const {
  std::string s = "Compose(";
  for (size_t i = 0; i < steps_.size(); ++i) s += (i ? ", " : "") + steps_[i]->name();
  return s + ")";
}

// ---- geometry -------------------------------------------------------------------------

namespace {

// Element (y, x, c) of either layout.
inline std::size_t at(const Image& im, int y, int x, int c) {
  return im.is_u8() ? (static_cast<std::size_t>(y) * im.width + x) * im.channels + c
                    : (static_cast<std::size_t>(c) * im.height + y) * im.width + x;
}

// Every output size here derives from the input image (Resize of a 1x20000 image
// to a shorter side of 256 would be 256x5120000): bound it before allocating.
// Too large is the sample's fault, so the loader skips it with a warning.
void check_output_size(const Image& src, long long h, long long w, const char* op) {
  const long long c = std::max(src.channels, 1);
  if (h > 0 && w > 0 && (h > kMaxImageValues / w || h * w > kMaxImageValues / c)) {
    std::ostringstream os;
    os << op << ": a " << src.height << "x" << src.width << " image would become " << h << "x" << w << "x" << c
       << " (limit " << kMaxImageValues << " values)";
    throw CorruptSampleError(os.str());
  }
}

Image blank_like(const Image& src, int h, int w) {
  check_output_size(src, h, w, "transform");
  Image out;
  out.height = h, out.width = w, out.channels = src.channels, out.layout = src.layout;
  std::size_t n = static_cast<std::size_t>(h) * w * src.channels;
  if (src.is_u8())
    out.u8.assign(n, 0);
  else
    out.f32.assign(n, 0.0f);
  return out;
}

// One axis of PIL's / torchvision's antialiased bilinear resampling: output i
// covers input [(i)*scale, (i+1)*scale); its centre gets a triangle filter whose
// support widens with the scale when shrinking, weights renormalized at the edges.
struct AxisWeights {
  std::vector<int> first;     // first input index per output
  std::vector<int> count;     // number of taps per output
  std::vector<float> w;       // count.size() * max_taps
  int max_taps = 0;
};

AxisWeights axis_weights(int in, int out) {
  AxisWeights a;
  const double scale = static_cast<double>(in) / out;
  const double fs = std::max(scale, 1.0);
  const double support = fs;  // triangle filter has radius 1, widened by fs
  a.max_taps = static_cast<int>(std::ceil(support)) * 2 + 1;
  a.first.resize(out), a.count.resize(out), a.w.assign(static_cast<size_t>(out) * a.max_taps, 0.0f);
  for (int i = 0; i < out; ++i) {
    const double center = (i + 0.5) * scale;
    int lo = std::max(0, static_cast<int>(center - support + 0.5));
    int hi = std::min(in, static_cast<int>(center + support + 0.5));
    double total = 0;
    std::vector<double> ws;
    for (int j = lo; j < hi; ++j) {
      double d = std::fabs((j - center + 0.5) / fs);
      double wt = d < 1.0 ? 1.0 - d : 0.0;
      ws.push_back(wt);
      total += wt;
    }
    a.first[i] = lo;
    a.count[i] = hi - lo;
    for (int k = 0; k < hi - lo; ++k)
      a.w[static_cast<size_t>(i) * a.max_taps + k] = static_cast<float>(total > 0 ? ws[k] / total : 0.0);
  }
  return a;
}

}  // namespace

Image crop(const Image& img, int top, int left, int h, int w) {
  BASIN_CHECK(h > 0 && w > 0, "crop: window " << h << "x" << w << " of a " << img.str() << " image");
  Image out = blank_like(img, h, w);
  const int y0 = std::max(0, top), y1 = std::min(img.height, top + h);
  const int x0 = std::max(0, left), x1 = std::min(img.width, left + w);
  for (int c = 0; c < img.channels; ++c)
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x) {
        if (img.is_u8())
          out.u8[at(out, y - top, x - left, c)] = img.u8[at(img, y, x, c)];
        else
          out.f32[at(out, y - top, x - left, c)] = img.f32[at(img, y, x, c)];
      }
  return out;
}

Image flip_horizontal(const Image& img) {
  Image out = blank_like(img, img.height, img.width);
  for (int c = 0; c < img.channels; ++c)
    for (int y = 0; y < img.height; ++y)
      for (int x = 0; x < img.width; ++x) {
        if (img.is_u8())
          out.u8[at(out, y, img.width - 1 - x, c)] = img.u8[at(img, y, x, c)];
        else
          out.f32[at(out, y, img.width - 1 - x, c)] = img.f32[at(img, y, x, c)];
      }
  return out;
}

Image resize_bilinear(const Image& img, int out_h, int out_w) {
  BASIN_CHECK(out_h > 0 && out_w > 0 && img.height > 0 && img.width > 0,
              "resize: " << img.str() << " to " << out_h << "x" << out_w);
  if (out_h == img.height && out_w == img.width) return img;
  check_output_size(img, out_h, out_w, "resize");
  check_output_size(img, img.height, out_w, "resize");  // the horizontal pass's buffer
  const int C = img.channels, H = img.height, W = img.width;
  AxisWeights wx = axis_weights(W, out_w), wy = axis_weights(H, out_h);
  // Work plane by plane in float: source plane (H, W) -> horizontal pass (H, out_w)
  // -> vertical pass (out_h, out_w). Plain pointers keep the inner loops tight.
  std::vector<float> plane(static_cast<size_t>(H) * W), tmp(static_cast<size_t>(H) * out_w),
      res(static_cast<size_t>(out_h) * out_w);
  Image out = blank_like(img, out_h, out_w);
  for (int c = 0; c < C; ++c) {
    if (img.is_u8()) {
      for (size_t p = 0; p < plane.size(); ++p) plane[p] = img.u8[p * C + c];
    } else {
      std::copy(img.f32.begin() + c * plane.size(), img.f32.begin() + (c + 1) * plane.size(), plane.begin());
    }
    for (int y = 0; y < H; ++y) {
      const float* src = &plane[static_cast<size_t>(y) * W];
      float* dst = &tmp[static_cast<size_t>(y) * out_w];
      for (int x = 0; x < out_w; ++x) {
        const float* w = &wx.w[static_cast<size_t>(x) * wx.max_taps];
        const float* s0 = src + wx.first[x];
        float acc = 0;
        for (int k = 0; k < wx.count[x]; ++k) acc += w[k] * s0[k];
        dst[x] = acc;
      }
    }
    for (int y = 0; y < out_h; ++y) {
      float* dst = &res[static_cast<size_t>(y) * out_w];
      std::fill(dst, dst + out_w, 0.0f);
      const float* w = &wy.w[static_cast<size_t>(y) * wy.max_taps];
      for (int k = 0; k < wy.count[y]; ++k) {
        const float* src = &tmp[static_cast<size_t>(wy.first[y] + k) * out_w];
        for (int x = 0; x < out_w; ++x) dst[x] += w[k] * src[x];
      }
    }
    if (img.is_u8()) {
      for (size_t p = 0; p < res.size(); ++p)
        out.u8[p * C + c] = static_cast<std::uint8_t>(std::clamp(std::lround(res[p]), 0L, 255L));
    } else {
      std::copy(res.begin(), res.end(), out.f32.begin() + c * res.size());
    }
  }
  return out;
}

CropBox random_resized_crop_box(int height, int width, std::array<double, 2> scale, std::array<double, 2> ratio,
                                SampleRng& rng) {
  const double area = static_cast<double>(height) * width;
  const double log_r0 = std::log(ratio[0]), log_r1 = std::log(ratio[1]);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target_area = area * rng.uniform(scale[0], scale[1]);
    const double aspect = std::exp(rng.uniform(log_r0, log_r1));
    const int w = static_cast<int>(std::nearbyint(std::sqrt(target_area * aspect)));
    const int h = static_cast<int>(std::nearbyint(std::sqrt(target_area / aspect)));
    if (0 < w && w <= width && 0 < h && h <= height) {
      const int top = static_cast<int>(rng.randint(0, height - h + 1));
      const int left = static_cast<int>(rng.randint(0, width - w + 1));
      return {top, left, h, w};
    }
  }
  // Python's round() rounds halves to even: nearbyint does too.
  // Fallback: the whole image, trimmed to the nearest allowed aspect ratio, centred.
  const double in_ratio = static_cast<double>(width) / height;
  int w = width, h = height;
  if (in_ratio < std::min(ratio[0], ratio[1])) {
    h = static_cast<int>(std::nearbyint(w / std::min(ratio[0], ratio[1])));
  } else if (in_ratio > std::max(ratio[0], ratio[1])) {
    w = static_cast<int>(std::nearbyint(h * std::max(ratio[0], ratio[1])));
  }
  return {(height - h) / 2, (width - w) / 2, h, w};
}

// ---- the transforms --------------------------------------------------------------------

namespace {

class ResizeShorter : public Transform {
 public:
  explicit ResizeShorter(int size) : size_(size) { BASIN_CHECK(size > 0, "Resize: size " << size); }
  void apply(Image& img, SampleRng&) const override {
    BASIN_CHECK(img.height > 0 && img.width > 0, "Resize: empty image " << img.str());
    const bool tall = img.height >= img.width;
    const int shorter = tall ? img.width : img.height, longer = tall ? img.height : img.width;
    const long long new_long_ll = static_cast<long long>(size_) * longer / shorter;
    if (tall) check_output_size(img, new_long_ll, size_, "Resize");
    else check_output_size(img, size_, new_long_ll, "Resize");
    const int new_long = static_cast<int>(new_long_ll);
    img = tall ? resize_bilinear(img, new_long, size_) : resize_bilinear(img, size_, new_long);
  }
  std::string name() const override { return "Resize(" + std::to_string(size_) + ")"; }

 private:
  int size_;
};

class ResizeTo : public Transform {
 public:
  ResizeTo(int h, int w) : h_(h), w_(w) { BASIN_CHECK(h > 0 && w > 0, "Resize: size " << h << "x" << w); }
  void apply(Image& img, SampleRng&) const override { img = resize_bilinear(img, h_, w_); }
  std::string name() const override { return "Resize(" + std::to_string(h_) + ", " + std::to_string(w_) + ")"; }

 private:
  int h_, w_;
};

class CenterCrop : public Transform {
 public:
  explicit CenterCrop(int size) : size_(size) { BASIN_CHECK(size > 0, "CenterCrop: size " << size); }
  void apply(Image& img, SampleRng&) const override {
    if (img.height == size_ && img.width == size_) return;
    // torchvision: int(round((h - size) / 2)), Python's round-half-even (nearbyint);
    // negative offsets pad with zeros.
    const int top = static_cast<int>(std::nearbyint((img.height - size_) / 2.0));
    const int left = static_cast<int>(std::nearbyint((img.width - size_) / 2.0));
    img = crop(img, top, left, size_, size_);
  }
  std::string name() const override { return "CenterCrop(" + std::to_string(size_) + ")"; }

 private:
  int size_;
};

class RandomResizedCrop : public Transform {
 public:
  RandomResizedCrop(int size, std::array<double, 2> scale, std::array<double, 2> ratio)
      : size_(size), scale_(scale), ratio_(ratio) {
    BASIN_CHECK(size > 0 && scale[0] > 0 && scale[0] <= scale[1] && ratio[0] > 0 && ratio[0] <= ratio[1],
                "RandomResizedCrop: size " << size << ", scale (" << scale[0] << ", " << scale[1] << "), ratio ("
                                           << ratio[0] << ", " << ratio[1] << ")");
  }
  void apply(Image& img, SampleRng& rng) const override {
    BASIN_CHECK(img.height > 0 && img.width > 0, "RandomResizedCrop: empty image " << img.str());
    CropBox b = random_resized_crop_box(img.height, img.width, scale_, ratio_, rng);
    img = resize_bilinear(crop(img, b.top, b.left, b.height, b.width), size_, size_);
  }
  std::string name() const override { return "RandomResizedCrop(" + std::to_string(size_) + ")"; }

 private:
  int size_;
  std::array<double, 2> scale_, ratio_;
};

class RandomCrop : public Transform {
 public:
  RandomCrop(int size, int padding) : size_(size), pad_(padding) {
    BASIN_CHECK(size > 0 && padding >= 0, "RandomCrop: size " << size << ", padding " << padding);
  }
  void apply(Image& img, SampleRng& rng) const override {
    const int ph = img.height + 2 * pad_, pw = img.width + 2 * pad_;
    BASIN_CHECK(ph >= size_ && pw >= size_, "RandomCrop(" << size_ << ", padding " << pad_ << "): image "
                                                          << img.str() << " is smaller than the crop");
    const int top = static_cast<int>(rng.randint(0, ph - size_ + 1));
    const int left = static_cast<int>(rng.randint(0, pw - size_ + 1));
    img = crop(img, top - pad_, left - pad_, size_, size_);
  }
  std::string name() const override {
    return "RandomCrop(" + std::to_string(size_) + ", padding=" + std::to_string(pad_) + ")";
  }

 private:
  int size_, pad_;
};

class RandomHorizontalFlip : public Transform {
 public:
  explicit RandomHorizontalFlip(double p) : p_(p) {}
  void apply(Image& img, SampleRng& rng) const override {
    if (rng.uniform() < p_) img = flip_horizontal(img);
  }
  std::string name() const override {
    std::ostringstream os;
    os << "RandomHorizontalFlip(" << p_ << ")";
    return os.str();
  }

 private:
  double p_;
};

class ToTensor : public Transform {
 public:
  void apply(Image& img, SampleRng&) const override {
    if (!img.is_u8()) return;
    std::vector<float> v(img.numel());
    write_chw_float(img, v.data());
    img = Image::chw_f32(img.height, img.width, img.channels, std::move(v));
  }
  std::string name() const override { return "ToTensor()"; }
};

class Normalize : public Transform {
 public:
  Normalize(std::vector<float> mean, std::vector<float> std) : mean_(std::move(mean)), std_(std::move(std)) {
    BASIN_CHECK(!mean_.empty() && mean_.size() == std_.size(),
                "Normalize: " << mean_.size() << " means and " << std_.size() << " stds");
    for (float s : std_) BASIN_CHECK(s > 0, "Normalize: std " << s << " must be positive");
  }
  void apply(Image& img, SampleRng&) const override {
    BASIN_CHECK(!img.is_u8(), "Normalize: needs a float image (put ToTensor before it), got " << img.str());
    BASIN_CHECK(mean_.size() == 1 || static_cast<int>(mean_.size()) == img.channels,
                "Normalize: " << mean_.size() << " means for a " << img.channels << "-channel image");
    const std::size_t hw = static_cast<std::size_t>(img.height) * img.width;
    for (int c = 0; c < img.channels; ++c) {
      const float m = mean_[mean_.size() == 1 ? 0 : c], inv = 1.0f / std_[std_.size() == 1 ? 0 : c];
      float* p = img.f32.data() + c * hw;
      for (std::size_t i = 0; i < hw; ++i) p[i] = (p[i] - m) * inv;
    }
  }
  std::string name() const override { return "Normalize(" + std::to_string(mean_.size()) + " channels)"; }

 private:
  std::vector<float> mean_, std_;
};

void add_normalize(std::vector<TransformPtr>& steps, std::vector<float> mean, std::vector<float> std) {
  if (!mean.empty() || !std.empty()) steps.push_back(normalize(std::move(mean), std::move(std)));
}

}  // namespace

TransformPtr resize(int size) { return std::make_shared<ResizeShorter>(size); }
TransformPtr resize_to(int h, int w) { return std::make_shared<ResizeTo>(h, w); }
TransformPtr center_crop(int size) { return std::make_shared<CenterCrop>(size); }
TransformPtr random_resized_crop(int size, std::array<double, 2> scale, std::array<double, 2> ratio) {
  return std::make_shared<RandomResizedCrop>(size, scale, ratio);
}
TransformPtr random_crop(int size, int padding) { return std::make_shared<RandomCrop>(size, padding); }
TransformPtr random_horizontal_flip(double p) { return std::make_shared<RandomHorizontalFlip>(p); }
TransformPtr to_tensor() { return std::make_shared<ToTensor>(); }
TransformPtr normalize(std::vector<float> mean, std::vector<float> std) {
  return std::make_shared<Normalize>(std::move(mean), std::move(std));
}

std::shared_ptr<Compose> eval_pipeline(int size, int resize_to_size, std::vector<float> mean, std::vector<float> std) {
  BASIN_CHECK(size > 0, "eval_pipeline: size " << size);
  if (resize_to_size <= 0) resize_to_size = static_cast<int>(std::lround(size * 8.0 / 7.0));
  std::vector<TransformPtr> steps{resize(resize_to_size), center_crop(size), to_tensor()};
  add_normalize(steps, std::move(mean), std::move(std));
  return std::make_shared<Compose>(std::move(steps));
}

std::shared_ptr<Compose> train_pipeline(int size, std::vector<float> mean, std::vector<float> std) {
  std::vector<TransformPtr> steps{random_resized_crop(size), random_horizontal_flip(), to_tensor()};
  add_normalize(steps, std::move(mean), std::move(std));
  return std::make_shared<Compose>(std::move(steps));
}

std::shared_ptr<Compose> small_train_pipeline(int size, int padding, std::vector<float> mean, std::vector<float> std) {
  std::vector<TransformPtr> steps{random_crop(size, padding), random_horizontal_flip(), to_tensor()};
  add_normalize(steps, std::move(mean), std::move(std));
  return std::make_shared<Compose>(std::move(steps));
}

}  // namespace basin::data
