#include "maxpool.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "pool.h"

namespace rxnative {

namespace {

constexpr long long kParallelElems = 1LL << 15;

long long img_size(const PoolGeom& g) { return 1LL * g.H * g.W * g.C; }

int threadsFor(const PoolGeom& g, int threads) {
  if (g.xSize() < kParallelElems) return 1;
  return std::max(1, std::min(threads, g.B));
}

// Calls f(b, oy, ox, best, pos) per output pixel of images [b0, b1) with the window's
// per-channel maximum and the flat x index of the pixel it came from (its channel offset not
// added; −1 for an empty window). The running maximum starts at −∞ and only a strictly greater
// value replaces it: the first maximum wins. Branch-free selects, so the channel loop vectorises.
template <bool kPositions, typename F>
void scan(const PoolGeom& g, const float* x, int b0, int b1, F f) {
  std::vector<float> best(g.C);
  std::vector<int> pos(kPositions ? g.C : 0);
  float* bp = best.data();
  int* pp = pos.data();
  const float ninf = -std::numeric_limits<float>::infinity();
  for (int b = b0; b < b1; ++b) {
    const long long xb = 1LL * b * g.H * g.W * g.C;
    for (int oy = 0; oy < g.oh; ++oy) {
      const int y0 = std::max(0, oy * g.sh - g.pt), y1 = std::min(g.H, oy * g.sh - g.pt + g.fh);
      for (int ox = 0; ox < g.ow; ++ox) {
        const int x0 = std::max(0, ox * g.sw - g.pl), x1 = std::min(g.W, ox * g.sw - g.pl + g.fw);
        for (int c = 0; c < g.C; ++c) bp[c] = ninf;
        if (kPositions) {
          for (int c = 0; c < g.C; ++c) pp[c] = -1;
        }
        for (int yy = y0; yy < y1; ++yy) {
          for (int xx = x0; xx < x1; ++xx) {
            const int pixel = yy * g.W + xx;  // within the image: H·W fits an int
            const float* v = x + xb + 1LL * pixel * g.C;
            for (int c = 0; c < g.C; ++c) {
              const bool gt = v[c] > bp[c];
              bp[c] = gt ? v[c] : bp[c];
              if (kPositions) pp[c] = gt ? pixel : pp[c];
            }
          }
        }
        f(b, oy, ox, bp, pp);
      }
    }
  }
}

}  // namespace

void maxpool_forward(const PoolGeom& g, const float* x, float* y, int threads) {
  const int T = threadsFor(g, threads);
  parallel_run(T, [&](int t) {
    const int b0 = static_cast<int>(1LL * g.B * t / T), b1 = static_cast<int>(1LL * g.B * (t + 1) / T);
    scan<false>(g, x, b0, b1, [&](int b, int oy, int ox, const float* best, const int*) {
      std::memcpy(y + ((1LL * b * g.oh + oy) * g.ow + ox) * g.C, best, sizeof(float) * g.C);
    });
  });
}

void maxpool_backward(const PoolGeom& g, const float* x, const float* dy, float* dx, int threads) {
  const int T = threadsFor(g, threads);
  parallel_run(T, [&](int t) {
    const int b0 = static_cast<int>(1LL * g.B * t / T), b1 = static_cast<int>(1LL * g.B * (t + 1) / T);
    std::memset(dx + b0 * img_size(g), 0, sizeof(float) * static_cast<size_t>((b1 - b0) * img_size(g)));
    scan<true>(g, x, b0, b1, [&](int b, int oy, int ox, const float*, const int* pos) {
      const float* d = dy + ((1LL * b * g.oh + oy) * g.ow + ox) * g.C;
      float* img = dx + b * img_size(g);
      for (int c = 0; c < g.C; ++c) {
        if (pos[c] >= 0) img[1LL * pos[c] * g.C + c] += d[c];
      }
    });
  });
}

}  // namespace rxnative
