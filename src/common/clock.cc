#include "common/clock.h"

#include <thread>

namespace bosun {

Clock& Clock::real() {
  static RealClock clock;
  return clock;
}

void RealClock::sleep_until(MonoTime deadline) { std::this_thread::sleep_until(deadline); }

FakeClock::FakeClock(WallTime start) : wall_(start), mono_(MonoTime(std::chrono::hours(1))) {}

Clock::WallTime FakeClock::now() const {
  std::lock_guard lock(mu_);
  return wall_;
}

Clock::MonoTime FakeClock::monotonic() const {
  std::lock_guard lock(mu_);
  return mono_;
}

void FakeClock::sleep_until(MonoTime deadline) {
  std::unique_lock lock(mu_);
  ++sleepers_;
  cv_.wait(lock, [&] { return mono_ >= deadline; });
  --sleepers_;
}

void FakeClock::advance(Duration d) {
  {
    std::lock_guard lock(mu_);
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
    mono_ += d;
  }
  cv_.notify_all();
}

int FakeClock::sleepers() const {
  std::lock_guard lock(mu_);
  return sleepers_;
}

}  // namespace bosun
