// Gradient of a ReLU from its output: the convolution epilogue's ReLU (conv → ReLU → BatchNorm in
// the bundled AlexNets) back-propagates dy·step(y), which tfjs runs as a Step and a Multiply, two
// single-threaded passes on wasm; this is one threaded pass. Registered by addon.cc.
#pragma once
#include <node_api.h>

namespace rxnative {

// out[i] = dy[i]·step(y[i]) with tfjs' step (1 above 0, 0 at or below, NaN for NaN), computed so
// that every result, ±0 and NaN included, has the bits of the Multiply tfjs runs.
void relu_grad(long long n, const float* dy, const float* y, float* out, int threads);

// reluGrad(dy: Float32Array, y: Float32Array, out: Float32Array, n, threads)
napi_value napi_relu_grad(napi_env env, napi_callback_info info);

}  // namespace rxnative
