// A token bucket (client-go's flowcontrol.NewTokenBucketRateLimiter and the work queue's
// BucketRateLimiter, both golang.org/x/time/rate underneath): `qps` tokens a second, at most
// `burst` saved up. Used by RestClient to pace requests and by WorkQueue's default rate limiter.
// Thread-safe (one mutex); waiting happens outside it.
#pragma once

#include <mutex>

#include "common/clock.h"

namespace bosun::client {

class TokenBucket {
 public:
  // qps <= 0 disables limiting: every call is admitted at once.
  TokenBucket(double qps, int burst, Clock& clock = Clock::real());

  // Takes a token, returning how long the caller must wait before acting on it (zero when one was
  // available), as rate.Limiter's Reserve().Delay(). Tokens are reserved in call order, so callers
  // that each wait their delay proceed at the configured rate.
  Clock::Duration reserve();
  // reserve() and sleep on the clock until the token is due.
  void wait();

  double qps() const { return qps_; }

 private:
  Clock& clock_;
  const double qps_;
  const double burst_;
  std::mutex mu_;  // guards tokens_ and last_
  double tokens_;
  Clock::MonoTime last_;
};

}  // namespace bosun::client
