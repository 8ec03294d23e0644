#include "winograd.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "pool.h"

#ifdef RX_WINO_PROFILE
#include <chrono>
#include <cstdio>
namespace rxnative { double g_wino_ms[4]; }
#define RX_PHASE_BEGIN auto rx_t0 = std::chrono::steady_clock::now();
#define RX_PHASE_END(i) g_wino_ms[i] += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - rx_t0).count();
#else
#define RX_PHASE_BEGIN
#define RX_PHASE_END(i)
#endif

namespace rxnative {

namespace {

// Channels per transform block: the transforms are vector code over channels (NHWC keeps them
// contiguous); a block's tile (α² × CB floats, 9 KB for α = 6) stays in L1.
constexpr int CB = 64;
// Below this many multiply-adds one thread is faster than waking the pool.
constexpr long long kParallelMacs = 1LL << 20;

// The transforms are plain loops over channel blocks; built for AVX-512 and AVX2 as well, picked
// at load time (ifunc). Without FMA contraction (-ffp-contract=off) every variant performs the
// same IEEE operations, so results do not depend on the CPU's vector width.
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__)
#define RX_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define RX_VECTOR_CLONES
#endif

// Toom–Cook F(m×m, r×r), α = m + r − 1: Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, from the points
// 0, ±1, ±2 (±1 only for F(2×2,3×3)) and ∞: Aᵀ evaluates at the points, G evaluates the filter
// divided by Nⱼ = Πₗ≠ⱼ(pⱼ − pₗ), Bᵀ interpolates (rows: coefficients of Πₗ≠ⱼ(x − pₗ), and of
// Πₗ(x − pₗ) for ∞); correlation is the transpose of that linear convolution algorithm. These
// are Lavin & Gray's matrices up to row signs. Exact in float except G's thirds, sixths, twelfths.
struct F23 {
  static constexpr int m = 2, r = 3, a = 4;
  static constexpr float AT[2][4] = {{1, 1, 1, 0}, {0, 1, -1, 1}};
  static constexpr float G[4][3] = {{-1, 0, 0}, {1.0f / 2, 1.0f / 2, 1.0f / 2}, {1.0f / 2, -1.0f / 2, 1.0f / 2}, {0, 0, 1}};
  static constexpr float BT[4][4] = {{-1, 0, 1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, -1, 0, 1}};
};

struct F43 {
  static constexpr int m = 4, r = 3, a = 6;
  static constexpr float AT[4][6] = {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};
  static constexpr float G[6][3] = {
      {1.0f / 4, 0, 0},
      {-1.0f / 6, -1.0f / 6, -1.0f / 6},
      {-1.0f / 6, 1.0f / 6, -1.0f / 6},
      {1.0f / 24, 1.0f / 12, 1.0f / 6},
      {1.0f / 24, -1.0f / 12, 1.0f / 6},
      {0, 0, 1}};
  static constexpr float BT[6][6] = {
      {4, 0, -5, 0, 1, 0},
      {0, -4, -4, 1, 1, 0},
      {0, 4, -4, -1, 1, 0},
      {0, -2, -1, 2, 1, 0},
      {0, 2, -1, -2, 1, 0},
      {0, 4, 0, -5, 0, 1}};
};

struct F25 {
  static constexpr int m = 2, r = 5, a = 6;
  static constexpr float AT[2][6] = {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 1}};
  static constexpr float G[6][5] = {
      {1.0f / 4, 0, 0, 0, 0},
      {-1.0f / 6, -1.0f / 6, -1.0f / 6, -1.0f / 6, -1.0f / 6},
      {-1.0f / 6, 1.0f / 6, -1.0f / 6, 1.0f / 6, -1.0f / 6},
      {1.0f / 24, 1.0f / 12, 1.0f / 6, 1.0f / 3, 2.0f / 3},
      {1.0f / 24, -1.0f / 12, 1.0f / 6, -1.0f / 3, 2.0f / 3},
      {0, 0, 0, 0, 1}};
  // The same six interpolation points (0, ±1, ±2, ∞) as F(4×4,3×3), so the same input transform.
  static constexpr const float (&BT)[6][6] = F43::BT;
};

