// Crop + resize of 8-bit interleaved images in one pass, the native twin of
// src/ops/cropResizeInto.ts (its 14-bit fixed-point path): same taps, same rounding, so the
// results are bit-identical to the JS kernel on 1- and 3-channel images and to its 3-channel
// result when a 4-channel source (RGBX decoder output) goes into 3 channels.
#pragma once
#include <cstddef>
#include <cstdint>

namespace rxnative {

enum class ResizeMethod { Area = 0, Bilinear = 1 };

struct CropResizeArgs {
  const uint8_t* src;
  int srcWidth, srcHeight, srcChannels;  // channels 1..4
  int x, y, width, height;               // the crop, inside the source
  uint8_t* dst;
  int dstWidth, dstHeight, dstChannels;  // dstChannels == srcChannels, or 3 when srcChannels == 4
  ResizeMethod method;
  double* sums;  // nullable: per-channel sums of the output are ADDED here (dstChannels entries)
};

// Throws std::invalid_argument on a bad geometry (checked before any memory is touched).
void crop_resize(const CropResizeArgs& a);

// The sum of n bytes (psadbw, 32 at a time, where AVX2 is there).
uint64_t byte_sum(const uint8_t* p, size_t n);

// One axis of a resize in integer units: output d covers [offset + d * step, offset + (d + 1) *
// step) and source sample k covers [k * unit, (k + 1) * unit), 0 <= k < src. A crop of length L
// resized to n samples is {L, n, 0, L}; the chroma plane of a 4:2:0 image cropped at x with
// length L, resized to the chroma of n luma samples, is {.., 2n, n * (x % 2), 2L} from x / 2.
struct AxisMap {
  int src;
  long long unit, offset, step;
};

// crop_resize's arithmetic on one 8-bit plane (row `stride` bytes), reading the samples from
// (x, y) on, with each axis mapped by its AxisMap. Maps {L, n, 0, L} give crop_resize's bytes.
// Throws std::invalid_argument on a bad geometry.
void resize_plane(const uint8_t* src, size_t stride, int x, int y, const AxisMap& xm, const AxisMap& ym, uint8_t* dst, int dstWidth, int dstHeight,
                  ResizeMethod method);

}  // namespace rxnative
