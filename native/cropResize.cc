#include "cropResize.h"

#include <cmath>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace rxnative {

namespace {

constexpr int ONE = 1 << 14;

// Output d reads n[d] source indices from start[d] with weights w[d * maxTaps + t] (sum 2^14).
// pairW3: the same weights as int16 pairs for pmaddwd on 3-channel pixels: for output d and tap
// pair j (taps 2j, 2j + 1), 8 values at (d * pairs + j) * 8: wa wb wa wb wa wb 0 0 (zero-padded).
struct Taps {
  std::vector<int> start, n, w;
  int maxTaps = 1;
  int pairs = 1;
  std::vector<int16_t> pairW3;
};

// JavaScript's Math.round for v >= 0 (ties up). v - floor(v) is exact for doubles, so this is
// the same integer the JS kernel gets, which keeps the two kernels bit-identical.
int jsRound(double v) {
  const double f = std::floor(v);
  return static_cast<int>(v - f >= 0.5 ? f + 1 : f);
}

// Unrounded taps of one axis, flat: output d reads n[d] samples from start[d] with weights
// w[d * bound + k]. Built once per (method, map, length), without an allocation per output.
struct RawTaps {
  int bound = 1;
  std::vector<int> start, n;
  std::vector<double> w;
  RawTaps(int dst, int b) : bound(b), start(dst), n(dst), w(static_cast<size_t>(dst) * b) {}
};

// As toFixed in cropResizeInto.ts: round each weight, give the residue to the (first) largest
// so every row sums to exactly 2^14 and a flat image stays flat.
Taps toFixed(const RawTaps& r) {
  Taps t;
  t.start = r.start;
  t.n = r.n;
  for (int k : r.n) t.maxTaps = k > t.maxTaps ? k : t.maxTaps;
  const size_t dst = r.start.size();
  t.w.assign(dst * t.maxTaps, 0);
  for (size_t d = 0; d < dst; ++d) {
    const double* ws = &r.w[d * r.bound];
    int* fixed = &t.w[d * t.maxTaps];
    int sum = 0, big = 0;
    for (int k = 0; k < r.n[d]; ++k) {
      fixed[k] = jsRound(ws[k] * ONE);
      sum += fixed[k];
      if (fixed[k] > fixed[big]) big = k;
    }
    fixed[big] += ONE - sum;
  }
  t.pairs = (t.maxTaps + 1) / 2;
  t.pairW3.assign(dst * t.pairs * 8, 0);
  for (size_t d = 0; d < dst; ++d)
    for (int j = 0; j < t.pairs; ++j) {
      const int a = 2 * j < t.maxTaps ? t.w[d * t.maxTaps + 2 * j] : 0;
      const int b = 2 * j + 1 < t.maxTaps ? t.w[d * t.maxTaps + 2 * j + 1] : 0;
      int16_t* q = &t.pairW3[(d * t.pairs + j) * 8];
      for (int k = 0; k < 3; ++k) {
        q[2 * k] = static_cast<int16_t>(a);  // weights are 0..2^14: they fit
        q[2 * k + 1] = static_cast<int16_t>(b);
      }
    }
  return t;
}

// Taps along one axis in integer units: output d covers [offset + d * step, offset + (d + 1) *
// step) and source pixel k covers [k * unit, (k + 1) * unit), k < src. A crop resized as a whole
// is unit = dst, offset = 0, step = src; a subsampled chroma plane of such a crop has other units
// and an offset when the crop starts between two of its samples (see resize_plane).

// Half-pixel centres, clamped at the borders (resizeImage's bilinear). -ffp-contract=off keeps
// the double arithmetic in the same order as V8's (for offset 0 the same operations as the JS
// kernel: 0 + x is x).
Taps bilinearTaps(const AxisMap& m, int dst) {
  const double scale = static_cast<double>(m.step) / m.unit;
  const double origin = static_cast<double>(m.offset) / m.unit;
  RawTaps r(dst, 2);
  for (int d = 0; d < dst; ++d) {
    double f = origin + (d + 0.5) * scale - 0.5;
    if (f < 0) f = 0;
    const int s = static_cast<int>(std::floor(f));
    double* w = &r.w[static_cast<size_t>(d) * 2];
    if (s >= m.src - 1) {
      r.start[d] = m.src - 1;
      r.n[d] = 1;
      w[0] = 1.0;
    } else {
      r.start[d] = s;
      r.n[d] = 2;
      w[0] = 1 - (f - s);
      w[1] = f - s;
    }
  }
  return toFixed(r);
}

// Exact box overlaps in integer units (resizeImage's area for a whole crop). Source pixels past
// `src` are not read: their share goes to the largest weight (toFixed).
Taps areaTaps(const AxisMap& m, int dst) {
  RawTaps r(dst, static_cast<int>((m.step + m.unit - 1) / m.unit) + 1);
  for (int d = 0; d < dst; ++d) {
    const long long lo = m.offset + 1LL * d * m.step, hi = lo + m.step;
    double* w = &r.w[static_cast<size_t>(d) * r.bound];
    int first = -1, k = 0;
    for (long long s = lo / m.unit; s * m.unit < hi && s < m.src; ++s) {
      const long long overlap = std::min(hi, (s + 1) * m.unit) - std::max(lo, s * m.unit);
      if (overlap > 0) {
        if (first < 0) first = static_cast<int>(s);
        w[k++] = static_cast<double>(overlap) / m.step;
      }
    }
    if (first < 0) {  // only past the source's end (an odd output's last chroma sample): its edge
      first = m.src - 1;
      w[k++] = 1.0;
    }
    r.start[d] = first;
    r.n[d] = k;
  }
  return toFixed(r);
}

// Taps depend only on (method, axis map, output length) and a dataset has few distinct crop
// sizes: a small per-thread cache takes their computation off the per-image cost. Shared
// pointers: the caller holds two entries while the cache may evict.
std::shared_ptr<const Taps> taps(ResizeMethod method, const AxisMap& m, int dst) {
  struct Entry {
    ResizeMethod method;
    AxisMap m;
    int dst;
    std::shared_ptr<const Taps> t;
  };
  thread_local std::vector<Entry> cache;
  for (const Entry& e : cache)
    if (e.method == method && e.dst == dst && e.m.src == m.src && e.m.unit == m.unit && e.m.offset == m.offset && e.m.step == m.step) return e.t;
  if (cache.size() >= 256) cache.erase(cache.begin());
  cache.push_back({method, m, dst, std::make_shared<const Taps>(method == ResizeMethod::Area ? areaTaps(m, dst) : bilinearTaps(m, dst))});
  return cache.back().t;
}

std::shared_ptr<const Taps> taps(ResizeMethod method, int src, int dst) { return taps(method, AxisMap{src, dst, 0, src}, dst); }

// One row of the vertical pass: `len` contiguous bytes of `n` source rows `stride` apart,
// weighted, to 8.8 fixed point. Plain loops the compiler vectorises; the AVX2 build of the
// same source (chosen at run time) has 8-lane 32-bit multiplies, which SSE2 lacks.
__attribute__((always_inline)) inline void verticalRowBody(const uint8_t* __restrict r0, size_t stride, int n, const int* w, uint16_t* __restrict t, int len) {
  if (n == 1) {
    for (int i = 0; i < len; ++i) t[i] = static_cast<uint16_t>(r0[i] << 8);
  } else if (n == 2) {
    const int w0 = w[0], w1 = w[1];
    const uint8_t* __restrict r1 = r0 + stride;
    for (int i = 0; i < len; ++i) t[i] = static_cast<uint16_t>((r0[i] * w0 + r1[i] * w1 + 32) >> 6);
  } else if (n == 3) {
    const int w0 = w[0], w1 = w[1], w2 = w[2];
    const uint8_t* __restrict r1 = r0 + stride;
    const uint8_t* __restrict r2 = r1 + stride;
    for (int i = 0; i < len; ++i) t[i] = static_cast<uint16_t>((r0[i] * w0 + r1[i] * w1 + r2[i] * w2 + 32) >> 6);
  } else {
    thread_local std::vector<int> accRow;
    if (accRow.size() < static_cast<size_t>(len)) accRow.resize(len);
    int* __restrict acc = accRow.data();
    for (int i = 0; i < len; ++i) acc[i] = 32;
    for (int q = 0; q < n; ++q) {
      const uint8_t* __restrict r = r0 + q * stride;
      const int wq = w[q];
      for (int i = 0; i < len; ++i) acc[i] += r[i] * wq;
    }
    for (int i = 0; i < len; ++i) t[i] = static_cast<uint16_t>(acc[i] >> 6);
  }
}

using VerticalRow = void (*)(const uint8_t*, size_t, int, const int*, uint16_t*, int);

void verticalRowPlain(const uint8_t* r0, size_t stride, int n, const int* w, uint16_t* t, int len) { verticalRowBody(r0, stride, n, w, t, len); }

#if defined(__x86_64__) || defined(__i386__)
// The same sums with two source rows per pmaddwd (bytes widened to 16 bits, the rows'
// values interleaved, weight pairs in each 32-bit lane) on 16 outputs at a time: pixel values
// and weights are non-negative and below 2^15, and a sum stays below 2^23.
__attribute__((target("avx2"))) void verticalRowAvx2(const uint8_t* r0, size_t stride, int n, const int* w, uint16_t* t, int len) {
  if (n == 1) return verticalRowBody(r0, stride, n, w, t, len);
  const __m256i round = _mm256_set1_epi32(32);
  int i = 0;
  for (; i + 16 <= len; i += 16) {
    __m256i lo = round, hi = round;
    for (int q = 0; q < n; q += 2) {
      const uint8_t* ra = r0 + q * stride + i;
      const __m256i a = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(ra)));
      const bool two = q + 1 < n;
      const __m256i b = two ? _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(ra + stride))) : _mm256_setzero_si256();
      const __m256i wv = _mm256_set1_epi32(static_cast<int>((static_cast<uint32_t>(two ? w[q + 1] : 0) << 16) | static_cast<uint32_t>(w[q])));
      lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(a, b), wv));
      hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(a, b), wv));
    }
    // unpacklo/hi and packus both work within 128-bit halves, so the order comes back.
    const __m256i out = _mm256_packus_epi32(_mm256_srai_epi32(lo, 6), _mm256_srai_epi32(hi, 6));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(t + i), out);
  }
  if (i < len) verticalRowBody(r0 + i, stride, n, w, t + i, len - i);
}
#endif

