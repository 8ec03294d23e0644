#include "gemm.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define RX_X86 1
#endif

namespace rxnative {

namespace {

// Shared by every kernel: the k-blocking defines the summation order, so it must not vary.
constexpr int KC = 256;
constexpr int MC = 144;   // multiple of every MR below
constexpr int NC = 2048;  // multiple of every NR below
// Floats of packed B kept at once (K × nc): 1 Mi floats = 4 MiB.
constexpr long long kPanelFloats = 1LL << 20;

// A microkernel: acc = Σ_k a[k·MR + i]·b[k·NR + j] over kc, then
//   first block: c = alpha·acc (+ beta·c when beta ≠ 0);  later blocks: c = c + alpha·acc.
using Ukr = void (*)(int kc, const float* a, const float* b, float* c, int ldc, float alpha,
                     float beta, bool first);

struct Kernel {
  const char* name;
  int mr, nr;
  Ukr ukr;
};

// Same per-element operations as the vector kernels' stores (no contraction: -ffp-contract=off).
inline float update(float acc, float old, float alpha, float beta, bool first) {
  const float t = alpha * acc;
  if (first) return beta == 0.0f ? t : t + beta * old;
  return old + t;
}

template <int MR, int NR>
void ukr_scalar(int kc, const float* a, const float* b, float* c, int ldc, float alpha, float beta,
                bool first) {
  float acc[MR][NR] = {};
  for (int k = 0; k < kc; ++k) {
    for (int i = 0; i < MR; ++i) {
      const float ai = a[k * MR + i];
      for (int j = 0; j < NR; ++j) acc[i][j] = std::fma(ai, b[k * NR + j], acc[i][j]);
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) c[i * ldc + j] = update(acc[i][j], c[i * ldc + j], alpha, beta, first);
}

#ifdef RX_X86
__attribute__((target("avx2,fma"))) void ukr_avx2(int kc, const float* a, const float* b, float* c,
                                                  int ldc, float alpha, float beta, bool first) {
  constexpr int MR = 6;
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
    __m256 ai;
    ai = _mm256_broadcast_ss(a + 0); c00 = _mm256_fmadd_ps(ai, b0, c00); c01 = _mm256_fmadd_ps(ai, b1, c01);
    ai = _mm256_broadcast_ss(a + 1); c10 = _mm256_fmadd_ps(ai, b0, c10); c11 = _mm256_fmadd_ps(ai, b1, c11);
    ai = _mm256_broadcast_ss(a + 2); c20 = _mm256_fmadd_ps(ai, b0, c20); c21 = _mm256_fmadd_ps(ai, b1, c21);
    ai = _mm256_broadcast_ss(a + 3); c30 = _mm256_fmadd_ps(ai, b0, c30); c31 = _mm256_fmadd_ps(ai, b1, c31);
    ai = _mm256_broadcast_ss(a + 4); c40 = _mm256_fmadd_ps(ai, b0, c40); c41 = _mm256_fmadd_ps(ai, b1, c41);
    ai = _mm256_broadcast_ss(a + 5); c50 = _mm256_fmadd_ps(ai, b0, c50); c51 = _mm256_fmadd_ps(ai, b1, c51);
    a += MR;
    b += 16;
  }
  const __m256 va = _mm256_set1_ps(alpha);
  const __m256 vb = _mm256_set1_ps(beta);
  const __m256 acc[6][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (int i = 0; i < MR; ++i) {
    for (int h = 0; h < 2; ++h) {
      float* p = c + i * ldc + 8 * h;
      __m256 t = _mm256_mul_ps(va, acc[i][h]);
      if (!first) t = _mm256_add_ps(_mm256_loadu_ps(p), t);
      else if (beta != 0.0f) t = _mm256_add_ps(t, _mm256_mul_ps(vb, _mm256_loadu_ps(p)));
      _mm256_storeu_ps(p, t);
    }
  }
}

__attribute__((target("avx512f"))) void ukr_avx512(int kc, const float* a, const float* b, float* c,
                                                   int ldc, float alpha, float beta, bool first) {
  constexpr int MR = 12;
  __m512 acc0[MR], acc1[MR];
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) { acc0[i] = _mm512_setzero_ps(); acc1[i] = _mm512_setzero_ps(); }
  for (int k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      acc0[i] = _mm512_fmadd_ps(ai, b0, acc0[i]);
      acc1[i] = _mm512_fmadd_ps(ai, b1, acc1[i]);
    }
    a += MR;
    b += 32;
  }
  const __m512 va = _mm512_set1_ps(alpha);
  const __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) {
    float* p = c + i * ldc;
    __m512 t0 = _mm512_mul_ps(va, acc0[i]);
    __m512 t1 = _mm512_mul_ps(va, acc1[i]);
    if (!first) {
      t0 = _mm512_add_ps(_mm512_loadu_ps(p), t0);
      t1 = _mm512_add_ps(_mm512_loadu_ps(p + 16), t1);
    } else if (beta != 0.0f) {
      t0 = _mm512_add_ps(t0, _mm512_mul_ps(vb, _mm512_loadu_ps(p)));
      t1 = _mm512_add_ps(t1, _mm512_mul_ps(vb, _mm512_loadu_ps(p + 16)));
    }
    _mm512_storeu_ps(p, t0);
    _mm512_storeu_ps(p + 16, t1);
  }
}
#endif

