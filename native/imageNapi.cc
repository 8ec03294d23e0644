// Argument checking for the image kernels: every size is checked against the typed arrays'
// lengths before the kernel touches memory, and errors become JS exceptions, never crashes.
#include "imageNapi.h"

#include <stdexcept>
#include <string>

#include "napiArgs.h"

#include "cropResize.h"
#include "turboJpeg.h"

namespace rxnative {

namespace {

using napi::ArgError;
using napi::args;
using napi::bytes;
using napi::check;
using napi::integer;

// Image kernels report bad sizes as RangeError.
template <typename F>
napi_value guarded(napi_env env, F f) {
  return napi::guard(env, f, napi_throw_range_error);
}

double* doubles(napi_env env, napi_value v, size_t need) {
  if (napi::isNullish(env, v)) return nullptr;
  return napi::typedArray<double>(env, v, static_cast<long long>(need), "sums", "Float64Array or null", "elements", napi_float64_array,
                                  napi_float64_array);
}

size_t byteLength(napi_env env, napi_value v, const char* name) {
  bool is = false;
  check(napi_is_typedarray(env, v, &is), "is_typedarray");
  if (!is) throw ArgError{std::string(name) + " must be a Uint8Array"};
  napi_typedarray_type type;
  size_t length = 0;
  check(napi_get_typedarray_info(env, v, &type, &length, nullptr, nullptr, nullptr), "get_typedarray_info");
  return length;
}

napi_value str(napi_env env, const std::string& s) {
  napi_value out;
  check(napi_create_string_utf8(env, s.c_str(), s.size(), &out), "create_string");
  return out;
}

napi_value num(napi_env env, double d) {
  napi_value out;
  check(napi_create_double(env, d, &out), "create_double");
  return out;
}

}  // namespace

napi_value napi_crop_resize(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    napi_value a[14];
    args(env, info, a, "cropResize");
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
    if (m != 0 && m != 1) throw ArgError{"cropResize: method must be 0 (area) or 1 (bilinear)"};
    k.method = static_cast<ResizeMethod>(m);
    if (k.srcWidth < 0 || k.srcHeight < 0 || k.srcChannels < 0 || k.dstWidth < 0 || k.dstHeight < 0 || k.dstChannels < 0)
      throw ArgError{"cropResize: negative size"};
    k.src = bytes(env, a[0], 1LL * k.srcWidth * k.srcHeight * k.srcChannels, "src");
    k.dst = bytes(env, a[8], 1LL * k.dstWidth * k.dstHeight * k.dstChannels, "dst");
    k.sums = doubles(env, a[13], static_cast<size_t>(k.dstChannels));
    crop_resize(k);
  });
}

napi_value napi_turbojpeg_open(napi_env env, napi_callback_info) {
  return guarded(env, [&] { return str(env, turbojpeg_open()); });
}

napi_value napi_jpeg_crop_resize(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    napi_value a[9];
    args(env, info, a, "jpegCropResize");
    JpegCropResizeArgs k{};
    const size_t jpegSize = byteLength(env, a[0], "jpeg");
    k.jpeg = bytes(env, a[0], static_cast<long long>(jpegSize), "jpeg");
    k.jpegSize = jpegSize;
    k.x = integer(env, a[1], "x");
    k.y = integer(env, a[2], "y");
    k.width = integer(env, a[3], "width");
    k.height = integer(env, a[4], "height");
    k.size = integer(env, a[6], "size");
    if (k.size < 1 || k.size > 65535) throw ArgError{"jpegCropResize: size must be 1..65535"};
    k.dst = bytes(env, a[5], 3LL * k.size * k.size, "dst");
    k.sums = doubles(env, a[7], 3);
    if (k.sums == nullptr) throw ArgError{"jpegCropResize: sums must be a Float64Array"};
    bool fast = false;
    check(napi_get_value_bool(env, a[8], &fast), "fastDct must be a boolean");
    k.fastDct = fast;
    if (jpegSize == 0) return str(env, "empty input");
    const JpegCropResizeResult r = jpeg_crop_resize(k);
    return r.error.empty() ? num(env, r.scaleDenom) : str(env, r.error);
  });
}

