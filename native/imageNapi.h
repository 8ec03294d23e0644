// N-API entry points of the image kernels (preprocessing), registered by addon.cc.
#pragma once
#include <node_api.h>

namespace rxnative {

// cropResize(src: Uint8Array, srcWidth, srcHeight, srcChannels, x, y, width, height,
//            dst: Uint8Array, dstWidth, dstHeight, dstChannels, method: 0 area | 1 bilinear,
//            sums: Float64Array | null) -> undefined
napi_value napi_crop_resize(napi_env env, napi_callback_info info);

// turboJpegOpen() -> '' when the TurboJPEG 3 API is usable in this process, else why not
napi_value napi_turbojpeg_open(napi_env env, napi_callback_info info);

// jpegCropResize(jpeg: Uint8Array, x, y, width, height, dst: Uint8Array, size,
//                sums: Float64Array, fastDct: boolean) -> DCT scale denominator | error string
napi_value napi_jpeg_crop_resize(napi_env env, napi_callback_info info);

// jpegEncode(pixels: Uint8Array, width, height, channels, quality, out: Uint8Array)
//   -> bytes written | error string
napi_value napi_jpeg_encode(napi_env env, napi_callback_info info);

// jpegPreprocessFile(jpeg: Uint8Array, x, y, width, height, size, orientation, quality,
//                    dest: string, sums: Float64Array, pixels: Uint8Array | null)
//   -> JPEG bytes written to dest (> 0) | -errno when dest could not be written (removed)
//      | error string when libjpeg-turbo refused the image (nothing written)
napi_value napi_jpeg_preprocess_file(napi_env env, napi_callback_info info);

// jpegPreprocess(jpeg, x, y, width, height, size, orientation, quality, out, sums, pixels|null):
// jpegPreprocessFile's work with the JPEG bytes copied into `out` instead of a file. Returns the
// byte count or libjpeg-turbo's message.
napi_value napi_jpeg_preprocess(napi_env env, napi_callback_info info);

// jpegEncodeBound(width, height) -> worst-case size of jpegEncode's output (0 when unavailable)
napi_value napi_jpeg_encode_bound(napi_env env, napi_callback_info info);

}  // namespace rxnative
