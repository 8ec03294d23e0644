#include "weightedSum.h"

#include <string>
#include <vector>

#include "napiArgs.h"

namespace rxnative {

namespace {

// Sources beyond this many would mean more replicas than any machine here has cores.
constexpr uint32_t kMaxSources = 64;

using napi::ArgError;
using napi::check;

float* floatArray(napi_env env, napi_value v, size_t* length, const std::string& name) {
  return napi::typedArray<float>(env, v, 0, name, "Float32Array", "elements", napi_float32_array, napi_float32_array, length);
}

template <int K>
void sumFixed(const std::vector<const float*>& s, const std::vector<double>& w, float* out, size_t n) {
  for (size_t j = 0; j < n; ++j) {
    double acc = w[0] * static_cast<double>(s[0][j]);
    for (int k = 1; k < K; ++k) acc += w[k] * static_cast<double>(s[k][j]);
    out[j] = static_cast<float>(acc);
  }
}

void sumAny(const std::vector<const float*>& s, const std::vector<double>& w, float* out, size_t n) {
  for (size_t j = 0; j < n; ++j) {
    double acc = w[0] * static_cast<double>(s[0][j]);
    for (size_t k = 1; k < s.size(); ++k) acc += w[k] * static_cast<double>(s[k][j]);
    out[j] = static_cast<float>(acc);
  }
}

void sum(napi_env env, napi_callback_info info) {
  napi_value a[3];
  napi::args(env, info, a);
  bool isArray = false;
  uint32_t k = 0, kw = 0;
  check(napi_is_array(env, a[0], &isArray), "is_array");
  if (!isArray) throw ArgError{"sources must be an array of Float32Array"};
  check(napi_get_array_length(env, a[0], &k), "get_array_length");
  check(napi_is_array(env, a[1], &isArray), "is_array");
  if (!isArray) throw ArgError{"weights must be an array of numbers"};
  check(napi_get_array_length(env, a[1], &kw), "get_array_length");
  if (k == 0 || k > kMaxSources) throw ArgError{"sources must hold 1 to " + std::to_string(kMaxSources) + " arrays"};
  if (kw != k) throw ArgError{"weights has " + std::to_string(kw) + " entries for " + std::to_string(k) + " sources"};
  size_t n = 0;
  float* out = floatArray(env, a[2], &n, "out");
  std::vector<const float*> s(k);
  std::vector<double> w(k);
  for (uint32_t i = 0; i < k; ++i) {
    napi_value e;
    check(napi_get_element(env, a[0], i, &e), "get_element");
    size_t len = 0;
    s[i] = floatArray(env, e, &len, "sources[" + std::to_string(i) + "]");
    if (len < n) throw ArgError{"sources[" + std::to_string(i) + "] has " + std::to_string(len) + " elements, out " + std::to_string(n)};
    check(napi_get_element(env, a[1], i, &e), "get_element");
    if (napi_get_value_double(env, e, &w[i]) != napi_ok) throw ArgError{"weights[" + std::to_string(i) + "] must be a number"};
  }
  if (k == 1) sumFixed<1>(s, w, out, n);
  else if (k == 2) sumFixed<2>(s, w, out, n);
  else sumAny(s, w, out, n);
}

}  // namespace

napi_value napi_weighted_sum(napi_env env, napi_callback_info info) {
  return napi::guard(env, [&] {
    try {
      sum(env, info);
    } catch (const ArgError& e) {
      throw ArgError{"rxtrain native weightedSum: " + e.message};
    }
  });
}

}  // namespace rxnative
