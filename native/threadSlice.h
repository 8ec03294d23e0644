// N-API entry points for the kernel threads' scheduling (implemented in pool.cc, see pool.h):
// setThreadSlice(us) -> slice now in effect (µs) or -1; computeSlice() -> the µs kernel threads ask for.
#pragma once
#include <node_api.h>

namespace rxnative {

napi_value napi_set_thread_slice(napi_env env, napi_callback_info info);
napi_value napi_compute_slice(napi_env env, napi_callback_info info);

}  // namespace rxnative