#define RX_INLINE inline __attribute__((always_inline))

// out[i·os + q] = Σₖ Mt[i][k] · in[k·is + q] for i < ROWS, q < CB, summed in k order; with
// ADJOINT the transpose, Σₖ Mt[k][i] · in[k·is + q] for i < COLS (the transforms' gradients).
// The coefficients are compile-time constants: zero terms vanish, ±1 costs no multiply (exact).
template <bool ADJOINT, int ROWS, int COLS>
RX_INLINE void apply_matrix(const float (&Mt)[ROWS][COLS], const float* __restrict in, int is, float* __restrict out, int os) {
  constexpr int outs = ADJOINT ? COLS : ROWS, terms = ADJOINT ? ROWS : COLS;
#pragma GCC unroll 8
  for (int i = 0; i < outs; ++i) {
    float* __restrict o = out + static_cast<ptrdiff_t>(i) * os;
    for (int q = 0; q < CB; ++q) {
      float acc = 0.0f;
      bool started = false;
#pragma GCC unroll 8
      for (int k = 0; k < terms; ++k) {
        const float c = ADJOINT ? Mt[k][i] : Mt[i][k];
        if (c == 0.0f) continue;
        const float v = in[static_cast<ptrdiff_t>(k) * is + q];
        const float term = c == 1.0f ? v : (c == -1.0f ? -v : c * v);
        acc = started ? acc + term : term;
        started = true;
      }
      o[q] = acc;
    }
  }
}

template <int ROWS, int COLS>
RX_INLINE void apply(const float (&Mt)[ROWS][COLS], const float* __restrict in, int is, float* __restrict out, int os) {
  apply_matrix<false>(Mt, in, is, out, os);
}

template <int ROWS, int COLS>
RX_INLINE void apply_t(const float (&Mt)[ROWS][COLS], const float* __restrict in, int is, float* __restrict out, int os) {
  apply_matrix<true>(Mt, in, is, out, os);
}

// dst[0, CB) = src[0, nc) then zeros, or all zeros when src is null (outside the map): the
// transforms always work on whole channel blocks.
RX_INLINE void load_block(float* __restrict dst, const float* __restrict src, int nc) {
  if (src == nullptr) {
    std::memset(dst, 0, sizeof(float) * CB);
    return;
  }
  std::memcpy(dst, src, sizeof(float) * nc);
  if (nc < CB) std::memset(dst + nc, 0, sizeof(float) * (CB - nc));
}

// The last pass of a transform (apply, or apply_t when ADJOINT) straight into dst with row
// stride `stride`; a partial channel block goes through tmp, so the padding lanes never land.
template <bool ADJOINT, int ROWS, int COLS>
RX_INLINE void transform_store(const float (&Mt)[ROWS][COLS], const float* in, float* dst, size_t stride, int nc, float* tmp) {
  constexpr int outs = ADJOINT ? COLS : ROWS;
  const bool whole = nc == CB;
  float* out = whole ? dst : tmp;
  const int os = whole ? static_cast<int>(stride) : CB;
  apply_matrix<ADJOINT>(Mt, in, CB, out, os);
  if (!whole) for (int j = 0; j < outs; ++j) std::memcpy(dst + j * stride, tmp + j * CB, sizeof(float) * nc);
}

// Per-thread transform scratch, 3 × 10·10 × CB floats (heap: the addon is dlopen'ed, where
// static TLS space is scarce).
struct Scratch {
  std::vector<float> mem;
  float *d = nullptr, *t = nullptr, *v = nullptr;
  Scratch() : mem(3 * 10 * 10 * CB + 16) {
    auto p = reinterpret_cast<uintptr_t>(mem.data());
    d = reinterpret_cast<float*>((p + 63) & ~uintptr_t(63));
    t = d + 10 * 10 * CB;
    v = t + 10 * 10 * CB;
  }
};
thread_local Scratch tl_scratch;

