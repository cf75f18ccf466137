#include "client/work_queue.h"

#include <algorithm>

#include "common/thread_util.h"

namespace bosun::client {
namespace {

constexpr std::chrono::seconds kIdleAfter{2};

}  // namespace

ExponentialFailureRateLimiter::ExponentialFailureRateLimiter(Clock::Duration base,
                                                             Clock::Duration max_delay)
    : base_(base), max_(max_delay) {}

Clock::Duration ExponentialFailureRateLimiter::when(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  int exp = failures_[key]++;
  // Past 2^62 the multiplication would overflow; the cap has long been reached.
  if (exp >= 62) return max_;
  double delay = static_cast<double>(base_.count()) * static_cast<double>(1ULL << exp);
  if (delay >= static_cast<double>(max_.count())) return max_;
  return Clock::Duration(static_cast<Clock::Duration::rep>(delay));
}

void ExponentialFailureRateLimiter::forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  failures_.erase(key);
}

int ExponentialFailureRateLimiter::num_requeues(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

BucketRateLimiter::BucketRateLimiter(double qps, int burst, Clock& clock)
    : bucket_(qps, burst, clock) {}

Clock::Duration BucketRateLimiter::when(const std::string&) { return bucket_.reserve(); }

MaxOfRateLimiter::MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters)
    : limiters_(std::move(limiters)) {}

Clock::Duration MaxOfRateLimiter::when(const std::string& key) {
  Clock::Duration longest = Clock::Duration::zero();
  for (auto& l : limiters_) longest = std::max(longest, l->when(key));
  return longest;
}

void MaxOfRateLimiter::forget(const std::string& key) {
  for (auto& l : limiters_) l->forget(key);
}

int MaxOfRateLimiter::num_requeues(const std::string& key) {
  int most = 0;
  for (auto& l : limiters_) most = std::max(most, l->num_requeues(key));
  return most;
}

std::unique_ptr<RateLimiter> default_controller_rate_limiter(Clock& clock) {
  std::vector<std::unique_ptr<RateLimiter>> limiters;
  limiters.push_back(std::make_unique<ExponentialFailureRateLimiter>(std::chrono::milliseconds(5),
                                                                     std::chrono::seconds(1000)));
  limiters.push_back(std::make_unique<BucketRateLimiter>(10, 100, clock));
  return std::make_unique<MaxOfRateLimiter>(std::move(limiters));
}

WorkQueue::WorkQueue(Clock& clock, std::unique_ptr<RateLimiter> limiter)
    : clock_(clock),
      real_clock_(dynamic_cast<RealClock*>(&clock) != nullptr),
      limiter_(limiter ? std::move(limiter) : default_controller_rate_limiter(clock)) {}

WorkQueue::~WorkQueue() {
  shut_down();
  if (waiting_thread_.joinable()) waiting_thread_.join();
}

void WorkQueue::add_locked(const std::string& key) {
  if (shutting_down_ || dirty_.count(key)) return;
  dirty_.insert(key);
  // A key being processed is queued again by done(), so no two workers hold it at once.
  if (processing_.count(key)) return;
  queue_.push_back(key);
  cv_.notify_one();
}

void WorkQueue::add(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  add_locked(key);
}

void WorkQueue::add_after(const std::string& key, Clock::Duration delay) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shutting_down_) return;
  if (delay <= Clock::Duration::zero()) {
    add_locked(key);
    return;
  }
  auto ready = clock_.monotonic() + delay;
  auto it = waiting_by_key_.find(key);
  if (it != waiting_by_key_.end()) {
    if (it->second->first <= ready) return;
    waiting_.erase(it->second);
    waiting_by_key_.erase(it);
  }
  waiting_by_key_[key] = waiting_.emplace(ready, key);
  // The thread that releases delayed keys starts with the first one: most queues of an idle
  // process never delay a key (no failures, no periodic resync).
  if (!waiting_thread_.joinable()) waiting_thread_ = std::thread([this] { run_waiting_loop(); });
  wait_cv_.notify_one();
}

void WorkQueue::add_rate_limited(const std::string& key) { add_after(key, limiter_->when(key)); }

void WorkQueue::forget(const std::string& key) { limiter_->forget(key); }

int WorkQueue::num_requeues(const std::string& key) { return limiter_->num_requeues(key); }

std::optional<std::string> WorkQueue::get() {
  std::unique_lock<std::mutex> lock(mu_);
  auto ready = [this] { return !queue_.empty() || shutting_down_; };
  if (!cv_.wait_for(lock, kIdleAfter, ready)) {
    // A worker without work for a while is likely to stay so (an idle cluster): its allocator
    // cache goes back to be reused or returned to the kernel.
    lock.unlock();
    release_idle_memory();
    lock.lock();
    cv_.wait(lock, ready);
  }
  if (queue_.empty()) return std::nullopt;
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  processing_.insert(key);
  dirty_.erase(key);
  return key;
}

void WorkQueue::done(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  processing_.erase(key);
  if (dirty_.count(key)) {
    queue_.push_back(key);
    cv_.notify_one();
  }
}

void WorkQueue::shut_down() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutting_down_ = true;
  }
  cv_.notify_all();
  wait_cv_.notify_all();
}

bool WorkQueue::shutting_down() const {
  std::lock_guard<std::mutex> lock(mu_);
  return shutting_down_;
}

size_t WorkQueue::len() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

size_t WorkQueue::waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return waiting_.size();
}

void WorkQueue::run_waiting_loop() {
  set_thread_name("workqueue-delay");
  std::unique_lock<std::mutex> lock(mu_);
  while (!shutting_down_) {
    auto now = clock_.monotonic();
    while (!waiting_.empty() && waiting_.begin()->first <= now) {
      std::string key = waiting_.begin()->second;
      waiting_by_key_.erase(key);
      waiting_.erase(waiting_.begin());
      add_locked(key);
    }
    if (waiting_.empty()) {
      wait_cv_.wait(lock);
    } else if (real_clock_) {
      // A copy: re-adding a waiting key with an earlier time frees the entry while we wait.
      const Clock::MonoTime next = waiting_.begin()->first;
      wait_cv_.wait_until(lock, next);
    } else {
      // An injected clock moves without notifying anyone: look again shortly (real time).
      wait_cv_.wait_for(lock, std::chrono::milliseconds(1));
    }
  }
}

}  // namespace bosun::client
