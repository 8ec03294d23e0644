// Argument checking for the BatchNorm/max-pool kernels: sizes are checked against the typed
// arrays' lengths before any memory is touched, and errors become JS exceptions, never crashes.
#include "trainNapi.h"

#include <string>

#include "batchnorm.h"
#include "maxpool.h"
#include "sgd.h"

namespace rxnative {

namespace {

struct Bad {
  std::string message;
};

void check(napi_status s, const char* what) {
  if (s != napi_ok) throw Bad{std::string("N-API call failed: ") + what};
}

float* floats(napi_env env, napi_value v, long long need, const char* name) {
  bool is = false;
  check(napi_is_typedarray(env, v, &is), "is_typedarray");
  if (!is) throw Bad{std::string(name) + " must be a Float32Array"};
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  check(napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr), "get_typedarray_info");
  if (type != napi_float32_array) throw Bad{std::string(name) + " must be a Float32Array"};
  if (static_cast<long long>(length) < need)
    throw Bad{std::string(name) + " has " + std::to_string(length) + " elements, needs " + std::to_string(need)};
  if (data == nullptr && need > 0) throw Bad{std::string(name) + " has no backing store"};
  return static_cast<float*>(data);
}

long long count(napi_env env, napi_value v, const char* name) {
  int64_t out = 0;
  if (napi_get_value_int64(env, v, &out) != napi_ok || out < 0) throw Bad{std::string(name) + " must be a non-negative integer"};
  return out;
}

int threadsArg(napi_env env, napi_value v) {
  const long long t = count(env, v, "threads");
  return t < 1 ? 1 : (t > 64 ? 64 : static_cast<int>(t));
}

template <size_t N>
void args(napi_env env, napi_callback_info info, napi_value (&argv)[N]) {
  size_t argc = N;
  check(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr), "get_cb_info");
  if (argc < N) throw Bad{"expected " + std::to_string(N) + " arguments, got " + std::to_string(argc)};
}

template <typename F>
napi_value guard(napi_env env, F f) {
  try {
    f();
  } catch (const Bad& e) {
    napi_throw_error(env, "ERR_RXTRAIN_NATIVE", e.message.c_str());
  } catch (const std::exception& e) {
    napi_throw_error(env, "ERR_RXTRAIN_NATIVE", e.what());
  }
  return nullptr;
}

// rows × channels must describe the arrays, and channels must be at least 1.
void shape(long long rows, long long channels) {
  if (channels < 1 || channels > (1LL << 30) || rows > (1LL << 40) / channels) throw Bad{"invalid rows × channels"};
}

PoolGeom poolGeometry(napi_env env, napi_value v) {
  int g[12];
  for (uint32_t i = 0; i < 12; ++i) {
    napi_value e;
    check(napi_get_element(env, v, i, &e), "get_element");
    int32_t n = 0;
    if (napi_get_value_int32(env, e, &n) != napi_ok) throw Bad{"pool geometry entry must be a number"};
    g[i] = n;
  }
  const PoolGeom p{g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11]};
  for (int i = 0; i < 12; ++i) {
    const bool mayBeZero = i == 0 || i == 8 || i == 9;
    if (g[i] < 0 || (!mayBeZero && g[i] == 0)) throw Bad{"invalid pooling geometry"};
  }
  // The gradient keeps window positions as floats, exact up to 2^24 pixels per image.
  if (1LL * p.H * p.W > (1LL << 24)) throw Bad{"pooling input larger than 2^24 pixels per image"};
  return p;
}

}  // namespace

napi_value napi_batchnorm_train(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[11];
    args(env, info, a);
    const long long rows = count(env, a[7], "rows"), C = count(env, a[8], "channels");
    shape(rows, C);
    double eps = 0;
    if (napi_get_value_double(env, a[9], &eps) != napi_ok) throw Bad{"eps must be a number"};
    const float* x = floats(env, a[0], rows * C, "x");
    const float* gamma = floats(env, a[1], C, "gamma");
    const float* beta = floats(env, a[2], C, "beta");
    float* y = floats(env, a[3], rows * C, "y");
    float* mean = floats(env, a[4], C, "mean");
    float* var = floats(env, a[5], C, "variance");
    float* rstd = floats(env, a[6], C, "rstd");
    batchnorm_train_forward(rows, static_cast<int>(C), x, gamma, beta, static_cast<float>(eps), y, mean, var, rstd, threadsArg(env, a[10]));
  });
}

napi_value napi_batchnorm_train_grad(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[11];
    args(env, info, a);
    const long long rows = count(env, a[8], "rows"), C = count(env, a[9], "channels");
    shape(rows, C);
    const float* x = floats(env, a[0], rows * C, "x");
    const float* dy = floats(env, a[1], rows * C, "dy");
    const float* gamma = floats(env, a[2], C, "gamma");
    const float* mean = floats(env, a[3], C, "mean");
    const float* rstd = floats(env, a[4], C, "rstd");
    float* dx = floats(env, a[5], rows * C, "dx");
    float* dgamma = floats(env, a[6], C, "dgamma");
    float* dbeta = floats(env, a[7], C, "dbeta");
    batchnorm_train_backward(rows, static_cast<int>(C), x, dy, gamma, mean, rstd, dx, dgamma, dbeta, threadsArg(env, a[10]));
  });
}

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
      throw Bad{"negLr, momentum and weightDecay must be numbers"};
    bool nesterov = false;
    if (napi_get_value_bool(env, a[8], &nesterov) != napi_ok) throw Bad{"nesterov must be a boolean"};
    napi_valuetype t;
    check(napi_typeof(env, a[2], &t), "typeof");
    const bool momentum = !(t == napi_null || t == napi_undefined);
    const float* g = floats(env, a[0], n, "g");
    const float* p = floats(env, a[1], n, "p");
    float* buf = momentum ? floats(env, a[2], n, "momentumBuffer") : nullptr;
    float* out = floats(env, a[3], n, "out");
    if (out == p || out == g || (buf != nullptr && out == buf)) throw Bad{"out must not alias g, p or the momentum buffer"};
    // The JS caller passes Math.fround'ed values; the casts are exact.
    sgd_update(n, g, p, buf, out, static_cast<float>(negLr), static_cast<float>(m), static_cast<float>(wd), momentum, nesterov,
               threadsArg(env, a[9]));
  });
}

}  // namespace rxnative