VerticalRow verticalRowFor() {
#if defined(__x86_64__) || defined(__i386__)
  static const VerticalRow best = __builtin_cpu_supports("avx2") ? verticalRowAvx2 : verticalRowPlain;
  return best;
#else
  return verticalRowPlain;
#endif
}

#if defined(__x86_64__) || defined(__i386__)
// One output row of the horizontal pass for 3- or 4-channel intermediates, the channels of a
// pixel in the four 32-bit lanes of an SSE register (pmulld needs SSE4.1; without it the
// compiler cannot vectorise the gather). The same integer arithmetic as the scalar loop, so
// the same bytes. A 3-channel pixel's load reads one value of the next pixel (the scratch has
// slack) into the lane that is never stored. Returns nothing; adds the row's sums.
template <int SC, int C>
__attribute__((target("sse4.1"))) void horizontalRowSse41(const uint16_t* t, const Taps& xt, int ow, uint8_t* o, uint64_t* sums) {
  const __m128i half = _mm_set1_epi32(1 << 21);
  __m128i rowSum = _mm_setzero_si128();
  for (int dx = 0; dx < ow; ++dx) {
    const int n = xt.n[dx];
    const int* w = &xt.w[static_cast<size_t>(dx) * xt.maxTaps];
    const uint16_t* p = t + xt.start[dx] * SC;
    __m128i acc = half;
    for (int q = 0; q < n; ++q, p += SC) {
      const __m128i v = _mm_cvtepu16_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
      acc = _mm_add_epi32(acc, _mm_mullo_epi32(v, _mm_set1_epi32(w[q])));
    }
    acc = _mm_srai_epi32(acc, 22);
    rowSum = _mm_add_epi32(rowSum, acc);
    const uint32_t px = static_cast<uint32_t>(_mm_cvtsi128_si32(_mm_packus_epi16(_mm_packus_epi32(acc, acc), acc)));
    if (C == 4 || dx + 1 < ow) {
      std::memcpy(o, &px, 4);  // for C == 3 the 4th byte is overwritten by the next pixel
    } else {
      o[0] = static_cast<uint8_t>(px);
      o[1] = static_cast<uint8_t>(px >> 8);
      o[2] = static_cast<uint8_t>(px >> 16);
    }
    o += C;
  }
  alignas(16) uint32_t lanes[4];
  _mm_store_si128(reinterpret_cast<__m128i*>(lanes), rowSum);
  for (int k = 0; k < C; ++k) sums[k] += lanes[k];
}

