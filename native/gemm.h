// Cache-blocked, packed single-precision GEMM with runtime-chosen x86 microkernels
// (AVX-512F, AVX2+FMA) and a portable scalar fallback. All microkernels compute every output
// element as the same chain of fused multiply-adds in k order within fixed KC-sized blocks, so
// results are bit-identical whichever kernel runs and however the work is split across threads.
#pragma once
#include <cstddef>

namespace rxnative {

// Which microkernel the dispatcher chose ("avx512", "avx2", "scalar").
const char* gemm_kernel_name();
// Forces a kernel by name (for tests); returns false when unknown or unsupported by this CPU.
bool gemm_force_kernel(const char* name);

// Post-processing applied to each finished output element: out = act(out + bias[col]).
struct Epilogue {
  const float* bias = nullptr;  // per column (length N) or null
  bool relu = false;
};

// C[M×N] = alpha·op(A)·op(B) + beta·C, row-major, single-threaded. op(A) is M×K
// (A stored K×M when ta), op(B) is K×N (B stored N×K when tb). beta == 0 never reads C.
void sgemm(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
           const float* B, int ldb, float beta, float* C, int ldc, const Epilogue& ep);

}  // namespace rxnative
