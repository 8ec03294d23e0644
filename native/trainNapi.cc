// Argument checking for the BatchNorm/max-pool kernels: sizes are checked against the typed
// arrays' lengths before any memory is touched, and errors become JS exceptions, never crashes.
#include "trainNapi.h"

#include <string>

#include "napiArgs.h"

#include "batchnorm.h"
#include "maxpool.h"
#include "sgd.h"

namespace rxnative {

namespace {

using napi::ArgError;
using napi::args;
using napi::check;
using napi::count;
using napi::floats;
using napi::guard;
using napi::threadsArg;

// rows × channels must describe the arrays, and channels must be at least 1.
void shape(long long rows, long long channels) {
  if (channels < 1 || channels > (1LL << 30) || rows > (1LL << 40) / channels) throw ArgError{"invalid rows × channels"};
}

PoolGeom poolGeometry(napi_env env, napi_value v) {
  int g[12];
  for (uint32_t i = 0; i < 12; ++i) {
    napi_value e;
    check(napi_get_element(env, v, i, &e), "get_element");
    int32_t n = 0;
    if (napi_get_value_int32(env, e, &n) != napi_ok) throw ArgError{"pool geometry entry must be a number"};
    g[i] = n;
  }
  const PoolGeom p{g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11]};
  for (int i = 0; i < 12; ++i) {
    const bool mayBeZero = i == 0 || i == 8 || i == 9;
    if (g[i] < 0 || (!mayBeZero && g[i] == 0)) throw ArgError{"invalid pooling geometry"};
  }
  // The gradient keeps window positions as floats, exact up to 2^24 pixels per image.
  if (1LL * p.H * p.W > (1LL << 24)) throw ArgError{"pooling input larger than 2^24 pixels per image"};
  return p;
}

}  // namespace

namespace {

napi_value batchnormTrain(napi_env env, napi_callback_info info, bool relu) {
  return guard(env, [&] {
    napi_value a[11];
    args(env, info, a);
    const long long rows = count(env, a[7], "rows"), C = count(env, a[8], "channels");
    shape(rows, C);
    double eps = 0;
    if (napi_get_value_double(env, a[9], &eps) != napi_ok) throw ArgError{"eps must be a number"};
    const float* x = floats(env, a[0], rows * C, "x");
    const float* gamma = floats(env, a[1], C, "gamma");
    const float* beta = floats(env, a[2], C, "beta");
    float* y = floats(env, a[3], rows * C, "y");
    float* mean = floats(env, a[4], C, "mean");
    float* var = floats(env, a[5], C, "variance");
    float* rstd = floats(env, a[6], C, "rstd");
    batchnorm_train_forward(rows, static_cast<int>(C), x, gamma, beta, static_cast<float>(eps), y, mean, var, rstd, threadsArg(env, a[10]), relu);
  });
}

}  // namespace

napi_value napi_batchnorm_train(napi_env env, napi_callback_info info) { return batchnormTrain(env, info, false); }

napi_value napi_batchnorm_relu_train(napi_env env, napi_callback_info info) { return batchnormTrain(env, info, true); }

namespace {

// batchNormTrainGrad(x, dy, gamma, mean, rstd, dx, dgamma, dbeta, rows, channels, threads), and
// with relu batchNormReluTrainGrad(x, dy, gamma, beta, mean, rstd, …): beta after gamma.
napi_value batchnormTrainGrad(napi_env env, napi_callback_info info, bool relu) {
  return guard(env, [&] {
    napi_value a[12];
    size_t argc = relu ? 12 : 11;
    check(napi_get_cb_info(env, info, &argc, a, nullptr, nullptr), "get_cb_info");
    if (argc < (relu ? 12u : 11u)) throw ArgError{"expected " + std::to_string(relu ? 12 : 11) + " arguments, got " + std::to_string(argc)};
    const int o = relu ? 1 : 0;  // arguments after beta move one on
    const long long rows = count(env, a[8 + o], "rows"), C = count(env, a[9 + o], "channels");
    shape(rows, C);
    const float* x = floats(env, a[0], rows * C, "x");
    const float* dy = floats(env, a[1], rows * C, "dy");
    const float* gamma = floats(env, a[2], C, "gamma");
    const float* beta = relu ? floats(env, a[3], C, "beta") : nullptr;
    const float* mean = floats(env, a[3 + o], C, "mean");
    const float* rstd = floats(env, a[4 + o], C, "rstd");
    float* dx = floats(env, a[5 + o], rows * C, "dx");
    float* dgamma = floats(env, a[6 + o], C, "dgamma");
    float* dbeta = floats(env, a[7 + o], C, "dbeta");
    batchnorm_train_backward(rows, static_cast<int>(C), x, dy, gamma, mean, rstd, dx, dgamma, dbeta, threadsArg(env, a[10 + o]), beta);
  });
}

}  // namespace

napi_value napi_batchnorm_train_grad(napi_env env, napi_callback_info info) { return batchnormTrainGrad(env, info, false); }

napi_value napi_batchnorm_relu_train_grad(napi_env env, napi_callback_info info) { return batchnormTrainGrad(env, info, true); }

napi_value napi_channel_sum(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[5];
    args(env, info, a);
    const long long rows = count(env, a[2], "rows"), C = count(env, a[3], "channels");
    shape(rows, C);
    const float* x = floats(env, a[0], rows * C, "x");
    float* out = floats(env, a[1], C, "out");
    channel_sum(rows, static_cast<int>(C), x, out, threadsArg(env, a[4]));
  });
}

napi_value napi_maxpool(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[4];
    args(env, info, a);
    const PoolGeom g = poolGeometry(env, a[2]);
    const float* x = floats(env, a[0], g.xSize(), "x");
    float* y = floats(env, a[1], g.ySize(), "y");
    maxpool_forward(g, x, y, threadsArg(env, a[3]));
  });
}

napi_value napi_maxpool_grad(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[5];
    args(env, info, a);
    const PoolGeom g = poolGeometry(env, a[3]);
    const float* x = floats(env, a[0], g.xSize(), "x");
    const float* dy = floats(env, a[1], g.ySize(), "dy");
    float* dx = floats(env, a[2], g.xSize(), "dx");
    maxpool_backward(g, x, dy, dx, threadsArg(env, a[4]));
  });
}

napi_value napi_sgd_update(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[10];
    args(env, info, a);
    const long long n = count(env, a[4], "n");
    double negLr = 0, m = 0, wd = 0;
    if (napi_get_value_double(env, a[5], &negLr) != napi_ok || napi_get_value_double(env, a[6], &m) != napi_ok ||
        napi_get_value_double(env, a[7], &wd) != napi_ok)
      throw ArgError{"negLr, momentum and weightDecay must be numbers"};
    bool nesterov = false;
    if (napi_get_value_bool(env, a[8], &nesterov) != napi_ok) throw ArgError{"nesterov must be a boolean"};
    const bool momentum = !napi::isNullish(env, a[2]);
    const float* g = floats(env, a[0], n, "g");
    const float* p = floats(env, a[1], n, "p");
    float* buf = momentum ? floats(env, a[2], n, "momentumBuffer") : nullptr;
    float* out = floats(env, a[3], n, "out");
    if (out == p || out == g || (buf != nullptr && out == buf)) throw ArgError{"out must not alias g, p or the momentum buffer"};
    // The JS caller passes Math.fround'ed values; the casts are exact.
    sgd_update(n, g, p, buf, out, static_cast<float>(negLr), static_cast<float>(m), static_cast<float>(wd), momentum, nesterov,
               threadsArg(env, a[9]));
  });
}

}  // namespace rxnative
