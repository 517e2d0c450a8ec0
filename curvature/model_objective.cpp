#include "curvature/model_objective.h"

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "kernels/conv.h"
#include "kernels/fill_copy.h"
#include "nn/activation_pattern.h"

namespace basin::curvature {

namespace {

// Switches the model to eval mode for one evaluation and back afterwards.
class EvalMode {
 public:
  explicit EvalMode(nn::Module& m) : m_(m), was_training_(m.is_training()) { m_.eval(); }
  ~EvalMode() { m_.train(was_training_); }

 private:
  nn::Module& m_;
  bool was_training_;
};

struct State {
  nn::Module* model = nullptr;
  std::vector<LabeledBatch> batches;
  std::int64_t total = 0;
  float label_smoothing = 0;
  std::unique_ptr<nn::ActivationPattern> pattern;  // set between freeze and release

  // One pass over every batch; with `grad`, the arena's gradient holds d(mean loss)/dW.
  float pass(bool grad) {
    // True float32 convolutions: finite differences over t ~ 1e-3 of TF32's
    // ~1e-3 relative rounding would be noise (the CPU ignores the policy).
    kernels::Tf32Guard no_tf32;
    EvalMode eval(*model);
    nn::ActivationPattern* installed = pattern.get();
    nn::ActivationPattern*& slot = nn::active_activation_pattern();
    nn::ActivationPattern* prev = slot;
    slot = installed;
    if (installed) installed->next = 0;
    struct Uninstall {
      nn::ActivationPattern*& slot;
      nn::ActivationPattern* prev;
      ~Uninstall() { slot = prev; }
    } uninstall{slot, prev};
    if (grad) model->zero_grad();
    double loss = 0;
    for (const auto& b : batches) {
      const float w = static_cast<float>(b.labels.numel()) / static_cast<float>(total);
      if (grad) {
        Tensor l = mul(cross_entropy((*model)(b.inputs), b.labels, label_smoothing), w);
        loss += l.item();
        l.backward();
      } else {
        NoGradGuard no_grad;
        loss += mul(cross_entropy((*model)(b.inputs), b.labels, label_smoothing), w).item();
      }
    }
    return static_cast<float>(loss);
  }
};

}  // namespace

Objective model_objective(nn::Module& model, const std::vector<LabeledBatch>& batches,
                          const ModelObjectiveOptions& options) {
  BASIN_CHECK(model.has_arena(), "model_objective: the model has no parameter arena (call finalize_arena first)");
  BASIN_CHECK(!batches.empty(), "model_objective: no batches");
  nn::ParameterArena& arena = model.arena();
  auto st = std::make_shared<State>();
  st->model = &model;
  st->label_smoothing = options.label_smoothing;
  for (const auto& b : batches) {
    BASIN_CHECK(b.inputs.defined() && b.labels.defined() && b.labels.dim() == 1 &&
                    b.inputs.dim() >= 1 && b.inputs.size(0) == b.labels.size(0),
                "model_objective: a batch needs inputs [N, ...] and labels [N], got "
                    << (b.inputs.defined() ? shape_str(b.inputs.shape()) : "none") << " and "
                    << (b.labels.defined() ? shape_str(b.labels.shape()) : "none"));
    st->batches.push_back({b.inputs.to(arena.device()).detach(), b.labels.to(arena.device()).detach()});
    st->total += b.labels.numel();
  }
  Objective f;
  f.params = arena.params();
  for (const auto& s : arena.segments()) f.blocks.push_back({s.name, s.offset, s.numel});
  f.padded = true;  // the gaps between segments are the arena's alignment padding
  nn::ParameterArena* ar = &arena;
  f.loss = [st] { return st->pass(false); };
  f.loss_and_grad = [st, ar](Tensor& g) {
    float l = st->pass(true);
    kernels::copy(ar->grads(), g);
    return l;
  };
  f.freeze_pattern = [st] {
    st->pattern.reset();
    auto p = std::make_unique<nn::ActivationPattern>();
    p->mode = nn::ActivationPattern::Mode::Record;
    st->pattern = std::move(p);
    st->pass(false);  // records the masks at the current W
    st->pattern->mode = nn::ActivationPattern::Mode::Replay;
  };
  f.release_pattern = [st] { st->pattern.reset(); };
  return f;
}

}  // namespace basin::curvature
