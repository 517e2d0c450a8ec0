#include "nn/models/mlp.h"

#include <sstream>

namespace basin::nn {

MLP::MLP(const ModelOptions& opt) : Module("MLP"), opt_(opt) {
  BASIN_CHECK(opt.input_features > 0, "MLP: input_features must be set (e.g. 784 for 1x28x28 images), got "
                                          << opt.input_features);
  BASIN_CHECK(opt.num_classes > 0, "MLP: num_classes must be positive, got " << opt.num_classes);
  BASIN_CHECK(opt.activation == "relu" || opt.activation == "tanh",
              "MLP: activation must be relu or tanh, got '" << opt.activation << "'");
  InitRng rng(opt.seed);
  flatten_ = register_module("flatten", std::make_shared<Flatten>(1));
  layers_ = register_module("layers", std::make_shared<Sequential>());
  std::int64_t in = opt.input_features;
  for (std::int64_t h : opt.hidden) {
    BASIN_CHECK(h > 0, "MLP: hidden widths must be positive, got " << h);
    layers_->push_back(std::make_shared<Linear>(in, h, true, rng));
    if (opt.activation == "relu")
      layers_->push_back(std::make_shared<ReLU>());
    else
      layers_->push_back(std::make_shared<Tanh>());
    in = h;
  }
  layers_->push_back(std::make_shared<Linear>(in, opt.num_classes, true, rng));
}

Tensor MLP::forward(const Tensor& x) {
  Tensor f = (*flatten_)(x);
  BASIN_CHECK(f.dim() == 2 && f.shape()[1] == opt_.input_features,
              "MLP: input " << shape_str(x.shape()) << " does not flatten to [N, " << opt_.input_features << "]");
  return (*layers_)(f);
}

std::string MLP::extra_repr() const {
  std::ostringstream os;
  os << "in=" << opt_.input_features << ", hidden=[";
  for (size_t i = 0; i < opt_.hidden.size(); ++i) os << (i ? ", " : "") << opt_.hidden[i];
  os << "], classes=" << opt_.num_classes << ", " << opt_.activation;
  return os.str();
}

std::shared_ptr<MLP> mlp(const ModelOptions& opt) { return std::make_shared<MLP>(opt); }

}  // namespace basin::nn
