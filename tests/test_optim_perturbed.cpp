// The perturbation family on hand-built arenas (flat params + grads, a closure
// that writes the analytic gradient): NSO's two-point estimate on a quadratic
// and a quartic with closed forms, each method's step against a slow explicit
// reference, the BatchNorm pass policy, exact restores, and state round trips.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <vector>

#include "optim/adamw.h"
#include "optim/nso.h"
#include "optim/sam.h"
#include "optim/sgd.h"

using namespace basin;
using namespace basin::optim;
using basin::kernels::noise::Dist;

namespace {

using Vec = std::vector<float>;
Tensor flat(const Vec& v) { return Tensor::from_vector(v, {static_cast<std::int64_t>(v.size())}); }
Vec vec(const Tensor& t) { return Vec(t.data<float>(), t.data<float>() + t.numel()); }

// A problem: loss and gradient of a function of the flat weights.
struct Problem {
  std::function<float(const Vec& w, Vec& g)> f;
  int n;
};

// f = w^T A w / 2 with a fixed SPD A.
Problem quadratic(int n) {
  auto A = std::make_shared<std::vector<double>>(n * n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) (*A)[i * n + j] = (i == j ? 2.0 + i : 0.0) + 0.3 * std::cos(i + j);
  return {[A, n](const Vec& w, Vec& g) {
            double loss = 0;
            for (int i = 0; i < n; ++i) {
              double s = 0;
              for (int j = 0; j < n; ++j) s += (*A)[i * n + j] * w[j];
              g[i] = static_cast<float>(s);
              loss += 0.5 * w[i] * s;
            }
            return static_cast<float>(loss);
          },
          n};
}

// f = |w|^4 / 4: grad = |w|^2 w, H = |w|^2 I + 2 w w^T, tr H = (n + 2) |w|^2.
Problem quartic(int n) {
  return {[n](const Vec& w, Vec& g) {
            double r2 = 0;
            for (int i = 0; i < n; ++i) r2 += double(w[i]) * w[i];
            for (int i = 0; i < n; ++i) g[i] = static_cast<float>(r2 * w[i]);
            return static_cast<float>(r2 * r2 / 4);
          },
          n};
}

// A non-quadratic loss with interactions: sum log cosh(w_i + w_{i+1}) + w_i^2/2 ...
Problem smooth(int n) {
  return {[n](const Vec& w, Vec& g) {
            double loss = 0;
            for (int i = 0; i < n; ++i) g[i] = 0.3f * w[i];
            for (int i = 0; i < n; ++i) {
              int j = (i + 1) % n;
              double s = w[i] + 0.5 * w[j] - 0.2 * i;
              loss += std::log(std::cosh(s)) + 0.15 * w[i] * w[i];
              g[i] += static_cast<float>(std::tanh(s));
              g[j] += static_cast<float>(0.5 * std::tanh(s));
            }
            return static_cast<float>(loss);
          },
          n};
}

// Owns the flat arena and a closure that evaluates a problem at the arena's W.
struct Bench {
  Problem pb;
  Tensor params, grads;
  std::vector<bool> bn_flags;  // update_bn_stats of every evaluation
  int zeroed = 0;
  Bench(Problem p, const Vec& w0) : pb(std::move(p)) {
    params = flat(w0);
    grads = flat(Vec(w0.size(), 0.0f));
  }
  ArenaRef ref(kernels::ArenaRanges nd = {}) {
    ArenaRef r;
    r.params = params;
    r.grads = grads;
    r.no_decay = std::move(nd);
    r.zero_grad = [this] {
      ++zeroed;
      std::memset(grads.data<float>(), 0, grads.numel() * sizeof(float));
    };
    return r;
  }
  Closure closure() {
    return [this](bool bn) {
      bn_flags.push_back(bn);
      Vec w = vec(params), g(w.size());
      float loss = pb.f(w, g);
      float* G = grads.data<float>();
      for (size_t i = 0; i < g.size(); ++i) G[i] += g[i];  // backward accumulates
      return loss;
    };
  }
};

// A base optimizer that records the gradient it is handed and leaves W alone.
class Recorder : public BaseOptimizer {
 public:
  explicit Recorder(ArenaRef a) : BaseOptimizer(std::move(a), "Recorder") {}
  void update() override {
    seen.push_back(vec(arena_.grads));
    ++steps_;
  }
  double lr() const override { return 0; }
  void set_lr(double) override {}
  std::int64_t steps() const override { return steps_; }
  std::string name() const override { return "recorder"; }
  void save_state(StateMap& out, const std::string& p) const override { out[p + "step"] = int_scalar(steps_); }
  void load_state(const StateMap& in, const std::string& p) override { steps_ = read_int(in, p + "step"); }
  std::vector<Vec> seen;
  std::int64_t steps_ = 0;
};

Vec start(int n) {
  Vec w(n);
  for (int i = 0; i < n; ++i) w[i] = 0.8f * std::sin(1.3f * i + 0.4f) + 0.1f;
  return w;
}

// U of perturbation j at step t, as the kernels regenerate it.
Vec noise_of(const kernels::NoiseSpec& ns, int n) {
  Vec u(n);
  for (int i = 0; i < n; ++i) u[i] = ns.sigma * kernels::noise::unit_at(ns.dist, ns.seed, ns.stream, i);
  return u;
}

Vec grad_at(const Problem& pb, const Vec& w) {
  Vec g(w.size());
  pb.f(w, g);
  return g;
}

}  // namespace

