// Winograd minimal filtering F(m×m, r×r) for stride-1, undilated 3×3 and 5×5 NHWC convolutions
// and their input gradients: ~2–3× fewer multiplies than im2col + GEMM. Per tile the input and
// output transforms are fixed sequences of float additions; the products are α² GEMMs (one per
// transform position) on the same deterministic packed GEMM, so every output element is computed
// by one thread in one fixed order: bit-identical for any thread count and microkernel.
#pragma once
#include <string>

#include "conv.h"

namespace rxnative {

// Forward convolution (+ epilogue) by Winograd when the mode and geometry allow; false (nothing
// written) when the caller should run im2col + GEMM instead.
bool winograd_conv2d(const ConvGeom& g, const float* x, const float* w, float* y, const Epilogue& ep, int threads);
// Input gradient (a stride-1 convolution of dy with the flipped, channel-transposed filter) by
// Winograd when allowed; false otherwise.
bool winograd_conv2d_backprop_input(const ConvGeom& g, const float* dy, const float* w, float* dx, int threads);

// Filter gradient by Winograd (the adjoint of the forward's transforms: dU = Σ Vᵀ·(A dY Aᵀ) per
// transform position, dw = Gᵀ dU G) when allowed; false otherwise.
bool winograd_conv2d_backprop_filter(const ConvGeom& g, const float* x, const float* dy, float* dw, int threads);

// Algorithm choice for conv2d and both gradients:
//   "auto"       Winograd for stride-1 undilated 3×3 (F(4×4,3×3), or F(2×2,3×3) on maps below
//                4×4) and 5×5 (F(2×2,5×5), the input gradient only into ≥ 64 channels) with at
//                least 16 input and output channels and ≥ 1/5 fewer multiplies, im2col + GEMM
//                otherwise (default);
//   "gemm"       always im2col + GEMM (environment: RXTRAIN_WINOGRAD=0);
//   "winograd"   Winograd for every stride-1 undilated 3×3 / 5×5 geometry, whatever the channels;
//   "winograd:M" as "winograd" with output tiles M×M (2 or 4 for 3×3; 2 for 5×5), for A/B tests.
// Returns false (and keeps the current mode) for an unknown name.
bool set_conv_algo(const std::string& mode);
std::string conv_algo();

}  // namespace rxnative
