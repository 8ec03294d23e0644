#include "turboJpeg.h"

#include <algorithm>
#include <cerrno>
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
  TJPARAM_FASTUPSAMPLE = 9,
  TJPARAM_FASTDCT = 10,
  TJPARAM_OPTIMIZE = 11,
  TJPARAM_PROGRESSIVE = 12,
  TJPARAM_ARITHMETIC = 14,
};
enum { TJPF_RGB = 0, TJPF_GRAY = 6 };
enum { TJSAMP_420 = 2, TJSAMP_GRAY = 3 };
// iMCU width per subsampling level (444, 422, 420, gray, 440, 411, 441): crops start on it.
constexpr int kMcuWidth[7] = {8, 16, 16, 8, 8, 32, 8};

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
        sym(lib, "tj3Decompress8", a.decompress8) && sym(lib, "tj3Compress8", a.compress8) && sym(lib, "tj3JPEGBufSize", a.jpegBufSize))) {
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
  tjhandle dec = nullptr, enc = nullptr;
  ~Handles() {
    if (dec != nullptr) api.destroy(dec);
    if (enc != nullptr) api.destroy(enc);
  }
};
thread_local Handles handles;

std::string lastError(tjhandle h, const char* what) {
  const char* s = api.errorStr(h);
  return std::string(what) + ": " + (s != nullptr ? s : "unknown error");
}

int scaled(int dim, int denom) { return (dim + denom - 1) / denom; }

}  // namespace

std::string turbojpeg_open() {
  std::call_once(opened, doOpen);
  return openError;
}

JpegCropResizeResult jpeg_crop_resize(const JpegCropResizeArgs& a) {
  JpegCropResizeResult r;
  if (!turbojpeg_open().empty()) return {openError, 1};
  if (handles.dec == nullptr && (handles.dec = api.init(TJINIT_DECOMPRESS)) == nullptr) return {"cannot create a TurboJPEG decompressor", 1};
  tjhandle h = handles.dec;
  // Warnings (truncated or corrupt data) fail the image: sharp's path then decides.
  api.set(h, TJPARAM_STOPONWARNING, 1);
  api.set(h, TJPARAM_FASTDCT, a.fastDct ? 1 : 0);
  api.set(h, TJPARAM_FASTUPSAMPLE, 0);
  if (api.decompressHeader(h, a.jpeg, a.jpegSize) != 0) return {lastError(h, "header"), 1};
  const int W = api.get(h, TJPARAM_JPEGWIDTH), H = api.get(h, TJPARAM_JPEGHEIGHT);
  if (a.x < 0 || a.y < 0 || a.width < 1 || a.height < 1 || a.x + a.width > W || a.y + a.height > H)
    return {"crop " + std::to_string(a.width) + "x" + std::to_string(a.height) + " at (" + std::to_string(a.x) + ", " + std::to_string(a.y) +
                ") is outside the " + std::to_string(W) + "x" + std::to_string(H) + " image the decoder sees",
            1};
  if (api.get(h, TJPARAM_PRECISION) != 8) return {"not an 8-bit JPEG", 1};
  // DCT scaling only while the scaled crop keeps twice the output side, so the area filter
  // still does a real shrink afterwards (sharp's shrink-on-load rule of thumb).
  int denom = 1;
  for (int d : {8, 4, 2})
    if (std::min(a.width, a.height) / d >= 2 * a.size) {
      denom = d;
      break;
    }
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

// Display pixel (x, y) of a size² square stored with EXIF orientation o comes from stored
// pixel (sx, sy): the same mapping as src/ops/orientImage.ts's sourceOf on a square.
void orientSquare(const uint8_t* src, uint8_t* dst, int n, int o) {
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
      const uint8_t* s = src + (static_cast<size_t>(sy) * n + sx) * 3;
      uint8_t* d = dst + (static_cast<size_t>(y) * n + x) * 3;
      d[0] = s[0];
      d[1] = s[1];
      d[2] = s[2];
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

}  // namespace

JpegPreprocessFileResult jpeg_preprocess_file(const JpegPreprocessFileArgs& a) {
  JpegPreprocessFileResult r;
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
  const JpegCropResizeResult d = jpeg_crop_resize(k);
  if (!d.error.empty()) {
    r.error = d.error;
    return r;
  }
  const uint8_t* out = k.dst;
  if (a.orientation != 1) {
    uint8_t* to = pixels;
    if (to == nullptr) {
      if (oriented.size() < bytes) oriented.resize(bytes);
      to = oriented.data();
    }
    orientSquare(k.dst, to, n, a.orientation);
    out = to;
  }
  const size_t bound = jpeg_encode_bound(n, n);
  if (encoded.size() < bound) encoded.resize(bound);
  const long long len = jpeg_encode(out, n, n, 3, a.quality, encoded.data(), encoded.size(), r.error);
  if (len < 0) return r;
  r.writeErrno = writeFile(a.dest, encoded.data(), static_cast<size_t>(len));
  if (r.writeErrno == 0) r.bytes = static_cast<size_t>(len);
  return r;
}

}  // namespace rxnative
