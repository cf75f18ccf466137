// WorkerPool starts its threads as tasks need them, up to its limit, and runs every task posted
// before stop().
#include "http/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace bosun::apiserver {
namespace {

// A gate the tasks block on until the test opens it.
class Gate {
 public:
  void wait() {
    std::unique_lock lock(mu_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
  }
  void wait_for_waiters(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return waiting_ >= n; });
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int waiting_ = 0;
  bool open_ = false;
};

TEST(WorkerPoolTest, StartsNoThreadUntilATaskComes) {
  WorkerPool pool(8, "test-pool");
  EXPECT_EQ(pool.size(), 0u);
  std::atomic<int> ran{0};
  ASSERT_TRUE(pool.post([&] { ++ran; }));
  pool.stop();
  EXPECT_EQ(ran.load(), 1);
  EXPECT_EQ(pool.size(), 1u);
}

TEST(WorkerPoolTest, ReusesAnIdleThread) {
  WorkerPool pool(8, "test-pool");
  for (int i = 0; i < 20; ++i) {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    ASSERT_TRUE(pool.post([&] {
      std::lock_guard lock(mu);
      done = true;
      cv.notify_all();
    }));
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done; });
    lock.unlock();
    // The task has run; its thread goes back to waiting just after.
    while (pool.idle() != pool.size()) std::this_thread::yield();
  }
  // One task at a time, each posted while the pool's one thread was idle: it took them all.
  EXPECT_EQ(pool.size(), 1u);
}

TEST(WorkerPoolTest, GrowsToItsLimitWhileTasksBlock) {
  WorkerPool pool(3, "test-pool");
  Gate gate;
  std::atomic<int> ran{0};
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(pool.post([&] {
      gate.wait();
      ++ran;
    }));
  }
  gate.wait_for_waiters(3);  // three run at once: the limit
  EXPECT_EQ(pool.size(), 3u);
  EXPECT_EQ(pool.queued(), 2u);
  gate.open();
  pool.stop();
  EXPECT_EQ(ran.load(), 5);
  EXPECT_EQ(pool.size(), 3u);
  EXPECT_FALSE(pool.post([&] { ++ran; }));
}

TEST(WorkerPoolTest, ZeroThreadsMeansOne) {
  WorkerPool pool(0, "test-pool");
  std::atomic<int> ran{0};
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(pool.post([&] { ++ran; }));
  pool.stop();
  EXPECT_EQ(ran.load(), 10);
  EXPECT_EQ(pool.size(), 1u);
}

}  // namespace
}  // namespace bosun::apiserver
