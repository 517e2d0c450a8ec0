#include "optim/sgd.h"

namespace basin::optim {

SGD::SGD(ArenaRef arena, SgdOptions opt) : BaseOptimizer(std::move(arena), "SGD"), opt_(opt) {
  BASIN_CHECK(opt_.lr >= 0 && opt_.momentum >= 0 && opt_.weight_decay >= 0,
              "SGD: lr, momentum and weight_decay must be >= 0 (lr " << opt_.lr << ", momentum " << opt_.momentum
                                                                     << ", weight_decay " << opt_.weight_decay << ")");
  BASIN_CHECK(!opt_.nesterov || (opt_.momentum > 0 && opt_.dampening == 0),
              "SGD: Nesterov momentum requires a momentum and zero dampening (as in PyTorch)");
  if (opt_.momentum != 0) buf_ = Tensor::empty({arena_.numel()}, DType::Float32, arena_.device());
}

void SGD::update() {
  if (arena_.sync_grads) arena_.sync_grads();
  const kernels::SgdArgs a(opt_, /*first_step=*/steps_ == 0);
  kernels::arena_sgd(arena_.params, arena_.grads, buf_, a, arena_.no_decay);
  ++steps_;
}

void SGD::save_state(StateMap& out, const std::string& prefix) const {
  out[prefix + "step"] = int_scalar(steps_);
  if (buf_.defined()) out[prefix + "momentum_buffer"] = arena_.pack(buf_);
}

void SGD::load_state(const StateMap& in, const std::string& prefix) {
  std::int64_t s = read_int(in, prefix + "step");
  BASIN_CHECK(s >= 0, "SGD::load_state: negative step " << s);
  if (buf_.defined() && s > 0)
    arena_.unpack(buf_, find_state(in, prefix + "momentum_buffer"), prefix + "momentum_buffer");
  steps_ = s;
}

}  // namespace basin::optim