TEST(OptimNSO, TwoPointGradientOfQuadraticIsExactForAnyNoise) {
  const int n = 8;
  for (Dist d : {Dist::Gaussian, Dist::Laplace, Dist::Uniform, Dist::Binomial}) {
    for (int k : {1, 3}) {
      SCOPED_TRACE(std::string(kernels::noise::dist_name(d)) + " k=" + std::to_string(k));
      Bench b(quadratic(n), start(n));
      auto rec = std::make_unique<Recorder>(b.ref());
      Recorder* r = rec.get();
      NsoOptions o;
      o.sigma = 0.7;  // large: a one-point estimate would be far off
      o.k = k;
      o.dist = d;
      o.seed = 77;
      NSO nso(std::move(rec), o);
      Vec want = grad_at(b.pb, start(n));
      for (int s = 0; s < 3; ++s) {
        nso.step(b.closure());
        for (int i = 0; i < n; ++i) ASSERT_NEAR(r->seen.back()[i], want[i], 2e-5f * (1 + std::fabs(want[i])));
      }
      EXPECT_EQ(vec(b.params), start(n));  // restored bitwise
    }
  }
}

TEST(OptimNSO, OnePointGradientOfQuadraticIsNot) {
  const int n = 8;
  Bench b(quadratic(n), start(n));
  auto rec = std::make_unique<Recorder>(b.ref());
  Recorder* r = rec.get();
  auto wp = make_wpsgd(std::move(rec), 0.7, 77);
  wp->step(b.closure());
  Vec w0 = start(n), clean = grad_at(b.pb, w0);
  // it is the gradient at W + U, U regenerated from the step-0 key
  Vec u = noise_of(wp->noise_spec(0, 0), n), wu(n);
  for (int i = 0; i < n; ++i) wu[i] = w0[i] + u[i];
  Vec want = grad_at(b.pb, wu);
  double off = 0;
  for (int i = 0; i < n; ++i) {
    ASSERT_NEAR(r->seen[0][i], want[i], 1e-5f * (1 + std::fabs(want[i])));
    off = std::max(off, double(std::fabs(r->seen[0][i] - clean[i])));
  }
  EXPECT_GT(off, 0.1);
  EXPECT_EQ(wp->name(), "wpsgd");
  EXPECT_EQ(wp->passes_per_step(), 1);
}