bool hasSse41() {
  static const bool yes = __builtin_cpu_supports("sse4.1");
  return yes;
}

// The two-pixel kernels' common ends. storePixelPair: the 22-bit shift, the row sums, and
// the two pixels stored (a 4-byte store per pixel; for C == 3 the 4th byte is overwritten by
// the next pixel, so the row's last pixel goes byte by byte). Returns the next output.
template <int C>
__attribute__((target("avx2"))) inline uint8_t* storePixelPair(__m256i acc, uint8_t* o, bool more, __m256i& rowSum) {
  acc = _mm256_srai_epi32(acc, 22);
  rowSum = _mm256_add_epi32(rowSum, acc);
  const __m128i b16 = _mm_packus_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  const __m128i b8 = _mm_packus_epi16(b16, b16);
  const uint32_t px0 = static_cast<uint32_t>(_mm_cvtsi128_si32(b8));
  const uint32_t px1 = static_cast<uint32_t>(_mm_extract_epi32(b8, 1));
  std::memcpy(o, &px0, 4);
  o += C;
  if (C == 4 || more) {
    std::memcpy(o, &px1, 4);
  } else {
    o[0] = static_cast<uint8_t>(px1);
    o[1] = static_cast<uint8_t>(px1 >> 8);
    o[2] = static_cast<uint8_t>(px1 >> 16);
  }
  return o + C;
}

