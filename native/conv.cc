#include "conv.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "pool.h"
#include "winograd.h"

namespace rxnative {

namespace {

// Below this many multiply-adds one thread is faster than waking the pool.
constexpr long long kParallelMacs = 1LL << 20;

thread_local std::vector<float> tl_col;

float* scratch(size_t n) {
  if (tl_col.size() < n) tl_col.resize(n);
  return tl_col.data();
}

int clampThreads(int threads, long long macs, int units) {
  if (macs < kParallelMacs) return 1;
  return std::max(1, std::min(threads, units));
}

// col[(r - r0)·ldcol + (k - k0)] = xpad[pixel r, k] for k in [k0, k0 + kr), where row r is
// output pixel (b, oy, ox) and k = (ky·kw + kx)·Cin + ci, matching the filter's [kh,kw,Cin] rows.
void im2col(const ConvGeom& g, const float* x, long long r0, int rows, int k0, int kr, float* col, int ldcol) {
  const int plane = g.oh * g.ow;
  for (int rr = 0; rr < rows; ++rr) {
    const long long r = r0 + rr;
    const int b = static_cast<int>(r / plane);
    const int p = static_cast<int>(r % plane);
    const int oy = p / g.ow, ox = p % g.ow;
    float* dst = col + static_cast<size_t>(rr) * ldcol;
    int k = k0;
    const int kend = k0 + kr;
    while (k < kend) {
      const int cell = k / g.Cin, ci = k % g.Cin;
      const int ky = cell / g.kw, kx = cell % g.kw;
      const int iy = oy * g.sh - g.pt + ky * g.dh;
      const int ix = ox * g.sw - g.pl + kx * g.dw;
      // A whole filter row over undilated, in-bounds input is one contiguous run of x (few
      // input channels, e.g. the first layer's 3, would otherwise mean many tiny copies).
      if (ci == 0 && kx == 0 && g.dw == 1 && k + g.kw * g.Cin <= kend && iy >= 0 && iy < g.H && ix >= 0 && ix + g.kw <= g.W) {
        std::memcpy(dst + (k - k0), x + ((static_cast<size_t>(b) * g.H + iy) * g.W + ix) * g.Cin, sizeof(float) * g.kw * g.Cin);
        k += g.kw * g.Cin;
        continue;
      }
      const int len = std::min(g.Cin - ci, kend - k);
      if (iy >= 0 && iy < g.H && ix >= 0 && ix < g.W) {
        std::memcpy(dst + (k - k0), x + ((static_cast<size_t>(b) * g.H + iy) * g.W + ix) * g.Cin + ci, sizeof(float) * len);
      } else {
        std::memset(dst + (k - k0), 0, sizeof(float) * len);
      }
      k += len;
    }
  }
}

// dx[b] += col2im(col) for `rows` output pixels starting at r0 (all inside whole images).
void col2im_add(const ConvGeom& g, const float* col, long long r0, int rows, float* dx) {
  const int plane = g.oh * g.ow;
  const int Kc = g.kh * g.kw * g.Cin;
  for (int rr = 0; rr < rows; ++rr) {
    const long long r = r0 + rr;
    const int b = static_cast<int>(r / plane);
    const int p = static_cast<int>(r % plane);
    const int oy = p / g.ow, ox = p % g.ow;
    const float* src = col + static_cast<size_t>(rr) * Kc;
    for (int ky = 0; ky < g.kh; ++ky) {
      const int iy = oy * g.sh - g.pt + ky * g.dh;
      if (iy < 0 || iy >= g.H) continue;
      for (int kx = 0; kx < g.kw; ++kx) {
        const int ix = ox * g.sw - g.pl + kx * g.dw;
        if (ix < 0 || ix >= g.W) continue;
        float* d = dx + ((static_cast<size_t>(b) * g.H + iy) * g.W + ix) * g.Cin;
        const float* s = src + (ky * g.kw + kx) * g.Cin;
        for (int ci = 0; ci < g.Cin; ++ci) d[ci] = d[ci] + s[ci];
      }
    }
  }
}

// [begin, end) of part t of n parts of `total`, boundaries on multiples of `align`.
void split(long long total, int n, int t, long long align, long long& begin, long long& end) {
  const long long units = (total + align - 1) / align;
  begin = std::min(total, units * t / n * align);
  end = std::min(total, units * (t + 1) / n * align);
}

}  // namespace

namespace {
std::atomic<long long> g_scratch_floats{0};
}  // namespace

long long scratch_chunk_floats() {
  const long long set = g_scratch_floats.load(std::memory_order_relaxed);
  if (set > 0) return set;
  // Large enough to keep GEMMs efficient, small enough to stay far from memory limits.
  static const long long floats = [] {
    const char* env = std::getenv("RXTRAIN_SCRATCH_KB");
    const long long kb = env == nullptr ? 0 : std::atoll(env);
    return kb >= 64 ? kb * 256 : 2LL << 20;
  }();
  return floats;
}

void set_scratch_chunk_floats(long long n) {
  if (n == 0 || n >= 16384) g_scratch_floats.store(n, std::memory_order_relaxed);
}

void conv2d(const ConvGeom& g, const float* x, const float* w, float* y, const Epilogue& ep, int threads) {
  if (winograd_conv2d(g, x, w, y, ep, threads)) return;
  const long long M = 1LL * g.B * g.oh * g.ow;
  const int Kc = g.kh * g.kw * g.Cin;
  const bool direct = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 && g.oh == g.H && g.ow == g.W;
  const int T = clampThreads(threads, M * Kc * g.Cout, static_cast<int>((M + 47) / 48));
  parallel_run(T, [&](int t) {
    long long r0, r1;
    split(M, T, t, 48, r0, r1);
    if (direct) {
      sgemm(false, false, static_cast<int>(r1 - r0), g.Cout, Kc, 1.0f, x + r0 * Kc, Kc, w, g.Cout, 0.0f, y + r0 * g.Cout, g.Cout, ep);
      return;
    }
    const int chunk = static_cast<int>(std::max<long long>(48, scratch_chunk_floats() / Kc / 48 * 48));
    float* col = scratch(static_cast<size_t>(chunk) * Kc);
    for (long long r = r0; r < r1; r += chunk) {
      const int rows = static_cast<int>(std::min<long long>(chunk, r1 - r));
      im2col(g, x, r, rows, 0, Kc, col, Kc);
      sgemm(false, false, rows, g.Cout, Kc, 1.0f, col, Kc, w, g.Cout, 0.0f, y + r * g.Cout, g.Cout, ep);
    }
  });
}

void conv2d_backprop_input(const ConvGeom& g, const float* dy, const float* w, float* dx, int threads) {
  if (winograd_conv2d_backprop_input(g, dy, w, dx, threads)) return;
  const int plane = g.oh * g.ow;
  const int Kc = g.kh * g.kw * g.Cin;
  const int T = clampThreads(threads, 1LL * g.B * plane * Kc * g.Cout, g.B);
  parallel_run(T, [&](int t) {
    long long b0, b1;
    split(g.B, T, t, 1, b0, b1);
    if (b1 <= b0) return;
    std::memset(dx + b0 * g.H * g.W * g.Cin, 0, sizeof(float) * static_cast<size_t>(b1 - b0) * g.H * g.W * g.Cin);
    const int G = static_cast<int>(std::max<long long>(1, scratch_chunk_floats() / (1LL * plane * Kc)));
    float* col = scratch(static_cast<size_t>(std::min<long long>(G, b1 - b0)) * plane * Kc);
    for (long long b = b0; b < b1; b += G) {
      const int imgs = static_cast<int>(std::min<long long>(G, b1 - b));
      const int rows = imgs * plane;
      const long long r0 = b * plane;
      // col = dy·Wᵀ: W is stored [Kc, Cout], i.e. already op(B)ᵀ.
      sgemm(false, true, rows, Kc, g.Cout, 1.0f, dy + r0 * g.Cout, g.Cout, w, g.Cout, 0.0f, col, Kc, Epilogue{});
      col2im_add(g, col, r0, rows, dx);
    }
  });
}

void conv2d_backprop_filter(const ConvGeom& g, const float* x, const float* dy, float* dw, int threads) {
  if (winograd_conv2d_backprop_filter(g, x, dy, dw, threads)) return;
  const long long M = 1LL * g.B * g.oh * g.ow;
  const int Kc = g.kh * g.kw * g.Cin;
  const int T = clampThreads(threads, M * Kc * g.Cout, (Kc + 7) / 8);
  // Rows per chunk: a multiple of the GEMM's k-block (256), so that every element's sum runs
  // over the same 256-row blocks in the same order whatever the chunk or thread count.
  const int chunk = static_cast<int>(std::max<long long>(256, scratch_chunk_floats() / Kc / 256 * 256));
  parallel_run(T, [&](int t) {
    long long k0, k1;
    split(Kc, T, t, 8, k0, k1);
    const int kr = static_cast<int>(k1 - k0);
    if (kr <= 0) return;
    float* col = scratch(static_cast<size_t>(chunk) * kr);
    if (M == 0) {
      for (long long k = k0; k < k1; ++k) std::memset(dw + k * g.Cout, 0, sizeof(float) * g.Cout);
      return;
    }
    for (long long r = 0; r < M; r += chunk) {
      const int rows = static_cast<int>(std::min<long long>(chunk, M - r));
      im2col(g, x, r, rows, static_cast<int>(k0), kr, col, kr);
      sgemm(true, false, kr, g.Cout, rows, 1.0f, col, kr, dy + r * g.Cout, g.Cout, r == 0 ? 0.0f : 1.0f,
            dw + k0 * g.Cout, g.Cout, Epilogue{});
    }
  });
}

void matmul(bool ta, bool tb, int M, int N, int K, const float* A, const float* B, float* C,
            const Epilogue& ep, int threads) {
  const bool byCols = N >= M;
  const int T = clampThreads(threads, 1LL * M * N * K, byCols ? (N + 31) / 32 : (M + 11) / 12);
  const int lda = ta ? M : K;
  const int ldb = tb ? K : N;
  parallel_run(T, [&](int t) {
    long long s0, s1;
    if (byCols) {
      split(N, T, t, 32, s0, s1);
      if (s1 <= s0) return;
      Epilogue e = ep;
      if (e.bias != nullptr) e.bias += s0;
      sgemm(ta, tb, M, static_cast<int>(s1 - s0), K, 1.0f, A, lda, tb ? B + s0 * ldb : B + s0, ldb, 0.0f, C + s0, N, e);
    } else {
      split(M, T, t, 12, s0, s1);
      if (s1 <= s0) return;
      sgemm(ta, tb, static_cast<int>(s1 - s0), N, K, 1.0f, ta ? A + s0 : A + s0 * lda, lda, B, ldb, 0.0f, C + s0 * N, N, ep);
    }
  });
}

}  // namespace rxnative
