#include "turboJpeg.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "cropResize.h"

#if defined(__linux__)
#include <dlfcn.h>
#define RXTRAIN_HAVE_DLOPEN 1
#endif

namespace rxnative {

namespace {

// The subset of turbojpeg.h (libjpeg-turbo 3.x, TurboJPEG API 3) used here. Values are the
// header's enum values, which are part of the library's stable ABI.
using tjhandle = void*;
struct tjscalingfactor {
  int num, denom;
};
struct tjregion {
  int x, y, w, h;
};
enum { TJINIT_COMPRESS = 0, TJINIT_DECOMPRESS = 1 };
enum {
  TJPARAM_STOPONWARNING = 0,
  TJPARAM_NOREALLOC = 2,
  TJPARAM_QUALITY = 3,
  TJPARAM_SUBSAMP = 4,
  TJPARAM_JPEGWIDTH = 5,
  TJPARAM_JPEGHEIGHT = 6,
  TJPARAM_PRECISION = 7,
  TJPARAM_COLORSPACE = 8,
  TJPARAM_FASTUPSAMPLE = 9,
  TJPARAM_FASTDCT = 10,
  TJPARAM_OPTIMIZE = 11,
  TJPARAM_PROGRESSIVE = 12,
  TJPARAM_ARITHMETIC = 14,
};
enum { TJPF_RGB = 0, TJPF_GRAY = 6 };
enum { TJSAMP_420 = 2, TJSAMP_GRAY = 3 };
enum { TJCS_YCbCr = 1, TJCS_GRAY = 2 };
// iMCU width and height per subsampling level (444, 422, 420, gray, 440, 411, 441): crops start
// on the width; width / 8 and height / 8 are the chroma subsampling factors.
constexpr int kMcuWidth[7] = {8, 16, 16, 8, 8, 32, 8};
constexpr int kMcuHeight[7] = {8, 8, 16, 8, 16, 8, 32};

struct Api {
  tjhandle (*init)(int);
  void (*destroy)(tjhandle);
  int (*set)(tjhandle, int, int);
  int (*get)(tjhandle, int);
  char* (*errorStr)(tjhandle);
  int (*decompressHeader)(tjhandle, const unsigned char*, size_t);
  int (*setScalingFactor)(tjhandle, tjscalingfactor);
  int (*setCroppingRegion)(tjhandle, tjregion);
  int (*decompress8)(tjhandle, const unsigned char*, size_t, unsigned char*, int, int);
  int (*compress8)(tjhandle, const unsigned char*, int, int, int, int, unsigned char**, size_t*);
  size_t (*jpegBufSize)(int, int, int);
  int (*decompressToYUVPlanes8)(tjhandle, const unsigned char*, size_t, unsigned char**, int*);
  int (*compressFromYUVPlanes8)(tjhandle, const unsigned char* const*, int, const int*, int, unsigned char**, size_t*);
  int (*decodeYUVPlanes8)(tjhandle, const unsigned char* const*, const int*, unsigned char*, int, int, int, int);
  int (*yuvPlaneWidth)(int, int, int);
  int (*yuvPlaneHeight)(int, int, int);
};

Api api{};
std::string openError = "not opened";
std::once_flag opened;

template <typename F>
bool sym(void* lib, const char* name, F& out) {
#ifdef RXTRAIN_HAVE_DLOPEN
  out = reinterpret_cast<F>(dlsym(lib, name));
  return out != nullptr;
#else
  (void)lib;
  (void)name;
  return false;
#endif
}

void doOpen() {
#ifdef RXTRAIN_HAVE_DLOPEN
  // Only a copy already in the process (the npm package's): never a different system copy.
  void* lib = dlopen("libturbojpeg.so.0", RTLD_NOW | RTLD_NOLOAD);
  if (lib == nullptr) {
    openError = "libturbojpeg.so.0 is not loaded (load @julusian/jpeg-turbo first)";
    return;
  }
  Api a{};
  if (!(sym(lib, "tj3Init", a.init) && sym(lib, "tj3Destroy", a.destroy) && sym(lib, "tj3Set", a.set) && sym(lib, "tj3Get", a.get) &&
        sym(lib, "tj3GetErrorStr", a.errorStr) && sym(lib, "tj3DecompressHeader", a.decompressHeader) &&
        sym(lib, "tj3SetScalingFactor", a.setScalingFactor) && sym(lib, "tj3SetCroppingRegion", a.setCroppingRegion) &&
        sym(lib, "tj3Decompress8", a.decompress8) && sym(lib, "tj3Compress8", a.compress8) && sym(lib, "tj3JPEGBufSize", a.jpegBufSize) &&
        sym(lib, "tj3DecompressToYUVPlanes8", a.decompressToYUVPlanes8) && sym(lib, "tj3CompressFromYUVPlanes8", a.compressFromYUVPlanes8) &&
        sym(lib, "tj3DecodeYUVPlanes8", a.decodeYUVPlanes8) && sym(lib, "tj3YUVPlaneWidth", a.yuvPlaneWidth) &&
        sym(lib, "tj3YUVPlaneHeight", a.yuvPlaneHeight))) {
    openError = "libturbojpeg.so.0 has no TurboJPEG 3 API (libjpeg-turbo < 3.0)";
    return;
  }
  api = a;
  openError.clear();
#else
  openError = "the TurboJPEG library is only looked up on Linux";
#endif
}

// One decompressor and one compressor per thread, kept across images: creating them costs
// allocations per image, and a handle is not thread-safe.
struct Handles {
  tjhandle dec = nullptr, enc = nullptr, yuv = nullptr;  // yuv: planes -> RGB, state of its own
  ~Handles() {
    if (dec != nullptr) api.destroy(dec);
    if (enc != nullptr) api.destroy(enc);
    if (yuv != nullptr) api.destroy(yuv);
  }
};
thread_local Handles handles;

std::string lastError(tjhandle h, const char* what) {
  const char* s = api.errorStr(h);
  return std::string(what) + ": " + (s != nullptr ? s : "unknown error");
}

int scaled(int dim, int denom) { return (dim + denom - 1) / denom; }

// DCT scaling only while the scaled crop keeps twice the output side, so the area filter
// still does a real shrink afterwards (sharp's shrink-on-load rule of thumb).
int dctDenom(const JpegCropResizeArgs& a) {
  for (int d : {8, 4, 2})
    if (std::min(a.width, a.height) / d >= 2 * a.size) return d;
  return 1;
}

// Opens the decompressor on `a.jpeg` and checks what both routes need: the crop inside the
// image, 8-bit samples. Empty string when fine.
std::string readHeader(tjhandle h, const JpegCropResizeArgs& a, int& W, int& H) {
  api.set(h, TJPARAM_STOPONWARNING, 1);  // warnings (truncated or corrupt data) fail the image: sharp's path then decides
  api.set(h, TJPARAM_FASTDCT, a.fastDct ? 1 : 0);
  api.set(h, TJPARAM_FASTUPSAMPLE, 0);
  if (api.decompressHeader(h, a.jpeg, a.jpegSize) != 0) return lastError(h, "header");
  W = api.get(h, TJPARAM_JPEGWIDTH);
  H = api.get(h, TJPARAM_JPEGHEIGHT);
  if (a.x < 0 || a.y < 0 || a.width < 1 || a.height < 1 || a.x + a.width > W || a.y + a.height > H)
    return "crop " + std::to_string(a.width) + "x" + std::to_string(a.height) + " at (" + std::to_string(a.x) + ", " + std::to_string(a.y) +
           ") is outside the " + std::to_string(W) + "x" + std::to_string(H) + " image the decoder sees";
  if (api.get(h, TJPARAM_PRECISION) != 8) return "not an 8-bit JPEG";
  return {};
}

bool decoderReady(std::string& error) {
  if (!(error = turbojpeg_open()).empty()) return false;
  if (handles.dec == nullptr && (handles.dec = api.init(TJINIT_DECOMPRESS)) == nullptr) {
    error = "cannot create a TurboJPEG decompressor";
    return false;
  }
  return true;
}

}  // namespace

std::string turbojpeg_open() {
  std::call_once(opened, doOpen);
  return openError;
}

namespace {

// jpeg_crop_resize once the decompressor has read the header (readHeader): W x H stored.
JpegCropResizeResult cropResizeAfterHeader(const JpegCropResizeArgs& a, int W, int H) {
  JpegCropResizeResult r;
  tjhandle h = handles.dec;
  const int denom = dctDenom(a);
  if (api.setScalingFactor(h, {1, denom}) != 0) return {lastError(h, "scaling"), 1};
  const int sw = scaled(W, denom), sh = scaled(H, denom);
  int x0 = a.x / denom, y0 = a.y / denom;
  const int x1 = std::min(sw, scaled(a.x + a.width, denom)), y1 = std::min(sh, scaled(a.y + a.height, denom));
  // Decode only the crop's columns (from the iMCU boundary left of it) and no row above it:
  // those pixels are entropy-decoded but skip the IDCT, upsampling and colour conversion
  // (TurboJPEG 3 skips leading rows with jpeg_skip_scanlines, which still entropy-decodes
  // them). The rows below the crop are decoded in full, though: skipping to the bottom makes
  // libjpeg-turbo stop reading, so a file truncated or corrupt below the crop would pass,
  // where sharp's path (and a full decode) reports it (tested).
  const int subsamp = api.get(h, TJPARAM_SUBSAMP);
  int left = 0, top = 0, rw = sw, rh = sh;
  if (subsamp >= 0 && subsamp < 7) {
    const int mcu = scaled(kMcuWidth[subsamp], denom);
    left = x0 - x0 % mcu;
    rw = x1 - left;
    top = y0;
    rh = sh - y0;
    if (api.setCroppingRegion(h, {left, top, rw, rh}) != 0) return {lastError(h, "crop"), denom};
  } else if (api.setCroppingRegion(h, {0, 0, 0, 0}) != 0) {
    return {lastError(h, "crop"), denom};
  }
  thread_local std::vector<uint8_t> decoded;
  // Packed RGB (not RGBX): a quarter fewer bytes through the resize's vertical pass.
  const size_t need = static_cast<size_t>(rw) * rh * 3;
  if (decoded.size() < need) decoded.resize(need);
  if (api.decompress8(h, a.jpeg, a.jpegSize, decoded.data(), rw * 3, TJPF_RGB) != 0) return {lastError(h, "decode"), denom};
  CropResizeArgs k{};
  k.src = decoded.data();
  k.srcWidth = rw;
  k.srcHeight = rh;
  k.srcChannels = 3;
  k.x = x0 - left;
  k.y = y0 - top;
  k.width = x1 - x0;
  k.height = y1 - y0;
  k.dst = a.dst;
  k.dstWidth = a.size;
  k.dstHeight = a.size;
  k.dstChannels = 3;
  k.method = k.width >= a.size ? ResizeMethod::Area : ResizeMethod::Bilinear;
  k.sums = a.sums;
  crop_resize(k);
  r.scaleDenom = denom;
  return r;
}

}  // namespace

JpegCropResizeResult jpeg_crop_resize(const JpegCropResizeArgs& a) {
  JpegCropResizeResult r;
  if (!decoderReady(r.error)) return r;
  int W = 0, H = 0;
  if (!(r.error = readHeader(handles.dec, a, W, H)).empty()) return r;
  return cropResizeAfterHeader(a, W, H);
}

size_t jpeg_encode_bound(int width, int height) {
  if (!turbojpeg_open().empty()) return 0;
  return api.jpegBufSize(width, height, TJSAMP_420);
}

long long jpeg_encode(const uint8_t* pixels, int width, int height, int channels, int quality, uint8_t* out, size_t outCapacity,
                      std::string& error) {
  if (!(error = turbojpeg_open()).empty()) return -1;
  if (handles.enc == nullptr && (handles.enc = api.init(TJINIT_COMPRESS)) == nullptr) {
    error = "cannot create a TurboJPEG compressor";
    return -1;
  }
  tjhandle h = handles.enc;
  // cv2.imwrite's settings (libjpeg defaults): baseline, standard Huffman tables, accurate DCT.
  api.set(h, TJPARAM_QUALITY, quality);
  api.set(h, TJPARAM_SUBSAMP, channels == 1 ? TJSAMP_GRAY : TJSAMP_420);
  // Explicit: the handle is shared with the YCbCr route's encoder and keeps what was set last.
  api.set(h, TJPARAM_COLORSPACE, channels == 1 ? TJCS_GRAY : TJCS_YCbCr);
  api.set(h, TJPARAM_FASTDCT, 0);
  api.set(h, TJPARAM_OPTIMIZE, 0);
  api.set(h, TJPARAM_PROGRESSIVE, 0);
  api.set(h, TJPARAM_ARITHMETIC, 0);
  api.set(h, TJPARAM_NOREALLOC, 1);
  unsigned char* buf = out;
  size_t size = outCapacity;
  if (api.compress8(h, pixels, width, 0, height, channels == 1 ? TJPF_GRAY : TJPF_RGB, &buf, &size) != 0) {
    error = lastError(h, "encode");
    return -1;
  }
  return static_cast<long long>(size);
}

namespace {

// Display pixel (x, y) of an n² square of c-byte pixels stored with EXIF orientation o comes
// from stored pixel (sx, sy): the same mapping as src/ops/orientImage.ts's sourceOf on a square.
void orientSquare(const uint8_t* src, uint8_t* dst, int n, int c, int o) {
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      int sx = x, sy = y;
      switch (o) {
        case 2: sx = n - 1 - x; break;
        case 3: sx = n - 1 - x; sy = n - 1 - y; break;
        case 4: sy = n - 1 - y; break;
        case 5: sx = y; sy = x; break;
        case 6: sx = y; sy = n - 1 - x; break;
        case 7: sx = n - 1 - y; sy = n - 1 - x; break;
        case 8: sx = n - 1 - y; sy = x; break;
        default: break;
      }
      const uint8_t* s = src + (static_cast<size_t>(sy) * n + sx) * c;
      uint8_t* d = dst + (static_cast<size_t>(y) * n + x) * c;
      for (int k = 0; k < c; ++k) d[k] = s[k];
    }
  }
}