// Where the convolution y[B,oh,ow,K] = x[B,H,W,C] ⋆ filter (stride 1, top/left padding pt/pl,
// zeros outside x) is computed as tiles of m×m outputs.
struct Job {
  int B, H, W, C, K, pt, pl, oh, ow, tilesY, tilesX;
};

// Filter transform of input channels [c0, c1): U[ξ][ci][co] = (G g Gᵀ)[ξ] for g = w[:, :, ci, co]
// (flipped in both spatial axes when `flip`, as the input gradient needs).
template <class P>
RX_INLINE void filter_transform(const float* w, int C, int K, bool flip, int c0, int c1, float* U) {
  constexpr int a = P::a, r = P::r;
  Scratch& s = tl_scratch;
  const size_t mat = static_cast<size_t>(C) * K;
  for (int ci = c0; ci < c1; ++ci) {
    for (int cb = 0; cb < K; cb += CB) {
      const int nc = std::min(CB, K - cb);
      for (int ky = 0; ky < r; ++ky) {
        for (int kx = 0; kx < r; ++kx) {
          const int sy = flip ? r - 1 - ky : ky, sx = flip ? r - 1 - kx : kx;
          load_block(s.d + (ky * r + kx) * CB, w + (static_cast<size_t>(sy * r + sx) * C + ci) * K + cb, nc);
        }
      }
      for (int kx = 0; kx < r; ++kx) apply(P::G, s.d + kx * CB, r * CB, s.t + kx * CB, r * CB);
      for (int i = 0; i < a; ++i) transform_store<false>(P::G, s.t + i * r * CB, U + (i * a) * mat + static_cast<size_t>(ci) * K + cb, mat, nc, s.v);
    }
  }
}

// Tile t of a job: its image and the top-left output pixel of its m×m tile.
struct TilePos {
  int b, y, x;
};

RX_INLINE TilePos tile_at(const Job& J, long long t, int m) {
  const int perImage = J.tilesY * J.tilesX;
  const int p = static_cast<int>(t % perImage);
  return {static_cast<int>(t / perImage), (p / J.tilesX) * m, (p % J.tilesX) * m};
}

// V[ξ][u][ci] = (Bᵀ d B)[ξ] for tiles t0 + u, u in [u0, u1), of a chunk of n tiles.
template <class P>
RX_INLINE void input_transform(const Job& J, const float* x, long long t0, int u0, int u1, int n, float* V) {
  constexpr int a = P::a, m = P::m;
  Scratch& s = tl_scratch;
  const size_t mat = static_cast<size_t>(n) * J.C;
  for (int u = u0; u < u1; ++u) {
    const TilePos tp = tile_at(J, t0 + u, m);
    const int b = tp.b, y0 = tp.y - J.pt, x0 = tp.x - J.pl;
    for (int cb = 0; cb < J.C; cb += CB) {
      const int nc = std::min(CB, J.C - cb);
      for (int i = 0; i < a; ++i) {
        const int iy = y0 + i;
        for (int j = 0; j < a; ++j) {
          const int ix = x0 + j;
          const bool inside = iy >= 0 && iy < J.H && ix >= 0 && ix < J.W;
          load_block(s.d + (i * a + j) * CB, inside ? x + ((static_cast<size_t>(b) * J.H + iy) * J.W + ix) * J.C + cb : nullptr, nc);
        }
      }
      for (int j = 0; j < a; ++j) apply(P::BT, s.d + j * CB, a * CB, s.t + j * CB, a * CB);
      for (int i = 0; i < a; ++i) transform_store<false>(P::BT, s.t + i * a * CB, V + (i * a) * mat + static_cast<size_t>(u) * J.C + cb, mat, nc, s.v);
    }
  }
}

