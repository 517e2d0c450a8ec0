#include "nn/models/factory.h"

#include "nn/models/mlp.h"
#include "nn/models/resnet.h"

namespace basin::nn {

std::vector<std::string> model_names() { return {"mlp", "resnet18", "resnet34", "resnet50"}; }

std::shared_ptr<Module> make_model(const std::string& name, const ModelOptions& options) {
  if (name == "mlp") return mlp(options);
  if (name == "resnet18") return resnet18(options);
  if (name == "resnet34") return resnet34(options);
  if (name == "resnet50") return resnet50(options);
  BASIN_FAIL("make_model: unknown model '" << name << "' (known: mlp, resnet18, resnet34, resnet50)");
}

}  // namespace basin::nn