// finishRowPairs: the row's sums out of the lanes, then an odd last pixel through the
// one-pixel kernel on its own.
template <int SC, int C>
__attribute__((target("avx2"))) void finishRowPairs(__m256i rowSum, const uint16_t* t, const Taps& xt, int dx, int ow, uint8_t* o, uint64_t* sums) {
  alignas(32) uint32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), rowSum);
  for (int k = 0; k < C; ++k) sums[k] += static_cast<uint64_t>(lanes[k]) + lanes[4 + k];
  if (dx < ow) {
    Taps one;
    one.maxTaps = xt.maxTaps;
    one.n.assign(1, xt.n[dx]);
    one.start.assign(1, xt.start[dx]);
    one.w.assign(xt.w.data() + static_cast<size_t>(dx) * xt.maxTaps, xt.w.data() + static_cast<size_t>(dx + 1) * xt.maxTaps);
    horizontalRowSse41<SC, C>(t, one, 1, o, sums);
  }
}

// The same arithmetic as horizontalRowSse41 on two output pixels per 256-bit register (pixel
// dx in the low four lanes, dx + 1 in the high four): half the multiplies and adds. The pair
// runs max(n[dx], n[dx+1]) taps; the missing tap of the shorter one has weight 0 (Taps.w is
// zero-padded) and reads within the scratch's slack, so the results are the same bytes.
template <int SC, int C>
__attribute__((target("avx2"))) void horizontalRowAvx2(const uint16_t* t, const Taps& xt, int ow, uint8_t* o, uint64_t* sums) {
  const __m256i half = _mm256_set1_epi32(1 << 21);
  __m256i rowSum = _mm256_setzero_si256();
  const int* n = xt.n.data();
  const int* start = xt.start.data();
  const int* wAll = xt.w.data();
  const int mt = xt.maxTaps;
  int dx = 0;
  for (; dx + 1 < ow; dx += 2) {
    const int taps = std::max(n[dx], n[dx + 1]);
    const int* w0 = wAll + static_cast<size_t>(dx) * mt;
    const int* w1 = w0 + mt;
    const uint16_t* p0 = t + start[dx] * SC;
    const uint16_t* p1 = t + start[dx + 1] * SC;
    __m256i acc = half;
    for (int q = 0; q < taps; ++q, p0 += SC, p1 += SC) {
      const __m128i both = _mm_unpacklo_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p0)), _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p1)));
      const __m256i v = _mm256_cvtepu16_epi32(both);
      const __m256i wv = _mm256_setr_epi32(w0[q], w0[q], w0[q], w0[q], w1[q], w1[q], w1[q], w1[q]);
      acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(v, wv));
    }
    o = storePixelPair<C>(acc, o, dx + 2 < ow, rowSum);
  }
  finishRowPairs<SC, C>(rowSum, t, xt, dx, ow, o, sums);
}

// 3-channel pixels, two output pixels per 256-bit register as in horizontalRowAvx2, but two
// taps per pmaddwd instead of one 32-bit multiply per tap. pmaddwd multiplies signed 16-bit
// values and the 8.8 intermediate reaches 65280, so it works on t - 2^15 (the sign bit
// flipped): the weights of an output sum to exactly 2^14, so sum(w * t) = sum(w * (t - 2^15))
// + 2^29, and every partial sum stays within ±2^30. The same integers as the scalar loop, so
// the same bytes. One 128-bit load takes a tap pair (6 values) plus 2 values of slack, which
// the shuffle drops; a tap beyond an output's count has weight 0. Every output runs the same
// number of pairs (PAIRS, or xt.pairs when 0): a count that varies from pixel to pixel costs
// more in branch misses than the zero-weight pair.
template <int C, int PAIRS>
__attribute__((target("avx2"))) void horizontalRowAvx2Madd3(const uint16_t* t, const Taps& xt, int ow, uint8_t* o, uint64_t* sums) {
  const __m256i bias = _mm256_set1_epi32((1 << 29) + (1 << 21));
  const __m256i flip = _mm256_set1_epi16(static_cast<int16_t>(0x8000));
  // a0 a1 a2 b0 b1 b2 x x  ->  a0 b0 a1 b1 a2 b2 0 0 (16-bit lanes), in both 128-bit halves.
  const __m256i pairUp = _mm256_setr_epi8(0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11, -128, -128, -128, -128, 0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11, -128,
                                          -128, -128, -128);
  __m256i rowSum = _mm256_setzero_si256();
  const int* start = xt.start.data();
  const int16_t* wAll = xt.pairW3.data();
  const int P = xt.pairs;
  int dx = 0;
  const int pairs = PAIRS > 0 ? PAIRS : P;
  for (; dx + 1 < ow; dx += 2) {
    const int16_t* w0 = wAll + static_cast<size_t>(dx) * P * 8;
    const int16_t* w1 = w0 + static_cast<size_t>(P) * 8;
    const uint16_t* p0 = t + start[dx] * 3;
    const uint16_t* p1 = t + start[dx + 1] * 3;
    __m256i acc = bias;
    for (int j = 0; j < pairs; ++j, p0 += 6, p1 += 6, w0 += 8, w1 += 8) {
      __m256i v = _mm256_loadu2_m128i(reinterpret_cast<const __m128i*>(p1), reinterpret_cast<const __m128i*>(p0));
      v = _mm256_shuffle_epi8(_mm256_xor_si256(v, flip), pairUp);
      const __m256i wv = _mm256_loadu2_m128i(reinterpret_cast<const __m128i*>(w1), reinterpret_cast<const __m128i*>(w0));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(v, wv));
    }
    o = storePixelPair<C>(acc, o, dx + 2 < ow, rowSum);
  }
  finishRowPairs<3, C>(rowSum, t, xt, dx, ow, o, sums);
}

