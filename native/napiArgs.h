// Argument checking shared by every N-API entry point: each size is checked against the typed
// array's length before a kernel touches memory, and a bad argument becomes a JS exception
// (code ERR_RXTRAIN_NATIVE), never a crash.
#pragma once

#include <node_api.h>

#include <cstdint>
#include <exception>
#include <string>
#include <type_traits>

namespace rxnative::napi {

// A bad argument; `guard` turns it into a JS exception.
struct ArgError {
  std::string message;
};

inline void check(napi_status s, const char* what) {
  if (s != napi_ok) throw ArgError{std::string("N-API call failed: ") + what};
}

// The typed array `v` as T*, of element type `type` (or `alt`), holding at least `need` elements;
// its length goes to `lengthOut` if given.
template <typename T>
T* typedArray(napi_env env, napi_value v, long long need, const std::string& name, const char* typeName, const char* unit,
              napi_typedarray_type type, napi_typedarray_type alt, size_t* lengthOut = nullptr) {
  bool is = false;
  check(napi_is_typedarray(env, v, &is), "is_typedarray");
  if (!is) throw ArgError{std::string(name) + " must be a " + typeName};
  napi_typedarray_type actual;
  size_t length = 0;
  void* data = nullptr;
  check(napi_get_typedarray_info(env, v, &actual, &length, &data, nullptr, nullptr), "get_typedarray_info");
  if (actual != type && actual != alt) throw ArgError{std::string(name) + " must be a " + typeName};
  if (static_cast<long long>(length) < need)
    throw ArgError{std::string(name) + " has " + std::to_string(length) + " " + unit + ", needs " + std::to_string(need)};
  if (data == nullptr && (need > 0 || length > 0)) throw ArgError{std::string(name) + " has no backing store"};
  if (lengthOut != nullptr) *lengthOut = length;
  return static_cast<T*>(data);
}

inline float* floats(napi_env env, napi_value v, long long need, const char* name) {
  return typedArray<float>(env, v, need, name, "Float32Array", "elements", napi_float32_array, napi_float32_array);
}

inline uint8_t* bytes(napi_env env, napi_value v, long long need, const char* name) {
  return typedArray<uint8_t>(env, v, need, name, "Uint8Array", "bytes", napi_uint8_array, napi_uint8_clamped_array);
}

inline bool isNullish(napi_env env, napi_value v) {
  napi_valuetype t;
  check(napi_typeof(env, v, &t), "typeof");
  return t == napi_null || t == napi_undefined;
}

inline int integer(napi_env env, napi_value v, const char* name) {
  int32_t out = 0;
  if (napi_get_value_int32(env, v, &out) != napi_ok) throw ArgError{std::string(name) + " must be a number"};
  return out;
}

inline long long count(napi_env env, napi_value v, const char* name) {
  int64_t out = 0;
  if (napi_get_value_int64(env, v, &out) != napi_ok || out < 0) throw ArgError{std::string(name) + " must be a non-negative integer"};
  return out;
}

// Thread counts are clamped, not refused: the pool decides how many it really runs.
inline int threadsArg(napi_env env, napi_value v) {
  const int t = integer(env, v, "threads");
  return t < 1 ? 1 : (t > 64 ? 64 : t);
}

// The first N arguments; `fn` (if any) names the function in the error.
template <size_t N>
void args(napi_env env, napi_callback_info info, napi_value (&argv)[N], const char* fn = nullptr) {
  size_t argc = N;
  check(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr), "get_cb_info");
  if (argc < N) {
    throw ArgError{(fn == nullptr ? std::string() : std::string(fn) + ": ") + "expected " + std::to_string(N) + " arguments, got " +
                   std::to_string(argc)};
  }
}

using Thrower = napi_status (*)(napi_env, const char*, const char*);

// Runs `f`, turning ArgError and std::exception into a JS exception (Error by default, or e.g.
// napi_throw_range_error). `f` returns a napi_value or nothing (the call then returns undefined).
template <typename F>
napi_value guard(napi_env env, F f, Thrower thrower = napi_throw_error) {
  try {
    if constexpr (std::is_void_v<decltype(f())>) {
      f();
    } else {
      return f();
    }
  } catch (const ArgError& e) {
    thrower(env, "ERR_RXTRAIN_NATIVE", e.message.c_str());
  } catch (const std::exception& e) {
    thrower(env, "ERR_RXTRAIN_NATIVE", e.what());
  }
  return nullptr;
}

}  // namespace rxnative::napi
