#include "train/evaluate.h"

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "train/progress.h"

namespace basin::train {

std::int64_t count_correct(const Tensor& logits, const Tensor& labels) {
  NoGradGuard no_grad;
  std::vector<std::int64_t> pred = argmax(logits.detach(), 1).to_int_vector();
  std::vector<std::int64_t> truth = labels.to_int_vector();
  BASIN_CHECK(pred.size() == truth.size(), "count_correct: " << pred.size() << " predictions for " << truth.size()
                                                             << " labels");
  std::int64_t c = 0;
  for (size_t i = 0; i < pred.size(); ++i) c += pred[i] == truth[i];
  return c;
}

RunningStats evaluate(nn::Module& model, data::DataLoader& loader, std::int64_t epoch, std::FILE* progress) {
  NoGradGuard no_grad;
  bool was_training = model.is_training();
  model.eval();
  RunningStats s;
  loader.start_epoch(epoch);
  data::Batch b;
  TaskProgress bar("eval", loader.num_batches(), "batches", progress);
  for (std::int64_t done = 1; loader.next(b); ++done) {
    if (b.empty()) continue;  // a data-parallel shard's empty part of the last batch
    Tensor logits = model(b.images);
    float loss = cross_entropy(logits, b.labels).item();
    s.add(loss, count_correct(logits, b.labels), b.labels.numel());
    bar.update(done, static_cast<double>(s.count) / bar.seconds(), "img");
  }
  bar.finish();
  model.train(was_training);
  return s;
}

}  // namespace basin::train
