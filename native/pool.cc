#include "pool.h"

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace rxnative {

namespace {

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

void parallel_run(int n, const std::function<void(int)>& f) {
  if (n <= 1) {
    f(0);
    return;
  }
  pool().run(n, f);
}

}  // namespace rxnative
