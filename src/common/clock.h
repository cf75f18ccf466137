// Clock: the one source of time for every component that reads the time or waits. Tests inject a
// FakeClock so back-off, leases and timeouts run instantly and deterministically (Mesos'
// Clock::advance, client-go's fake clock). RealClock is stateless and thread-safe; FakeClock is
// thread-safe (one mutex).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace bosun {

class Clock {
 public:
  using WallTime = std::chrono::system_clock::time_point;
  using MonoTime = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::nanoseconds;

  virtual ~Clock() = default;
  // Wall-clock time, for timestamps written into objects.
  virtual WallTime now() const = 0;
  // Monotonic time, for measuring intervals and deadlines.
  virtual MonoTime monotonic() const = 0;
  // Blocks the calling thread until monotonic() >= deadline.
  virtual void sleep_until(MonoTime deadline) = 0;
  void sleep_for(Duration d) { sleep_until(monotonic() + d); }

  // The process-wide real clock.
  static Clock& real();
};

class RealClock final : public Clock {
 public:
  WallTime now() const override { return std::chrono::system_clock::now(); }
  MonoTime monotonic() const override { return std::chrono::steady_clock::now(); }
  void sleep_until(MonoTime deadline) override;
};

// A clock that moves only when told to. Sleepers wake when advance() passes their deadline.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(WallTime start = WallTime(std::chrono::seconds(1700000000)));
  WallTime now() const override;
  MonoTime monotonic() const override;
  void sleep_until(MonoTime deadline) override;
  void advance(Duration d);
  // Number of threads currently blocked in sleep_until (for tests that wait for a sleeper to
  // arrive).
  int sleepers() const;

 private:
  mutable std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  WallTime wall_;
  MonoTime mono_;
  int sleepers_ = 0;
};

}  // namespace bosun
