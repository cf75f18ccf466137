#include "client/handler_pool.h"

#include <thread>

#include "common/thread_util.h"

namespace bosun::client {

HandlerPool& HandlerPool::shared() {
  // Four threads keep handlers of different informers from waiting on one slow handler; handlers
  // only update caches and queue keys. Ten seconds without work ends a thread: an idle process
  // gets its stack back, a busy one keeps its threads.
  static HandlerPool* pool = new HandlerPool(4, std::chrono::seconds(10));
  return *pool;
}

HandlerPool::HandlerPool(size_t max_threads, std::chrono::milliseconds idle_exit,
                         std::string thread_name)
    : max_threads_(max_threads < 1 ? 1 : max_threads),
      idle_exit_(idle_exit),
      thread_name_(std::move(thread_name)) {}

HandlerPool::~HandlerPool() {
  std::unique_lock lock(mu_);
  stopping_ = true;
  cv_.notify_all();
  exit_cv_.wait(lock, [this] { return threads_ == 0; });
}

void HandlerPool::post(std::function<void()> task) {
  std::lock_guard lock(mu_);
  tasks_.push_back(std::move(task));
  if (idle_ > 0) {
    cv_.notify_one();
    return;
  }
  if (threads_ >= max_threads_) return;  // a busy thread takes it next
  ++threads_;
  // Detached: a thread ends on its own once idle; the destructor waits on the count instead.
  std::thread([this] { run(); }).detach();
}

size_t HandlerPool::threads() const {
  std::lock_guard lock(mu_);
  return threads_;
}

size_t HandlerPool::idle_threads() const {
  std::lock_guard lock(mu_);
  return idle_;
}

void HandlerPool::run() {
  set_thread_name(thread_name_);
  std::unique_lock lock(mu_);
  for (;;) {
    if (tasks_.empty()) {
      if (stopping_) break;
      ++idle_;
      const bool woke =
          cv_.wait_for(lock, idle_exit_, [this] { return stopping_ || !tasks_.empty(); });
      --idle_;
      if (!woke) break;
      continue;
    }
    auto task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    task = nullptr;  // whatever it captured goes before the lock is taken again
    lock.lock();
  }
  --threads_;
  exit_cv_.notify_all();
}

}  // namespace bosun::client
