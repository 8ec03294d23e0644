#include "sgd.h"

#include <algorithm>

#include "pool.h"

namespace rxnative {

namespace {

// Below this many parameters one thread is faster than waking the pool.
constexpr long long kParallel = 1LL << 16;

template <bool kDecay, bool kMomentum, bool kNesterov>
void update(long long j0, long long j1, const float* g, const float* p, float* buf, float* out, float negLr, float m, float wd) {
  for (long long j = j0; j < j1; ++j) {
    float gj = g[j];
    if (kDecay) gj = gj + p[j] * wd;
    if (kMomentum) {
      const float b = buf[j] * m + gj;
      buf[j] = b;
      gj = kNesterov ? gj + b * m : b;
    }
    out[j] = p[j] + gj * negLr;
  }
}

}  // namespace

void sgd_update(long long n, const float* g, const float* p, float* buf, float* out, float negLr, float m, float wd,
                bool momentum, bool nesterov, int threads) {
  // Elementwise: any split gives the same bits; the variant is chosen once, outside the loop.
  auto run = [&](long long j0, long long j1) {
    const bool decay = wd != 0.0f;
    if (!momentum) {
      if (decay) update<true, false, false>(j0, j1, g, p, buf, out, negLr, m, wd);
      else update<false, false, false>(j0, j1, g, p, buf, out, negLr, m, wd);
    } else if (nesterov) {
      if (decay) update<true, true, true>(j0, j1, g, p, buf, out, negLr, m, wd);
      else update<false, true, true>(j0, j1, g, p, buf, out, negLr, m, wd);
    } else {
      if (decay) update<true, true, false>(j0, j1, g, p, buf, out, negLr, m, wd);
      else update<false, true, false>(j0, j1, g, p, buf, out, negLr, m, wd);
    }
  };
  const int T = n < kParallel ? 1 : std::max(1, threads);
  parallel_run(T, [&](int t) { run(n * t / T, n * (t + 1) / T); });
}

}  // namespace rxnative
