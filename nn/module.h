#pragma once
// Module: the unit models are built from. A module owns named parameters
// (trainable float32 tensors), named buffers (state that is saved but not
// trained, e.g. batch-norm running statistics) and named child modules. Names
// nest with dots, as in PyTorch: a ResNet's state holds "layer1.0.bn1.running_mean".
//
// Parameters are registered as Tensor handles; a layer keeps its own copy of the
// handle (e.g. `weight_`). Because a Tensor is a shared handle to one TensorImpl,
// anything that must relocate a parameter (the parameter arena, to(Device))
// rewires the TensorImpl in place, so every holder of the handle sees the move.
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "nn/arena.h"
#include "nn/state_dict.h"
#include "tensor/tensor.h"

namespace basin::nn {

class Module {
 public:
  explicit Module(std::string type_name) : type_name_(std::move(type_name)) {}
  virtual ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The computation. Layers call their children through operator(), never
  // forward() directly, so that observers (nn/summary.h) see every call.
  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x);

  // "Conv2d", "BatchNorm2d", "ResNet", ...
  const std::string& type_name() const { return type_name_; }
  // One line describing the configuration, e.g. "64, 128, kernel=3, stride=2".
  virtual std::string extra_repr() const { return ""; }
  // Multiply-accumulates of one forward call that mapped `in` to `out` (matmul-like
  // layers only; 0 for the rest). Used by nn/summary.h.
  virtual std::int64_t macs(const Shape& in, const Shape& out) const;

  // ---- structure -----------------------------------------------------------
  // Recursive, depth-first, in registration order; names are dotted paths.
  NamedTensors named_parameters() const;
  NamedTensors named_buffers() const;
  std::vector<Tensor> parameters() const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const { return children_; }
  // Every module below this one (not this one), with dotted names.
  std::vector<std::pair<std::string, Module*>> named_modules();
  std::shared_ptr<Module> child(const std::string& name) const;  // nullptr when absent
  std::int64_t num_parameters() const;

  // ---- mode ------------------------------------------------------------------
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // ---- state -------------------------------------------------------------------
  // Parameters then buffers of each module, parents before children (PyTorch's
  // order). The tensors are the live ones (no copies).
  NamedTensors state_dict() const;
  // Copies `state` into the live tensors in place (so arena views stay valid).
  // See LoadOptions / LoadReport in nn/state_dict.h for strict, non-strict and
  // fine-tuning modes; a failing strict load throws basin::Error listing names.
  LoadReport load_state_dict(const NamedTensors& state, const LoadOptions& options = {});

  // Moves parameters, gradients and buffers to `device`, in place. A finalized
  // arena is rebuilt on the new device.
  void to(Device device);

  // ---- parameter arena (nn/arena.h) ----------------------------------------------
  // Moves all parameters into one contiguous float32 buffer on `device` (and
  // their gradients into a second one). Call once after construction; calling
  // again rebuilds it (e.g. on another device).
  ParameterArena& finalize_arena(Device device);
  ParameterArena& finalize_arena() { return finalize_arena(device()); }
  bool has_arena() const { return arena_ != nullptr; }
  ParameterArena& arena();
  // Zeroes the gradient arena (or each parameter's .grad without an arena).
  void zero_grad();
  // Device of the first parameter or buffer (CPU for a module without state).
  Device device() const;

 protected:
  // Registration returns the handle so layers can keep it as a member. Names
  // must be unique within one module and contain no dots.
  Tensor register_parameter(const std::string& name, Tensor t);
  Tensor register_buffer(const std::string& name, Tensor t);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    add_child(name, m);
    return m;
  }
  // Called on every module after load_state_dict wrote into its tensors
  // (BatchNorm2d drops its cached copy of num_batches_tracked).
  virtual void on_state_loaded() {}
  // Buffers a state may lack without failing a strict load: the module keeps the
  // value it has (reported in LoadReport::kept). BatchNorm2d: num_batches_tracked.
  virtual bool buffer_is_optional(const std::string& /*name*/) const { return false; }
  // Called after train()/eval() changed the mode of this module.
  virtual void on_mode_changed() {}

 private:
  void add_child(const std::string& name, std::shared_ptr<Module> m);
  void check_new_name(const std::string& name) const;
  void collect(const std::string& prefix, bool params, bool buffers, NamedTensors& out) const;
  void notify_loaded();
  // Dotted names of every optional buffer below (and in) this module.
  std::set<std::string> optional_buffer_names();

  std::string type_name_;
  bool training_ = true;
  NamedTensors params_;
  NamedTensors buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  std::unique_ptr<ParameterArena> arena_;
};

using ModulePtr = std::shared_ptr<Module>;

// Free-function form of Module::finalize_arena, for code that reads better so.
inline ParameterArena& finalize_arena(Module& model, Device device) { return model.finalize_arena(device); }

// Observes every Module::operator() call on this thread while installed
// (nn/summary.h uses it to record output shapes). Not re-entrant; one at a time.
struct ForwardObserver {
  virtual ~ForwardObserver() = default;
  virtual void after_forward(Module& m, const Tensor& in, const Tensor& out) = 0;
};
class ObserveForward {
 public:
  explicit ObserveForward(ForwardObserver* obs);
  ~ObserveForward();
  ObserveForward(const ObserveForward&) = delete;
  ObserveForward& operator=(const ObserveForward&) = delete;

 private:
  ForwardObserver* prev_;
};

}  // namespace basin::nn