// y tile = Aᵀ M A (+ bias, ReLU) for tiles t0 + u, u in [u0, u1), clipped to the output.
template <class P>
RX_INLINE void output_transform(const Job& J, const float* M, long long t0, int u0, int u1, int n, float* y, const Epilogue& ep) {
  constexpr int a = P::a, m = P::m;
  Scratch& s = tl_scratch;
  const size_t mat = static_cast<size_t>(n) * J.K;
  for (int u = u0; u < u1; ++u) {
    const TilePos tp = tile_at(J, t0 + u, m);
    const int b = tp.b, oy0 = tp.y, ox0 = tp.x;
    const int my = std::min(m, J.oh - oy0), mx = std::min(m, J.ow - ox0);
    for (int cb = 0; cb < J.K; cb += CB) {
      const int nc = std::min(CB, J.K - cb);
      const float* src = M + static_cast<size_t>(u) * J.K + cb;
      if (nc == CB) {
        for (int j = 0; j < a; ++j) apply(P::AT, src + j * mat, static_cast<int>(a * mat), s.t + j * CB, a * CB);
      } else {
        for (int xi = 0; xi < a * a; ++xi) load_block(s.d + xi * CB, src + xi * mat, nc);
        for (int j = 0; j < a; ++j) apply(P::AT, s.d + j * CB, a * CB, s.t + j * CB, a * CB);
      }
      for (int i = 0; i < my; ++i) apply(P::AT, s.t + i * a * CB, CB, s.v + i * m * CB, CB);
      for (int i = 0; i < my; ++i) {
        for (int j = 0; j < mx; ++j) {
          float* o = s.v + (i * m + j) * CB;
          if (ep.bias != nullptr) for (int q = 0; q < nc; ++q) o[q] = o[q] + ep.bias[cb + q];
          if (ep.relu) for (int q = 0; q < nc; ++q) o[q] = o[q] < 0.0f ? 0.0f : o[q];  // NaN stays NaN, as the GEMM's
          std::memcpy(y + ((static_cast<size_t>(b) * J.oh + oy0 + i) * J.ow + ox0 + j) * J.K + cb, o, sizeof(float) * nc);
        }
      }
    }
  }
}

// dM[ξ][u][co] = (A dY Aᵀ)[ξ], the gradient of the output transform, for tiles t0 + u (dy is
// zero past the output's edge).
template <class P>
RX_INLINE void output_adjoint(const Job& J, const float* dy, long long t0, int u0, int u1, int n, float* dM) {
  constexpr int a = P::a, m = P::m;
  Scratch& s = tl_scratch;
  const size_t mat = static_cast<size_t>(n) * J.K;
  for (int u = u0; u < u1; ++u) {
    const TilePos tp = tile_at(J, t0 + u, m);
    const int b = tp.b, oy0 = tp.y, ox0 = tp.x;
    for (int cb = 0; cb < J.K; cb += CB) {
      const int nc = std::min(CB, J.K - cb);
      for (int i = 0; i < m; ++i) {
        for (int j = 0; j < m; ++j) {
          const int oy = oy0 + i, ox = ox0 + j;
          load_block(s.d + (i * m + j) * CB, oy < J.oh && ox < J.ow ? dy + ((static_cast<size_t>(b) * J.oh + oy) * J.ow + ox) * J.K + cb : nullptr, nc);
        }
      }
      for (int j = 0; j < m; ++j) apply_t(P::AT, s.d + j * CB, m * CB, s.t + j * CB, m * CB);
      for (int k = 0; k < a; ++k) transform_store<true>(P::AT, s.t + k * m * CB, dM + (k * a) * mat + static_cast<size_t>(u) * J.K + cb, mat, nc, s.v);
    }
  }
}