const Kernel kScalar{"scalar", 4, 8, ukr_scalar<4, 8>};
#ifdef RX_X86
const Kernel kAvx2{"avx2", 6, 16, ukr_avx2};
const Kernel kAvx512{"avx512", 12, 32, ukr_avx512};
#endif

const Kernel* pick() {
#ifdef RX_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return &kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &kAvx2;
#endif
  return &kScalar;
}

const Kernel* g_kernel = pick();

float* aligned_floats(std::vector<float>& v, size_t n) {
  if (v.size() < n + 16) v.resize(n + 16);
  auto p = reinterpret_cast<uintptr_t>(v.data());
  return reinterpret_cast<float*>((p + 63) & ~uintptr_t(63));
}

#ifdef RX_X86
// Transposes `rows` (≤ 16) rows of 16 floats (src, row stride lds) into 16 rows of `rows` floats
// (dst, row stride ldd; lanes past `rows` are not written): a 16×16 in-register transpose.
__attribute__((target("avx512f"))) inline void transpose16_avx512(const float* src, size_t lds, int rows, float* dst, int ldd) {
  const __mmask16 keep = static_cast<__mmask16>((1u << rows) - 1u);
  __m512 r[16];
  for (int i = 0; i < 16; ++i) r[i] = i < rows ? _mm512_loadu_ps(src + i * lds) : _mm512_setzero_ps();
  __m512 t[16], u[16];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
#pragma GCC unroll 4
  for (int j = 0; j < 4; ++j) {
    u[4 * j + 0] = _mm512_shuffle_ps(t[4 * j], t[4 * j + 2], 0x44);
    u[4 * j + 1] = _mm512_shuffle_ps(t[4 * j], t[4 * j + 2], 0xEE);
    u[4 * j + 2] = _mm512_shuffle_ps(t[4 * j + 1], t[4 * j + 3], 0x44);
    u[4 * j + 3] = _mm512_shuffle_ps(t[4 * j + 1], t[4 * j + 3], 0xEE);
  }
  // u[4j + m] holds, in 128-bit lane L, rows 4j..4j+3 of column 4L + m.
#pragma GCC unroll 4
  for (int m = 0; m < 4; ++m) {
    const __m512 v0 = _mm512_shuffle_f32x4(u[m], u[4 + m], 0x88);
    const __m512 v1 = _mm512_shuffle_f32x4(u[m], u[4 + m], 0xDD);
    const __m512 w0 = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0x88);
    const __m512 w1 = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0xDD);
    _mm512_mask_storeu_ps(dst + (m)*ldd, keep, _mm512_shuffle_f32x4(v0, w0, 0x88));
    _mm512_mask_storeu_ps(dst + (4 + m) * ldd, keep, _mm512_shuffle_f32x4(v1, w1, 0x88));
    _mm512_mask_storeu_ps(dst + (8 + m) * ldd, keep, _mm512_shuffle_f32x4(v0, w0, 0xDD));
    _mm512_mask_storeu_ps(dst + (12 + m) * ldd, keep, _mm512_shuffle_f32x4(v1, w1, 0xDD));
  }
}

