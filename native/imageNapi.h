// N-API entry points of the image kernels (preprocessing), registered by addon.cc.
#pragma once
#include <node_api.h>

namespace rxnative {

// cropResize(src: Uint8Array, srcWidth, srcHeight, srcChannels, x, y, width, height,
//            dst: Uint8Array, dstWidth, dstHeight, dstChannels, method: 0 area | 1 bilinear,
//            sums: Float64Array | null) -> undefined
napi_value napi_crop_resize(napi_env env, napi_callback_info info);

}  // namespace rxnative