// dw[:, :, ci, :] = Gᵀ dU[:, :, ci, :] G for input channels [c0, c1): the filter transform's gradient.
template <class P>
RX_INLINE void filter_adjoint(const float* dU, int C, int K, int c0, int c1, float* dw) {
  constexpr int a = P::a, r = P::r;
  Scratch& s = tl_scratch;
  const size_t mat = static_cast<size_t>(C) * K;
  for (int ci = c0; ci < c1; ++ci) {
    for (int cb = 0; cb < K; cb += CB) {
      const int nc = std::min(CB, K - cb);
      for (int xi = 0; xi < a * a; ++xi) load_block(s.d + xi * CB, dU + xi * mat + static_cast<size_t>(ci) * K + cb, nc);
      for (int j = 0; j < a; ++j) apply_t(P::G, s.d + j * CB, a * CB, s.t + j * CB, a * CB);
      for (int ky = 0; ky < r; ++ky) apply_t(P::G, s.t + ky * a * CB, CB, s.v + ky * r * CB, CB);
      for (int ky = 0; ky < r; ++ky)
        for (int kx = 0; kx < r; ++kx)
          std::memcpy(dw + (static_cast<size_t>(ky * r + kx) * C + ci) * K + cb, s.v + (ky * r + kx) * CB, sizeof(float) * nc);
    }
  }
}

// One algorithm: its sizes and transforms, each compiled in every vector width.
struct Algo {
  int m, r, a;
  void (*filter)(const float*, int, int, bool, int, int, float*);
  void (*input)(const Job&, const float*, long long, int, int, int, float*);
  void (*output)(const Job&, const float*, long long, int, int, int, float*, const Epilogue&);
  void (*outputAdjoint)(const Job&, const float*, long long, int, int, int, float*);
  void (*filterAdjoint)(const float*, int, int, int, int, float*);
};

#define RX_ALGO(P)                                                                                                          \
  RX_VECTOR_CLONES void filter_##P(const float* w, int C, int K, bool flip, int c0, int c1, float* U) {                     \
    filter_transform<P>(w, C, K, flip, c0, c1, U);                                                                          \
  }                                                                                                                         \
  RX_VECTOR_CLONES void input_##P(const Job& J, const float* x, long long t0, int u0, int u1, int n, float* V) {            \
    input_transform<P>(J, x, t0, u0, u1, n, V);                                                                             \
  }                                                                                                                         \
  RX_VECTOR_CLONES void output_##P(const Job& J, const float* M, long long t0, int u0, int u1, int n, float* y,             \
                                   const Epilogue& ep) {                                                                    \
    output_transform<P>(J, M, t0, u0, u1, n, y, ep);                                                                        \
  }                                                                                                                         \
  RX_VECTOR_CLONES void output_adjoint_##P(const Job& J, const float* dy, long long t0, int u0, int u1, int n, float* dM) { \
    output_adjoint<P>(J, dy, t0, u0, u1, n, dM);                                                                            \
  }                                                                                                                         \
  RX_VECTOR_CLONES void filter_adjoint_##P(const float* dU, int C, int K, int c0, int c1, float* dw) {                      \
    filter_adjoint<P>(dU, C, K, c0, c1, dw);                                                                                \
  }                                                                                                                         \
  const Algo algo_##P{P::m, P::r, P::a, filter_##P, input_##P, output_##P, output_adjoint_##P, filter_adjoint_##P};

RX_ALGO(F23)
RX_ALGO(F43)
RX_ALGO(F25)

// [begin, end) of part t of n parts of `total`.
void split(long long total, int n, int t, long long& begin, long long& end) {
  begin = total * t / n;
  end = total * (t + 1) / n;
}

thread_local std::vector<float> tl_u, tl_v, tl_m;

float* buffer(std::vector<float>& v, size_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}

