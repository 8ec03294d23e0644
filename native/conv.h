// NHWC 2-D convolution and its two gradients, as im2col/col2im around the packed GEMM,
// multithreaded so that each output element is computed by one thread in a fixed order.
#pragma once
#include "gemm.h"

namespace rxnative {

// Geometry of a forward convolution x[B,H,W,Cin] * w[kh,kw,Cin,Cout] -> y[B,oh,ow,Cout].
struct ConvGeom {
  int B, H, W, Cin, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, Cout;
  long long xSize() const { return 1LL * B * H * W * Cin; }
  long long wSize() const { return 1LL * kh * kw * Cin * Cout; }
  long long ySize() const { return 1LL * B * oh * ow * Cout; }
};

// Floats of im2col / Winograd scratch per chunk: 2 Mi (8 MB) unless RXTRAIN_SCRATCH_KB (read
// once) or set_scratch_chunk_floats says otherwise: for cache-size experiments, e.g. two
// replicas sharing the caches (bench:concurrent-steps --scratch-kb).
long long scratch_chunk_floats();
// n ≥ 16384 sets the size (process-wide), 0 returns to the default; other values are ignored.
void set_scratch_chunk_floats(long long n);

void conv2d(const ConvGeom& g, const float* x, const float* w, float* y, const Epilogue& ep, int threads);
void conv2d_backprop_input(const ConvGeom& g, const float* dy, const float* w, float* dx, int threads);
void conv2d_backprop_filter(const ConvGeom& g, const float* x, const float* dy, float* dw, int threads);
// C = op(A)·op(B) (+ bias, ReLU), split over threads by rows or columns.
void matmul(bool ta, bool tb, int M, int N, int K, const float* A, const float* B, float* C,
            const Epilogue& ep, int threads);

}  // namespace rxnative
