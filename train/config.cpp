#include "train/config.h"

#include <cmath>

#include <algorithm>
#include <set>
#include <sstream>

#include "io/json_text.h"
#include "optim/registry.h"
#include "tensor/device.h"
#include "tensor/error.h"

namespace basin::train {

namespace {

bool one_of(const std::string& v, const std::vector<std::string>& names) {
  return std::find(names.begin(), names.end(), v) != names.end();
}

std::string list(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

#define CHECK_CHOICE(field, names) \
  BASIN_CHECK(one_of(field, names), "train: unknown " #field " '" << field << "' (choose from " << list(names) << ")")

}  // namespace

const std::vector<std::string>& schedule_names() {
  static const std::vector<std::string> v{"none", "step", "cosine", "linear"};
  return v;
}
const std::vector<std::string>& noise_names() {
  static const std::vector<std::string> v{"gaussian", "laplace", "uniform", "binomial", "cauchy"};
  return v;
}
const std::vector<std::string>& sigma_schedule_names() {
  static const std::vector<std::string> v{"constant", "linear", "exponential"};
  return v;
}

std::string join_ints(const std::vector<std::int64_t>& v) {
  std::ostringstream os;
  for (size_t i = 0; i < v.size(); ++i) os << (i ? "," : "") << v[i];
  return os.str();
}

std::vector<std::int64_t> parse_widths(const std::string& s, const char* flag) {
  std::vector<std::int64_t> v;
  std::stringstream ss(s);
  for (std::string p; std::getline(ss, p, ',');) {
    try {
      std::size_t used = 0;
      long long w = std::stoll(p, &used);
      BASIN_CHECK(used == p.size() && w > 0, "");
      v.push_back(w);
    } catch (const std::exception&) {
      BASIN_FAIL(flag << " '" << s << "': expected comma-separated positive widths such as 256,128");
    }
  }
  return v;
}

std::string resolve_device(const std::string& device) {
  if (device != "auto") return device;
  return cuda_available() ? "cuda" : "cpu";
}

std::string resolve_small_input(const std::string& small_input, const std::string& data, int image_size) {
  if (small_input != "auto") return small_input;
  return data == "fashion-mnist" || (image_size > 0 && image_size <= 64) ? "on" : "off";
}

namespace {

// Device::parse with a message naming the flag and what the user wrote.
Device parse_device_flag(const std::string& given, const std::string& resolved) {
  try {
    return Device::parse(resolved);
  } catch (const Error&) {
    BASIN_FAIL("--device '" << given << "': expected auto, cpu, cuda or cuda:N");
  }
}

}  // namespace

Device usable_device(const std::string& device) {
  const Device d = parse_device_flag(device, resolve_device(device));
  if (d.is_cpu()) return d;
  BASIN_CHECK(cuda_available(), "--device " << device << " but no usable CUDA device (this build: "
                                           << (cuda_compiled() ? "with CUDA" : "CPU only") << "); use --device cpu");
  BASIN_CHECK(d.index >= 0 && d.index < cuda_device_count(),
              "--device " << device << " but this machine has " << cuda_device_count() << " CUDA device(s) (cuda:0 to cuda:"
                          << cuda_device_count() - 1 << ")");
  return d;
}

void TrainConfig::resolve() {
  device = resolve_device(device);
  bool gpu = device.rfind("cuda", 0) == 0;
  // A small ResNet is worth its cost only on a GPU; on a CPU the MLP reaches
  // ~88% on Fashion-MNIST in under a minute.
  if (model == "auto") model = gpu ? "resnet18" : "mlp";
  small_input = resolve_small_input(small_input, data, image_size);
  // Only a rate that was not given gets the default: any number the user gives
  // (negative, zero, NaN) is kept and refused by validate().
  if (!lr) lr = optimizer == "adamw" ? 1e-3 : 0.05;
  if (step_size == 0) step_size = std::max(1, epochs / 3);
  // The ramp's length is fixed at the start, so a --resume with more --epochs
  // keeps the schedule the run began with.
  if (sigma_schedule != "constant" && sigma_ramp_epochs == 0) sigma_ramp_epochs = epochs;
  validate();
}

void TrainConfig::validate() const {
  static const std::vector<std::string> models{"mlp", "resnet18", "resnet34", "resnet50"};
  CHECK_CHOICE(model, models);
  BASIN_CHECK(optim::find_optimizer(optimizer),
              "train: unknown optimizer '" << optimizer << "' (choose from " << optim::optimizer_list() << ")");
  CHECK_CHOICE(schedule, schedule_names());
  CHECK_CHOICE(noise, noise_names());
  BASIN_CHECK(one_of(sigma_schedule, sigma_schedule_names()),
              "train: unknown --sigma-schedule '" << sigma_schedule << "' (choose from " << list(sigma_schedule_names())
                                                  << ")");
  static const std::vector<std::string> augments{"none", "flip-crop"};
  CHECK_CHOICE(augment, augments);
  static const std::vector<std::string> onoff{"on", "off"};
  CHECK_CHOICE(small_input, onoff);
  BASIN_CHECK(base_width >= 1 && base_width <= 4096, "train: --base-width must be in [1, 4096], got " << base_width);
  static const std::vector<std::string> nonfinite{"stop", "skip"};
  CHECK_CHOICE(on_nonfinite, nonfinite);
  static const std::vector<std::string> rank_noises{"independent", "shared"};
  CHECK_CHOICE(rank_noise, rank_noises);
  CHECK_CHOICE(overlap_grads, onoff);
  BASIN_CHECK(bucket_mb > 0 && bucket_mb <= 8192, "train: --bucket-mb must be in (0, 8192], got " << bucket_mb);
  BASIN_CHECK(world_size >= 1, "train: world_size must be at least 1, got " << world_size);
  parse_device_flag(device, device);  // throws on anything but cpu / cuda / cuda:N
  BASIN_CHECK(!data.empty(), "train: --data is empty");
  // config.json must record --data exactly for --resume, and JSON text holds only UTF-8.
  BASIN_CHECK(io::is_utf8(data), "train: --data '" << data << "' is not valid UTF-8; config.json could not record "
                                                      "it for --resume. Rename the folder (or link to it by a UTF-8 name)");
  for (const auto& [flag, v] : {std::pair<const char*, double>{"--momentum", momentum}, {"--weight-decay", weight_decay},
                                {"--gamma", gamma}, {"--sigma", sigma}, {"--rho", rho},
                                {"--nso-lambda", nso_lambda}, {"--sigma-start", sigma_start},
                                {"--label-smoothing", label_smoothing}})
    BASIN_CHECK(std::isfinite(v), "train: " << flag << " must be a finite number, got " << v);
  BASIN_CHECK(epochs >= 1, "train: --epochs must be at least 1, got " << epochs);
  BASIN_CHECK(batch_size >= 1, "train: --batch-size must be at least 1, got " << batch_size);
  BASIN_CHECK(lr && *lr > 0 && std::isfinite(*lr),
              "train: --lr must be a positive finite number, got " << lr.value_or(0));
  BASIN_CHECK(momentum >= 0 && momentum < 1, "train: --momentum must be in [0, 1), got " << momentum);
  BASIN_CHECK(weight_decay >= 0, "train: --weight-decay must be >= 0, got " << weight_decay);
  BASIN_CHECK(sigma >= 0, "train: --sigma must be >= 0, got " << sigma);
  BASIN_CHECK(k >= 1, "train: --k must be at least 1, got " << k);
  BASIN_CHECK(nso_lambda >= 0 && nso_lambda < 1, "train: --nso-lambda must be in [0, 1), got " << nso_lambda);
  BASIN_CHECK(sigma_start >= 0, "train: --sigma-start must be >= 0, got " << sigma_start);
  BASIN_CHECK(sigma_schedule != "exponential" || sigma_start > 0,
              "train: --sigma-schedule exponential needs --sigma-start > 0 (it multiplies sigma up from there), got "
                  << sigma_start);
  BASIN_CHECK(sigma_ramp_epochs >= 0, "train: --sigma-ramp-epochs must be >= 0, got " << sigma_ramp_epochs);
  const bool nso_family = optimizer == "nso" || optimizer == "wpsgd";
  BASIN_CHECK(nso_family || nso_lambda == 0,
              "train: --nso-lambda applies to --optimizer nso or wpsgd, not " << optimizer);
  BASIN_CHECK(nso_family || sigma_schedule == "constant",
              "train: --sigma-schedule " << sigma_schedule << " applies to --optimizer nso or wpsgd, not " << optimizer);
  BASIN_CHECK(rho >= 0, "train: --rho must be >= 0, got " << rho);
  BASIN_CHECK(label_smoothing >= 0 && label_smoothing < 1,
              "train: --label-smoothing must be in [0, 1), got " << label_smoothing);
  BASIN_CHECK(workers >= 0, "train: --workers must be >= 0, got " << workers);
  BASIN_CHECK(image_size >= 0 && eval_resize >= 0, "train: --image-size and --eval-resize must be >= 0");
  BASIN_CHECK(limit_train >= 0 && limit_test >= 0 && max_steps >= 0 && log_every >= 0,
              "train: --limit-train, --limit-test, --max-steps and --log-every must be >= 0");
  BASIN_CHECK(warmup_epochs >= 0 && step_size >= 0 && gamma > 0, "train: bad schedule settings");
  static const std::vector<std::string> activations{"relu", "tanh"};
  CHECK_CHOICE(activation, activations);
  BASIN_CHECK(hessian_every >= 0 && hessian_subset >= 1 && hessian_samples >= 1 && hessian_power_iters >= 0,
              "train: --hessian-every must be >= 0, --hessian-subset and --hessian-samples >= 1, "
              "--hessian-lanczos-steps >= 0");
  if (model == "mlp")
    for (auto h : hidden) BASIN_CHECK(h >= 1, "train: --hidden widths must be positive, got " << join_ints(hidden));
}

nlohmann::json to_json(const TrainConfig& c) {
  return nlohmann::json{
      {"data", c.data},           {"limit_train", c.limit_train}, {"limit_test", c.limit_test},
      {"augment", c.augment},     {"image_size", c.image_size},   {"eval_resize", c.eval_resize},
      {"workers", c.workers},     {"shuffle", c.shuffle},         {"model", c.model},
      {"hidden", c.hidden},       {"activation", c.activation}, {"small_input", c.small_input}, {"base_width", c.base_width}, {"init", c.init},
      {"optimizer", c.optimizer}, {"lr", c.lr ? nlohmann::json(*c.lr) : nlohmann::json()},                   {"momentum", c.momentum},
      {"weight_decay", c.weight_decay}, {"schedule", c.schedule}, {"step_size", c.step_size},
      {"gamma", c.gamma},         {"warmup_epochs", c.warmup_epochs}, {"sigma", c.sigma},
      {"k", c.k},                 {"rho", c.rho},                 {"noise", c.noise},
      {"nso_lambda", c.nso_lambda}, {"sigma_schedule", c.sigma_schedule}, {"sigma_start", c.sigma_start},
      {"sigma_ramp_epochs", c.sigma_ramp_epochs},
      {"label_smoothing", c.label_smoothing}, {"epochs", c.epochs}, {"batch_size", c.batch_size},
      {"max_steps", c.max_steps}, {"log_every", c.log_every}, {"seed", c.seed},               {"device", c.device},
      {"on_nonfinite", c.on_nonfinite}, {"out", c.out},           {"json", c.json},
      {"hessian_every", c.hessian_every}, {"hessian_subset", c.hessian_subset},
      {"hessian_samples", c.hessian_samples}, {"hessian_power_iters", c.hessian_power_iters},
      {"tf32", c.tf32},           {"world_size", c.world_size},   {"rank_noise", c.rank_noise},
      {"overlap_grads", c.overlap_grads}, {"bucket_mb", c.bucket_mb}, {"sync_bn", c.sync_bn}};
}

std::vector<std::string> resume_differences(const TrainConfig& a, const TrainConfig& b) {
  static const std::set<std::string> may_change{"epochs", "max_steps", "log_every", "workers", "device", "json", "out",
                                                "batch_size", "world_size", "overlap_grads", "bucket_mb"};
  const nlohmann::json ja = to_json(a), jb = to_json(b);
  std::vector<std::string> keys;
  // Another number of processes is the same run when the global batch is the same.
  if (a.batch_size * a.world_size != b.batch_size * b.world_size) keys.push_back("batch_size");
  for (auto it = ja.begin(); it != ja.end(); ++it)
    if (!may_change.count(it.key()) && (!jb.contains(it.key()) || jb.at(it.key()) != it.value()))
      keys.push_back(it.key());
  return keys;
}

TrainConfig config_from_json(const nlohmann::json& j) {
  BASIN_CHECK(j.is_object(), "config: expected a JSON object, got " << j.type_name());
  TrainConfig c;
  std::set<std::string> known;
  const nlohmann::json defaults = to_json(c);
  for (auto it = defaults.begin(); it != defaults.end(); ++it) known.insert(it.key());
  for (auto it = j.begin(); it != j.end(); ++it)
    BASIN_CHECK(known.count(it.key()), "config: unknown setting '" << it.key() << "'");
  auto get = [&](const char* key, auto& field) {
    if (!j.contains(key)) return;
    try {
      j.at(key).get_to(field);
    } catch (const std::exception& e) {
      BASIN_FAIL("config: setting '" << key << "' has the wrong type: " << e.what());
    }
  };
  get("data", c.data); get("limit_train", c.limit_train); get("limit_test", c.limit_test);
  get("augment", c.augment); get("image_size", c.image_size); get("eval_resize", c.eval_resize);
  get("workers", c.workers); get("shuffle", c.shuffle); get("model", c.model); get("hidden", c.hidden);
  get("activation", c.activation);
  get("small_input", c.small_input); get("base_width", c.base_width); get("init", c.init); get("optimizer", c.optimizer);
  if (j.contains("lr") && !j.at("lr").is_null()) {
    double lr = 0;
    get("lr", lr);
    c.lr = lr;
  }
  get("momentum", c.momentum); get("weight_decay", c.weight_decay); get("schedule", c.schedule);
  get("step_size", c.step_size); get("gamma", c.gamma); get("warmup_epochs", c.warmup_epochs);
  get("sigma", c.sigma); get("k", c.k); get("rho", c.rho); get("noise", c.noise);
  get("nso_lambda", c.nso_lambda); get("sigma_schedule", c.sigma_schedule); get("sigma_start", c.sigma_start);
  get("sigma_ramp_epochs", c.sigma_ramp_epochs);
  get("label_smoothing", c.label_smoothing); get("epochs", c.epochs); get("batch_size", c.batch_size);
  get("max_steps", c.max_steps); get("log_every", c.log_every); get("seed", c.seed); get("device", c.device);
  get("on_nonfinite", c.on_nonfinite); get("out", c.out); get("json", c.json);
  get("hessian_every", c.hessian_every); get("hessian_subset", c.hessian_subset);
  get("hessian_samples", c.hessian_samples); get("hessian_power_iters", c.hessian_power_iters);
  get("tf32", c.tf32);
  get("world_size", c.world_size); get("rank_noise", c.rank_noise);
  get("overlap_grads", c.overlap_grads); get("bucket_mb", c.bucket_mb); get("sync_bn", c.sync_bn);
  return c;
}

}  // namespace basin::train