// Writes all of buf to a new (or truncated) file; 0 or errno. A failed file is removed, so a
// full disk never leaves a cut JPEG behind.
int writeFile(const char* path, const uint8_t* buf, size_t n) {
  int fd;
  do fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno;
  int err = 0;
  for (size_t off = 0; off < n && err == 0;) {
    const ssize_t w = write(fd, buf + off, n - off);
    if (w > 0) off += static_cast<size_t>(w);
    else if (w < 0 && errno != EINTR) err = errno;
    else if (w == 0) err = EIO;
  }
  if (close(fd) != 0 && err == 0 && errno != EINTR) err = errno;
  if (err != 0) unlink(path);
  return err;
}

// RXTRAIN_JPEG_RGB=1: every image through the RGB route (side-by-side measurements, tests).
bool forceRgbRoute() {
  static const bool yes = [] {
    const char* v = std::getenv("RXTRAIN_JPEG_RGB");
    return v != nullptr && v[0] == '1';
  }();
  return yes;
}

struct Encoded {
  std::string error;
  const uint8_t* data = nullptr;
  size_t size = 0;
};

// The RGB route, after readHeader: decode the crop to RGB, resize, orient, encode (the
// encoder converts back to YCbCr and subsamples the chroma).
Encoded rgbRoute(const JpegPreprocessArgs& a, int W, int H) {
  Encoded e;
  const int n = a.crop.size;
  const size_t bytes = static_cast<size_t>(n) * n * 3;
  thread_local std::vector<uint8_t> resized, oriented, encoded;
  JpegCropResizeArgs k = a.crop;
  // Without orientation the resize writes straight into the caller's pixels (if any).
  uint8_t* pixels = a.crop.dst;
  if (a.orientation != 1 || pixels == nullptr) {
    if (resized.size() < bytes) resized.resize(bytes);
    k.dst = resized.data();
  }
  const JpegCropResizeResult d = cropResizeAfterHeader(k, W, H);
  if (!d.error.empty()) {
    e.error = d.error;
    return e;
  }
  const uint8_t* out = k.dst;
  if (a.orientation != 1) {
    uint8_t* to = pixels;
    if (to == nullptr) {
      if (oriented.size() < bytes) oriented.resize(bytes);
      to = oriented.data();
    }
    orientSquare(k.dst, to, n, 3, a.orientation);
    out = to;
  }
  const size_t bound = jpeg_encode_bound(n, n);
  if (encoded.size() < bound) encoded.resize(bound);
  const long long len = jpeg_encode(out, n, n, 3, a.quality, encoded.data(), encoded.size(), e.error);
  if (len < 0) return e;
  e.data = encoded.data();
  e.size = static_cast<size_t>(len);
  return e;
}

