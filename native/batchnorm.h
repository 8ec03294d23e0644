// Training-mode BatchNorm over the rows of a [rows, C] (NHWC flattened) float array, and the
// per-channel sums its gradient and the convolution bias gradients need. Every reduction adds
// fixed row blocks in double precision and combines the blocks in block order, so results do
// not depend on the thread count.
#pragma once

namespace rxnative {

// y = (x − mean)·rstd·gamma + beta with the batch mean and biased variance per channel, then
// max(y, 0) when relu; writes mean, var and rstd = 1/sqrt(var + eps) (each C floats).
void batchnorm_train_forward(long long rows, int C, const float* x, const float* gamma, const float* beta, float eps,
                             float* y, float* mean, float* var, float* rstd, int threads, bool relu = false);

// Gradient of batchnorm_train_forward given the saved mean and rstd:
// dbeta = Σdy, dgamma = Σdy·x̂, dx = gamma·rstd/rows · (rows·dy − dbeta − x̂·dgamma). With
// reluBeta (the forward's beta) it is the gradient of the forward with relu: dy·step(y) first.
void batchnorm_train_backward(long long rows, int C, const float* x, const float* dy, const float* gamma,
                              const float* mean, const float* rstd, float* dx, float* dgamma, float* dbeta, int threads,
                              const float* reluBeta = nullptr);

// out[c] = Σ_r x[r·C + c] (tfjs Sum over every axis but the last).
void channel_sum(long long rows, int C, const float* x, float* out, int threads);

}  // namespace rxnative
