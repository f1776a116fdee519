#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace flx {
namespace {

class Pool {
 public:
  explicit Pool(int n) { resize(n); }

  int size() const { return size_.load(std::memory_order_relaxed); }
  int64_t split_jobs() const { return split_jobs_.load(std::memory_order_relaxed); }

  void resize(int n) {
    n = std::max(1, std::min(n, 64));
    // Workers are only ever added: a smaller size just leaves some idle.
    std::lock_guard<std::mutex> lock(m_);
    while (int(workers_.size()) < n - 1) {
      // a new worker waits for the next job, not one already handed out
      workers_.emplace_back([this, id = int(workers_.size()) + 1, gen = generation_] { loop(id, gen); });
      workers_.back().detach();  // the pool lives until the process ends
    }
    size_.store(n, std::memory_order_relaxed);
  }

  // Several threads may call in at once (worker threads of JavaScript): one job runs at a
  // time, the others wait for it, and every job is split by the pool size it sees.
  void run(int64_t ntasks, const std::function<void(int64_t)>& fn) {
    if (ntasks <= 0) return;
    const int size = size_.load(std::memory_order_relaxed);
    if (size <= 1 || ntasks == 1) {
      for (int64_t t = 0; t < ntasks; ++t) fn(t);
      return;
    }
    std::lock_guard<std::mutex> one_job_at_a_time(run_m_);
    split_jobs_.fetch_add(1, std::memory_order_relaxed);
    int helpers = int(std::min<int64_t>(size - 1, ntasks - 1));
    {
      std::lock_guard<std::mutex> lock(m_);
      job_ = &fn;
      ntasks_ = ntasks;
      next_.store(0);
      active_.store(helpers);
      wanted_ = helpers;
      ++generation_;
    }
    cv_.notify_all();
    work();
    // Wait for the helpers; they finish within one task of the last one taken.
    while (active_.load(std::memory_order_acquire) > 0) std::this_thread::yield();
  }

 private:
  void work() {
    for (;;) {
      int64_t t = next_.fetch_add(1);
      if (t >= ntasks_) break;
      (*job_)(t);
    }
  }

  void loop(int id, uint64_t seen) {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (id > wanted_) continue;  // not needed for this job
      }
      work();
      active_.fetch_sub(1, std::memory_order_release);
    }
  }

  std::vector<std::thread> workers_;
  std::mutex m_, run_m_;
  std::condition_variable cv_;
  const std::function<void(int64_t)>* job_ = nullptr;
  int64_t ntasks_ = 0;
  std::atomic<int64_t> next_{0};
  std::atomic<int> active_{0};
  std::atomic<int64_t> split_jobs_{0};
  int wanted_ = 0;
  uint64_t generation_ = 0;
  std::atomic<int> size_{1};
};

int default_threads() {
  if (const char* env = std::getenv("FLUXION_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : int(std::min(hc, 16u));
}

Pool& pool() {
  static Pool* p = new Pool(default_threads());  // never destroyed: workers are detached
  return *p;
}

}  // namespace

int num_threads() { return pool().size(); }
int64_t split_jobs() { return pool().split_jobs(); }
void set_num_threads(int n) { pool().resize(n); }

void parallel_tasks(int64_t ntasks, const std::function<void(int64_t)>& fn) { pool().run(ntasks, fn); }

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  int64_t chunks = std::min<int64_t>(num_threads(), std::max<int64_t>(1, n / std::max<int64_t>(grain, 1)));
  if (chunks <= 1) { fn(0, n); return; }
  parallel_tasks(chunks, [&](int64_t c) { fn(n * c / chunks, n * (c + 1) / chunks); });
}

}  // namespace flx
