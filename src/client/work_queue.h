// WorkQueue: client-go's rate-limited work queue (workqueue.TypedRateLimitingInterface). Keys are
// deduplicated while waiting; a key handed out by get() is never handed to a second worker before
// done(), and a key added meanwhile is handed out again after done(). add_after() delays a key;
// add_rate_limited() delays it by the rate limiter (per-key exponential back-off 5 ms -> 1000 s,
// and an overall 10 qps / 100 burst token bucket, as DefaultControllerRateLimiter). Time comes from
// an injected Clock. Thread-safe: any number of producers and workers; one internal thread, started
// by the first delayed key, releases delayed keys.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/rate_limiter.h"
#include "common/clock.h"

namespace bosun::client {

// How long a key should wait before its next try (client-go's workqueue.RateLimiter).
class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  virtual Clock::Duration when(const std::string& key) = 0;
  // The key succeeded: its failures are forgotten.
  virtual void forget(const std::string& key) = 0;
  virtual int num_requeues(const std::string& key) = 0;
};

// base * 2^failures, capped at max_delay (ItemExponentialFailureRateLimiter). Thread-safe.
class ExponentialFailureRateLimiter final : public RateLimiter {
 public:
  ExponentialFailureRateLimiter(Clock::Duration base, Clock::Duration max_delay);
  Clock::Duration when(const std::string& key) override;
  void forget(const std::string& key) override;
  int num_requeues(const std::string& key) override;

 private:
  const Clock::Duration base_;
  const Clock::Duration max_;
  std::mutex mu_;  // guards failures_
  std::map<std::string, int> failures_;
};

// An overall token bucket shared by all keys (BucketRateLimiter). Thread-safe.
class BucketRateLimiter final : public RateLimiter {
 public:
  BucketRateLimiter(double qps, int burst, Clock& clock);
  Clock::Duration when(const std::string& key) override;
  void forget(const std::string&) override {}
  int num_requeues(const std::string&) override { return 0; }

 private:
  TokenBucket bucket_;
};

// The longest of several limiters' delays (MaxOfRateLimiter).
class MaxOfRateLimiter final : public RateLimiter {
 public:
  explicit MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters);
  Clock::Duration when(const std::string& key) override;
  void forget(const std::string& key) override;
  int num_requeues(const std::string& key) override;

 private:
  std::vector<std::unique_ptr<RateLimiter>> limiters_;
};

// client-go's DefaultControllerRateLimiter: per-key 5 ms -> 1000 s, overall 10 qps / 100 burst.
std::unique_ptr<RateLimiter> default_controller_rate_limiter(Clock& clock);

class WorkQueue {
 public:
  // limiter: default_controller_rate_limiter(clock) when null.
  explicit WorkQueue(Clock& clock = Clock::real(), std::unique_ptr<RateLimiter> limiter = nullptr);
  ~WorkQueue();  // shut_down()s

  void add(const std::string& key);
  // Adds the key once `delay` has passed on the clock; a key already waiting keeps the earlier
  // time. Non-positive delays add at once.
  void add_after(const std::string& key, Clock::Duration delay);
  void add_rate_limited(const std::string& key);
  void forget(const std::string& key);
  int num_requeues(const std::string& key);

  // Blocks until a key is ready; nullopt once the queue is shut down and drained.
  std::optional<std::string> get();
  // The worker finished `key` (whatever the outcome).
  void done(const std::string& key);

  // Wakes every get(); keys still queued are handed out, new ones are refused.
  void shut_down();
  bool shutting_down() const;
  // Keys ready to be handed out (not those waiting or being processed).
  size_t len() const;
  // Keys waiting for their add_after() time.
  size_t waiting() const;

 private:
  void add_locked(const std::string& key);
  void run_waiting_loop();

  Clock& clock_;
  const bool real_clock_;
  std::unique_ptr<RateLimiter> limiter_;

  mutable std::mutex mu_;            // guards everything below
  std::condition_variable cv_;       // get()ters
  std::condition_variable wait_cv_;  // the waiting loop
  std::deque<std::string> queue_;
  std::set<std::string> dirty_;       // queued or to be re-queued after done()
  std::set<std::string> processing_;  // handed out, done() not yet called
  std::multimap<Clock::MonoTime, std::string> waiting_;
  std::map<std::string, std::multimap<Clock::MonoTime, std::string>::iterator> waiting_by_key_;
  bool shutting_down_ = false;
  std::thread waiting_thread_;  // started under mu_ by the first add_after() that waits
};

}  // namespace bosun::client