TEST(OptimNSO, QuarticAverageApproachesHessianTracePenalty) {
  // E[two-point gradient] = grad f + (sigma^2 / 2) grad tr H = |w|^2 w + (n + 2) sigma^2 w,
  // for every distribution with variance sigma^2 (only second moments enter).
  const int n = 3;
  const double sigma = 0.2;
  Vec w0 = {1.0f, -0.5f, 0.25f};
  for (Dist d : {Dist::Gaussian, Dist::Laplace, Dist::Uniform, Dist::Binomial}) {
    SCOPED_TRACE(kernels::noise::dist_name(d));
    Bench b(quartic(n), w0);
    auto rec = std::make_unique<Recorder>(b.ref());
    Recorder* r = rec.get();
    NsoOptions o;
    o.sigma = sigma;
    o.k = 4096;
    o.dist = d;
    o.seed = 3;
    NSO nso(std::move(rec), o);
    nso.step(b.closure());
    double r2 = 0;
    for (float x : w0) r2 += x * x;
    for (int i = 0; i < n; ++i) {
      double plain = r2 * w0[i], corr = (n + 2) * sigma * sigma * w0[i];
      // the Monte-Carlo error of 4096 draws is a few percent of the correction
      EXPECT_NEAR(r->seen[0][i], plain + corr, 0.12 * std::fabs(corr)) << i;
      EXPECT_GT(std::fabs(r->seen[0][i] - plain), 0.5 * std::fabs(corr)) << i;
    }
  }
}

namespace {

// The SGD rule written out (PyTorch), for the explicit references.
struct RefSgd {
  double lr = 0.1, mom = 0.9, wd = 0.01;
  std::vector<bool> decay;
  Vec buf;
  int t = 0;
  void step(Vec& w, const Vec& g) {
    if (buf.empty()) buf.assign(w.size(), 0.0f);
    for (size_t i = 0; i < w.size(); ++i) {
      float d = g[i];
      if (decay[i]) d = d + float(wd) * w[i];
      buf[i] = t == 0 ? d : buf[i] * float(mom) + 1.0f * d;
      w[i] = w[i] + float(-lr) * buf[i];
    }
    ++t;
  }
};

std::unique_ptr<SGD> make_sgd(ArenaRef r) {
  SgdOptions o;
  o.lr = 0.1;
  o.momentum = 0.9;
  o.weight_decay = 0.01;
  return std::make_unique<SGD>(std::move(r), o);
}

const kernels::ArenaRanges kNoDecay = {{4, 6}};
RefSgd ref_sgd(int n) {
  RefSgd s;
  s.decay.assign(n, true);
  s.decay[4] = s.decay[5] = false;
  return s;
}

void expect_close(const Vec& got, const Vec& want, const char* what) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 2e-5f * (1 + std::fabs(want[i]))) << what << " " << i;
}

}  // namespace

TEST(OptimNSO, StepsEqualExplicitReference) {
  const int n = 7;
  for (bool two_point : {true, false}) {
    for (bool clean : {false, true}) {
      SCOPED_TRACE(std::string("two_point=") + (two_point ? "1" : "0") + " clean=" + (clean ? "1" : "0"));
      Bench b(smooth(n), start(n));
      NsoOptions o;
      o.sigma = 0.3;
      o.k = 2;
      o.two_point = two_point;
      o.clean_pass = clean;
      o.lambda = clean ? 0.25 : 0.0;
      o.seed = 11;
      NSO nso(make_sgd(b.ref(kNoDecay)), o);
      Vec w = start(n);
      RefSgd sgd = ref_sgd(n);
      for (int t = 0; t < 3; ++t) {
        Vec avg(n, 0.0f);
        int pts = two_point ? 2 : 1;
        for (int j = 0; j < o.k; ++j) {
          Vec u = noise_of(nso.noise_spec(t, j), n);
          for (int s = 0; s < pts; ++s) {
            Vec wp(n);
            for (int i = 0; i < n; ++i) wp[i] = w[i] + (s == 0 ? u[i] : -u[i]);
            Vec g = grad_at(b.pb, wp);
            for (int i = 0; i < n; ++i) avg[i] += g[i] / float(pts * o.k);
          }
        }
        if (clean) {
          Vec g = grad_at(b.pb, w);
          for (int i = 0; i < n; ++i) avg[i] = float(o.lambda) * g[i] + float(1 - o.lambda) * avg[i];
        }
        sgd.step(w, avg);
        nso.step(b.closure());
        expect_close(vec(b.params), w, "W");
      }
      EXPECT_EQ(nso.steps(), 3);
    }
  }
}