// The convolution described by J with transformed filter U: [ξ][C][K], or [ξ][K][C] when transU.
void run(const Algo& A, const Job& J, const float* x, const float* U, bool transU, float* y, const Epilogue& ep, int T) {
  const int a2 = A.a * A.a;
  const long long tiles = 1LL * J.B * J.tilesY * J.tilesX;
  if (tiles == 0) return;
  const long long maxTiles = std::max<long long>(12, scratch_chunk_floats() / (1LL * a2 * (J.C + J.K)));
  const long long chunks = (tiles + maxTiles - 1) / maxTiles;
  const int n = static_cast<int>((tiles + chunks - 1) / chunks);
  float* V = buffer(tl_v, static_cast<size_t>(a2) * n * J.C);
  float* M = buffer(tl_m, static_cast<size_t>(a2) * n * J.K);
  for (long long t0 = 0; t0 < tiles; t0 += n) {
    const int cnt = static_cast<int>(std::min<long long>(n, tiles - t0));
    const int Tt = std::max(1, std::min<int>(T, cnt));
    { RX_PHASE_BEGIN
    parallel_run(Tt, [&](int t) {
      long long u0, u1;
      split(cnt, Tt, t, u0, u1);
      A.input(J, x, t0, static_cast<int>(u0), static_cast<int>(u1), n, V);
    });
    RX_PHASE_END(1) }
    // One GEMM per transform position, each whole on one thread: M_ξ = V_ξ · U_ξ.
    const int Tg = std::max(1, std::min(T, a2));
    { RX_PHASE_BEGIN
    parallel_run(Tg, [&](int t) {
      long long x0, x1;
      split(a2, Tg, t, x0, x1);
      for (long long xi = x0; xi < x1; ++xi) {
        const float* Vx = V + xi * n * J.C;
        const float* Ux = U + xi * J.C * J.K;
        sgemm(false, transU, cnt, J.K, J.C, 1.0f, Vx, J.C, Ux, transU ? J.C : J.K, 0.0f, M + xi * n * J.K, J.K, Epilogue{});
      }
    });
    RX_PHASE_END(2) }
    RX_PHASE_BEGIN
    parallel_run(Tt, [&](int t) {
      long long u0, u1;
      split(cnt, Tt, t, u0, u1);
      A.output(J, M, t0, static_cast<int>(u0), static_cast<int>(u1), n, y, ep);
    });
    RX_PHASE_END(3)
  }
}

// Mode: 0 auto, 1 gemm, 2 forced Winograd; tile 0 = the default per filter size.
std::atomic<int> g_mode{-1};
std::atomic<int> g_tile{0};

bool parse(const std::string& raw, int& mode, int& tile) {
  std::string s;
  for (char c : raw) s.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  tile = 0;
  if (s == "auto" || s.empty()) mode = 0;
  else if (s == "gemm" || s == "0" || s == "off" || s == "false" || s == "no") mode = 1;
  else if (s == "winograd" || s == "1" || s == "on" || s == "true" || s == "yes") mode = 2;
  else if (s == "winograd:2") { mode = 2; tile = 2; }
  else if (s == "winograd:4") { mode = 2; tile = 4; }
  else return false;
  return true;
}

int mode() {
  int m = g_mode.load();
  if (m < 0) {
    int parsed = 0, tile = 0;
    const char* env = std::getenv("RXTRAIN_WINOGRAD");
    if (env == nullptr || !parse(env, parsed, tile)) { parsed = 0; tile = 0; }
    int expected = -1;
    if (g_mode.compare_exchange_strong(expected, parsed)) g_tile.store(tile);
    m = g_mode.load();
  }
  return m;
}

// Multiplies per output channel pair: direct (r² per output) and by F(m, r) (α² per tile).
long long direct_cost(int oh, int ow, int r) { return 1LL * oh * ow * r * r; }
long long wino_cost(const Algo& P, int oh, int ow) {
  return 1LL * ((oh + P.m - 1) / P.m) * ((ow + P.m - 1) / P.m) * P.a * P.a;
}

