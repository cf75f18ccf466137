// TaskPool: up to a fixed number of threads running posted tasks in the order posted, for the
// Scheduler's API writes (bindings, pod status, events), so the scheduling thread never waits for
// an HTTP round trip. A thread starts when a task is posted and none is idle, so an idle scheduler
// holds no threads here (it held its --parallelism of 16 and more: each costs its stack, TLS and
// allocator cache). Thread-safe: post() from any thread; stop() once.
#pragma once

#include <algorithm>
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
  TaskPool(int threads, size_t limit)
      : max_threads_(static_cast<size_t>(std::max(threads, 1))), limit_(limit) {}
  ~TaskPool() { stop(); }

  bool post(std::function<void()> task) {
    {
      std::lock_guard lock(mu_);
      if (stopping_ || (limit_ != 0 && tasks_.size() >= limit_)) return false;
      tasks_.push_back(std::move(task));
      // Every idle thread will take one task; a thread more when the queue outnumbers them.
      if (tasks_.size() > idle_ && threads_.size() < max_threads_) {
        threads_.emplace_back([this] { run(); });
      }
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
    // No thread starts once stopping_ is set, so threads_ no longer changes.
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
        ++idle_;
        cv_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
        --idle_;
        if (stopping_) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  const size_t max_threads_;
  const size_t limit_;
  std::mutex mu_;  // guards tasks_, stopping_, idle_ and threads_
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  size_t idle_ = 0;  // threads waiting for a task
  std::vector<std::thread> threads_;
};

}  // namespace bosun::scheduler