TEST(OptimSAM, EachKindEqualsExplicitReference) {
  const int n = 7;
  const double rho = 0.2, eta = 0.05;
  for (SamKind kind : {SamKind::SAM, SamKind::USAM, SamKind::ASAM, SamKind::RSAM}) {
    SCOPED_TRACE(sam_kind_name(kind));
    Bench b(smooth(n), start(n));
    SamOptions o;
    o.kind = kind;
    o.rho = rho;
    o.eta = eta;
    o.sigma = 0.1;
    o.seed = 5;
    SAM sam(make_sgd(b.ref(kNoDecay)), o);
    Vec w = start(n);
    RefSgd sgd = ref_sgd(n);
    for (int t = 0; t < 3; ++t) {
      Vec from = w;
      if (kind == SamKind::RSAM) {
        Vec u = noise_of(sam.noise_spec(t), n);
        for (int i = 0; i < n; ++i) from[i] = w[i] + u[i];
      }
      Vec g0 = grad_at(b.pb, from);
      double norm = 0;
      for (int i = 0; i < n; ++i) {
        double ti = kind == SamKind::ASAM ? std::fabs(w[i]) + eta : 1.0;
        norm += ti * g0[i] * ti * g0[i];
      }
      norm = std::sqrt(norm);
      Vec we(n);
      for (int i = 0; i < n; ++i) {
        double ti = kind == SamKind::ASAM ? std::fabs(w[i]) + eta : 1.0;
        double scale = kind == SamKind::USAM ? rho : rho / (norm + 1e-12);
        we[i] = static_cast<float>(from[i] + scale * ti * ti * g0[i]);
      }
      sgd.step(w, grad_at(b.pb, we));
      float loss = sam.step(b.closure());
      Vec gl(n);
      EXPECT_NEAR(loss, b.pb.f(from, gl), 1e-5);  // the first evaluation's loss
      expect_close(vec(b.params), w, "W");
    }
  }
}

TEST(OptimPerturbed, BatchNormStatisticsUpdateOnExactlyOnePassPerStep) {
  const int n = 5;
  struct Case {
    std::string name;
    std::function<std::unique_ptr<Optimizer>(ArenaRef)> make;
    int passes;
  };
  std::vector<Case> cases = {
      {"sgd", [](ArenaRef r) { return std::unique_ptr<Optimizer>(make_sgd(r)); }, 1},
      {"nso k3", [](ArenaRef r) { NsoOptions o; o.k = 3; return std::unique_ptr<Optimizer>(new NSO(make_sgd(r), o)); }, 6},
      {"nso clean", [](ArenaRef r) { NsoOptions o; o.clean_pass = true; return std::unique_ptr<Optimizer>(new NSO(make_sgd(r), o)); }, 3},
      {"wpsgd", [](ArenaRef r) { return std::unique_ptr<Optimizer>(make_wpsgd(make_sgd(r), 0.1, 1)); }, 1},
      {"sam", [](ArenaRef r) { return std::unique_ptr<Optimizer>(new SAM(make_sgd(r), SamOptions{})); }, 2},
      {"rsam", [](ArenaRef r) { SamOptions o; o.kind = SamKind::RSAM; return std::unique_ptr<Optimizer>(new SAM(make_sgd(r), o)); }, 2},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.name);
    Bench b(smooth(n), start(n));
    auto opt = c.make(b.ref());
    EXPECT_EQ(opt->passes_per_step(), c.passes);
    for (int t = 0; t < 2; ++t) opt->step(b.closure());
    ASSERT_EQ(b.bn_flags.size(), size_t(2 * c.passes));
    for (int t = 0; t < 2; ++t)
      for (int p = 0; p < c.passes; ++p) EXPECT_EQ(b.bn_flags[t * c.passes + p], p == 0) << "step " << t << " pass " << p;
    EXPECT_EQ(b.zeroed, 2 * c.passes);  // grads zeroed before every evaluation
  }
}

