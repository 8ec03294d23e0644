#include "reluGrad.h"

#include <algorithm>

#include "napiArgs.h"
#include "pool.h"

namespace rxnative {

namespace {
// Below this many elements one thread is faster than waking the pool.
constexpr long long kParallelElems = 1LL << 16;
}  // namespace

void relu_grad(long long n, const float* dy, const float* y, float* out, int threads) {
  const int T = n < kParallelElems ? 1 : std::max(1, threads);
  parallel_run(T, [&](int t) {
    const long long i0 = n * t / T, i1 = n * (t + 1) / T;
    for (long long i = i0; i < i1; ++i) {
      // step(y) as tfjs: 1 for y > 0, NaN for NaN, else 0; then the product, as its Multiply.
      const float s = y[i] > 0.0f ? 1.0f : (y[i] != y[i] ? y[i] : 0.0f);
      out[i] = dy[i] * s;
    }
  });
}

napi_value napi_relu_grad(napi_env env, napi_callback_info info) {
  return napi::guard(env, [&] {
    napi_value a[5];
    napi::args(env, info, a, "reluGrad");
    const long long n = napi::count(env, a[3], "n");
    const float* dy = napi::floats(env, a[0], n, "dy");
    const float* y = napi::floats(env, a[1], n, "y");
    float* out = napi::floats(env, a[2], n, "out");
    relu_grad(n, dy, y, out, napi::threadsArg(env, a[4]));
  });
}

}  // namespace rxnative
