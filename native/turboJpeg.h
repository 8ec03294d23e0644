// Preprocessing's JPEG work in one native call per direction, on libjpeg-turbo's TurboJPEG 3
// API. The library is not linked: it is the libturbojpeg.so.0 that the optional npm package
// @julusian/jpeg-turbo ships and has already loaded into the process (Linux prebuilds), found
// with dlopen(RTLD_NOLOAD). So the addon builds without libjpeg headers and still loads when
// the package is absent; the JS side then keeps its binding-based path.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace rxnative {

// Resolves the TurboJPEG 3 entry points once per process. Empty string when ready, else why not.
std::string turbojpeg_open();

struct JpegCropResizeArgs {
  const uint8_t* jpeg;
  size_t jpegSize;
  int x, y, width, height;  // the crop, in stored (not EXIF-rotated) pixels
  uint8_t* dst;             // size * size * 3, RGB
  int size;
  double* sums;             // 3 entries, the output's channel sums are ADDED
  bool fastDct;             // libjpeg-turbo's fast integer IDCT (truncating) instead of the accurate one
};

struct JpegCropResizeResult {
  std::string error;  // empty on success; libjpeg-turbo's message otherwise (warnings count)
  int scaleDenom = 1; // DCT scaling applied on decode (1, 2, 4 or 8)
};

// Decodes only the crop's columns (from the iMCU boundary) and the rows from its top to the
// image's bottom (rows above are skipped but still entropy-decoded, so truncation and
// corruption anywhere in the file are still reported), with DCT scaling by 1/2, 1/4
// or 1/8 when the scaled crop still has at least twice the output side, then crop_resize
// (area when shrinking, bilinear when enlarging) into RGB with the channel sums.
JpegCropResizeResult jpeg_crop_resize(const JpegCropResizeArgs& a);

// Encodes packed RGB (channels 3) or grey (1) as a baseline JPEG, 4:2:0, accurate DCT, at
// `quality`; returns the byte count written to `out` (capacity `outCapacity`), or -1 with `error`.
long long jpeg_encode(const uint8_t* pixels, int width, int height, int channels, int quality, uint8_t* out, size_t outCapacity,
                      std::string& error);

// Worst-case encoded size for jpeg_encode at this size (4:2:0).
size_t jpeg_encode_bound(int width, int height);

struct JpegPreprocessArgs {
  JpegCropResizeArgs crop;  // dst: nullptr, or size * size * 3 bytes that receive the oriented RGB pixels
  int orientation;          // EXIF orientation 1..8 of the source, applied to the square after the resize
  int quality;
};

struct JpegPreprocessResult {
  std::string error;  // non-empty: decode or encode refused the image, nothing was written
  int writeErrno = 0; // non-zero: the output could not be written (the partial file is removed)
  size_t bytes = 0;   // JPEG bytes written on success
};

// The whole per-image work of the preprocess fast path in one call on one thread: decode of the
// crop, resize, EXIF orientation of the square, sums (and RGB pixels), encode into `out`.
// YCbCr JPEGs of any chroma subsampling and greyscale ones take the YCbCr route (planes resized
// as they are decoded and encoded, no colour conversion or chroma resampling; RXTRAIN_JPEG_RGB=1
// turns it off) when the output side is even; the others (RGB-coded JPEGs, odd sides) the RGB
// route (jpeg_crop_resize, orientation, jpeg_encode). Scratch buffers are per thread and reused.
JpegPreprocessResult jpeg_preprocess(const JpegPreprocessArgs& a, uint8_t* out, size_t outCapacity);

// jpeg_preprocess, then open/write/close of `dest` (created or truncated, mode 0666 & ~umask;
// no stat, fsync or rename: the manifests, written last, are what make a run's output valid).
JpegPreprocessResult jpeg_preprocess_file(const JpegPreprocessArgs& a, const char* dest);

}  // namespace rxnative
