// NHWC 2-D max pooling and its gradient. Each window's maximum is its first maximum in
// row-major window order (strict >, starting from −∞), as tfjs' cpu backend picks it; the
// gradient routes dy to that element. Work is split by image, so each dx element is summed
// by one thread in window order whatever the thread count.
#pragma once

namespace rxnative {

// Geometry of x[B,H,W,C] pooled by fh×fw windows, stride sh×sw, padding pt/pl → y[B,oh,ow,C].
struct PoolGeom {
  int B, H, W, C, fh, fw, sh, sw, pt, pl, oh, ow;
  long long xSize() const { return 1LL * B * H * W * C; }
  long long ySize() const { return 1LL * B * oh * ow * C; }
};

void maxpool_forward(const PoolGeom& g, const float* x, float* y, int threads);
// dx (xSize floats, overwritten) = Σ over windows of dy routed to each window's first maximum.
void maxpool_backward(const PoolGeom& g, const float* x, const float* dy, float* dx, int threads);

}  // namespace rxnative
