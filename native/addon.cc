// N-API entry points. Every array argument is a Float32Array, typically a view of the tfjs wasm
// heap (a SharedArrayBuffer for the threaded binary): the kernels read and write it in place,
// synchronously, so the views stay valid for the whole call. Sizes are checked against the
// geometry before any memory is touched.
#include <node_api.h>

#include <string>

#include "conv.h"
#include "gemm.h"
#include "imageNapi.h"
#include "napiArgs.h"
#include "weightedSum.h"
#include "reluGrad.h"
#include "threadSlice.h"
#include "trainNapi.h"
#include "winograd.h"

namespace {

using rxnative::ConvGeom;
using rxnative::Epilogue;
using rxnative::napi::ArgError;
using rxnative::napi::args;
using rxnative::napi::check;
using rxnative::napi::floats;
using rxnative::napi::guard;
using rxnative::napi::integer;
using rxnative::napi::isNullish;
using rxnative::napi::threadsArg;

bool boolean(napi_env env, napi_value v) {
  bool out = false;
  if (napi_get_value_bool(env, v, &out) != napi_ok) throw ArgError{"expected a boolean"};
  return out;
}

// geom: Int32Array or array of 15 numbers [B,H,W,Cin,kh,kw,sh,sw,dh,dw,pt,pl,oh,ow,Cout].
ConvGeom geometry(napi_env env, napi_value v) {
  int g[15];
  for (uint32_t i = 0; i < 15; ++i) {
    napi_value e;
    check(napi_get_element(env, v, i, &e), "get_element");
    g[i] = integer(env, e, "geometry entry");
  }
  ConvGeom c{g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12], g[13], g[14]};
  for (int i = 0; i < 15; ++i) {
    const bool mayBeZero = i == 10 || i == 11 || i == 0;
    if (g[i] < 0 || (!mayBeZero && g[i] == 0)) throw ArgError{"invalid convolution geometry"};
  }
  return c;
}

// conv2d(x, w, y, bias|null, geom, relu, threads)
napi_value Conv2D(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[7];
    args(env, info, a);
    const ConvGeom g = geometry(env, a[4]);
    Epilogue ep;
    if (!isNullish(env, a[3])) ep.bias = floats(env, a[3], g.Cout, "bias");
    ep.relu = boolean(env, a[5]);
    const float* x = floats(env, a[0], g.xSize(), "x");
    const float* w = floats(env, a[1], g.wSize(), "filter");
    float* y = floats(env, a[2], g.ySize(), "y");
    rxnative::conv2d(g, x, w, y, ep, threadsArg(env, a[6]));
  });
}

// conv2dBackpropInput(dy, w, dx, geom, threads)
napi_value Conv2DBackpropInput(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[5];
    args(env, info, a);
    const ConvGeom g = geometry(env, a[3]);
    const float* dy = floats(env, a[0], g.ySize(), "dy");
    const float* w = floats(env, a[1], g.wSize(), "filter");
    float* dx = floats(env, a[2], g.xSize(), "dx");
    rxnative::conv2d_backprop_input(g, dy, w, dx, threadsArg(env, a[4]));
  });
}

// conv2dBackpropFilter(x, dy, dw, geom, threads)
napi_value Conv2DBackpropFilter(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[5];
    args(env, info, a);
    const ConvGeom g = geometry(env, a[3]);
    const float* x = floats(env, a[0], g.xSize(), "x");
    const float* dy = floats(env, a[1], g.ySize(), "dy");
    float* dw = floats(env, a[2], g.wSize(), "dw");
    rxnative::conv2d_backprop_filter(g, x, dy, dw, threadsArg(env, a[4]));
  });
}

// matmul(a, b, c, bias|null, transposeA, transposeB, M, N, K, relu, threads)
napi_value MatMul(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[11];
    args(env, info, a);
    const bool ta = boolean(env, a[4]), tb = boolean(env, a[5]);
    const int M = integer(env, a[6], "M"), N = integer(env, a[7], "N"), K = integer(env, a[8], "K");
    if (M < 0 || N < 0 || K < 0) throw ArgError{"negative matrix size"};
    Epilogue ep;
    if (!isNullish(env, a[3])) ep.bias = floats(env, a[3], N, "bias");
    ep.relu = boolean(env, a[9]);
    const float* A = floats(env, a[0], 1LL * M * K, "a");
    const float* B = floats(env, a[1], 1LL * K * N, "b");
    float* C = floats(env, a[2], 1LL * M * N, "c");
    rxnative::matmul(ta, tb, M, N, K, A, B, C, ep, threadsArg(env, a[10]));
  });
}