// 8x8 blocks of 16-bit values: rows r0..r7 in, columns out (three rounds of unpacks).
inline void transpose8x16(__m128i r[8]) {
  const __m128i t0 = _mm_unpacklo_epi16(r[0], r[1]), t1 = _mm_unpackhi_epi16(r[0], r[1]);
  const __m128i t2 = _mm_unpacklo_epi16(r[2], r[3]), t3 = _mm_unpackhi_epi16(r[2], r[3]);
  const __m128i t4 = _mm_unpacklo_epi16(r[4], r[5]), t5 = _mm_unpackhi_epi16(r[4], r[5]);
  const __m128i t6 = _mm_unpacklo_epi16(r[6], r[7]), t7 = _mm_unpackhi_epi16(r[6], r[7]);
  const __m128i u0 = _mm_unpacklo_epi32(t0, t2), u1 = _mm_unpackhi_epi32(t0, t2);
  const __m128i u2 = _mm_unpacklo_epi32(t1, t3), u3 = _mm_unpackhi_epi32(t1, t3);
  const __m128i u4 = _mm_unpacklo_epi32(t4, t6), u5 = _mm_unpackhi_epi32(t4, t6);
  const __m128i u6 = _mm_unpacklo_epi32(t5, t7), u7 = _mm_unpackhi_epi32(t5, t7);
  r[0] = _mm_unpacklo_epi64(u0, u4);
  r[1] = _mm_unpackhi_epi64(u0, u4);
  r[2] = _mm_unpacklo_epi64(u1, u5);
  r[3] = _mm_unpackhi_epi64(u1, u5);
  r[4] = _mm_unpacklo_epi64(u2, u6);
  r[5] = _mm_unpackhi_epi64(u2, u6);
  r[6] = _mm_unpacklo_epi64(u3, u7);
  r[7] = _mm_unpackhi_epi64(u3, u7);
}

