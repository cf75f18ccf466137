// HandlerPool: the threads that run informers' event handlers, shared by every informer of a
// process (client-go runs each handler on goroutines, which cost nothing idle; a dispatch thread
// per informer cost its stack and allocator cache: 26 idle ones in `bosun server`). Threads start
// when work is posted and none is idle, up to a limit, and end after a while without work, so an
// idle process keeps none. Each informer posts one drain at a time, which keeps its handlers in
// order and never concurrent. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

namespace bosun::client {

class HandlerPool {
 public:
  // The process's pool, used by every Informer; never destroyed.
  static HandlerPool& shared();

  HandlerPool(size_t max_threads, std::chrono::milliseconds idle_exit,
              std::string thread_name = "informer-events");
  // Waits for the queued tasks to run and the threads to end.
  ~HandlerPool();

  HandlerPool(const HandlerPool&) = delete;
  HandlerPool& operator=(const HandlerPool&) = delete;

  // Runs `task` on a pool thread, in posting order relative to other queued tasks.
  void post(std::function<void()> task);

  size_t threads() const;       // live threads (tests)
  size_t idle_threads() const;  // threads waiting for work (tests)

 private:
  void run();

  const size_t max_threads_;
  const std::chrono::milliseconds idle_exit_;
  const std::string thread_name_;

  mutable std::mutex mu_;            // guards everything below
  std::condition_variable cv_;       // idle threads wait for tasks
  std::condition_variable exit_cv_;  // the destructor waits for the threads
  std::deque<std::function<void()>> tasks_;
  size_t threads_ = 0;
  size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace bosun::client