// Adds the channel sums of the RGB square the planes (n^2 luma, ceil(n/2)^2 chroma, 4:2:0)
// stand for, through the JFIF transform of the plane sums (each chroma sample counted for the
// luma pixels it covers): linear, so no conversion of the pixels is needed. It is the mean of
// the RGB values before clamping to 0..255, which differs from the clamped pixels' mean by
// 0.002 levels or less on the bench corpus (RESULTS.md).
void addRgbSums(const uint8_t* y, const uint8_t* cb, const uint8_t* cr, int n, double* sums) {
  const int cn = (n + 1) / 2;
  const double N = static_cast<double>(n) * n;
  auto weighted = [&](const uint8_t* p) {
    double s = 4.0 * static_cast<double>(byte_sum(p, static_cast<size_t>(cn) * cn));
    if (n % 2 != 0) {  // the last chroma row and column cover one luma row or column
      double col = 0, row = 0;
      for (int i = 0; i < cn; ++i) {
        col += p[static_cast<size_t>(i) * cn + cn - 1];
        row += p[static_cast<size_t>(cn - 1) * cn + i];
      }
      s += -2.0 * col - 2.0 * row + p[static_cast<size_t>(cn) * cn - 1];
    }
    return s - 128.0 * N;
  };
  const double sy = static_cast<double>(byte_sum(y, static_cast<size_t>(n) * n)), sb = weighted(cb), sr = weighted(cr);
  sums[0] += sy + 1.402 * sr;
  sums[1] += sy - 0.344136 * sb - 0.714136 * sr;
  sums[2] += sy + 1.772 * sb;
}

