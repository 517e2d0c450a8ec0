#include "autograd/gradcheck.h"

#include <cmath>
#include <sstream>

#include "autograd/grad_mode.h"
#include "autograd/ops.h"

namespace basin {

namespace {

// w_k = 1 + (k mod 7) / 7 - (k mod 3) / 5: distinct neighbours, no zeros.
std::vector<float> output_weights(std::int64_t n) {
  std::vector<float> w(static_cast<size_t>(n));
  for (std::int64_t k = 0; k < n; ++k) w[k] = 1.0f + static_cast<float>(k % 7) / 7.0f - static_cast<float>(k % 3) / 5.0f;
  return w;
}

double weighted_sum(const Tensor& out, const std::vector<float>& w) {
  std::vector<float> v = out.to_vector();
  double s = 0.0;
  for (size_t k = 0; k < v.size(); ++k) s += static_cast<double>(w[k]) * v[k];
  return s;
}

}  // namespace

GradcheckResult gradcheck(std::function<Tensor(const std::vector<Tensor>&)> f, std::vector<Tensor> inputs_in,
                          double eps, double atol, double rtol) {
  GradcheckResult result;
  // Private, contiguous leaf copies: perturbing them cannot touch the caller's data.
  std::vector<Tensor> inputs;
  for (const Tensor& x : inputs_in) {
    if (!x.defined()) {
      inputs.push_back(x);
      continue;
    }
    Tensor c = x.detach().clone();
    if (x.requires_grad()) c.set_requires_grad(true);
    c.set_name(x.name());
    inputs.push_back(c);
  }

  // Analytic gradients.
  Tensor out = f(inputs);
  BASIN_CHECK(out.defined() && out.dtype() == DType::Float32, "gradcheck: f must return a float32 tensor");
  std::vector<float> w = output_weights(out.numel());
  Tensor loss = sum(mul(out, Tensor::from_vector(w, out.shape(), out.device())));
  if (loss.requires_grad()) loss.backward();

  NoGradGuard no_grad;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor x = inputs[i];
    if (!x.defined() || !x.requires_grad()) continue;
    std::vector<float> analytic = x.grad().defined() ? x.grad().to_vector() : std::vector<float>(x.numel(), 0.0f);
    std::vector<float> values = x.to_vector();
    Tensor flat = x.reshape({-1});
    for (std::int64_t e = 0; e < x.numel(); ++e) {
      Tensor cell = flat.slice(0, e, e + 1);
      const float v = values[e];
      const float hi = static_cast<float>(v + eps), lo = static_cast<float>(v - eps);
      cell.fill_(hi);
      double f_hi = weighted_sum(f(inputs), w);
      cell.fill_(lo);
      double f_lo = weighted_sum(f(inputs), w);
      cell.fill_(v);
      // Divide by the step actually taken in float, not the requested eps.
      double numeric = (f_hi - f_lo) / (static_cast<double>(hi) - static_cast<double>(lo));
      double err = std::fabs(analytic[e] - numeric);
      if (err > result.max_error || std::isnan(err)) result.max_error = std::isnan(err) ? INFINITY : err;
      if (result.ok && !(err <= atol + rtol * std::fabs(numeric))) {
        result.ok = false;
        std::ostringstream os;
        os << "gradcheck: input " << i << (x.name().empty() ? "" : " (" + x.name() + ")") << " of shape "
           << shape_str(x.shape()) << ", element " << e << ": autograd " << analytic[e] << " vs numeric "
           << numeric << " (|diff| " << err << ")";
        result.message = os.str();
      }
    }
  }
  return result;
}

}  // namespace basin
