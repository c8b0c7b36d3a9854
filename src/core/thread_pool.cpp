#include "core/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "core/check.h"

#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
#define WASMCNN_NO_THREADS 1
#endif

namespace wasmcnn {

namespace {

// One parallel_for at a time: the job every pool thread works on while `generation` is its own.
class Pool {
 public:
  ~Pool() { resize(1); }

  int size() {
    std::lock_guard<std::mutex> lock(state_);
    return int(threads_.size()) + 1;
  }
  int started() const { return started_.load(); }

  void resize(int n) {
    std::lock_guard<std::mutex> run(run_);  // never while a job runs
    std::vector<std::thread> ending;
    {
      std::lock_guard<std::mutex> lock(state_);
      if (n - 1 < int(threads_.size())) {
        stop_ = true;
        wake_.notify_all();
        ending.swap(threads_);
      }
    }
    for (std::thread& t : ending) t.join();
    std::lock_guard<std::mutex> lock(state_);
    if (!ending.empty()) {
      stop_ = false;
      started_ = 0;
    }
    while (int(threads_.size()) < n - 1) {
      // A new thread waits for the next job: the last one (its generation) is not its business.
      const int worker = int(threads_.size()) + 1;
      const uint64_t current = generation_.load();
      threads_.emplace_back([this, worker, current] { loop(worker, current); });
    }
#ifndef __EMSCRIPTEN__
    // Natively a thread starts at once: wait, so that the next parallel_for uses it. (In a browser
    // it starts when its Web Worker has loaded, which needs the event loop: JavaScript waits.)
    while (started_.load() < n - 1) std::this_thread::yield();
#endif
  }

  void run(size_t tasks, const std::function<void(size_t, int)>& fn, int max_workers) {
    std::unique_lock<std::mutex> run(run_, std::try_to_lock);
    const int helpers = run.owns_lock() ? std::min({started(), int(tasks) - 1, max_workers - 1}) : 0;
    if (helpers <= 0) {  // busy, no pool, or one task: all on this thread
      for (size_t i = 0; i < tasks; ++i) fn(i, 0);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(state_);
      fn_ = &fn;
      tasks_ = tasks;
      next_ = 0;
      error_ = nullptr;
      failed_ = false;
      helpers_ = helpers;
      busy_ = helpers;
      ++generation_;
    }
    wake_.notify_all();
    work(0);
    if (!spin_until([this] { return busy_.load() == 0; })) {
      std::unique_lock<std::mutex> lock(state_);
      done_.wait(lock, [this] { return busy_.load() == 0; });
    }
    std::lock_guard<std::mutex> lock(state_);
    fn_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  // Waits for `done` by spinning, for at most kSpin: in a training loop the next job (or the last
  // helper) comes within microseconds, far sooner than a sleeping thread wakes up.
  template <class F>
  static bool spin_until(F done) {
    constexpr auto kSpin = std::chrono::microseconds(500);
    const auto until = std::chrono::steady_clock::now() + kSpin;
    for (unsigned i = 1;; ++i) {
      if (done()) return true;
      if (i % 64 == 0 && std::chrono::steady_clock::now() > until) return false;
    }
  }

  void loop(int worker, uint64_t seen) {
    ++started_;
    for (;;) {
      spin_until([&] { return stop_.load() || generation_.load() != seen; });
      std::unique_lock<std::mutex> lock(state_);
      wake_.wait(lock, [&] { return stop_.load() || generation_.load() != seen; });
      if (stop_) return;
      seen = generation_;
      const int helpers = helpers_;
      lock.unlock();
      if (worker > helpers) continue;  // this job wants fewer threads
      work(worker);
      if (busy_.fetch_sub(1) == 1) {
        std::lock_guard<std::mutex> done(state_);
        done_.notify_all();
      }
    }
  }

  void work(int worker) {
    for (;;) {
      const size_t i = next_.fetch_add(1);
      if (i >= tasks_ || failed_.load()) return;
      try {
        (*fn_)(i, worker);
      } catch (...) {
        std::lock_guard<std::mutex> lock(state_);
        if (!error_) error_ = std::current_exception();
        failed_ = true;
      }
    }
  }

  std::mutex run_;    // held by the running parallel_for (and by resize)
  std::mutex state_;  // guards everything below that is not atomic
  std::condition_variable wake_, done_;
  std::vector<std::thread> threads_;
  std::atomic<int> started_{0};
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> generation_{0};
  const std::function<void(size_t, int)>* fn_ = nullptr;
  size_t tasks_ = 0;
  std::atomic<size_t> next_{0};
  std::atomic<bool> failed_{false};
  std::exception_ptr error_;
  int helpers_ = 0;
  std::atomic<int> busy_{0};
};

Pool& pool() {
  static Pool p;
  return p;
}

}  // namespace

bool threads_build() {
#ifdef WASMCNN_NO_THREADS
  return false;
#else
  return true;
#endif
}

void set_threads(int n) {
  check(n >= 1 && n <= kMaxThreads, "setThreads: the thread count must be an integer from 1 to ", kMaxThreads, ", got ", n);
#ifdef WASMCNN_NO_THREADS
  check(n == 1, "setThreads(", n, "): this build of wasmcnn is single-threaded (the page is not cross-origin isolated, "
        "so it has no SharedArrayBuffer); use the workers strategy, or serve the page with COOP/COEP headers");
#else
  pool().resize(n);
#endif
}

int threads() { return pool().size(); }

int threads_started() { return pool().started(); }

void parallel_for(size_t tasks, const std::function<void(size_t, int)>& fn, int max_workers) {
  pool().run(tasks, fn, max_workers);
}

}  // namespace wasmcnn
