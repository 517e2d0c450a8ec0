#pragma once
// One convolution test case (input and weight shapes, parameters, bias or not),
// shared by the tests that sweep tables of them: test_conv (the reference kernels
// against a direct loop and finite differences) and test_onednn_fast_path (the
// oneDNN fast path against the reference).
#include "kernels/conv.h"
#include "tensor/shape.h"

namespace basin::convtest {

using kernels::Conv2dParams;

struct ConvCase {
  const char* name;
  Shape x, w;
  Conv2dParams p;
  bool bias;
};

// Parameters with every field of its own (Conv2dParams::square sets both axes alike).
inline Conv2dParams rect(int sh, int sw, int ph, int pw, int dh, int dw, int groups) {
  Conv2dParams p;
  p.stride_h = sh; p.stride_w = sw; p.pad_h = ph; p.pad_w = pw; p.dilation_h = dh; p.dilation_w = dw;
  p.groups = groups;
  return p;
}

}  // namespace basin::convtest