// kernel() -> name of the GEMM microkernel in use
napi_value KernelName(napi_env env, napi_callback_info) {
  napi_value out;
  napi_create_string_utf8(env, rxnative::gemm_kernel_name(), NAPI_AUTO_LENGTH, &out);
  return out;
}

// setKernel(name) -> boolean (false when unknown or unsupported by this CPU)
napi_value SetKernel(napi_env env, napi_callback_info info) {
  napi_value a[1];
  size_t argc = 1;
  napi_get_cb_info(env, info, &argc, a, nullptr, nullptr);
  char name[32] = {0};
  size_t len = 0;
  bool ok = false;
  if (argc == 1 && napi_get_value_string_utf8(env, a[0], name, sizeof(name), &len) == napi_ok) ok = rxnative::gemm_force_kernel(name);
  napi_value out;
  napi_get_boolean(env, ok, &out);
  return out;
}

// convAlgorithm(mode?) -> the mode in use after setting it ("auto", "gemm", "winograd", "winograd:2|4");
// an unknown mode throws.
napi_value ConvAlgorithm(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    napi_value a[1];
    size_t argc = 1;
    check(napi_get_cb_info(env, info, &argc, a, nullptr, nullptr), "get_cb_info");
    if (argc >= 1 && !isNullish(env, a[0])) {
      char name[32] = {0};
      size_t len = 0;
      if (napi_get_value_string_utf8(env, a[0], name, sizeof(name), &len) != napi_ok || !rxnative::set_conv_algo(name))
        throw ArgError{"convolution algorithm must be 'auto', 'gemm', 'winograd', 'winograd:2' or 'winograd:4'"};
    }
    napi_value out;
    const std::string mode = rxnative::conv_algo();
    check(napi_create_string_utf8(env, mode.c_str(), mode.size(), &out), "create_string");
    return out;
  });
}

// scratchChunkKb(kb?) -> the im2col/Winograd scratch chunk in KiB after setting it (0 = default).
napi_value ScratchChunkKb(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    napi_value a[1];
    size_t argc = 1;
    check(napi_get_cb_info(env, info, &argc, a, nullptr, nullptr), "get_cb_info");
    if (argc >= 1 && !isNullish(env, a[0])) {
      double kb = -1;
      if (napi_get_value_double(env, a[0], &kb) != napi_ok || !(kb == 0 || (kb >= 64 && kb <= (1 << 22))) || kb != static_cast<long long>(kb))
        throw ArgError{"scratch chunk must be 0 (default) or a whole number of KiB in 64..4194304"};
      rxnative::set_scratch_chunk_floats(static_cast<long long>(kb) * 256);
    }
    napi_value out;
    check(napi_create_double(env, static_cast<double>(rxnative::scratch_chunk_floats()) / 256, &out), "create_double");
    return out;
  });
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"conv2d", nullptr, Conv2D, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropInput", nullptr, Conv2DBackpropInput, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropFilter", nullptr, Conv2DBackpropFilter, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"matmul", nullptr, MatMul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"kernel", nullptr, KernelName, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setKernel", nullptr, SetKernel, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"convAlgorithm", nullptr, ConvAlgorithm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"scratchChunkKb", nullptr, ScratchChunkKb, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"cropResize", nullptr, rxnative::napi_crop_resize, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"turboJpegOpen", nullptr, rxnative::napi_turbojpeg_open, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"jpegCropResize", nullptr, rxnative::napi_jpeg_crop_resize, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"jpegEncode", nullptr, rxnative::napi_jpeg_encode, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"jpegEncodeBound", nullptr, rxnative::napi_jpeg_encode_bound, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"jpegPreprocessFile", nullptr, rxnative::napi_jpeg_preprocess_file, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"jpegPreprocess", nullptr, rxnative::napi_jpeg_preprocess, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormTrain", nullptr, rxnative::napi_batchnorm_train, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormTrainGrad", nullptr, rxnative::napi_batchnorm_train_grad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormReluTrain", nullptr, rxnative::napi_batchnorm_relu_train, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormReluTrainGrad", nullptr, rxnative::napi_batchnorm_relu_train_grad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"channelSum", nullptr, rxnative::napi_channel_sum, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPool", nullptr, rxnative::napi_maxpool, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPoolGrad", nullptr, rxnative::napi_maxpool_grad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sgdUpdate", nullptr, rxnative::napi_sgd_update, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"weightedSum", nullptr, rxnative::napi_weighted_sum, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reluGrad", nullptr, rxnative::napi_relu_grad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreadSlice", nullptr, rxnative::napi_set_thread_slice, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"computeSlice", nullptr, rxnative::napi_compute_slice, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE_INIT() { return Init(env, exports); }
