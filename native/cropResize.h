// Crop + resize of 8-bit interleaved images in one pass, the native twin of
// src/ops/cropResizeInto.ts (its 14-bit fixed-point path): same taps, same rounding, so the
// results are bit-identical to the JS kernel on 1- and 3-channel images and to its 3-channel
// result when a 4-channel source (RGBX decoder output) goes into 3 channels.
#pragma once
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

}  // namespace rxnative