// The plan for a stride-1 convolution producing oh×ow from C to K channels, or null for GEMM.
const Algo* choose(const ConvGeom& g, int oh, int ow, int C, int K) {
  const int md = mode();
  if (md == 1) return nullptr;
  if (g.kh != g.kw || g.sh != 1 || g.sw != 1 || g.dh != 1 || g.dw != 1) return nullptr;
  if (g.kh != 3 && g.kh != 5) return nullptr;
  if (md == 2) {
    if (g.kh == 5) return &algo_F25;
    return g_tile.load() == 2 ? &algo_F23 : &algo_F43;
  }
  // Auto: with few channels the transforms, not the products, dominate. F(2×2,5×5) expands each
  // output tile's data 9× (α²/m²). Its input gradient into 64–127 channels (the small model's
  // conv2, 192 → 64; AlexNet's, 256 → 96) and its filter gradient measured 0.8× and 0.98–1.14×
  // the GEMM on 2026-11-26's host, but 1.3–1.6× on 2026-12-07's (slower L3 and DRAM, where
  // im2col/col2im's traffic costs more than the transforms'), with the same ≤ 4e-6 error as
  // the forward: both run by Winograd; below 64 channels they stay on the GEMM.
  if (C < 16 || K < 16) return nullptr;
  if (g.kh == 5 && K < 64) return nullptr;
  const long long direct = direct_cost(oh, ow, g.kh);
  const Algo* best = nullptr;
  long long bestCost = direct * 4 / 5;  // Winograd must save at least a fifth of the multiplies
  const Algo* cands[] = {g.kh == 3 ? &algo_F43 : &algo_F25, g.kh == 3 ? &algo_F23 : nullptr};
  for (const Algo* p : cands) {
    if (p == nullptr) continue;
    const long long c = wino_cost(*p, oh, ow);
    if (c < bestCost) { best = p; bestCost = c; }
  }
  return best;
}

int threads_for(long long macs, int threads) { return macs < kParallelMacs ? 1 : std::max(1, threads); }

void transform_filter(const Algo& P, const float* w, int C, int K, bool flip, float* U, int T) {
  const int Tf = std::max(1, std::min(T, C));
  RX_PHASE_BEGIN
  parallel_run(Tf, [&](int t) {
    long long c0, c1;
    split(C, Tf, t, c0, c1);
    P.filter(w, C, K, flip, static_cast<int>(c0), static_cast<int>(c1), U);
  });
  RX_PHASE_END(0)
}

}  // namespace

bool winograd_conv2d(const ConvGeom& g, const float* x, const float* w, float* y, const Epilogue& ep, int threads) {
  const Algo* P = choose(g, g.oh, g.ow, g.Cin, g.Cout);
  if (P == nullptr) return false;
  const int T = threads_for(1LL * g.B * g.oh * g.ow * g.Cin * g.Cout * g.kh * g.kw, threads);
  float* U = buffer(tl_u, static_cast<size_t>(P->a) * P->a * g.Cin * g.Cout);
  transform_filter(*P, w, g.Cin, g.Cout, false, U, T);
  const Job J{g.B, g.H, g.W, g.Cin, g.Cout, g.pt, g.pl, g.oh, g.ow, (g.oh + P->m - 1) / P->m, (g.ow + P->m - 1) / P->m};
  run(*P, J, x, U, false, y, ep, T);
  return true;
}

bool winograd_conv2d_backprop_input(const ConvGeom& g, const float* dy, const float* w, float* dx, int threads) {
  // dx = dy ⋆ flip(w)ᵀ: stride 1, top/left padding r − 1 − p (negative: start inside dy).
  const Algo* P = choose(g, g.H, g.W, g.Cout, g.Cin);
  if (P == nullptr) return false;
  const int T = threads_for(1LL * g.B * g.oh * g.ow * g.Cin * g.Cout * g.kh * g.kw, threads);
  float* U = buffer(tl_u, static_cast<size_t>(P->a) * P->a * g.Cin * g.Cout);
  transform_filter(*P, w, g.Cin, g.Cout, true, U, T);
  const Job J{g.B, g.oh, g.ow, g.Cout, g.Cin, g.kh - 1 - g.pt, g.kw - 1 - g.pl, g.H, g.W,
              (g.H + P->m - 1) / P->m, (g.W + P->m - 1) / P->m};
  run(*P, J, dy, U, true, dx, Epilogue{}, T);
  return true;
}

