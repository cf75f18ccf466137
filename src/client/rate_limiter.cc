#include "client/rate_limiter.h"

#include <algorithm>

namespace bosun::client {

TokenBucket::TokenBucket(double qps, int burst, Clock& clock)
    : clock_(clock),
      qps_(qps),
      burst_(std::max(1, burst)),
      tokens_(std::max(1, burst)),
      last_(clock.monotonic()) {}

Clock::Duration TokenBucket::reserve() {
  if (qps_ <= 0) return Clock::Duration::zero();
  std::lock_guard<std::mutex> lock(mu_);
  auto now = clock_.monotonic();
  if (now > last_) {
    double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
    last_ = now;
  }
  // Tokens may go negative: a debt later callers wait out, which keeps reservations in order.
  tokens_ -= 1;
  if (tokens_ >= 0) return Clock::Duration::zero();
  return std::chrono::duration_cast<Clock::Duration>(
      std::chrono::duration<double>(-tokens_ / qps_));
}

void TokenBucket::wait() {
  auto delay = reserve();
  if (delay > Clock::Duration::zero()) clock_.sleep_for(delay);
}

}  // namespace bosun::client