// The horizontal pass of 1-channel images without gathers: the 8.8 intermediate (oh rows of rw)
// is transposed, with the sign bit flipped for pmaddwd as in horizontalRowAvx2Madd3, so each
// output column becomes a weighted sum of whole rows (16 outputs per pmaddwd pair, as in the
// vertical pass); the ow x oh bytes are transposed back in 8x8 blocks. Same integers as the
// scalar loop, so the same bytes. Returns the sum of the output.
__attribute__((target("avx2"))) uint64_t horizontalByTranspose1(const uint16_t* tmp, int rw, int oh, const Taps& xt, int ow, uint8_t* out) {
  const int ohp = (oh + 15) & ~15;
  const int P = xt.pairs;
  thread_local std::vector<uint16_t> tT;
  thread_local std::vector<uint8_t> outT;
  // Rows past rw: read by the zero-weight taps of the last outputs, never by a weighted one.
  const size_t rows = static_cast<size_t>(rw) + 2 * P + 1;
  if (tT.size() < rows * ohp) tT.resize(rows * ohp);
  if (outT.size() < static_cast<size_t>(ow) * ohp) outT.resize(static_cast<size_t>(ow) * ohp);
  uint16_t* T = tT.data();
  const __m128i flip = _mm_set1_epi16(static_cast<int16_t>(0x8000));
  const int rw8 = rw & ~7, oh8 = oh & ~7;
  for (int y = 0; y < oh8; y += 8) {
    for (int x = 0; x < rw8; x += 8) {
      __m128i r[8];
      for (int k = 0; k < 8; ++k) r[k] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(tmp + static_cast<size_t>(y + k) * rw + x));
      transpose8x16(r);
      for (int k = 0; k < 8; ++k) _mm_storeu_si128(reinterpret_cast<__m128i*>(T + static_cast<size_t>(x + k) * ohp + y), _mm_xor_si128(r[k], flip));
    }
    for (int x = rw8; x < rw; ++x)
      for (int k = 0; k < 8; ++k) T[static_cast<size_t>(x) * ohp + y + k] = tmp[static_cast<size_t>(y + k) * rw + x] ^ 0x8000;
  }
  for (int y = oh8; y < oh; ++y)
    for (int x = 0; x < rw; ++x) T[static_cast<size_t>(x) * ohp + y] = tmp[static_cast<size_t>(y) * rw + x] ^ 0x8000;
  const __m256i bias = _mm256_set1_epi32((1 << 29) + (1 << 21));
  for (int dx = 0; dx < ow; ++dx) {
    const uint16_t* base = T + static_cast<size_t>(xt.start[dx]) * ohp;
    const int* w = &xt.w[static_cast<size_t>(dx) * xt.maxTaps];
    uint8_t* o = outT.data() + static_cast<size_t>(dx) * ohp;
    for (int y = 0; y < ohp; y += 16) {
      __m256i lo = bias, hi = bias;
      const uint16_t* p = base + y;
      for (int j = 0; j < P; ++j, p += 2 * static_cast<size_t>(ohp)) {
        const uint32_t wa = static_cast<uint32_t>(w[2 * j]);
        const uint32_t wb = 2 * j + 1 < xt.maxTaps ? static_cast<uint32_t>(w[2 * j + 1]) : 0;
        const __m256i wv = _mm256_set1_epi32(static_cast<int>(wa | wb << 16));
        const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
        const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + ohp));
        lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(a, b), wv));
        hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(a, b), wv));
      }
      const __m256i v16 = _mm256_packus_epi32(_mm256_srai_epi32(lo, 22), _mm256_srai_epi32(hi, 22));
      const __m256i v8 = _mm256_permute4x64_epi64(_mm256_packus_epi16(v16, v16), 0x08);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(o + y), _mm256_castsi256_si128(v8));
    }
  }
  // outT (ow rows of ohp) -> out (oh rows of ow), 8x8 byte blocks.
  const uint8_t* S = outT.data();
  const int ow8 = ow & ~7;
  for (int x = 0; x < ow8; x += 8) {
    for (int y = 0; y < oh8; y += 8) {
      __m128i a[8];
      for (int k = 0; k < 8; ++k) a[k] = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(S + static_cast<size_t>(x + k) * ohp + y));
      const __m128i b0 = _mm_unpacklo_epi8(a[0], a[1]), b1 = _mm_unpacklo_epi8(a[2], a[3]);
      const __m128i b2 = _mm_unpacklo_epi8(a[4], a[5]), b3 = _mm_unpacklo_epi8(a[6], a[7]);
      const __m128i c0 = _mm_unpacklo_epi16(b0, b1), c1 = _mm_unpackhi_epi16(b0, b1);
      const __m128i c2 = _mm_unpacklo_epi16(b2, b3), c3 = _mm_unpackhi_epi16(b2, b3);
      const __m128i d[4] = {_mm_unpacklo_epi32(c0, c2), _mm_unpackhi_epi32(c0, c2), _mm_unpacklo_epi32(c1, c3), _mm_unpackhi_epi32(c1, c3)};
      for (int k = 0; k < 4; ++k) {
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + static_cast<size_t>(y + 2 * k) * ow + x), d[k]);
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + static_cast<size_t>(y + 2 * k + 1) * ow + x), _mm_unpackhi_epi64(d[k], d[k]));
      }
    }
    for (int y = oh8; y < oh; ++y)
      for (int k = 0; k < 8; ++k) out[static_cast<size_t>(y) * ow + x + k] = S[static_cast<size_t>(x + k) * ohp + y];
  }
  for (int x = ow8; x < ow; ++x)
    for (int y = 0; y < oh; ++y) out[static_cast<size_t>(y) * ow + x] = S[static_cast<size_t>(x) * ohp + y];
  return byte_sum(out, static_cast<size_t>(ow) * oh);
}

// RXTRAIN_RESIZE_SSE41=1: the one-pixel kernel even with AVX2 (side-by-side measurements).
bool forceSse41() {
  static const bool yes = [] {
    const char* v = std::getenv("RXTRAIN_RESIZE_SSE41");
    return v != nullptr && v[0] == '1';
  }();
  return yes;
}

// RXTRAIN_RESIZE_MUL32=1: the 32-bit-multiply AVX2 kernel for 3 channels (side by side).
bool forceMul32() {
  static const bool yes = [] {
    const char* v = std::getenv("RXTRAIN_RESIZE_MUL32");
    return v != nullptr && v[0] == '1';
  }();
  return yes;
}

bool hasAvx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}
#endif