// The YCbCr route, for YCbCr JPEGs of any chroma subsampling and greyscale ones (nearly every
// photo): the decoder stops before upsampling and colour conversion (raw planes), the luma
// plane is resized at full resolution and the chroma planes straight from theirs to the
// output's 4:2:0 (a quarter of the luma's samples), and the encoder takes the planes as they
// are: no colour conversion or chroma resampling on either side. The sums come from the
// planes (addRgbSums); the square's RGB pixels, only when asked (record files), from one
// conversion of the small planes.
Encoded yuvRoute(const JpegPreprocessArgs& a, int W, int H, int subsamp) {
  Encoded e;
  const JpegCropResizeArgs& c = a.crop;
  tjhandle h = handles.dec;
  const int denom = dctDenom(c);
  if (api.setScalingFactor(h, {1, denom}) != 0 || api.setCroppingRegion(h, {0, 0, 0, 0}) != 0) {
    e.error = lastError(h, "scaling");
    return e;
  }
  const int sw = scaled(W, denom), sh = scaled(H, denom);
  const int x0 = c.x / denom, y0 = c.y / denom;
  const int cw = std::min(sw, scaled(c.x + c.width, denom)) - x0, ch = std::min(sh, scaled(c.y + c.height, denom)) - y0;
  const bool grey = subsamp == TJSAMP_GRAY;
  const int planes = grey ? 1 : 3;
  thread_local std::vector<uint8_t> src[3];
  unsigned char* srcPlanes[3] = {nullptr, nullptr, nullptr};
  int srcStrides[3] = {0, 0, 0}, srcHeights[3] = {0, 0, 0};
  for (int i = 0; i < planes; ++i) {
    srcStrides[i] = api.yuvPlaneWidth(i, sw, subsamp);
    srcHeights[i] = api.yuvPlaneHeight(i, sh, subsamp);
    const size_t need = static_cast<size_t>(srcStrides[i]) * srcHeights[i];
    if (src[i].size() < need) src[i].resize(need);
    srcPlanes[i] = src[i].data();
  }
  if (api.decompressToYUVPlanes8(h, c.jpeg, c.jpegSize, srcPlanes, srcStrides) != 0) {
    e.error = lastError(h, "decode");
    return e;
  }
  const int n = c.size, cn = (n + 1) / 2;
  const ResizeMethod method = cw >= n ? ResizeMethod::Area : ResizeMethod::Bilinear;
  thread_local std::vector<uint8_t> out[3], turned;
  const int side[3] = {n, cn, cn};
  for (int i = 0; i < 3; ++i) {
    const size_t need = static_cast<size_t>(side[i]) * side[i];
    if (out[i].size() < need) out[i].resize(need);
  }
  resize_plane(srcPlanes[0], srcStrides[0], x0, y0, AxisMap{cw, n, 0, cw}, AxisMap{ch, n, 0, ch}, out[0].data(), n, n, method);
  if (grey) {
    std::memset(out[1].data(), 128, static_cast<size_t>(cn) * cn);
    std::memset(out[2].data(), 128, static_cast<size_t>(cn) * cn);
  } else {
    // Source chroma sample k covers luma [f k, f (k + 1)) for the source's subsampling factor f
    // on that axis (2 for 4:2:0, 1 for 4:4:4, …); output chroma sample j covers the luma
    // outputs 2j and 2j + 1 (the output is always 4:2:0). In units of 1/n luma pixel, relative
    // to the chroma sample the crop starts in: see AxisMap.
    const int fx = kMcuWidth[subsamp] / 8, fy = kMcuHeight[subsamp] / 8;
    const int kx = x0 / fx, ky = y0 / fy;
    const int lx = std::min(srcStrides[1], (x0 + cw + fx - 1) / fx) - kx, ly = std::min(srcHeights[1], (y0 + ch + fy - 1) / fy) - ky;
    const AxisMap xm{lx, 1LL * fx * n, 1LL * n * (x0 % fx), 2LL * cw}, ym{ly, 1LL * fy * n, 1LL * n * (y0 % fy), 2LL * ch};
    // Area where an output sample covers at least one source sample on both axes (as for the luma).
    const ResizeMethod chroma = xm.step >= xm.unit && ym.step >= ym.unit ? ResizeMethod::Area : ResizeMethod::Bilinear;
    for (int i = 1; i < 3; ++i) resize_plane(srcPlanes[i], srcStrides[i], kx, ky, xm, ym, out[i].data(), cn, cn, chroma);
  }
  if (a.orientation != 1) {
    for (int i = 0; i < 3; ++i) {
      const size_t need = static_cast<size_t>(side[i]) * side[i];
      if (turned.size() < need) turned.resize(need);
      orientSquare(out[i].data(), turned.data(), side[i], 1, a.orientation);
      std::memcpy(out[i].data(), turned.data(), need);
    }
  }
  if (c.sums != nullptr) addRgbSums(out[0].data(), out[1].data(), out[2].data(), n, c.sums);
  const unsigned char* outPlanes[3] = {out[0].data(), out[1].data(), out[2].data()};
  const int outStrides[3] = {n, cn, cn};
  if (c.dst != nullptr) {
    // The RGB pixels (record files): one conversion of the small planes.
    if (handles.yuv == nullptr && (handles.yuv = api.init(TJINIT_DECOMPRESS)) == nullptr) {
      e.error = "cannot create a TurboJPEG decompressor";
      return e;
    }
    api.set(handles.yuv, TJPARAM_SUBSAMP, TJSAMP_420);
    if (api.decodeYUVPlanes8(handles.yuv, outPlanes, outStrides, c.dst, n, 0, n, TJPF_RGB) != 0) {
      e.error = lastError(handles.yuv, "planes to RGB");
      return e;
    }
  }
  if (!(e.error = turbojpeg_open()).empty()) return e;
  if (handles.enc == nullptr && (handles.enc = api.init(TJINIT_COMPRESS)) == nullptr) {
    e.error = "cannot create a TurboJPEG compressor";
    return e;
  }
  thread_local std::vector<uint8_t> encoded;
  const size_t bound = jpeg_encode_bound(n, n);
  if (encoded.size() < bound) encoded.resize(bound);
  tjhandle enc = handles.enc;
  // The RGB route's encoder settings (cv2.imwrite's), from planes.
  api.set(enc, TJPARAM_QUALITY, a.quality);
  api.set(enc, TJPARAM_SUBSAMP, TJSAMP_420);
  api.set(enc, TJPARAM_COLORSPACE, TJCS_YCbCr);  // grey sources too: written as colour, as the RGB route writes them
  api.set(enc, TJPARAM_FASTDCT, 0);
  api.set(enc, TJPARAM_OPTIMIZE, 0);
  api.set(enc, TJPARAM_PROGRESSIVE, 0);
  api.set(enc, TJPARAM_ARITHMETIC, 0);
  api.set(enc, TJPARAM_NOREALLOC, 1);
  unsigned char* buf = encoded.data();
  size_t size = encoded.size();
  if (api.compressFromYUVPlanes8(enc, outPlanes, n, outStrides, n, &buf, &size) != 0) {
    e.error = lastError(enc, "encode");
    return e;
  }
  e.data = encoded.data();
  e.size = size;
  return e;
}

