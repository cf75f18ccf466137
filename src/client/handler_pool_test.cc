// HandlerPool: tasks run in posting order on one thread, threads start only when work waits and
// none is idle (up to the limit), end once idle, and the destructor waits for queued work.
#include "client/handler_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace bosun::client {
namespace {

// Waits (up to 20 s of real time) until `done` holds; the result says whether it did.
template <typename F>
bool eventually(F done) {
  for (int i = 0; i < 2000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

TEST(HandlerPoolTest, NoThreadBeforeWorkAndTasksInOrderOnOneThread) {
  HandlerPool pool(4, std::chrono::seconds(60));
  EXPECT_EQ(pool.threads(), 0u);
  std::mutex mu;
  std::vector<int> order;
  // One thread takes every task when each is posted after the previous ran (it is idle then).
  for (int i = 0; i < 20; ++i) {
    std::atomic<bool> ran{false};
    pool.post([&, i] {
      std::lock_guard lock(mu);
      order.push_back(i);
      ran = true;
    });
    ASSERT_TRUE(eventually([&] { return ran.load() && pool.idle_threads() == 1u; }));
    // The idle thread is reused rather than a new one started.
    EXPECT_EQ(pool.threads(), 1u);
  }
  std::lock_guard lock(mu);
  ASSERT_EQ(order.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(order[i], i);
}

TEST(HandlerPoolTest, GrowsToTheLimitWhileTasksBlockAndNoFurther) {
  HandlerPool pool(3, std::chrono::seconds(60));
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> running{0};
  std::atomic<int> finished{0};
  for (int i = 0; i < 6; ++i) {
    pool.post([&] {
      ++running;
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return release; });
      ++finished;
    });
  }
  ASSERT_TRUE(eventually([&] { return running.load() == 3; }));
  EXPECT_EQ(pool.threads(), 3u);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  ASSERT_TRUE(eventually([&] { return finished.load() == 6; }));
  EXPECT_EQ(pool.threads(), 3u);
}

TEST(HandlerPoolTest, IdleThreadsEnd) {
  HandlerPool pool(2, std::chrono::milliseconds(20));
  std::atomic<bool> ran{false};
  pool.post([&] { ran = true; });
  ASSERT_TRUE(eventually([&] { return ran.load(); }));
  EXPECT_TRUE(eventually([&] { return pool.threads() == 0u; }));
  // Work after that starts a thread again.
  std::atomic<bool> again{false};
  pool.post([&] { again = true; });
  EXPECT_TRUE(eventually([&] { return again.load(); }));
}

TEST(HandlerPoolTest, DestructorRunsQueuedTasksFirst) {
  std::atomic<int> ran{0};
  {
    HandlerPool pool(1, std::chrono::seconds(60));
    for (int i = 0; i < 50; ++i) pool.post([&] { ++ran; });
  }
  EXPECT_EQ(ran.load(), 50);
}

}  // namespace
}  // namespace bosun::client
