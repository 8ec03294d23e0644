// A small persistent thread pool: run(n, f) calls f(0..n-1), f(0) on the calling thread, and
// returns when all are done. Work is split by the callers so that each output element is
// computed by exactly one task, in a fixed order: results do not depend on the thread count.
#pragma once
#include <functional>

namespace rxnative {

void parallel_run(int n, const std::function<void(int)>& f);

// Scheduling of the threads that run kernels (the pool's workers and every thread that calls
// parallel_run, i.e. the training thread). With RXTRAIN_COMPUTE_SLICE_MS set they ask Linux
// (>= 6.12, EEVDF) for a long time slice: their share of the CPU is unchanged, but a thread with
// a shorter slice that wakes up (the telemetry server's thread, a monitor, data loading) preempts
// them at once instead of waiting for the slice or the next tick. Off by default: the benefit
// was within the benchmark's noise, and Linux passes a thread's slice on to every thread and
// process it creates later (a marked training thread's later workers and children inherit it).
constexpr int kDefaultComputeSliceUs = 0;

// The slice in µs the kernel threads ask for (0 = none asked).
int compute_slice_us();

// Asks for a `us` µs slice for the calling thread (0 = the kernel's default); returns the slice
// the kernel now reports, or -1 where custom slices are unsupported (not Linux, kernel < 6.12,
// a real-time or SCHED_IDLE thread).
int set_thread_slice_us(int us);

// compute_slice_us() for the calling thread, once.
void mark_compute_thread();

}  // namespace rxnative