// One full 12-row strip of a row-major A, 16 k at a time (the scalar strided copy it replaces
// was a third of a tall GEMM's time).
__attribute__((target("avx512f"))) void pack_a12_rows_avx512(const float* A, int lda, int kc, float* d) {
  int k = 0;
  for (; k + 16 <= kc; k += 16) transpose16_avx512(A + k, static_cast<size_t>(lda), 12, d + k * 12, 12);
  for (; k < kc; ++k)
    for (int i = 0; i < 12; ++i) d[k * 12 + i] = A[static_cast<size_t>(i) * lda + k];
}

// One full 32-column strip of a transposed B (stored N×K), 16 k at a time, as two 16×16 halves.
__attribute__((target("avx512f"))) void pack_b32_cols_avx512(const float* B, int ldb, int kc, float* d) {
  int k = 0;
  for (; k + 16 <= kc; k += 16)
    for (int h = 0; h < 2; ++h) transpose16_avx512(B + static_cast<size_t>(16 * h) * ldb + k, static_cast<size_t>(ldb), 16, d + k * 32 + 16 * h, 32);
  for (; k < kc; ++k)
    for (int j = 0; j < 32; ++j) d[k * 32 + j] = B[static_cast<size_t>(j) * ldb + k];
}

// `rows` (a multiple of 12) rows of a transposed A into consecutive 12-row strips: each k's
// values are contiguous in A, so k runs outside and every row of A is read once, in order.
__attribute__((target("avx512f"))) void pack_a12_cols_avx512(const float* A, int lda, int kc, int rows, float* d) {
  const __mmask16 m12 = 0x0FFF;
  for (int k = 0; k < kc; ++k) {
    const float* src = A + static_cast<size_t>(k) * lda;
    for (int s = 0; s < rows; s += 12)
      _mm512_mask_storeu_ps(d + static_cast<size_t>(s) * kc + k * 12, m12, _mm512_maskz_loadu_ps(m12, src + s));
  }
}
#endif

// Packs op(A)[i0:i0+mc, p0:p0+kc] into MR-row strips, k-major inside a strip, zero-padded.
void pack_a(const Kernel& K, bool ta, const float* A, int lda, int i0, int mc, int p0, int kc, float* dst) {
  const int MR = K.mr;
#ifdef RX_X86
  if (ta && &K == &kAvx512 && mc >= 12) {
    // k outer: each k's mc values are one contiguous run of A, read once, sequentially.
    const int full = mc / 12 * 12;
    pack_a12_cols_avx512(A + static_cast<size_t>(p0) * lda + i0, lda, kc, full, dst);
    if (full == mc) return;
    dst += static_cast<size_t>(full) * kc;
    i0 += full;
    mc -= full;
  }
#endif
  for (int s = 0; s < mc; s += MR) {
    const int rows = std::min(MR, mc - s);
    float* d = dst + s * kc;
#ifdef RX_X86
    if (!ta && rows == 12 && &K == &kAvx512) {
      pack_a12_rows_avx512(A + static_cast<size_t>(i0 + s) * lda + p0, lda, kc, d);
      continue;
    }
#endif
    if (ta) {
      for (int k = 0; k < kc; ++k) {
        const float* src = A + static_cast<size_t>(p0 + k) * lda + i0 + s;
        int r = 0;
        for (; r < rows; ++r) d[k * MR + r] = src[r];
        for (; r < MR; ++r) d[k * MR + r] = 0.0f;
      }
    } else {
      for (int r = 0; r < rows; ++r) {
        const float* src = A + static_cast<size_t>(i0 + s + r) * lda + p0;
        for (int k = 0; k < kc; ++k) d[k * MR + r] = src[k];
      }
      for (int r = rows; r < MR; ++r)
        for (int k = 0; k < kc; ++k) d[k * MR + r] = 0.0f;
    }
  }
}

