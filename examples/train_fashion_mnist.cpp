// An MLP on Fashion-MNIST with basin as a library, the way PyTorch's C++
// frontend MNIST example reads: dataset, loader, model, loss, optimizer, loop.
//   ./train_fashion_mnist [--epochs E] [--limit N] [--out weights.safetensors]
// Data: Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist) or
// BASIN_FASHION_MNIST_DIR. --limit N trains on the first N images (seconds).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "autograd/grad_mode.h"     // NoGradGuard
#include "autograd/ops.h"           // argmax
#include "data/idx_dataset.h"       // IdxDataset::fashion_mnist
#include "data/loader.h"            // DataLoader
#include "nn/layers.h"              // Linear, ReLU, Flatten, Sequential, CrossEntropyLoss
#include "nn/weights.h"             // save_weights (safetensors, PyTorch's key names)
#include "optim/sgd.h"

using namespace basin;

int main(int argc, char** argv) {
  int epochs = 2;
  std::int64_t limit = 0;
  std::string out;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--epochs")) epochs = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--limit")) limit = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--out")) out = argv[i + 1];
  }
  auto train_set = data::IdxDataset::fashion_mnist("train", "", limit);
  auto test_set = data::IdxDataset::fashion_mnist("test", "", limit);

  // 784 -> 256 -> 10, named as torch.nn.Sequential would name it ("1.weight", ...).
  nn::InitRng rng(0);
  auto model = std::make_shared<nn::Sequential>();
  model->push_back(std::make_shared<nn::Flatten>());
  model->push_back(std::make_shared<nn::Linear>(28 * 28, 256, true, rng));
  model->push_back(std::make_shared<nn::ReLU>());
  model->push_back(std::make_shared<nn::Linear>(256, 10, true, rng));

  optim::SgdOptions sgd;
  sgd.lr = 0.1;
  sgd.momentum = 0.9;
  optim::SGD optimizer(optim::arena_ref(model->finalize_arena(Device::cpu())), sgd);
  nn::CrossEntropyLoss criterion;

  data::LoaderOptions train_opt, test_opt;
  train_opt.batch_size = test_opt.batch_size = 128;
  test_opt.shuffle = false;
  data::DataLoader train_loader(train_set, nullptr, train_opt), test_loader(test_set, nullptr, test_opt);

  for (int epoch = 0; epoch < epochs; ++epoch) {
    model->train();
    double loss_sum = 0;
    std::int64_t batches = 0;
    train_loader.start_epoch(epoch);
    for (data::Batch b; train_loader.next(b); ++batches) {
      loss_sum += optimizer.step([&](bool) {
        Tensor loss = criterion((*model)(b.images), b.labels);
        loss.backward();
        return loss.item();
      });
    }
    model->eval();
    NoGradGuard no_grad;
    std::int64_t correct = 0;
    test_loader.start_epoch(0);
    for (data::Batch b; test_loader.next(b);) {
      std::vector<std::int64_t> pred = argmax((*model)(b.images), 1).to_int_vector();
      std::vector<std::int64_t> truth = b.labels.to_int_vector();
      for (size_t i = 0; i < pred.size(); ++i) correct += pred[i] == truth[i];
    }
    std::printf("epoch %d  train loss %.4f  test accuracy %.4f (%lld images)\n", epoch + 1, loss_sum / batches,
                static_cast<double>(correct) / test_set->size(), static_cast<long long>(test_set->size()));
  }
  if (!out.empty()) nn::save_weights(*model, out);  // loads in PyTorch with safetensors.torch.load_file
  return 0;
}
