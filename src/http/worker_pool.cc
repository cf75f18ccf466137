#include "http/worker_pool.h"

#include <pthread.h>

#include <algorithm>
#include <system_error>

#include "common/check.h"

namespace bosun::apiserver {

namespace {

std::string thread_name(std::string name) {
  name.resize(std::min<size_t>(name.size(), 15));  // the kernel's limit for thread names
  return name;
}

}  // namespace

WorkerPool::WorkerPool(size_t threads, std::string name)
    : max_threads_(std::max<size_t>(threads, 1)), name_(thread_name(std::move(name))) {}

WorkerPool::~WorkerPool() { stop(); }

bool WorkerPool::post(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    queue_.push_back(std::move(task));
    // Every queued task beyond the idle threads wants one more thread, up to the limit.
    if (queue_.size() > idle_ && threads_.size() < max_threads_) {
      try {
        threads_.emplace_back([this] { run(); });
        pthread_setname_np(threads_.back().native_handle(), name_.c_str());
      } catch (const std::system_error& e) {
        // Out of threads: the ones running take the task later; with none, nothing ever would.
        BOSUN_CHECK(!threads_.empty(), e.what());
      }
    }
  }
  cv_.notify_one();
  return true;
}

void WorkerPool::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

size_t WorkerPool::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

size_t WorkerPool::size() const {
  std::lock_guard lock(mu_);
  return threads_.size();
}

size_t WorkerPool::idle() const {
  std::lock_guard lock(mu_);
  return idle_;
}

void WorkerPool::run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      ++idle_;
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      --idle_;
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace bosun::apiserver
