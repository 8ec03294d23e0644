// PyTorch's SGD update (dampening 0) over one parameter array, in float32 with every operation
// rounded as the JavaScript reference loop rounds it (Math.fround after each op; the addon is
// built with -ffp-contract=off, so no fused multiply-adds): results are bit-identical to it.
#pragma once

namespace rxnative {

// g' = g + wd·p; buf = m·buf + g' (when momentum); g'' = g' + m·buf (Nesterov) or buf;
// out = p + negLr·g''. buf is updated in place; out may not alias p, g or buf.
void sgd_update(long long n, const float* g, const float* p, float* buf, float* out, float negLr, float m, float wd,
                bool momentum, bool nesterov, int threads);

}  // namespace rxnative
