#include "weightedSum.h"

#include <string>
#include <vector>

namespace rxnative {

namespace {

// Sources beyond this many would mean more replicas than any machine here has cores.
constexpr uint32_t kMaxSources = 64;

struct Bad {
  std::string message;
};

void check(napi_status s, const char* what) {
  if (s != napi_ok) throw Bad{std::string("N-API call failed: ") + what};
}

float* floatArray(napi_env env, napi_value v, size_t* length, const std::string& name) {
  bool is = false;
  check(napi_is_typedarray(env, v, &is), "is_typedarray");
  napi_typedarray_type type = napi_int8_array;
  void* data = nullptr;
  if (is) check(napi_get_typedarray_info(env, v, &type, length, &data, nullptr, nullptr), "get_typedarray_info");
  if (!is || type != napi_float32_array) throw Bad{name + " must be a Float32Array"};
  if (data == nullptr && *length > 0) throw Bad{name + " has no backing store"};
  return static_cast<float*>(data);
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

}  // namespace

napi_value napi_weighted_sum(napi_env env, napi_callback_info info) {
  try {
    size_t argc = 3;
    napi_value a[3];
    check(napi_get_cb_info(env, info, &argc, a, nullptr, nullptr), "get_cb_info");
    if (argc < 3) throw Bad{"weightedSum(sources, weights, out): expected 3 arguments"};
    bool isArray = false;
    uint32_t k = 0, kw = 0;
    check(napi_is_array(env, a[0], &isArray), "is_array");
    if (!isArray) throw Bad{"sources must be an array of Float32Array"};
    check(napi_get_array_length(env, a[0], &k), "get_array_length");
    check(napi_is_array(env, a[1], &isArray), "is_array");
    if (!isArray) throw Bad{"weights must be an array of numbers"};
    check(napi_get_array_length(env, a[1], &kw), "get_array_length");
    if (k == 0 || k > kMaxSources) throw Bad{"sources must hold 1 to " + std::to_string(kMaxSources) + " arrays"};
    if (kw != k) throw Bad{"weights has " + std::to_string(kw) + " entries for " + std::to_string(k) + " sources"};
    size_t n = 0;
    float* out = floatArray(env, a[2], &n, "out");
    std::vector<const float*> s(k);
    std::vector<double> w(k);
    for (uint32_t i = 0; i < k; ++i) {
      napi_value e;
      check(napi_get_element(env, a[0], i, &e), "get_element");
      size_t len = 0;
      s[i] = floatArray(env, e, &len, "sources[" + std::to_string(i) + "]");
      if (len < n) throw Bad{"sources[" + std::to_string(i) + "] has " + std::to_string(len) + " elements, out " + std::to_string(n)};
      check(napi_get_element(env, a[1], i, &e), "get_element");
      if (napi_get_value_double(env, e, &w[i]) != napi_ok) throw Bad{"weights[" + std::to_string(i) + "] must be a number"};
    }
    if (k == 1) sumFixed<1>(s, w, out, n);
    else if (k == 2) sumFixed<2>(s, w, out, n);
    else sumAny(s, w, out, n);
  } catch (const Bad& e) {
    napi_throw_error(env, nullptr, ("rxtrain native weightedSum: " + e.message).c_str());
  }
  return nullptr;
}

}  // namespace rxnative
