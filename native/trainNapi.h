// N-API entry points of the BatchNorm, channel-sum and max-pool training kernels, registered
// by addon.cc. Every array is a Float32Array (typically a view of the tfjs wasm heap), read and
// written in place, synchronously.
#pragma once
#include <node_api.h>

namespace rxnative {

// batchNormTrain(x, gamma, beta, y, mean, variance, rstd, rows, channels, eps, threads)
napi_value napi_batchnorm_train(napi_env env, napi_callback_info info);
napi_value napi_batchnorm_relu_train(napi_env env, napi_callback_info info);
// batchNormTrainGrad(x, dy, gamma, mean, rstd, dx, dgamma, dbeta, rows, channels, threads)
napi_value napi_batchnorm_train_grad(napi_env env, napi_callback_info info);
napi_value napi_batchnorm_relu_train_grad(napi_env env, napi_callback_info info);
// channelSum(x, out, rows, channels, threads)
napi_value napi_channel_sum(napi_env env, napi_callback_info info);
// maxPool(x, y, geom, threads); geom = [B,H,W,C,fh,fw,sh,sw,padTop,padLeft,outH,outW]
napi_value napi_maxpool(napi_env env, napi_callback_info info);
// maxPoolGrad(x, dy, dx, geom, threads)
napi_value napi_maxpool_grad(napi_env env, napi_callback_info info);
// sgdUpdate(g, p, momentumBuffer|null, out, n, negLr, momentum, weightDecay, nesterov, threads)
napi_value napi_sgd_update(napi_env env, napi_callback_info info);

}  // namespace rxnative