// Packs op(B)[p0:p0+kc, j0:j0+nc] into NR-column strips, k-major inside a strip, zero-padded.
void pack_b(const Kernel& K, bool tb, const float* B, int ldb, int p0, int kc, int j0, int nc, float* dst) {
  const int NR = K.nr;
  if (!tb) {
    // k outside: each row of B is read once, in order (strip by strip, every k was a new
    // stride-ldb jump that the prefetchers did not follow).
    for (int k = 0; k < kc; ++k) {
      const float* src = B + static_cast<size_t>(p0 + k) * ldb + j0;
      for (int s = 0; s < nc; s += NR) {
        const int cols = std::min(NR, nc - s);
        float* d = dst + static_cast<size_t>(s) * kc + k * NR;
        std::memcpy(d, src + s, sizeof(float) * cols);
        for (int j = cols; j < NR; ++j) d[j] = 0.0f;
      }
    }
    return;
  }
  for (int s = 0; s < nc; s += NR) {
    const int cols = std::min(NR, nc - s);
    float* d = dst + s * kc;
#ifdef RX_X86
    if (cols == 32 && &K == &kAvx512) {
      pack_b32_cols_avx512(B + static_cast<size_t>(j0 + s) * ldb + p0, ldb, kc, d);
      continue;
    }
#endif
    for (int j = 0; j < cols; ++j) {
      const float* src = B + static_cast<size_t>(j0 + s + j) * ldb + p0;
      for (int k = 0; k < kc; ++k) d[k * NR + j] = src[k];
    }
    for (int j = cols; j < NR; ++j)
      for (int k = 0; k < kc; ++k) d[k * NR + j] = 0.0f;
  }
}

thread_local std::vector<float> tl_a, tl_b;

}  // namespace

const char* gemm_kernel_name() { return g_kernel->name; }

bool gemm_force_kernel(const char* name) {
  const Kernel* all[] = {
#ifdef RX_X86
      &kAvx512, &kAvx2,
#endif
      &kScalar};
  for (const Kernel* k : all) {
    if (std::strcmp(k->name, name) != 0) continue;
#ifdef RX_X86
    if (k == &kAvx512 && !__builtin_cpu_supports("avx512f")) return false;
    if (k == &kAvx2 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) return false;
#endif
    g_kernel = k;
    return true;
  }
  return false;
}

namespace {

// Rows of C up to which the product runs transposed (see sgemm).
constexpr int kSkinnyRows = 32;

void apply_epilogue(const Epilogue& ep, int i0, int i1, int j0, int nc, float* C, int ldc) {
  if (ep.bias == nullptr && !ep.relu) return;
  for (int i = i0; i < i1; ++i) {
    float* c = C + static_cast<size_t>(i) * ldc + j0;
    if (ep.bias != nullptr) for (int j = 0; j < nc; ++j) c[j] = c[j] + ep.bias[j0 + j];
    if (ep.relu) for (int j = 0; j < nc; ++j) c[j] = c[j] < 0.0f ? 0.0f : c[j];  // NaN stays NaN, as in tfjs
  }
}

thread_local std::vector<float> tl_t;

}  // namespace