// Vertical pass first (it streams whole source rows), into an 8.8 fixed-point intermediate of
// `oh` rows, then the gathering horizontal pass. SC: channels stored per source pixel; C:
// channels written (C < SC drops the trailing ones, e.g. RGBX -> RGB). The vertical pass keeps
// all SC channels so its loops run over contiguous bytes (the compiler vectorises them); the
// dropped channel costs less than the strided loop would.
template <int SC, int C>
void kernel(const CropResizeArgs& a, const Taps& yt, const Taps& xt) {
  const int rw = a.width, ow = a.dstWidth, oh = a.dstHeight;
  const size_t stride = static_cast<size_t>(a.srcWidth) * SC;
  const int rowLen = rw * SC;
  thread_local std::vector<uint16_t> scratch;
  // Slack for the SIMD loads of the last 3-channel pixel, and the zero-weight extra tap of the
  // two-pixel kernel (one more source pixel).
  const size_t slack = static_cast<size_t>(xt.maxTaps + 2) * SC + 8;
  if (scratch.size() < static_cast<size_t>(oh) * rowLen + slack) scratch.resize(static_cast<size_t>(oh) * rowLen + slack);
  uint16_t* tmp = scratch.data();
  const VerticalRow row = verticalRowFor();
  for (int dy = 0; dy < oh; ++dy) {
    const uint8_t* r0 = a.src + (static_cast<size_t>(a.y) + yt.start[dy]) * stride + static_cast<size_t>(a.x) * SC;
    row(r0, stride, yt.n[dy], &yt.w[static_cast<size_t>(dy) * yt.maxTaps], tmp + static_cast<size_t>(dy) * rowLen, rowLen);
  }
  const int half = 1 << 21;
  uint64_t sums[C] = {};
  uint8_t* o = a.dst;
#if defined(__x86_64__) || defined(__i386__)
  if constexpr (SC == 1) {
    if (hasAvx2() && !forceSse41() && !forceMul32()) {
      const uint64_t sum = horizontalByTranspose1(tmp, rowLen, oh, xt, ow, o);
      if (a.sums != nullptr) a.sums[0] += static_cast<double>(sum);
      return;
    }
  }
  if constexpr (SC >= 3) {
    if constexpr (SC == 3 && C == 3) {
      if (hasAvx2() && !forceSse41() && !forceMul32()) {
        const auto h = xt.pairs == 1 ? horizontalRowAvx2Madd3<C, 1> : xt.pairs == 2 ? horizontalRowAvx2Madd3<C, 2> : horizontalRowAvx2Madd3<C, 0>;
        for (int dy = 0; dy < oh; ++dy) h(tmp + static_cast<size_t>(dy) * rowLen, xt, ow, o + static_cast<size_t>(dy) * ow * C, sums);
        if (a.sums != nullptr)
          for (int k = 0; k < C; ++k) a.sums[k] += static_cast<double>(sums[k]);
        return;
      }
    }
    if (hasAvx2() && !forceSse41()) {
      for (int dy = 0; dy < oh; ++dy) horizontalRowAvx2<SC, C>(tmp + static_cast<size_t>(dy) * rowLen, xt, ow, o + static_cast<size_t>(dy) * ow * C, sums);
      if (a.sums != nullptr)
        for (int k = 0; k < C; ++k) a.sums[k] += static_cast<double>(sums[k]);
      return;
    }
    if (hasSse41()) {
      for (int dy = 0; dy < oh; ++dy) horizontalRowSse41<SC, C>(tmp + static_cast<size_t>(dy) * rowLen, xt, ow, o + static_cast<size_t>(dy) * ow * C, sums);
      if (a.sums != nullptr)
        for (int k = 0; k < C; ++k) a.sums[k] += static_cast<double>(sums[k]);
      return;
    }
  }
#endif
  for (int dy = 0; dy < oh; ++dy) {
    const uint16_t* t = tmp + static_cast<size_t>(dy) * rowLen;
    uint32_t rowSums[C] = {};  // < 2^32: at most 2^24 pixels of 255 per row
    for (int dx = 0; dx < ow; ++dx) {
      const int n = xt.n[dx];
      const int* w = &xt.w[static_cast<size_t>(dx) * xt.maxTaps];
      const uint16_t* p = t + xt.start[dx] * SC;
      int acc[SC];
      for (int k = 0; k < SC; ++k) acc[k] = half;
      if (n == 2) {
        for (int k = 0; k < SC; ++k) acc[k] += p[k] * w[0] + p[SC + k] * w[1];
      } else if (n == 3) {
        for (int k = 0; k < SC; ++k) acc[k] += p[k] * w[0] + p[SC + k] * w[1] + p[2 * SC + k] * w[2];
      } else {
        for (int q = 0; q < n; ++q, p += SC)
          for (int k = 0; k < SC; ++k) acc[k] += p[k] * w[q];
      }
      for (int k = 0; k < C; ++k) {
        const uint8_t v = static_cast<uint8_t>(acc[k] >> 22);
        o[k] = v;
        rowSums[k] += v;
      }
      o += C;
    }
    for (int k = 0; k < C; ++k) sums[k] += rowSums[k];
  }
  if (a.sums != nullptr)
    for (int k = 0; k < C; ++k) a.sums[k] += static_cast<double>(sums[k]);
}

