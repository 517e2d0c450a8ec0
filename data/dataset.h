#pragma once
// Dataset: random access to labelled images. get(i) returns the decoded image as
// 8-bit HWC pixels with channels() channels; transforms and batching are the
// loader's business (data/loader.h). Implementations must allow get() from several
// threads at once.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/image.h"
#include "tensor/error.h"

namespace basin::data {

struct Sample {
  Image image;
  std::int64_t label = 0;
};

// Thrown by get() for one unreadable or corrupt file that the loader may skip
// (with a warning) instead of stopping training. Every other error is fatal.
struct CorruptSampleError : Error {
  using Error::Error;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual std::int64_t size() const = 0;
  virtual Sample get(std::int64_t index) const = 0;
  virtual const std::vector<std::string>& class_names() const = 0;
  std::int64_t num_classes() const { return static_cast<std::int64_t>(class_names().size()); }
  virtual int channels() const = 0;
  // Where the samples come from, for messages ("fashion-mnist train", a folder).
  virtual std::string description() const = 0;
  // How error messages name sample i (ImageFolder: its file path).
  virtual std::string sample_name(std::int64_t index) const {
    return description() + " sample " + std::to_string(index);
  }
};
using DatasetPtr = std::shared_ptr<const Dataset>;

struct DatasetPair {
  DatasetPtr train, test;
};

}  // namespace basin::data
