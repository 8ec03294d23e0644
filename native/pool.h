// A small persistent thread pool: run(n, f) calls f(0..n-1), f(0) on the calling thread, and
// returns when all are done. Work is split by the callers so that each output element is
// computed by exactly one task, in a fixed order: results do not depend on the thread count.
#pragma once
#include <functional>

namespace rxnative {

void parallel_run(int n, const std::function<void(int)>& f);

}  // namespace rxnative
