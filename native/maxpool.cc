#include "maxpool.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "pool.h"

namespace rxnative {

namespace {

constexpr long long kParallelElems = 1LL << 15;

// Four-lane float vectors (GCC/Clang vector extensions: SSE on x86, NEON on Arm, plain code
// elsewhere). Written out because the compilers emit branches for the scalar selects, and on
// random-signed activations those branches mispredict about half the time.
typedef float f4 __attribute__((vector_size(16)));
typedef int i4 __attribute__((vector_size(16)));

inline f4 load4(const float* p) {
  f4 r;
  std::memcpy(&r, p, sizeof r);
  return r;
}
inline void store4(float* p, f4 v) { std::memcpy(p, &v, sizeof v); }
inline f4 splat4(float v) { return f4{v, v, v, v}; }
// Bitwise blend: lanes of a where m is all ones, else b.
inline f4 select4(i4 m, f4 a, f4 b) { return reinterpret_cast<f4>((reinterpret_cast<i4>(a) & m) | (reinterpret_cast<i4>(b) & ~m)); }

long long img_size(const PoolGeom& g) { return 1LL * g.H * g.W * g.C; }

int threadsFor(const PoolGeom& g, int threads) {
  if (g.xSize() < kParallelElems) return 1;
  return std::max(1, std::min(threads, g.B));
}

// Window bounds of output pixel (oy, ox), clipped to the image.
struct Window {
  int y0, y1, x0, x1;
};
inline Window window(const PoolGeom& g, int oy, int ox) {
  return {std::max(0, oy * g.sh - g.pt), std::min(g.H, oy * g.sh - g.pt + g.fh), std::max(0, ox * g.sw - g.pl),
          std::min(g.W, ox * g.sw - g.pl + g.fw)};
}

// best[c] = the window's maximum of channel c of image xb and, when pos is not null, pos[c] =
// the pixel (y·W + x, as a float: exact below 2²⁴ pixels) it came from, −1 for an empty
// window. The running maximum starts at −∞ and only a strictly greater value replaces it, in
// row-major window order: the first maximum wins.
void windowMax(const PoolGeom& g, const float* xb, const Window& w, float* best, float* pos) {
  const float ninf = -std::numeric_limits<float>::infinity();
  int c = 0;
  for (; c + 4 <= g.C; c += 4) {
    f4 b = splat4(ninf), p = splat4(-1.0f);
    for (int yy = w.y0; yy < w.y1; ++yy) {
      for (int xx = w.x0; xx < w.x1; ++xx) {
        const int pixel = yy * g.W + xx;
        const f4 v = load4(xb + static_cast<long long>(pixel) * g.C + c);
        const i4 m = v > b;
        b = select4(m, v, b);
        if (pos != nullptr) p = select4(m, splat4(static_cast<float>(pixel)), p);
      }
    }
    store4(best + c, b);
    if (pos != nullptr) store4(pos + c, p);
  }
  for (; c < g.C; ++c) {
    float b = ninf, p = -1.0f;
    for (int yy = w.y0; yy < w.y1; ++yy) {
      for (int xx = w.x0; xx < w.x1; ++xx) {
        const int pixel = yy * g.W + xx;
        const float v = xb[static_cast<long long>(pixel) * g.C + c];
        if (v > b) {
          b = v;
          p = static_cast<float>(pixel);
        }
      }
    }
    best[c] = b;
    if (pos != nullptr) pos[c] = p;
  }
}

}  // namespace

void maxpool_forward(const PoolGeom& g, const float* x, float* y, int threads) {
  const int T = threadsFor(g, threads);
  parallel_run(T, [&](int t) {
    const int b0 = static_cast<int>(1LL * g.B * t / T), b1 = static_cast<int>(1LL * g.B * (t + 1) / T);
    for (int b = b0; b < b1; ++b) {
      for (int oy = 0; oy < g.oh; ++oy) {
        for (int ox = 0; ox < g.ow; ++ox) {
          windowMax(g, x + b * img_size(g), window(g, oy, ox), y + ((1LL * b * g.oh + oy) * g.ow + ox) * g.C, nullptr);
        }
      }
    }
  });
}

// Two steps per image, so that dx is written once, in order, with no zeroing pass and no
// scattered read-modify-writes: each window's first-maximum position per channel, then every
// dx element gathers dy from the (at most ⌈fh/sh⌉·⌈fw/sw⌉) windows that chose it, in
// row-major window order, as cpu sums them.
void maxpool_backward(const PoolGeom& g, const float* x, const float* dy, float* dx, int threads) {
  const int T = threadsFor(g, threads);
  parallel_run(T, [&](int t) {
    const int b0 = static_cast<int>(1LL * g.B * t / T), b1 = static_cast<int>(1LL * g.B * (t + 1) / T);
    const size_t plane = static_cast<size_t>(g.oh) * g.ow * g.C;
    std::vector<float> pos(plane), best(g.C);
    for (int b = b0; b < b1; ++b) {
      const float* xb = x + b * img_size(g);
      for (int oy = 0; oy < g.oh; ++oy) {
        for (int ox = 0; ox < g.ow; ++ox) {
          windowMax(g, xb, window(g, oy, ox), best.data(), pos.data() + (static_cast<size_t>(oy) * g.ow + ox) * g.C);
        }
      }
      const float* dyb = dy + static_cast<long long>(b) * plane;
      float* dxb = dx + b * img_size(g);
      for (int iy = 0; iy < g.H; ++iy) {
        // Windows oy with oy·sh − pt ≤ iy < oy·sh − pt + fh (numerators kept non-negative so
        // that integer division floors).
        const int oy0 = std::max(0, (iy + g.pt - g.fh + g.sh + g.fh * g.sh) / g.sh - g.fh), oy1 = std::min(g.oh - 1, (iy + g.pt) / g.sh);
        for (int ix = 0; ix < g.W; ++ix) {
          const int ox0 = std::max(0, (ix + g.pl - g.fw + g.sw + g.fw * g.sw) / g.sw - g.fw), ox1 = std::min(g.ow - 1, (ix + g.pl) / g.sw);
          const int pixel = iy * g.W + ix;
          const f4 fp = splat4(static_cast<float>(pixel));
          float* o = dxb + static_cast<long long>(pixel) * g.C;
          int c = 0;
          for (; c + 4 <= g.C; c += 4) {
            f4 acc = splat4(0.0f);
            for (int oy = oy0; oy <= oy1; ++oy) {
              for (int ox = ox0; ox <= ox1; ++ox) {
                const size_t w = (static_cast<size_t>(oy) * g.ow + ox) * g.C + c;
                acc += select4(load4(pos.data() + w) == fp, load4(dyb + w), splat4(0.0f));
              }
            }
            store4(o + c, acc);
          }
          for (; c < g.C; ++c) {
            float acc = 0.0f;
            for (int oy = oy0; oy <= oy1; ++oy) {
              for (int ox = ox0; ox <= ox1; ++ox) {
                const size_t w = (static_cast<size_t>(oy) * g.ow + ox) * g.C + c;
                if (pos[w] == static_cast<float>(pixel)) acc += dyb[w];
              }
            }
            o[c] = acc;
          }
        }
      }
    }
  });
}

}  // namespace rxnative
