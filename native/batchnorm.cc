#include "batchnorm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "pool.h"

namespace rxnative {

namespace {

// Rows per reduction block: a function of nothing but this constant, so the block partition
// (and with it every sum's rounding) is the same for any thread count.
constexpr long long kBlockRows = 256;
// Below this many elements one thread is faster than waking the pool.
constexpr long long kParallelElems = 1LL << 16;

int threadsFor(int threads, long long elems, long long units) {
  if (elems < kParallelElems) return 1;
  return static_cast<int>(std::max(1LL, std::min<long long>(threads, units)));
}

// Calls block(b, acc) for every row block with a zeroed accumulator of `width`·C doubles,
// spread over threads, then adds the blocks' accumulators in block order into total.
template <typename F>
void blockReduce(long long rows, int C, int width, int threads, std::vector<double>& total, F block) {
  const long long nb = (rows + kBlockRows - 1) / kBlockRows;
  const size_t stride = static_cast<size_t>(width) * C;
  std::vector<double> partial(static_cast<size_t>(nb) * stride, 0.0);
  const int T = threadsFor(threads, rows * C, nb);
  parallel_run(T, [&](int t) {
    for (long long b = t; b < nb; b += T) block(b, partial.data() + static_cast<size_t>(b) * stride);
  });
  total.assign(stride, 0.0);
  for (long long b = 0; b < nb; ++b) {
    const double* p = partial.data() + static_cast<size_t>(b) * stride;
    for (size_t i = 0; i < stride; ++i) total[i] += p[i];
  }
}

// Runs f(r0, r1) over contiguous row ranges, one per thread (elementwise passes).
template <typename F>
void rowsParallel(long long rows, int C, int threads, F f) {
  const int T = threadsFor(threads, rows * C, rows);
  parallel_run(T, [&](int t) {
    const long long r0 = rows * t / T, r1 = rows * (t + 1) / T;
    f(r0, r1);
  });
}

}  // namespace

void batchnorm_train_forward(long long rows, int C, const float* x, const float* gamma, const float* beta, float eps,
                             float* y, float* mean, float* var, float* rstd, int threads, bool relu) {
  if (C <= 0) return;
  if (rows <= 0) {
    // No values: NaN statistics, as a mean over nothing is in tfjs.
    for (int c = 0; c < C; ++c) mean[c] = var[c] = rstd[c] = NAN;
    return;
  }
  // Sums of x − x[row 0] rather than of x: a one-pass variance without the cancellation that
  // E[x²] − E[x]² suffers when |mean| ≫ std.
  const float* shift = x;
  std::vector<double> total;
  blockReduce(rows, C, 2, threads, total, [&](long long b, double* acc) {
    double* s = acc;
    double* ss = acc + C;
    const long long r1 = std::min(rows, (b + 1) * kBlockRows);
    for (long long r = b * kBlockRows; r < r1; ++r) {
      const float* row = x + r * C;
      for (int c = 0; c < C; ++c) {
        const double d = static_cast<double>(row[c]) - shift[c];
        s[c] += d;
        ss[c] += d * d;
      }
    }
  });
  std::vector<float> scale(C), offset(C);
  const double n = static_cast<double>(rows);
  for (int c = 0; c < C; ++c) {
    const double m = total[c] / n;
    const double v = std::max(0.0, total[C + c] / n - m * m);
    mean[c] = static_cast<float>(shift[c] + m);
    var[c] = static_cast<float>(v);
    rstd[c] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(var[c]) + eps));
  }
  rowsParallel(rows, C, threads, [&](long long r0, long long r1) {
    for (long long r = r0; r < r1; ++r) {
      const float* xr = x + r * C;
      float* yr = y + r * C;
      // Same operation order as the composed tfjs version: ((x − mean)·rstd)·gamma + beta.
      for (int c = 0; c < C; ++c) yr[c] = (xr[c] - mean[c]) * rstd[c] * gamma[c] + beta[c];
      if (relu)
        for (int c = 0; c < C; ++c) yr[c] = yr[c] < 0.0f ? 0.0f : yr[c];  // NaN stays NaN, as tfjs' Relu
    }
  });
}

void batchnorm_train_backward(long long rows, int C, const float* x, const float* dy, const float* gamma,
                              const float* mean, const float* rstd, float* dx, float* dgamma, float* dbeta, int threads,
                              const float* reluBeta) {
  if (C <= 0) return;
  // With a ReLU after the BatchNorm: its gradient dy·step(y), y recomputed with the forward's
  // exact operations (so the same sign), instead of two more passes and a saved tensor.
  const auto g = [&](const float* xr, const float* gr, int c) -> float {
    if (reluBeta == nullptr) return gr[c];
    const float yv = (xr[c] - mean[c]) * rstd[c] * gamma[c] + reluBeta[c];
    return yv > 0.0f ? gr[c] : (yv != yv ? yv * gr[c] : 0.0f * gr[c]);
  };
  std::vector<double> total;
  blockReduce(rows, C, 2, threads, total, [&](long long b, double* acc) {
    double* sdy = acc;
    double* sdyx = acc + C;
    const long long r1 = std::min(rows, (b + 1) * kBlockRows);
    for (long long r = b * kBlockRows; r < r1; ++r) {
      const float* xr = x + r * C;
      const float* gr = dy + r * C;
      for (int c = 0; c < C; ++c) {
        const float d = g(xr, gr, c);
        sdy[c] += d;
        sdyx[c] += static_cast<double>(d) * (static_cast<double>(xr[c]) - mean[c]);
      }
    }
  });
  // dx = a·(dy − Σdy/N − (x − mean)·q) with a = gamma·rstd and q = rstd·dgamma/N: per-channel
  // coefficients, one fused pass. Subtracting the mean of dy before scaling keeps dx exactly 0
  // when N = 1 (and close to it when dy is nearly constant), as the composed formula gives.
  std::vector<float> a(C), mdy(C), q(C);
  const double n = static_cast<double>(std::max(1LL, rows));
  for (int c = 0; c < C; ++c) {
    const double db = total[c];
    const double dg = total[C + c] * rstd[c];
    dbeta[c] = static_cast<float>(db);
    dgamma[c] = static_cast<float>(dg);
    a[c] = static_cast<float>(static_cast<double>(gamma[c]) * rstd[c]);
    mdy[c] = static_cast<float>(db / n);
    q[c] = static_cast<float>(rstd[c] * dg / n);
  }
  rowsParallel(rows, C, threads, [&](long long r0, long long r1) {
    for (long long r = r0; r < r1; ++r) {
      const float* xr = x + r * C;
      const float* gr = dy + r * C;
      float* out = dx + r * C;
      for (int c = 0; c < C; ++c) out[c] = a[c] * (g(xr, gr, c) - mdy[c] - (xr[c] - mean[c]) * q[c]);
    }
  });
}

void channel_sum(long long rows, int C, const float* x, float* out, int threads) {
  if (C <= 0) return;
  std::vector<double> total;
  blockReduce(rows, C, 1, threads, total, [&](long long b, double* acc) {
    const long long r1 = std::min(rows, (b + 1) * kBlockRows);
    for (long long r = b * kBlockRows; r < r1; ++r) {
      const float* xr = x + r * C;
      for (int c = 0; c < C; ++c) acc[c] += xr[c];
    }
  });
  for (int c = 0; c < C; ++c) out[c] = static_cast<float>(total[c]);
}

}  // namespace rxnative
