// Weighted sum of float32 arrays for data-parallel replicas averaging their gradients in
// shared memory (src/model/sgdSlice.ts), registered by addon.cc.
#pragma once
#include <node_api.h>

namespace rxnative {

// weightedSum(sources: Float32Array[], weights: number[], out: Float32Array):
// out[j] = (float)(w0·s0[j] + w1·s1[j] + …), accumulated in double in source order, exactly
// as the JavaScript loop it replaces (so both give the same bits). Single-threaded: each
// replica reduces its own slice on its own core.
napi_value napi_weighted_sum(napi_env env, napi_callback_info info);

}  // namespace rxnative
