// Up to N threads running posted tasks in FIFO order: where the API server and the node agent's
// kubelet port run handlers that may block (store and runtime calls), so that the io threads never
// do. Threads start when a task finds none idle, not all at construction: an idle agent or API
// server keeps none of its handler threads (each a stack and an allocator cache). Thread-safe.
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
  // At most `threads` (at least 1) run at once; name shows in `top -H` and debuggers (at most 15
  // characters are kept).
  WorkerPool(size_t threads, std::string name);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Returns false, dropping the task, once stop() has begun.
  bool post(std::function<void()> task);
  // Runs every task already queued, then joins the threads. Idempotent.
  void stop();
  size_t queued() const;
  // Threads started so far (they stay until stop()).
  size_t size() const;
  // Threads waiting for a task.
  size_t idle() const;

 private:
  void run();

  const size_t max_threads_;
  const std::string name_;
  mutable std::mutex mu_;  // guards queue_, stopping_, idle_ and threads_
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  size_t idle_ = 0;  // threads waiting for a task
  std::vector<std::thread> threads_;
};

}  // namespace bosun::apiserver
