// The rate-limited work queue on a FakeClock: deduplication, one worker per key at a time, re-adds
// during processing, delayed adds, per-key exponential back-off and its cap, the overall token
// bucket, forget, and shutdown.
#include "client/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

namespace bosun::client {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(WorkQueueTest, KeysAreDeduplicatedAndHandedOutInOrder) {
  FakeClock clock;
  WorkQueue q(clock);
  q.add("a");
  q.add("b");
  q.add("a");
  EXPECT_EQ(q.len(), 2u);
  EXPECT_EQ(q.get(), "a");
  EXPECT_EQ(q.get(), "b");
  q.done("a");
  q.done("b");
  EXPECT_EQ(q.len(), 0u);
}

TEST(WorkQueueTest, AKeyAddedWhileProcessingComesBackOnlyAfterDone) {
  FakeClock clock;
  WorkQueue q(clock);
  q.add("k");
  ASSERT_EQ(q.get(), "k");
  q.add("k");
  q.add("k");
  // Not handed to a second worker while the first holds it.
  EXPECT_EQ(q.len(), 0u);
  q.done("k");
  EXPECT_EQ(q.len(), 1u);
  EXPECT_EQ(q.get(), "k");
  q.done("k");
  EXPECT_EQ(q.len(), 0u);
}

TEST(WorkQueueTest, ConcurrentWorkersNeverShareAKey) {
  WorkQueue q;
  std::atomic<int> in_flight{0};
  std::atomic<bool> overlap{false};
  std::atomic<int> processed{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (auto key = q.get()) {
        if (in_flight.fetch_add(1) != 0) overlap = true;
        std::this_thread::yield();
        in_flight.fetch_sub(1);
        ++processed;
        q.done(*key);
      }
    });
  }
  for (int i = 0; i < 2000; ++i) q.add("same");
  while (q.len() > 0) std::this_thread::yield();
  q.shut_down();
  for (auto& t : workers) t.join();
  EXPECT_FALSE(overlap.load());
  EXPECT_GE(processed.load(), 1);
}

TEST(WorkQueueTest, AddAfterWaitsForTheClock) {
  FakeClock clock;
  WorkQueue q(clock);
  q.add_after("late", seconds(10));
  q.add_after("late", seconds(20));  // the earlier time stands
  q.add_after("now", milliseconds(0));
  EXPECT_EQ(q.waiting(), 1u);
  EXPECT_EQ(q.get(), "now");
  clock.advance(seconds(9));
  std::this_thread::sleep_for(milliseconds(20));
  EXPECT_EQ(q.len(), 0u);
  clock.advance(seconds(1));
  EXPECT_EQ(q.get(), "late");  // blocks until the waiting loop releases it
  EXPECT_EQ(q.waiting(), 0u);
}

TEST(WorkQueueTest, PerKeyExponentialBackOffCappedAndForgotten) {
  ExponentialFailureRateLimiter limiter(milliseconds(5), seconds(1000));
  EXPECT_EQ(limiter.when("k"), milliseconds(5));
  EXPECT_EQ(limiter.when("k"), milliseconds(10));
  EXPECT_EQ(limiter.when("k"), milliseconds(20));
  EXPECT_EQ(limiter.when("other"), milliseconds(5));
  EXPECT_EQ(limiter.num_requeues("k"), 3);
  for (int i = 0; i < 100; ++i) (void)limiter.when("k");
  EXPECT_EQ(limiter.when("k"), seconds(1000));
  limiter.forget("k");
  EXPECT_EQ(limiter.num_requeues("k"), 0);
  EXPECT_EQ(limiter.when("k"), milliseconds(5));
}

TEST(WorkQueueTest, DefaultLimiterAddsTheOverallBucket) {
  FakeClock clock;
  auto limiter = default_controller_rate_limiter(clock);
  // 100 distinct keys use up the burst at their own 5 ms back-off...
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(limiter->when("key" + std::to_string(i)), milliseconds(5));
  }
  // ...then the bucket's 10 qps dominates: 100 ms, 200 ms, ...
  EXPECT_EQ(limiter->when("x"), milliseconds(100));
  EXPECT_EQ(limiter->when("y"), milliseconds(200));
}

TEST(WorkQueueTest, RateLimitedAddsBackOffPerKey) {
  FakeClock clock;
  WorkQueue q(clock);
  q.add_rate_limited("k");  // 5 ms
  EXPECT_EQ(q.num_requeues("k"), 1);
  clock.advance(milliseconds(5));
  EXPECT_EQ(q.get(), "k");
  q.done("k");
  q.add_rate_limited("k");  // 10 ms
  clock.advance(milliseconds(9));
  std::this_thread::sleep_for(milliseconds(20));
  EXPECT_EQ(q.len(), 0u);
  clock.advance(milliseconds(1));
  EXPECT_EQ(q.get(), "k");
  q.forget("k");
  q.done("k");
  EXPECT_EQ(q.num_requeues("k"), 0);
}

TEST(WorkQueueTest, ShutdownWakesWorkersAndRefusesNewKeys) {
  FakeClock clock;
  WorkQueue q(clock);
  auto worker = std::async(std::launch::async, [&] { return q.get(); });
  std::this_thread::sleep_for(milliseconds(20));
  q.shut_down();
  EXPECT_EQ(worker.get(), std::nullopt);
  q.add("late");
  EXPECT_EQ(q.len(), 0u);
  EXPECT_TRUE(q.shutting_down());
}

TEST(WorkQueueTest, QueuedKeysAreDrainedAfterShutdown) {
  FakeClock clock;
  WorkQueue q(clock);
  q.add("a");
  q.shut_down();
  EXPECT_EQ(q.get(), "a");
  EXPECT_EQ(q.get(), std::nullopt);
}

}  // namespace
}  // namespace bosun::client
