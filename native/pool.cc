#include "pool.h"

#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "napiArgs.h"
#include "threadSlice.h"

#ifdef __linux__
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace rxnative {

namespace {

#ifdef __linux__
// The kernel's struct sched_attr (include/uapi/linux/sched/types.h, SCHED_ATTR_SIZE_VER1);
// glibc does not declare it everywhere.
struct SchedAttr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
  uint32_t sched_util_min;
  uint32_t sched_util_max;
};

bool get_attr(SchedAttr* a) {
  std::memset(a, 0, sizeof *a);
  return syscall(SYS_sched_getattr, 0, a, sizeof *a, 0) == 0;
}
#endif

int parse_compute_slice_us() {
  // RXTRAIN_COMPUTE_SLICE_MS: the slice kernel threads ask for, in ms; unset/0/off = kernel default.
  const char* env = std::getenv("RXTRAIN_COMPUTE_SLICE_MS");
  if (env == nullptr || *env == '\0') return kDefaultComputeSliceUs;
  const std::string v(env);
  if (v == "off" || v == "OFF" || v == "no" || v == "false") return 0;
  char* end = nullptr;
  const double ms = std::strtod(env, &end);
  if (end == env || *end != '\0' || !(ms >= 0)) return kDefaultComputeSliceUs;
  // The kernel clamps a slice to 0.1-100 ms.
  return ms == 0 ? 0 : static_cast<int>(ms < 0.1 ? 100 : (ms > 100 ? 100000 : ms * 1000));
}

class Pool {
 public:
  void run(int n, const std::function<void(int)>& f) {
    // Several JS threads (data-parallel replicas) may call in at once: one job at a time.
    std::lock_guard<std::mutex> job(job_mu_);
    grow(n - 1);
    {
      std::lock_guard<std::mutex> lk(mu_);
      fn_ = &f;
      tasks_ = n;
      next_ = 1;
      pending_ = n - 1;
      ++generation_;
    }
    cv_.notify_all();
    f(0);
    std::unique_lock<std::mutex> lk(mu_);
    done_cv_.wait(lk, [&] { return pending_ == 0; });
    fn_ = nullptr;
  }

 private:
  void grow(int want) {
    while (static_cast<int>(workers_) < want) {
      // Detached and never joined: the pool lives until the process exits.
      std::thread([this] { loop(); }).detach();
      ++workers_;
    }
  }

  void loop() {
    mark_compute_thread();
    unsigned long seen = 0;
    for (;;) {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return generation_ != seen && next_ < tasks_; });
      seen = generation_;
      while (next_ < tasks_) {
        const int t = next_++;
        const std::function<void(int)>* f = fn_;
        lk.unlock();
        (*f)(t);
        lk.lock();
        if (--pending_ == 0) done_cv_.notify_one();
      }
    }
  }

  std::mutex job_mu_, mu_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(int)>* fn_ = nullptr;
  int tasks_ = 0, next_ = 0, pending_ = 0;
  unsigned long generation_ = 0;
  unsigned workers_ = 0;
};

Pool& pool() {
  static Pool* p = new Pool();  // intentionally leaked: detached workers reference it
  return *p;
}

}  // namespace

int compute_slice_us() {
  static const int us = parse_compute_slice_us();
  return us;
}

int set_thread_slice_us(int us) {
#ifdef __linux__
  SchedAttr a;
  if (!get_attr(&a)) return -1;
  // Only the normal policies have a slice; a thread the user made real-time or SCHED_IDLE
  // (chrt) keeps what it was given.
  if (a.sched_policy != SCHED_OTHER && a.sched_policy != SCHED_BATCH) return -1;
  SchedAttr want = a;
  want.size = sizeof want;
  want.sched_flags = 0;
  want.sched_runtime = us <= 0 ? 0 : static_cast<uint64_t>(us) * 1000u;  // 0 = the kernel's default
  if (syscall(SYS_sched_setattr, 0, &want, 0) != 0) return -1;
  // Kernels before 6.12 (no custom slices) accept the call but report no slice for these
  // policies: say so rather than claim a slice that is not there.
  if (!get_attr(&a) || a.sched_runtime == 0) return -1;
  return static_cast<int>(a.sched_runtime / 1000u);
#else
  (void)us;
  return -1;
#endif
}

void mark_compute_thread() {
  thread_local bool marked = false;
  if (marked) return;
  marked = true;
  const int us = compute_slice_us();
  if (us > 0) set_thread_slice_us(us);
}

void parallel_run(int n, const std::function<void(int)>& f) {
  // The calling thread computes task 0: it is a compute thread too.
  mark_compute_thread();
  if (n <= 1) {
    f(0);
    return;
  }
  pool().run(n, f);
}

namespace {

napi_value number(napi_env env, double v) {
  napi_value out;
  napi::check(napi_create_double(env, v, &out), "create_double");
  return out;
}

}  // namespace

napi_value napi_set_thread_slice(napi_env env, napi_callback_info info) {
  return napi::guard(env, [&] {
    napi_value a[1];
    napi::args(env, info, a, "setThreadSlice");
    const int us = napi::integer(env, a[0], "setThreadSlice: microseconds");
    if (us < 0) throw napi::ArgError{"setThreadSlice: microseconds must be >= 0 (0 = the kernel's default)"};
    return number(env, set_thread_slice_us(us));
  });
}

napi_value napi_compute_slice(napi_env env, napi_callback_info /*info*/) {
  return napi::guard(env, [&] { return number(env, compute_slice_us()); });
}

}  // namespace rxnative