// The rect already has the output size: a copy (dropping channels if asked), as the JS kernel.
void copy(const CropResizeArgs& a) {
  const int sc = a.srcChannels, oc = a.dstChannels;
  std::vector<uint64_t> sums(oc, 0);
  uint8_t* o = a.dst;
  for (int r = 0; r < a.height; ++r) {
    const uint8_t* s = a.src + ((static_cast<size_t>(a.y) + r) * a.srcWidth + a.x) * sc;
    if (sc == oc) {
      std::memcpy(o, s, static_cast<size_t>(a.width) * sc);
      for (int i = 0; i < a.width * sc; ++i) sums[i % sc] += o[i];
      o += static_cast<size_t>(a.width) * sc;
    } else {
      for (int i = 0; i < a.width; ++i, o += oc)
        for (int k = 0; k < oc; ++k) sums[k] += (o[k] = s[i * sc + k]);
    }
  }
  if (a.sums != nullptr)
    for (int k = 0; k < oc; ++k) a.sums[k] += static_cast<double>(sums[k]);
}

}  // namespace

#if defined(__x86_64__) || defined(__i386__)
namespace {
__attribute__((target("avx2"))) uint64_t byteSumAvx2(const uint8_t* p, size_t n) {
  __m256i acc = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) acc = _mm256_add_epi64(acc, _mm256_sad_epu8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i)), _mm256_setzero_si256()));
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), acc);
  uint64_t sum = lanes[0] + lanes[1] + lanes[2] + lanes[3];
  for (; i < n; ++i) sum += p[i];
  return sum;
}
}  // namespace
#endif

uint64_t byte_sum(const uint8_t* p, size_t n) {
#if defined(__x86_64__) || defined(__i386__)
  if (hasAvx2()) return byteSumAvx2(p, n);
#endif
  uint64_t sum = 0;
  for (size_t i = 0; i < n; ++i) sum += p[i];
  return sum;
}

void resize_plane(const uint8_t* src, size_t stride, int x, int y, const AxisMap& xm, const AxisMap& ym, uint8_t* dst, int dstWidth, int dstHeight,
                  ResizeMethod method) {
  for (const AxisMap* m : {&xm, &ym})
    if (m->src < 1 || m->unit < 1 || m->step < 1 || m->offset < 0) throw std::invalid_argument("resizePlane: bad axis map");
  if (x < 0 || y < 0 || dstWidth < 1 || dstHeight < 1 || static_cast<size_t>(x) + xm.src > stride) throw std::invalid_argument("resizePlane: bad geometry");
  if (method != ResizeMethod::Area && method != ResizeMethod::Bilinear) throw std::invalid_argument("resizePlane: unknown method");
  CropResizeArgs a{};
  a.src = src;
  a.srcWidth = static_cast<int>(stride);
  a.srcChannels = 1;
  a.x = x;
  a.y = y;
  a.width = xm.src;
  a.height = ym.src;
  a.dst = dst;
  a.dstWidth = dstWidth;
  a.dstHeight = dstHeight;
  a.dstChannels = 1;
  a.method = method;
  kernel<1, 1>(a, *taps(method, ym, dstHeight), *taps(method, xm, dstWidth));
}

void crop_resize(const CropResizeArgs& a) {
  const int c = a.srcChannels, oc = a.dstChannels;
  if (c < 1 || c > 4) throw std::invalid_argument("cropResize: source channels must be 1..4, got " + std::to_string(c));
  if (oc != c && !(c == 4 && oc == 3))
    throw std::invalid_argument("cropResize: output has " + std::to_string(oc) + " channels, the source " + std::to_string(c) + " (only 4 -> 3 may differ)");
  if (a.srcWidth < 1 || a.srcHeight < 1 || a.dstWidth < 1 || a.dstHeight < 1) throw std::invalid_argument("cropResize: empty image");
  if (a.x < 0 || a.y < 0 || a.width < 1 || a.height < 1 || a.x > a.srcWidth - a.width || a.y > a.srcHeight - a.height)
    throw std::invalid_argument("cropResize: rect " + std::to_string(a.width) + "x" + std::to_string(a.height) + " at (" + std::to_string(a.x) + ", " +
                                std::to_string(a.y) + ") is not inside the " + std::to_string(a.srcWidth) + "x" + std::to_string(a.srcHeight) + " image");
  if (a.method != ResizeMethod::Area && a.method != ResizeMethod::Bilinear) throw std::invalid_argument("cropResize: unknown method");
  if (a.width == a.dstWidth && a.height == a.dstHeight) return copy(a);
  const auto yt = taps(a.method, a.height, a.dstHeight);
  const auto xt = taps(a.method, a.width, a.dstWidth);
  switch (c * 10 + oc) {
    case 11: return kernel<1, 1>(a, *yt, *xt);
    case 22: return kernel<2, 2>(a, *yt, *xt);
    case 33: return kernel<3, 3>(a, *yt, *xt);
    case 43: return kernel<4, 3>(a, *yt, *xt);
    default: return kernel<4, 4>(a, *yt, *xt);
  }
}

}  // namespace rxnative