TEST(OptimPerturbed, ZeroLearningRateLeavesWeightsBitwise) {
  const int n = 6;
  Bench b(smooth(n), start(n));
  SgdOptions so;
  so.lr = 0;
  NsoOptions o;
  o.sigma = 0.5;
  o.k = 2;
  NSO nso(std::make_unique<SGD>(b.ref(), so), o);
  nso.step(b.closure());
  Vec w = vec(b.params), w0 = start(n);
  EXPECT_EQ(std::memcmp(w.data(), w0.data(), n * sizeof(float)), 0);
}

TEST(OptimState, RoundTripGivesIdenticalSubsequentSteps) {
  const int n = 9;
  struct Case {
    std::string name;
    std::function<std::unique_ptr<Optimizer>(ArenaRef)> make;
  };
  auto adam = [](ArenaRef r) {
    AdamOptions a;
    a.amsgrad = true;
    a.lr = 0.05;
    return std::make_unique<AdamW>(std::move(r), a);
  };
  std::vector<Case> cases = {
      {"sgd", [](ArenaRef r) { return std::unique_ptr<Optimizer>(make_sgd(r)); }},
      {"adamw", [&](ArenaRef r) { return std::unique_ptr<Optimizer>(adam(r)); }},
      {"nso", [](ArenaRef r) { NsoOptions o; o.k = 2; o.seed = 99; o.sigma = 0.2; return std::unique_ptr<Optimizer>(new NSO(make_sgd(r), o)); }},
      {"nso adam", [&](ArenaRef r) { NsoOptions o; o.seed = 4; o.dist = Dist::Laplace; return std::unique_ptr<Optimizer>(new NSO(adam(r), o)); }},
      {"rsam", [](ArenaRef r) { SamOptions o; o.kind = SamKind::RSAM; o.seed = 8; return std::unique_ptr<Optimizer>(new SAM(make_sgd(r), o)); }},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.name);
    Bench a(smooth(n), start(n));
    auto oa = c.make(a.ref(kNoDecay));
    for (int t = 0; t < 3; ++t) oa->step(a.closure());
    StateMap state;
    oa->save_state(state, "optim.");
    Vec mid = vec(a.params);
    for (int t = 0; t < 3; ++t) oa->step(a.closure());

    Bench b(smooth(n), mid);  // a fresh run resumed from the checkpoint
    auto ob = c.make(b.ref(kNoDecay));
    ob->load_state(state, "optim.");
    EXPECT_EQ(ob->steps(), 3);
    for (int t = 0; t < 3; ++t) ob->step(b.closure());
    Vec wa = vec(a.params), wb = vec(b.params);
    EXPECT_EQ(std::memcmp(wa.data(), wb.data(), n * sizeof(float)), 0);
  }
  // a missing entry is an error that names it
  Bench b(smooth(n), start(n));
  auto o = make_sgd(b.ref());
  StateMap empty;
  try {
    o->load_state(empty, "optim.");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("optim.step"), std::string::npos) << e.what();
  }
}