bool winograd_conv2d_backprop_filter(const ConvGeom& g, const float* x, const float* dy, float* dw, int threads) {
  // y = Aᵀ[Σ_ci U ⊙ V]A per tile, so dU[ξ] = Σ_tiles V[ξ]ᵀ·(A dY Aᵀ)[ξ] and dw = Gᵀ dU G.
  const Algo* P = choose(g, g.oh, g.ow, g.Cin, g.Cout);
  if (P == nullptr) return false;
  const int T = threads_for(1LL * g.B * g.oh * g.ow * g.Cin * g.Cout * g.kh * g.kw, threads);
  const Job J{g.B, g.H, g.W, g.Cin, g.Cout, g.pt, g.pl, g.oh, g.ow, (g.oh + P->m - 1) / P->m, (g.ow + P->m - 1) / P->m};
  const int a2 = P->a * P->a;
  const size_t mat = static_cast<size_t>(g.Cin) * g.Cout;
  float* dU = buffer(tl_u, a2 * mat);
  const long long tiles = 1LL * J.B * J.tilesY * J.tilesX;
  if (tiles == 0) {
    std::memset(dw, 0, sizeof(float) * g.wSize());
    return true;
  }
  // Chunks of whole 256-tile blocks (the GEMM's k-block), so each sum runs over the same blocks.
  const long long maxTiles = std::max<long long>(256, scratch_chunk_floats() / (1LL * a2 * (J.C + J.K)) / 256 * 256);
  const int n = static_cast<int>(std::min(tiles, maxTiles));
  float* V = buffer(tl_v, static_cast<size_t>(a2) * n * J.C);
  float* dM = buffer(tl_m, static_cast<size_t>(a2) * n * J.K);
  for (long long t0 = 0; t0 < tiles; t0 += n) {
    const int cnt = static_cast<int>(std::min<long long>(n, tiles - t0));
    const int Tt = std::max(1, std::min<int>(T, cnt));
    parallel_run(Tt, [&](int t) {
      long long u0, u1;
      split(cnt, Tt, t, u0, u1);
      P->input(J, x, t0, static_cast<int>(u0), static_cast<int>(u1), n, V);
      P->outputAdjoint(J, dy, t0, static_cast<int>(u0), static_cast<int>(u1), n, dM);
    });
    const int Tg = std::max(1, std::min(T, a2));
    parallel_run(Tg, [&](int t) {
      long long x0, x1;
      split(a2, Tg, t, x0, x1);
      for (long long xi = x0; xi < x1; ++xi) {
        sgemm(true, false, J.C, J.K, cnt, 1.0f, V + xi * n * J.C, J.C, dM + xi * n * J.K, J.K, t0 == 0 ? 0.0f : 1.0f,
              dU + xi * mat, J.K, Epilogue{});
      }
    });
  }
  const int Tf = std::max(1, std::min(T, g.Cin));
  parallel_run(Tf, [&](int t) {
    long long c0, c1;
    split(g.Cin, Tf, t, c0, c1);
    P->filterAdjoint(dU, g.Cin, g.Cout, static_cast<int>(c0), static_cast<int>(c1), dw);
  });
  return true;
}

bool set_conv_algo(const std::string& name) {
  int md = 0, tile = 0;
  if (!parse(name, md, tile)) return false;
  g_tile.store(tile);
  g_mode.store(md);
  return true;
}

std::string conv_algo() {
  const int md = mode();
  if (md == 1) return "gemm";
  if (md == 0) return "auto";
  const int tile = g_tile.load();
  return tile == 0 ? "winograd" : "winograd:" + std::to_string(tile);
}

}  // namespace rxnative
