#pragma once
// All layers, for code that uses several.
#include "nn/layers/adaptive_avg_pool2d.h"
#include "nn/layers/batchnorm2d.h"
#include "nn/layers/conv2d.h"
#include "nn/layers/cross_entropy_loss.h"
#include "nn/layers/dropout.h"
#include "nn/layers/flatten.h"
#include "nn/layers/linear.h"
#include "nn/layers/maxpool2d.h"
#include "nn/layers/relu.h"
#include "nn/layers/sequential.h"
#include "nn/layers/tanh.h"
