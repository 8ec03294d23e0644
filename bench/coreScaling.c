/*
 * Kernels for bench/coreScaling.ts: each runs for the given seconds on whatever CPU it is
 * pinned to and prints "<units per second>". Two copies at once on the two vCPUs, against
 * one alone, show whether the vCPUs are independent cores or share execution units
 * (SMT siblings on the host), caches or memory bandwidth.
 *   fma  register-only AVX2 FMAs (10 independent chains: the FMA pipes' throughput)
 *   fma512  the same with AVX-512 (where the CPU has it)
 *   int  scalar integer ALU work (4 independent xorshift chains)
 *   l2   AVX2 sums over a 256 KiB array (L2-resident)
 *   l3   AVX2 sums over a 8 MiB array (L3-resident on most server parts)
 *   mem  AVX2 sums over a 512 MiB array (DRAM bandwidth)
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static volatile float sink_f;
static volatile uint64_t sink_u;

/* One register-only FMA kernel per vector width, from one template. Named accumulators, not an
 * array: GCC keeps an indexed array in memory (load-FMA-store), which measures store forwarding
 * instead of the FMA pipes. FLOPS_PER_FMA = lanes × 2. */
#define FMA_KERNEL(NAME, ATTR, VEC, SET1, FMADD, ADD, FIRST, FLOPS_PER_FMA)                                   \
  ATTR static double NAME(double secs) {                                                                    \
    VEC a0 = SET1(1.000f), a1 = SET1(1.001f), a2 = SET1(1.002f), a3 = SET1(1.003f), a4 = SET1(1.004f),       \
        a5 = SET1(1.005f), a6 = SET1(1.006f), a7 = SET1(1.007f), a8 = SET1(1.008f), a9 = SET1(1.009f);       \
    const VEC m = SET1(0.999999f), c = SET1(1e-6f);                                                          \
    double t0 = now(), t;                                                                                    \
    uint64_t rounds = 0;                                                                                     \
    do {                                                                                                     \
      for (int k = 0; k < 100000; k++) {                                                                     \
        a0 = FMADD(a0, m, c); a1 = FMADD(a1, m, c); a2 = FMADD(a2, m, c); a3 = FMADD(a3, m, c);              \
        a4 = FMADD(a4, m, c); a5 = FMADD(a5, m, c); a6 = FMADD(a6, m, c); a7 = FMADD(a7, m, c);              \
        a8 = FMADD(a8, m, c); a9 = FMADD(a9, m, c);                                                          \
      }                                                                                                      \
      rounds += 100000;                                                                                      \
      t = now();                                                                                             \
    } while (t - t0 < secs);                                                                                 \
    VEC s = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7)));                               \
    sink_f = FIRST(ADD(s, ADD(a8, a9)));                                                                     \
    return rounds * 10.0 * (FLOPS_PER_FMA) / (t - t0) / 1e9; /* GFLOP/s */                                   \
  }

FMA_KERNEL(run_fma, , __m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, _mm256_cvtss_f32, 16)
/* The same with AVX-512 (16 lanes): whether the core has 512-bit FMA pipes or splits them. */
FMA_KERNEL(run_fma512, __attribute__((target("avx512f"))), __m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps,
           _mm512_reduce_add_ps, 32)

static double run_int(double secs) {
  uint64_t x[4] = {1, 2, 3, 4};
  double t0 = now(), t;
  uint64_t rounds = 0;
  do {
    for (int k = 0; k < 1000000; k++)
      for (int i = 0; i < 4; i++) {
        x[i] ^= x[i] << 13;
        x[i] ^= x[i] >> 7;
        x[i] ^= x[i] << 17;
      }
    rounds += 1000000;
    t = now();
  } while (t - t0 < secs);
  sink_u = x[0] ^ x[1] ^ x[2] ^ x[3];
  return rounds * 4.0 / (t - t0) / 1e9; /* G xorshift steps/s */
}

static double run_sum(double secs, size_t bytes) {
  size_t n = bytes / sizeof(float);
  float *buf = aligned_alloc(64, bytes);
  for (size_t i = 0; i < n; i++) buf[i] = (float)(i & 1023) * 1e-3f;
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  double t0 = now(), t;
  double passes = 0;
  do {
    for (size_t i = 0; i < n; i += 32) {
      s0 = _mm256_add_ps(s0, _mm256_load_ps(buf + i));
      s1 = _mm256_add_ps(s1, _mm256_load_ps(buf + i + 8));
      s2 = _mm256_add_ps(s2, _mm256_load_ps(buf + i + 16));
      s3 = _mm256_add_ps(s3, _mm256_load_ps(buf + i + 24));
    }
    passes += 1;
    t = now();
  } while (t - t0 < secs);
  sink_f = _mm256_cvtss_f32(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  free(buf);
  return passes * bytes / (t - t0) / 1e9; /* GB/s read */
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: coreScaling fma|fma512|int|l2|l3|mem SECONDS\n");
    return 2;
  }
  double secs = atof(argv[2]);
  double r;
  if (!strcmp(argv[1], "fma")) r = run_fma(secs);
  else if (!strcmp(argv[1], "fma512")) {
    if (!__builtin_cpu_supports("avx512f")) {
      fprintf(stderr, "this CPU has no AVX-512\n");
      return 3;
    }
    r = run_fma512(secs);
  }
  else if (!strcmp(argv[1], "int")) r = run_int(secs);
  else if (!strcmp(argv[1], "l2")) r = run_sum(secs, 256 << 10);
  else if (!strcmp(argv[1], "l3")) r = run_sum(secs, 8 << 20);
  else if (!strcmp(argv[1], "mem")) r = run_sum(secs, (size_t)512 << 20);
  else {
    fprintf(stderr, "unknown kernel %s\n", argv[1]);
    return 2;
  }
  printf("%.4f\n", r);
  return 0;
}
