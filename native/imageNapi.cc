// Argument checking for the image kernels: every size is checked against the typed arrays'
// lengths before the kernel touches memory, and errors become JS exceptions, never crashes.
#include "imageNapi.h"

#include <stdexcept>
#include <string>

#include "cropResize.h"

namespace rxnative {

namespace {

struct Bad {
  std::string message;
};

void check(napi_status s, const char* what) {
  if (s != napi_ok) throw Bad{std::string("N-API call failed: ") + what};
}

uint8_t* bytes(napi_env env, napi_value v, long long need, const char* name) {
  bool is = false;
  check(napi_is_typedarray(env, v, &is), "is_typedarray");
  if (!is) throw Bad{std::string(name) + " must be a Uint8Array"};
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  check(napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr), "get_typedarray_info");
  if (type != napi_uint8_array && type != napi_uint8_clamped_array) throw Bad{std::string(name) + " must be a Uint8Array"};
  if (static_cast<long long>(length) < need)
    throw Bad{std::string(name) + " has " + std::to_string(length) + " bytes, needs " + std::to_string(need)};
  if (data == nullptr && need > 0) throw Bad{std::string(name) + " has no backing store"};
  return static_cast<uint8_t*>(data);
}

double* doubles(napi_env env, napi_value v, size_t need) {
  napi_valuetype t;
  check(napi_typeof(env, v, &t), "typeof");
  if (t == napi_null || t == napi_undefined) return nullptr;
  bool is = false;
  check(napi_is_typedarray(env, v, &is), "is_typedarray");
  napi_typedarray_type type = napi_int8_array;
  size_t length = 0;
  void* data = nullptr;
  if (is) check(napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr), "get_typedarray_info");
  if (!is || type != napi_float64_array) throw Bad{"sums must be a Float64Array or null"};
  if (length < need) throw Bad{"sums has " + std::to_string(length) + " elements, needs " + std::to_string(need)};
  return static_cast<double*>(data);
}

int integer(napi_env env, napi_value v, const char* name) {
  int32_t out = 0;
  if (napi_get_value_int32(env, v, &out) != napi_ok) throw Bad{std::string(name) + " must be a number"};
  return out;
}

}  // namespace

napi_value napi_crop_resize(napi_env env, napi_callback_info info) {
  try {
    size_t argc = 14;
    napi_value a[14];
    check(napi_get_cb_info(env, info, &argc, a, nullptr, nullptr), "get_cb_info");
    if (argc < 14) throw Bad{"cropResize: expected 14 arguments, got " + std::to_string(argc)};
    CropResizeArgs k{};
    k.srcWidth = integer(env, a[1], "srcWidth");
    k.srcHeight = integer(env, a[2], "srcHeight");
    k.srcChannels = integer(env, a[3], "srcChannels");
    k.x = integer(env, a[4], "x");
    k.y = integer(env, a[5], "y");
    k.width = integer(env, a[6], "width");
    k.height = integer(env, a[7], "height");
    k.dstWidth = integer(env, a[9], "dstWidth");
    k.dstHeight = integer(env, a[10], "dstHeight");
    k.dstChannels = integer(env, a[11], "dstChannels");
    const int m = integer(env, a[12], "method");
    if (m != 0 && m != 1) throw Bad{"cropResize: method must be 0 (area) or 1 (bilinear)"};
    k.method = static_cast<ResizeMethod>(m);
    if (k.srcWidth < 0 || k.srcHeight < 0 || k.srcChannels < 0 || k.dstWidth < 0 || k.dstHeight < 0 || k.dstChannels < 0)
      throw Bad{"cropResize: negative size"};
    k.src = bytes(env, a[0], 1LL * k.srcWidth * k.srcHeight * k.srcChannels, "src");
    k.dst = bytes(env, a[8], 1LL * k.dstWidth * k.dstHeight * k.dstChannels, "dst");
    k.sums = doubles(env, a[13], static_cast<size_t>(k.dstChannels));
    crop_resize(k);
  } catch (const Bad& e) {
    napi_throw_range_error(env, "ERR_RXTRAIN_NATIVE", e.message.c_str());
  } catch (const std::exception& e) {
    napi_throw_range_error(env, "ERR_RXTRAIN_NATIVE", e.what());
  }
  return nullptr;
}

}  // namespace rxnative
