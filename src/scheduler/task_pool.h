// TaskPool: a fixed set of threads running posted tasks in the order posted, for the Scheduler's
// API writes (bindings, pod status, events), so the scheduling thread never waits for an HTTP
// round trip. Thread-safe: post() from any thread; stop() once.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace bosun::scheduler {

// With a limit, tasks beyond it are dropped (post() returns false), as client-go's event
// broadcaster drops events when its buffer is full.
class TaskPool {
 public:
  TaskPool(int threads, size_t limit) : limit_(limit) {
    for (int i = 0; i < std::max(threads, 1); ++i) threads_.emplace_back([this] { run(); });
  }
  ~TaskPool() { stop(); }

  bool post(std::function<void()> task) {
    {
      std::lock_guard lock(mu_);
      if (stopping_ || (limit_ != 0 && tasks_.size() >= limit_)) return false;
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
    return true;
  }
  // Tasks not yet started are dropped; running ones finish.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      tasks_.clear();
    }
    cv_.notify_all();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void run() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
        if (stopping_) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  const size_t limit_;
  std::mutex mu_;  // guards tasks_ and stopping_
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace bosun::scheduler