void sgemm(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
           const float* B, int ldb, float beta, float* C, int ldc, const Epilogue& ep) {
  if (M <= 0 || N <= 0) return;
  const Kernel& ker = *g_kernel;
  const int MR = ker.mr, NR = ker.nr;
  if (K <= 0) {
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) C[static_cast<size_t>(i) * ldc + j] = beta == 0.0f ? 0.0f : beta * C[static_cast<size_t>(i) * ldc + j];
  } else if (M <= kSkinnyRows && N > kSkinnyRows) {
    // Few rows (a dense layer's batch): Cᵀ = op(B)ᵀ·op(A)ᵀ, into a scratch Cᵀ, makes the large B
    // the operand packed block by block as it is used (as the B panel it went through memory
    // twice more); fma(a, b, acc) = fma(b, a, acc) and the KC blocks are the same: the same bits.
    std::vector<float>& t = tl_t;
    if (t.size() < static_cast<size_t>(N) * M) t.resize(static_cast<size_t>(N) * M);
    if (beta != 0.0f)
      for (int i = 0; i < M; ++i)
        for (int j = 0; j < N; ++j) t[static_cast<size_t>(j) * M + i] = C[static_cast<size_t>(i) * ldc + j];
    sgemm(!tb, !ta, N, M, K, alpha, B, ldb, A, lda, beta, t.data(), M, Epilogue{});
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) C[static_cast<size_t>(i) * ldc + j] = t[static_cast<size_t>(j) * M + i];
    apply_epilogue(ep, 0, M, 0, N, C, ldc);
    return;
  }
  // The whole K×nc panel of B is packed once per column block; then each MC-row block of C runs
  // through every k-block while it is hot in L2 (sweeping all of M per k-block re-read C from
  // memory KC-steps times, which dominated tall products on hosts with slow L3/DRAM). Each
  // element's sum still runs over the same KC blocks in the same order.
  const int kblocks = (K + KC - 1) / KC;
  const int ncMax = std::max(NR, std::min(NC, static_cast<int>(kPanelFloats / std::max(1, K)) / NR * NR));
  float* pa = aligned_floats(tl_a, static_cast<size_t>(MC) * KC);
  float* pb = aligned_floats(tl_b, static_cast<size_t>(kblocks) * KC * ncMax);
  alignas(64) float tile[12 * 32];
  for (int jc = 0; jc < N; jc += ncMax) {
    const int nc = std::min(ncMax, N - jc);
    const int ncPad = (nc + NR - 1) / NR * NR;  // pack_b zero-pads the last strip
    for (int pc = 0; pc < K; pc += KC) pack_b(ker, tb, B, ldb, pc, std::min(KC, K - pc), jc, nc, pb + static_cast<size_t>(pc) * ncPad);
    for (int ic = 0; ic < M; ic += MC) {
      const int mc = std::min(MC, M - ic);
      for (int pc = 0; pc < K; pc += KC) {
        const int kc = std::min(KC, K - pc);
        const bool first = pc == 0;
        const float* pbk = pb + static_cast<size_t>(pc) * ncPad;
        pack_a(ker, ta, A, lda, ic, mc, pc, kc, pa);
        for (int jr = 0; jr < nc; jr += NR) {
          const int nr = std::min(NR, nc - jr);
          for (int ir = 0; ir < mc; ir += MR) {
            const int mr = std::min(MR, mc - ir);
            float* c = C + static_cast<size_t>(ic + ir) * ldc + jc + jr;
            const float* a = pa + ir * kc;
            const float* b = pbk + jr * kc;
            if (mr == MR && nr == NR) {
              ker.ukr(kc, a, b, c, ldc, alpha, beta, first);
            } else {
              // Edge tile: raw sums into a scratch tile, then the kernels' own update formula.
              ker.ukr(kc, a, b, tile, NR, 1.0f, 0.0f, true);
              for (int i = 0; i < mr; ++i)
                for (int j = 0; j < nr; ++j)
                  c[static_cast<size_t>(i) * ldc + j] = update(tile[i * NR + j], c[static_cast<size_t>(i) * ldc + j], alpha, beta, first);
            }
          }
        }
      }
      apply_epilogue(ep, ic, ic + mc, jc, nc, C, ldc);  // while this block of C is still in cache
    }
  }
}

}  // namespace rxnative