Encoded preprocessEncoded(const JpegPreprocessArgs& a) {
  Encoded e;
  if (!decoderReady(e.error)) return e;
  int W = 0, H = 0;
  if (!(e.error = readHeader(handles.dec, a.crop, W, H)).empty()) return e;
  const int subsamp = api.get(handles.dec, TJPARAM_SUBSAMP), space = api.get(handles.dec, TJPARAM_COLORSPACE);
  // An odd output side would end in half a chroma sample, which an EXIF flip or rotation
  // then puts out of step with the luma: those take the RGB route.
  const bool yuv = a.crop.size % 2 == 0 &&
                   ((subsamp >= 0 && subsamp < 7 && subsamp != TJSAMP_GRAY && space == TJCS_YCbCr) || (subsamp == TJSAMP_GRAY && space == TJCS_GRAY));
  if (yuv && !forceRgbRoute()) {
    try {
      return yuvRoute(a, W, H, subsamp);
    } catch (const std::exception& x) {  // resize_plane's geometry checks: a bug, said as one
      e.error = std::string("YCbCr route: ") + x.what();
      return e;
    }
  }
  return rgbRoute(a, W, H);
}

}  // namespace

JpegPreprocessResult jpeg_preprocess(const JpegPreprocessArgs& a, uint8_t* out, size_t outCapacity) {
  JpegPreprocessResult r;
  const Encoded e = preprocessEncoded(a);
  if (!e.error.empty()) {
    r.error = e.error;
    return r;
  }
  if (e.size > outCapacity) {
    r.error = "output buffer too small: " + std::to_string(outCapacity) + " bytes for " + std::to_string(e.size);
    return r;
  }
  std::memcpy(out, e.data, e.size);
  r.bytes = e.size;
  return r;
}

JpegPreprocessResult jpeg_preprocess_file(const JpegPreprocessArgs& a, const char* dest) {
  JpegPreprocessResult r;
  const Encoded e = preprocessEncoded(a);
  if (!e.error.empty()) {
    r.error = e.error;
    return r;
  }
  r.writeErrno = writeFile(dest, e.data, e.size);
  if (r.writeErrno == 0) r.bytes = e.size;
  return r;
}

}  // namespace rxnative