napi_value napi_jpeg_encode(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    napi_value a[6];
    args(env, info, a, "jpegEncode");
    const int w = integer(env, a[1], "width"), h = integer(env, a[2], "height"), c = integer(env, a[3], "channels");
    const int q = integer(env, a[4], "quality");
    if (w < 1 || h < 1 || w > 65535 || h > 65535) throw ArgError{"jpegEncode: width and height must be 1..65535"};
    if (c != 1 && c != 3) throw ArgError{"jpegEncode: channels must be 1 or 3"};
    if (q < 1 || q > 100) throw ArgError{"jpegEncode: quality must be 1..100"};
    const uint8_t* px = bytes(env, a[0], 1LL * w * h * c, "pixels");
    const size_t cap = byteLength(env, a[5], "out");
    uint8_t* out = bytes(env, a[5], static_cast<long long>(cap), "out");
    std::string error;
    const long long n = jpeg_encode(px, w, h, c, q, out, cap, error);
    return n < 0 ? str(env, error) : num(env, static_cast<double>(n));
  });
}

namespace {

// Arguments 0..7 of jpegPreprocess and jpegPreprocessFile, and their sums and pixels.
JpegPreprocessArgs preprocessArgs(napi_env env, napi_value* a, napi_value sums, napi_value pixels, const char* fn) {
  JpegPreprocessArgs k{};
  const size_t jpegSize = byteLength(env, a[0], "jpeg");
  k.crop.jpeg = bytes(env, a[0], static_cast<long long>(jpegSize), "jpeg");
  k.crop.jpegSize = jpegSize;
  k.crop.x = integer(env, a[1], "x");
  k.crop.y = integer(env, a[2], "y");
  k.crop.width = integer(env, a[3], "width");
  k.crop.height = integer(env, a[4], "height");
  k.crop.size = integer(env, a[5], "size");
  if (k.crop.size < 1 || k.crop.size > 65535) throw ArgError{std::string(fn) + ": size must be 1..65535"};
  k.orientation = integer(env, a[6], "orientation");
  if (k.orientation < 1 || k.orientation > 8) throw ArgError{std::string(fn) + ": orientation must be 1..8"};
  k.quality = integer(env, a[7], "quality");
  if (k.quality < 1 || k.quality > 100) throw ArgError{std::string(fn) + ": quality must be 1..100"};
  k.crop.sums = doubles(env, sums, 3);
  if (k.crop.sums == nullptr) throw ArgError{std::string(fn) + ": sums must be a Float64Array"};
  k.crop.dst = napi::isNullish(env, pixels) ? nullptr : bytes(env, pixels, 3LL * k.crop.size * k.crop.size, "pixels");
  return k;
}

}  // namespace

napi_value napi_jpeg_preprocess_file(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    napi_value a[11];
    args(env, info, a, "jpegPreprocessFile");
    const JpegPreprocessArgs k = preprocessArgs(env, a, a[9], a[10], "jpegPreprocessFile");
    size_t destLength = 0;
    check(napi_get_value_string_utf8(env, a[8], nullptr, 0, &destLength), "dest must be a string");
    std::string dest(destLength, '\0');
    check(napi_get_value_string_utf8(env, a[8], dest.data(), destLength + 1, &destLength), "dest must be a string");
    if (dest.empty() || dest.find('\0') != std::string::npos) throw ArgError{"jpegPreprocessFile: dest must be a non-empty path"};
    if (k.crop.jpegSize == 0) return str(env, "empty input");
    const JpegPreprocessResult r = jpeg_preprocess_file(k, dest.c_str());
    if (!r.error.empty()) return str(env, r.error);
    return num(env, r.writeErrno != 0 ? -static_cast<double>(r.writeErrno) : static_cast<double>(r.bytes));
  });
}

napi_value napi_jpeg_preprocess(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    napi_value a[11];
    args(env, info, a, "jpegPreprocess");
    const JpegPreprocessArgs k = preprocessArgs(env, a, a[9], a[10], "jpegPreprocess");
    const size_t cap = byteLength(env, a[8], "out");
    uint8_t* out = bytes(env, a[8], static_cast<long long>(cap), "out");
    if (k.crop.jpegSize == 0) return str(env, "empty input");
    const JpegPreprocessResult r = jpeg_preprocess(k, out, cap);
    return r.error.empty() ? num(env, static_cast<double>(r.bytes)) : str(env, r.error);
  });
}

napi_value napi_jpeg_encode_bound(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    napi_value a[2];
    args(env, info, a, "jpegEncodeBound");
    const int w = integer(env, a[0], "width"), h = integer(env, a[1], "height");
    if (w < 1 || h < 1 || w > 65535 || h > 65535) throw ArgError{"jpegEncodeBound: width and height must be 1..65535"};
    return num(env, static_cast<double>(jpeg_encode_bound(w, h)));
  });
}

}  // namespace rxnative
