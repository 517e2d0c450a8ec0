#include "train/data_parallel.h"

#include <algorithm>
#include <cstring>
#include <sstream>
#include <vector>

#include "autograd/grad_mode.h"
#include "dist/bucketed.h"
#include "kernels/arena.h"
#include "train/nonfinite.h"
#include "train/trainer.h"

namespace basin::train {

void sync_gradients(DataParallel& dp, Tensor& grads, const std::string& where) {
  // [rows of the global batch, ranks that met a non-finite value]
  std::int64_t v[2] = {dp.local_rows, dp.nonfinite.empty() ? 0 : 1};
  dp.comm->allreduce_sum(v, 2);
  if (v[1] > 0) {
    std::ostringstream os;
    if (!dp.nonfinite.empty()) os << dp.nonfinite << " on rank " << dp.rank();
    else os << "a non-finite loss or gradient on " << v[1] << " other rank(s)" << where;
    throw NonFiniteLossError(os.str());
  }
  // Each rank's gradient is its shard's mean; weighted by rows_r / rows, their sum
  // is the mean over the global batch (1/N each when the shards are equal).
  if (v[0] > 0 && dp.local_rows != v[0]) {
    const float w = static_cast<float>(static_cast<double>(dp.local_rows) / static_cast<double>(v[0]));
    kernels::arena_accumulate(grads, grads, w, 0.0f);
  }
  dist::allreduce_bucketed(*dp.comm, grads, dist::ReduceOp::Sum);
}

bool overlap_capable_optimizer(const std::string& name) { return name == "sgd" || name == "adamw"; }

std::unique_ptr<dist::OverlappedReducer> make_overlapped_reducer(DataParallel& dp, nn::ParameterArena& arena,
                                                                 double bucket_mb) {
  std::vector<dist::ReducerParam> params;
  const auto& segs = arena.segments();
  const auto& tensors = arena.tensors();
  for (std::size_t i = 0; i < segs.size(); ++i) params.push_back({tensors[i].impl_ptr().get(), segs[i].offset, segs[i].numel});
  const auto elems = std::max<std::int64_t>(1, static_cast<std::int64_t>(bucket_mb * 1024.0 * 1024.0 / 4.0));
  return std::make_unique<dist::OverlappedReducer>(*dp.comm, arena.grads(), std::move(params), elems);
}

void start_overlapped_step(DataParallel& dp) {
  std::int64_t rows = dp.local_rows;
  dp.comm->allreduce_sum(&rows, 1);
  // As in sync_gradients: rows_r / rows, and nothing when this rank has them all.
  float scale = 1.0f;
  if (rows > 0 && dp.local_rows != rows)
    scale = static_cast<float>(static_cast<double>(dp.local_rows) / static_cast<double>(rows));
  dp.reducer->start_step(scale);
}

void finish_overlapped_sync(DataParallel& dp, const nn::ParameterArena& arena, const std::string& where) {
  dp.reducer->finish();
  std::int64_t bad = dp.nonfinite.empty() ? 0 : 1;
  dp.comm->allreduce_sum(&bad, 1);
  std::ostringstream os;
  if (bad > 0) {
    if (!dp.nonfinite.empty()) os << dp.nonfinite << " on rank " << dp.rank();
    else os << "a non-finite loss on " << bad << " other rank(s)" << where;
    throw NonFiniteLossError(os.str());
  }
  if (std::string name = first_nonfinite_grad(arena); !name.empty()) {
    os << "non-finite gradient of " << name << " after the all-reduce" << where;
    throw NonFiniteLossError(os.str());
  }
}

bool any_rank(DataParallel& dp, bool local) {
  if (!dp.on()) return local;
  std::int64_t v = local ? 1 : 0;
  dp.comm->allreduce_max(&v, 1);
  return v != 0;
}

RunningStats sum_over_ranks(DataParallel& dp, const RunningStats& s) {
  if (!dp.on()) return s;
  double v[3] = {s.loss_sum, static_cast<double>(s.correct), static_cast<double>(s.count)};
  dp.comm->allreduce_sum(v, 3);
  RunningStats out;
  out.loss_sum = v[0];
  out.correct = static_cast<std::int64_t>(v[1]);
  out.count = static_cast<std::int64_t>(v[2]);
  return out;
}

namespace {
class CommunicatorSum final : public nn::CrossProcessSum {
 public:
  explicit CommunicatorSum(dist::Communicator& comm) : comm_(comm) {}
  void sum(Tensor& t) override { comm_.allreduce(t, dist::ReduceOp::Sum); }
  std::int64_t sum(std::int64_t v) override {
    comm_.allreduce_sum(&v, 1);
    return v;
  }

 private:
  dist::Communicator& comm_;
};
}  // namespace

std::unique_ptr<nn::CrossProcessSum> make_batchnorm_sync(DataParallel& dp) {
  return std::make_unique<CommunicatorSum>(*dp.comm);
}

int count_batchnorm_layers(nn::Module& model) {
  static const std::string suffix = "running_mean";
  int n = 0;
  for (const auto& [name, t] : model.named_buffers())
    if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) ++n;
  return n;
}

void average_buffers(DataParallel& dp, nn::Module& model) {
  if (!dp.on()) return;
  NoGradGuard ng;
  for (auto& [name, t] : model.named_buffers()) {
    if (t.dtype() != DType::Float32) continue;  // counters (num_batches_tracked) agree already
    Tensor b = t;
    BASIN_CHECK(b.is_contiguous(), "data-parallel: buffer " << name << " is not contiguous");
    dp.comm->allreduce(b, dist::ReduceOp::Avg);
  }
}

void broadcast_model(DataParallel& dp, nn::Module& model) {
  if (!dp.on()) return;
  NoGradGuard ng;
  Tensor params = model.arena().params();
  dp.comm->broadcast(params, 0);
  for (auto& [name, t] : model.named_buffers()) {
    Tensor b = t;
    if (b.is_contiguous() && (b.dtype() == DType::Float32 || b.dtype() == DType::Int64)) dp.comm->broadcast(b, 0);
  }
}

std::string broadcast_string(DataParallel& dp, const std::string& s) {
  if (!dp.on()) return s;
  Tensor len = Tensor::from_vector(std::vector<std::int64_t>{static_cast<std::int64_t>(s.size())}, {1});
  dp.comm->broadcast(len, 0);
  const std::int64_t n = len.to_int_vector()[0];
  std::vector<std::int64_t> words(static_cast<std::size_t>((n + 7) / 8), 0);
  if (dp.is_root() && n > 0) std::memcpy(words.data(), s.data(), static_cast<std::size_t>(n));
  Tensor t = Tensor::from_vector(words, {static_cast<std::int64_t>(words.size())});
  dp.comm->broadcast(t, 0);
  std::string out(static_cast<std::size_t>(n), '\0');
  if (n > 0) std::memcpy(out.data(), t.raw_data(), static_cast<std::size_t>(n));
  return out;
}

std::string rank_device(const DataParallel& dp, const std::string& device) {
  if (dp.on() && device == "cuda") return "cuda:" + std::to_string(dp.comm->local_rank());
  return device;
}

}  // namespace basin::train
