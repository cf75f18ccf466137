// A fixed set of threads running posted tasks in FIFO order: where the API server runs handlers
// that may block (store and runtime calls), so that the io threads never do. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace bosun::apiserver {

class WorkerPool {
 public:
  // name shows in `top -H` and debuggers (at most 15 characters are kept).
  WorkerPool(size_t threads, std::string name);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Returns false, dropping the task, once stop() has begun.
  bool post(std::function<void()> task);
  // Runs every task already queued, then joins the threads. Idempotent.
  void stop();
  size_t queued() const;
  size_t size() const { return threads_.size(); }

 private:
  void run();

  mutable std::mutex mu_;  // guards queue_ and stopping_
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace bosun::apiserver
